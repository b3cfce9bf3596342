"""GAN losses equal their formulas, computed by hand on small numbers."""

import math

import pytest
import torch

from tutorial_lib.errors import BadInputError
from tutorial_lib.gan import losses


def logit(p):
    return torch.logit(torch.tensor(p, dtype=torch.float64))


def test_value_function_and_standard_losses_by_hand():
    real, fake = logit([0.8, 0.6]), logit([0.3, 0.1])
    v = (math.log(0.8) + math.log(0.6)) / 2 + (math.log(0.7) + math.log(0.9)) / 2
    assert losses.value_function(real, fake).item() == pytest.approx(v)
    assert losses.d_loss_standard(real, fake).item() == pytest.approx(-v)
    assert losses.g_loss_minimax(fake).item() == pytest.approx((math.log(0.7) + math.log(0.9)) / 2)
    assert losses.g_loss_non_saturating(fake).item() == pytest.approx(
        -(math.log(0.3) + math.log(0.1)) / 2)


def test_optimal_discriminator_value_is_minus_log_4_when_distributions_match():
    half = logit([0.5, 0.5, 0.5])
    assert losses.value_function(half, half).item() == pytest.approx(-math.log(4))


def test_logit_losses_stay_finite_where_probabilities_saturate():
    extreme = torch.tensor([80.0, -80.0], dtype=torch.float64)
    for value in [losses.d_loss_standard(extreme, extreme), losses.g_loss_minimax(extreme),
                  losses.g_loss_non_saturating(extreme)]:
        assert torch.isfinite(value)


def test_wgan_and_hinge_by_hand():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-0.5, 1.5])
    assert losses.d_loss_wgan(real, fake).item() == pytest.approx(0.5 - 1.25)
    assert losses.g_loss_wgan(fake).item() == pytest.approx(-0.5)
    # hinge: relu(1-2)=0, relu(1-0.5)=0.5 -> 0.25; relu(1-0.5)=0.5, relu(1+1.5)=2.5 -> 1.5
    assert losses.d_loss_hinge(real, fake).item() == pytest.approx(0.25 + 1.5)
    assert losses.g_loss_hinge(fake).item() == pytest.approx(-0.5)


def test_gradient_penalty_by_hand():
    """f(x) = a . x has gradient a everywhere: penalty = w (|a| - 1)^2 for any mix of points."""
    a = torch.tensor([3.0, 4.0])
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    penalty = losses.gradient_penalty(lambda x: x @ a, real, fake, weight=10.0)
    assert penalty.item() == pytest.approx(10.0 * (5.0 - 1.0) ** 2)
    unit = losses.gradient_penalty(lambda x: x @ (a / 5), real, fake)
    assert unit.item() == pytest.approx(0.0, abs=1e-10)
    with pytest.raises(BadInputError, match="same shape"):
        losses.gradient_penalty(lambda x: x @ a, real, fake[:4])


def test_saturation_gradients():
    """d/dlogit of the minimax loss vanishes as D(G(z)) -> 0; the non-saturating one does not."""
    fake = torch.tensor([-8.0], requires_grad=True)
    (g_minimax,) = torch.autograd.grad(losses.g_loss_minimax(fake), fake)
    (g_non_saturating,) = torch.autograd.grad(losses.g_loss_non_saturating(fake), fake)
    assert abs(g_minimax.item()) < 1e-3 < 0.99 < abs(g_non_saturating.item())


def test_named_losses():
    d_loss, g_loss = losses.get_losses("hinge")
    assert d_loss is losses.d_loss_hinge and g_loss is losses.g_loss_hinge
    with pytest.raises(BadInputError, match="unknown GAN loss 'lsgan'"):
        losses.get_losses("lsgan")
