"""nbval's outputs become the fast book's execution cache, so the book build finds each chapter
executed (jupyter-cache matches the source notebook) and runs none of them again."""

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

from tutorial_lib.nbval_cache import chapter_of_copy, executed_notebook


def _source(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["hide-input"]}),
        nbformat.v4.new_code_cell("print(x)")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}})
    path = tmp_path / "chapter.ipynb"
    nbformat.write(notebook, path)
    return path


def test_an_executed_notebook_is_found_by_the_book_builds_cache(tmp_path):
    path = _source(tmp_path)
    printed = nbformat.v4.new_output("stream", name="stdout", text="1\n")
    executed = executed_notebook(str(path), {0: [], 1: [printed]})
    assert executed.cells[2].outputs == [printed]
    assert executed.metadata["language_info"]["pygments_lexer"] == "ipython3"
    cache = get_cache(tmp_path / "cache")
    cache.cache_notebook_bundle(CacheBundleIn(executed, str(path)), check_validity=False)
    record = cache.match_cache_notebook(nbformat.read(path, as_version=4))  # the source itself
    _, merged = cache.merge_match_into_notebook(nbformat.read(path, as_version=4))
    assert record is not None and merged.cells[2].outputs[0]["text"] == "1\n"


def test_a_notebook_with_a_cell_that_did_not_run_is_not_cached(tmp_path):
    assert executed_notebook(str(_source(tmp_path)), {0: []}) is None


def test_a_runnable_copys_run_gives_the_chapters_cache_entry(tmp_path):
    from tutorial_lib.myst_markdown import Book
    from tutorial_lib.notebook_copies import prose_cell

    path = _source(tmp_path)
    chapter = nbformat.read(path, as_version=4)
    solution = nbformat.v4.new_code_cell("y = 2", metadata={"tags": ["solution"]})
    chapter.cells.append(solution)
    nbformat.write(chapter, path)
    printed = nbformat.v4.new_output("stream", name="stdout", text="1\n")
    shown = nbformat.v4.new_output("display_data", data={"text/markdown": "x is 1"})
    copy = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        prose_cell("x is {glue:text}`x`", Book("https://example.org/", {}, {})),
        nbformat.v4.new_code_cell("print(x)"),
        nbformat.v4.new_code_cell("# @title Run the solution of exercise 1\ny = 2",
                                  metadata={"tags": ["solution"]})])
    for cell, outputs in zip(copy.cells, ([], [shown], [printed], []), strict=True):
        cell.outputs = outputs
    derived = chapter_of_copy(copy, str(path))
    assert [cell.get("outputs") for cell in derived.cells] == [None, [], [printed], []]
    cache = get_cache(tmp_path / "cache")
    cache.cache_notebook_bundle(CacheBundleIn(derived, str(path)), check_validity=False)
    assert cache.match_cache_notebook(nbformat.read(path, as_version=4)) is not None

    copy.cells[2].source = "print(x + 1)"  # a stale copy: the build must execute the chapter
    assert chapter_of_copy(copy, str(path)) is None
