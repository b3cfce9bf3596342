"""The classroom kit: student copies of the chapters, and the catalogue of their exercises.

`make student` (or `python -m tutorial_lib.classroom`) writes `student/NN_*.ipynb`: the runnable
copies of `notebook_copies` (plain Markdown, live numbers) without the solutions. In the book a
solution is a code cell tagged "solution" inside `{solution-start}` / `{solution-end}`
directives; the student copy drops it but keeps the exercise and its checker call, so a learner
writes the answer and runs the same check the teacher's copy runs. Outputs are cleared: a
student notebook holds no results to copy either.
"""

import argparse
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

from tutorial_lib.notebook_copies import write_edition_copies


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


def write_student_notebooks(out_dir: str | Path = "student") -> list[Path]:
    """Write the student copy of every chapter into out_dir, the Chinese ones into
    out_dir/zh; return the paths."""
    return write_edition_copies(out_dir, student=True)


def main() -> None:
    """`python -m tutorial_lib.classroom [--out student]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="student", help="folder for the student copies")
    args = parser.parse_args()
    for path in write_student_notebooks(args.out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
