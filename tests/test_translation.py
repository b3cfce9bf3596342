"""The Chinese edition's catalogues: messages cut from the MyST losslessly, translations that
keep what must not change, stale translations caught, and every page translated."""

import nbformat
import pytest

from tutorial_lib.editions import (
    apply_todo,
    book_messages,
    translation_problems,
    untranslated,
    write_todo,
)
from tutorial_lib.myst_markdown import book_sources
from tutorial_lib.translation import (
    messages,
    missing,
    problems,
    read_catalogue,
    segments,
    stranded_emphasis,
    translate,
    update_catalogue,
)

PAGE = """---
kernelspec:
  name: python3
---

# A page

A paragraph with {glue:text}`score:.3f` and $x^2$,
over two lines.

- an item with `code`
- another item

```{exercise} A title
:label: ex-1

Exercise body with {cite:p}`reed2016`.
```

```python
print("verbatim code")
```

$$
E = mc^2
$$

| name | value |
|---|---|
| one | two |
"""


def _pages():
    for docname, path in book_sources().items():
        if path.suffix == ".ipynb":
            cells = nbformat.read(path, as_version=4).cells
            yield from ((docname, c.source) for c in cells if c.cell_type == "markdown")
        else:
            yield docname, path.read_text(encoding="utf-8")


def test_messages_and_verbatim_pieces_join_back_into_every_page():
    for docname, text in _pages():
        assert "".join(s.text for s in segments(text)) == text, docname


def test_only_prose_becomes_messages():
    assert messages(PAGE) == [
        "# A page",
        "A paragraph with {glue:text}`score:.3f` and $x^2$,\nover two lines.",
        "- an item with `code`", "- another item", "A title",
        "Exercise body with {cite:p}`reed2016`.", "| name | value |", "| one | two |"]


def test_a_translation_replaces_messages_and_nothing_else():
    table = {message: f"ZH[{message}]" for message in messages(PAGE)}
    chinese = translate(PAGE, table)
    for verbatim in ("kernelspec:", ":label: ex-1", 'print("verbatim code")', "E = mc^2",
                     "|---|---|", "```{exercise} ZH[A title]"):
        assert verbatim in chinese
    assert "ZH[Exercise body with" in chinese
    with pytest.raises(KeyError, match="no translation"):
        translate(PAGE, {})


def test_a_faithful_translation_passes_and_a_careless_one_is_caught():
    source = ("2. **The score** is {glue:text}`score:.3f` on $n$ prompts, with `judge()`; see "
              "{doc}`ch. 3 <../notebooks/03_digit_gans>` and [the paper](https://x.org/p).")
    good = ("2. **得分**是 {glue:text}`score:.3f`，共 $n$ 个提示词，用 `judge()` 计算；见 "
            "{doc}`第 3 章 <../notebooks/03_digit_gans>` 和[论文](https://x.org/p)。")
    assert problems(source, good) == []
    careless = ("**得分**是 {glue:text}`score:.2f`，共 n 个提示词，用 judge() 计算；见 "
                "{doc}`第 3 章 <../notebooks/04_text_to_image>` 和[论文](https://x.org/q)。")
    found = " | ".join(problems(source, careless))
    for kind in ("roles", "maths", "inline code", "link targets", "Markdown marker"):
        assert kind in found
    assert "URLs" in problems("See https://x.org/p for more.", "详见论文。")[0]
    assert problems(source, "") == ["empty translation"]


def test_a_glued_phrase_may_take_its_chinese_key():
    assert problems("It {glue:text}`verdict`.", "它{glue:text}`verdict_zh`。") == []
    # a key that already ends in _zh has its own Chinese form, and may not lose the suffix
    assert problems("In {glue:text}`worst_zh`.", "在{glue:text}`worst_zh_zh`中。") == []
    assert problems("In {glue:text}`worst_zh`.", "在{glue:text}`worst`中。")


def test_emphasis_that_markdown_cannot_close_next_to_chinese_is_caught():
    assert stranded_emphasis("**说明。**然后") == ["。**然"]
    assert stranded_emphasis("**说明**。然后，*强调*的词") == []
    assert stranded_emphasis("- 列表项 **粗体**") == []


def test_a_changed_source_turns_its_translation_into_an_unchecked_suggestion(tmp_path):
    update_catalogue("book/page", ["Hello world, this is the course."], tmp_path)
    todo = tmp_path / "todo.yml"
    assert write_todo("book/page", ["Hello world, this is the course."], todo, tmp_path) == 1
    catalog_file = tmp_path / "book/locales/zh_CN/LC_MESSAGES/book/page.po"
    assert catalog_file.is_file()
    assert missing(["Hello world, this is the course."], read_catalogue(catalog_file))
    todo.write_text("docname: book/page\nmessages:\n- en: |2-\n    Hello world, this is the "
                    "course.\n  zh: |2-\n    你好，这是本课程。\n", encoding="utf-8")
    assert apply_todo(todo, tmp_path) == {}
    assert not missing(["Hello world, this is the course."], read_catalogue(catalog_file))
    changed = "Hello world, this is the whole course."
    catalog = update_catalogue("book/page", [changed], tmp_path)
    assert catalog.get(changed).fuzzy and catalog.get(changed).string == "你好，这是本课程。"
    assert missing([changed], catalog) == [changed]  # a fuzzy suggestion is not a translation


def test_a_translation_that_loses_a_role_is_not_applied(tmp_path):
    update_catalogue("book/page", ["Scored {glue:text}`score:.3f`."], tmp_path)
    todo = tmp_path / "todo.yml"
    todo.write_text("docname: book/page\nmessages:\n- en: |2-\n    Scored {glue:text}`score:.3f`."
                    "\n  zh: |2-\n    得分 0.9。\n", encoding="utf-8")
    rejected = apply_todo(todo, tmp_path)
    assert list(rejected) == ["Scored {glue:text}`score:.3f`."]
    assert missing(["Scored {glue:text}`score:.3f`."],
                   read_catalogue(tmp_path / "book/locales/zh_CN/LC_MESSAGES/book/page.po"))


def test_every_message_of_the_book_has_a_checked_chinese_translation():
    left = untranslated()
    assert not left, "untranslated (or fuzzy) messages: " + ", ".join(
        f"{docname} ({len(todo)})" for docname, todo in left.items()) + (
        "; run `python -m tutorial_lib.editions todo DOCNAME FILE`, translate, apply")


def test_every_translation_keeps_what_its_source_must_keep():
    assert translation_problems() == {}


def test_a_chinese_runnable_copy_reads_as_plain_markdown_in_chinese():
    """Chapter 5's Chinese copy: the same code, Chinese prose and title, no MyST left, and
    links to the Chinese edition online."""
    from tutorial_lib.myst_markdown import load_book
    from tutorial_lib.notebook_copies import chapter_copy, raw_myst_count
    from tutorial_lib.translated_book import chinese_book

    path = book_sources()["notebooks/05_captioning"]
    english, chinese = chapter_copy(path, load_book()), chapter_copy(path, chinese_book())
    assert raw_myst_count(chinese) == 0

    def own_code(copy):
        return [c.source for c in copy.cells
                if c.cell_type == "code" and not c.metadata.get("tags")]

    assert own_code(english) == own_code(chinese)
    text = "\n".join(c.source for c in chinese.cells if c.cell_type == "markdown")
    assert "练习" in text and "/zh/notebooks/05_captioning.html" in text
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in text) > 2000


def test_the_toc_and_every_page_have_messages():
    pages = book_messages()
    assert pages["book/_toc"][0] == "From Words to Pixels"
    assert all(pages.values())


def _book_copy(tmp_path):
    """A copy of the book's sources whose every message is 'translated' by a marker."""
    import shutil

    from tutorial_lib.translation import catalogue_path, update_catalogue, write_catalogue

    for folder in ("book", "notebooks"):
        shutil.copytree(folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("_build*", "locales", "runnable"))
    for docname, sources in book_messages(tmp_path).items():
        catalog = update_catalogue(docname, sources, tmp_path)
        for message in catalog:
            if message.id:
                message.string = f"译{message.id}"
        write_catalogue(catalog, catalogue_path(docname, tmp_path))
    return tmp_path


def test_the_chinese_sources_keep_every_code_cell_and_use_the_english_cache(tmp_path):
    import yaml

    from tutorial_lib.translated_book import write_sources

    root = _book_copy(tmp_path / "root")
    cache = tmp_path / "english/_build/.jupyter_cache"
    out = write_sources(tmp_path / "zh", cache, root)
    for docname, path in book_sources(root).items():
        if path.suffix != ".ipynb":
            continue
        english = nbformat.read(path, as_version=4).cells
        chinese = nbformat.read(out / path.relative_to(root), as_version=4).cells
        assert [c.source for c in english if c.cell_type == "code"] == [
            c.source for c in chinese if c.cell_type == "code"], docname
        assert any("译" in c.source for c in chinese if c.cell_type == "markdown"), docname
    config = yaml.safe_load((out / "book/_config.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["config"]["language"] == "zh_CN"
    assert config["execute"]["cache"] == str(cache.resolve())
    assert config["title"] == "译From Words to Pixels"
    assert (out / "book/references.bib").is_file() and (out / "book/_static").is_dir()


def test_the_chinese_sources_are_not_written_while_messages_are_untranslated(tmp_path):
    from tutorial_lib.translated_book import write_sources

    root = _book_copy(tmp_path / "root")
    (root / "book/intro.md").write_text("# A new title\n\nA new paragraph.\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="untranslated messages in book/intro"):
        write_sources(tmp_path / "zh", tmp_path / "cache", root)
