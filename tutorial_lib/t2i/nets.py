"""A generator G(z, c) conditioned on a caption vector, and two discriminators D(x, c).

Images are (N, 3, 32, 32) in [-1, 1] inside the networks; c is a condition vector from
`text.encoders`: 18 attribute probabilities.

- Conditioning augmentation (StackGAN, Zhang et al. 2017): c is mapped to a Gaussian
  N(mu(c), sigma(c)^2) and G sees a sample of it. A KL term keeps that Gaussian near N(0, I), so
  the condition space stays smooth: nearby captions, nearby images, and a paraphrase that lands
  between training captions still gets a sensible condition.
- The generator modulates every block with the condition (conditional BatchNorm: the scale and
  shift after normalising come from c) and sees two coordinate channels (CoordConv), because
  "top left" is a statement about coordinates that plain convolutions cannot express.
- `ProjectionDiscriminator` (Miyato & Koyama 2018): logit = psi(phi(x)) + <W c, phi(x)>.
- `MatchingDiscriminator` (GAN-INT-CLS, Reed et al. 2016): phi(x) and c are concatenated and
  scored by an MLP; the training loop shows it real images with *mismatched* captions as fakes.
- Both carry an auxiliary head that reads the attributes off phi(x) (AC-GAN, Odena et al.
  2017): trained on real images, it gives the generator a direct signal for each attribute.
"""

import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.data import shapes
from tutorial_lib.data.attributes import ATTRIBUTE_CLASSES
from tutorial_lib.errors import BadInputError

IMAGE_SIZE = shapes.IMAGE_SIZE


def coordinates(x: torch.Tensor) -> torch.Tensor:
    """x (N, C, H, W) with two more channels: the row and column coordinate in [-1, 1]."""
    n, _, height, width = x.shape
    rows = torch.linspace(-1, 1, height, device=x.device).view(1, 1, height, 1)
    cols = torch.linspace(-1, 1, width, device=x.device).view(1, 1, 1, width)
    return torch.cat([x, rows.expand(n, 1, height, width), cols.expand(n, 1, height, width)], 1)


class ConditioningAugmentation(nn.Module):
    """c -> a sample of N(mu(c), diag sigma(c)^2), and the KL divergence of that Gaussian from
    N(0, I) to add to the generator's loss. In eval mode the mean is used."""

    def __init__(self, cond_dim: int, out_dim: int):
        super().__init__()
        self.linear = nn.Linear(cond_dim, 2 * out_dim)

    def forward(self, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_var = self.linear(c).chunk(2, dim=1)
        kl = 0.5 * (mu.pow(2) + log_var.exp() - 1 - log_var).sum(1).mean()
        if not self.training:
            return mu, kl
        return mu + (0.5 * log_var).exp() * torch.randn_like(mu), kl


class ConditionalBatchNorm(nn.Module):
    """BatchNorm without its own scale and shift; those come from the condition instead."""

    def __init__(self, channels: int, cond_dim: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.scale_shift = nn.Linear(cond_dim, 2 * channels)
        nn.init.zeros_(self.scale_shift.weight)  # starts as plain BatchNorm
        nn.init.zeros_(self.scale_shift.bias)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        scale, shift = self.scale_shift(cond)[:, :, None, None].chunk(2, dim=1)
        return self.norm(x) * (1 + scale) + shift


class UpBlock(nn.Module):
    """Double the size, then a 3x3 convolution over features and coordinates, modulated by c."""

    def __init__(self, inputs: int, outputs: int, cond_dim: int):
        super().__init__()
        self.conv = nn.Conv2d(inputs + 2, outputs, 3, padding=1, bias=False)
        self.norm = ConditionalBatchNorm(outputs, cond_dim)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return F.relu(self.norm(self.conv(coordinates(x)), cond))


class TextGenerator(nn.Module):
    """G(z, c): noise (N, latent_dim) and conditions (N, cond_dim) -> images (N, 3, 32, 32)."""

    def __init__(self, cond_dim: int, latent_dim: int = 32, width: int = 32, ca_dim: int = 64):
        super().__init__()
        self.cond_dim, self.latent_dim = cond_dim, latent_dim
        self.augment = ConditioningAugmentation(cond_dim, ca_dim)
        code = latent_dim + ca_dim
        self.start = nn.Linear(code, 4 * width * 4 * 4)
        self.blocks = nn.ModuleList([UpBlock(4 * width, 2 * width, code),  # 8x8
                                     UpBlock(2 * width, width, code),  # 16x16
                                     UpBlock(width, width, code)])  # 32x32
        self.out = nn.Conv2d(width + 2, 3, 3, padding=1)
        self.width = width

    def forward(self, z: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(images, KL of the conditioning augmentation)."""
        _check_pair(z, self.latent_dim, c, self.cond_dim)
        augmented, kl = self.augment(c)
        code = torch.cat([z, augmented], dim=1)
        x = F.relu(self.start(code)).view(len(z), 4 * self.width, 4, 4)
        for block in self.blocks:
            x = block(x, code)
        return torch.tanh(self.out(coordinates(x))), kl


def _check_pair(z, latent_dim, c, cond_dim):
    if z.dim() != 2 or z.shape[1] != latent_dim:
        raise BadInputError(f"z must have shape (N, {latent_dim}), got {tuple(z.shape)}")
    if c.dim() != 2 or c.shape != (len(z), cond_dim):
        raise BadInputError(f"conditions must have shape ({len(z)}, {cond_dim}), got "
                            f"{tuple(c.shape)}: one condition vector per noise vector")


class ImageFeatures(nn.Module):
    """phi(x): (N, 3, 32, 32) -> (N, features), strided convolutions over pixels and
    coordinates, LeakyReLU, no normalisation (it would couple the real and fake batches)."""

    def __init__(self, width: int = 32, features: int = 256):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(3 + 2, width, 4, 2, 1),  # 16x16
                                    nn.Conv2d(width + 2, 2 * width, 4, 2, 1),  # 8x8
                                    nn.Conv2d(2 * width + 2, 4 * width, 4, 2, 1)])  # 4x4
        self.linear = nn.Linear(4 * width * 16, features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1:] != (3, IMAGE_SIZE, IMAGE_SIZE):
            raise BadInputError(f"images must have shape (N, 3, {IMAGE_SIZE}, {IMAGE_SIZE}), "
                                f"got {tuple(x.shape)}")
        for conv in self.convs:
            x = F.leaky_relu(conv(coordinates(x)), 0.2)
        return F.leaky_relu(self.linear(x.flatten(1)), 0.2)


class ProjectionDiscriminator(nn.Module):
    """D(x, c) = psi(phi(x)) + <W c, phi(x)>; `attributes(x)` reads the attributes off phi(x)."""

    def __init__(self, cond_dim: int, width: int = 32, features: int = 256):
        super().__init__()
        self.phi = ImageFeatures(width, features)
        self.psi = nn.Linear(features, 1)
        self.embed = nn.Linear(cond_dim, features, bias=False)
        self.attribute_head = nn.Linear(features, sum(ATTRIBUTE_CLASSES))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits (N,), attribute logits (N, 18))."""
        h = self.phi(x)
        return (self.psi(h).squeeze(1) + (self.embed(c) * h).sum(1),
                self.attribute_head(h))


class MatchingDiscriminator(nn.Module):
    """GAN-INT-CLS's D(x, c): an MLP on [phi(x), a compressed c]; `attribute_head` as above."""

    def __init__(self, cond_dim: int, width: int = 32, features: int = 256, text_dim: int = 64):
        super().__init__()
        self.phi = ImageFeatures(width, features)
        self.text = nn.Sequential(nn.Linear(cond_dim, text_dim), nn.LeakyReLU(0.2))
        self.score = nn.Sequential(nn.Linear(features + text_dim, features), nn.LeakyReLU(0.2),
                                   nn.Linear(features, 1))
        self.attribute_head = nn.Linear(features, sum(ATTRIBUTE_CLASSES))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.phi(x)
        return (self.score(torch.cat([h, self.text(c)], 1)).squeeze(1),
                self.attribute_head(h))


DISCRIMINATORS = {"projection": ProjectionDiscriminator, "matching": MatchingDiscriminator}
