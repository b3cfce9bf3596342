"""DCGAN networks for 28x28 grey images, optionally class-conditional.

The recipe is the PyTorch DCGAN tutorial's (Radford et al., 2016), scaled down to MNIST and a
CPU: the generator upsamples with transposed convolutions, each followed by BatchNorm and ReLU,
and ends in tanh; the discriminator downsamples with strided convolutions and LeakyReLU; all
weights start from N(0, 0.02).

With `num_classes` > 0 both networks take a label y as well:

- the generator concatenates a learnt label embedding to the noise z, so G(z, y) can draw a
  chosen digit;
- the discriminator is a *projection* discriminator (Miyato & Koyama, 2018):
  logit(x, y) = psi(phi(x)) + <embed(y), phi(x)>. phi extracts features, psi scores "real or
  not" regardless of class, and the inner product scores "does x look like class y". This is
  the form the optimal discriminator of a conditional GAN takes when the class posterior is
  log-linear in phi(x), and it trains better than feeding y in as an extra input.

Images are tensors of shape (N, 1, 28, 28) with values in [-1, 1] inside the networks.
"""

import torch
from torch import nn

from tutorial_lib.errors import BadInputError

IMAGE_SIZE = 28


def dcgan_init(module: nn.Module) -> None:
    """DCGAN's initialisation: conv weights ~ N(0, 0.02), BatchNorm scales ~ N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _check_labels(labels: torch.Tensor | None, batch: int, num_classes: int) -> None:
    """A conditional net needs one integer label in [0, num_classes) per sample; others none."""
    if num_classes == 0:
        if labels is not None:
            raise BadInputError("this network is unconditional (num_classes=0): pass no labels")
        return
    if labels is None:
        raise BadInputError(f"this network is conditional on {num_classes} classes: pass labels")
    if labels.shape != (batch,) or labels.dtype != torch.long:
        raise BadInputError(f"labels must be an int64 tensor of shape ({batch},), got "
                            f"{labels.dtype} {tuple(labels.shape)}")
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise BadInputError(f"labels must lie in 0..{num_classes - 1}")


class Generator(nn.Module):
    """G(z[, y]): noise (N, latent_dim) [and labels (N,)] -> images (N, 1, 28, 28) in [-1, 1].

    1x1 -> 7x7 -> 14x14 -> 28x28, channels 2*width -> width -> 1.
    """

    def __init__(self, latent_dim: int = 64, width: int = 32, num_classes: int = 0,
                 embed_dim: int = 16):
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        inputs = latent_dim + (embed_dim if num_classes else 0)
        self.net = nn.Sequential(
            # bias=False before BatchNorm: its mean subtraction would cancel the bias anyway
            nn.ConvTranspose2d(inputs, 2 * width, 7, 1, 0, bias=False),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1),
            nn.Tanh(),
        )
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise BadInputError(f"z must have shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        _check_labels(labels, len(z), self.num_classes)
        if self.embed is not None:
            z = torch.cat([z, self.embed(labels)], dim=1)
        return self.net(z[:, :, None, None])


class Discriminator(nn.Module):
    """D(x[, y]): images (N, 1, 28, 28) [and labels (N,)] -> logits (N,).

    phi: 28x28 -> 14x14 -> 7x7 (channels width -> 2*width) -> a feature vector of `features`
    numbers; psi: a linear score of phi(x); with classes, plus the projection <embed(y), phi(x)>.
    """

    def __init__(self, width: int = 32, num_classes: int = 0, features: int = 128):
        super().__init__()
        self.num_classes = num_classes
        self.phi = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1),  # no BatchNorm on the input layer, as in DCGAN
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * width * 7 * 7, features),
            nn.LeakyReLU(0.2),
        )
        self.psi = nn.Linear(features, 1)
        self.embed = nn.Embedding(num_classes, features) if num_classes else None
        self.apply(dcgan_init)

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if images.dim() != 4 or images.shape[1:] != (1, IMAGE_SIZE, IMAGE_SIZE):
            raise BadInputError(f"images must have shape (N, 1, {IMAGE_SIZE}, {IMAGE_SIZE}), "
                                f"got {tuple(images.shape)}")
        _check_labels(labels, len(images), self.num_classes)
        h = self.phi(images)
        logits = self.psi(h).squeeze(1)
        if self.embed is not None:
            logits = logits + (self.embed(labels) * h).sum(dim=1)
        return logits
