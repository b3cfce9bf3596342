"""The captioned shapes world: 32x32 images of one coloured shape, with English/Chinese captions.

Every image holds exactly one object, described by five attributes (colour, shape, size, row,
column), so a caption says everything there is to know about its image. Four colour-shape pairs
never appear in the train and test splits; the "heldout" split contains only them, which lets
later chapters ask whether a model composes "blue" and "triangle" it has only seen apart.

The caption says everything about the scene, but not everything about the picture (world
version 2): the centre moves up to 1.5 pixels from its cell centre, the box side varies within
its size, the colour shifts a little per channel, and edges are anti-aliased (4x4 supersampled
coverage). These are continuous, so no two drawn pictures repeat, and a test image is never
one a model trained on. The caption grammar lives in captions.py.
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
    "ShapesSample", "render", "render_variations", "sample", "sample_captions", "combinations",
    "caption",
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
SIZES = {"small": 8, "large": 14}  # mid side of the bounding box in pixels
SIDES = {"small": (7.0, 9.0), "large": (13.0, 15.0)}  # the side is uniform in this range
MAX_OFFSET = 1.5  # the centre moves uniformly up to this many pixels along each axis
MAX_COLOR_SHIFT = 20  # each channel of the colour moves by a uniform integer up to this
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


def _inside(shape, dx, dy, h):
    """Whether points at (dx, dy) from the centre lie inside the shape of half-side h; the
    boundary counts as inside."""
    if shape == 0:  # circle
        return dx**2 + dy**2 <= h**2
    if shape == 1:  # square
        return (np.abs(dx) <= h) & (np.abs(dy) <= h)
    if shape == 2:  # triangle: apex at the top centre, base on the bottom edge of the box
        return (dy <= h) & (np.abs(dx) <= (dy + h) / 2)
    return np.abs(dx) + np.abs(dy) <= h  # diamond


# Anti-aliasing: a pixel's coverage is the share of its SUPERSAMPLE x SUPERSAMPLE sample points
# inside the shape. A shape never spans more than 17 pixels, so each one is drawn in a WINDOW-
# pixel square around its centre instead of over the whole image (a third of the points).
SUPERSAMPLE = 4
WINDOW = 18
_SUBPIXEL = (np.arange(WINDOW * SUPERSAMPLE) + 0.5) / SUPERSAMPLE  # exact binary fractions


class Scenes(NamedTuple):
    """Integer attribute codes (n, 5: color shape size row col) and the continuous rest of each
    picture: centre offset (n, 2: dx dy, pixels), box side (n,) and colour shift (n, 3)."""

    codes: np.ndarray
    offset: np.ndarray
    side: np.ndarray
    color_shift: np.ndarray


def _paint(scenes, chunk=2048):
    """The uint8 (n, 32, 32, 3) images of a batch of scenes."""
    n = len(scenes.codes)
    images = np.zeros((n, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
    for lo in range(0, n, chunk):
        part = Scenes(*(field[lo:lo + chunk] for field in scenes))
        _paint_into(images[lo:lo + chunk], part)
    return images


def _paint_into(images, scenes):
    """Draw scenes into images (zeros) in place: coverage in a window, times the colour."""
    codes, offset, side, shift = scenes
    centers = np.asarray(CELL_CENTERS, float)
    cx, cy = centers[codes[:, 4]] + offset[:, 0], centers[codes[:, 3]] + offset[:, 1]
    # window origins: floor(c) - 8 <= c - 7.5 - 0.5 and origin + 18 > c + 9 cover any shape
    ox = np.clip(np.floor(cx).astype(int) - 8, 0, IMAGE_SIZE - WINDOW)
    oy = np.clip(np.floor(cy).astype(int) - 8, 0, IMAGE_SIZE - WINDOW)
    dx = (ox - cx)[:, None, None] + _SUBPIXEL[None, None, :]
    dy = (oy - cy)[:, None, None] + _SUBPIXEL[None, :, None]
    half = (side / 2)[:, None, None]
    inside = np.zeros((len(codes), WINDOW * SUPERSAMPLE, WINDOW * SUPERSAMPLE), bool)
    for shape in range(len(SHAPES)):
        rows = codes[:, 1] == shape
        if rows.any():
            inside[rows] = _inside(shape, dx[rows], dy[rows], half[rows])
    hits = inside.reshape(len(codes), WINDOW, SUPERSAMPLE, WINDOW, SUPERSAMPLE).sum(axis=(2, 4))
    color = np.clip(_PALETTE[codes[:, 0]].astype(int) + shift, 0, 255)
    # round(coverage x colour) with coverage = hits / 16: exact in floating point, then rounded
    window = np.rint(hits[..., None] * color[:, None, None, :] / SUPERSAMPLE**2)
    rows = oy[:, None, None] + np.arange(WINDOW)[None, :, None]
    cols = ox[:, None, None] + np.arange(WINDOW)[None, None, :]
    images[np.arange(len(codes))[:, None, None], rows, cols] = window.astype(np.uint8)


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


def _real(name, value, low, high):
    """value as a float in [low, high], or BadInputError naming it and the range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not low <= value <= high:
        raise BadInputError(f"{name}={value!r} is not allowed; expected a number in "
                            f"[{low}, {high}]")
    return float(value)


def _pair(name, value, size):
    """value unpacked as a sequence of size items, or BadInputError naming it."""
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if len(items) != size:
        raise BadInputError(f"{name} must be {size} numbers, got {value!r}")
    return items


def render(attrs, offset=(0.0, 0.0), side=None, color_shift=(0, 0, 0)):
    """The uint8 (32, 32, 3) image of attrs with its continuous parameters given explicitly.

    offset=(dx, dy) moves the centre from its cell centre (x = column), each in
    [-MAX_OFFSET, MAX_OFFSET] pixels; side is the bounding box's side within the size's range
    (default: the middle of it); color_shift adds one integer in [-MAX_COLOR_SHIFT,
    MAX_COLOR_SHIFT] to each channel of the palette colour. The defaults give the centred,
    mid-size, unshifted picture.
    """
    codes = _encode(attrs)
    dx, dy = (_real(f"offset {axis}", d, -MAX_OFFSET, MAX_OFFSET)
              for axis, d in zip(("dx", "dy"), _pair("offset", offset, 2), strict=True))
    low, high = SIDES[attrs["size"]]
    side = (low + high) / 2 if side is None else _real("side", side, low, high)
    shift = []
    for channel, s in zip("rgb", _pair("color_shift", color_shift, 3), strict=True):
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) \
                or abs(s) > MAX_COLOR_SHIFT:
            raise BadInputError(f"color_shift {channel}={s!r} is not allowed; expected an int "
                                f"in [-{MAX_COLOR_SHIFT}, {MAX_COLOR_SHIFT}]")
        shift.append(int(s))
    scenes = Scenes(np.array([codes]), np.array([[dx, dy]]), np.array([side]),
                    np.array([shift]))
    return _paint(scenes)[0]


def _random_scenes(codes, rng):
    """Scenes for attribute codes with the continuous parameters drawn from rng: offset and
    side uniform, colour shift a uniform integer per channel."""
    n = len(codes)
    offset = rng.uniform(-MAX_OFFSET, MAX_OFFSET, size=(n, 2))
    ranges = np.array([SIDES[size] for size in SIZES])[codes[:, 2]]
    side = ranges[:, 0] + rng.uniform(size=n) * (ranges[:, 1] - ranges[:, 0])
    shift = rng.integers(-MAX_COLOR_SHIFT, MAX_COLOR_SHIFT + 1, size=(n, 3))
    return Scenes(codes, offset, side, shift)


def render_variations(attrs, n, seed=0):
    """n real pictures of one scene (attribute dict), its continuous parameters drawn as
    sample draws them: what "the variety of a scene" means when a generator is judged."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n <= 0:
        raise BadInputError(f"n must be a positive int, got {n!r}")
    codes = np.repeat(np.array([_encode(attrs)]), n, axis=0)
    return _paint(_random_scenes(codes, np.random.default_rng([seed, 99])))


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
    """Scenes from a stream that depends only on (seed, split)."""
    rng = np.random.default_rng([seed, SPLITS.index(split), 0])
    codes = _split_codes(split)[rng.integers(len(_split_codes(split)), size=n)]
    return _random_scenes(codes, rng)


def _draw_captions(attrs, seed, split, lang):
    """Captions from a second stream, so the same seed gives the same scenes in every language."""
    rng = np.random.default_rng([seed, SPLITS.index(split), 1, LANGS.index(lang)])
    return random_captions(attrs, lang, rng)


def sample(n, seed=0, split="train", lang="en"):
    """n random captioned images of a split; lang is 'en', 'zh' or 'both' (a coin flip each)."""
    _check_request(n, seed, split, lang)
    scenes = _draw_scenes(n, seed, split)
    attrs = [_decode(c) for c in scenes.codes.tolist()]
    return ShapesSample(_paint(scenes), attrs, _draw_captions(attrs, seed, split, lang))


def sample_captions(n, seed=0, split="train", lang="en"):
    """The captions of sample(n, seed, split, lang) without rendering the images."""
    _check_request(n, seed, split, lang)
    codes = _draw_scenes(n, seed, split).codes
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
    """A short identity of the shapes world as it is drawn, captioned and sampled now: the
    default picture of every scene and a probe sample of each split, hashed. Models trained on
    the world name it as their data, so a change to the world retrains them."""
    from tutorial_lib.model_cache import fingerprint  # here: drawing shapes needs no torch

    defaults = [render(a) for split in ("train", "heldout") for a in combinations(split)]
    probes = [sample(64, seed=0, split=split, lang="both") for split in SPLITS]
    return fingerprint(np.stack(defaults), *[p.images for p in probes],
                       [p.captions for p in probes])
