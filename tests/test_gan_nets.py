"""DCGAN networks: shapes, ranges, the projection discriminator's formula, deterministic draws."""

import numpy as np
import pytest
import torch

from tutorial_lib.errors import BadInputError
from tutorial_lib.gan.nets import Discriminator, Generator
from tutorial_lib.gan.train import generate


def test_generator_shapes_and_range():
    for num_classes in (0, 10):
        g = Generator(latent_dim=16, width=8, num_classes=num_classes)
        labels = torch.arange(5) % 10 if num_classes else None
        out = g(torch.randn(5, 16), labels)
        assert out.shape == (5, 1, 28, 28)
        assert out.min() >= -1 and out.max() <= 1


def test_discriminator_returns_one_logit_per_image():
    for num_classes in (0, 10):
        d = Discriminator(width=8, num_classes=num_classes, features=32)
        labels = torch.arange(6) if num_classes else None
        assert d(torch.rand(6, 1, 28, 28) * 2 - 1, labels).shape == (6,)


def test_dcgan_initialisation():
    g = Generator(latent_dim=16, width=32)
    weight = g.net[3].weight  # the 7x7 -> 14x14 transposed convolution
    assert abs(weight.mean().item()) < 0.002 and weight.std().item() == pytest.approx(0.02, 0.05)


def test_projection_term_is_the_inner_product_of_embedding_and_features():
    torch.manual_seed(0)
    d = Discriminator(width=8, num_classes=10, features=32).eval()
    torch.nn.init.normal_(d.embed.weight)  # make the projection term large enough to matter
    x, y = torch.rand(4, 1, 28, 28) * 2 - 1, torch.tensor([3, 0, 9, 3])
    with torch.no_grad():
        h = d.phi(x)
        by_hand = d.psi.weight[0] @ h.T + d.psi.bias + torch.stack(
            [torch.dot(d.embed.weight[label], h[i]) for i, label in enumerate(y)])
        logits = d(x, y)
    torch.testing.assert_close(logits, by_hand)
    # the same image scored as another class differs exactly by the projection term
    other = torch.tensor([5, 5, 5, 5])
    with torch.no_grad():
        diff = logits - d(x, other)
        expected = ((d.embed.weight[y] - d.embed.weight[other]) * h).sum(1)
    torch.testing.assert_close(diff, expected)


def test_conditional_generation_is_deterministic_for_a_seed():
    g = Generator(latent_dim=16, width=8, num_classes=10)
    labels = np.repeat(np.arange(10), 3)
    first = generate(g, 30, labels, seed=4)
    g(torch.randn(64, 16), torch.zeros(64, dtype=torch.long))  # unrelated use in between
    assert first.dtype == np.uint8 and first.shape == (30, 28, 28)
    np.testing.assert_array_equal(first, generate(g, 30, labels, seed=4))
    assert not np.array_equal(first, generate(g, 30, labels, seed=5))
    # eval mode: an image depends on its own z and label only, not on the rest of the batch
    np.testing.assert_array_equal(first[:3], generate(g, 3, labels[:3], seed=4))


def test_bad_labels_and_shapes_raise():
    g = Generator(latent_dim=16, width=8, num_classes=10)
    with pytest.raises(BadInputError, match="conditional"):
        g(torch.randn(2, 16))
    with pytest.raises(BadInputError, match="0..9"):
        g(torch.randn(2, 16), torch.tensor([0, 10]))
    with pytest.raises(BadInputError, match="z must have shape"):
        g(torch.randn(2, 15), torch.tensor([0, 1]))
    with pytest.raises(BadInputError, match="unconditional"):
        Discriminator(width=8)(torch.zeros(2, 1, 28, 28), torch.tensor([0, 1]))
    with pytest.raises(BadInputError, match="images must have shape"):
        Discriminator(width=8)(torch.zeros(2, 28, 28))
