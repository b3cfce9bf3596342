"""Free-form drawing requests, the way a person types them, with the attributes they ask for.

The caption grammar says "a small red circle at the top left"; a person says "could you draw a
red circle? small, in the top left corner please", or leaves things out: "画一个蓝色的大方块"
names no position. Each request comes with the attributes it *specifies*; an attribute it does
not mention may be drawn any way and is not scored. The phrasings were written before any model
was run on them, and no model trains on them.
"""

from typing import NamedTuple

import numpy as np

from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError

EN_SIZE = {"small": ("small", "tiny", "little"), "large": ("large", "big")}
EN_SHAPE = {"circle": ("circle", "round dot"), "square": ("square", "box"),
            "triangle": ("triangle",), "diamond": ("diamond",)}
EN_POSITION = {
    ("top", "left"): ("in the top left corner", "up in the top-left"),
    ("top", "center"): ("at the top, in the middle", "at the top centre"),
    ("top", "right"): ("in the top right corner", "up in the top-right"),
    ("middle", "left"): ("on the left side, halfway down", "at the middle of the left edge"),
    ("middle", "center"): ("right in the middle", "in the centre"),
    ("middle", "right"): ("on the right side, halfway down", "at the middle of the right edge"),
    ("bottom", "left"): ("in the bottom left corner", "down in the bottom-left"),
    ("bottom", "center"): ("at the bottom, in the middle", "at the bottom centre"),
    ("bottom", "right"): ("in the bottom right corner", "down in the bottom-right"),
}
EN_TEMPLATES = (
    ("draw me a {size} {color} {shape} {pos}, please", "color shape size pos"),
    ("could you draw a {color} {shape}? make it {size} and put it {pos}", "color shape size pos"),
    ("{pos}, please: one {size} {color} {shape}", "color shape size pos"),
    ("i'd like a {color} {shape}, {size}", "color shape size"),
    ("draw a {size} {shape} {pos}", "shape size pos"),
    ("something {color} {pos}, {size} please", "color size pos"),
)
ZH_SIZE = {"small": ("小",), "large": ("大",)}
ZH_COLOR = {"red": "红色", "yellow": "黄色", "green": "绿色", "cyan": "青色", "blue": "蓝色",
            "magenta": "品红色"}
ZH_SHAPE = {"circle": ("圆形", "圆"), "square": ("正方形", "方块"), "triangle": ("三角形",),
            "diamond": ("菱形",)}
ZH_POSITION = {
    ("top", "left"): ("左上角",), ("top", "center"): ("上方正中",), ("top", "right"): ("右上角",),
    ("middle", "left"): ("左边中间",), ("middle", "center"): ("正中间",),
    ("middle", "right"): ("右边中间",), ("bottom", "left"): ("左下角",),
    ("bottom", "center"): ("下方正中",), ("bottom", "right"): ("右下角",),
}
ZH_TEMPLATES = (
    ("请在{pos}画一个{size}的{color}{shape}", "color shape size pos"),
    ("画一个{color}的{size}{shape}，放在{pos}", "color shape size pos"),
    ("画一个{color}的{size}{shape}", "color shape size"),
    ("我想要一个{size}{shape}，在{pos}", "shape size pos"),
)


class Request(NamedTuple):
    """A request's text, its language and the attributes it specifies (a subset of the five)."""

    text: str
    lang: str
    wanted: dict


def _english(attrs: dict, rng: np.random.Generator) -> tuple[str, str]:
    template, keys = EN_TEMPLATES[rng.integers(len(EN_TEMPLATES))]
    words = {"size": rng.choice(EN_SIZE[attrs["size"]]), "color": attrs["color"],
             "shape": rng.choice(EN_SHAPE[attrs["shape"]]),
             "pos": rng.choice(EN_POSITION[attrs["row"], attrs["col"]])}
    return template.format(**words), keys


def _chinese(attrs: dict, rng: np.random.Generator) -> tuple[str, str]:
    template, keys = ZH_TEMPLATES[rng.integers(len(ZH_TEMPLATES))]
    words = {"size": rng.choice(ZH_SIZE[attrs["size"]]), "color": ZH_COLOR[attrs["color"]],
             "shape": rng.choice(ZH_SHAPE[attrs["shape"]]),
             "pos": rng.choice(ZH_POSITION[attrs["row"], attrs["col"]])}
    return template.format(**words), keys


def requests(n: int = 100, lang: str = "en", seed: int = 0) -> list[Request]:
    """n requests of test-split scenes in one language ('en' or 'zh'), fixed by the seed."""
    writer = {"en": _english, "zh": _chinese}.get(lang)
    if writer is None:
        raise BadInputError(f"unknown language {lang!r}; choose 'en' or 'zh'")
    rng = np.random.default_rng(seed)
    combos = shapes.combinations("test")
    out = []
    for index in rng.choice(len(combos), size=n, replace=n > len(combos)):
        attrs = combos[index]
        text, keys = writer(attrs, rng)
        wanted = {key: attrs[key] for key in keys.split() if key != "pos"}
        if "pos" in keys.split():
            wanted.update(row=attrs["row"], col=attrs["col"])
        out.append(Request(text, lang, wanted))
    return out
