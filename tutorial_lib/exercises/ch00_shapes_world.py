"""Checkers for chapter 0, "Welcome, and the shapes world"."""

import math
from collections import Counter

import numpy as np

from tutorial_lib.data import shapes
from tutorial_lib.exercises import CheckResult, failed, passed


def check_train_combinations(answer) -> CheckResult:
    """Exercise 0.1: how many attribute combinations can a training image have?"""
    truth = len(shapes.combinations("train"))
    if answer == truth:
        return passed(f"{truth} = 6 x 4 x 2 x 9 minus the held-out colour-shape pairs")
    if answer == 6 * 4 * 2 * 9:
        return failed("that counts every combination, but the held-out pairs never appear "
                      "in training")
    return failed("multiply the numbers of colours, shapes, sizes and positions, then remove "
                  "the combinations of the held-out colour-shape pairs")


def _entropy(counts) -> float:
    p = np.asarray(list(counts), dtype=float)
    p /= p.sum()
    return float(-(p * np.log(p)).sum())


def check_colour_entropy(answer) -> CheckResult:
    """Exercise 0.2: entropy (nats) of the colour of a training image whose attribute
    combination is drawn uniformly from the training split."""
    if isinstance(answer, bool) or not isinstance(answer, int | float) or not math.isfinite(answer):
        return failed(f"expected a number of nats, got {answer!r}")
    train = shapes.combinations("train")
    truth = _entropy(Counter(a["color"] for a in train).values())
    wrong_answers = {
        "that is ln 6, the entropy of six equally likely colours; but four colours each lose a "
        "shape to the held-out pairs, so they are rarer in training": math.log(len(shapes.COLORS)),
        f"that is the entropy of all the attributes together, ln {len(train)}; the question is "
        "about the colour alone": math.log(len(train)),
        "that is in bits; the course measures entropy in nats (natural log)": truth / math.log(2),
    }
    for hint, wrong in wrong_answers.items():
        if abs(answer - wrong) < 1e-4:
            return failed(hint)
    if abs(answer - truth) > 1e-4:
        return failed("count the training combinations of each colour (how many shapes can it "
                      "have?), turn the counts into probabilities p, and sum -p ln p")
    return passed(f"{truth:.4f} nats, a little below ln 6 = {math.log(len(shapes.COLORS)):.4f}: "
                  "the held-out pairs make colours slightly predictable")


def check_bounding_box(bounding_box) -> CheckResult:
    """Exercise 0.3: `bounding_box(image)` -> inclusive (top, left, bottom, right) of the shape."""
    images, attrs, _ = shapes.sample(40, seed=2024)
    for image, attr in zip(images, attrs, strict=True):
        rows, cols = np.nonzero(image.any(axis=-1))
        truth = (rows.min(), cols.min(), rows.max(), cols.max())
        try:
            answer = tuple(int(v) for v in bounding_box(image))
        except Exception as err:  # a learner's bug: report it as a hint, not a traceback
            return failed(f"your function raised {type(err).__name__}: {err}")
        if answer != truth:
            if answer == (truth[0], truth[1], truth[2] + 1, truth[3] + 1):
                return failed("bottom and right must be inclusive (the last row and column "
                              "that contain the shape), not one past them")
            return failed(f"for a {attr['size']} {attr['color']} {attr['shape']} the box is "
                          f"{truth}, your function returned {answer}")
    return passed("your bounding boxes match on 40 random scenes")
