"""The command line: `python -m tutorial_lib ...` as a learner types it."""

import subprocess
import sys

import numpy as np
import pytest

from tutorial_lib.data import shapes

pytestmark = pytest.mark.slow  # every test starts Python, torch and often a training run


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "tutorial_lib", *args], capture_output=True,
                          text=True, timeout=300)


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


def test_generate_digits_trains_once_then_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORIAL_FAST", "1")  # a seconds-long training; the CLI is under test
    out = tmp_path / "digits.npy"
    args = ["generate-digits", "--digits", "307", "--per-digit", "4", "--seed", "1",
            "--out", str(out)]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    images = np.load(out)
    assert images.dtype == np.uint8 and images.shape == (12, 28, 28)
    cached = list((tmp_path / "cache").rglob("digit_gan.safetensors"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    assert run_cli(*args).returncode == 0
    assert cached[0].stat().st_mtime_ns == stamp  # loaded from the cache, not retrained
    np.testing.assert_array_equal(np.load(out), images)


def test_generate_digits_rejects_bad_arguments(tmp_path):
    out = str(tmp_path / "digits.npy")
    for args, message in [(["--digits", "1a"], "--digits"), (["--per-digit", "0"], "per_digit"),
                          (["--out", str(tmp_path / "x.png")], ".npy")]:
        argv = ["generate-digits", "--out", out, *args]
        result = run_cli(*argv)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_generate_writes_prompt_order_and_loads_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORIAL_FAST", "1")  # a seconds-long training; the CLI is under test
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a small red circle at the top left\n\n左上角有一个小的红色圆形\n",
                       encoding="utf-8")
    out = tmp_path / "images.npy"
    args = ["generate", "--prompts-file", str(prompts), "--n", "2", "--seed", "1",
            "--out", str(out)]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    images = np.load(out)
    assert images.dtype == np.uint8 and images.shape == (4, 32, 32, 3)
    cached = list((tmp_path / "cache").rglob("t2i_generator.safetensors"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    single = run_cli("generate", "--prompt", "a small red circle at the top left", "--n", "2",
                     "--seed", "1", "--out", str(out))
    assert single.returncode == 0, single.stderr
    assert cached[0].stat().st_mtime_ns == stamp  # loaded from the cache, not retrained
    np.testing.assert_array_equal(np.load(out), images[:2])


def test_generate_rejects_bad_arguments(tmp_path):
    out = str(tmp_path / "images.npy")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    for args, message in [(["--prompt", "   "], "empty"), (["--prompt", "x", "--n", "0"], "n must"),
                          (["--prompt", "a red circle", "--encoder", "clip"], "unknown encoder"),
                          (["--prompts-file", str(empty)], "no prompts"),
                          (["--prompts-file", str(tmp_path / "missing.txt")], "no such file")]:
        result = run_cli("generate", "--out", out, *args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_search_prints_the_top_k_indices(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORIAL_FAST", "1")  # a seconds-long training; the CLI is under test
    gallery = tmp_path / "gallery.npy"
    np.save(gallery, shapes.sample(30, seed=2, split="test").images)
    result = run_cli("search", "--query", "a small red circle at the top left",
                     "--images", str(gallery), "--k", "4")
    assert result.returncode == 0, result.stderr
    indices = [int(line) for line in result.stdout.splitlines()]
    assert len(indices) == 4 == len(set(indices)) and all(0 <= i < 30 for i in indices)


def test_search_rejects_bad_arguments(tmp_path):
    gallery, floats = tmp_path / "gallery.npy", tmp_path / "floats.npy"
    np.save(gallery, shapes.sample(5, seed=2, split="test").images)
    np.save(floats, np.zeros((5, 32, 32, 3), dtype=np.float32))
    for args, message in [(["--query", " ", "--images", str(gallery)], "empty"),
                          (["--query", "a red circle", "--images", str(gallery), "--k", "6"],
                           "more than"),
                          (["--query", "a red circle", "--images", str(floats)], "uint8"),
                          (["--query", "a red circle", "--images", str(tmp_path / "no.npy")],
                           "no such file")]:
        result = run_cli("search", *args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_caption_prints_one_line_per_image(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    images = tmp_path / "images.npy"
    np.save(images, shapes.sample(3, seed=2, split="test").images)
    for lang in ("en", "zh"):
        result = run_cli("caption", "--images", str(images), "--lang", lang)
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) == 3
    result = run_cli("caption", "--images", str(images), "--lang", "fr")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_assist_prints_the_caption_and_draws_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    out = tmp_path / "drawn.npy"
    result = run_cli("assist", "draw me a tiny blue box in the top right corner", "--n", "3",
                     "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "a small blue square at the top right"
    assert np.load(out).shape == (3, 32, 32, 3)
    result = run_cli("assist", "a red circle", "--route", "dalle")
    assert result.returncode == 2 and "unknown route" in result.stderr
