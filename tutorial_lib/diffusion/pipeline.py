"""The course's diffusion model: trained on first use, cached, and sampled from prompts.

`pretrained_diffusion()` trains the default denoiser on the same captioned images and the same
text conditions as chapter 4's GAN, and caches its EMA weights with the loss curve beside them;
`generate(prompts, n)` draws n images per prompt with DDIM and classifier-free guidance.
"""

from dataclasses import replace

import numpy as np
import torch

from tutorial_lib.diffusion.model import DiffusionConfig, TextConditionedUNet
from tutorial_lib.diffusion.sampling import GUIDANCE, SAMPLING_STEPS, check_sampling, sample
from tutorial_lib.diffusion.train import train_diffusion
from tutorial_lib.runtime import (
    budget,
    cache_dir,
    cached_tensors,
    config_key,
    load_state,
    save_tensors,
)
from tutorial_lib.t2i.pipeline import check_generate_args, text_encoder
from tutorial_lib.training import History

DEFAULT_CONFIG = DiffusionConfig()
MODEL_FILE = "diffusion_unet.safetensors"
CURVE_PREFIX = "history/"  # the loss curve travels in the weights file, under this prefix


def diffusion_config() -> DiffusionConfig:
    """DEFAULT_CONFIG, shrunk to seconds in fast mode (TUTORIAL_FAST=1)."""
    return replace(DEFAULT_CONFIG, steps=budget(DEFAULT_CONFIG.steps, 20),
                   train_images=budget(DEFAULT_CONFIG.train_images, 2_000))


def _cached(config: DiffusionConfig):
    cached = cached_tensors(MODEL_FILE, config)
    if cached is None:
        return None
    tensors, metadata = cached
    weights = {k: v for k, v in tensors.items() if not k.startswith(CURVE_PREFIX)}
    model = load_state(TextConditionedUNet(config), weights, MODEL_FILE)
    history = History(tensors[CURVE_PREFIX + "steps"].tolist(),
                      {"loss": tensors[CURVE_PREFIX + "loss"].tolist()},
                      float(metadata["train_seconds"]))
    return model, history


def pretrained_diffusion(progress: bool = True) -> tuple[TextConditionedUNet, History]:
    """(the EMA denoiser of the default run, its training history), trained on first use (a
    progress bar shows it), then loaded from the cache."""
    config = diffusion_config()
    cached = _cached(config)
    if cached is not None:
        return cached
    run = train_diffusion(text_encoder("bilingual"), config, progress=progress)
    tensors = dict(run.ema_model.state_dict())
    tensors[CURVE_PREFIX + "steps"] = torch.tensor(run.history.steps)
    tensors[CURVE_PREFIX + "loss"] = torch.tensor(run.history.values["loss"])
    save_tensors(cache_dir() / MODEL_FILE, tensors,
                 {"config": config_key(config), "train_seconds": f"{run.history.seconds:.1f}"})
    return run.ema_model, run.history


def generate(prompts, n: int = 8, seed: int = 0, guidance: float = GUIDANCE,
             steps: int = SAMPLING_STEPS, sampler: str = "ddim") -> np.ndarray:
    """n images for each prompt, in prompt order: uint8 (len(prompts) * n, 32, 32, 3)."""
    prompts = check_generate_args(prompts, n, seed)
    check_sampling(steps, guidance, sampler)
    conditions = text_encoder("bilingual")(prompts).repeat_interleave(int(n), dim=0)
    model, _ = pretrained_diffusion()
    return sample(model, diffusion_config(), conditions, steps=steps, guidance=guidance,
                  sampler=sampler, seed=int(seed))
