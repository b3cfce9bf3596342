"""Checkers for chapter 3, "Drawing digits: DCGAN and the conditional GAN"."""

import numpy as np
import torch

from tutorial_lib.exercises import CheckResult, attempt, failed, passed
from tutorial_lib.gan.train import slerp
from tutorial_lib.metrics import class_spread
from tutorial_lib.training import mode_seeking_loss


def check_slerp(slerp_fn) -> CheckResult:
    """Exercise 3.1: slerp(z0, z1, steps) -> (steps, d) points on the great circle from z0 to z1,
    and the straight line when they are parallel."""
    generator = torch.Generator().manual_seed(3)
    z0, z1 = torch.randn(2, 64, generator=generator)
    answer, error = attempt(slerp_fn, z0.clone(), z1.clone(), 7)
    if error:
        return failed(error)
    answer = torch.as_tensor(answer, dtype=torch.float32)
    if answer.shape != (7, 64):
        return failed(f"return one row per step: shape (7, 64), got {tuple(answer.shape)}")
    if not (torch.allclose(answer[0], z0, atol=1e-4) and torch.allclose(answer[-1], z1, atol=1e-4)):
        return failed("the path must start at z0 and end at z1: use t = linspace(0, 1, steps)")
    t = torch.linspace(0, 1, 7)[:, None]
    if torch.allclose(answer, (1 - t) * z0 + t * z1, atol=1e-4):
        return failed("that is a straight line (lerp). Its midpoint has a norm of about "
                      f"{((z0 + z1) / 2).norm():.1f}, where the generator was trained on noise of "
                      f"norm about {z0.norm():.1f}: follow the arc, sin((1-t)ω) z0 + sin(tω) z1, "
                      "divided by sin ω")
    if not torch.allclose(answer, slerp(z0, z1, 7), atol=1e-4):
        return failed("not the great-circle path: ω is the angle between z0 and z1, "
                      "arccos(z0·z1 / (|z0| |z1|))")
    # Parallel vectors, equal ones included: ω = 0 and the formula is 0/0. A constant vector
    # makes the cosine exactly 1, so an unguarded formula does give NaN here.
    flat = torch.full((64,), 0.5)
    for name, start, end in (("equal", flat, flat), ("parallel", flat, 3 * flat),
                             ("parallel", z0, 2.5 * z0)):
        answer, error = attempt(slerp_fn, start.clone(), end.clone(), 5)
        if error:
            return failed(f"for {name} vectors {error}")
        answer = torch.as_tensor(answer, dtype=torch.float32)
        if not torch.isfinite(answer).all():
            return failed(f"for {name} vectors (z1 a positive multiple of z0) ω = 0, so sin ω = 0 "
                          "and the formula gives NaN (rounding can also push the cosine past 1, "
                          "where arccos is NaN): clamp the cosine to [-1, 1], and for ω near 0 "
                          "return the straight line, the arc's limit as ω → 0")
        t = torch.linspace(0, 1, 5)[:, None]
        if not torch.allclose(answer, (1 - t) * start + t * end, atol=1e-3):
            return failed(f"for {name} vectors the arc is the straight line from z0 to z1")
    return passed("slerp keeps every point at the typical distance from the origin, and "
                  "parallel noise vectors get the straight line")


def check_mode_seeking_loss(loss_fn) -> CheckResult:
    """Exercise 3.2: loss_fn(fake, z) -> MSGAN's term 1 / (mean|G(z1)-G(z2)| / mean|z1-z2| + eps),
    where the first and second halves of the batch are the pairs."""
    generator = torch.Generator().manual_seed(4)
    fake = torch.randn(8, 1, 28, 28, generator=generator)
    z = torch.randn(8, 64, generator=generator)
    answer, error = attempt(loss_fn, fake, z)
    if error:
        return failed(error)
    value = float(answer)
    truth = mode_seeking_loss(fake, z).item()
    fake_1, fake_2 = fake.chunk(2)
    z_1, z_2 = z.chunk(2)
    ratio = ((fake_1 - fake_2).abs().mean() / (z_1 - z_2).abs().mean()).item()
    if np.isclose(value, ratio, rtol=1e-3):
        return failed("that is the ratio itself; the generator *minimises* its loss, so the term "
                      "must shrink as the images move apart: use 1 / (ratio + eps)")
    if np.isclose(value, 1 / ((fake_1 - fake_2).abs().mean().item() + 1e-5), rtol=1e-3):
        return failed("divide the image distance by the noise distance |z1 - z2|: nearby noise "
                      "vectors may draw similar images, distant ones may not")
    if not np.isclose(value, truth, rtol=1e-3):
        return failed(f"expected {truth:.4f} for the test batch, got {value:.4f}")
    return passed("the generator now pays for drawing the same digit from different noise")


def check_class_spread(spread_fn) -> CheckResult:
    """Exercise 3.3: spread_fn(images, labels) -> the mean over classes of the per-pixel std of
    each class's images (the numerator of the diversity ratio)."""
    rng = np.random.default_rng(5)
    # a collapsed generator: every image of a class is the same, but classes differ
    collapsed = np.repeat(rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), 4, axis=0)
    labels = np.repeat(np.arange(3), 4)
    varied = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    answers = []
    for images in (collapsed, varied):
        answer, error = attempt(spread_fn, images.copy(), labels.copy())
        if error:
            return failed(error)
        answers.append(float(answer))
    if answers[0] > 1e-6:
        return failed(f"a generator that draws one image per class got {answers[0]:.1f}, not 0: "
                      "take the std within each class, not over all images at once")
    if not np.isclose(answers[1], class_spread(varied, labels), rtol=1e-3):
        return failed(f"expected {class_spread(varied, labels):.3f} on varied images, got "
                      f"{answers[1]:.3f}: per-pixel std over a class's images, averaged over "
                      "pixels, then over classes")
    return passed("0 for a collapsed generator however good its digits look")
