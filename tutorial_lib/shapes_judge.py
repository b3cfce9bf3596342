"""The shapes judge: a CNN that reads colour, shape, size, row and column off an image.

Text-to-image models are scored by asking this judge what a generated image shows and comparing
its reading with what the prompt asked for. Its own accuracy on real images bounds every score
it gives, so `pretrained_shapes_judge()` reports it (`judge.test_accuracy`: all five attributes
right) and the course holds it to at least 99.5%.

The judge trains on random draws from the train and held-out splits, so it can read the
held-out colour-shape pairs as well; it never sees a generated image. It is tested on a fresh
draw of the test and held-out splits: pictures it has never seen (offsets, sides and colour
shifts are continuous, so no picture repeats), of scenes it has.
"""

from dataclasses import replace

import numpy as np

from tutorial_lib.data import shapes
from tutorial_lib.data.attributes import ATTRIBUTE_CLASSES, attribute_codes
from tutorial_lib.errors import BadInputError
from tutorial_lib.metrics import Judge, JudgeConfig, cached_judge, judge_predictions
from tutorial_lib.runtime import budget

HEADS = ATTRIBUTE_CLASSES
# no random shifts: position is one of the attributes, and the world already moves each object
JUDGE_CONFIG = JudgeConfig(steps=400, batch_size=128, lr=3e-3, shift=0)
FAST_JUDGE_STEPS = 30
TRAIN_IMAGES = 20_000
JUDGE_FILE = "shapes_judge.safetensors"


def _training_set(seed: int, n: int):
    """n images (and codes) drawn from the train and held-out splits, in equal measure."""
    halves = [shapes.sample(n // 2, seed=seed, split=split) for split in ("train", "heldout")]
    images = np.concatenate([half.images for half in halves])
    codes = attribute_codes([a for half in halves for a in half.attrs])
    return images, codes


def shapes_judge_config() -> JudgeConfig:
    return replace(JUDGE_CONFIG, steps=budget(JUDGE_CONFIG.steps, FAST_JUDGE_STEPS))


def pretrained_shapes_judge(progress: bool = True) -> Judge:
    """The attribute judge, trained on first use (under a minute on a CPU) and cached."""

    n = budget(TRAIN_IMAGES, 2_000)

    def data():
        return (*_training_set(seed=0, n=n), *_test_set())

    return cached_judge(JUDGE_FILE, shapes_judge_config(),
                        (shapes.IMAGE_SIZE, shapes.IMAGE_SIZE, 3), HEADS, data,
                        f"{shapes.world_fingerprint()} train+heldout n={n}", progress)


def _test_set(n: int = 2_000):
    """A fresh draw of real test and held-out images, the judge's own exam."""
    halves = [shapes.sample(n // 2, seed=1, split=split) for split in ("test", "heldout")]
    return (np.concatenate([half.images for half in halves]),
            attribute_codes([a for half in halves for a in half.attrs]))


def attribute_hits(judge: Judge, images, attrs_list) -> dict[str, np.ndarray]:
    """Per image, whether the judge reads each attribute as `attrs_list` asked: boolean arrays
    for colour, shape, size, position (row and column both right) and all_correct."""
    wanted = attribute_codes(attrs_list)
    read = judge_predictions(judge, images)
    if read.shape != wanted.shape:
        raise BadInputError(f"{len(read)} images but {len(wanted)} attribute dicts")
    right = read == wanted
    return {"color": right[:, 0], "shape": right[:, 1], "size": right[:, 2],
            "position": right[:, 3] & right[:, 4], "all_correct": right.all(axis=1)}


def attribute_scores(judge: Judge, images, attrs_list) -> dict[str, float]:
    """How often the judge reads each attribute of `images` as `attrs_list` asked: colour,
    shape, size, position (row and column both right) and all_correct (all four)."""
    return {name: float(hits.mean())
            for name, hits in attribute_hits(judge, images, attrs_list).items()}


def read_attributes(judge: Judge, images) -> list[dict[str, str]]:
    """What the judge sees in each image, as attribute dicts like shapes.sample's."""
    return [{name: values[code] for (name, values), code in zip(shapes.ATTRIBUTES, row,
                                                                 strict=True)}
            for row in judge_predictions(judge, images).tolist()]


def describe(attrs: dict[str, str]) -> str:
    """A short label of an attribute dict: 'small red circle, top left'."""
    return f"{attrs['size']} {attrs['color']} {attrs['shape']}, {attrs['row']} {attrs['col']}"
