"""The captioner: a small ViT reads the image, a small GPT-2 writes the caption.

Hugging Face's `VisionEncoderDecoderModel` glues any vision encoder to any text decoder. The
encoder (`ViTModel`) cuts the 32x32 image into 4x4-pixel patches, 64 of them, and turns each
into a vector that knows where it sits (position embeddings that start as a 2-D sine-cosine
table and are then learned); a transformer lets the patches exchange information. The decoder
is the course's GPT-2 (chapter 1) with one addition: in every layer, after attending to the
caption so far, each position *cross-attends* to the 65 encoder vectors (64 patches and ViT's
[CLS] token). That is the only road from pixels to words.

One decoder writes both languages. The caption tokenizer already covers English and Chinese; we
add two tokens, `<en>` and `<zh>`, and use one of them as the decoder's first token (the
"decoder start token") instead of `<bos>`:

    decoder input:  <zh> 左 上 角 有 一 个 小 的 红 色 圆 形
    labels:         左 上 角 有 一 个 小 的 红 色 圆 形 <eos>

so the language is a request, not something the model guesses, and `generate` only has to be
told which start token to use. One model, one set of weights, both languages share everything
they can (what a red circle at the top left looks like).
"""

from dataclasses import dataclass, field

import numpy as np
import torch
from transformers import (
    GPT2Config,
    GPT2LMHeadModel,
    VisionEncoderDecoderModel,
    ViTConfig,
    ViTModel,
)

from tutorial_lib.data.shapes import IMAGE_SIZE
from tutorial_lib.errors import BadInputError
from tutorial_lib.runtime import budget
from tutorial_lib.text.tokenizer import caption_tokenizer

LANG_TOKENS = {"en": "<en>", "zh": "<zh>"}
MAX_CAPTION_TOKENS = 24  # the longest caption is 16 tokens with its end token


@dataclass
class CaptionConfig:
    """Model shape and training budget of the captioner, sized to train in minutes on a CPU.

    Why these defaults: small 4x4-pixel patches keep the position of a shape readable, which
    larger patches blur; fixed sine-cosine positions (`sincos_positions`) learn row and column
    far sooner than ViT's random position embeddings; and one encoder layer is enough at that
    resolution, so each step stays cheap. `make bench` measures the result.
    """

    patch_size: int = 4  # 8x8 = 64 patches of 4x4 pixels
    enc_dim: int = 64
    enc_layers: int = 1
    dec_dim: int = 64
    dec_layers: int = 2
    n_head: int = 4
    steps: int = field(default_factory=lambda: budget(1500, 120))
    batch_size: int = 64
    lr: float = 3e-3
    min_lr: float = 3e-5
    warmup_steps: int = field(default_factory=lambda: budget(100, 10))
    betas: tuple[float, float] = (0.9, 0.95)
    threads: int = 1
    seed: int = 0


def captioning_tokenizer():
    """The course's caption tokenizer plus the two language tokens `<en>` and `<zh>`.

    They are special tokens: they never come out of `decode(..., skip_special_tokens=True)`.
    """
    tokenizer = caption_tokenizer()
    tokenizer.add_tokens(list(LANG_TOKENS.values()), special_tokens=True)
    return tokenizer


def lang_token_id(tokenizer, lang: str) -> int:
    """The id of the start token that asks for a caption in `lang` ('en' or 'zh')."""
    if lang not in LANG_TOKENS:
        raise BadInputError(f"unknown lang {lang!r}; expected one of {', '.join(LANG_TOKENS)}")
    return tokenizer.convert_tokens_to_ids(LANG_TOKENS[lang])


def build_captioner(config: CaptionConfig, tokenizer) -> VisionEncoderDecoderModel:
    """A freshly initialised VisionEncoderDecoderModel: ViT encoder, GPT-2 decoder with
    cross-attention, vocabulary of `tokenizer` (the one from `captioning_tokenizer`)."""
    encoder = ViTModel(ViTConfig(
        image_size=IMAGE_SIZE, patch_size=config.patch_size, num_channels=3,
        hidden_size=config.enc_dim, num_hidden_layers=config.enc_layers,
        num_attention_heads=config.n_head, intermediate_size=4 * config.enc_dim,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
        # "eager" attention computes the weights explicitly, so they can be pictured
        attn_implementation="eager"), add_pooling_layer=False)
    decoder = GPT2LMHeadModel(GPT2Config(
        vocab_size=len(tokenizer), n_positions=MAX_CAPTION_TOKENS + 1, n_embd=config.dec_dim,
        n_layer=config.dec_layers, n_head=config.n_head, activation_function="gelu",
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, add_cross_attention=True,
        is_decoder=True, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        # separate input and output embeddings: the weights can then be saved as plain
        # safetensors (which refuse two names for one tensor) and loaded back strictly
        tie_word_embeddings=False, attn_implementation="eager"))
    with torch.no_grad():
        encoder.embeddings.position_embeddings.copy_(
            sincos_positions(IMAGE_SIZE // config.patch_size, config.enc_dim))
    model = VisionEncoderDecoderModel(encoder=encoder, decoder=decoder)
    model.config.decoder_start_token_id = lang_token_id(tokenizer, "en")
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.decoder_start_token_id = model.config.decoder_start_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = None
    return model


def sincos_positions(side: int, dim: int) -> torch.Tensor:
    """2-D sine-cosine position embeddings (1, 1 + side * side, dim), [CLS] first (zeros).

    ViT's own position embeddings start as small random numbers, so where a patch sits must
    be learned from scratch, and a caption's row and column depend on nothing else. Starting
    from these fixed waves (as MAE does, He et al. 2022),
    half of the channels encode the row, half the column, at several frequencies, so the
    decoder can read positions from the first step; training may still adjust them.
    """
    quarter = dim // 4
    frequencies = 1.0 / 100 ** (torch.arange(quarter) / quarter)
    grid = torch.arange(side, dtype=torch.float32)[:, None] * frequencies  # (side, quarter)
    waves = torch.cat([grid.sin(), grid.cos()], dim=1)  # (side, dim / 2)
    rows = waves[:, None, :].expand(side, side, -1)
    cols = waves[None, :, :].expand(side, side, -1)
    table = torch.cat([rows, cols], dim=-1).reshape(side * side, -1)  # row-major, as ViT
    return torch.cat([torch.zeros(1, dim), table])[None]


def pixel_values(images: np.ndarray) -> torch.Tensor:
    """uint8 images (N, 32, 32, 3) as the float (N, 3, 32, 32) in [-1, 1] that ViT reads."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1


def check_images(images) -> np.ndarray:
    """Accept only a non-empty uint8 numpy array (N, 32, 32, 3); anything else is one
    BadInputError that says what was expected."""
    expected = f"uint8 numpy array of shape (N, {IMAGE_SIZE}, {IMAGE_SIZE}, 3)"
    if not isinstance(images, np.ndarray):
        raise BadInputError(f"images must be a {expected}, got a {type(images).__name__}")
    if images.dtype != np.uint8:
        raise BadInputError(f"images must be a {expected}, got dtype {images.dtype} "
                            "(convert with (x * 255).round().astype(np.uint8))")
    if images.ndim != 4 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE, 3):
        raise BadInputError(f"images must be a {expected}, got shape {images.shape}")
    if len(images) == 0:
        raise BadInputError("images is empty (N == 0): pass at least one image")
    return images
