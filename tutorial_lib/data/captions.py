"""The caption grammar of the shapes world: English and Chinese templates with synonyms.

A caption is made by picking a template uniformly at random and, independently, one synonym for
each of its slots (size, color, shape, pos). The same tables drive three things, so they can
never disagree: generating captions, enumerating every caption of an object (for exact entropy
and for tests), and parsing a caption back into attributes with one regex per template.

Colour and shape words deliberately have no synonyms: paraphrases such as "crimson" are outside
the grammar, and later chapters use them to probe what a model does with unseen words.
"""

import itertools
import math
import re
from typing import NamedTuple

from tutorial_lib.errors import BadInputError

SLOTS = ("size", "color", "shape", "pos")
ROWS = ("top", "middle", "bottom")
COLS = ("left", "center", "right")


class Grammar(NamedTuple):
    """Templates with {slot} placeholders, and for each slot a table: attribute key -> synonyms."""

    templates: tuple
    words: dict


def _english_positions():
    """'at the top left' / 'in the top left' for the eight outer cells; the centre has its own."""
    table = {
        (row, col): (f"at the {row} {col}", f"in the {row} {col}")
        for row in ROWS
        for col in COLS
    }
    # "at the middle center" is not English; the centre cell gets its own two phrases.
    table["middle", "center"] = ("in the center", "in the middle")
    return table


ENGLISH = Grammar(
    templates=(
        "a {size} {color} {shape} {pos}",
        "there is a {size} {color} {shape} {pos}",
        "{pos} there is a {size} {color} {shape}",
    ),
    words={
        "size": {"small": ("small", "little"), "large": ("large", "big")},
        "color": {c: (c,) for c in ("red", "yellow", "green", "cyan", "blue", "magenta")},
        "shape": {s: (s,) for s in ("circle", "square", "triangle", "diamond")},
        "pos": _english_positions(),
    },
)

CHINESE = Grammar(
    templates=(
        "{pos}有一个{size}的{color}{shape}",
        "{pos}有个{size}的{color}{shape}",
        "一个{size}的{color}{shape}在{pos}",
    ),
    words={
        "size": {"small": ("小",), "large": ("大",)},
        "color": {
            "red": ("红色",), "yellow": ("黄色",), "green": ("绿色",),
            "cyan": ("青色",), "blue": ("蓝色",), "magenta": ("品红色",),
        },
        "shape": {
            "circle": ("圆形",), "square": ("正方形",),
            "triangle": ("三角形",), "diamond": ("菱形",),
        },
        "pos": {
            ("top", "left"): ("左上角",), ("top", "center"): ("正上方",),
            ("top", "right"): ("右上角",), ("middle", "left"): ("左侧",),
            ("middle", "center"): ("正中间", "中间"), ("middle", "right"): ("右侧",),
            ("bottom", "left"): ("左下角",), ("bottom", "center"): ("正下方",),
            ("bottom", "right"): ("右下角",),
        },
    },
)

GRAMMARS = {"en": ENGLISH, "zh": CHINESE}


def _require(what, value, allowed):
    """Raise BadInputError naming the bad value and the allowed ones unless value is allowed."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise BadInputError(
            f"unknown {what} {value!r}; expected one of {', '.join(map(str, allowed))}"
        )


def _grammar(lang):
    """The grammar of one language ('en' or 'zh')."""
    _require("lang", lang, GRAMMARS)
    return GRAMMARS[lang]


def _options(grammar, attrs):
    """For each slot, the synonyms that may express these attributes, in slot order."""
    if not hasattr(attrs, "keys"):
        raise BadInputError(f"attrs must be a dict of attributes, got {type(attrs).__name__}")
    for key in ("color", "shape", "size", "row", "col"):
        if key not in attrs:
            raise BadInputError(f"attrs is missing the key {key!r}")
    _require("row", attrs["row"], ROWS)
    _require("col", attrs["col"], COLS)
    options = []
    for slot in SLOTS:
        table = grammar.words[slot]
        if slot == "pos":
            options.append(table[attrs["row"], attrs["col"]])
        else:
            _require(slot, attrs[slot], table)
            options.append(table[attrs[slot]])
    return options


def _compose(grammar, options, uniforms):
    """Turn uniforms in [0, 1) into one template and one synonym per slot, and fill it in."""
    template = grammar.templates[int(uniforms[0] * len(grammar.templates))]
    picks = zip(SLOTS, options, uniforms[1:], strict=True)
    words = {slot: opts[int(u * len(opts))] for slot, opts, u in picks}
    return template.format(**words)


def caption(attrs, lang="en", rng=None):
    """One caption of attrs; the canonical one (first template, first synonyms) when rng is None."""
    grammar = _grammar(lang)
    if rng is None:
        return _compose(grammar, _options(grammar, attrs), [0.0] * (1 + len(SLOTS)))
    return random_captions([attrs], lang, rng)[0]


def random_captions(attrs_list, lang, rng):
    """One random caption per attribute dict; lang 'both' picks English or Chinese by a coin flip.

    All the randomness is drawn in one block from rng (a numpy Generator), which keeps a 200k
    caption corpus fast and makes the result depend only on rng's state and the attributes.
    """
    _require("lang", lang, (*GRAMMARS, "both"))
    langs = tuple(GRAMMARS) if lang == "both" else (lang,)
    # Column 0 picks the language, column 1 the template, the rest one synonym per slot.
    uniforms = rng.random((len(attrs_list), 2 + len(SLOTS))).tolist()
    texts = []
    for attrs, u in zip(attrs_list, uniforms, strict=True):
        grammar = GRAMMARS[langs[int(u[0] * len(langs))]]
        texts.append(_compose(grammar, _options(grammar, attrs), u[1:]))
    return texts


def all_captions(attrs, lang="en"):
    """Every caption of attrs: one string per (template, synonyms) choice, all equally likely."""
    grammar = _grammar(lang)
    options = _options(grammar, attrs)
    return [
        template.format(**dict(zip(SLOTS, words, strict=True)))
        for template in grammar.templates
        for words in itertools.product(*options)
    ]


def choice_entropy(attrs, lang="en"):
    """Entropy in nats of the caption of attrs, given attrs: ln #templates + ln #synonyms per slot.

    Exact because every template uses every slot once and distinct choices give distinct strings
    (tests/test_shapes.py checks the latter by enumeration).
    """
    grammar = _grammar(lang)
    options = _options(grammar, attrs)
    return math.log(len(grammar.templates)) + sum(math.log(len(opts)) for opts in options)


def _template_regex(template, words):
    """Compile a template into a regex whose named groups match any synonym of their slot."""
    parts = re.split(r"\{(\w+)\}", template)  # literal, slot, literal, slot, ..., literal
    pattern = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            pattern.append(re.escape(part))
        else:
            synonyms = sorted({w for ws in words[part].values() for w in ws}, key=len, reverse=True)
            pattern.append(f"(?P<{part}>{'|'.join(map(re.escape, synonyms))})")
    return re.compile("".join(pattern))


def _parser(grammar):
    """The template regexes of a grammar and, per slot, a map from synonym back to its key."""
    regexes = [_template_regex(t, grammar.words) for t in grammar.templates]
    meaning = {
        slot: {w: key for key, ws in table.items() for w in ws}
        for slot, table in grammar.words.items()
    }
    return regexes, meaning


PARSERS = [_parser(grammar) for grammar in GRAMMARS.values()]


def normalize(text):
    """Lower case, single spaces, no surrounding whitespace and no single trailing '.' or '。'."""
    text = " ".join(text.split()).lower()
    if text.endswith((".", "。")):
        text = text[:-1].rstrip()
    return text


def parse_caption(text):
    """The attribute dict a caption describes, or None if it is not a sentence of the grammar."""
    if not isinstance(text, str):
        raise BadInputError(f"parse_caption expects a str, got {type(text).__name__}")
    text = normalize(text)
    for regexes, meaning in PARSERS:
        for regex in regexes:
            match = regex.fullmatch(text)
            if match:
                row, col = meaning["pos"][match["pos"]]
                return {
                    "color": meaning["color"][match["color"]],
                    "shape": meaning["shape"][match["shape"]],
                    "size": meaning["size"][match["size"]],
                    "row": row,
                    "col": col,
                }
    return None
