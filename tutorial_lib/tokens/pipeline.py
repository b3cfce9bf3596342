"""The course's token model: tokenizer and GPT trained on first use, cached, and drawn from.

`pretrained_vq()` trains the image tokenizer, `pretrained_token_model()` the GPT over its codes
(each a progress bar on first use, then a cached safetensors file); `generate(prompts, n)`
draws n images per prompt. The GPT's cache entry names the tokenizer's codebook and the
caption vocabulary it was trained with, so a retrained tokenizer retrains the GPT too.
"""

from dataclasses import dataclass, replace

import numpy as np
import torch

from tutorial_lib.data import shapes
from tutorial_lib.data.prompts import check_generate_args
from tutorial_lib.data.tensors import tensor_to_images
from tutorial_lib.model_cache import Trained, fingerprint, load_or_train, variant_file
from tutorial_lib.runtime import budget, load_state
from tutorial_lib.text.tiny_gpt import load_tied, untied_weights
from tutorial_lib.text.tokenizer import caption_tokenizer
from tutorial_lib.tokens.model import TokenGPT, TokenGPTConfig, caption_ids
from tutorial_lib.tokens.sampling import (
    GUIDANCE,
    TEMPERATURE,
    TOP_K,
    check_sampling,
    sample_tokens,
)
from tutorial_lib.tokens.train import train_token_gpt, train_vq
from tutorial_lib.tokens.vq import VQConfig, VQTokenizer
from tutorial_lib.training import History

DEFAULT_VQ = VQConfig()
DEFAULT_GPT = TokenGPTConfig()
VQ_FILE = "tokens_vq.safetensors"
GPT_FILE = "tokens_gpt.safetensors"


def vq_config(seed: int = 0) -> VQConfig:
    """DEFAULT_VQ with this seed, shrunk to seconds in fast mode (TUTORIAL_FAST=1)."""
    return replace(DEFAULT_VQ, seed=seed, steps=budget(DEFAULT_VQ.steps, 30),
                   train_images=budget(DEFAULT_VQ.train_images, 2_000))


def gpt_config(seed: int = 0) -> TokenGPTConfig:
    """DEFAULT_GPT with this seed, shrunk to seconds in fast mode."""
    return replace(DEFAULT_GPT, seed=seed, steps=budget(DEFAULT_GPT.steps, 30),
                   train_images=budget(DEFAULT_GPT.train_images, 2_000))


def pretrained_vq(seed: int = 0, progress: bool = True) -> tuple[VQTokenizer, History]:
    """(the image tokenizer, its training history), trained on first use, then cached."""
    config = vq_config(seed)
    name = variant_file(VQ_FILE, f"seed{seed}" if seed else "")

    def train():
        run = train_vq(config, progress)
        return Trained(run.tokenizer, run.tokenizer.state_dict(), run.history)

    def restore(tensors):
        return load_state(VQTokenizer(config), tensors, name)

    trained = load_or_train(name, config, shapes.world_fingerprint(), train, restore)
    return trained.value, trained.history


@dataclass
class TokenModel:
    """The trained token model: the GPT, the tokenizer whose codes it writes, and how each
    trained."""

    gpt: TokenGPT
    vq: VQTokenizer
    gpt_history: History
    vq_history: History

    @property
    def train_seconds(self) -> float:
        return self.vq_history.seconds + self.gpt_history.seconds


def pretrained_token_model(seed: int = 0, progress: bool = True) -> TokenModel:
    """The tokenizer and the GPT of `seed`, each trained on first use, then cached."""
    vq, vq_history = pretrained_vq(seed, progress)
    tokenizer = caption_tokenizer()
    config = gpt_config(seed)
    name = variant_file(GPT_FILE, f"seed{seed}" if seed else "")

    def train():
        run = train_token_gpt(tokenizer, vq, config, progress)
        return Trained(run.model, untied_weights(run.model.gpt), run.history)

    def restore(tensors):
        model = TokenGPT(config, len(tokenizer), tokenizer.pad_token_id, len(vq.codebook.codes))
        load_tied(model.gpt, tensors, name)
        return model.eval()

    data = fingerprint(shapes.world_fingerprint(), vq.codebook.codes,
                       sorted(tokenizer.get_vocab().items()))
    trained = load_or_train(name, config, data, train, restore)
    return TokenModel(trained.value, vq, trained.history, vq_history)


def draw(model: TokenGPT, vq: VQTokenizer, captions: torch.Tensor, n: int = 1,
         seed: int = 0, **sampling) -> np.ndarray:
    """uint8 (len(captions) * n, 32, 32, 3): n images per caption row, grouped by caption."""
    codes = sample_tokens(model, captions, n, seed, **sampling)
    return tensor_to_images(vq.decode(codes.view(-1, vq.grid, vq.grid)))


def generate(prompts, n: int = 8, seed: int = 0, guidance: float = GUIDANCE,
             temperature: float = TEMPERATURE, top_k: int | None = TOP_K) -> np.ndarray:
    """n images for each prompt, in prompt order: uint8 (len(prompts) * n, 32, 32, 3)."""
    prompts = check_generate_args(prompts, n, seed)
    check_sampling(temperature, top_k, guidance)  # bad input is refused before any training
    captions = caption_ids(caption_tokenizer(), prompts, gpt_config().caption_length)
    model = pretrained_token_model()
    # one batch per prompt: a batched matrix product's rounding can depend on the batch's
    # size, and a last-digit change can tip a near-tie between two codes, so a prompt drawn
    # beside others would not always give the picture it gives alone
    return np.concatenate([draw(model.gpt, model.vq, caption[None], int(n), int(seed),
                                guidance=guidance, temperature=temperature, top_k=top_k)
                           for caption in captions])
