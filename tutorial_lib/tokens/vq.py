"""The image tokenizer: a VQ-VAE that turns a 32x32 picture into an 8x8 grid of codebook indices.

van den Oord et al. (2017): a convolutional encoder maps the image to an 8x8 grid of vectors,
each vector is replaced by the nearest of K code vectors (the codebook), and a convolutional
decoder paints the picture back from the codes alone. The index of the nearest code is the
image token; 64 of them, each one of K values, are the whole picture as a "sentence".

Two details make it train:

- *Straight-through gradients.* Picking the nearest code has no gradient, so the decoder's
  gradient is passed to the encoder output unchanged (`z + (q - z).detach()`), and a
  commitment loss `beta * |z - sg(q)|^2` keeps the encoder near its codes.
- *Codebook by exponential moving averages* (the paper's appendix): each code moves to the EMA
  of the encoder vectors assigned to it, instead of following a gradient, and a code that no
  vector has chosen for a while is restarted at an encoder vector of the batch, so the whole
  codebook stays in use.

The shapes world is mostly black background, and that shapes three choices. A plain mean
squared error lets a model blur a small shape, which covers a few dozen of the 1,024 pixels, so
the reconstruction loss weighs the pixels of the object `foreground_weight` times more than the
background. A dead code restarts at a vector drawn in proportion to its squared distance from
its code (as k-means++ seeds), not uniformly: a uniform draw lands on the background almost
every time, and codes are needed where the codebook fits worst, on the objects. And the decoder
ends in a 3x3 convolution at full resolution, which sharpens the corners that tell a small
square or diamond from a small circle (the tokenizer's commonest mistake is to round them);
the loss for the same reason also compares the images' edges (`reconstruction_loss`).

Convolutions are most of the tokenizer's training time, so where the CPU does bfloat16 in
hardware they run in it (`VQTokenizer.convolve`), about 1.8x faster there; the codebook, its
distances and the losses stay in float32 (the bench's reconstruction row checks the result).
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.errors import BadInputError
from tutorial_lib.runtime import bfloat16_where_native


@dataclass(frozen=True)
class VQConfig:
    """The tokenizer's size and its training recipe (32x32 -> 8x8: two stride-2 stages)."""

    codebook_size: int = 256
    code_dim: int = 32
    width: int = 64
    commitment: float = 0.25
    ema_decay: float = 0.99
    dead_after: float = 0.01  # a code whose EMA count falls below this is restarted
    foreground_weight: float = 20.0
    steps: int = 1000
    batch_size: int = 128
    lr: float = 2e-3
    min_lr: float = 2e-3  # a warm-up, then no decay
    warmup_steps: int = 50
    train_images: int = 20_000
    seed: int = 0


CHUNK = 1000  # images per pass when encoding or decoding many: bounds the activations' memory


class Codebook(nn.Module):
    """K code vectors of dimension D, moved by EMAs of the vectors assigned to them."""

    def __init__(self, size: int, dim: int, decay: float, dead_after: float):
        super().__init__()
        self.decay, self.dead_after = decay, dead_after
        self.register_buffer("codes", torch.randn(size, dim) * 0.1)
        self.register_buffer("counts", torch.ones(size))  # EMA of vectors assigned per step
        self.register_buffer("sums", self.codes.clone())  # EMA of their sum

    def nearest(self, z: torch.Tensor) -> torch.Tensor:
        """(N, D) vectors -> (N,) index of the nearest code (squared Euclidean distance)."""
        distances = (z.pow(2).sum(1, keepdim=True) - 2 * z @ self.codes.T
                     + self.codes.pow(2).sum(1))
        return distances.argmin(1)

    @torch.no_grad()
    def update(self, z: torch.Tensor, index: torch.Tensor, rng: torch.Generator) -> None:
        """One EMA step from a batch's vectors (N, D) and their nearest codes (N,); codes that
        have gone unused are restarted at vectors of the batch, drawn in proportion to how badly
        their own codes fit them."""
        # how badly each vector fits its code before the step: where restarted codes go
        error = (z - self.codes[index]).pow(2).sum(1) + 1e-12
        counts = torch.bincount(index, minlength=len(self.codes)).type_as(z)
        sums = torch.zeros_like(self.sums).index_add_(0, index, z)
        self.counts.lerp_(counts, 1 - self.decay)
        self.sums.lerp_(sums, 1 - self.decay)
        # Laplace smoothing keeps a code with a tiny count from dividing by almost zero
        total = self.counts.sum()
        smoothed = (self.counts + 1e-5) / (total + len(self.codes) * 1e-5) * total
        self.codes.copy_(self.sums / smoothed[:, None])
        dead = self.counts < self.dead_after
        if dead.any():
            picks = torch.multinomial(error, int(dead.sum()), replacement=True, generator=rng)
            self.codes[dead] = z[picks]
            self.sums[dead] = z[picks]
            self.counts[dead] = 1.0


def straight_through(z: torch.Tensor, quantized: torch.Tensor) -> torch.Tensor:
    """The quantized values forward, the identity backward: d(out)/d(z) = 1."""
    return z + (quantized - z).detach()


class ResBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(width, width, 1))

    def forward(self, x):
        return x + self.body(x)


class VQTokenizer(nn.Module):
    """encode: images (N, 3, 32, 32) in [-1, 1] -> tokens (N, 8, 8); decode: the reverse."""

    grid = 8

    def __init__(self, config: VQConfig):
        super().__init__()
        w = config.width
        self.config = config
        self.encoder = nn.Sequential(
            nn.Conv2d(3, w, 4, 2, 1), nn.ReLU(), nn.Conv2d(w, w, 4, 2, 1),
            ResBlock(w), ResBlock(w), nn.ReLU(), nn.Conv2d(w, config.code_dim, 1))
        self.decoder = nn.Sequential(
            nn.Conv2d(config.code_dim, w, 3, padding=1), ResBlock(w), ResBlock(w), nn.ReLU(),
            nn.ConvTranspose2d(w, w // 2, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(w // 2, w // 8, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(w // 8, 3, 3, padding=1))
        self.codebook = Codebook(config.codebook_size, config.code_dim, config.ema_decay,
                                 config.dead_after)

    @staticmethod
    def convolve(stack: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """The encoder or the decoder on x, in bfloat16 where the CPU does it in hardware
        (`runtime.bfloat16_where_native`); the result in float32, so that the nearest-code
        search and the losses are computed at full precision."""
        with bfloat16_where_native():
            return stack(x).float()

    def _flat(self, z: torch.Tensor) -> torch.Tensor:
        return z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])

    def quantize(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder output (N, D, 8, 8) -> (its codes (N, D, 8, 8), their indices (N, 8, 8))."""
        n, d, h, w = z.shape
        index = self.codebook.nearest(self._flat(z))
        quantized = self.codebook.codes[index].view(n, h, w, d).permute(0, 3, 1, 2)
        return quantized, index.view(n, h, w)

    @torch.no_grad()
    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, 32, 32) in [-1, 1] -> (N, 8, 8) code indices, CHUNK images at a time."""
        if images.ndim != 4 or tuple(images.shape[1:]) != (3, 32, 32):
            raise BadInputError(f"the tokenizer takes images (N, 3, 32, 32), got "
                                f"{tuple(images.shape)}")
        return torch.cat([self.quantize(self.convolve(self.encoder, chunk))[1]
                          for chunk in images.split(CHUNK)])

    @torch.no_grad()
    def decode(self, tokens: torch.Tensor) -> torch.Tensor:
        """(N, 8, 8) code indices -> (N, 3, 32, 32) images in [-1, 1]."""
        if tokens.ndim != 3 or tuple(tokens.shape[1:]) != (self.grid, self.grid):
            raise BadInputError(f"image tokens must be (N, 8, 8), got {tuple(tokens.shape)}")
        if tokens.min() < 0 or tokens.max() >= len(self.codebook.codes):
            raise BadInputError(f"image tokens must lie in 0..{len(self.codebook.codes) - 1}")
        codes = (self.codebook.codes[chunk].permute(0, 3, 1, 2) for chunk in tokens.split(CHUNK))
        return torch.cat([self.convolve(self.decoder, z) for z in codes]).clamp(-1, 1)

    def forward(self, images: torch.Tensor, rng: torch.Generator | None = None):
        """(reconstruction, weighted reconstruction loss, commitment loss, indices); in training
        mode (with rng) the codebook takes one EMA step."""
        z = self.convolve(self.encoder, images)
        quantized, index = self.quantize(z)
        if self.training and rng is not None:
            self.codebook.update(self._flat(z).detach(), index.flatten(), rng)
        commitment = F.mse_loss(z, quantized.detach())
        recon = self.convolve(self.decoder, straight_through(z, quantized))
        loss = reconstruction_loss(recon, images, self.config.foreground_weight)
        return recon, loss, commitment, index


def reconstruction_loss(recon: torch.Tensor, images: torch.Tensor,
                        foreground_weight: float) -> torch.Tensor:
    """Squared error of the pixels plus squared error of their horizontal and vertical
    differences (the image's edges), the object's pixels (any channel above black) weighted up.

    A small square drawn with rounded corners is wrong in a handful of pixels, which a pixel
    loss barely notices, but along both of its edges near each corner, which the difference
    term does: with it the decoder keeps the corners that tell a square or a diamond from a
    circle."""
    foreground = (images > -0.95).any(1, keepdim=True).float()
    weights = 1 + (foreground_weight - 1) * foreground
    error = recon - images
    pixels = (weights * error.pow(2)).sum()
    edges = 0.0
    for dim in (2, 3):  # vertical, then horizontal neighbours
        pairs = images.shape[dim] - 1
        # a pair weighs as much as its heavier pixel: one touching the object is its outline
        pair_weights = torch.maximum(weights.narrow(dim, 0, pairs), weights.narrow(dim, 1, pairs))
        edges = edges + (pair_weights * error.diff(dim=dim).pow(2)).sum()
    return (pixels + edges / 2) / (weights.sum() * images.shape[1])


def code_usage(index: torch.Tensor, codebook_size: int) -> dict[str, float]:
    """How a set of image tokens uses the codebook: the perplexity of code frequencies
    (exp of their entropy: K if all codes were equally used, 1 for one code) and how many
    codes occur at all."""
    counts = torch.bincount(index.flatten(), minlength=codebook_size).double()
    p = counts / counts.sum()
    entropy = -(p[p > 0] * p[p > 0].log()).sum()
    return {"perplexity": float(entropy.exp()), "codes_used": int((counts > 0).sum())}
