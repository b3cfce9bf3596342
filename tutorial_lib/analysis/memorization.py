"""Does a generator copy its training images? A nearest-neighbour memorisation check.

For each generated image we find the closest training image (L2 distance in pixel space). On
its own that number means little: digits are alike, so even a fresh digit has a close
training neighbour. The yardstick is the same distance for *held-out real* images, which the
model never saw: a generator that makes new digits sits about as far from the training set as
they do (median ratio ~1), one that copies sits much closer (ratio ~0). "Copies" are the
generated images closer to the training set than 95% of the held-out ones (Carlini et al.
2023 use the same idea, with a stricter, patch-wise distance, on diffusion models).

Contrast: `overfit_digit_gan()` trains chapter 3's recipe on a few dozen digits for long
enough to memorise them. `shapes_memorization()` runs the same check on chapter 4's
text-to-image GAN: in world version 2 no shapes picture repeats, so a copy would show.
"""

from dataclasses import dataclass, replace

import numpy as np
import torch

from tutorial_lib.data import shapes
from tutorial_lib.data.mnist import mnist_split
from tutorial_lib.data.prompts import EVAL_SEED, evaluation_prompts
from tutorial_lib.errors import BadInputError
from tutorial_lib.gan.digits import DEFAULT_CONFIG, cached_digit_gan
from tutorial_lib.gan.nets import Generator
from tutorial_lib.gan.train import GANConfig
from tutorial_lib.runtime import budget
from tutorial_lib.t2i.pipeline import pretrained_text_to_image, t2i_config
from tutorial_lib.t2i.train import generate_from_conditions
from tutorial_lib.text.encoders import text_encoder
from tutorial_lib.text.words import Words

COPY_PERCENTILE = 5.0  # a "copy" is closer to the training set than 95% of unseen real images
OVERFIT_FILE = "digit_gan_overfit.safetensors"
OVERFIT_PER_DIGIT = 3  # 30 training digits: few enough to be memorised in a short run


def _flat(images) -> torch.Tensor:
    """uint8 or float images (N, ...) -> float (N, pixels) in [0, 1]."""
    array = np.asarray(images)
    if array.ndim < 2 or len(array) == 0:
        raise BadInputError(f"expected a batch of images (N, ...), got shape {array.shape}")
    flat = torch.from_numpy(array.reshape(len(array), -1).astype(np.float32))
    return flat / 255 if array.dtype == np.uint8 else flat


@torch.no_grad()
def nearest_neighbours(queries, reference, chunk: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """(distance, index) of each query's nearest reference image: L2 in pixel space, pixels
    scaled to [0, 1]. Computed in chunks so 1,000 x 4,000 images need little memory."""
    q, r = _flat(queries), _flat(reference)
    if q.shape[1] != r.shape[1]:
        raise BadInputError(f"queries have {q.shape[1]} pixels, reference images {r.shape[1]}")
    distances, indices = [], []
    for start in range(0, len(q), chunk):
        d = torch.cdist(q[start:start + chunk].double(), r.double())
        best = d.min(dim=1)
        distances.append(best.values.float())
        indices.append(best.indices)
    return torch.cat(distances).numpy(), torch.cat(indices).numpy()


@dataclass
class MemorizationReport:
    """The generated images, and nearest-training-neighbour distances of generated and of
    held-out real images.

    median_ratio: median generated distance / median held-out distance (~1: new images,
    ~0: copies); copies: the fraction of generated images closer than the held-out
    distances' COPY_PERCENTILE-th percentile (about 0.05 for a generator that does not copy).
    """

    generated: np.ndarray
    generated_distance: np.ndarray
    generated_neighbour: np.ndarray
    heldout_distance: np.ndarray
    median_ratio: float
    copies: float
    copy_threshold: float


def memorization_report(generated, train, heldout) -> MemorizationReport:
    """Compare generated images with held-out real ones by their distance to `train`."""
    gen_d, gen_i = nearest_neighbours(generated, train)
    held_d, _ = nearest_neighbours(heldout, train)
    threshold = float(np.percentile(held_d, COPY_PERCENTILE))
    return MemorizationReport(np.asarray(generated), gen_d, gen_i, held_d,
                              float(np.median(gen_d) / max(np.median(held_d), 1e-12)),
                              float(np.mean(gen_d < threshold)), threshold)


# what the check looks at, in both languages
THINGS = {"digits": "数字", "pictures": "图片"}


def verdict(report: MemorizationReport, things: str = "digits") -> Words:
    """The check's result in words: new images at a median ratio of at least 0.8 with at most
    a tenth copies (the targets the course holds its generators to), copies below 0.5."""
    zh = THINGS[things]
    if report.median_ratio >= 0.8 and report.copies <= 0.1:
        return Words(f"makes new {things}", f"生成的是新的{zh}")
    if report.median_ratio < 0.5:
        return Words(f"reproduces its training {things}", f"复现了它的训练{zh}")
    return Words(f"sits closer to its training set than unseen {things} do",
                 f"比没见过的{zh}更接近它的训练集")


def overfit_config() -> GANConfig:
    """Chapter 3's recipe without the mode-seeking term (it pushes samples apart, which is
    the opposite of copying), for a long run on a tiny training set."""
    return replace(DEFAULT_CONFIG, mode_seeking=0.0, steps=budget(1500, 30), batch_size=32,
                   snapshot_every=budget(500, 10))


def overfit_training_set() -> tuple[np.ndarray, np.ndarray]:
    """The first OVERFIT_PER_DIGIT training digits of each class: (images, labels)."""
    images, labels, _, _ = mnist_split()
    keep = np.concatenate([np.flatnonzero(labels == d)[:OVERFIT_PER_DIGIT] for d in range(10)])
    return images[keep], labels[keep]


def overfit_digit_gan(progress: bool = True) -> Generator:
    """A conditional digit GAN trained on 30 digits until it copies them; cached."""
    images, labels = overfit_training_set()
    return cached_digit_gan(OVERFIT_FILE, overfit_config(), images, labels, progress)


def t2i_training_pictures() -> np.ndarray:
    """The pictures chapter 4's default text-to-image GAN trained on, in its training order."""
    config = t2i_config()
    return shapes.sample(config.train_images, seed=config.seed, split="train",
                         lang="both").images


def shapes_memorization(n_prompts: int = 200, seed: int = 0) -> MemorizationReport:
    """The check for chapter 4's default text-to-image GAN: one image for each of n_prompts
    seen-scene test prompts, against the GAN's own training pictures (t2i_training_pictures;
    generated_neighbour indexes them); held out: as many fresh test-split pictures, of the
    same scenes, that no model trained on."""
    train = t2i_training_pictures()
    prompts, _ = evaluation_prompts("seen", n_prompts)
    generated = generate_from_conditions(pretrained_text_to_image(progress=False),
                                         text_encoder("bilingual")(prompts), seed)
    heldout = shapes.sample(n_prompts, seed=EVAL_SEED + 2, split="test").images
    return memorization_report(generated, train, heldout)


def memorization_numbers(per_digit: int = 100, seed: int = 0) -> dict[str, MemorizationReport]:
    """The check for chapter 3's digit GAN ("default", against its 4,000 training digits) and
    for the over-fit GAN ("overfit", against its 30); held-out digits: the 1,000 test digits.
    Each generator draws per_digit images of every digit."""
    from tutorial_lib.gan.digits import pretrained_digit_gan
    from tutorial_lib.gan.train import generate

    train_images, _, test_images, _ = mnist_split()
    labels = np.repeat(np.arange(10), per_digit)
    reports = {}
    for name, generator, train in (
            ("default", pretrained_digit_gan(progress=False), train_images),
            ("overfit", overfit_digit_gan(progress=False), overfit_training_set()[0])):
        reports[name] = memorization_report(generate(generator, len(labels), labels, seed),
                                            train, test_images)
    return reports
