"""Judging the token model like the GAN and the diffusion model, and its tokenizer on its own.

In a `comparison` the token model's "conditions" are the caption's token ids: it reads every
word itself, so `caption_encoder` plays the part the sentence encoder plays for the other two.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from tutorial_lib.comparison import Contestant
from tutorial_lib.data import shapes
from tutorial_lib.data.tensors import images_to_tensor, tensor_to_images
from tutorial_lib.shapes_judge import attribute_scores
from tutorial_lib.tokens.model import TokenGPT, caption_ids
from tutorial_lib.tokens.pipeline import TokenModel, draw
from tutorial_lib.tokens.vq import VQTokenizer, code_usage

RECON_SEED = 7  # a draw of test images that no tokenizer trained on (the test split)


def caption_encoder(tokenizer, model: TokenGPT):
    """prompts -> (N, caption_length) caption ids: the token model's "conditions"."""
    return lambda prompts: caption_ids(tokenizer, prompts, model.config.caption_length)


def token_drawer(model: TokenGPT, vq: VQTokenizer, seed: int = 0, **sampling):
    """caption ids -> one image each."""
    return lambda captions: draw(model, vq, captions, 1, seed, **sampling)


def token_many(model: TokenGPT, vq: VQTokenizer, seed: int = 0, **sampling):
    """(caption ids, k) -> k images per caption, grouped by caption."""
    return lambda captions, k: draw(model, vq, captions, k, seed, **sampling)


def token_contestant(trained: TokenModel, tokenizer, seed: int = 0, **sampling) -> Contestant:
    """The token model in a `comparison`. Drawing needs the GPT and the tokenizer's decoder
    (with its codebook), so those are its parameters; training seconds are both halves'."""
    return Contestant(caption_encoder(tokenizer, trained.gpt),
                      token_drawer(trained.gpt, trained.vq, seed, **sampling),
                      token_many(trained.gpt, trained.vq, seed, **sampling),
                      [trained.gpt, trained.vq.decoder], trained.train_seconds)


def reconstruct(vq: VQTokenizer, images: np.ndarray) -> np.ndarray:
    """uint8 images -> their tokens -> uint8 images again."""
    return tensor_to_images(vq.decode(vq.encode(images_to_tensor(images))))


@dataclass
class Reconstructions:
    """n fresh images of a split, their tokens and the tokenizer's pictures of those tokens."""

    sample: shapes.ShapesSample
    codes: torch.Tensor
    images: np.ndarray
    codebook_size: int


def reconstruct_split(vq: VQTokenizer, n: int = 1000, split: str = "test") -> Reconstructions:
    """The tokenizer's reconstructions of a fixed draw of n images of a split."""
    sample = shapes.sample(n, seed=RECON_SEED, split=split)
    codes = vq.encode(images_to_tensor(sample.images))
    return Reconstructions(sample, codes, tensor_to_images(vq.decode(codes)),
                           len(vq.codebook.codes))


def reconstruction_scores(recon: Reconstructions, judge) -> dict[str, float]:
    """The judge's attribute scores on the reconstructions, with the codebook's usage on
    their tokens (perplexity, codes used)."""
    return {**attribute_scores(judge, recon.images, recon.sample.attrs),
            **code_usage(recon.codes, recon.codebook_size)}


def bits_per_image(vq: VQTokenizer) -> dict[str, float]:
    """What an image costs: 64 tokens of log2(K) bits each, against its raw 8-bit pixels."""
    tokens = vq.grid * vq.grid
    return {"token_bits": tokens * float(np.log2(len(vq.codebook.codes))),
            "pixel_bits": shapes.IMAGE_SIZE * shapes.IMAGE_SIZE * 3 * 8}


@torch.no_grad()
def model_bits(model: TokenGPT, captions: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """(N,) bits the GPT spends on each image's 64 tokens (N, 64) given its caption ids: the
    negative log-likelihood in base 2, the length of the code an arithmetic coder driven by
    the model would write."""
    logits = model.image_logits(captions, tokens)
    nats = F.cross_entropy(logits.transpose(1, 2), tokens, reduction="none").sum(1)
    return nats / math.log(2)
