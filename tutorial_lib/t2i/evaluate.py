"""Scoring a text-to-image generator with the shapes judge, on the four kinds of prompt of
`data.prompts.evaluation_prompts` (seen, heldout_pairs, chinese, paraphrase).

Each prompt gets one image; the judge reads its attributes, and a prompt counts as right when
all of colour, shape, size and position are what it asked for.
"""

import numpy as np

from tutorial_lib.comparison import Contestant
from tutorial_lib.data import shapes
from tutorial_lib.data.prompts import EVAL_SEED, EVAL_SPLITS, evaluation_prompts
from tutorial_lib.errors import CourseError
from tutorial_lib.metrics import Judge, fid_ratio, scene_diversity
from tutorial_lib.shapes_judge import attribute_scores
from tutorial_lib.t2i.train import draw_per_condition, generate_from_conditions
from tutorial_lib.viz import markdown_table


def _encoded(encoder, split: str, n: int):
    """(conditions or None if the encoder cannot read the split's prompts, attribute dicts)."""
    prompts, attrs = evaluation_prompts(split, n)
    try:
        return encoder(prompts), attrs
    except CourseError:
        return None, attrs


def _scores(generator, conditions, attrs, judge: Judge, seed: int) -> dict[str, float]:
    if conditions is None:
        return dict.fromkeys(("color", "shape", "size", "position", "all_correct"), float("nan"))
    return attribute_scores(judge, generate_from_conditions(generator, conditions, seed), attrs)


def score_split(generator, encoder, judge: Judge, split: str, n: int = 500,
                seed: int = 0) -> dict[str, float]:
    """attribute_scores of one image per prompt of a split. An encoder that cannot read the
    split's prompts at all (onehot and paraphrases) scores NaN, not an error."""
    return _scores(generator, *_encoded(encoder, split, n), judge, seed)


def score_table(generators: dict, encoders: dict, judge: Judge, n: int = 500) -> dict:
    """{(generator name, encoder name): {split: all-correct rate}} for every pair; each
    split's prompts are encoded once per encoder, whatever the number of generators."""
    table = {(g_name, e_name): {} for g_name in generators for e_name in encoders}
    for e_name, encoder in encoders.items():
        for split in EVAL_SPLITS:
            conditions, attrs = _encoded(encoder, split, n)
            for g_name, generator in generators.items():
                table[g_name, e_name][split] = _scores(generator, conditions, attrs, judge,
                                                       seed=0)["all_correct"]
    return table


def variety_scores(generator, encoder, judge: Judge, prompts_per_split: int = 50,
                   per_prompt: int = 8, seed: int = 0) -> dict[str, float]:
    """Does one prompt give varied images (no collapse), and do they look like real ones?

    diversity: per-pixel spread among a prompt's images over the same among real images of
    its scene (1 = as varied as real: offset, side and colour shift);
    fid_ratio: FID in the judge's feature space, generated vs real test images, over that
    between two halves of the real images.
    """
    prompts, attrs = evaluation_prompts("seen", prompts_per_split)
    generated = draw_per_condition(generator, encoder(prompts), per_prompt, seed)
    test = shapes.sample(len(generated), seed=EVAL_SEED + 1, split="test").images
    return {"diversity": scene_diversity(generated, attrs, per_prompt),
            "fid_ratio": fid_ratio(test, generated, judge)}


def gan_drawer(generator, seed: int = 0):
    """conditions -> one image each, by the GAN's EMA generator."""
    return lambda conditions: generate_from_conditions(generator, conditions, seed)


def gan_many(generator, seed: int = 0):
    """(conditions, k) -> k images per condition, grouped by condition."""
    return lambda conditions, k: draw_per_condition(generator, conditions, k, seed)


def gan_contestant(generator, encoder, train_seconds: float, seed: int = 0) -> Contestant:
    """The GAN in a `comparison` with other generators (chapters 8 and 9): it reads prompts
    through its sentence encoder; its parameters are the generator's (the discriminator is
    thrown away after training)."""
    return Contestant(encoder, gan_drawer(generator, seed), gan_many(generator, seed),
                      [generator], train_seconds)


def table_markdown(table: dict) -> str:
    """score_table's result as a Markdown table, one row per (generator, encoder); a split an
    encoder cannot read at all shows as 'cannot read'."""
    rows = [[g_name, e_name, *("cannot read" if np.isnan(row[s]) else f"{row[s]:.3f}"
                               for s in EVAL_SPLITS)] for (g_name, e_name), row in table.items()]
    return markdown_table(["discriminator", "encoder", *EVAL_SPLITS], rows,
                          "ll" + "r" * len(EVAL_SPLITS))
