"""Chapter 2 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

import numpy as np
import torch
import torch.nn.functional as F

from tutorial_lib.exercises.ch02_gan_math import (
    check_discriminator_loss,
    check_generator_loss,
    check_optimal_discriminator,
)


def test_discriminator_loss_checker():
    assert check_discriminator_loss(
        lambda real, fake: F.softplus(-real).mean() + F.softplus(fake).mean())
    naive = check_discriminator_loss(lambda real, fake: -(torch.log(torch.sigmoid(real)).mean()
                                     + torch.log(1 - torch.sigmoid(fake)).mean()))
    assert not naive and "softplus" in naive.message
    flipped = check_discriminator_loss(
        lambda real, fake: -(F.softplus(-real).mean() + F.softplus(fake).mean()))
    assert "negative" in flipped.message


def test_generator_loss_checker():
    assert check_generator_loss(lambda fake: F.softplus(-fake).mean())
    assert "saturates" in check_generator_loss(lambda fake: -F.softplus(fake).mean()).message


def test_optimal_discriminator_checker():
    def reference(p, q):
        total = p + q
        return np.divide(p, total, out=np.full_like(total, 0.5), where=total > 0)

    assert check_optimal_discriminator(reference)
    assert "probability of *fake*" in check_optimal_discriminator(lambda p, q: q / (p + q)).message
    assert not check_optimal_discriminator(lambda p, q: p / q)
    naive = check_optimal_discriminator(lambda p, q: p / (p + q))  # NaN where both are zero
    assert not naive and "0/0" in naive.message
    zero_there = check_optimal_discriminator(lambda p, q: np.nan_to_num(p / (p + q)))
    assert not zero_there and "1/2" in zero_there.message
