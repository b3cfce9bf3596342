"""Chapter 10 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

import numpy as np

from tutorial_lib.exercises.ch10_challenges import (
    check_conv2d_flops,
    check_median_ratio,
    check_mlp_flops,
)


def _distances(queries, train, power=1.0, reduce=np.min):
    q = queries.reshape(len(queries), -1).astype(float) / 255
    r = train.reshape(len(train), -1).astype(float) / 255
    return reduce(np.sqrt(((q[:, None] - r[None]) ** 2).sum(-1)) ** power, axis=1)


def median_ratio(generated, train, heldout):
    return np.median(_distances(generated, train)) / np.median(_distances(heldout, train))


def test_median_ratio_checker():
    assert check_median_ratio(median_ratio)
    wrong = {
        "square root": lambda g, t, h: np.median(_distances(g, t, 2)) / np.median(
            _distances(h, t, 2)),
        "*median*": lambda g, t, h: _distances(g, t).mean() / _distances(h, t).mean(),
        "other way round": lambda g, t, h: 1 / median_ratio(g, t, h),
        "*nearest*": lambda g, t, h: np.median(_distances(g, t, reduce=np.mean)) / np.median(
            _distances(h, t, reduce=np.mean)),
        "expected": lambda g, t, h: np.median(_distances(g, h)) / np.median(_distances(h, t)),
        "one number": lambda g, t, h: "small",
        "raised": lambda g, t, h: g @ t,
    }
    for hint, answer in wrong.items():
        result = check_median_ratio(answer)
        assert not result and hint in result.message, (hint, result)


def conv2d_flops(c_in, c_out, k, stride, padding, h, w):
    h_out = (h + 2 * padding - k) // stride + 1
    w_out = (w + 2 * padding - k) // stride + 1
    return 2 * c_out * h_out * w_out * c_in * k * k


def test_conv2d_flops_checker():
    assert check_conv2d_flops(conv2d_flops)
    wrong = {
        "multiply-accumulates": lambda *a: conv2d_flops(*a) // 2,
        "*output* grid": lambda ci, co, k, s, p, h, w: 2 * co * h * w * ci * k * k,
        "every input channel": lambda ci, co, k, s, p, h, w: conv2d_flops(ci, co, k, s, p, h, w)
        // ci,
        "expected": lambda *a: conv2d_flops(*a) + 1,
        "raised": lambda *a: 1 / 0,
    }
    for hint, answer in wrong.items():
        result = check_conv2d_flops(answer)
        assert not result and hint in result.message, (hint, result)


def mlp_flops(d_in, d_hidden, d_out, tokens):
    return 2 * tokens * (d_in * d_hidden + d_hidden * d_out)


def test_mlp_flops_checker():
    assert check_mlp_flops(mlp_flops)
    wrong = {
        "two FLOPs": lambda a, b, c, n: mlp_flops(a, b, c, n) // 2,
        "number of tokens": lambda a, b, c, n: 2 * (a * b + b * c),
        "element-wise": lambda a, b, c, n: mlp_flops(a, b, c, n) + n * (b + c),
        "expected": lambda a, b, c, n: 2 * n * (a * b + b * c + b + c),
        "raised": lambda a, b, c, n: a / 0,
    }
    for hint, answer in wrong.items():
        result = check_mlp_flops(answer)
        assert not result and hint in result.message, (hint, result)
