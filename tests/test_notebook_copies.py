"""Runnable and student copies: plain Markdown that Jupyter and Colab render, live numbers,
solutions collapsed (runnable) or removed (student), and committed copies never stale."""

from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from markdown_it import MarkdownIt

from tutorial_lib import glue as glue_module
from tutorial_lib.glue import NOT_YET, fill_glue, format_glued, glue
from tutorial_lib.myst_markdown import (
    Book,
    Chapter,
    MystError,
    blocks,
    convert,
    count_raw_myst,
    load_book,
    split_solutions,
)
from tutorial_lib.notebook_copies import (
    PROSE_TAG,
    RUNNABLE_DIR,
    _launch_runnable_copy,
    chapter_copy,
    chapters,
    is_solution,
    raw_myst_count,
    stale_copies,
)

BOOK = load_book()
CHAPTERS = chapters()
TOY_BOOK = Book("https://example.org/course/",
                {"book/errata": "The errata", "notebooks/02_gan": "The GAN game"},
                {"reed2016": ("Reed et al.", "2016"), "ho2022cfg": ("Ho and Salimans", "2021")})
# CommonMark plus the tables Jupyter and Colab render: what a learner's notebook shows
RENDER = MarkdownIt("commonmark", {"html": True}).enable("table")


def toy_chapter() -> Chapter:
    return Chapter("notebooks/02_gan", 2)


def test_the_committed_runnable_copies_are_fresh():
    stale = stale_copies()
    assert not stale, f"stale runnable copies {stale}: run `make copies`"


@pytest.mark.parametrize("student", [False, True], ids=["runnable", "student"])
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_myst_survives_in_what_a_learner_reads(path, student):
    copy = chapter_copy(path, BOOK, student=student)
    assert raw_myst_count(copy) == 0
    for cell in copy.cells:
        text = cell.source if cell.cell_type == "markdown" else ""
        if PROSE_TAG in cell.metadata.get("tags", []):
            text = fill_glue(cell.source.split("r'''", 1)[1].rsplit("'''", 1)[0])
        html = RENDER.render(text)
        assert count_raw_myst(html) == 0 and "{glue" not in html, html
        assert 'class="language-{' not in html, html  # a directive shown as a code block


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_copies_run_the_same_code_and_treat_solutions_as_promised(path):
    source = nbformat.read(path, as_version=4)
    runnable, student = chapter_copy(path, BOOK), chapter_copy(path, BOOK, student=True)
    code = [c.source for c in source.cells if c.cell_type == "code" and not is_solution(c)]
    copied = [c.source for c in runnable.cells
              if c.cell_type == "code" and not is_solution(c)
              and PROSE_TAG not in c.metadata.get("tags", [])]
    assert copied == code
    solutions = [c for c in source.cells if is_solution(c)]
    hidden = [c for c in runnable.cells if is_solution(c)]
    assert len(hidden) == len(solutions) > 0
    assert all(c.metadata["jupyter"]["source_hidden"] for c in hidden)
    details = sum(c.source.count("<details>") for c in runnable.cells
                  if c.cell_type == "markdown")
    exercises = sum(c.source.count("{exercise}") for c in source.cells)
    assert details == exercises
    assert not any(is_solution(c) for c in student.cells)
    assert not any("<details>" in c.source for c in student.cells)
    assert not any(c.get("outputs") for c in student.cells if c.cell_type == "code")


def test_the_sources_as_learners_would_see_them_are_full_of_myst():
    """The baseline the copies fix: the chapters' own Markdown, read without MyST."""
    assert sum(raw_myst_count(nbformat.read(p, as_version=4)) for p in CHAPTERS) > 300


def test_citations_links_and_boxes_become_plain_markdown():
    text = convert("As {cite:p}`reed2016,ho2022cfg` and {cite:t}`reed2016` show "
                   "(see {doc}`../book/errata` and {doc}`the list <../book/errata>`).\n\n"
                   "```{admonition} Careful\n:class: warning\n\nBody with {cite:p}`reed2016`.\n```",
                   toy_chapter(), TOY_BOOK)
    refs = "https://example.org/course/book/references.html"
    assert f"([Reed et al., 2016; Ho and Salimans, 2021]({refs}))" in text
    assert f"[Reed et al. (2016)]({refs})" in text
    assert "[The errata](https://example.org/course/book/errata.html)" in text
    assert "[the list](https://example.org/course/book/errata.html)" in text
    assert "> **Careful**\n>\n> Body with ([Reed et al., 2016]" in text


def test_exercises_are_numbered_by_chapter_and_nested_fences_close_right():
    chapter = toy_chapter()
    source = ("````{exercise}\n:label: ex-a\n\nWrite code:\n\n```python\nx = 1\n```\n````\n\n"
              "```{exercise}\n:label: ex-b\n\nAgain, {glue:text}`value:.2f`.\n```")
    text = convert(source, chapter, TOY_BOOK)
    assert "> **Exercise 2.1**" in text and "> **Exercise 2.2**" in text
    assert "> ```python\n> x = 1\n> ```" in text
    assert "{glue:text}`value:.2f`" in text  # left for the live prose
    assert chapter.exercises == {"ex-a": "2.1", "ex-b": "2.2"}


def test_unknown_constructs_fail_loudly():
    with pytest.raises(MystError, match="numref"):
        convert("See {numref}`fig-1`.", toy_chapter(), TOY_BOOK)
    with pytest.raises(MystError, match="figure"):
        convert("```{figure} a.png\n```", toy_chapter(), TOY_BOOK)
    with pytest.raises(MystError, match="nosuchkey"):
        convert("{cite:p}`nosuchkey`", toy_chapter(), TOY_BOOK)
    with pytest.raises(MystError, match="no such page"):
        convert("{doc}`../book/missing`", toy_chapter(), TOY_BOOK)


def test_solutions_are_split_off_at_their_fences():
    cell = ("Text.\n\n```{solution-start} ex-a\n:class: dropdown\n```\nWhy it works.")
    assert split_solutions(cell) == [("text", "Text.\n\n"), ("solution-start", "ex-a"),
                                     ("text", "Why it works.")]
    assert split_solutions("```{solution-end}\n```\n\nNext.") == [("solution-end", ""),
                                                                   ("text", "\nNext.")]


def test_blocks_never_cut_code_or_maths():
    text = "One.\n\n```python\na\n\nb\n```\n\n$$\nx\n\ny\n$$\n\n> quote\n>\n> more"
    assert blocks(text) == ["One.", "```python\na\n\nb\n```", "$$\nx\n\ny\n$$",
                            "> quote\n>\n> more"]


def test_glued_values_are_formatted_as_the_book_formats_them():
    from myst_nb.core.variables import format_plain_text  # the book's own formatter

    for value, spec in [(0.123456, ".3f"), (12345, ","), (7, "d"), ("words", "s"),
                        (0.5, "%"), (3, ""), (2.0, ".1e")]:
        assert format_glued(value, spec) == format_plain_text(repr(value), spec or "s")


def test_prose_is_filled_from_this_run_and_waits_for_later_numbers(monkeypatch):
    monkeypatch.setattr(glue_module, "_recorded", {})
    text = "A {glue:text}`a_copy_test:.2f` and {glue:text}`b_copy_test`."
    assert fill_glue(text) == f"A {NOT_YET} and {NOT_YET}."
    glue("a_copy_test", 0.5)
    glue("b_copy_test", "word")
    assert fill_glue(text) == "A 0.50 and word."


def test_the_colab_button_opens_the_runnable_copy():
    colab = "https://colab.research.google.com/github/o/r/blob/main/notebooks/02_gan.ipynb"
    context = {"header_buttons": [{"type": "group", "buttons": [
        {"url": colab}, {"url": "https://mybinder.org/v2/gh/o/r/main?urlpath=notebooks/x"}]}]}
    app = SimpleNamespace(config=SimpleNamespace(language="en"))
    _launch_runnable_copy(app, "notebooks/02_gan", "page.html", context, None)
    buttons = context["header_buttons"][0]["buttons"]
    assert buttons[0]["url"].endswith(f"/main/{RUNNABLE_DIR.as_posix()}/02_gan.ipynb")
    assert buttons[1]["url"].endswith("urlpath=notebooks/x")
    # the Chinese edition (Sphinx language zh_CN) opens the Chinese copy
    buttons[0]["url"] = colab
    _launch_runnable_copy(SimpleNamespace(config=SimpleNamespace(language="zh_CN")),
                          "notebooks/02_gan", "page.html", context, None)
    assert buttons[0]["url"].endswith(f"/main/{RUNNABLE_DIR.as_posix()}/zh/02_gan.ipynb")


def test_every_runnable_copy_has_a_colab_badge_for_itself():
    for path in CHAPTERS:
        header = next(c for c in chapter_copy(path, BOOK).cells if c.cell_type == "markdown")
        assert "colab-badge.svg" in header.source
        assert f"{RUNNABLE_DIR.as_posix()}/{Path(path).name})" in header.source
