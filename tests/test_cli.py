"""The command line: `python -m tutorial_lib ...` as a learner types it."""

import subprocess
import sys

import numpy as np

from tutorial_lib.data import shapes


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "tutorial_lib", *args], capture_output=True,
                          text=True, timeout=120)


def test_help_lists_the_subcommands():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "info" in result.stdout and "shapes" in result.stdout


def test_shapes_prints_captions_and_saves_images(tmp_path):
    out = tmp_path / "shapes.npy"
    result = run_cli("shapes", "--n", "5", "--seed", "3", "--lang", "zh", "--out", str(out))
    assert result.returncode == 0, result.stderr
    images, attrs, captions = shapes.sample(5, seed=3, lang="zh")
    assert result.stdout.splitlines() == captions
    saved = np.load(out)
    assert saved.dtype == np.uint8 and np.array_equal(saved, images)


def test_bad_input_is_one_line_and_exit_2():
    result = run_cli("shapes", "--n", "0")
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_info_reports_the_offline_assets():
    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    for item in ["torch", "MiniLM sentence encoder", "SmolLM2", "MNIST", "Chinese font"]:
        assert item in result.stdout
    assert "missing" not in result.stdout, result.stdout
