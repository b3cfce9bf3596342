"""`make student`: no solution survives in the student notebooks, every checker call does, and
each student notebook runs the chapter's own code up to its first exercise."""

import nbformat
import pytest

from tutorial_lib.classroom import exercise_catalogue
from tutorial_lib.myst_markdown import load_book
from tutorial_lib.notebook_copies import (
    PROSE_TAG,
    chapter_copy,
    chapters,
    checker_calls,
    is_solution,
)

NOTEBOOKS = chapters()
BOOK = load_book()
TRIVIAL = {"", "result", "assert result, result"}


def _lines(cells) -> set[str]:
    return {line.strip() for cell in cells for line in cell.source.splitlines()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_survives_and_checks_stay(path):
    book = nbformat.read(path, as_version=4)
    student = chapter_copy(path, BOOK, student=True)
    solutions = [cell for cell in book.cells if is_solution(cell)]
    assert solutions, "every chapter has exercises with hidden solutions"
    # lines that only a solution contains: none may reach the student
    secret = _lines(solutions) - _lines(c for c in book.cells if not is_solution(c)) - TRIVIAL
    secret = {line for line in secret if not line.startswith(("result = check_", "def "))}
    assert secret and not secret & _lines(student.cells)
    assert not any(is_solution(cell) for cell in student.cells)
    assert not any("solution-start" in c.source or "solution-end" in c.source
                   for c in student.cells)
    kept = {call for cell in student.cells for call in checker_calls(cell.source)}
    assert {call for cell in solutions for call in checker_calls(cell.source)} <= kept
    assert not any(cell.get("outputs") for cell in student.cells if cell.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_notebook_runs_what_the_chapter_runs_up_to_its_first_exercise(path):
    """Up to the first exercise a student copy runs exactly the chapter's code, which nbval
    executes, plus prose cells, which the runnable-copy check executes: so it runs, without
    executing the chapter a second time."""
    student = chapter_copy(path, BOOK, student=True)
    first = next(i for i, cell in enumerate(student.cells)
                 if cell.cell_type == "markdown" and "**Exercise " in cell.source)
    code = [cell.source for cell in student.cells[:first] if cell.cell_type == "code"
            and PROSE_TAG not in cell.metadata.get("tags", [])]
    chapter = nbformat.read(path, as_version=4)
    before = next(i for i, cell in enumerate(chapter.cells) if "{exercise}" in cell.source)
    assert code == [cell.source for cell in chapter.cells[:before] if cell.cell_type == "code"]


def test_the_teacher_page_catalogue_is_numbered_and_used():
    """The catalogue (read from the checkers) numbers exercises by chapter, in order, and
    lists only checkers a notebook calls."""
    catalogue = exercise_catalogue()
    numbers = [tuple(map(int, row["number"].split("."))) for row in catalogue]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    for row in catalogue:
        assert row["module"].startswith(f"ch{int(row['number'].split('.')[0]):02d}_"), row
        assert row["checks"] and "Exercise" not in row["checks"]
    sources = "\n".join(cell.source for path in NOTEBOOKS
                         for cell in nbformat.read(path, as_version=4).cells
                         if cell.cell_type == "code")
    for row in catalogue:  # every listed exercise is one a notebook actually checks
        assert f"{row['checker']}(" in sources, row
