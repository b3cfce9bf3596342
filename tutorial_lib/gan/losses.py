"""GAN objectives, each written out with its formula.

Discriminators return *logits* (real numbers); D(x) = sigmoid(logit) is the probability that x is
real. Working with logits, log D = -softplus(-logit) and log(1 - D) = -softplus(logit), which stays
finite where a probability would round to 0 or 1. Critics (WGAN, hinge) return unbounded scores
and use them directly.

Every loss is something to *minimise*: the discriminator's loss is minus the value it maximises.
"""

from collections.abc import Callable

import torch
import torch.nn.functional as F

from tutorial_lib.errors import BadInputError


def value_function(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))] (Goodfellow et al., 2014).

    D maximises V; G minimises it. At the optimum D*, V = -log 4 + 2 JSD(p_data || p_g).
    """
    return -F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()


def d_loss_standard(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """L_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))] = -V(D, G): binary cross-entropy with
    label 1 for real and 0 for generated samples."""
    return -value_function(real_logits, fake_logits)


def g_loss_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    """L_G = E_z[log(1 - D(G(z)))]: the generator's side of the original minimax game.

    It *saturates*: when D confidently rejects G's samples (D(G(z)) near 0, early in training),
    its gradient vanishes, so G learns least when it is worst.
    """
    return -F.softplus(fake_logits).mean()


def g_loss_non_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """L_G = -E_z[log D(G(z))]: the same fixed point as the minimax loss, but strong gradients
    exactly when D rejects G's samples. What practitioners (and DCGAN) use."""
    return F.softplus(-fake_logits).mean()


def d_loss_wgan(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """L_critic = -(E_x[f(x)] - E_z[f(G(z))]) (Arjovsky et al., 2017).

    Maximising E[f(x)] - E[f(G(z))] over 1-Lipschitz critics f gives the Wasserstein-1 distance;
    without a Lipschitz constraint (weight clipping or a gradient penalty) it is unbounded.
    """
    return fake_scores.mean() - real_scores.mean()


def g_loss_wgan(fake_scores: torch.Tensor) -> torch.Tensor:
    """L_G = -E_z[f(G(z))]: move generated samples to where the critic scores them high."""
    return -fake_scores.mean()


def d_loss_hinge(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """L_D = E_x[max(0, 1 - f(x))] + E_z[max(0, 1 + f(G(z)))] (Lim & Ye 2017; Miyato et al.
    2018): a margin loss; scores beyond the margin stop contributing."""
    return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()


def g_loss_hinge(fake_scores: torch.Tensor) -> torch.Tensor:
    """L_G = -E_z[f(G(z))], the generator's side of the hinge game."""
    return -fake_scores.mean()


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                     fake: torch.Tensor, weight: float = 10.0,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP: weight * E_x̂[(||∇_x̂ f(x̂)||_2 - 1)^2] at x̂ = ε x + (1 - ε) G(z), ε ~ U[0, 1]
    (Gulrajani et al., 2017). Pushes the critic towards the 1-Lipschitz functions that the
    Wasserstein distance needs, softly and only where it matters: between real and fake data."""
    if real.shape != fake.shape:
        raise BadInputError(f"real {tuple(real.shape)} and fake {tuple(fake.shape)} batches must "
                            "have the same shape")
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    epsilon = torch.rand(shape, generator=generator, device=real.device)
    mixed = (epsilon * real.detach() + (1 - epsilon) * fake.detach()).requires_grad_(True)
    scores = critic(mixed)
    (gradients,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    norms = gradients.flatten(1).norm(dim=1)
    return weight * ((norms - 1) ** 2).mean()


LOSSES = {
    "standard": (d_loss_standard, g_loss_minimax),
    "non_saturating": (d_loss_standard, g_loss_non_saturating),
    "wgan": (d_loss_wgan, g_loss_wgan),
    "hinge": (d_loss_hinge, g_loss_hinge),
}


def get_losses(name: str):
    """(discriminator loss, generator loss) for a named GAN objective."""
    if name not in LOSSES:
        raise BadInputError(f"unknown GAN loss {name!r}: choose one of {', '.join(LOSSES)}")
    return LOSSES[name]
