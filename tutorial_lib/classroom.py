"""The classroom kit: student copies of the notebooks, with every exercise's solution removed.

`make student` (or `python -m tutorial_lib.classroom`) writes `student/NN_*.ipynb`. In the book a
solution is a code cell tagged "solution" inside `{solution-start}` / `{solution-end}`
directives; the student copy drops the cell and the directives but keeps the exercise and its
checker call, so a learner writes the answer and runs the same check the teacher's copy runs.
Outputs are cleared: a student notebook holds no results to copy either.
"""

import argparse
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import nbformat

SOLUTION_TAG = "solution"
# a directive fence of MyST's sphinx-exercise: ```{solution-start} label\n:class: ...\n```
_SOLUTION_FENCE = re.compile(r"```\{solution-(start|end)\}[^`]*```\n?", re.MULTILINE)
_CHECK_CALL = re.compile(r"(check_\w+\([^()]*\))")
# the exercise directive, which Jupyter would show as a code block
_EXERCISE = re.compile(r"```\{exercise\}\n:label: ([\w-]+)\n\n(.*?)\n```", re.DOTALL)


def is_solution(cell) -> bool:
    return SOLUTION_TAG in cell.metadata.get("tags", [])


def checker_calls(source: str) -> list[str]:
    """The checker calls in a cell's source, e.g. ['check_agreement(agree)']."""
    return _CHECK_CALL.findall(source)


def _stub(solution) -> nbformat.NotebookNode:
    """The learner's cell that replaces a solution: a prompt and the solution's checker call."""
    calls = "\n".join(dict.fromkeys(checker_calls(solution.source)))
    return nbformat.v4.new_code_cell("# Your answer here: define the function the exercise asks "
                                     f"for, then run the check.\n\n\n{calls}")


def student_notebook(notebook) -> nbformat.NotebookNode:
    """A copy of the notebook with solutions removed, checker calls kept, outputs cleared.

    A solution cell is replaced by a stub with its checker call, unless the learner already has
    a cell calling that checker since the exercise was stated."""
    cells, calls_since_exercise = [], set()
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            if "{exercise}" in cell.source:
                calls_since_exercise = set()
            source = _SOLUTION_FENCE.sub("", cell.source)
            source = _EXERCISE.sub(r"**Exercise (\1).** \2", source).strip()
            if source:
                cells.append(nbformat.v4.new_markdown_cell(source))
        elif is_solution(cell):
            if not set(checker_calls(cell.source)) <= calls_since_exercise:
                cells.append(_stub(cell))
        else:
            calls_since_exercise |= set(checker_calls(cell.source))
            cells.append(nbformat.v4.new_code_cell(cell.source,
                                                   metadata=dict(cell.metadata)))
    student = nbformat.v4.new_notebook(cells=cells, metadata=notebook.metadata)
    nbformat.validate(student)
    return student


def exercise_catalogue() -> list[dict[str, str]]:
    """Every auto-checked exercise, in chapter order: its number ("5.1"), the checker's name
    and what it checks (the checker's docstring, which starts "Exercise N.M: ..."). Read from
    the code, so the teacher page can never list an exercise that does not exist."""
    import tutorial_lib.exercises as package

    rows = []
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("check_") or function.__module__ != module.__name__:
                continue
            doc = " ".join(inspect.getdoc(function).split("\n\n")[0].split())
            number, what = re.fullmatch(r"Exercise (\d+\.\d+)[^:]*: (.*)", doc).groups()
            rows.append({"number": number, "checker": name, "checks": what,
                         "module": module_info.name})
    return sorted(rows, key=lambda r: tuple(map(int, r["number"].split("."))))


def write_student_notebooks(source_dir: str | Path = "notebooks",
                            out_dir: str | Path = "student") -> list[Path]:
    """Write the student copy of every notebook of source_dir into out_dir; return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(Path(source_dir).glob("*.ipynb")):
        target = out / path.name
        nbformat.write(student_notebook(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written


def main() -> None:
    """`python -m tutorial_lib.classroom [--out student]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", default="notebooks", help="folder of the book's notebooks")
    parser.add_argument("--out", default="student", help="folder for the student copies")
    args = parser.parse_args()
    for path in write_student_notebooks(args.notebooks, args.out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
