"""Tests of the shapes world: exact pixels, splits, the caption grammar and its exact entropy."""

import itertools
import math
from collections import Counter

import numpy as np
import pytest

from tutorial_lib.data import captions as grammar
from tutorial_lib.data.shapes import (
    COLORS,
    COLS,
    HELDOUT_PAIRS,
    ROWS,
    SHAPES,
    SIZES,
    _draw_scenes,
    all_captions,
    caption,
    caption_distribution,
    caption_entropy,
    combinations,
    parse_caption,
    render,
    render_variations,
    sample,
    sample_captions,
)
from tutorial_lib.errors import BadInputError

CENTERS = {"top": 8, "middle": 16, "bottom": 24, "left": 8, "center": 16, "right": 24}
ALL_COMBOS = combinations("train") + combinations("heldout")


def attrs(color="red", shape="square", size="small", row="top", col="left"):
    return {"color": color, "shape": shape, "size": size, "row": row, "col": col}


def inside(shape, x, y, cx, cy, s):
    """The spec's inside rule, written out again independently of the library."""
    h = s / 2
    if shape == "circle":
        return (x - cx) ** 2 + (y - cy) ** 2 <= h**2
    if shape == "square":
        return (abs(x - cx) <= h) & (abs(y - cy) <= h)
    if shape == "triangle":
        return (y <= cy + h) & (abs(x - cx) <= (y - (cy - h)) / 2)
    return abs(x - cx) + abs(y - cy) <= h


def reference_render(a, offset=(0.0, 0.0), side=None, shift=(0, 0, 0)):
    """The world-v2 spec, brute force over the whole image: a pixel's coverage is the share of
    its 16 sample points at (k + 0.5) / 4 inside the shape; pixel = round(coverage x colour)."""
    side = SIZES[a["size"]] if side is None else side
    cx, cy = CENTERS[a["col"]] + offset[0], CENTERS[a["row"]] + offset[1]
    points = (np.arange(128) + 0.5) / 4
    y, x = np.meshgrid(points, points, indexing="ij")
    hits = inside(a["shape"], x, y, cx, cy, side).reshape(32, 4, 32, 4).sum(axis=(1, 3))
    color = np.clip(np.array(COLORS[a["color"]]) + np.array(shift), 0, 255)
    return np.array([[[round(h / 16 * c) for c in color] for h in row] for row in hits],
                    dtype=np.uint8)


def lit(image):
    """Boolean mask of non-background pixels."""
    return image.any(axis=2)


# ---------------------------------------------------------------- geometry


def test_small_square_top_left_is_exact():
    image = render(attrs())
    assert image.dtype == np.uint8 and image.shape == (32, 32, 3)
    expected = np.zeros((32, 32, 3), np.uint8)
    expected[4:12, 4:12] = COLORS["red"]
    np.testing.assert_array_equal(image, expected)


def test_default_render_is_centred_mid_size_and_unshifted():
    for a in ALL_COMBOS[::7]:
        np.testing.assert_array_equal(render(a), reference_render(a))
        np.testing.assert_array_equal(render(a), render(a, (0, 0), SIZES[a["size"]], (0, 0, 0)))


def test_anti_aliased_edges_hold_the_covered_share_of_the_colour():
    # a square of side 8 centred on a pixel centre: its edges cut pixels 12 and 20 in half
    image = render(attrs(color="blue", row="middle", col="center"), offset=(0.5, 0.5), side=8)
    assert (image[14, 14] == COLORS["blue"]).all()
    assert image[16, 12].tolist() == [round(c / 2) for c in COLORS["blue"]]  # left edge
    assert image[12, 20].tolist() == [round(c / 4) for c in COLORS["blue"]]  # a corner
    assert lit(image).sum() == 9 * 9


@pytest.mark.parametrize("seed", range(6))
def test_random_parameters_match_the_brute_force_spec(seed):
    rng = np.random.default_rng(seed)
    for a in ALL_COMBOS[seed::37]:
        offset = tuple(rng.uniform(-1.5, 1.5, 2))
        low = {"small": 7, "large": 13}[a["size"]]
        side, shift = low + 2 * rng.uniform(), tuple(int(v) for v in rng.integers(-20, 21, 3))
        np.testing.assert_array_equal(render(a, offset, side, shift),
                                      reference_render(a, offset, side, shift))


def test_extreme_parameters_are_clipped_to_the_frame_and_the_palette():
    a = attrs(color="yellow", shape="square", size="large", row="bottom", col="right")
    image = render(a, offset=(1.5, 1.5), side=15, color_shift=(20, 20, -20))
    np.testing.assert_array_equal(image, reference_render(a, (1.5, 1.5), 15, (20, 20, -20)))
    assert image[31, 31].tolist() == [250, 250, 5] and image[31].any(axis=1).sum() == 14


def test_an_integer_offset_shifts_by_whole_pixels():
    a = attrs(shape="triangle", size="large", row="middle", col="center")
    base = render(a)
    for dx, dy in itertools.product((-1, 0, 1), repeat=2):
        np.testing.assert_array_equal(render(a, offset=(dx, dy)),
                                      np.roll(base, (dy, dx), axis=(0, 1)))


# ---------------------------------------------------------------- splits and sampling


def test_combination_counts():
    assert len(combinations("train")) == len(combinations("test")) == 360
    assert len(combinations("heldout")) == 72
    keys = {tuple(a.values()) for a in ALL_COMBOS}
    assert len(keys) == 432 and all(list(a) == ["color", "shape", "size", "row", "col"]
                                    for a in ALL_COMBOS)


def test_heldout_pairs_only_in_heldout():
    for split in ("train", "test"):
        pairs = {(a["color"], a["shape"]) for a in sample(3000, seed=1, split=split).attrs}
        assert not pairs & HELDOUT_PAIRS and len(pairs) == 20
    heldout = sample(3000, seed=1, split="heldout").attrs
    assert {(a["color"], a["shape"]) for a in heldout} == set(HELDOUT_PAIRS)
    assert len({tuple(a.values()) for a in heldout}) == 72


def test_sample_images_match_render():
    batch = sample(300, seed=4, split="heldout", lang="zh")
    assert batch.images.shape == (300, 32, 32, 3) and batch.images.dtype == np.uint8
    scenes = _draw_scenes(300, 4, "heldout")
    for i, (image, a) in enumerate(zip(batch.images, batch.attrs, strict=True)):
        np.testing.assert_array_equal(image, render(
            a, tuple(scenes.offset[i]), scenes.side[i], tuple(scenes.color_shift[i].tolist())))


def test_continuous_parameters_fill_their_ranges():
    scenes = _draw_scenes(20_000, 0, "train")
    assert np.abs(scenes.offset).max() <= 1.5 and np.abs(scenes.offset).max() > 1.49
    small = scenes.codes[:, 2] == 0
    assert 7 <= scenes.side[small].min() < 7.01 and 8.99 < scenes.side[small].max() <= 9
    assert 13 <= scenes.side[~small].min() < 13.01 and 14.99 < scenes.side[~small].max() <= 15
    assert set(np.unique(scenes.color_shift)) == set(range(-20, 21))


def test_no_picture_repeats_and_no_test_picture_is_a_training_one():
    train = sample(20_000, seed=0).images
    assert len({image.tobytes() for image in train}) / len(train) >= 0.999
    seen = {image.tobytes() for image in train}
    test = sample(1_000, seed=0, split="test").images
    assert not any(image.tobytes() in seen for image in test)


def test_render_variations_vary_one_scene():
    a = attrs(shape="diamond", size="large", row="middle", col="right")
    images = render_variations(a, 50, seed=3)
    assert images.shape == (50, 32, 32, 3) and len({im.tobytes() for im in images}) == 50
    np.testing.assert_array_equal(images, render_variations(a, 50, seed=3))


def test_sample_is_deterministic_and_splits_differ():
    first, second = sample(64, seed=7), sample(64, seed=7)
    np.testing.assert_array_equal(first.images, second.images)
    assert first.attrs == second.attrs and first.captions == second.captions
    other = sample(64, seed=7, split="test")
    assert other.attrs != first.attrs
    assert sample(64, seed=8).attrs != first.attrs


def test_languages_form_a_parallel_corpus():
    en_images, en_attrs, en_captions = sample(200, seed=3, lang="en")
    zh_images, zh_attrs, zh_captions = sample(200, seed=3, lang="zh")
    both = sample(200, seed=3, lang="both")
    np.testing.assert_array_equal(en_images, zh_images)
    np.testing.assert_array_equal(en_images, both.images)
    assert en_attrs == zh_attrs == both.attrs
    for a, en, zh, mixed in zip(en_attrs, en_captions, zh_captions, both.captions, strict=True):
        assert en.isascii() and not zh.isascii()
        assert parse_caption(en) == parse_caption(zh) == parse_caption(mixed) == a
    assert 60 < sum(text.isascii() for text in both.captions) < 140


def test_sample_captions_matches_sample():
    for lang in ("en", "zh", "both"):
        assert sample_captions(50, 2, "test", lang) == sample(50, 2, "test", lang).captions


def test_random_caption_is_a_grammar_sentence():
    rng = np.random.default_rng(0)
    a = attrs(size="large", row="bottom", col="center")
    for lang in ("en", "zh"):
        texts = {caption(a, lang, rng) for _ in range(200)}
        assert texts == set(all_captions(a, lang))


# ---------------------------------------------------------------- captions and parser


def test_canonical_captions():
    assert caption(attrs(shape="circle")) == "a small red circle at the top left"
    assert caption(attrs(shape="circle"), "zh") == "左上角有一个小的红色圆形"
    centre = attrs(shape="circle", row="middle", col="center")
    assert caption(centre) == "a small red circle in the center"
    assert caption(centre, "zh") == "正中间有一个小的红色圆形"
    assert "a small red circle at the top left" in all_captions(attrs(shape="circle"), "en")


def test_grammar_vocabulary_matches_the_world():
    for lang in ("en", "zh"):
        words = grammar.GRAMMARS[lang].words
        assert list(words["color"]) == list(COLORS) and list(words["shape"]) == list(SHAPES)
        assert list(words["size"]) == list(SIZES)
        assert set(words["pos"]) == set(itertools.product(ROWS, COLS))


def test_parser_inverts_every_caption_and_captions_are_unique():
    owner = {}
    for a in ALL_COMBOS:
        for lang in ("en", "zh"):
            texts = all_captions(a, lang)
            assert len(set(texts)) == len(texts)  # distinct choices give distinct strings
            for text in texts:
                assert parse_caption(text) == a, text
                assert owner.setdefault(text, a) == a, text  # no string for two objects
    assert sum(t.isascii() for t in owner) == 432 * 12
    assert sum(not t.isascii() for t in owner) == 432 * 3 + 48 * 3


def test_parser_normalises_and_rejects_junk():
    a = attrs(shape="circle")
    assert parse_caption("  A Small  RED circle at the TOP left. ") == a
    assert parse_caption("左上角有一个小的红色圆形。") == a
    for junk in ("a crimson circle", "", "hello", "a small red circle", "a small red circle..",
                 "a small red circle at the top left there is", "左上角有一个小的红色圆"):
        assert parse_caption(junk) is None, junk


# ---------------------------------------------------------------- entropy


@pytest.mark.parametrize("lang,split", [("en", "train"), ("zh", "train"), ("both", "train"),
                                        ("en", "heldout"), ("zh", "heldout"),
                                        ("both", "heldout")])
def test_entropy_matches_enumeration(lang, split):
    dist = caption_distribution(lang, split)
    assert math.isclose(sum(dist.values()), 1.0, abs_tol=1e-12)
    brute = -sum(p * math.log(p) for p in dist.values())
    assert abs(caption_entropy(lang, split) - brute) < 1e-9


def test_entropy_closed_forms():
    assert caption_entropy("en") == pytest.approx(math.log(360 * 12))
    assert caption_entropy("zh") == pytest.approx(math.log(360 * 3) + math.log(2) / 9)
    assert caption_entropy("both") == pytest.approx(
        math.log(2) + (caption_entropy("en") + caption_entropy("zh")) / 2)


@pytest.mark.parametrize("lang", ["en", "zh", "both"])
def test_plug_in_entropy_of_sampled_captions(lang):
    n = 200_000
    counts = Counter(sample_captions(n, seed=11, lang=lang))
    plug_in = -sum(c / n * math.log(c / n) for c in counts.values())
    # The plug-in estimate is biased low by about (support - 1) / (2 n) <= 0.014 nats here.
    assert abs(plug_in - caption_entropy(lang)) < 0.02


# ---------------------------------------------------------------- bad input


def test_bad_inputs_raise_named_errors():
    with pytest.raises(BadInputError, match="unknown color 'crimson'.*red, yellow"):
        render(attrs(color="crimson"))
    with pytest.raises(BadInputError, match="unknown shape 'star'.*circle"):
        render(attrs(shape="star"))
    with pytest.raises(BadInputError, match="unknown size 'huge'"):
        render(attrs(size="huge"))
    with pytest.raises(BadInputError, match="unknown row 'up'"):
        render(attrs(row="up"))
    with pytest.raises(BadInputError, match="missing the key 'col'"):
        render({"color": "red", "shape": "circle", "size": "small", "row": "top"})
    with pytest.raises(BadInputError, match=r"offset dx=2 is not allowed.*\[-1.5, 1.5\]"):
        render(attrs(), offset=(2, 0))
    with pytest.raises(BadInputError, match="offset must be 2 numbers"):
        render(attrs(), offset=1.0)
    with pytest.raises(BadInputError, match=r"side=12 is not allowed.*\[13.0, 15.0\]"):
        render(attrs(size="large"), side=12)
    with pytest.raises(BadInputError, match="color_shift g=2.5 is not allowed"):
        render(attrs(), color_shift=(0, 2.5, 0))
    with pytest.raises(BadInputError, match="color_shift b=21 is not allowed"):
        render(attrs(), color_shift=(0, 0, 21))
    with pytest.raises(BadInputError, match="n must be a positive int"):
        render_variations(attrs(), 0)
    with pytest.raises(BadInputError, match="unknown color 'crimson'"):
        caption(attrs(color="crimson"), "zh")
    for n in (0, -3, 2.5, True, "10"):
        with pytest.raises(BadInputError, match="n must be a positive int"):
            sample(n)
    with pytest.raises(BadInputError, match="seed must be"):
        sample(4, seed=-1)
    with pytest.raises(BadInputError, match="unknown split 'val'.*heldout"):
        sample(4, split="val")
    with pytest.raises(BadInputError, match="unknown lang 'fr'.*both"):
        sample(4, lang="fr")
    with pytest.raises(BadInputError, match="unknown lang 'fr'"):
        caption_entropy("fr")
    with pytest.raises(BadInputError, match="unknown split 'dev'"):
        combinations("dev")
    with pytest.raises(BadInputError, match="expects a str, got int"):
        parse_caption(42)
    assert issubclass(BadInputError, ValueError)
