"""The MNIST sample: real digits with the right types, and a fair, repeatable split."""

import numpy as np
import pytest

from tutorial_lib.data.mnist import load_mnist, mnist_split
from tutorial_lib.errors import BadInputError


def test_shapes_and_dtypes():
    images, labels = load_mnist()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (5000,) and labels.dtype == np.int64


def test_all_ten_digits_with_balanced_counts():
    _, labels = load_mnist()
    assert set(np.unique(labels)) == set(range(10))
    assert np.bincount(labels, minlength=10).tolist() == [500] * 10


def test_pixels_use_the_full_byte_range():
    images, _ = load_mnist()
    assert images.min() == 0 and images.max() == 255
    # anti-aliased strokes: many grey levels, not a thresholded 0/255 image
    assert len(np.unique(images)) > 200


def test_images_look_like_digits():
    images, labels = load_mnist()
    ink = images.astype(np.float64).mean(axis=(1, 2)) / 255
    # every image has a stroke, and none is mostly ink (MNIST digits cover about 13% of the box)
    assert ink.min() > 0.02 and ink.max() < 0.45
    assert 0.08 < ink.mean() < 0.2
    # MNIST centres digits in a 20x20 box, so a 4-pixel border is almost blank
    border = np.ones((28, 28), dtype=bool)
    border[4:24, 4:24] = False
    assert images[:, border].mean() < 0.1 * images[:, ~border].mean()
    # a "1" is a thin stroke and a "0" a ring: ones carry less ink than zeros on average
    assert ink[labels == 1].mean() < 0.6 * ink[labels == 0].mean()


def test_load_returns_independent_copies():
    images, labels = load_mnist()
    images[:] = 0
    labels[:] = -1
    fresh_images, fresh_labels = load_mnist()
    assert fresh_images.max() == 255 and fresh_labels.min() == 0


def _rows(images):
    """Each image as one hashable byte string, to compare sets of images."""
    return {image.tobytes() for image in images}


def test_split_sizes_and_disjointness():
    train_x, train_y, test_x, test_y = mnist_split(test_fraction=0.2, seed=0)
    assert train_x.shape == (4000, 28, 28) and test_x.shape == (1000, 28, 28)
    assert train_y.shape == (4000,) and test_y.shape == (1000,)
    assert train_x.dtype == np.uint8 and train_y.dtype == np.int64
    assert not _rows(train_x) & _rows(test_x)
    # together the two sets are exactly the sample
    assert _rows(train_x) | _rows(test_x) == _rows(load_mnist()[0])


def test_split_is_stratified_and_shuffled():
    train_x, train_y, test_x, test_y = mnist_split(test_fraction=0.3, seed=1)
    assert np.bincount(test_y, minlength=10).tolist() == [150] * 10
    assert np.bincount(train_y, minlength=10).tolist() == [350] * 10
    # shuffled: the first hundred training labels are not all one digit, unlike the raw file
    assert len(np.unique(train_y[:100])) == 10


def test_split_is_deterministic_for_a_seed():
    first = mnist_split(seed=7)
    again = mnist_split(seed=7)
    other = mnist_split(seed=8)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[3], other[3])


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, float("nan"), "0.2", None, True, 0.0001])
def test_bad_test_fraction(fraction):
    with pytest.raises(BadInputError, match="test_fraction"):
        mnist_split(test_fraction=fraction)


@pytest.mark.parametrize("seed", [-1, 0.5, "0", None])
def test_bad_seed(seed):
    with pytest.raises(BadInputError, match="seed"):
        mnist_split(seed=seed)
