"""The Chinese edition of the book, built from the English sources and their catalogues.

`python -m tutorial_lib.translated_book --english BUILD` writes a translated copy of the book's
sources (pages and notebooks, Markdown translated, code cells byte-identical) and builds it with
jupyter-book into BUILD/_build/html/zh/, beside the English edition built into BUILD. The copy
uses the English build's execution cache (jupyter-cache matches a notebook by its code cells
alone), so the Chinese edition shows the English edition's executed numbers and executes
nothing: the build fails if it would.

As a Sphinx extension (in both editions' configuration) it puts on every page a link to the same
page in the other edition.
"""

import argparse
import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

from tutorial_lib.editions import TOC_DOCNAME, untranslated
from tutorial_lib.myst_markdown import Book, book_sources, load_book
from tutorial_lib.translation import (
    LANGUAGE,
    catalogue_path,
    read_catalogue,
    translate,
    translations,
)

EDITION = "zh"  # the Chinese edition's folder inside the English edition's HTML
BIN = Path(sys.executable).parent


def page_translations(docname: str, root: str | Path = ".") -> dict[str, str]:
    """The checked translations of one page's messages."""
    return translations(read_catalogue(catalogue_path(docname, root)))


def translated_notebook(path: str | Path, docname: str,
                        root: str | Path = ".") -> nbformat.NotebookNode:
    """A notebook with its Markdown cells in Chinese; every other cell exactly as it is."""
    notebook = nbformat.read(path, as_version=4)
    table = page_translations(docname, root)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = translate(cell.source, table)
    return notebook


def chinese_book(root: str | Path = ".") -> Book:
    """What the Chinese copies link to: the Chinese edition online, its pages' Chinese titles."""
    book = load_book(root)
    titles = {docname: page_translations(docname, root)[f"# {title}"].removeprefix("# ")
              for docname, title in book.titles.items()}
    return dataclasses.replace(book, base_url=f"{book.base_url}{EDITION}/", titles=titles,
                               language=EDITION)


def _config(root: Path, cache: Path) -> dict:
    """The Chinese edition's _config.yml: the English one with the title translated, Sphinx's
    interface in Chinese (which also points its Colab buttons at the Chinese copies), the English
    execution cache, links back to the English edition."""
    config = yaml.safe_load((root / "book/_config.yml").read_text(encoding="utf-8"))
    toc_words = page_translations(TOC_DOCNAME, root)
    config["title"] = toc_words[config["title"]]
    config["execute"]["cache"] = str(cache.resolve())
    config["html"]["baseurl"] = config["html"]["baseurl"].rstrip("/") + f"/{EDITION}/"
    sphinx = config["sphinx"]["config"]
    sphinx.update(language=LANGUAGE, edition_link=["../", "English", "en"])
    return config


def _toc(root: Path) -> dict:
    toc = yaml.safe_load((root / "book/_toc.yml").read_text(encoding="utf-8"))
    toc_words = page_translations(TOC_DOCNAME, root)
    for part in toc["parts"]:
        part["caption"] = toc_words[part["caption"]]
    return toc


def write_sources(out: str | Path, cache: str | Path, root: str | Path = ".") -> Path:
    """Write the Chinese edition's sources into `out`, laid out as the repository is."""
    root, out = Path(root), Path(out)
    if missing := untranslated(root):
        counts = ", ".join(f"{docname} ({len(todo)})" for docname, todo in missing.items())
        raise SystemExit(f"untranslated messages in {counts}: run `python -m "
                         "tutorial_lib.editions todo DOCNAME FILE`, translate, apply")
    shutil.rmtree(out, ignore_errors=True)
    for docname, path in book_sources(root).items():
        target = out / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".ipynb":
            nbformat.write(translated_notebook(path, docname, root), target)
        else:
            text = path.read_text(encoding="utf-8")
            target.write_text(translate(text, page_translations(docname, root)),
                              encoding="utf-8")
    config = _config(root, Path(cache))
    for bib in config["bibtex_bibfiles"]:
        shutil.copy2(root / bib, out / bib)
    for static in config["sphinx"]["config"]["html_static_path"]:
        shutil.copytree(root / static, out / static)
    (out / "book/_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True,
                                                         sort_keys=False), encoding="utf-8")
    (out / "book/_toc.yml").write_text(yaml.safe_dump(_toc(root), allow_unicode=True,
                                                      sort_keys=False), encoding="utf-8")
    return out


def _executed(cache: Path) -> int:
    from jupyter_cache import get_cache

    return len(get_cache(cache).list_cache_records()) if cache.is_dir() else 0


def build(english: str | Path, root: str | Path = ".", strict: bool = True) -> Path:
    """Build the Chinese edition next to the English one built with --path-output `english`;
    return its HTML folder. Fails if building it executed a notebook."""
    english = Path(english).resolve()  # jupyter-book reads a relative --toc from the source
    cache, sources = english / "_build/.jupyter_cache", english / "_build/zh_sources"
    if not cache.is_dir():
        raise SystemExit(f"no execution cache in {cache}: build the English edition first")
    write_sources(sources, cache, root)
    before = _executed(cache)
    output = english / "_build/zh_build"
    command = [str(BIN / "jupyter-book"), "build", str(sources), "--config",
               str(sources / "book/_config.yml"), "--toc", str(sources / "book/_toc.yml"),
               "--path-output", str(output), *(["-W", "-n", "--keep-going"] if strict else [])]
    subprocess.run(command, check=True)
    if (after := _executed(cache)) != before:
        raise SystemExit(f"the Chinese edition executed {after - before} notebook(s): its code "
                         "cells must be the English edition's, whose runs are in the cache")
    html = english / "_build/html" / EDITION
    shutil.rmtree(html, ignore_errors=True)
    shutil.copytree(output / "_build/html", html)
    return html


def _link_to_other_edition(app, pagename, templatename, context, doctree) -> None:
    """Put a link to the same page of the other edition at the top of every page's body."""
    prefix, text, language = app.config.edition_link
    if "body" not in context:  # generated pages (an index) have a body but no doctree
        return
    href = "../" * pagename.count("/") + prefix + pagename + ".html"
    context["body"] = (f'<p class="edition-link"><a href="{href}" hreflang="{language}" '
                       f'lang="{language}">{text}</a></p>\n' + context["body"])


def setup(app):
    """A Sphinx extension: the language link (edition_link = [prefix from the HTML root to
    the other edition, link text, its language])."""
    app.add_config_value("edition_link", [f"{EDITION}/", "中文版", "zh-CN"], "html")
    app.connect("html-page-context", _link_to_other_edition)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--english", required=True,
                        help="the English build's --path-output (book, or book/_build_fast)")
    parser.add_argument("--no-strict", action="store_true", help="do not build with -W")
    args = parser.parse_args(argv)
    print(f"the Chinese edition is in {build(args.english, strict=not args.no_strict)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
