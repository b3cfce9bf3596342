"""Chapter 4 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

import math

import torch
import torch.nn.functional as F

from tutorial_lib.exercises.ch04_text_to_image import (
    check_initial_d_loss,
    check_matching_aware_loss,
    check_projection_forward,
)


def matching_aware(real, fake, mismatched):
    return F.relu(1 - real).mean() + (F.relu(1 + fake).mean() + F.relu(1 + mismatched).mean()) / 2


def test_matching_aware_checker():
    assert check_matching_aware_loss(matching_aware)
    wrong = {
        "missing": lambda r, f, m: F.relu(1 - r).mean() + F.relu(1 + f).mean(),
        "*fake*": lambda r, f, m: F.relu(1 - r).mean()
        + (F.relu(1 + f).mean() + F.relu(1 - m).mean()) / 2,
        "average them": lambda r, f, m: F.relu(1 - r).mean() + F.relu(1 + f).mean()
        + F.relu(1 + m).mean(),
        "expected": lambda r, f, m: F.softplus(-r).mean() + F.softplus(f).mean(),
        "raised": lambda r, f, m: r @ torch.ones(3),
    }
    for hint, answer in wrong.items():
        result = check_matching_aware_loss(answer)
        assert not result and hint in result.message, (hint, result)


def projection(d, x, c):
    h = d.phi(x)
    return d.psi(h).squeeze(1) + (d.embed(c) * h).sum(1)


def test_projection_checker():
    assert check_projection_forward(projection)
    wrong = {
        "alone: D never looks": lambda d, x, c: d.psi(d.phi(x)).squeeze(1),
        "misses the unconditional": lambda d, x, c: (d.embed(c) * d.phi(x)).sum(1),
        "one logit per image": lambda d, x, c: d.psi(d.phi(x)) + d.embed(c) * d.phi(x),
        "not the projection": lambda d, x, c: d.psi(d.phi(x)).squeeze(1)
        + (d.embed(c) * d.phi(x)).sum(1) * 2,
        "raised": lambda d, x, c: d.embed(x),
    }
    for hint, answer in wrong.items():
        result = check_projection_forward(answer)
        assert not result and hint in result.message, (hint, result)


def test_initial_d_loss_checker():
    ln432 = math.log(6 * 4 * 2 * 3 * 3)
    assert check_initial_d_loss(2 + 3.0 * ln432)
    wrong = {
        "hinge part alone": 2.0,
        "weighted by lambda_attr": 2 + ln432,
        "in bits": 2 + 3.0 * ln432 / math.log(2),
        "a softmax each": 2 + 3.0 * math.log(18),
        "1 + 1": 3 + 3.0 * ln432,
        "uniform softmax": 20.0,
        "expected a number": "20.2",
    }
    for hint, answer in wrong.items():
        result = check_initial_d_loss(answer)
        assert not result and hint in result.message, (hint, result)
