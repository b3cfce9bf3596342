"""Training a text-conditioned GAN on the shapes world.

The data are captioned images from the train split, captions in English and Chinese. Every
caption is turned into a condition vector once, by the chosen text encoder, before training.
One step updates D on real images with their captions, generated images with the same captions
and (for the matching-aware D) real images with someone else's caption; then G. The generator
we sample from is an EMA of G's weights (chapter 3).
"""

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError
from tutorial_lib.gan.train import update_ema
from tutorial_lib.runtime import seed_everything
from tutorial_lib.t2i.judge import attribute_codes
from tutorial_lib.t2i.nets import DISCRIMINATORS, TextGenerator, attribute_loss
from tutorial_lib.training import History, train_loop


@dataclass
class T2IConfig:
    """One text-to-image run; `attribute_weight` weighs the auxiliary attribute losses,
    `kl_weight` the conditioning augmentation's KL term."""

    discriminator: str = "projection"
    steps: int = 1500
    batch_size: int = 64
    g_lr: float = 5e-4
    d_lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    latent_dim: int = 32
    g_width: int = 32
    d_width: int = 32
    attribute_weight: float = 1.0
    kl_weight: float = 0.02
    ema_decay: float = 0.995
    train_images: int = 20_000
    seed: int = 0


@dataclass
class T2IRun:
    config: T2IConfig
    ema_generator: TextGenerator
    discriminator: torch.nn.Module
    history: History


def images_to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, 32, 32, 3) -> float (N, 3, 32, 32) in [-1, 1]."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1


def tensor_to_images(x: torch.Tensor) -> np.ndarray:
    """(N, 3, 32, 32) in [-1, 1] -> uint8 (N, 32, 32, 3)."""
    return ((x + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def training_data(encoder, n: int, seed: int):
    """(images, condition vectors, attribute codes) of n captioned train-split images, half
    their captions English and half Chinese; each distinct caption is encoded once."""
    sample = shapes.sample(n, seed=seed, split="train", lang="both")
    unique = sorted(set(sample.captions))
    row = {caption: i for i, caption in enumerate(unique)}
    table = encoder(unique)
    conditions = table[torch.tensor([row[c] for c in sample.captions])]
    return (images_to_tensor(sample.images), conditions,
            torch.from_numpy(attribute_codes(sample.attrs)))


def d_hinge_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                 mismatched_logits: torch.Tensor | None = None) -> torch.Tensor:
    """The discriminator's hinge loss, E[max(0, 1 - D(x, c))] + E[max(0, 1 + D(G(z, c), c))].

    With `mismatched_logits` (D on real images paired with captions of *other* scenes) it is
    the matching-aware loss of GAN-INT-CLS: a real image with the wrong caption counts as a
    fake, and the two kinds of fake share the fake half of the loss. Then D must check that
    image and caption agree, not only that the image looks real.
    """
    real_term = F.relu(1 - real_logits).mean()
    if mismatched_logits is None:
        return real_term + F.relu(1 + fake_logits).mean()
    return real_term + (F.relu(1 + fake_logits).mean()
                        + F.relu(1 + mismatched_logits).mean()) / 2


def mismatch(codes: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """For each item of a batch, the index of another item whose scene differs (codes (N, 5)):
    a random permutation, with any pair that happens to describe the same scene re-drawn."""
    order = torch.randperm(len(codes), generator=rng)
    for _ in range(10):
        same = (codes[order] == codes).all(dim=1)
        if not same.any():
            break
        order[same] = torch.randint(len(codes), (int(same.sum()),), generator=rng)
    return order


def train_t2i(encoder, config: T2IConfig | None = None, progress: bool = True) -> T2IRun:
    """Train G(z, c) against the configured discriminator with hinge losses."""
    config = config or T2IConfig()
    if config.discriminator not in DISCRIMINATORS:
        raise BadInputError(f"unknown discriminator {config.discriminator!r}; choose one of "
                            f"{', '.join(DISCRIMINATORS)}")
    rng = seed_everything(config.seed)
    real, conditions, codes = training_data(encoder, config.train_images, config.seed)
    g_net = TextGenerator(encoder.dim, config.latent_dim, config.g_width)
    d_net = DISCRIMINATORS[config.discriminator](encoder.dim, config.d_width)
    ema = copy.deepcopy(g_net)
    g_opt = torch.optim.Adam(g_net.parameters(), lr=config.g_lr, betas=config.betas)
    d_opt = torch.optim.Adam(d_net.parameters(), lr=config.d_lr, betas=config.betas)
    matching = config.discriminator == "matching"

    def step(i):
        batch = torch.randint(len(real), (config.batch_size,), generator=rng)
        x, c, y = real[batch], conditions[batch], codes[batch]
        z = torch.randn(config.batch_size, config.latent_dim, generator=rng)
        with torch.no_grad():
            fake, _ = g_net(z, c)
        real_logits, real_attributes = d_net(x, c)
        fake_logits, _ = d_net(fake, c)
        mismatched_logits = None
        if matching:
            mismatched_logits = d_net(x, c[mismatch(y, rng)])[0]
        d_loss = (d_hinge_loss(real_logits, fake_logits, mismatched_logits)
                  + config.attribute_weight * attribute_loss(real_attributes, y))
        d_opt.zero_grad()
        d_loss.backward()
        d_opt.step()

        fake, kl = g_net(torch.randn(config.batch_size, config.latent_dim, generator=rng), c)
        d_net.requires_grad_(False)
        fake_logits, fake_attributes = d_net(fake, c)
        adversarial = -fake_logits.mean()
        attributes = attribute_loss(fake_attributes, y)
        g_loss = adversarial + config.attribute_weight * attributes + config.kl_weight * kl
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
        d_net.requires_grad_(True)
        update_ema(ema, g_net, min(config.ema_decay, (1 + i) / (10 + i)))
        return {"d_loss": d_loss.item(), "g_loss": adversarial.item(),
                "g_attributes": attributes.item(), "kl": kl.item()}

    g_net.train()
    d_net.train()
    history = train_loop(step, config.steps, log_every=10,
                         desc=f"text-to-image GAN ({config.discriminator} D)", progress=progress)
    return T2IRun(config, ema.eval(), d_net.eval(), history)


@torch.no_grad()
def generate_from_conditions(generator: TextGenerator, conditions: torch.Tensor,
                             seed: int = 0) -> np.ndarray:
    """One uint8 image (32, 32, 3) per condition vector, noise drawn from `seed`."""
    z = torch.randn(len(conditions), generator.latent_dim,
                    generator=torch.Generator().manual_seed(seed))
    generator.eval()
    return tensor_to_images(generator(z, conditions)[0])
