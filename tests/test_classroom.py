"""`make student`: no solution survives in the student notebooks, every checker call does, and
each student notebook still runs (fast mode) up to its first exercise."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tutorial_lib.classroom import (
    checker_calls,
    exercise_catalogue,
    is_solution,
    student_notebook,
)

NOTEBOOKS = sorted(Path("notebooks").glob("*.ipynb"))
TRIVIAL = {"", "result", "assert result, result"}


def _lines(cells) -> set[str]:
    return {line.strip() for cell in cells for line in cell.source.splitlines()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_survives_and_checks_stay(path):
    book = nbformat.read(path, as_version=4)
    student = student_notebook(book)
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


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One fast-mode model cache for the module: later chapters reuse earlier chapters' models,
    as they do when a class runs the book in order."""
    return tmp_path_factory.mktemp("student_cache")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_notebook_runs_up_to_its_first_exercise(path, shared_cache, tmp_path):
    student = student_notebook(nbformat.read(path, as_version=4))
    first = next(i for i, cell in enumerate(student.cells)
                 if cell.cell_type == "markdown" and cell.source.startswith("**Exercise ("))
    student.cells = student.cells[:first]
    copy = tmp_path / path.name
    nbformat.write(student, copy)
    # a separate process: its kernel talks over loopback, which the unit tests themselves refuse
    result = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-execute"), "--timeout=600", str(copy)],
        env={**os.environ, "TUTORIAL_FAST": "1", "TUTORIAL_CACHE": str(shared_cache),
             "TQDM_DISABLE": "1"}, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]


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
