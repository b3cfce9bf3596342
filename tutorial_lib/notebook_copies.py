"""Runnable and student copies of the chapters: the book's notebooks as Jupyter and Colab show them.

The notebooks in `notebooks/` are the single source of the book, written in MyST. Jupyter and
Colab render their Markdown without MyST, so a learner would read "{glue:text}`fid:.3f`" where
the book shows a number. The copies fix that, deterministically and without executing anything:

* Markdown becomes plain Markdown (`myst_markdown`): citations, page links, boxes, exercises.
* A paragraph that quotes glued numbers becomes a small hidden code cell that displays it with
  the values of the learner's own run (`glue.show_prose`), so the copy reads like the book page
  once its cells have run, with live numbers instead of a snapshot of the book's build.
* Runnable copies (`notebooks/runnable/`, committed: Colab opens notebooks from the repository)
  keep each solution collapsed in a `<details>` block and run it, so later cells work as in the
  book. Student copies (`make student`) drop solutions and keep the checker calls.

`python -m tutorial_lib.notebook_copies` writes the runnable copies; a test fails when they are
stale, as it does for the set-up cells.
"""

import argparse
import re
from pathlib import Path

import nbformat

from tutorial_lib.glue import GLUE_ROLE
from tutorial_lib.myst_markdown import (
    Book,
    Chapter,
    blocks,
    convert,
    count_raw_myst,
    load_book,
    split_solutions,
)
from tutorial_lib.notebook_tools import repository
from tutorial_lib.translated_book import EDITION, chinese_book, translated_notebook
from tutorial_lib.translation import LANGUAGE

SOURCE_DIR = Path("notebooks")
RUNNABLE_DIR = SOURCE_DIR / "runnable"
SOLUTION_TAG = "solution"
PROSE_TAG = "prose"
COLAB = "https://colab.research.google.com/github/{org_repo}/blob/{branch}/{path}"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
# cell metadata that folds a code cell's source away: JupyterLab/Notebook 7, and Colab's forms
_HIDDEN = {"jupyter": {"source_hidden": True}, "cellView": "form"}
_CHECK_CALL = re.compile(r"(check_\w+\([^()]*\))")


def is_solution(cell) -> bool:
    return SOLUTION_TAG in cell.metadata.get("tags", [])


def checker_calls(source: str) -> list[str]:
    """The checker calls in a cell's source, e.g. ['check_agreement(agree)']."""
    return _CHECK_CALL.findall(source)


def colab_url(path: str | Path) -> str:
    """The Colab address of a notebook of the repository, e.g. notebooks/runnable/00_welcome."""
    url, branch = repository()
    org_repo = url.removeprefix("https://github.com/").strip("/")
    return COLAB.format(org_repo=org_repo, branch=branch, path=Path(path).as_posix())


def prose_cell(markdown: str, book: Book) -> nbformat.NotebookNode:
    """A hidden code cell that displays `markdown` with this run's glued numbers filled in."""
    if "'''" in markdown or markdown.endswith("\\"):
        raise ValueError("a prose paragraph cannot be quoted in a raw ''' string")
    source = (f"# @title {book.words('prose')}\n"
              "from tutorial_lib.glue import show_prose\n\n"
              f"show_prose(r'''\n{markdown}\n''')")
    return nbformat.v4.new_code_cell(source, metadata={**_HIDDEN, "tags": [PROSE_TAG]})


def _text_cells(markdown: str, chapter: Chapter, book: Book) -> list:
    """Markdown cells, except that the blocks quoting glued numbers become prose cells."""
    runs: list[tuple[bool, list[str]]] = []  # (quotes glued numbers, blocks)
    for block in blocks(convert(markdown, chapter, book)):
        live = bool(GLUE_ROLE.search(block))
        if runs and runs[-1][0] == live:
            runs[-1][1].append(block)
        else:
            runs.append((live, [block]))
    return [prose_cell("\n\n".join(run), book) if live
            else nbformat.v4.new_markdown_cell("\n\n".join(run)) for live, run in runs]


def _solution_cells(label: str, prose: list[str], code: list[str], chapter: Chapter,
                    book: Book) -> list:
    """A collapsed solution (its text and code, for reading) and the code, hidden, to run."""
    number = chapter.exercise_number(label)
    text = convert("\n\n".join(prose), chapter, book)
    if GLUE_ROLE.search(text):
        raise ValueError(f"{chapter.docname}: the solution of {label} quotes a glued number")
    listing = "\n\n".join(f"```python\n{source}\n```" for source in code)
    details = (f"<details>\n<summary>{book.words('solution', number=number)}</summary>\n\n"
               f"{text}\n\n{listing}\n\n</details>").replace("\n\n\n\n", "\n\n")
    cells = [nbformat.v4.new_markdown_cell(details)]
    for source in code:
        cells.append(nbformat.v4.new_code_cell(
            f"# @title {book.words('run_solution', number=number)}\n{source}",
            metadata={**_HIDDEN, "tags": [SOLUTION_TAG]}))
    return cells


def _stub(calls: list[str], book: Book) -> nbformat.NotebookNode:
    """The learner's cell that replaces a solution: a prompt and the solution's checker call."""
    return nbformat.v4.new_code_cell(f"# {book.words('answer_here')}\n\n\n" + "\n".join(calls))


def runnable_dir(edition: str) -> Path:
    """Where an edition's runnable copies live ("en" or "zh", `Book.language`):
    notebooks/runnable/, the Chinese ones in its zh/."""
    return RUNNABLE_DIR if edition == "en" else RUNNABLE_DIR / edition


def _header(path: Path, chapter: Chapter, book: Book, student: bool) -> nbformat.NotebookNode:
    page = f"[{book.words('the_book')}]({book.page_url(chapter.docname)})"
    if student:
        return nbformat.v4.new_markdown_cell(f"*{book.words('student', page=page)}*")
    colab = colab_url(runnable_dir(book.language) / path.name)
    badge = f"[![{book.words('open_in_colab')}]({COLAB_BADGE})]({colab})"
    return nbformat.v4.new_markdown_cell(f"{badge}\n\n*{book.words('runnable', page=page)}*")


def chapter_copy(path: str | Path, book: Book, student: bool = False) -> nbformat.NotebookNode:
    """The runnable (or, with student=True, student) copy of the chapter notebook at `path`.

    A solution spans cells: a `{solution-start}` fence ends a Markdown cell, the solution's code
    cells follow, and a `{solution-end}` fence opens the next Markdown cell."""
    path = Path(path)
    chapter = Chapter(f"{SOURCE_DIR.as_posix()}/{path.stem}", int(path.name[:2]))
    if book.language == "en":
        source = nbformat.read(path, as_version=4)
    else:  # the root is the folder above notebooks/, where the catalogues are
        source = translated_notebook(path, chapter.docname, root=path.parent.parent)
    cells = []
    solution = None  # (label, prose, code) while inside a solution
    calls_since_exercise: set[str] = set()
    for cell in source.cells:
        if cell.cell_type == "code":
            if solution is not None:
                solution[2].append(cell.source)
            else:
                calls_since_exercise |= set(checker_calls(cell.source))
                cells.append(nbformat.v4.new_code_cell(cell.source,
                                                       metadata=dict(cell.metadata)))
            continue
        for kind, value in split_solutions(cell.source):
            if kind == "solution-start":
                solution = (value, [], [])
            elif kind == "solution-end":
                label, prose, code = solution
                calls = [c for source in code for c in checker_calls(source)]
                if not student:
                    cells += _solution_cells(label, prose, code, chapter, book)
                elif not set(calls) <= calls_since_exercise:
                    cells.append(_stub(list(dict.fromkeys(calls)), book))
                solution = None
            elif solution is not None:
                solution[1].append(value)
            else:
                if "{exercise}" in value:
                    calls_since_exercise = set()
                cells += _text_cells(value, chapter, book)
    if solution is not None:
        raise ValueError(f"{path}: {{solution-start}} {solution[0]} is never closed")
    setup = 1 if cells and cells[0].cell_type == "code" else 0  # the set-up cell stays first
    cells.insert(setup, _header(path, chapter, book, student))
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number:03d}"  # deterministic ids: regenerating changes nothing
    copy = nbformat.v4.new_notebook(cells=cells, metadata=source.metadata)
    copy.nbformat_minor = max(source.nbformat_minor, 5)
    nbformat.validate(copy)
    return copy


def raw_myst_count(notebook) -> int:
    """MyST constructs a reader would see: in Markdown cells, and in prose cells' text once
    their glue roles are filled."""
    count = 0
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            count += count_raw_myst(cell.source)
        elif PROSE_TAG in cell.metadata.get("tags", []):
            count += count_raw_myst(GLUE_ROLE.sub("0", cell.source))
    return count


def chapters(source_dir: str | Path = SOURCE_DIR) -> list[Path]:
    return sorted(Path(source_dir).glob("[0-9][0-9]_*.ipynb"))


def write_copies(out_dir: str | Path, student: bool = False, root: str | Path = ".",
                 book: Book | None = None) -> list[Path]:
    """Write the copy of every chapter into out_dir; return the paths."""
    book = book or load_book(root)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in chapters(Path(root) / SOURCE_DIR):
        target = out / path.name
        nbformat.write(chapter_copy(path, book, student=student), target)
        written.append(target)
    return written


def write_edition_copies(out_dir: str | Path, student: bool = False,
                         root: str | Path = ".") -> list[Path]:
    """The copies of both editions: English in out_dir, Chinese in out_dir/zh."""
    out = Path(out_dir)
    english, chinese = editions(root)
    chinese_out = out / runnable_dir(chinese.language).relative_to(RUNNABLE_DIR)
    return (write_copies(out, student, root, english)
            + write_copies(chinese_out, student, root, chinese))


def editions(root: str | Path = ".") -> list[Book]:
    """The books the copies are made for: English, and Chinese."""
    return [load_book(root), chinese_book(root)]


def stale_copies(root: str | Path = ".") -> list[str]:
    """The committed runnable copies (both editions) that differ from what the chapters
    generate now."""
    stale = []
    for book in editions(root):
        for path in chapters(Path(root) / SOURCE_DIR):
            committed = Path(root) / runnable_dir(book.language) / path.name
            expected = nbformat.writes(chapter_copy(path, book)).rstrip("\n")
            if (not committed.is_file()
                    or committed.read_text(encoding="utf-8").rstrip("\n") != expected):
                stale.append(committed.as_posix())
    return stale


def _launch_runnable_copy(app, pagename, templatename, context, doctree) -> None:
    """Point a chapter page's Colab button at its runnable copy (the edition's own, told by
    Sphinx's language) instead of the MyST source."""
    source = f"/{SOURCE_DIR.as_posix()}/"
    target = f"/{runnable_dir(EDITION if app.config.language == LANGUAGE else 'en').as_posix()}/"

    def repoint(buttons) -> None:
        for button in buttons:
            repoint(button.get("buttons", []))
            url = button.get("url", "")
            if url.startswith("https://colab.research.google.com/") and source in url:
                button["url"] = url.replace(source, target, 1)

    repoint(context.get("header_buttons", []))


def setup(app):
    """A Sphinx extension (listed in book/_config.yml): Colab buttons open the runnable copies.
    It runs after sphinx-book-theme has made its launch buttons (priority 501)."""
    app.connect("html-page-context", _launch_runnable_copy, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main() -> None:
    """`python -m tutorial_lib.notebook_copies`: regenerate notebooks/runnable/ (English) and
    notebooks/runnable/zh/ (Chinese)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(RUNNABLE_DIR),
                        help="folder for the copies (the Chinese ones go in its zh/)")
    parser.add_argument("--student", action="store_true", help="student copies (no solutions)")
    args = parser.parse_args()
    for path in write_edition_copies(args.out, student=args.student):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
