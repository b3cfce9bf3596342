"""A GAN you can watch: 2-D points, a ring of 8 Gaussians, and two small MLPs.

The data are 8 tight Gaussian blobs on a circle. A generator that has learnt the data puts its
samples on all 8 blobs; one that has *collapsed* piles them onto one or a few. Because we know
where the blobs are, both failures are counted exactly (`mode_coverage`).
"""

import math
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from tutorial_lib.errors import BadInputError
from tutorial_lib.gan.losses import get_losses, gradient_penalty
from tutorial_lib.runtime import seed_everything, torch_threads
from tutorial_lib.training import History, train_loop
from tutorial_lib.viz import evenly_spaced


@dataclass(frozen=True)
class Ring:
    """The data: `modes` Gaussians of standard deviation `std` evenly spaced on a circle."""

    modes: int = 8
    radius: float = 2.0
    std: float = 0.05

    @property
    def centers(self) -> torch.Tensor:
        angles = torch.arange(self.modes) * 2 * math.pi / self.modes
        return self.radius * torch.stack([angles.cos(), angles.sin()], dim=1)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        mode = torch.randint(self.modes, (n,), generator=generator)
        return self.centers[mode] + self.std * torch.randn(n, 2, generator=generator)


# The gradient-penalty weight the course uses on the ring: chosen over several seeds as the one
# that covers every mode; much larger weights over-smooth D until G scatters off the ring.
# `make bench` measures its mode coverage.
GP_WEIGHT = 0.3


@dataclass
class ToyConfig:
    """One toy GAN run. `loss` names an objective of gan.losses; `gp_weight` > 0 adds a
    gradient penalty on D (the WGAN-GP term), which is what stops mode collapse here."""

    loss: str = "non_saturating"
    gp_weight: float = 0.0
    steps: int = 3000
    batch_size: int = 256
    latent_dim: int = 2
    hidden: int = 128
    lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.9)
    d_steps: int = 1
    seed: int = 0
    snapshot_every: int = 500
    ring: Ring = field(default_factory=Ring)


def mlp(inputs: int, hidden: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                         nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, outputs))


# D(x) is recorded on this grid at every snapshot, to draw what the discriminator believes.
GRID_LIMIT, GRID_POINTS = 3.0, 61


def grid_points() -> torch.Tensor:
    """The (GRID_POINTS**2, 2) points of the square [-GRID_LIMIT, GRID_LIMIT]^2, row-major."""
    axis = torch.linspace(-GRID_LIMIT, GRID_LIMIT, GRID_POINTS)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([xs.flatten(), ys.flatten()], dim=1)


@dataclass
class Snapshot:
    """G's samples (for a fixed set of z) and D's output on the grid, at one training step."""

    samples: np.ndarray
    d_grid: np.ndarray


@dataclass
class ToyRun:
    """A trained toy GAN: its networks, loss history and snapshots over training."""

    config: ToyConfig
    generator: nn.Module
    discriminator: nn.Module
    history: History
    snapshots: dict[int, Snapshot]

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        z = torch.randn(n, self.config.latent_dim, generator=torch.Generator().manual_seed(seed))
        return self.generator(z).numpy()


def train_toy_gan(config: ToyConfig | None = None, progress: bool = True) -> ToyRun:
    """Train G and D on the ring with the configured objective; snapshot G's samples."""
    config = config or ToyConfig()
    d_loss_fn, g_loss_fn = get_losses(config.loss)
    if config.gp_weight < 0:
        raise BadInputError(f"gp_weight must be >= 0, got {config.gp_weight}")
    rng = seed_everything(config.seed)
    g_net = mlp(config.latent_dim, config.hidden, 2)
    d_net = mlp(2, config.hidden, 1)
    g_opt = torch.optim.Adam(g_net.parameters(), lr=config.lr, betas=config.betas)
    d_opt = torch.optim.Adam(d_net.parameters(), lr=config.lr, betas=config.betas)
    fixed_z = torch.randn(1000, config.latent_dim, generator=rng)
    grid = grid_points()
    snapshots = {}

    def step(i):
        for _ in range(config.d_steps):
            real = config.ring.sample(config.batch_size, rng)
            fake = g_net(torch.randn(config.batch_size, config.latent_dim, generator=rng))
            d_loss = d_loss_fn(d_net(real), d_net(fake.detach()))
            if config.gp_weight:
                d_loss = d_loss + gradient_penalty(d_net, real, fake, config.gp_weight, rng)
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()
        fake = g_net(torch.randn(config.batch_size, config.latent_dim, generator=rng))
        g_loss = g_loss_fn(d_net(fake))
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
        if i % config.snapshot_every == 0 or i == config.steps - 1:
            with torch.no_grad():
                d_grid = torch.sigmoid(d_net(grid)).reshape(GRID_POINTS, GRID_POINTS)
                snapshots[i] = Snapshot(g_net(fixed_z).numpy(), d_grid.numpy())
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}

    with torch_threads(1):
        history = train_loop(step, config.steps, log_every=10, desc=f"toy GAN ({config.loss})",
                             progress=progress)
    return ToyRun(config, g_net.eval(), d_net.eval(), history, snapshots)


def mode_coverage(samples: np.ndarray, ring: Ring, min_share: float = 0.25) -> dict:
    """How many modes a set of samples covers, and how many samples are of high quality.

    A sample is *high quality* when it lies within 3 std of its nearest mode; a mode is
    *covered* when it receives at least `min_share` of the samples a uniform spread would give
    it (1/modes of them). Returns modes_covered, high_quality (fraction) and counts per mode.
    """
    samples = np.asarray(samples, dtype=float)
    if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
        raise BadInputError(f"samples must be a non-empty (N, 2) array, got {samples.shape}")
    centers = ring.centers.numpy()
    distances = np.linalg.norm(samples[:, None, :] - centers[None], axis=2)
    nearest = distances.argmin(axis=1)
    good = distances.min(axis=1) <= 3 * ring.std
    counts = np.bincount(nearest[good], minlength=ring.modes)
    covered = int((counts >= min_share * len(samples) / ring.modes).sum())
    return {"modes_covered": covered, "high_quality": float(good.mean()), "counts": counts}


def plot_toy_snapshots(run, max_panels: int = 5, title: str | None = None):
    """Panels over training: D(x) as a heat map, G's samples as dots, the true modes as rings."""
    steps = evenly_spaced(sorted(run.snapshots), max_panels)
    fig, axes = plt.subplots(1, len(steps), figsize=(3 * len(steps), 3.2), squeeze=False)
    centers = run.config.ring.centers.numpy()
    for ax, step in zip(axes[0], steps, strict=True):
        snapshot = run.snapshots[step]
        ax.imshow(snapshot.d_grid, origin="lower", cmap="RdBu", vmin=0, vmax=1,
                  extent=(-GRID_LIMIT, GRID_LIMIT, -GRID_LIMIT, GRID_LIMIT))
        ax.scatter(*snapshot.samples.T, s=2, color="black", alpha=0.5)
        ax.scatter(*centers.T, s=60, facecolors="none", edgecolors="gold", linewidths=1.5)
        ax.set(title=f"step {step}", xticks=[], yticks=[])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
