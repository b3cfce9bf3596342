"""Checkers for chapter 10, "The guide's challenges, measured"."""

import numpy as np
import torch

from tutorial_lib.analysis.compute import count_flops
from tutorial_lib.analysis.memorization import memorization_report
from tutorial_lib.exercises import CheckResult, attempt, failed, passed


def _images(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 6, 6), dtype=np.uint8)


def check_median_ratio(ratio_fn) -> CheckResult:
    """Exercise 10.1: ratio_fn(generated, train, heldout) -> median over generated images of the
    L2 distance to the nearest train image, over the same median for held-out images."""
    train = _images(0, 40)
    near = np.clip(train[:15].astype(int) + _images(1, 15) // 8, 0, 255).astype(np.uint8)
    generated = np.concatenate([near, _images(2, 10)])  # some near-copies, some fresh images
    heldout = _images(3, 30)
    answer, error = attempt(ratio_fn, generated.copy(), train.copy(), heldout.copy())
    if error:
        return failed(error)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return failed(f"return one number (the ratio of two medians), got {answer!r}")

    def nearest(q, r, power=1, reduce=np.min):
        diff = q.reshape(len(q), 1, -1).astype(float) - r.reshape(1, len(r), -1).astype(float)
        return reduce(np.sqrt((diff ** 2).sum(-1)) ** power, axis=1)

    wrong_answers = {
        "take the square root: squared distances square the ratio as well":
            np.median(nearest(generated, train, 2)) / np.median(nearest(heldout, train, 2)),
        "use the *median* of each set of distances: the mean is dragged by a few far images":
            nearest(generated, train).mean() / nearest(heldout, train).mean(),
        "generated over held-out, not the other way round: copies must give a ratio near 0":
            np.median(nearest(heldout, train)) / np.median(nearest(generated, train)),
        "each image's distance is to its *nearest* training image (min over the training set), "
        "not the average over all of them":
            np.median(nearest(generated, train, reduce=np.mean))
            / np.median(nearest(heldout, train, reduce=np.mean)),
    }
    for hint, wrong in wrong_answers.items():
        if abs(value - wrong) < 1e-4 * max(1.0, abs(wrong)):
            return failed(hint)
    truth = memorization_report(generated, train, heldout).median_ratio
    if abs(value - truth) > 1e-4:
        return failed(f"expected {truth:.4f} on the test images, got {value:.4f}")
    return passed(f"ratio {truth:.3f}: the near-copies pull the generated median down")


CONV_CASES = ((3, 8, 3, 1, 1, 32, 32), (16, 32, 4, 2, 1, 28, 28), (8, 4, 5, 1, 0, 12, 10))


def check_conv2d_flops(flops_fn) -> CheckResult:
    """Exercise 10.2: flops_fn(c_in, c_out, k, stride, padding, h, w) -> FLOPs of one Conv2d
    forward pass on one (c_in, h, w) image, counted as FlopCounterMode counts them."""
    for c_in, c_out, k, stride, padding, h, w in CONV_CASES:
        conv = torch.nn.Conv2d(c_in, c_out, k, stride, padding)
        truth = count_flops(conv, (torch.rand(1, c_in, h, w),))
        answer, error = attempt(flops_fn, c_in, c_out, k, stride, padding, h, w)
        if error:
            return failed(error)
        h_out, w_out = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
        wrong_answers = {
            "that counts multiply-accumulates; each is two FLOPs (a multiply and an add)":
                truth // 2,
            "the kernel slides over the *output* grid: use h_out = (h + 2p - k) // s + 1, "
            "not the input size": 2 * c_out * h * w * c_in * k * k,
            "each output value sums over every input channel too: multiply by c_in":
                2 * c_out * h_out * w_out * k * k,
        }
        for hint, wrong in wrong_answers.items():
            if answer == wrong and wrong != truth:
                return failed(hint)
        if answer != truth:
            return failed(f"Conv2d({c_in}, {c_out}, {k}, stride={stride}, padding={padding}) "
                          f"on {h}x{w}: expected {truth} FLOPs, got {answer}")
    return passed("2 x c_out x h_out x w_out x c_in x k x k, as FlopCounterMode counts")


MLP_CASES = ((16, 64, 16, 10), (32, 128, 8, 1), (12, 48, 30, 7))


def check_mlp_flops(flops_fn) -> CheckResult:
    """Exercise 10.3: flops_fn(d_in, d_hidden, d_out, tokens) -> FLOPs of one forward pass of
    Linear(d_in, d_hidden), ReLU, Linear(d_hidden, d_out) on `tokens` token vectors, counted as
    FlopCounterMode counts them: about 2 FLOPs per weight and per token."""
    for d_in, d_hidden, d_out, tokens in MLP_CASES:
        mlp = torch.nn.Sequential(torch.nn.Linear(d_in, d_hidden), torch.nn.ReLU(),
                                  torch.nn.Linear(d_hidden, d_out))
        truth = count_flops(mlp, (torch.rand(tokens, d_in),))
        answer, error = attempt(flops_fn, d_in, d_hidden, d_out, tokens)
        if error:
            return failed(error)
        weights = d_in * d_hidden + d_hidden * d_out
        wrong_answers = {
            "that counts multiply-accumulates; each is two FLOPs (a multiply and an add)":
                truth // 2,
            "every token goes through every weight: multiply by the number of tokens":
                2 * weights,
            "FlopCounterMode counts matrix products only; the bias additions and the ReLU are "
            "element-wise work it leaves out": 2 * tokens * weights + tokens * (d_hidden + d_out),
        }
        for hint, wrong in wrong_answers.items():
            if answer == wrong and wrong != truth:
                return failed(hint)
        if answer != truth:
            return failed(f"MLP {d_in}->{d_hidden}->{d_out} on {tokens} tokens: expected {truth} "
                          f"FLOPs, got {answer}")
    return passed("2 x tokens x weights: the rule of thumb for language models, exactly")
