"""A small text-conditional denoiser: diffusers' `UNet2DConditionModel` from a config.

The condition is the same 18 attribute probabilities the chapter-4 GAN reads
(`text.encoders.TextEncoder`), so GAN and diffusion model see identical text. Stable
Diffusion feeds a UNet a *sequence* of text vectors through cross-attention; here the sequence
has one token per attribute (colour, shape, size, row, column), each a learned linear map of
that attribute's probabilities, so every image position can attend to the attribute it needs.

Classifier-free guidance (Ho & Salimans 2022) needs an "unconditional" input: the all-zero
vector, which no caption produces (each attribute's probabilities sum to 1). Training replaces
a random fraction of conditions by it, so one network learns both eps(x_t, c) and eps(x_t).
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers import UNet2DConditionModel
from torch import nn

from tutorial_lib.data.attributes import ATTRIBUTE_CLASSES
from tutorial_lib.data.shapes import IMAGE_SIZE
from tutorial_lib.errors import BadInputError


@dataclass
class DiffusionConfig:
    """The denoiser's size and its training recipe.

    The UNet works on a 16x16 grid of 2x2 pixel blocks (12 channels): a pixel unshuffle is
    an exact rearrangement, so the noise stays Gaussian and this is still diffusion in pixel
    space, but every convolution costs a quarter. (Stable Diffusion goes further and runs on
    a learned, lossy latent grid.) `block_channels` are the widths at 16, 8 and 4 cells;
    cross-attention sits at 8 and 4.
    `uncond_rate` is the fraction of training conditions replaced by the null condition.

    Why this recipe: on a budget this short, predicting the clean image ("sample") learns far
    faster than predicting the noise, and more steps help more than bigger batches. The step
    count is what fits the chapter's time budget on a CPU, not what the model could still
    gain. `make bench` and chapter 8 measure the result.
    """

    block_channels: tuple[int, int, int] = (32, 48, 64)
    token_dim: int = 32
    head_dim: int = 16
    train_timesteps: int = 1000
    beta_schedule: str = "squaredcos_cap_v2"
    prediction_type: str = "sample"
    steps: int = 1000
    batch_size: int = 32
    lr: float = 1e-3
    ema_decay: float = 0.995
    uncond_rate: float = 0.1
    train_images: int = 20_000
    clip_norm: float = 1.0
    seed: int = 0


class AttributeTokens(nn.Module):
    """(N, 18) attribute probabilities -> (N, 5, token_dim): one token per attribute."""

    def __init__(self, token_dim: int):
        super().__init__()
        self.maps = nn.ModuleList(nn.Linear(k, token_dim) for k in ATTRIBUTE_CLASSES)

    def forward(self, conditions: torch.Tensor) -> torch.Tensor:
        blocks = conditions.split(ATTRIBUTE_CLASSES, dim=1)
        return torch.stack([m(block) for m, block in zip(self.maps, blocks, strict=True)], 1)


class TextConditionedUNet(nn.Module):
    """eps_theta(x_t, t, c): predicts the noise in x_t (N, 3, 32, 32) given step t and
    condition c (N, 18); a zero row of c means "no condition"."""

    def __init__(self, config: DiffusionConfig):
        super().__init__()
        self.tokens = AttributeTokens(config.token_dim)
        widths = tuple(config.block_channels)
        self.unet = UNet2DConditionModel(
            sample_size=IMAGE_SIZE // 2, in_channels=12, out_channels=12,
            block_out_channels=widths, layers_per_block=1,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
            cross_attention_dim=config.token_dim, attention_head_dim=config.head_dim,
            norm_num_groups=8)

    def forward(self, x: torch.Tensor, t: torch.Tensor, conditions: torch.Tensor) -> torch.Tensor:
        if conditions.ndim != 2 or conditions.shape[1] != sum(ATTRIBUTE_CLASSES):
            raise BadInputError(f"conditions must be (N, {sum(ATTRIBUTE_CLASSES)}), got "
                                f"{tuple(conditions.shape)}")
        if x.shape[1:] != (3, IMAGE_SIZE, IMAGE_SIZE) or len(x) != len(conditions):
            raise BadInputError(f"x must be (N, 3, {IMAGE_SIZE}, {IMAGE_SIZE}) with one row of "
                                f"conditions per image, got {tuple(x.shape)}")
        cells = F.pixel_unshuffle(x, 2)  # (N, 12, 16, 16): each 2x2 block becomes 12 channels
        out = self.unet(cells, t, encoder_hidden_states=self.tokens(conditions)).sample
        return F.pixel_shuffle(out, 2)
