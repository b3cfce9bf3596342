"""Judging text-to-image generators side by side: one judge, one set of prompts, one table.

Chapter 4 scores its GAN, chapter 8 its diffusion model and chapter 9 its token model with the
same evaluation prompts (`data.prompts.evaluation_prompts`), the same shapes judge and one
image per prompt; diversity is the per-pixel spread among a prompt's images over that among
real renders of its scene (`metrics.scene_diversity`). A generator enters as a `Contestant`:
how it reads prompts and how it draws, so this module needs no generator package. Sampling
seconds are wall time per image at the batch sizes the evaluation uses.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from torch import nn

from tutorial_lib.data.prompts import evaluation_prompts
from tutorial_lib.metrics import scene_diversity
from tutorial_lib.shapes_judge import attribute_scores
from tutorial_lib.viz import markdown_table

COMPARED_SPLITS = ("seen", "heldout_pairs", "chinese")


@dataclass(frozen=True)
class Contestant:
    """A generator in a comparison.

    encode: prompts -> conditions (a sentence encoder's vectors, or a caption's token ids);
    draw: conditions -> one image each; draw_many: (conditions, k) -> k images per condition,
    grouped by condition; networks: what drawing needs (their parameters are counted);
    train_seconds: how long it trained.
    """

    encode: Callable
    draw: Callable
    draw_many: Callable
    networks: Sequence[nn.Module]
    train_seconds: float


def timed(draw, conditions) -> tuple[np.ndarray, float]:
    """(draw(conditions), wall seconds per image)."""
    start = time.perf_counter()
    images = draw(conditions)
    return images, (time.perf_counter() - start) / len(conditions)


def judged_scores(draw, encode, judge, n: int = 500,
                  splits=COMPARED_SPLITS) -> dict[str, dict[str, float]]:
    """{split: attribute_scores + seconds_per_image} of one image per evaluation prompt."""
    scores = {}
    for split in splits:
        prompts, attrs = evaluation_prompts(split, n)
        images, seconds = timed(draw, encode(prompts))
        scores[split] = {**attribute_scores(judge, images, attrs), "seconds_per_image": seconds}
    return scores


def prompt_diversity(draw_many, encode, prompts_per_split: int = 50,
                     per_prompt: int = 8) -> float:
    """diversity_ratio of per_prompt images for each of prompts_per_split seen prompts."""
    prompts, attrs = evaluation_prompts("seen", prompts_per_split)
    return scene_diversity(draw_many(encode(prompts), per_prompt), attrs, per_prompt)


def parameter_count(*networks: nn.Module) -> int:
    return sum(p.numel() for network in networks for p in network.parameters())


def comparison_rows(contestants: dict[str, Contestant], judge, n: int = 500,
                    diversity_prompts: int = 50) -> dict[str, dict]:
    """{name: row}: judged all-correct on n prompts per split, diversity over
    diversity_prompts seen prompts (8 images each), training seconds, sampling seconds per
    image (on the seen prompts), parameters."""
    rows = {}
    for name, contestant in contestants.items():
        scores = judged_scores(contestant.draw, contestant.encode, judge, n)
        rows[name] = {**{split: scores[split]["all_correct"] for split in COMPARED_SPLITS},
                      "diversity": prompt_diversity(contestant.draw_many, contestant.encode,
                                                    diversity_prompts),
                      "train_seconds": contestant.train_seconds,
                      "sample_seconds_per_image": scores["seen"]["seconds_per_image"],
                      "parameters": parameter_count(*contestant.networks)}
    return rows


# comparison_rows' columns as a reader sees them: short headers, so the table fits the page
HEADERS = {"seen": "seen", "heldout_pairs": "held-out pairs", "chinese": "Chinese",
           "diversity": "diversity", "train_seconds": "training s",
           "sample_seconds_per_image": "s per image", "parameters": "parameters"}


def rows_markdown(rows: dict[str, dict]) -> str:
    """comparison_rows as a Markdown table."""
    formats = {"train_seconds": "{:.0f}", "sample_seconds_per_image": "{:.4f}",
               "parameters": "{:,}"}
    cells = [[name, *(formats.get(c, "{:.3f}").format(row[c]) for c in HEADERS)]
             for name, row in rows.items()]
    return markdown_table(["model", *HEADERS.values()], cells, "l" + "r" * len(HEADERS))
