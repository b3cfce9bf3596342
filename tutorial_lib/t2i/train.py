"""Training a text-conditioned GAN on the shapes world.

The data are captioned images from the train split, captions in English and Chinese. Every
caption is turned into a condition vector once, by the chosen text encoder, before training.
One step updates D on real images with their captions, generated images with the same captions
and (for the matching-aware D) real images with someone else's caption; then G. The generator
we sample from is an EMA of G's weights (chapter 3).
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from tutorial_lib.data import shapes
from tutorial_lib.data.attributes import attribute_loss
from tutorial_lib.data.tensors import tensor_to_images, training_data
from tutorial_lib.errors import BadInputError
from tutorial_lib.runtime import seed_everything
from tutorial_lib.t2i.nets import DISCRIMINATORS, TextGenerator
from tutorial_lib.training import History, mode_seeking_loss, train_loop, update_ema


@dataclass
class T2IConfig:
    """One text-to-image run; `attribute_weight` weighs the auxiliary attribute losses,
    `kl_weight` the conditioning augmentation's KL term. Every `snapshot_every` steps the EMA
    generator draws the same `snapshot_size` validation captions of seen scenes (English and
    Chinese) with the same noise; given a `validate` function, train_t2i scores each snapshot
    and keeps the EMA weights of the best one (model selection on a validation set).

    Why these defaults: a higher learning rate and attribute weight than a first guess get
    the shape right within the budget; clipping both networks' gradient norms (`clip_norm`)
    stops the occasional step that blows the losses up and makes the generator start over
    (spectral normalisation, the usual cure, learns too slowly for this budget); the best
    validation snapshot guards against a run whose last weights are not its best.
    `mode_seeking` weighs chapter 3's mode-seeking term (0 turns it off): the generator's batch
    is then pairs of noise vectors with the same caption. Without it the generator uses little
    of its noise and draws little of a scene's real variety; the weight is small because the
    term's gradient grows as 1/ratio^2, and larger weights spread a caption's images past the
    real variety of its scene at the cost of drawing the scene right. `make bench` measures
    the result (t2i_diversity, t2i_seen_all_correct).
    """

    discriminator: str = "projection"
    steps: int = 1500
    batch_size: int = 64
    g_lr: float = 1e-3
    d_lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    latent_dim: int = 32
    g_width: int = 16
    d_width: int = 32
    attribute_weight: float = 3.0
    kl_weight: float = 0.02
    ema_decay: float = 0.995
    train_images: int = 20_000
    snapshot_every: int = 100
    snapshot_size: int = 128
    clip_norm: float = 1.0
    mode_seeking: float = 0.03
    seed: int = 0


@dataclass
class T2IRun:
    """A finished run: snapshots maps a step to the EMA generator's images of the captions
    snapshot_captions (scenes snapshot_attrs); validation maps a step to its validation score
    (empty without a validate function), and ema_generator holds the weights of best_step."""

    config: T2IConfig
    ema_generator: TextGenerator
    discriminator: torch.nn.Module
    history: History
    snapshots: dict[int, np.ndarray]
    snapshot_captions: list[str]
    snapshot_attrs: list[dict]
    validation: dict[int, float]
    best_step: int


def snapshot_scenes(config: T2IConfig) -> shapes.ShapesSample:
    """The captions the snapshots draw: seen scenes, half English and half Chinese, from a
    stream no training image comes from."""
    return shapes.sample(config.snapshot_size, seed=config.seed + 10_000, split="train",
                         lang="both")


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


def train_t2i(encoder, config: T2IConfig | None = None, progress: bool = True,
              validate: Callable[[np.ndarray, list[dict]], float] | None = None) -> T2IRun:
    """Train G(z, c) against the configured discriminator with hinge losses.

    validate(images, attrs) -> score, if given, scores every snapshot; the returned EMA
    generator is the best-scoring snapshot's (the last one wins ties)."""
    config = config or T2IConfig()
    if config.discriminator not in DISCRIMINATORS:
        raise BadInputError(f"unknown discriminator {config.discriminator!r}; choose one of "
                            f"{', '.join(DISCRIMINATORS)}")
    if config.mode_seeking < 0:
        raise BadInputError(f"mode_seeking must be >= 0, got {config.mode_seeking}")
    rng = seed_everything(config.seed)
    real, conditions, codes = training_data(encoder, config.train_images, config.seed)
    g_net = TextGenerator(encoder.dim, config.latent_dim, config.g_width)
    d_net = DISCRIMINATORS[config.discriminator](encoder.dim, config.d_width)
    ema = copy.deepcopy(g_net)
    g_opt = torch.optim.Adam(g_net.parameters(), lr=config.g_lr, betas=config.betas)
    d_opt = torch.optim.Adam(d_net.parameters(), lr=config.d_lr, betas=config.betas)
    matching = config.discriminator == "matching"
    probe = snapshot_scenes(config)
    probe_conditions = encoder(probe.captions)
    probe_z = torch.randn(len(probe_conditions), config.latent_dim, generator=rng)
    snapshots, validation, best = {}, {}, {"step": -1, "state": None}

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
        if config.clip_norm:
            torch.nn.utils.clip_grad_norm_(d_net.parameters(), config.clip_norm)
        d_opt.step()

        if config.mode_seeking:  # the second half of the batch repeats the first's captions
            half = config.batch_size // 2
            c, y = c[:half].repeat(2, 1), y[:half].repeat(2, 1)
        z = torch.randn(len(c), config.latent_dim, generator=rng)
        fake, kl = g_net(z, c)
        d_net.requires_grad_(False)
        fake_logits, fake_attributes = d_net(fake, c)
        adversarial = -fake_logits.mean()
        attributes = attribute_loss(fake_attributes, y)
        g_loss = adversarial + config.attribute_weight * attributes + config.kl_weight * kl
        if config.mode_seeking:
            g_loss = g_loss + config.mode_seeking * mode_seeking_loss(fake, z)
        g_opt.zero_grad()
        g_loss.backward()
        if config.clip_norm:
            torch.nn.utils.clip_grad_norm_(g_net.parameters(), config.clip_norm)
        g_opt.step()
        d_net.requires_grad_(True)
        update_ema(ema, g_net, min(config.ema_decay, (1 + i) / (10 + i)))
        if i % config.snapshot_every == 0 or i == config.steps - 1:
            snapshots[i] = draw(ema, probe_z, probe_conditions)
            if validate is not None:
                validation[i] = float(validate(snapshots[i], probe.attrs))
                if validation[i] >= max(validation.values()):
                    best.update(step=i, state=copy.deepcopy(ema.state_dict()))
        return {"d_loss": d_loss.item(), "g_loss": adversarial.item(),
                "g_attributes": attributes.item(), "kl": kl.item()}

    g_net.train()
    d_net.train()
    history = train_loop(step, config.steps, log_every=10,
                         desc=f"text-to-image GAN ({config.discriminator} D)", progress=progress)
    if best["state"] is not None:
        ema.load_state_dict(best["state"])
    best_step = best["step"] if validate is not None else config.steps - 1
    return T2IRun(config, ema.eval(), d_net.eval(), history, snapshots, probe.captions,
                  probe.attrs, validation, best_step)


@torch.no_grad()
def draw(generator: TextGenerator, z: torch.Tensor, conditions: torch.Tensor) -> np.ndarray:
    """uint8 images (N, 32, 32, 3) of the generator in eval mode (the conditioning
    augmentation's mean, BatchNorm's running statistics) for noise z and conditions."""
    generator.eval()
    return tensor_to_images(generator(z, conditions)[0])


def draw_per_condition(generator: TextGenerator, conditions: torch.Tensor, n: int,
                       seed: int = 0) -> np.ndarray:
    """n images per condition, in condition order; the seed fixes n noise vectors and every
    condition is drawn with the same n, so image i of each condition shares its "style"."""
    z = torch.randn(n, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    return draw(generator, z.repeat(len(conditions), 1),
                conditions.repeat_interleave(n, dim=0))


def generate_from_conditions(generator: TextGenerator, conditions: torch.Tensor,
                             seed: int = 0) -> np.ndarray:
    """One uint8 image (32, 32, 3) per condition vector, noise drawn from `seed`."""
    z = torch.randn(len(conditions), generator.latent_dim,
                    generator=torch.Generator().manual_seed(seed))
    return draw(generator, z, conditions)
