"""Sampling: run the reverse process with a diffusers scheduler and classifier-free guidance.

At every step the network predicts the noise twice, with the condition and with the null
condition, and guidance extrapolates from the second towards the first:
eps = eps(x_t) + w (eps(x_t, c) - eps(x_t)). w = 1 is the plain conditional model; w > 1
trades variety for fidelity to the text (Ho & Salimans 2022). DDPM walks all training steps;
DDIM (Song et al. 2021) takes a few large deterministic steps with the same network.
"""

import numbers
from collections.abc import Iterator

import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler

from tutorial_lib.data.shapes import IMAGE_SIZE
from tutorial_lib.data.tensors import tensor_to_images
from tutorial_lib.diffusion.model import DiffusionConfig, TextConditionedUNet
from tutorial_lib.errors import BadInputError

SAMPLERS = ("ddim", "ddpm")
# Default DDIM steps and guidance weight: more DDIM steps than this did not score better in
# short runs, and guidance above 1 hurt (extra blobs), because the unconditional model, trained
# on a small fraction of the conditions, is the weaker one. Chapter 8 measures both choices.
SAMPLING_STEPS = 10
GUIDANCE = 1.0
BATCH = 250  # images denoised together: bounds memory, and keeps a call's cost linear


def sampling_scheduler(config: DiffusionConfig, sampler: str = "ddim"):
    """A fresh scheduler of the kind asked, over the training noise schedule."""
    kind = DDIMScheduler if sampler == "ddim" else DDPMScheduler
    return kind(num_train_timesteps=config.train_timesteps, beta_schedule=config.beta_schedule,
                prediction_type=config.prediction_type, clip_sample=True)


def check_sampling(steps, guidance, sampler) -> None:
    """One clear error for a bad step count, guidance scale or sampler name."""
    if sampler not in SAMPLERS:
        raise BadInputError(f"unknown sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or not 1 <= steps <= 1000:
        raise BadInputError(f"steps must be a whole number from 1 to 1000, got {steps!r}")
    if isinstance(guidance, bool) or not isinstance(guidance, numbers.Real) or guidance < 0:
        raise BadInputError(f"guidance must be a number >= 0, got {guidance!r}")


@torch.no_grad()
def guided_noise(model: TextConditionedUNet, x: torch.Tensor, t, conditions: torch.Tensor,
                 guidance: float) -> torch.Tensor:
    """Classifier-free guided prediction; one batched call for both halves. The combination is
    linear, so it is the same whether the network predicts noise, velocity or the clean image
    (at a fixed x_t and t each is an affine function of the others)."""
    if guidance == 1:
        return model(x, t.expand(len(x)), conditions)
    both = model(torch.cat([x, x]), t.expand(2 * len(x)),
                 torch.cat([conditions, torch.zeros_like(conditions)]))
    conditional, unconditional = both.chunk(2)
    return unconditional + guidance * (conditional - unconditional)


@torch.no_grad()
def reverse_process(model: TextConditionedUNet, config: DiffusionConfig,
                    conditions: torch.Tensor, steps: int = SAMPLING_STEPS,
                    guidance: float = GUIDANCE, sampler: str = "ddim",
                    seed: int = 0) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield (t, x) from pure noise at the first step down to the image after the last one:
    x (N, 3, 32, 32) in [-1, 1] is the state once step t has been taken."""
    check_sampling(steps, guidance, sampler)
    scheduler = sampling_scheduler(config, sampler)
    scheduler.set_timesteps(int(steps))
    rng = torch.Generator().manual_seed(seed)
    x = torch.randn(len(conditions), 3, IMAGE_SIZE, IMAGE_SIZE, generator=rng)
    model.eval()
    for t in scheduler.timesteps:
        prediction = torch.cat([guided_noise(model, x[i:i + BATCH], t, conditions[i:i + BATCH],
                                             float(guidance)) for i in range(0, len(x), BATCH)])
        x = scheduler.step(prediction, t, x, generator=rng).prev_sample
        yield int(t), x


def sample(model: TextConditionedUNet, config: DiffusionConfig, conditions: torch.Tensor,
           steps: int = SAMPLING_STEPS, guidance: float = GUIDANCE, sampler: str = "ddim",
           seed: int = 0) -> np.ndarray:
    """uint8 images (N, 32, 32, 3), one per condition row, from noise drawn with `seed`."""
    *_, (_, x) = reverse_process(model, config, conditions, steps, guidance, sampler, seed)
    return tensor_to_images(x.clamp(-1, 1))
