"""English paraphrases in words the caption grammar never uses: the hardest prompts of chapter 4.

"a giant teal block in the lower-right corner" names the same scene as the grammar's "a large
cyan square at the bottom right", but every word that carries an attribute is new. A generator
that only learnt the template words has nothing to go on; a pretrained sentence encoder may
know that "teal" is close to "cyan". The word lists were fixed before any model was scored on
them, and no model trains on them.
"""

import numpy as np

from tutorial_lib.data import shapes

COLOR_WORDS = {"red": ("crimson", "scarlet", "ruby"), "yellow": ("golden", "lemon", "amber"),
               "green": ("emerald", "lime", "jade"),
               "cyan": ("turquoise", "aqua", "teal"), "blue": ("navy", "azure", "cobalt"),
               "magenta": ("pink", "fuchsia", "violet")}
SHAPE_WORDS = {"circle": ("disc", "ball", "round dot"), "square": ("box", "block", "cube"),
               "triangle": ("pyramid", "wedge", "three-sided shape"),
               "diamond": ("rhombus", "lozenge", "kite")}
SIZE_WORDS = {"small": ("tiny", "miniature"), "large": ("huge", "giant")}
ROW_WORDS = {"top": "upper", "middle": "central", "bottom": "lower"}
TEMPLATES = ("a {size} {color} {shape} {pos}", "draw a {size} {color} {shape} {pos}",
             "{pos}, a {size} {color} {shape}")


def _position(row: str, col: str, rng: np.random.Generator) -> str:
    if (row, col) == ("middle", "center"):
        return str(rng.choice(["right in the centre", "dead centre"]))
    if row == "middle":
        return f"on the {col} edge, halfway down"
    if col == "center":
        return f"near the {ROW_WORDS[row]} edge, centred"
    return f"in the {ROW_WORDS[row]}-{col} corner"


def paraphrases(n: int = 200, seed: int = 0) -> tuple[list[str], list[dict]]:
    """n paraphrased prompts of test-split scenes and the attribute dicts they describe."""
    rng = np.random.default_rng(seed)
    combos = shapes.combinations("test")
    attrs = [combos[i] for i in rng.choice(len(combos), size=n, replace=n > len(combos))]
    prompts = [str(rng.choice(TEMPLATES)).format(
        size=rng.choice(SIZE_WORDS[a["size"]]), color=rng.choice(COLOR_WORDS[a["color"]]),
        shape=rng.choice(SHAPE_WORDS[a["shape"]]), pos=_position(a["row"], a["col"], rng))
        for a in attrs]
    return prompts, attrs
