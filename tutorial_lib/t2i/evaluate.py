"""Scoring a text-to-image generator with the shapes judge, on four kinds of prompt.

- seen: captions of the test split, whose attribute combinations the generator trained on
  (but fresh captions and jitters);
- heldout_pairs: captions of the four colour-shape pairs no training image shows;
- chinese: Chinese captions of the test split;
- paraphrase: English paraphrases in words absent from every template (`t2i.paraphrases`).

Each prompt gets one image; the judge reads its attributes, and a prompt counts as right when
all of colour, shape, size and position are what it asked for.
"""

import numpy as np

from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError, CourseError
from tutorial_lib.metrics import Judge, diversity_ratio, fid_ratio
from tutorial_lib.t2i.judge import attribute_scores
from tutorial_lib.t2i.paraphrases import paraphrases
from tutorial_lib.t2i.train import draw_per_condition, generate_from_conditions

EVAL_SPLITS = ("seen", "heldout_pairs", "chinese", "paraphrase")
EVAL_SEED = 123  # the reported prompts; training and model choice never look at this draw


def evaluation_prompts(split: str, n: int = 500) -> tuple[list[str], list[dict]]:
    """(prompts, the attribute dicts they ask for) of one evaluation split."""
    if split == "paraphrase":
        return paraphrases(n, seed=EVAL_SEED)
    sources = {"seen": ("test", "en"), "heldout_pairs": ("heldout", "en"),
               "chinese": ("test", "zh")}
    if split not in sources:
        raise BadInputError(f"unknown evaluation split {split!r}; choose one of "
                            f"{', '.join(EVAL_SPLITS)}")
    data_split, lang = sources[split]
    sample = shapes.sample(n, seed=EVAL_SEED, split=data_split, lang=lang)
    return sample.captions, sample.attrs


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
    its scene (1 = as varied as real; real scenes vary only by a one-pixel jitter);
    fid_ratio: FID in the judge's feature space, generated vs real test images, over that
    between two halves of the real images.
    """
    prompts, attrs = evaluation_prompts("seen", prompts_per_split)
    generated = draw_per_condition(generator, encoder(prompts), per_prompt, seed)
    test = shapes.sample(len(generated), seed=EVAL_SEED + 1, split="test").images
    return {"diversity": scene_diversity(generated, attrs, per_prompt),
            "fid_ratio": fid_ratio(test, generated, judge)}


def scene_diversity(generated: np.ndarray, attrs: list[dict], per_prompt: int) -> float:
    """diversity_ratio of generated images grouped by scene (per_prompt consecutive images per
    attribute dict) against real renders of each scene at all nine one-pixel jitters."""
    labels = np.repeat(np.arange(len(attrs)), per_prompt)
    jitters = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    real = np.stack([shapes.render(a, jitter) for a in attrs for jitter in jitters])
    real_labels = np.repeat(np.arange(len(attrs)), len(jitters))
    return diversity_ratio(generated, labels, real, real_labels)


def table_markdown(table: dict) -> str:
    """score_table's result as a Markdown table, one row per (generator, encoder); a split an
    encoder cannot read at all shows as 'cannot read'."""
    lines = ["| discriminator | encoder | " + " | ".join(EVAL_SPLITS) + " |",
             "|---|---|" + "---:|" * len(EVAL_SPLITS)]
    for (g_name, e_name), row in table.items():
        cells = ["cannot read" if np.isnan(row[s]) else f"{row[s]:.3f}" for s in EVAL_SPLITS]
        lines.append(f"| {g_name} | {e_name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
