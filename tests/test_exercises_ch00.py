"""Chapter 0 checkers: the reference answers pass, plausible wrong answers fail with a hint."""

import math

import numpy as np

from tutorial_lib.exercises.ch00_shapes_world import (
    check_bounding_box,
    check_colour_entropy,
    check_train_combinations,
)


def reference_bounding_box(image):
    rows, cols = np.nonzero(image.any(axis=-1))
    return rows.min(), cols.min(), rows.max(), cols.max()


def test_combinations_checker():
    assert check_train_combinations(360)
    wrong = check_train_combinations(432)
    assert not wrong and "held-out" in wrong.message


def test_entropy_checker():
    # 4 colours appear with 3 shapes (54 of the 360 combinations each), 2 with all 4 (72 each)
    truth = -(4 * 0.15 * math.log(0.15) + 2 * 0.2 * math.log(0.2))
    assert check_colour_entropy(truth)
    assert "ln 6" in check_colour_entropy(math.log(6)).message
    assert "all the attributes" in check_colour_entropy(math.log(360)).message
    assert "bits" in check_colour_entropy(truth / math.log(2)).message
    assert "count the training combinations" in check_colour_entropy(1.5).message
    assert not check_colour_entropy("1.78")


def test_bounding_box_checker():
    assert check_bounding_box(reference_bounding_box)

    def exclusive_end(image):  # the classic off-by-one: Python-style half-open ranges
        top, left, bottom, right = reference_bounding_box(image)
        return top, left, bottom + 1, right + 1

    def crashes(image):
        raise IndexError("oops")

    assert "inclusive" in check_bounding_box(exclusive_end).message
    assert "raised IndexError" in check_bounding_box(crashes).message
    assert "✘" in repr(check_bounding_box(crashes))
