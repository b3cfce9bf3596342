"""A pytest plugin: nbval's run of each chapter also fills the book build's execution cache.

`make test` executes every chapter in fast mode with nbval, then builds the fast book. Without
this plugin the build would execute every chapter a second time. With it (`-p
tutorial_lib.nbval_cache --book-cache FOLDER`), each notebook whose cells all passed is stored,
with nbval's outputs, in the jupyter-cache that myst-nb reads (FOLDER). jupyter-cache matches a
notebook by the hash of its code cells, so the build then finds every chapter executed and runs
none of them again; a chapter that changed since, or failed, is simply executed by the build.
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


def pytest_sessionfinish(session):
    folder = session.config.getoption("book_cache")
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
            if notebook is not None:
                cache.cache_notebook_bundle(
                    CacheBundleIn(notebook, str(root / path),
                                  data={"execution_seconds": _seconds[path]}),
                    check_validity=False, overwrite=True)
