"""A CLIP-style dual encoder (Radford et al. 2021) for the shapes world.

Two towers map an image and a caption into the same space of unit vectors, where a matching
pair points the same way. Nothing generates anything: the model only *compares*, and that is
enough for search (rank images by their similarity to a query), zero-shot classification
(compare an image with one prompt per class) and tagging.

- The image tower is a small CNN over 4 x 4-pixel patches whose last feature map is
  *flattened*, not averaged: position is one of the attributes, and global average pooling
  would throw away where things are.
- The text tower reads the frozen sentence embedding of chapter 4's bilingual encoder
  (MiniLM's 384 numbers for English, the distilled student's for Chinese, in the same space)
  through a trainable two-layer projection. Locking the language model keeps training short
  and lets one tower read both languages.
- Training pulls matching pairs together and pushes the rest of the batch away with the
  symmetric InfoNCE loss; a learnable temperature sets how sharp the softmax is.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class DualEncoderConfig:
    """Sizes of both towers and the training budget (1,000 steps of 256 pairs take about half
    a minute on one CPU thread)."""

    embed_dim: int = 64  # the shared space
    width: int = 32  # channels of the patch embedding; doubled once
    text_dim: int = 384  # MiniLM's sentence embedding
    text_hidden: int = 256
    init_temperature: float = 0.07  # CLIP's starting value
    steps: int = 1000
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 0.01
    lang: str = "both"  # captions of the training batches: "en", "zh" or "both"
    seed: int = 0


class ImageTower(nn.Module):
    """uint8 images (N, 32, 32, 3) -> features (N, embed_dim), not yet normalised.

    A ViT-style stem cuts the image into an 8 x 8 grid of 4 x 4-pixel patches and embeds each
    (a convolution with stride 4); one more convolution mixes neighbouring patches. Cheap
    enough to train in a minute on a CPU.
    """

    def __init__(self, config: DualEncoderConfig):
        super().__init__()
        w = config.width
        self.convs = nn.Sequential(
            nn.Conv2d(3, w, kernel_size=4, stride=4), nn.ReLU(),  # 8 x 8 patches
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1), nn.ReLU(),  # 4 x 4
        )
        # Flattening keeps each feature's place on the 4 x 4 grid: that is the position.
        self.head = nn.Linear(2 * w * 16, config.embed_dim)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.permute(0, 3, 1, 2).float() / 127.5 - 1  # uint8 NHWC -> [-1, 1] NCHW
        return self.head(self.convs(x).flatten(1))


class TextTower(nn.Module):
    """Frozen sentence embeddings (N, text_dim) -> features (N, embed_dim)."""

    def __init__(self, config: DualEncoderConfig):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(config.text_dim, config.text_hidden), nn.GELU(),
                                 nn.Linear(config.text_hidden, config.embed_dim))

    def forward(self, sentence_embeddings: torch.Tensor) -> torch.Tensor:
        return self.mlp(sentence_embeddings)


class DualEncoder(nn.Module):
    """An image tower and a text tower into one space of unit vectors, and a temperature."""

    def __init__(self, config: DualEncoderConfig):
        super().__init__()
        self.config = config
        self.image_tower = ImageTower(config)
        self.text_tower = TextTower(config)
        # CLIP learns log(1 / temperature): it stays positive and its steps are relative.
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / config.init_temperature)))

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """Unit vectors (N, embed_dim) of uint8 images (N, 32, 32, 3)."""
        return F.normalize(self.image_tower(images), dim=-1)

    def encode_texts(self, sentence_embeddings: torch.Tensor) -> torch.Tensor:
        """Unit vectors (N, embed_dim) of sentence embeddings (N, text_dim)."""
        return F.normalize(self.text_tower(sentence_embeddings), dim=-1)

    def scale(self) -> torch.Tensor:
        """1 / temperature, capped at 100 as in CLIP so the logits cannot blow up."""
        return self.logit_scale.exp().clamp(max=100)

    def forward(self, images: torch.Tensor, sentence_embeddings: torch.Tensor) -> torch.Tensor:
        """Logits (N_images, N_texts): scaled cosine similarity of every image with every text."""
        return self.scale() * self.encode_images(images) @ self.encode_texts(sentence_embeddings).T


def contrastive_loss(image_features: torch.Tensor, text_features: torch.Tensor,
                     scale: torch.Tensor | float, positives: torch.Tensor | None = None
                     ) -> torch.Tensor:
    """The symmetric InfoNCE loss of CLIP on a batch of unit vectors.

    logits = scale * image_features @ text_features.T. Each image must pick its own caption
    out of the batch (cross-entropy over a row) and each caption its own image (over a
    column); the loss is the mean of the two directions. `positives` (N, N, bool) marks every
    matching pair: in the shapes world two images of a batch can show the same scene, and
    calling the other one's caption a *wrong* answer would teach the model to separate
    identical descriptions. With several positives the target of a row is uniform over them.
    Without `positives`, only the diagonal matches (the textbook case).
    """
    logits = scale * image_features @ text_features.T
    if positives is None:
        targets = torch.arange(len(logits), device=logits.device)
        return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
    positives = positives.float()
    image_to_text = -(positives / positives.sum(1, keepdim=True) * logits.log_softmax(1)).sum(1)
    text_to_image = -(positives.T / positives.sum(0)[:, None] * logits.T.log_softmax(1)).sum(1)
    return (image_to_text.mean() + text_to_image.mean()) / 2
