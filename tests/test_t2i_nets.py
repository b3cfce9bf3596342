"""Text-conditioned networks and losses: shapes, the projection term, the matching-aware loss."""

import pytest
import torch

from tutorial_lib.data.attributes import attribute_loss
from tutorial_lib.errors import BadInputError
from tutorial_lib.t2i.nets import (
    ConditioningAugmentation,
    MatchingDiscriminator,
    ProjectionDiscriminator,
    TextGenerator,
)
from tutorial_lib.t2i.train import d_hinge_loss, mismatch

torch.manual_seed(0)


def test_generator_and_discriminators_shapes():
    g = TextGenerator(cond_dim=18, latent_dim=8, width=8)
    images, kl = g(torch.randn(5, 8), torch.randn(5, 18))
    assert images.shape == (5, 3, 32, 32) and images.abs().max() <= 1 and kl.dim() == 0
    for cls in (ProjectionDiscriminator, MatchingDiscriminator):
        logits, attributes = cls(cond_dim=18, width=8, features=16)(images, torch.randn(5, 18))
        assert logits.shape == (5,) and attributes.shape == (5, 18)


def test_projection_term_is_the_inner_product_it_claims():
    d = ProjectionDiscriminator(cond_dim=6, width=8, features=16)
    x, c = torch.randn(4, 3, 32, 32), torch.randn(4, 6)
    h = d.phi(x)
    expected = d.psi(h).squeeze(1) + torch.einsum("nf,nf->n", c @ d.embed.weight.T, h)
    torch.testing.assert_close(d(x, c)[0], expected)
    # the condition enters only through <W c, phi(x)>: linear in c
    torch.testing.assert_close(d(x, 2 * c)[0] - d(x, c)[0], (d.embed(c) * h).sum(1))


def test_matching_aware_loss_counts_mismatched_pairs_as_fake():
    real, fake = torch.full((4,), 2.0), torch.full((4,), -2.0)  # D is right about both
    assert d_hinge_loss(real, fake) == 0
    # a real image with the wrong caption that D still calls real is penalised as a fake
    believed = torch.full((4,), 3.0)
    assert d_hinge_loss(real, fake, believed) == pytest.approx((1 + 3) / 2)
    assert d_hinge_loss(real, fake, -believed) == 0


def test_mismatch_never_pairs_a_scene_with_its_own_caption():
    codes = torch.tensor([[0, 0, 0, 0, 0]] * 3 + [[1, 1, 1, 1, 1]] * 3 + [[2, 0, 1, 0, 1]] * 2)
    order = mismatch(codes, torch.Generator().manual_seed(0))
    assert not (codes[order] == codes).all(dim=1).any()


def test_conditioning_augmentation_samples_in_training_and_uses_the_mean_in_eval():
    ca = ConditioningAugmentation(6, 4)
    c = torch.randn(3, 6)
    first, kl = ca(c)
    assert not torch.equal(first, ca(c)[0]) and kl > 0
    ca.eval()
    torch.testing.assert_close(ca(c)[0], ca(c)[0])


def test_attribute_loss_is_zero_for_confident_right_answers():
    codes = torch.tensor([[5, 3, 1, 2, 0]])
    logits = torch.full((1, 18), -50.0)
    for offset, code in zip((0, 6, 10, 12, 15), codes[0], strict=True):
        logits[0, offset + code] = 50.0
    assert attribute_loss(logits, codes) < 1e-6


def test_bad_shapes_get_clear_errors():
    g = TextGenerator(cond_dim=18, latent_dim=8, width=8)
    with pytest.raises(BadInputError, match="one condition vector per noise vector"):
        g(torch.randn(5, 8), torch.randn(4, 18))
    with pytest.raises(BadInputError, match="images must have shape"):
        ProjectionDiscriminator(18, 8, 16)(torch.randn(2, 3, 28, 28), torch.randn(2, 18))
