"""The 1-D GAN theory: D* and C(G) = -log 4 + 2 JSD, and a trained D that reaches D*."""

import math

import numpy as np
import pytest

from tutorial_lib.errors import BadInputError
from tutorial_lib.gan.theory import (
    GaussianMixture1D,
    jensen_shannon,
    optimal_discriminator,
    saturation_gradients,
    train_discriminator_1d,
    value_at_optimum,
)

DATA = GaussianMixture1D(means=(-2.0, 1.5), stds=(0.6, 0.8), weights=(0.4, 0.6))
MODEL = GaussianMixture1D(means=(0.0,), stds=(1.5,), weights=(1.0,))
GRID = np.linspace(-8, 8, 20001)
DX = GRID[1] - GRID[0]


def test_densities_integrate_to_one():
    assert DATA.density(GRID).sum() * DX == pytest.approx(1, abs=1e-6)


def test_value_at_optimum_is_minus_log4_plus_2jsd():
    p, q = DATA.density(GRID), MODEL.density(GRID)
    # equal up to the grid's truncation of the Gaussian tails
    identity = -math.log(4) + 2 * jensen_shannon(p, q, DX)
    assert value_at_optimum(p, q, DX) == pytest.approx(identity, abs=1e-6)
    assert value_at_optimum(p, p, DX) == pytest.approx(-math.log(4), abs=1e-6)
    assert 0 < jensen_shannon(p, q, DX) < math.log(2)



def test_scipy_jensenshannon_is_the_square_root_of_the_divergence():
    # Chapter 2 tells learners so: SciPy's function is the JS *distance*, in nats by default.
    from scipy.spatial.distance import jensenshannon as scipy_js

    p, q = DATA.density(GRID), MODEL.density(GRID)
    divergence = jensen_shannon(p, q, DX)
    assert scipy_js(p, q) ** 2 == pytest.approx(divergence, rel=1e-6)
    assert scipy_js(p, q, base=2) ** 2 == pytest.approx(divergence / math.log(2), rel=1e-6)

def test_trained_discriminator_reaches_the_optimal_one():
    discriminator, history = train_discriminator_1d(DATA, MODEL, steps=600, seed=0)
    p, q = DATA.density(GRID), MODEL.density(GRID)
    bulk = (p + q) / 2 > 0.02  # where there are samples to learn from
    error = np.abs(discriminator(GRID[bulk]) - optimal_discriminator(p, q)[bulk])
    assert error.mean() < 0.03 and error.max() < 0.12
    # the loss it reaches is -C(G): the value of the game at the optimum
    assert history.last("d_loss", window=10) == pytest.approx(-value_at_optimum(p, q, DX),
                                                              abs=0.03)


def test_saturation():
    grads = saturation_gradients(np.array([1e-4, 0.5, 0.9999]))
    assert grads["minimax"][0] < 1e-3 and grads["non_saturating"][0] > 0.99
    assert grads["minimax"][2] > 0.99 and grads["non_saturating"][2] < 1e-3


def test_bad_mixture():
    with pytest.raises(BadInputError, match="summing to 1"):
        GaussianMixture1D(means=(0.0,), stds=(1.0,), weights=(0.5,))


def test_the_raw_score_objective_grows_without_bound_where_the_log_objective_cannot():
    """The guide's objective (a difference of raw scores) has no maximum: at a constant learning
    rate an unconstrained critic's gap keeps growing, while V(D, G) stays below 0."""
    from tutorial_lib.gan.losses import d_loss_wgan

    _, raw = train_discriminator_1d(DATA, MODEL, steps=300, loss_fn=d_loss_wgan, anneal=False)
    _, log = train_discriminator_1d(DATA, MODEL, steps=300, anneal=False)
    gaps = -np.array(raw.values["d_loss"])
    assert gaps[-30:].mean() > 10 * max(gaps[:30].mean(), 1.0)
    assert (-np.array(log.values["d_loss"]) < 0).all()
