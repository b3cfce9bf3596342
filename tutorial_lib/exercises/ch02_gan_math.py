"""Checkers for chapter 2, "The GAN game"."""

import numpy as np
import torch

from tutorial_lib.exercises import CheckResult, failed, passed
from tutorial_lib.gan.losses import d_loss_standard, g_loss_minimax, g_loss_non_saturating
from tutorial_lib.gan.theory import optimal_discriminator

MODERATE = (torch.tensor([1.2, 0.3, -0.4]), torch.tensor([-1.0, 0.5, -2.0]))
EXTREME = (torch.tensor([60.0, -60.0]), torch.tensor([-60.0, 60.0]))


def _call(fn, *args):
    """The learner's result as a float, or the hint describing how it failed."""
    try:
        value = fn(*args)
        return float(value), None
    except Exception as err:  # a learner's bug becomes a hint, not a traceback
        return None, f"your function raised {type(err).__name__}: {err}"


def check_discriminator_loss(d_loss) -> CheckResult:
    """Exercise 2.1: d_loss(real_logits, fake_logits) = -E[log D(x)] - E[log(1 - D(G(z)))]."""
    value, error = _call(d_loss, *MODERATE)
    if error:
        return failed(error)
    truth = d_loss_standard(*MODERATE).item()
    if np.isclose(value, -truth, rtol=1e-5):
        return failed("that is V(D, G), which D maximises; the loss to minimise is its negative")
    if not np.isclose(value, truth, rtol=1e-5):
        return failed(f"expected {truth:.4f} for the test logits, got {value:.4f}; remember "
                      "D = sigmoid(logit) and average over each batch")
    value, error = _call(d_loss, *EXTREME)
    if error or not np.isfinite(value) or not np.isclose(value, d_loss_standard(*EXTREME).item(),
                                                         rtol=1e-4):
        return failed("right on ordinary logits, but not for logits of ±60: write log D as "
                      "-softplus(-logit) (or F.logsigmoid), not log(sigmoid(logit))")
    return passed("your discriminator loss matches, and stays finite for confident logits")


def check_generator_loss(g_loss) -> CheckResult:
    """Exercise 2.2: the non-saturating generator loss -E[log D(G(z))]."""
    fake = MODERATE[1]
    value, error = _call(g_loss, fake)
    if error:
        return failed(error)
    if np.isclose(value, g_loss_minimax(fake).item(), rtol=1e-5):
        return failed("that is the minimax loss E[log(1 - D(G(z)))], which saturates when D "
                      "rejects the samples; the non-saturating loss is -E[log D(G(z))]")
    if not np.isclose(value, g_loss_non_saturating(fake).item(), rtol=1e-5):
        return failed(f"expected {g_loss_non_saturating(fake).item():.4f}, got {value:.4f}")
    return passed("the non-saturating loss: strong gradients exactly when G is losing")


def check_optimal_discriminator(d_star) -> CheckResult:
    """Exercise 2.3: d_star(p_data, p_g) -> the optimal discriminator, elementwise, and 1/2 where
    both densities are zero."""
    p_data = np.array([0.4, 0.1, 0.0, 0.25, 1.0, 0.0])
    p_g = np.array([0.1, 0.3, 0.2, 0.25, 0.0, 0.0])
    try:
        with np.errstate(all="ignore"):  # a wrong formula may divide by zero: that is a hint
            answer = np.asarray(d_star(p_data, p_g), dtype=float)
    except Exception as err:
        return failed(f"your function raised {type(err).__name__}: {err}")
    # Where neither density has mass, V(D, G) does not depend on D(x); the exercise asks for 1/2.
    some_mass = p_data + p_g > 0
    truth = np.where(some_mass, optimal_discriminator(p_data, p_g), 0.5)
    if answer.shape != truth.shape:
        return failed(f"return one value per point: shape {truth.shape}, got {answer.shape}")
    if np.allclose(answer[some_mass], 1 - truth[some_mass]):
        return failed("that is the probability of *fake*; D(x) is the probability that x is real")
    if not np.allclose(answer[some_mass], truth[some_mass]):
        return failed("D*(x) = p_data(x) / (p_data(x) + p_g(x))")
    if np.isnan(answer[~some_mass]).any():
        return failed("right wherever a density is positive, but where both are zero p_data / "
                      "(p_data + p_g) is 0/0 = NaN: return 1/2 there (np.divide with `where=` "
                      "and `out=` does it)")
    if not np.allclose(answer[~some_mass], 0.5):
        return failed("right wherever a density is positive; where both are zero, return 1/2")
    return passed("D* = p_data / (p_data + p_g): 1/2 wherever the generator matches the data, "
                  "and 1/2 where neither has mass")
