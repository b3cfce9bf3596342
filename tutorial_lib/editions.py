"""The book's editions: the English sources, and the Chinese translation kept beside them.

Every page of the toc has a catalogue of its messages (`translation`); the toc's part captions
and the book's title are one more, `book/_toc`. This module walks the whole book: it brings
the catalogues up to date with the sources, says what is still untranslated, and gives a
translator a plain file to fill in and apply (YAML block strings: no escaping of LaTeX).

    python -m tutorial_lib.editions update            # catalogues follow the English sources
    python -m tutorial_lib.editions status            # untranslated messages per page
    python -m tutorial_lib.editions todo DOC FILE     # DOC's untranslated messages, to fill in
    python -m tutorial_lib.editions apply FILE        # a filled-in file into DOC's catalogue
"""

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import yaml

from tutorial_lib.myst_markdown import book_sources
from tutorial_lib.translation import (
    catalogue_path,
    messages,
    missing,
    problems,
    read_catalogue,
    update_catalogue,
    write_catalogue,
)

TOC_DOCNAME = "book/_toc"


def toc_messages(root: str | Path = ".") -> list[str]:
    """The book's title and its toc's part captions."""
    root = Path(root)
    config = yaml.safe_load((root / "book/_config.yml").read_text(encoding="utf-8"))
    toc = yaml.safe_load((root / "book/_toc.yml").read_text(encoding="utf-8"))
    return [config["title"], *(part["caption"] for part in toc["parts"])]


def document_messages(path: str | Path) -> list[str]:
    """The messages of a page: a Markdown file's, or those of a notebook's Markdown cells."""
    path = Path(path)
    if path.suffix == ".ipynb":
        cells = nbformat.read(path, as_version=4).cells
        texts = [cell.source for cell in cells if cell.cell_type == "markdown"]
    else:
        texts = [path.read_text(encoding="utf-8")]
    return list(dict.fromkeys(message for text in texts for message in messages(text)))


def book_messages(root: str | Path = ".") -> dict[str, list[str]]:
    """docname -> its messages, for every page of the book and the toc."""
    pages = {docname: document_messages(path) for docname, path in book_sources(root).items()}
    return {TOC_DOCNAME: toc_messages(root), **pages}


def untranslated(root: str | Path = ".") -> dict[str, list[str]]:
    """docname -> its messages without a checked translation (pages with none left out)."""
    result = {}
    for docname, sources in book_messages(root).items():
        if todo := missing(sources, read_catalogue(catalogue_path(docname, root))):
            result[docname] = todo
    return result


def translated_messages(root: str | Path = ".") -> Iterator[tuple[str, str, str]]:
    """(docname, English message, its translation) for every message of the book that has one
    (checked or still a fuzzy suggestion)."""
    for docname, sources in book_messages(root).items():
        catalog = read_catalogue(catalogue_path(docname, root))
        for source in sources:
            message = catalog.get(source)
            if message is not None and message.string:
                yield docname, source, message.string


def translation_problems(root: str | Path = ".") -> dict[str, list[str]]:
    """'docname: message start' -> what its translation fails to keep of the source."""
    return {f"{docname}: {source[:60]!r}": issues
            for docname, source, translation in translated_messages(root)
            if (issues := problems(source, translation))}


def _block(key: str, text: str) -> str:
    """`key: |-` and `text` as a YAML block string (an explicit indentation indicator, so a
    text whose first line is indented reads back the same)."""
    body = "\n".join(f"    {line}" if line else "" for line in text.split("\n"))
    return f"  {key}: |2-\n{body}\n"


def write_todo(docname: str, sources: list[str], path: str | Path,
               root: str | Path = ".") -> int:
    """Write a page's untranslated messages (of its messages `sources`) to a YAML file for a
    translator, with any fuzzy suggestion to check; return how many."""
    catalog = update_catalogue(docname, sources, root)
    todo = missing(sources, catalog)
    parts = [f"# {docname}: {len(todo)} messages. Write each zh: in Chinese; keep every role,\n"
             "# maths span, inline code span, link target and the Markdown marker as it is.\n"
             f"docname: {docname}\nmessages:\n"]
    for source in todo:
        suggestion = catalog.get(source)
        parts.append("- " + _block("en", source)[2:])
        if suggestion is not None and suggestion.string:  # a fuzzy suggestion to check
            parts.append(_block("zh", suggestion.string))
        else:
            parts.append("  zh: ''\n")
    text = "".join(parts)
    loaded = yaml.safe_load(text)["messages"] or []
    if [entry["en"] for entry in loaded] != todo:
        raise ValueError(f"{docname}: the todo file does not read back as its messages")
    Path(path).write_text(text, encoding="utf-8")
    return len(todo)


def apply_todo(path: str | Path, root: str | Path = ".") -> dict[str, list[str]]:
    """Put a filled-in todo file's translations into its page's catalogue, checked ones only;
    return the problems of those left out ('message start' -> problems)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    docname = data["docname"]
    catalog = read_catalogue(catalogue_path(docname, root))
    rejected = {}
    for entry in data["messages"] or []:
        source, text = entry["en"], (entry.get("zh") or "").strip("\n")
        if not text:
            continue
        if issues := problems(source, text):
            rejected[source[:60]] = issues
            continue
        message = catalog.get(source)
        if message is None:
            rejected[source[:60]] = ["not a message of the page (did the English change?)"]
            continue
        message.string = text
        message.flags.discard("fuzzy")
        message.previous_id = ()
    write_catalogue(catalog, catalogue_path(docname, root))
    return rejected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The Chinese edition's catalogues.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", help="bring every catalogue up to its English source")
    commands.add_parser("status", help="untranslated messages and problems, per page")
    todo = commands.add_parser("todo", help="a page's untranslated messages, to fill in")
    todo.add_argument("docname")
    todo.add_argument("file")
    apply = commands.add_parser("apply", help="a filled-in todo file into its catalogue")
    apply.add_argument("file")
    args = parser.parse_args(argv)
    if args.command == "update":
        for docname, sources in book_messages().items():
            update_catalogue(docname, sources)
        return 0
    if args.command == "status":
        left = untranslated()
        for docname, sources in book_messages().items():
            print(f"{docname}: {len(left.get(docname, []))} of {len(sources)} untranslated")
        for where, issues in translation_problems().items():
            print(f"PROBLEM {where}: {'; '.join(issues)}")
        return 1 if left else 0
    if args.command == "todo":
        sources = book_messages()[args.docname]
        print(f"{write_todo(args.docname, sources, args.file)} messages written to {args.file}")
        return 0
    rejected = apply_todo(args.file)
    for where, issues in rejected.items():
        print(f"NOT APPLIED {where!r}: {'; '.join(issues)}", file=sys.stderr)
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())
