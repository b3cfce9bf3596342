"""A pytest plugin: nbval's run of each chapter also fills the book build's execution cache.

`make test` executes every chapter in fast mode with nbval, then builds the fast book. Without
this plugin the build would execute every chapter a second time. With it (`-p
tutorial_lib.nbval_cache --book-cache FOLDER`), each notebook whose cells all passed is stored,
with nbval's outputs, in the jupyter-cache that myst-nb reads (FOLDER). jupyter-cache matches a
notebook by the hash of its code cells, so the build then finds every chapter executed and runs
none of them again; a chapter that changed since, or failed, is simply executed by the build.

A chapter may be run as its runnable copy instead (`notebooks/runnable/NN_*.ipynb`): its code
cells are the chapter's, in order, with hidden prose cells between them that only display
text. The copy's run then gives the chapter's cache entry (its own cells' outputs), and with
`--executed-copies FOLDER` the executed copy itself is written there, for the browser check
of what a learner sees: one execution serves both.
"""

from collections import defaultdict
from pathlib import Path

import nbformat

_outputs: dict[str, dict[int, list]] = defaultdict(dict)  # notebook -> cell number -> outputs
_seconds: dict[str, float] = defaultdict(float)
_failed: set[str] = set()


def pytest_addoption(parser):
    parser.addoption("--book-cache", default=None,
                     help="jupyter-cache folder that receives every fully passing notebook")
    parser.addoption("--executed-copies", default=None,
                     help="folder that receives every fully passing runnable copy, executed")


def pytest_runtest_logreport(report):
    if report.failed:
        _failed.add(report.nodeid.split("::")[0])


def pytest_runtest_makereport(item, call):
    """Keep each nbval cell's outputs (nbval items have cell_num and test_outputs)."""
    if call.when == "call" and call.excinfo is None and hasattr(item, "test_outputs"):
        path = item.nodeid.split("::")[0]
        _outputs[path][item.cell_num] = item.test_outputs or []
        _seconds[path] += call.duration


def executed_notebook(path: str, outputs: dict[int, list]):
    """The notebook at `path` with nbval's outputs in its code cells, or None if a cell did
    not run."""
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if sorted(outputs) != list(range(len(code))):
        return None
    for number, cell in enumerate(code):
        cell.outputs = outputs[number]
        cell.execution_count = number + 1
    # what an executing kernel reports, and the book's highlighter reads (ipython3 knows %pip)
    from ipykernel.ipkernel import IPythonKernel

    notebook.metadata["language_info"] = dict(IPythonKernel.language_info)
    return notebook


def chapter_of_copy(copy, source_path: str):
    """The chapter at `source_path` with the outputs of its executed runnable `copy`, or None if
    the copy's code is not the chapter's (a stale copy: the build then executes the chapter).

    The copy's code cells, less its prose cells, are the chapter's code cells in order; a
    solution's cell only gains a title comment line."""
    from tutorial_lib.notebook_copies import PROSE_TAG, SOLUTION_TAG

    chapter = nbformat.read(source_path, as_version=4)
    mine = [cell for cell in chapter.cells if cell.cell_type == "code"]
    theirs = [cell for cell in copy.cells if cell.cell_type == "code"
              and PROSE_TAG not in cell.metadata.get("tags", [])]
    if len(mine) != len(theirs):
        return None
    outputs = {}
    for number, (cell, copied) in enumerate(zip(mine, theirs, strict=True)):
        source = copied.source
        if SOLUTION_TAG in copied.metadata.get("tags", []):
            source = source.split("\n", 1)[1] if source.startswith("# @title") else source
        if source != cell.source:
            return None
        outputs[number] = copied.outputs
    return executed_notebook(source_path, outputs)


def _runnable_source(root: Path, path: str) -> Path | None:
    """The chapter a runnable copy at `path` was made from; None for a chapter itself."""
    from tutorial_lib.notebook_copies import RUNNABLE_DIR, SOURCE_DIR

    if Path(path).parent != RUNNABLE_DIR:
        return None
    return root / SOURCE_DIR / Path(path).name


def pytest_sessionfinish(session):
    folder = session.config.getoption("book_cache")
    copies = session.config.getoption("executed_copies")
    if not folder:
        return
    from filelock import FileLock
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    root = session.config.rootpath
    Path(folder).parent.mkdir(parents=True, exist_ok=True)
    # under pytest-xdist every worker stores its own chapters: one at a time, as the cache's
    # database takes one writer
    with FileLock(str(folder).rstrip("/") + ".lock"):
        cache = get_cache(folder)
        for path, outputs in _outputs.items():
            notebook = None if path in _failed else executed_notebook(str(root / path), outputs)
            if notebook is None:
                continue
            chapter_path = _runnable_source(root, path)
            if chapter_path is not None:
                if copies:
                    Path(copies).mkdir(parents=True, exist_ok=True)
                    nbformat.write(notebook, Path(copies) / chapter_path.name)
                notebook = chapter_of_copy(notebook, str(chapter_path))
                if notebook is None:
                    continue
            cache.cache_notebook_bundle(
                CacheBundleIn(notebook, str(chapter_path or root / path),
                              data={"execution_seconds": _seconds[path]}),
                check_validity=False, overwrite=True)
