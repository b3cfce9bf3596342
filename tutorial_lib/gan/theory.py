"""The GAN game on the real line, where every quantity can be computed exactly.

With known densities p_data and p_g we can write down the optimal discriminator
D*(x) = p_data(x) / (p_data(x) + p_g(x)) and the value the generator then faces,
C(G) = V(D*, G) = -log 4 + 2 JSD(p_data || p_g); and we can train a real discriminator on
samples and watch it arrive at D*. Integrals are sums on a fine grid.
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from tutorial_lib.errors import BadInputError
from tutorial_lib.gan.losses import d_loss_standard
from tutorial_lib.runtime import seed_everything, torch_threads
from tutorial_lib.training import train_loop


@dataclass(frozen=True)
class GaussianMixture1D:
    """A 1-D mixture of Gaussians: its density for the maths, its samples for training."""

    means: tuple[float, ...]
    stds: tuple[float, ...]
    weights: tuple[float, ...]

    def __post_init__(self):
        if not (len(self.means) == len(self.stds) == len(self.weights) > 0):
            raise BadInputError("means, stds and weights must have the same, non-zero length")
        if min(self.stds) <= 0 or min(self.weights) < 0 or not np.isclose(sum(self.weights), 1):
            raise BadInputError("stds must be positive and weights non-negative, summing to 1")

    def density(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)[..., None]
        means, stds, weights = map(np.asarray, (self.means, self.stds, self.weights))
        return (weights * np.exp(-0.5 * ((x - means) / stds) ** 2)
                / (stds * np.sqrt(2 * np.pi))).sum(-1)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        component = torch.multinomial(torch.tensor(self.weights), n, replacement=True,
                                      generator=generator)
        noise = torch.randn(n, generator=generator)
        return (torch.tensor(self.means)[component]
                + torch.tensor(self.stds)[component] * noise).unsqueeze(1)


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), where at least one density is positive."""
    p_data, p_g = np.asarray(p_data, dtype=float), np.asarray(p_g, dtype=float)
    total = p_data + p_g
    return np.divide(p_data, total, out=np.full_like(total, np.nan), where=total > 0)


def jensen_shannon(p: np.ndarray, q: np.ndarray, dx: float) -> float:
    """JSD(p || q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2, in nats, on a grid."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    m = (p + q) / 2

    def kl(a):
        inside = a > 0
        return float(np.sum(a[inside] * np.log(a[inside] / m[inside])) * dx)

    return 0.5 * kl(p) + 0.5 * kl(q)


def value_at_optimum(p_data: np.ndarray, p_g: np.ndarray, dx: float) -> float:
    """C(G) = E_data[log D*(x)] + E_g[log(1 - D*(x))], integrated directly on the grid."""
    d_star = optimal_discriminator(p_data, p_g)
    with np.errstate(divide="ignore", invalid="ignore"):
        real = np.where(p_data > 0, p_data * np.log(d_star), 0.0)
        fake = np.where(p_g > 0, p_g * np.log(1 - d_star), 0.0)
    return float((real.sum() + fake.sum()) * dx)


def train_discriminator_1d(data: GaussianMixture1D, model: GaussianMixture1D, steps: int = 2000,
                           batch_size: int = 512, seed: int = 0, progress: bool = False,
                           loss_fn=d_loss_standard, anneal: bool = True):
    """Train an MLP discriminator on samples of two fixed densities, by default with the
    standard GAN loss.

    The generator is frozen (its samples come from `model`), so the discriminator's best
    response is D*; returns a function x (numpy) -> D(x) and the training History, whose
    "d_loss" is logged at every step. `loss_fn(real_logits, fake_logits)` may be another
    objective (the guide's raw-score one, `d_loss_wgan`); `anneal` decays the learning rate to
    0 so that the network settles, and is turned off to watch an objective with no maximum grow.
    """
    generator = seed_everything(seed)
    net = torch.nn.Sequential(torch.nn.Linear(1, 64), torch.nn.SiLU(), torch.nn.Linear(64, 64),
                              torch.nn.SiLU(), torch.nn.Linear(64, 1))
    optimiser = torch.optim.Adam(net.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps) if anneal else None

    def step(_):
        real = data.sample(batch_size, generator)
        fake = model.sample(batch_size, generator)
        loss = loss_fn(net(real), net(fake))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if scheduler is not None:
            scheduler.step()
        return {"d_loss": loss.item()}

    with torch_threads(1):
        history = train_loop(step, steps, desc="discriminator", progress=progress)

    @torch.no_grad()
    def discriminator(x):
        inputs = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(-1, 1)
        return torch.sigmoid(net(inputs)).squeeze(1).numpy()

    return discriminator, history


def saturation_gradients(d_of_g: np.ndarray) -> dict[str, np.ndarray]:
    """|dL_G / d logit| of both generator losses as a function of D(G(z)).

    With D = sigmoid(l): d/dl log(1 - D) = -D, which vanishes as D -> 0 (saturating), while
    d/dl [-log D] = -(1 - D), which stays near -1 exactly there (non-saturating).
    """
    logits = torch.logit(torch.as_tensor(d_of_g, dtype=torch.float64)).requires_grad_(True)
    minimax = torch.autograd.grad(-F.softplus(logits).sum(), logits)[0]
    non_saturating = torch.autograd.grad(F.softplus(-logits).sum(), logits)[0]
    return {"minimax": minimax.abs().numpy(), "non_saturating": non_saturating.abs().numpy()}
