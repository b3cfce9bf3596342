"""Chapter 9 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

import math

import torch
import torch.nn.functional as F

from tutorial_lib.exercises.ch09_image_tokens import (
    check_bits_per_image,
    check_guided_logits,
    check_quantize,
)


def quantize(z, codes):
    distances = (z[:, None, :] - codes[None, :, :]).pow(2).sum(-1)
    index = distances.argmin(1)
    return z + (codes[index] - z).detach(), index


def test_quantize_checker():
    assert check_quantize(quantize)

    def dot(z, codes):
        index = (z @ codes.T).argmax(1)
        return z + (codes[index] - z).detach(), index

    def l1(z, codes):
        index = torch.cdist(z, codes, p=1).argmin(1)
        return z + (codes[index] - z).detach(), index

    wrong = {
        "largest dot product": dot,
        "L1 distance": l1,
        "farthest code": lambda z, c: (z, torch.cdist(z, c).argmax(1)),
        "output is z itself": lambda z, c: (z, quantize(z, c)[1]),
        "no gradient reaches z": lambda z, c: (c[quantize(z, c)[1]], quantize(z, c)[1]),
        "gradient to z is zero": lambda z, c: (z + (c[quantize(z, c)[1]] - z),
                                               quantize(z, c)[1]),
        "incoming gradient unchanged": lambda z, c: (2 * z + (c[quantize(z, c)[1]]
                                                              - 2 * z).detach(),
                                                     quantize(z, c)[1]),
        "return two things": lambda z, c: quantize(z, c)[0],
        "shape": lambda z, c: (quantize(z, c)[0], quantize(z, c)[1][:3]),
        "raised": lambda z, c: z.view(3, -1, 7),
    }
    for hint, answer in wrong.items():
        result = check_quantize(answer)
        assert not result and hint in result.message, (hint, result)


def test_guided_logits_checker():
    assert check_guided_logits(lambda c, u, s: u + s * (c - u))

    def mixed(c, u, s):
        p_c, p_u = c.softmax(-1), u.softmax(-1)
        return (p_u + s * (p_c - p_u)).clamp(min=1e-12).log()

    wrong = {
        "Ho & Salimans": lambda c, u, s: (1 + s) * c - s * u,
        "check the direction": lambda c, u, s: c + s * (u - c),
        "alone only changes the temperature": lambda c, u, s: s * c,
        "not the probabilities": mixed,
        "wrong logits at scale": lambda c, u, s: u + s * (c - u) + 0.1,
        "shape": lambda c, u, s: (u + s * (c - u))[0],
        "raised": lambda c, u, s: c.view(7, -1),
    }
    for hint, answer in wrong.items():
        result = check_guided_logits(answer)
        assert not result and hint in result.message, (hint, result)


def bits(logits, codes):
    return F.cross_entropy(logits.transpose(1, 2), codes, reduction="none").sum(1) / math.log(2)


def test_bits_per_image_checker():
    assert check_bits_per_image(bits, 64 * math.log2(256))
    wrong_predictions = {"one token's bits": 8, "nats": 64 * math.log(256),
                         "raw pixels": 24_576, "not K": 64 * 256, "log2 K bits on each": 100,
                         "must be a number": "512"}
    for hint, prediction in wrong_predictions.items():
        result = check_bits_per_image(bits, prediction)
        assert not result and hint in result.message, (hint, result)
    wrong = {
        "in nats": lambda lg, c: bits(lg, c) * math.log(2),
        "mean per token": lambda lg, c: bits(lg, c) / 64,
        "normalise first": lambda lg, c: -lg.gather(-1, c[..., None]).squeeze(-1).sum(1)
        / math.log(2),
        "most likely code": lambda lg, c: -lg.log_softmax(-1).max(-1).values.sum(1)
        / math.log(2),
        "bits per image = -sum": lambda lg, c: bits(lg, c) + 1,
        "one number per image": lambda lg, c: bits(lg, c)[:2],
        "raised": lambda lg, c: lg.view(5, -1),
    }
    for hint, answer in wrong.items():
        result = check_bits_per_image(answer, 512)
        assert not result and hint in result.message, (hint, result)
