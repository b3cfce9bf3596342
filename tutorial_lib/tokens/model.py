"""One vocabulary for words and pictures: a GPT-2 that writes image tokens after a caption.

The sequence is `[caption tokens] <image> [64 image tokens]`, as in DALL-E (Ramesh et al.
2021), Parti (Yu et al. 2022) and LlamaGen (Sun et al. 2024). The words are chapter 1's
byte-level BPE tokens (English and Chinese in one vocabulary); after them come one `<image>`
token and the tokenizer's K codes, so the vocabulary is `len(text) + 1 + K` and image code k
is token `len(text) + 1 + k`. The model is transformers' `GPT2LMHeadModel`, the same class as
chapter 1's caption model.

Captions are padded on the left to `caption_length` tokens, so `<image>` and every image
position sit at fixed places: the position embedding of an image token says where in the 8x8
grid it is. The empty caption (all padding) is the "no text" input of classifier-free
guidance.

The loss is on the image tokens only: the captions are given at drawing time, so modelling
them (as chapter 1 did) would spend the model's capacity on the caption grammar, which the
drawing never needs.
"""

from dataclasses import dataclass

import torch
from torch import nn
from transformers import GPT2Config, GPT2LMHeadModel

from tutorial_lib.errors import BadInputError
from tutorial_lib.text.tokenizer import encode

IMAGE_TOKENS = 64  # the tokenizer's 8x8 grid, read row by row


@dataclass(frozen=True)
class TokenGPTConfig:
    """The GPT's size and its training recipe."""

    caption_length: int = 16
    n_embd: int = 96
    # GPT-2's feed-forward layer is 4 x n_embd wide (384 here); 256 takes about a quarter less
    # time per training step, and the bench's quality rows still hold (tokens_seen_all_correct, ...)
    mlp_width: int = 256
    n_layer: int = 3
    n_head: int = 4
    steps: int = 1400
    batch_size: int = 48
    lr: float = 4e-3
    min_lr: float = 3e-4
    warmup_steps: int = 100
    weight_decay: float = 0.01
    uncond_rate: float = 0.1
    train_images: int = 20_000
    seed: int = 0


def caption_ids(tokenizer, captions: list[str], length: int) -> torch.Tensor:
    """(N, length) token ids of the captions, padded on the left; a caption longer than
    `length` tokens is one clear BadInputError."""
    rows = []
    for text in captions:
        ids = encode(tokenizer, text)
        if len(ids) > length:
            raise BadInputError(f"the prompt {text!r} is {len(ids)} tokens long; the token model "
                                f"reads at most {length}")
        rows.append([tokenizer.pad_token_id] * (length - len(ids)) + ids)
    return torch.tensor(rows, dtype=torch.long)


class TokenGPT(nn.Module):
    """GPT2LMHeadModel over caption tokens, `<image>` and image codes."""

    def __init__(self, config: TokenGPTConfig, text_vocab: int, pad_id: int,
                 codebook_size: int):
        super().__init__()
        self.config, self.pad_id, self.codebook_size = config, pad_id, codebook_size
        self.image_token = text_vocab  # the id of <image>
        self.code_offset = text_vocab + 1  # the id of image code 0
        self.gpt = GPT2LMHeadModel(GPT2Config(
            vocab_size=text_vocab + 1 + codebook_size,
            n_positions=config.caption_length + 1 + IMAGE_TOKENS,
            n_embd=config.n_embd, n_inner=config.mlp_width, n_layer=config.n_layer,
            n_head=config.n_head,
            resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
            # GPT-2's tanh GELU as one fused kernel: the same function as gelu_new's chain of
            # elementwise ops, and about a tenth less time per training step on this CPU
            activation_function="gelu_pytorch_tanh",
            bos_token_id=self.image_token, eos_token_id=self.image_token))

    def prefix(self, captions: torch.Tensor) -> torch.Tensor:
        """(N, caption_length) caption ids -> (N, caption_length + 1): the caption and <image>."""
        if captions.ndim != 2 or captions.shape[1] != self.config.caption_length:
            raise BadInputError(f"captions must be (N, {self.config.caption_length}) token ids, "
                                f"got {tuple(captions.shape)}")
        image = torch.full((len(captions), 1), self.image_token, dtype=torch.long)
        return torch.cat([captions, image], 1)

    def code_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Hidden states (..., n_embd) -> logits over the K image codes only (the rows of the
        tied output layer that belong to codes)."""
        return hidden @ self.gpt.lm_head.weight[self.code_offset:].T

    def image_logits(self, captions: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: (N, caption_length) captions and (N, 64) image codes -> (N, 64, K)
        logits, position i predicting code i from the caption and codes 0..i-1."""
        inputs = torch.cat([self.prefix(captions), images[:, :-1] + self.code_offset], 1)
        hidden = self.gpt.transformer(input_ids=inputs).last_hidden_state
        return self.code_logits(hidden[:, self.config.caption_length:])
