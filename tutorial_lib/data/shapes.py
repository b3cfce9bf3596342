"""The captioned shapes world: 32x32 images of one coloured shape, with English/Chinese captions.

Every image holds exactly one object, described by five attributes (colour, shape, size, row,
column), so a caption says everything there is to know about its image. Four colour-shape pairs
never appear in the train and test splits; the "heldout" split contains only them, which lets
later chapters ask whether a model composes "blue" and "triangle" it has only seen apart.

Rendering is exact and fast: every possible image is computed once, and a batch of images is
one fancy-indexing lookup. The caption grammar lives in captions.py.
"""

import functools
import itertools
import math
import numbers
from collections import defaultdict
from typing import NamedTuple

import numpy as np

from tutorial_lib.data.captions import (
    all_captions,
    caption,
    choice_entropy,
    parse_caption,
    random_captions,
)
from tutorial_lib.errors import BadInputError

__all__ = [
    "COLORS", "SHAPES", "SIZES", "ROWS", "COLS", "HELDOUT_PAIRS", "SPLITS", "LANGS", "IMAGE_SIZE",
    "ShapesSample", "render", "sample", "sample_captions", "combinations", "caption",
    "all_captions", "parse_caption", "caption_entropy", "caption_distribution",
    "parallel_captions", "world_fingerprint",
]

IMAGE_SIZE = 32
COLORS = {
    "red": (230, 25, 25),
    "yellow": (230, 230, 25),
    "green": (25, 230, 25),
    "cyan": (25, 230, 230),
    "blue": (25, 25, 230),
    "magenta": (230, 25, 230),
}
SHAPES = ("circle", "square", "triangle", "diamond")
SIZES = {"small": 8, "large": 14}  # side of the bounding box in pixels
ROWS = ("top", "middle", "bottom")
COLS = ("left", "center", "right")
CELL_CENTERS = (8, 16, 24)  # pixel coordinate of the centre of row/col 0, 1, 2
HELDOUT_PAIRS = frozenset(
    {("blue", "triangle"), ("red", "diamond"), ("green", "circle"), ("yellow", "square")}
)
SPLITS = ("train", "test", "heldout")
LANGS = ("en", "zh", "both")
ATTRIBUTES = (("color", tuple(COLORS)), ("shape", SHAPES), ("size", tuple(SIZES)),
              ("row", ROWS), ("col", COLS))

_PALETTE = np.array(list(COLORS.values()), dtype=np.uint8)


class ShapesSample(NamedTuple):
    """A batch: images uint8 (n, 32, 32, 3), n attribute dicts and n captions."""

    images: np.ndarray
    attrs: list
    captions: list


def _index(what, value, allowed):
    """Position of value in allowed, or BadInputError naming the value and the allowed ones."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise BadInputError(
            f"unknown {what} {value!r}; expected one of {', '.join(map(str, allowed))}"
        )
    return allowed.index(value)


def _shape_mask(shape, side, cx, cy):
    """Boolean (32, 32) mask: pixels whose centre lies inside the shape, boundary included."""
    y, x = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE] + 0.5  # pixel centres; all values are exact
    dx, dy, h = x - cx, y - cy, side / 2
    if shape == "circle":
        return dx**2 + dy**2 <= h**2
    if shape == "square":
        return (np.abs(dx) <= h) & (np.abs(dy) <= h)
    if shape == "triangle":  # apex at the top centre, base on the bottom edge of the box
        return (dy <= h) & (np.abs(dx) <= (dy + h) / 2)
    return np.abs(dx) + np.abs(dy) <= h  # diamond


@functools.cache
def _image_table():
    """Every possible image (3888, 12 MB), indexed [shape, size, 3*row+dy+1, 3*col+dx+1, color].

    Painting a batch is then a single fancy-indexing copy, several times faster than masking
    and colouring each batch anew.
    """
    centers = [c + d for c in CELL_CENTERS for d in (-1, 0, 1)]
    masks = np.array([
        [[[_shape_mask(shape, side, cx, cy) for cx in centers] for cy in centers]
         for side in SIZES.values()]
        for shape in SHAPES
    ])
    # bool * uint8 stays uint8: the colour where the mask is set, exact black elsewhere.
    table = masks[..., None, :, :, None] * _PALETTE[:, None, None, :]
    table.flags.writeable = False
    return table


def _paint(codes, jitter):
    """Images for integer attribute codes (n, 5: color shape size row col) and jitter (n, 2)."""
    return _image_table()[codes[:, 1], codes[:, 2], 3 * codes[:, 3] + jitter[:, 1] + 1,
                          3 * codes[:, 4] + jitter[:, 0] + 1, codes[:, 0]]


def _encode(attrs):
    """Integer codes of an attribute dict, checking every value."""
    if not hasattr(attrs, "keys"):
        raise BadInputError(f"attrs must be a dict of attributes, got {type(attrs).__name__}")
    for key, _ in ATTRIBUTES:
        if key not in attrs:
            raise BadInputError(f"attrs is missing the key {key!r}")
    return [_index(key, attrs[key], allowed) for key, allowed in ATTRIBUTES]


def _decode(codes):
    """The attribute dict of one row of integer codes."""
    return {key: allowed[code] for (key, allowed), code in zip(ATTRIBUTES, codes, strict=True)}


def _check_jitter(jitter):
    """(dx, dy) as ints, each in {-1, 0, 1}."""
    try:
        dx, dy = jitter
    except (TypeError, ValueError):
        raise BadInputError(f"jitter must be a pair (dx, dy), got {jitter!r}") from None
    for name, d in (("dx", dx), ("dy", dy)):
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d not in (-1, 0, 1):
            raise BadInputError(f"jitter {name}={d!r} is not allowed; expected one of -1, 0, 1")
    return int(dx), int(dy)


def render(attrs, jitter=(0, 0)):
    """The uint8 (32, 32, 3) image of attrs, shifted by jitter=(dx, dy) pixels (x = column)."""
    codes = np.array([_encode(attrs)])
    return _paint(codes, np.array([_check_jitter(jitter)]))[0]


@functools.cache
def _split_codes(split):
    """Integer codes (N, 5) of every attribute combination in a split, in a fixed order."""
    _index("split", split, SPLITS)
    colors = tuple(COLORS)
    codes = [
        c for c in itertools.product(*(range(len(allowed)) for _, allowed in ATTRIBUTES))
        if ((colors[c[0]], SHAPES[c[1]]) in HELDOUT_PAIRS) == (split == "heldout")
    ]
    codes = np.array(codes)
    codes.flags.writeable = False
    return codes


def combinations(split):
    """Every attribute dict of a split: 360 for train and test, 72 for heldout."""
    return [_decode(codes) for codes in _split_codes(split).tolist()]


def _check_request(n, seed, split, lang):
    """Validate the arguments of sample and sample_captions."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n <= 0:
        raise BadInputError(f"n must be a positive int, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise BadInputError(f"seed must be a non-negative int, got {seed!r}")
    _index("split", split, SPLITS)
    _index("lang", lang, LANGS)


def _draw_scenes(n, seed, split):
    """Attribute codes and jitter from a stream that depends only on (seed, split)."""
    rng = np.random.default_rng([seed, SPLITS.index(split), 0])
    codes = _split_codes(split)[rng.integers(len(_split_codes(split)), size=n)]
    jitter = rng.integers(-1, 2, size=(n, 2))
    return codes, jitter


def _draw_captions(attrs, seed, split, lang):
    """Captions from a second stream, so the same seed gives the same scenes in every language."""
    rng = np.random.default_rng([seed, SPLITS.index(split), 1, LANGS.index(lang)])
    return random_captions(attrs, lang, rng)


def sample(n, seed=0, split="train", lang="en"):
    """n random captioned images of a split; lang is 'en', 'zh' or 'both' (a coin flip each)."""
    _check_request(n, seed, split, lang)
    codes, jitter = _draw_scenes(n, seed, split)
    attrs = [_decode(c) for c in codes.tolist()]
    return ShapesSample(_paint(codes, jitter), attrs, _draw_captions(attrs, seed, split, lang))


def sample_captions(n, seed=0, split="train", lang="en"):
    """The captions of sample(n, seed, split, lang) without rendering the images."""
    _check_request(n, seed, split, lang)
    codes, _ = _draw_scenes(n, seed, split)
    return _draw_captions([_decode(c) for c in codes.tolist()], seed, split, lang)


def caption_entropy(lang, split="train"):
    """Exact entropy in nats of one caption of sample(..., split=split, lang=lang).

    The attributes are uniform over the split's combinations, and no caption string belongs to
    two attribute dicts or two choices, so H = ln N + mean over combinations of the entropy of
    the template and synonym choices. English and Chinese strings never coincide, so 'both'
    adds ln 2 to the mean of the two languages.
    """
    _index("lang", lang, LANGS)
    if lang == "both":
        return math.log(2) + (caption_entropy("en", split) + caption_entropy("zh", split)) / 2
    combos = combinations(split)
    return math.log(len(combos)) + sum(choice_entropy(a, lang) for a in combos) / len(combos)


def caption_distribution(lang, split="train"):
    """Brute force: caption string -> probability, over every combination, template and synonym."""
    _index("lang", lang, LANGS)
    langs = ("en", "zh") if lang == "both" else (lang,)
    combos = combinations(split)
    probs = defaultdict(float)
    for language in langs:
        for attrs in combos:
            texts = all_captions(attrs, language)
            for text in texts:  # identical strings from different choices add up
                probs[text] += 1 / (len(langs) * len(combos) * len(texts))
    return dict(probs)


def parallel_captions(split, lang):
    """Every caption of every attribute combination of a split in one language, and the index
    of its combination (in shapes.combinations(split) order)."""
    texts, combo = [], []
    for index, attrs in enumerate(combinations(split)):
        captions = all_captions(attrs, lang)
        texts += captions
        combo += [index] * len(captions)
    return texts, np.array(combo)


@functools.cache
def world_fingerprint():
    """A short identity of the shapes world as it is drawn, captioned and sampled now: every
    possible image and a probe sample of each split, hashed. Models trained on the world name
    it as their data, so a change to the world retrains them."""
    from tutorial_lib.model_cache import fingerprint  # here: drawing shapes needs no torch

    probes = [sample(64, seed=0, split=split, lang="both") for split in SPLITS]
    return fingerprint(_image_table(), *[p.images for p in probes], [p.captions for p in probes])
