"""How good are generated images? A judge, FID on the judge's features, and a diversity ratio.

Generated images have no ground truth to compare against, so we measure them with tools trained
on real images:

- a *judge*: a small CNN classifier trained on real labelled images. If it recognises a
  generated "7" as a 7, the image at least has the shape of one (judged accuracy);
- *FID* (Heusel et al., 2017): the Frechet distance between Gaussians fitted to the judge's
  penultimate-layer features of real and of generated images. It compares whole distributions,
  so it notices missing variety as well as bad quality. The standard FID uses Inception-v3
  features of ImageNet photos; for 28x28 digits the judge's own features are the better eye;
- a *diversity ratio*: how much generated images of one class vary, pixel by pixel, relative
  to how much real images of that class do. A generator that draws one image per class (mode
  collapse) can still fool the judge, but scores 0 here.

Images everywhere are uint8 arrays (numpy or torch) of shape (N, H, W) for grey or (N, H, W, C)
for colour, with ink 0..255, as the course's datasets hand them out.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance

from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError
from tutorial_lib.model_cache import Trained, load_or_train
from tutorial_lib.runtime import load_state, seed_everything
from tutorial_lib.training import History, train_loop


def as_image_tensor(images, image_shape: tuple[int, ...] | None = None) -> torch.Tensor:
    """uint8 (N, H, W[, C]) images -> float tensor (N, C, H, W) in [0, 1], after checking them."""
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8:
        kind = getattr(images, "dtype", type(images).__name__)
        raise BadInputError(f"images must be a uint8 array with ink 0..255, got {kind}")
    if images.dim() not in (3, 4) or len(images) == 0:
        raise BadInputError(f"images must be a non-empty (N, H, W) or (N, H, W, C) batch, got "
                            f"shape {tuple(images.shape)}")
    if image_shape is not None and tuple(images.shape[1:]) != tuple(image_shape):
        raise BadInputError(f"this judge was trained on images of shape {tuple(image_shape)}, "
                            f"got {tuple(images.shape[1:])}")
    images = images if images.dim() == 4 else images.unsqueeze(-1)
    return images.permute(0, 3, 1, 2).float() / 255


def _as_labels(labels, count: int, num_classes: int | None = None,
               heads: tuple[int, ...] | None = None) -> torch.Tensor:
    """Integer labels, one per image ((count,), or (count, len(heads)) for several heads), as
    an int64 tensor."""
    labels = torch.as_tensor(np.asarray(labels))
    shape = (count,) if heads is None else (count, len(heads))
    if labels.shape != shape or labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise BadInputError(f"labels must be integers of shape {shape}, one per image, got "
                            f"{labels.dtype} of shape {tuple(labels.shape)}")
    if num_classes is not None and (labels.min() < 0 or labels.max() >= num_classes):
        raise BadInputError(f"labels must lie in 0..{num_classes - 1}")
    if heads is not None and (labels.min() < 0 or (labels >= torch.tensor(heads)).any()):
        raise BadInputError(f"labels of head i must lie in 0..heads[i]-1, heads = {heads}")
    return labels.long()


class Judge(nn.Module):
    """A small CNN classifier: two conv blocks, then `features` numbers, then class logits.

    `features(x)` is the penultimate layer, the representation FID compares. The judge records
    the image shape it was trained on and refuses others. With `heads` = (k1, k2, ...) it reads
    several attributes at once (colour, shape, ...): its logits are the heads' logits side by
    side, num_classes = k1 + k2 + ..., and its predictions one class per head.
    """

    def __init__(self, image_shape: tuple[int, ...], num_classes: int, width: int = 32,
                 features: int = 128, heads: tuple[int, ...] | None = None):
        super().__init__()
        if heads is not None and sum(heads) != num_classes:
            raise BadInputError(f"heads {heads} must add up to num_classes={num_classes}")
        self.image_shape, self.num_classes = tuple(image_shape), num_classes
        self.heads = tuple(heads) if heads is not None else (num_classes,)
        self.num_features = features
        self.test_accuracy: float | None = None  # set by whoever evaluates it on held-out data
        height, wide = self.image_shape[:2]
        channels = self.image_shape[2] if len(self.image_shape) == 3 else 1
        self.body = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(2 * width * (height // 4) * (wide // 4), features), nn.ReLU(),
        )
        # dropout only between the features and the classifier: the features FID reads stay
        # deterministic, and the classifier cannot lean on a few of them
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(features, num_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer features (N, num_features) of float images (N, C, H, W) in [0, 1]."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))

    def head_logits(self, logits: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The logits (N, num_classes) cut into one block per head."""
        return logits.split(self.heads, dim=1)


def _shift(x: torch.Tensor, pixels: int, rng: torch.Generator) -> torch.Tensor:
    """Translate each image by up to `pixels` in x and y (zero fill): cheap augmentation that
    keeps the judge from caring exactly where a digit sits, which generated digits vary in."""
    if pixels == 0:
        return x
    height, width = x.shape[2:]
    padded = F.pad(x, (pixels,) * 4)
    dy, dx = torch.randint(0, 2 * pixels + 1, (2, len(x)), generator=rng)
    rows = (dy[:, None] + torch.arange(height))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(width))[:, None, None, :]
    batch = torch.arange(len(x))[:, None, None, None]
    channel = torch.arange(x.shape[1])[None, :, None, None]
    return padded[batch, channel, rows, cols]


@dataclass
class JudgeConfig:
    """Training settings of a judge (`judge.test_accuracy` reports what they reach)."""

    steps: int = 500
    batch_size: int = 128
    lr: float = 2e-3
    width: int = 32
    features: int = 128
    shift: int = 2
    seed: int = 0


def train_judge(images, labels, config: JudgeConfig | None = None, progress: bool = True,
                heads: tuple[int, ...] | None = None) -> Judge:
    """Train a Judge on real labelled images (uint8 (N, H, W[, C])) with integer labels 0..K-1:
    (N,) for one head, or (N, len(heads)) with heads = the number of classes of each."""
    config = config or JudgeConfig()
    x = as_image_tensor(images)
    y = _as_labels(labels, len(x), heads=heads)
    if y.min() < 0:
        raise BadInputError("labels must be non-negative class indices")
    rng = seed_everything(config.seed)
    num_classes = sum(heads) if heads else int(y.max()) + 1
    judge = Judge(tuple(images.shape[1:]), num_classes, config.width, config.features, heads)
    y = y.reshape(len(x), -1)  # one column per head
    optimizer = torch.optim.Adam(judge.parameters(), lr=config.lr)
    # warm up, then anneal the learning rate to almost zero: the last steps settle the weights
    # instead of bouncing around
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=config.steps)

    def step(i):
        batch = torch.randint(len(x), (config.batch_size,), generator=rng)
        logits = judge.head_logits(judge(_shift(x[batch], config.shift, rng)))
        loss = sum(F.cross_entropy(block, y[batch, i]) for i, block in enumerate(logits))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        return {"loss": loss.item()}

    judge.train()
    train_loop(step, config.steps, log_every=10, desc="training the judge", progress=progress)
    return judge.eval()


def cached_judge(file_name: str, config: JudgeConfig, image_shape: tuple[int, ...],
                 heads: tuple[int, ...], data: Callable[[], tuple], data_id: str,
                 progress: bool = True) -> Judge:
    """A judge trained with `config` on `data()` = (train images, train labels, test images,
    test labels), whose identity is `data_id` (see `model_cache.load_or_train`): loaded from the
    cache file `file_name`, or trained, scored on the test part and saved.
    `judge.test_accuracy` holds the score."""

    def train():
        train_images, train_labels, test_images, test_labels = data()
        start = time.perf_counter()
        judge = train_judge(train_images, train_labels, config, progress=progress,
                            heads=heads if len(heads) > 1 else None)
        history = History(seconds=time.perf_counter() - start)
        judge.test_accuracy = judge_accuracy(judge, test_images, test_labels)
        return Trained(judge, judge.state_dict(), history,
                       {"test_accuracy": f"{judge.test_accuracy}"})

    def restore(tensors):
        judge = Judge(image_shape, sum(heads), config.width, config.features, heads)
        return load_state(judge, tensors, file_name)

    trained = load_or_train(file_name, config, data_id, train, restore)
    trained.value.test_accuracy = float(trained.facts["test_accuracy"])
    return trained.value


@torch.no_grad()
def _run(judge: Judge, images, method, batch_size: int = 500) -> torch.Tensor:
    """Apply judge.forward or judge.features to checked images in eval mode, in batches."""
    x = as_image_tensor(images, judge.image_shape)
    judge.eval()
    return torch.cat([method(chunk) for chunk in x.split(batch_size)])


def judge_predictions(judge: Judge, images) -> np.ndarray:
    """The judge's class for each image, int64 (N,); with several heads (N, heads)."""
    blocks = judge.head_logits(_run(judge, images, judge.forward))
    predictions = torch.stack([block.argmax(dim=1) for block in blocks], dim=1).numpy()
    return predictions[:, 0] if len(blocks) == 1 else predictions


def judge_accuracy(judge: Judge, images, labels) -> float:
    """Fraction of images the judge puts in the class they were meant to be (or truly are);
    with several heads, the fraction with every head right."""
    predictions = judge_predictions(judge, images)
    heads = judge.heads if len(judge.heads) > 1 else None
    labels = _as_labels(labels, len(predictions), heads=heads).numpy()
    correct = predictions == labels
    return float((correct if correct.ndim == 1 else correct.all(axis=1)).mean())


def judge_features(judge: Judge, images) -> np.ndarray:
    """Penultimate-layer features of the judge, float32 (N, judge.num_features)."""
    return _run(judge, images, judge.features).numpy()


class JudgeFeatureExtractor(nn.Module):
    """The judge's feature layer in the form torchmetrics' FID takes as a custom `feature`:

    it reads `num_features` instead of probing with a dummy image, and with normalize=True hands
    over the float images it was given unchanged, here (N, C, H, W) in [0, 1].
    """

    def __init__(self, judge: Judge):
        super().__init__()
        self.judge = judge
        self.num_features = judge.num_features

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.judge.eval()
        return self.judge.features(x)


def fid(real_images, fake_images, judge: Judge, batch_size: int = 500) -> float:
    """FID between two image sets on the judge's features: 0 for identical statistics.

    ||mu_r - mu_f||^2 + Tr(S_r + S_f - 2 (S_r S_f)^(1/2)), computed by torchmetrics in float64.
    Both sets need at least two images; FID shrinks as the sets grow, so compare numbers
    measured on sets of the same sizes.
    """
    real = as_image_tensor(real_images, judge.image_shape)
    fake = as_image_tensor(fake_images, judge.image_shape)
    if len(real) < 2 or len(fake) < 2:
        raise BadInputError("FID needs at least 2 images in each set to estimate a covariance")
    metric = FrechetInceptionDistance(feature=JudgeFeatureExtractor(judge), normalize=True)
    for images, is_real in ((real, True), (fake, False)):
        for chunk in images.split(batch_size):
            metric.update(chunk, real=is_real)
    return float(metric.compute())


def fid_ratio(real_images, fake_images, judge: Judge, seed: int = 0) -> float:
    """FID(generated, real) / FID(real half A, real half B): how many times further generated
    images are from real ones than real images are from each other. 1 is as good as it gets.

    The real images are split at random into halves A and B, and a random subset of the
    generated images, as large as B, is compared with A: both distances then compare sets of
    the same sizes against the same A (FID depends on the sizes).
    """
    real = np.asarray(real_images)
    fake = np.asarray(fake_images)
    half = len(real) // 2
    if half < 2 or len(fake) < half:
        raise BadInputError(f"fid_ratio needs at least 4 real images and at least half as many "
                            f"generated ones, got {len(real)} real and {len(fake)} generated")
    rng = np.random.default_rng(seed)
    real = real[rng.permutation(len(real))]
    fake = fake[rng.permutation(len(fake))[:half]]
    return fid(real[:half], fake, judge) / fid(real[:half], real[half:2 * half], judge)


def class_spread(images, labels, classes=None) -> float:
    """Mean over classes (default: those in `labels`) of the per-pixel standard deviation of
    the images of each class: 0 when every class is a single repeated image."""
    labels = _as_labels(labels, len(as_image_tensor(images))).numpy()
    classes = np.unique(labels) if classes is None else classes
    # whole numbers 0..255 in float64: a constant pixel sums, and so averages, exactly, so a
    # collapsed class has a spread of exactly 0 (the ratio does not depend on the scale)
    x = np.asarray(images, dtype=np.float64).reshape(len(labels), -1)
    spreads = []
    for c in classes:
        members = x[labels == c]
        if len(members) < 2:
            raise BadInputError(f"class {c} has {len(members)} image(s); the spread of a class "
                                "needs at least 2")
        spreads.append(members.std(axis=0).mean())
    return float(np.mean(spreads))


def diversity_ratio(fake_images, fake_labels, real_images, real_labels) -> float:
    """Within-class pixel spread of generated images / the same for real images.

    For each class of the generated images, take the per-pixel standard deviation over its
    images and average it over pixels; average over classes; divide by the same number for the
    real images of those classes. 1: as varied as real digits; 0: one image per class (mode
    collapse). Above 1 usually means noise, not variety: look at the pictures.
    """
    fake_labels = _as_labels(fake_labels, len(as_image_tensor(fake_images))).numpy()
    real_labels = _as_labels(real_labels, len(as_image_tensor(real_images))).numpy()
    if np.shape(fake_images)[1:] != np.shape(real_images)[1:]:
        raise BadInputError(f"generated images {np.shape(fake_images)[1:]} and real images "
                            f"{np.shape(real_images)[1:]} must have the same shape")
    classes = np.unique(fake_labels)
    real_spread = class_spread(real_images, real_labels, classes)
    if real_spread == 0:
        raise BadInputError("the real images do not vary within any class: nothing to compare to")
    return class_spread(fake_images, fake_labels, classes) / real_spread


REAL_PER_SCENE = 32


def scene_diversity(generated: np.ndarray, attrs: list[dict], per_prompt: int) -> float:
    """diversity_ratio of generated images grouped by scene (per_prompt consecutive images per
    attribute dict) against REAL_PER_SCENE real pictures of each scene, drawn as the world draws
    them (offset, side and colour shift)."""
    labels = np.repeat(np.arange(len(attrs)), per_prompt)
    real = np.concatenate([shapes.render_variations(a, REAL_PER_SCENE, seed=i)
                           for i, a in enumerate(attrs)])
    real_labels = np.repeat(np.arange(len(attrs)), REAL_PER_SCENE)
    return diversity_ratio(generated, labels, real, real_labels)


def rate_noise(n: int) -> float:
    """Two standard errors of a rate (a share of n prompts, images or queries) at its widest,
    rate 1/2: two rates measured on n samples that differ by less are not told apart from
    sampling noise. The chapters use it before putting a comparison into words."""
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise BadInputError(f"n must be a positive integer, got {n!r}")
    return 2 * float(np.sqrt(0.25 / n))
