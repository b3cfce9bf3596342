"""The judge, FID on its features (checked against a direct computation) and the diversity ratio."""

import numpy as np
import pytest
import scipy.linalg
import torch

from tutorial_lib.errors import BadInputError
from tutorial_lib.metrics import (
    JudgeConfig,
    diversity_ratio,
    fid,
    fid_ratio,
    judge_accuracy,
    judge_features,
    judge_predictions,
    rate_noise,
    train_judge,
)


@pytest.fixture(scope="module")
def judge(mnist_data):
    train_images, train_labels, _, _ = mnist_data
    config = JudgeConfig(steps=80, batch_size=64)  # a brief run: about 0.95 on the test split
    return train_judge(train_images, train_labels, config, progress=False)


def test_judge_learns(judge, mnist_data):
    _, _, test_images, test_labels = mnist_data
    assert judge_accuracy(judge, test_images, test_labels) > 0.9
    assert judge_features(judge, test_images[:7]).shape == (7, judge.num_features)


def test_fid_of_a_set_with_itself_is_zero_and_grows_with_noise(judge, mnist_data):
    _, _, test_images, _ = mnist_data
    half_a, half_b = test_images[:500], test_images[500:]
    noise = np.random.default_rng(0).integers(0, 80, half_b.shape)
    noisy_b = np.clip(half_b + noise, 0, 255).astype(np.uint8)
    real_vs_real = fid(half_a, half_b, judge)
    assert abs(fid(half_a, half_a, judge)) < 1e-3 * real_vs_real
    assert fid(half_a, noisy_b, judge) > 2 * real_vs_real
    shifted_b = np.roll(half_b, 4, axis=2)  # every digit moved 4 pixels to the right
    assert fid(half_a, shifted_b, judge) > 2 * real_vs_real


def _frechet_distance(features_1, features_2):
    """The FID formula straight from the definition, in float64 with scipy's matrix square root."""
    mu_1, mu_2 = features_1.mean(0), features_2.mean(0)
    cov_1, cov_2 = np.cov(features_1, rowvar=False), np.cov(features_2, rowvar=False)
    root = scipy.linalg.sqrtm(cov_1 @ cov_2).real
    return ((mu_1 - mu_2) ** 2).sum() + np.trace(cov_1 + cov_2 - 2 * root)


# some ReLU features of the judge are 0 for every digit, which makes the covariances singular;
# scipy warns, and its square root is still accurate enough for this check
@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_fid_matches_a_direct_frechet_distance(judge, mnist_data):
    train_images, _, test_images, _ = mnist_data
    real, other = train_images[:600], test_images[:400]
    expected = _frechet_distance(judge_features(judge, real).astype(np.float64),
                                 judge_features(judge, other).astype(np.float64))
    assert fid(real, other, judge) == pytest.approx(expected, rel=1e-3)


def test_fid_ratio_is_about_one_for_real_images(judge, mnist_data):
    train_images, _, test_images, _ = mnist_data
    assert 0.5 < fid_ratio(test_images, train_images[:1000], judge) < 2


def test_diversity_ratio_of_real_is_one_and_of_a_collapsed_set_is_zero(mnist_data):
    _, _, images, labels = mnist_data
    assert diversity_ratio(images, labels, images, labels) == pytest.approx(1.0)
    # one image per class, repeated: every pixel is constant within a class
    firsts = np.array([np.flatnonzero(labels == c)[0] for c in range(10)])
    collapsed_labels = np.repeat(np.arange(10), 20)
    collapsed = images[firsts[collapsed_labels]]
    assert diversity_ratio(collapsed, collapsed_labels, images, labels) == 0.0


def test_bad_inputs_raise_one_clear_error(judge, mnist_data):
    _, _, images, labels = mnist_data
    with pytest.raises(BadInputError, match="uint8"):
        judge_accuracy(judge, images.astype(np.float32) / 255, labels)
    with pytest.raises(BadInputError, match="trained on images of shape"):
        judge_features(judge, np.zeros((2, 32, 32, 3), dtype=np.uint8))
    with pytest.raises(BadInputError, match="non-empty"):
        judge_features(judge, images[:0])
    with pytest.raises(BadInputError, match=r"labels must be integers of shape \(5,\)"):
        judge_accuracy(judge, images[:5], labels[:4])
    with pytest.raises(BadInputError, match="at least 2"):
        fid(images[:1], images[:10], judge)
    with pytest.raises(BadInputError, match="at least 2"):
        diversity_ratio(images[:3], [0, 0, 1], images, labels)
    with pytest.raises(BadInputError, match="uint8"):
        train_judge(torch.zeros(4, 28, 28), [0, 1, 0, 1], progress=False)


def test_a_judge_with_several_heads_reads_each_attribute():
    """Two attributes of a synthetic image: brightness (2 classes) and which half is lit (2)."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, (400, 2))
    images = np.zeros((400, 8, 8), dtype=np.uint8)
    for image, (bright, half) in zip(images, labels, strict=True):
        image[:, 4 * half:4 * half + 4] = 250 if bright else 90
    config = JudgeConfig(steps=150, batch_size=64, width=8, features=16, shift=0)
    judge = train_judge(images, labels, config, progress=False, heads=(2, 2))
    assert judge.heads == (2, 2) and judge.num_classes == 4
    predictions = judge_predictions(judge, images)
    assert predictions.shape == (400, 2)
    np.testing.assert_array_equal(predictions, labels)
    assert judge_accuracy(judge, images, labels) == 1.0
    flipped = labels.copy()
    flipped[:100, 1] ^= 1  # a quarter of the images with one head wrong
    assert judge_accuracy(judge, images, flipped) == 0.75


def test_multi_head_labels_are_checked():
    images = np.zeros((4, 8, 8), dtype=np.uint8)
    with pytest.raises(BadInputError, match="shape"):
        train_judge(images, np.zeros(4, dtype=int), heads=(2, 2), progress=False)
    with pytest.raises(BadInputError, match="heads"):
        train_judge(images, np.array([[0, 2]] * 4), heads=(2, 2), progress=False)


def test_rate_noise_is_two_standard_errors_of_a_fair_coin_rate():
    rng = np.random.default_rng(0)
    rates = rng.binomial(400, 0.5, size=20_000) / 400
    assert rate_noise(400) == pytest.approx(2 * rates.std(), rel=0.03)
    assert rate_noise(100) == pytest.approx(0.1)
    with pytest.raises(BadInputError, match="positive integer"):
        rate_noise(0)
