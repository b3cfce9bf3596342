"""The course's cached digit models, in fast mode: shapes, order, cache round trips, bad input."""

import shutil
from dataclasses import replace

import numpy as np
import pytest
import torch

from tutorial_lib.data.mnist import mnist_split
from tutorial_lib.errors import BadInputError, CacheWarning
from tutorial_lib.gan import digits
from tutorial_lib.gan.digits import generate_digits, pretrained_digit_gan, pretrained_judge
from tutorial_lib.gan.train import generate
from tutorial_lib.model_cache import fingerprint, history_json
from tutorial_lib.runtime import cache_dir, config_key, read_metadata, save_tensors
from tutorial_lib.training import History


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Train the fast-mode models once for this module: (their cache folder, 3 images of each
    digit drawn with seed 5 from the freshly trained generator)."""
    folder = tmp_path_factory.mktemp("digits")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUTORIAL_FAST", "1")
        patch.setenv("TUTORIAL_CACHE", str(folder))
        fresh = generate(pretrained_digit_gan(progress=False), 30, np.repeat(np.arange(10), 3), 5)
        pretrained_judge(progress=False)
        return cache_dir(), fresh


@pytest.fixture(autouse=True)
def fast(isolated_cache, monkeypatch, trained):
    """Fast mode, and this test's own cache holding a copy of the trained models."""
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    for path in trained[0].iterdir():
        shutil.copy(path, cache_dir())


def test_generate_digits_shapes_dtype_and_order():
    images = generate_digits([3, 1, 3], per_digit=4, seed=2)
    assert images.dtype == np.uint8 and images.shape == (12, 28, 28)
    # digit order: the first four are 3s, drawn from the first four noise vectors
    np.testing.assert_array_equal(images[:4], generate_digits([3], 4, seed=2))
    np.testing.assert_array_equal(generate_digits(3, 4, seed=2), images[:4])
    assert not np.array_equal(images[:4], images[8:])  # other noise, other 3s


def test_cache_round_trip_gives_identical_images(trained):
    path = cache_dir() / digits.GAN_FILE
    assert "config" in read_metadata(path)
    stamp = path.stat().st_mtime_ns
    loaded = generate_digits(range(10), 3, seed=5)
    assert path.stat().st_mtime_ns == stamp  # loaded, not retrained
    np.testing.assert_array_equal(loaded, trained[1])


def test_corrupt_checkpoint_is_reported_and_retrained(monkeypatch):
    monkeypatch.setattr(digits, "FAST_GAN_STEPS", 2)  # the retraining itself is not under test
    path = cache_dir() / digits.GAN_FILE
    path.write_bytes(path.read_bytes()[:100])  # a truncated file, as after a disk error
    with pytest.warns(CacheWarning, match="corrupt"):
        generate_digits([1], 2)
    assert "config" in read_metadata(path)  # a whole file again


def test_checkpoint_with_other_weights_is_reported_and_retrained(monkeypatch):
    monkeypatch.setattr(digits, "FAST_GAN_STEPS", 2)
    images, labels, _, _ = mnist_split()
    save_tensors(cache_dir() / digits.GAN_FILE, {"weight": torch.zeros(3)},
                 {"config": config_key(digits.digit_gan_config()),
                  "data": fingerprint(images, labels), "history": history_json(History())})
    with pytest.warns(CacheWarning, match="does not hold the weights"):
        pretrained_digit_gan(progress=False)


def test_stale_config_is_retrained(monkeypatch):
    before = read_metadata(cache_dir() / digits.GAN_FILE)["config"]
    monkeypatch.setattr(digits, "DEFAULT_CONFIG",
                        replace(digits.DEFAULT_CONFIG, mode_seeking=0.5))
    monkeypatch.setattr(digits, "FAST_GAN_STEPS", 2)  # the retraining itself is not under test
    with pytest.warns(CacheWarning, match="other settings"):
        pretrained_digit_gan(progress=False)
    assert read_metadata(cache_dir() / digits.GAN_FILE)["config"] != before


def test_pretrained_judge_is_cached_with_its_test_accuracy():
    judge = pretrained_judge(progress=False)
    assert 0 <= judge.test_accuracy <= 1
    again = pretrained_judge(progress=False)  # from the cache
    assert again.test_accuracy == judge.test_accuracy
    x = torch.rand(2, 1, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(judge(x), again(x), rtol=0, atol=0)


@pytest.mark.parametrize("bad", [[10], [-1], [], [1.5], [True], "7", None])
def test_bad_digits_raise(bad):
    with pytest.raises(BadInputError, match="digit"):
        generate_digits(bad, 2)


@pytest.mark.parametrize("per_digit", [0, -3, 2.5, True])
def test_bad_per_digit_raises(per_digit):
    with pytest.raises(BadInputError, match="per_digit"):
        generate_digits([1], per_digit)
