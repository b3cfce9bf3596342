"""Shapes-world images as tensors, and the captioned training set of the text-to-image models.

Networks see images as float (N, 3, 32, 32) in [-1, 1]; the rest of the course hands out uint8
(N, 32, 32, 3). `training_data` is the one training set of chapter 4's GAN and chapter 8's
diffusion model, so the two are compared on equal terms.
"""

import numpy as np
import torch

from tutorial_lib.data import shapes
from tutorial_lib.data.attributes import attribute_codes


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


def training_data_id(encoder_name: str) -> str:
    """The identity of `training_data` for the model cache (`model_cache.load_or_train`): the
    shapes world, and the encoder that turns its captions into conditions."""
    return f"{shapes.world_fingerprint()} encoder={encoder_name}"
