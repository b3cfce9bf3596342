"""The memorisation check: exact nearest neighbours, and it tells copies from new images."""

import dataclasses

import numpy as np
import pytest

from tutorial_lib.analysis.memorization import (
    OVERFIT_PER_DIGIT,
    MemorizationReport,
    memorization_report,
    nearest_neighbours,
    overfit_training_set,
    shapes_memorization,
    verdict,
)
from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError


def test_nearest_neighbours_match_brute_force():
    rng = np.random.default_rng(0)
    queries = rng.integers(0, 256, (37, 5, 5), dtype=np.uint8)
    reference = rng.integers(0, 256, (23, 5, 5), dtype=np.uint8)
    distance, index = nearest_neighbours(queries, reference, chunk=8)  # several chunks
    q = queries.reshape(37, -1).astype(float) / 255
    r = reference.reshape(23, -1).astype(float) / 255
    brute = np.sqrt(((q[:, None] - r[None]) ** 2).sum(-1))
    np.testing.assert_array_equal(index, brute.argmin(1))
    np.testing.assert_allclose(distance, brute.min(1), rtol=1e-5)
    assert nearest_neighbours(reference[:3], reference)[0].max() < 1e-3  # itself, at 0


def test_copies_score_near_zero_and_fresh_images_near_one(mnist_data):
    train, _, test, _ = mnist_data
    copier = memorization_report(train[:300], train, test[:500])
    assert copier.median_ratio < 0.01 and copier.copies == 1.0
    fresh = memorization_report(test[500:], train, test[:500])
    assert 0.9 < fresh.median_ratio < 1.1
    assert fresh.copies < 0.15  # ~0.05 by construction of the threshold
    assert copier.generated_neighbour[:10].tolist() == list(range(10))


def test_fresh_shapes_pictures_are_new_and_copies_are_not():
    train = shapes.sample(3000, seed=0, split="train").images
    heldout = shapes.sample(200, seed=1, split="test").images
    fresh = memorization_report(shapes.sample(200, seed=2, split="test").images, train, heldout)
    assert fresh.copies < 0.15 and 0.8 < fresh.median_ratio < 1.25
    assert verdict(fresh, "pictures").en == "makes new pictures"
    copier = memorization_report(train[:200], train, heldout)
    assert verdict(copier, "pictures").en == "reproduces its training pictures"


def _report(median_ratio: float, copies: float) -> MemorizationReport:
    report = memorization_report(np.zeros((2, 4, 4), np.uint8), np.ones((3, 4, 4), np.uint8),
                                 np.ones((2, 4, 4), np.uint8))
    return dataclasses.replace(report, median_ratio=median_ratio, copies=copies)


def test_verdict_words_follow_the_thresholds():
    assert verdict(_report(0.9, 0.05)).en == "makes new digits"
    assert verdict(_report(0.9, 0.3)).en.startswith("sits closer")
    assert verdict(_report(0.6, 0.0)).en.startswith("sits closer")
    assert verdict(_report(0.4, 0.0)).en == "reproduces its training digits"


def test_shapes_check_runs_on_chapter_4s_gan(fast_models):
    report = shapes_memorization(n_prompts=12)
    assert len(report.generated_distance) == 12
    assert report.median_ratio > 0 and 0 <= report.copies <= 1


def test_overfit_training_set_has_every_digit(mnist_data):
    images, labels = overfit_training_set()
    assert images.shape == (10 * OVERFIT_PER_DIGIT, 28, 28)
    assert np.bincount(labels).tolist() == [OVERFIT_PER_DIGIT] * 10


def test_bad_inputs_raise_one_clear_error():
    with pytest.raises(BadInputError, match="pixels"):
        nearest_neighbours(np.zeros((2, 4, 4), np.uint8), np.zeros((2, 5, 5), np.uint8))
    with pytest.raises(BadInputError, match="batch"):
        nearest_neighbours(np.zeros((0, 4, 4), np.uint8), np.zeros((2, 4, 4), np.uint8))
