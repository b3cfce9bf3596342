"""The course's diffusion model: trained on first use, cached, and sampled from prompts.

`pretrained_diffusion()` trains the default denoiser on the same captioned images and the same
text conditions as chapter 4's GAN, and caches its EMA weights with the loss curve beside them;
`generate(prompts, n)` draws n images per prompt with DDIM and classifier-free guidance.
"""

from dataclasses import replace

import numpy as np

from tutorial_lib.data.prompts import check_generate_args
from tutorial_lib.data.tensors import training_data_id
from tutorial_lib.diffusion.model import DiffusionConfig, TextConditionedUNet
from tutorial_lib.diffusion.sampling import GUIDANCE, SAMPLING_STEPS, check_sampling, sample
from tutorial_lib.diffusion.train import train_diffusion
from tutorial_lib.model_cache import Trained, load_or_train, variant_file
from tutorial_lib.runtime import budget, load_state
from tutorial_lib.text.encoders import text_encoder
from tutorial_lib.training import History

DEFAULT_CONFIG = DiffusionConfig()
MODEL_FILE = "diffusion_unet.safetensors"


def diffusion_config() -> DiffusionConfig:
    """DEFAULT_CONFIG, shrunk to seconds in fast mode (TUTORIAL_FAST=1)."""
    return replace(DEFAULT_CONFIG, steps=budget(DEFAULT_CONFIG.steps, 20),
                   train_images=budget(DEFAULT_CONFIG.train_images, 2_000))


def pretrained_diffusion(progress: bool = True, encoder: str = "bilingual"
                         ) -> tuple[TextConditionedUNet, History]:
    """(the EMA denoiser of the default run, its training history), trained on first use (a
    progress bar shows it), then loaded from the cache. `encoder` names the text encoder whose
    conditions it reads (chapter 4's `text.encoders.ENCODERS`; each has its own model)."""
    config = diffusion_config()
    name = variant_file(MODEL_FILE, "" if encoder == "bilingual" else encoder)
    encoder = text_encoder(encoder)

    def train():
        run = train_diffusion(encoder, config, progress=progress)
        return Trained(run.ema_model, run.ema_model.state_dict(), run.history)

    def restore(tensors):
        return load_state(TextConditionedUNet(config), tensors, name)

    trained = load_or_train(name, config, training_data_id(encoder.name), train, restore)
    return trained.value, trained.history


def generate(prompts, n: int = 8, seed: int = 0, guidance: float = GUIDANCE,
             steps: int = SAMPLING_STEPS, sampler: str = "ddim",
             encoder: str = "bilingual") -> np.ndarray:
    """n images for each prompt, in prompt order: uint8 (len(prompts) * n, 32, 32, 3)."""
    prompts = check_generate_args(prompts, n, seed)
    check_sampling(steps, guidance, sampler)
    conditions = text_encoder(encoder)(prompts).repeat_interleave(int(n), dim=0)
    model, _ = pretrained_diffusion(encoder=encoder)
    return sample(model, diffusion_config(), conditions, steps=steps, guidance=guidance,
                  sampler=sampler, seed=int(seed))
