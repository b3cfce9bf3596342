"""The command line: `python -m tutorial_lib ...` as a learner types it.

Each command runs once as a learner's process would; the many ways to get its arguments wrong
are checked by calling the same `main` in this process (a new Python with torch for every bad
argument would cost seconds each). Commands that need models use the run's shared fast-mode
models, so each model trains once per test run.
"""

import subprocess
import sys

import numpy as np
import pytest

from tutorial_lib.__main__ import main
from tutorial_lib.data import shapes


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "tutorial_lib", *args], capture_output=True,
                          text=True, timeout=300)


def rejected(capsys, *args) -> str:
    """The one-line message `main(args)` prints when it refuses them with exit status 2."""
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1, err
    return err


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


def test_generate_digits_draws_each_digit_and_loads_the_cache(tmp_path, fast_models):
    out = tmp_path / "digits.npy"
    args = ["generate-digits", "--digits", "307", "--per-digit", "4", "--seed", "1",
            "--out", str(out)]
    assert main(args) == 0  # trains the fast-mode GAN if no test has yet
    images = np.load(out)
    assert images.dtype == np.uint8 and images.shape == (12, 28, 28)
    (cached,) = fast_models.rglob("digit_gan.safetensors")
    stamp = cached.stat().st_mtime_ns
    learner = run_cli(*args)
    assert learner.returncode == 0, learner.stderr
    assert cached.stat().st_mtime_ns == stamp  # loaded from the cache, not retrained
    np.testing.assert_array_equal(np.load(out), images)


def test_generate_digits_rejects_bad_arguments(tmp_path, capsys):
    out = str(tmp_path / "digits.npy")
    for args, message in [(["--digits", "1a"], "--digits"), (["--per-digit", "0"], "per_digit"),
                          (["--out", str(tmp_path / "x.png")], ".npy")]:
        assert message in rejected(capsys, "generate-digits", "--out", out, *args)


def test_generate_writes_prompt_order_and_loads_the_cache(tmp_path, fast_models):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a small red circle at the top left\n\n左上角有一个小的红色圆形\n",
                       encoding="utf-8")
    out = tmp_path / "images.npy"
    assert main(["generate", "--prompts-file", str(prompts), "--n", "2", "--seed", "1",
                 "--out", str(out)]) == 0
    images = np.load(out)
    assert images.dtype == np.uint8 and images.shape == (4, 32, 32, 3)
    (cached,) = fast_models.rglob("t2i_generator.safetensors")
    stamp = cached.stat().st_mtime_ns
    learner = run_cli("generate", "--prompt", "a small red circle at the top left", "--n", "2",
                      "--seed", "1", "--out", str(out))
    assert learner.returncode == 0, learner.stderr
    assert cached.stat().st_mtime_ns == stamp  # loaded from the cache, not retrained
    np.testing.assert_array_equal(np.load(out), images[:2])


def test_generate_trains_the_default_model_on_first_use(tmp_path, fast_models, monkeypatch):
    # a cache holding everything but the generator: the first call trains and saves it
    cache = tmp_path / "cache"
    main(["generate", "--prompt", "a red circle", "--n", "1", "--out", str(tmp_path / "a.npy")])
    for path in fast_models.rglob("*.safetensors"):
        if path.name != "t2i_generator.safetensors":
            target = cache / path.relative_to(fast_models)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    monkeypatch.setenv("TUTORIAL_CACHE", str(cache))
    assert main(["generate", "--prompt", "a red circle", "--n", "1",
                 "--out", str(tmp_path / "b.npy")]) == 0
    assert len(list(cache.rglob("t2i_generator.safetensors"))) == 1
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


def test_generate_rejects_bad_arguments(tmp_path, capsys):
    out = str(tmp_path / "images.npy")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    for generator in ("gan", "diffusion", "tokens"):
        for args, message in [(["--prompt", "   "], "empty"),
                              (["--prompt", "x", "--n", "0"], "n must"),
                              (["--prompt", "x", "--seed", "-1"], "seed must"),
                              (["--prompts-file", str(empty)], "no prompts"),
                              (["--prompts-file", str(tmp_path / "missing.txt")], "no such file"),
                              (["--prompt", "x", "--out", str(tmp_path / "x.png")], ".npy")]:
            assert message in rejected(capsys, "generate", "--out", out, "--generator",
                                       generator, *args), (generator, args)
    for generator in ("gan", "diffusion"):
        assert "unknown encoder" in rejected(capsys, "generate", "--out", out, "--generator",
                                             generator, "--prompt", "x", "--encoder", "clip")
    assert "reads the prompt's own tokens" in rejected(
        capsys, "generate", "--out", out, "--generator", "tokens", "--prompt", "x",
        "--encoder", "minilm")
    assert "unknown generator 'vae'" in rejected(capsys, "generate", "--out", out,
                                                 "--generator", "vae", "--prompt", "x")
    # refused before anything trained (the cache holds only its link to the caption table)
    assert not [path for path in tmp_path.rglob("*.safetensors") if not path.is_symlink()]


@pytest.mark.parametrize("generator, cached_name", [("diffusion", "diffusion_unet.safetensors"),
                                                    ("tokens", "tokens_gpt.safetensors")])
def test_every_generator_draws_prompt_order_and_repeats_with_the_seed(tmp_path, fast_models,
                                                                      generator, cached_name):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a small red circle at the top left\n左上角有一个小的红色圆形\n",
                       encoding="utf-8")
    out = tmp_path / "images.npy"
    assert main(["generate", "--generator", generator, "--prompts-file", str(prompts),
                 "--n", "2", "--seed", "1", "--out", str(out)]) == 0
    images = np.load(out)
    assert images.dtype == np.uint8 and images.shape == (4, 32, 32, 3)
    (cached,) = fast_models.rglob(cached_name)
    stamp = cached.stat().st_mtime_ns
    assert main(["generate", "--generator", generator, "--prompt",
                 "a small red circle at the top left", "--n", "2", "--seed", "1",
                 "--out", str(out)]) == 0
    assert cached.stat().st_mtime_ns == stamp  # loaded from the cache, not retrained
    np.testing.assert_array_equal(np.load(out), images[:2])


def test_search_prints_the_top_k_indices(tmp_path, fast_models):
    gallery = tmp_path / "gallery.npy"
    np.save(gallery, shapes.sample(30, seed=2, split="test").images)
    result = run_cli("search", "--query", "a small red circle at the top left",
                     "--images", str(gallery), "--k", "4")
    assert result.returncode == 0, result.stderr
    indices = [int(line) for line in result.stdout.splitlines()]
    assert len(indices) == 4 == len(set(indices)) and all(0 <= i < 30 for i in indices)


def test_search_rejects_bad_arguments(tmp_path, capsys):
    gallery, floats = tmp_path / "gallery.npy", tmp_path / "floats.npy"
    np.save(gallery, shapes.sample(5, seed=2, split="test").images)
    np.save(floats, np.zeros((5, 32, 32, 3), dtype=np.float32))
    for args, message in [(["--query", " ", "--images", str(gallery)], "empty"),
                          (["--query", "a red circle", "--images", str(gallery), "--k", "6"],
                           "more than"),
                          (["--query", "a red circle", "--images", str(floats)], "uint8"),
                          (["--query", "a red circle", "--images", str(tmp_path / "no.npy")],
                           "no such file")]:
        assert message in rejected(capsys, "search", *args), args


def test_caption_prints_one_line_per_image(tmp_path, fast_models, capsys):
    images = tmp_path / "images.npy"
    np.save(images, shapes.sample(3, seed=2, split="test").images)
    result = run_cli("caption", "--images", str(images), "--lang", "zh")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3
    assert main(["caption", "--images", str(images), "--lang", "en"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert "fr" in rejected(capsys, "caption", "--images", str(images), "--lang", "fr")


def test_assist_prints_the_caption_and_draws_it(tmp_path, fast_models, capsys):
    out = tmp_path / "drawn.npy"
    result = run_cli("assist", "draw me a tiny blue box in the top right corner", "--n", "3",
                     "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "a small blue square at the top right"
    assert np.load(out).shape == (3, 32, 32, 3)
    assert "unknown route" in rejected(capsys, "assist", "a red circle", "--route", "dalle")
