"""MyST, the book's Markdown, rewritten as the plain Markdown that Jupyter and Colab render.

The chapters are written for Jupyter Book: citations are `{cite:p}` roles, links to other pages
are `{doc}` roles, exercises and boxes are directive fences. Jupyter and Colab know none of
that and would show the raw syntax. This module turns each construct into what a reader of the
book sees: "(Reed et al., 2016)" linking to the references page, a link to the online page,
a quoted box with a bold title. Glue roles are left for the caller (see `notebook_copies`),
because their values only exist once the learner's own cells have run.
"""

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

# A directive fence: ```{name} argument, or :::{name}; MyST closes it with a fence of the same
# character at least as long, which is how directives nest (```` outside, ``` inside).
FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<argument>.*)$")
CODE_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})")
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<content>[^`]+)`")
TARGET = re.compile(r"^\((?P<label>[\w.-]+)\)=[ \t]*$", re.MULTILINE)
EXPLICIT_TITLE = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
# What a reader must never see in a runnable copy: a role, a directive fence, a target line.
RAW_MYST = re.compile(r"\{[\w:-]+\}`|^[ \t>]*(?:`{3,}|:{3,})\{[\w:-]+\}|^\([\w.-]+\)=[ \t]*$",
                      re.MULTILINE)
BOXES = ("admonition", "note", "tip", "warning", "important", "seealso")
# The words a copy writes itself, per edition: box and proof titles, the copies' own cells.
WORDS = {
    "en": {"note": "Note", "tip": "Tip", "warning": "Warning", "important": "Important",
           "seealso": "See also", "exercise": "Exercise {number}", "proof": "Proof",
           "theorem": "Theorem", "definition": "Definition", "lemma": "Lemma",
           "the_book": "the book", "solution": "Solution to exercise {number}",
           "run_solution": "Run the solution of exercise {number} (shown above)",
           "prose": "The book's text, with the numbers of this run",
           "answer_here": "Your answer here: define the function the exercise asks for, then "
                          "run the check.",
           "student": "Student copy: write each exercise's answer in the cell below it. The "
                      "chapter, with solutions, is in {page}.",
           "runnable": "Runnable copy of a chapter of {page}. Run the cells from the top: the "
                       "text shows the numbers of your own run.",
           "open_in_colab": "Open In Colab"},
    "zh": {"note": "注意", "tip": "提示", "warning": "警告", "important": "重要",
           "seealso": "另见", "exercise": "练习 {number}", "proof": "证明",
           "theorem": "定理", "definition": "定义", "lemma": "引理",
           "the_book": "本书", "solution": "练习 {number} 的解答",
           "run_solution": "运行练习 {number} 的解答（见上）",
           "prose": "本书的正文，填入本次运行得到的数字",
           "answer_here": "在这里作答：定义练习要求的函数，然后运行检查。",
           "student": "学生副本：把每道练习的答案写在它下面的单元格里。带解答的本章见{page}。",
           "runnable": "这是{page}中一章的可运行副本。请从上往下运行各个单元格：正文里的数字就是你"
                       "自己这次运行得到的。",
           "open_in_colab": "在 Colab 中打开"},
}


class MystError(ValueError):
    """A MyST construct the converter does not know: extend the converter, do not guess."""


@dataclass(frozen=True)
class Book:
    """What links in the copies point to: the online book, its pages' titles, its citations."""

    base_url: str  # ends with "/"
    titles: dict[str, str]  # docname ("book/errata") -> title
    citations: dict[str, tuple[str, str]]  # bib key -> (authors, year)
    language: str = "en"  # the edition: "en" or "zh" (WORDS)

    def words(self, key: str, **values: str) -> str:
        return WORDS[self.language][key].format(**values)

    def page_url(self, docname: str, anchor: str = "") -> str:
        return f"{self.base_url}{docname}.html" + (f"#{anchor}" if anchor else "")


@dataclass
class Chapter:
    """One chapter's conversion state: its docname and the numbers of its exercises."""

    docname: str  # "notebooks/02_gan_game"
    number: int
    exercises: dict[str, str] = field(default_factory=dict)  # label -> "2.1"

    def exercise_number(self, label: str) -> str:
        if label not in self.exercises:
            self.exercises[label] = f"{self.number}.{len(self.exercises) + 1}"
        return self.exercises[label]


def count_raw_myst(markdown: str) -> int:
    """How many MyST constructs (roles, directive fences, targets) a Markdown text still has."""
    return len(RAW_MYST.findall(markdown))


def _authors(entry) -> str:
    names = [" ".join(person.rich_last_names[i].render_as("text")
                      for i in range(len(person.rich_last_names)))
             for person in entry.persons.get("author", [])]
    if len(names) >= 3:
        return f"{names[0]} et al."
    return " and ".join(names)


def read_citations(bib_path: str | Path) -> dict[str, tuple[str, str]]:
    """(authors, year) of every entry of a BibTeX file, e.g. 'reed2016' -> ('Reed et al.',
    '2016'), as the author-year style writes them."""
    from pybtex.database import parse_file  # installed with the book's packages

    entries = parse_file(str(bib_path)).entries
    return {key: (_authors(entry), entry.fields.get("year", "n.d."))
            for key, entry in entries.items()}


def page_title(path: str | Path) -> str:
    """The first level-one heading of a Markdown page or a notebook."""
    path = Path(path)
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    match = re.search(r"^# (.+)$", text, re.MULTILINE)
    if match is None:
        raise MystError(f"{path} has no '# title' heading")
    return match.group(1).strip()


def book_sources(root: str | Path = ".") -> dict[str, Path]:
    """Every page of the book's toc, in book order: docname -> its .md or .ipynb source."""
    root = Path(root)
    toc = (root / "book/_toc.yml").read_text(encoding="utf-8")
    return {docname: next(p for suffix in (".md", ".ipynb")
                          if (p := root / f"{docname}{suffix}").is_file())
            for docname in re.findall(r"(?:root|file):\s*(\S+)", toc)}


def load_book(root: str | Path = ".") -> Book:
    """The book's address, page titles and citations, read from its configuration and toc."""
    root = Path(root)
    config = yaml.safe_load((root / "book/_config.yml").read_text(encoding="utf-8"))
    base_url = config["html"]["baseurl"].rstrip("/") + "/"
    titles = {docname: page_title(path) for docname, path in book_sources(root).items()}
    bib = config["bibtex_bibfiles"][0]
    return Book(base_url, titles, read_citations(root / bib))


def _cite(content: str, kind: str, book: Book) -> str:
    keys = [key.strip() for key in content.split(",")]
    unknown = [key for key in keys if key not in book.citations]
    if unknown:
        raise MystError(f"unknown citation key(s) {unknown}: add them to references.bib")
    url = book.page_url("book/references")
    if kind == "p":
        text = "; ".join(f"{authors}, {year}" for authors, year in map(book.citations.get, keys))
        return f"([{text}]({url}))"
    return "; ".join(f"[{authors} ({year})]({url})"
                     for authors, year in map(book.citations.get, keys))


def _doc_link(content: str, chapter: Chapter, book: Book) -> str:
    match = EXPLICIT_TITLE.match(content)
    title, target = (match["title"], match["target"]) if match else (None, content)
    docname = posixpath.normpath(posixpath.join(posixpath.dirname(chapter.docname), target))
    if docname not in book.titles:
        raise MystError(f"{{doc}} link to {target!r}: no such page in the book's toc")
    return f"[{title or book.titles[docname]}]({book.page_url(docname)})"


def convert_roles(text: str, chapter: Chapter, book: Book) -> str:
    """Citations and page links as Markdown links; glue roles untouched."""
    def replace(match: re.Match) -> str:
        name, content = match["name"], match["content"]
        if name.startswith("glue"):
            return match.group(0)
        if name in {"cite:p", "cite:t"}:
            return _cite(content, name[-1], book)
        if name == "doc":
            return _doc_link(content, chapter, book)
        if name == "math":
            return f"${content}$"
        raise MystError(f"{chapter.docname}: the role {{{name}}} has no plain-Markdown form yet")

    return ROLE.sub(replace, text)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def _directive(name: str, argument: str, options: dict[str, str], body: str,
               chapter: Chapter, book: Book) -> str:
    body = convert(body, chapter, book)
    if name in BOXES:
        title = argument or book.words(name)
        return _quote(f"**{convert_roles(title, chapter, book)}**\n\n{body}")
    if name == "exercise":
        number = chapter.exercise_number(options.get("label", f"unlabelled-{argument}"))
        heading = f"**{book.words('exercise', number=number)}**" + (
            f" ({argument})" if argument else "")
        anchor = f'<a id="{options["label"]}"></a>\n\n' if "label" in options else ""
        return anchor + _quote(f"{heading}\n\n{body}")
    if name.startswith("prf:"):
        if name[4:] not in WORDS[book.language]:
            raise MystError(f"{chapter.docname}: the directive {{{name}}} has no title in WORDS")
        kind = book.words(name[4:])
        if name == "prf:proof":
            return f"*{kind}.* {body} $\\square$"
        return _quote(f"**{kind}" + (f" ({argument})" if argument else "") + f".** {body}")
    raise MystError(f"{chapter.docname}: the directive {{{name}}} has no plain-Markdown form yet")


def closes(line: str, fence: str) -> bool:
    """Whether `line` closes a fence opened with `fence` (same character, at least as long)."""
    stripped = line.strip()
    return (len(stripped) >= len(fence) and set(stripped) == {fence[0]}
            and line.startswith(fence[0]))


def convert(markdown: str, chapter: Chapter, book: Book) -> str:
    """A MyST Markdown text as plain Markdown (glue roles kept). Solution fences must have been
    split off first (`split_solutions`)."""
    lines, out, i = markdown.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        opening = FENCE_OPEN.match(line)
        code = CODE_OPEN.match(line)
        if opening:
            fence = opening["fence"]
            end = next((j for j in range(i + 1, len(lines)) if closes(lines[j], fence)), None)
            if end is None:
                raise MystError(f"{chapter.docname}: unclosed {{{opening['name']}}} directive")
            body, options = lines[i + 1:end], {}
            while body and (option := OPTION.match(body[0])):
                options[option["key"]] = option["value"]
                body = body[1:]
            out.append(_directive(opening["name"], opening["argument"].strip(), options,
                                  "\n".join(body).strip(), chapter, book))
            i = end + 1
        elif code:  # an ordinary code block: copied as it is
            end = next((j for j in range(i + 1, len(lines)) if closes(lines[j], code["fence"])),
                       len(lines) - 1)
            out.extend(lines[i:end + 1])
            i = end + 1
        else:
            out.append(line)
            i += 1
    text = "\n".join(out)
    text = TARGET.sub(lambda m: f'<a id="{m["label"]}"></a>', text)
    return convert_roles(text, chapter, book).strip()


def blocks(markdown: str) -> list[str]:
    """Plain Markdown cut into blocks at blank lines, never inside a code block or a $$ maths
    block, so that each block renders on its own as it did in the whole text."""
    pieces, current, fence, in_maths = [], [], None, False
    for line in markdown.splitlines():
        stripped = line.lstrip("> ").strip()
        if fence is None and not in_maths and not line.strip() and current:
            pieces.append("\n".join(current))
            current = []
            continue
        current.append(line)
        code = CODE_OPEN.match(stripped)
        if fence is None and not in_maths and code:
            fence = code["fence"]
        elif fence is not None and closes(stripped, fence):
            fence = None
        elif fence is None and stripped.count("$$") % 2 == 1:
            in_maths = not in_maths
    if current:
        pieces.append("\n".join(current))
    return [piece for piece in pieces if piece.strip()]


_SOLUTION_FENCE = re.compile(r"^(`{3,})\{solution-(?P<kind>start|end)\}[ \t]*(?P<label>\S*)[^\n]*"
                             r"\n(?:[^\n]*\n)*?\1[ \t]*$\n?", re.MULTILINE)


def split_solutions(markdown: str) -> list[tuple[str, str]]:
    """A Markdown cell cut at its solution fences: ("text", source) pieces and
    ("solution-start", label) / ("solution-end", "") markers, in order."""
    pieces, position = [], 0
    for match in _SOLUTION_FENCE.finditer(markdown):
        pieces.append(("text", markdown[position:match.start()]))
        pieces.append((f"solution-{match['kind']}", match["label"]))
        position = match.end()
    pieces.append(("text", markdown[position:]))
    return [(kind, value) for kind, value in pieces if kind != "text" or value.strip()]
