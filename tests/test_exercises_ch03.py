"""Chapter 3 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

import numpy as np
import pytest
import torch

from tutorial_lib.errors import BadInputError
from tutorial_lib.exercises.ch03_digit_gans import (
    check_class_spread,
    check_mode_seeking_loss,
    check_slerp,
)
from tutorial_lib.gan.train import slerp


def learner_slerp(z0, z1, steps):
    cosine = torch.dot(z0, z1) / (z0.norm() * z1.norm())
    omega = torch.arccos(cosine.clamp(-1, 1))
    t = torch.linspace(0, 1, steps)[:, None]
    if omega < 1e-4:
        return (1 - t) * z0 + t * z1
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def unguarded_slerp(z0, z1, steps):
    """The formula alone: NaN for parallel vectors, where omega = 0."""
    omega = torch.arccos(torch.dot(z0, z1) / (z0.norm() * z1.norm()))
    t = torch.linspace(0, 1, steps)[:, None]
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def test_slerp_checker():
    assert check_slerp(learner_slerp)
    lerp = check_slerp(lambda z0, z1, n: torch.stack([z0 + t * (z1 - z0)
                                                      for t in torch.linspace(0, 1, n)]))
    assert not lerp and "straight line" in lerp.message
    no_end = check_slerp(lambda z0, z1, n: learner_slerp(z0, z1, n + 1)[:n])
    assert not no_end and "end at z1" in no_end.message
    assert "raised" in check_slerp(lambda z0, z1, n: z0 @ z1 @ z0).message
    # the right angle, the wrong weights: normalised lerp ends right but leaves the arc's pace
    wrong_pace = check_slerp(lambda z0, z1, n: torch.stack(
        [((1 - t) * z0 + t * z1) / ((1 - t) * z0 + t * z1).norm() * z0.norm()
         for t in torch.linspace(0, 1, n)]))
    assert not wrong_pace
    nan = check_slerp(unguarded_slerp)
    assert not nan and "NaN" in nan.message
    # finite for parallel vectors, but not the straight line: the midpoint of z0 and z1 each time
    midpoint = check_slerp(lambda z0, z1, n: learner_slerp(z0, z1, n) if
                           torch.dot(z0, z1) < 0.999 * z0.norm() * z1.norm()
                           else ((z0 + z1) / 2).repeat(n, 1))
    assert not midpoint and "straight line from z0 to z1" in midpoint.message
    assert check_slerp(slerp)  # the library's own


def test_library_slerp_keeps_the_norm_and_rejects_bad_input():
    z0, z1 = torch.randn(2, 64, generator=torch.Generator().manual_seed(0))
    path = slerp(z0, z1, 9)
    torch.testing.assert_close(path[[0, -1]], torch.stack([z0, z1]))
    # between two vectors of the same norm, every point of the arc has that norm
    same = z1 * z0.norm() / z1.norm()
    torch.testing.assert_close(slerp(z0, same, 9).norm(dim=1), z0.norm().repeat(9))
    assert path.shape == (9, 64)
    torch.testing.assert_close(slerp(z0, z0, 3), z0.repeat(3, 1))
    with pytest.raises(BadInputError):
        slerp(z0, z1[:10], 5)


def reference_mode_seeking(fake, z, eps=1e-5):
    fake_1, fake_2 = fake.chunk(2)
    z_1, z_2 = z.chunk(2)
    return 1 / ((fake_1 - fake_2).abs().mean() / (z_1 - z_2).abs().mean() + eps)


def test_mode_seeking_checker():
    assert check_mode_seeking_loss(reference_mode_seeking)
    ratio = check_mode_seeking_loss(lambda f, z: 1 / reference_mode_seeking(f, z) - 1e-5)
    assert not ratio and "minimises" in ratio.message
    no_z = check_mode_seeking_loss(
        lambda f, z: 1 / ((f.chunk(2)[0] - f.chunk(2)[1]).abs().mean() + 1e-5))
    assert not no_z and "noise distance" in no_z.message
    assert not check_mode_seeking_loss(lambda f, z: (f[:4] - f[4:]).pow(2).mean())


def learner_spread(images, labels):
    x = images.reshape(len(images), -1).astype(float)
    return np.mean([x[labels == c].std(axis=0).mean() for c in np.unique(labels)])


def test_class_spread_checker():
    assert check_class_spread(learner_spread)
    pooled = check_class_spread(lambda images, labels: images.reshape(len(images), -1)
                                .astype(float).std(axis=0).mean())
    assert not pooled and "within each class" in pooled.message
    unbiased = check_class_spread(lambda images, labels: np.mean(
        [images[labels == c].reshape(-1, 784).astype(float).std(axis=0, ddof=1).mean()
         for c in np.unique(labels)]))
    assert not unbiased and "expected" in unbiased.message
