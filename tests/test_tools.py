"""Small tools: glue, the environment report, the set-up cell stamper and the bench table."""

import json

import nbformat
import pytest

from tutorial_lib import bench, envcheck
from tutorial_lib.glue import glue
from tutorial_lib.notebook_tools import SETUP_TAG, stamp_setup_cell


def test_glue_returns_its_value():
    assert glue("answer", 42) == 42


def test_environment_report_has_ok_rows_for_installed_assets():
    rows = envcheck.environment_report()
    status = {item: state for item, state, _ in rows}
    assert status["torch"] == "ok" and status["MiniLM sentence encoder"] == "ok"
    text = envcheck.format_report(rows)
    assert len(text.splitlines()) == len(rows)


def test_stamping_inserts_then_updates_the_setup_cell(tmp_path):
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Hi")]), path)
    assert stamp_setup_cell(path, "print('v1')")
    assert not stamp_setup_cell(path, "print('v1')")  # idempotent
    assert stamp_setup_cell(path, "print('v2')")
    cells = json.loads(path.read_text())["cells"]
    assert len(cells) == 2 and SETUP_TAG in cells[0]["metadata"]["tags"]
    assert "".join(cells[0]["source"]) == "print('v2')"


@pytest.mark.parametrize("value, expected", [(60.0, "ok"), (3600.0, "MISSED")])
def test_bench_verdicts_and_table(value, expected):
    assert bench.verdict("book_build_seconds", value) == expected
    assert bench.verdict("shapes_samples_per_second", value) == "reported"
    table = bench.markdown_table({"book_build_seconds": value})
    assert table.splitlines()[2].endswith(f"| {expected} |")


def test_shapes_benchmark_measures_a_rate():
    rate = bench.bench_shapes()["shapes_samples_per_second"]
    assert rate > 1000


def test_glue_turns_numpy_and_torch_scalars_into_python_numbers():
    import numpy as np
    import torch

    assert type(glue("a", np.float64(1.5))) is float
    assert type(glue("b", torch.tensor(3))) is int
    assert glue("c", [1, 2]) == [1, 2]
