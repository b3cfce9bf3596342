"""Training the denoiser: the DDPM objective with classifier-free dropout of the condition.

One step (Ho et al. 2020, algorithm 1): take clean images x_0 with their captions' conditions,
draw a step t and noise eps, form x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps with diffusers'
`DDPMScheduler.add_noise`, and regress the network's output on its target (mean squared error):
eps in the paper; here by default x_0 itself, which learned faster on this budget. A
fraction `uncond_rate` of conditions is zeroed first, which teaches the same network the
unconditional model classifier-free guidance needs. We sample from an EMA of the weights.
"""

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler

from tutorial_lib.data.tensors import training_data
from tutorial_lib.diffusion.model import DiffusionConfig, TextConditionedUNet
from tutorial_lib.runtime import seed_everything
from tutorial_lib.training import History, train_loop, update_ema


@dataclass
class DiffusionRun:
    """A finished run: the EMA denoiser to sample from, and its loss curve."""

    config: DiffusionConfig
    ema_model: TextConditionedUNet
    history: History


def noise_scheduler(config: DiffusionConfig) -> DDPMScheduler:
    """The forward process of training: betas over `train_timesteps` steps."""
    return DDPMScheduler(num_train_timesteps=config.train_timesteps,
                         beta_schedule=config.beta_schedule,
                         prediction_type=config.prediction_type)


def regression_target(scheduler: DDPMScheduler, x0: torch.Tensor, noise: torch.Tensor,
                      t: torch.Tensor) -> torch.Tensor:
    """What the network learns to output: the noise (epsilon), the velocity (v) or the clean
    image (sample); the schedulers convert any of them back when sampling."""
    kind = scheduler.config.prediction_type
    if kind == "v_prediction":
        return scheduler.get_velocity(x0, noise, t)
    return x0 if kind == "sample" else noise


def train_diffusion(encoder, config: DiffusionConfig | None = None,
                    progress: bool = True) -> DiffusionRun:
    """Train eps_theta(x_t, t, c) on `config.train_images` captioned train-split images (half
    English, half Chinese captions, encoded once by `encoder`, as for the GAN)."""
    config = config or DiffusionConfig()
    rng = seed_everything(config.seed)
    images, conditions, _ = training_data(encoder, config.train_images, config.seed)
    model = TextConditionedUNet(config)
    ema = copy.deepcopy(model).requires_grad_(False)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
    scheduler = noise_scheduler(config)

    def step(i):
        batch = torch.randint(len(images), (config.batch_size,), generator=rng)
        x0, c = images[batch], conditions[batch]
        keep = torch.rand(config.batch_size, 1, generator=rng) >= config.uncond_rate
        c = c * keep  # a zeroed row is the null condition of classifier-free guidance
        noise = torch.randn(x0.shape, generator=rng)
        t = torch.randint(config.train_timesteps, (config.batch_size,), generator=rng)
        x_t = scheduler.add_noise(x0, noise, t)
        loss = F.mse_loss(model(x_t, t, c), regression_target(scheduler, x0, noise, t))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
        optimizer.step()
        update_ema(ema, model, min(config.ema_decay, (1 + i) / (10 + i)))
        return {"loss": loss.item()}

    model.train()
    history = train_loop(step, config.steps, log_every=10, desc="diffusion model",
                         progress=progress)
    return DiffusionRun(config, ema.eval(), history)
