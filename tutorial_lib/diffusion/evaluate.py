"""Scoring the diffusion model exactly as chapter 4 scores the GAN, and comparing the two.

The same evaluation prompts (`data.prompts.evaluation_prompts`), the same shapes judge, one
image per prompt; diversity is the per-pixel spread among a prompt's images over that among
real renders of its scene (`metrics.scene_diversity`, shared with chapter 4). A model enters a
comparison as drawing functions (`diffusion_drawer` here, `t2i.evaluate.gan_drawer` for the
GAN), so this module needs no other generator.
Sampling seconds are wall time per image at the batch sizes the evaluation uses.
"""

import time

import numpy as np

from tutorial_lib.data.prompts import evaluation_prompts
from tutorial_lib.diffusion.sampling import sample
from tutorial_lib.metrics import scene_diversity
from tutorial_lib.shapes_judge import attribute_scores
from tutorial_lib.viz import markdown_table

COMPARED_SPLITS = ("seen", "heldout_pairs", "chinese")


def timed(draw, conditions) -> tuple[np.ndarray, float]:
    """(draw(conditions), wall seconds per image)."""
    start = time.perf_counter()
    images = draw(conditions)
    return images, (time.perf_counter() - start) / len(conditions)


def diffusion_drawer(model, config, steps: int, guidance: float, seed: int = 0):
    """conditions -> one image each, by DDIM with classifier-free guidance."""
    return lambda conditions: sample(model, config, conditions, steps=steps, guidance=guidance,
                                     seed=seed)


def judged_scores(draw, encoder, judge, n: int = 500,
                  splits=COMPARED_SPLITS) -> dict[str, dict[str, float]]:
    """{split: attribute_scores + seconds_per_image} of one image per evaluation prompt."""
    scores = {}
    for split in splits:
        prompts, attrs = evaluation_prompts(split, n)
        images, seconds = timed(draw, encoder(prompts))
        scores[split] = {**attribute_scores(judge, images, attrs), "seconds_per_image": seconds}
    return scores


def prompt_diversity(draw_many, encoder, prompts_per_split: int = 50,
                     per_prompt: int = 8) -> float:
    """diversity_ratio of per_prompt images for each of prompts_per_split seen prompts;
    draw_many(conditions, per_prompt) returns them grouped by prompt."""
    prompts, attrs = evaluation_prompts("seen", prompts_per_split)
    return scene_diversity(draw_many(encoder(prompts), per_prompt), attrs, per_prompt)


def diffusion_many(model, config, steps: int, guidance: float, seed: int = 0):
    """(conditions, k) -> k images per condition, grouped by condition."""
    return lambda conditions, k: sample(model, config, conditions.repeat_interleave(k, dim=0),
                                        steps=steps, guidance=guidance, seed=seed)


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def comparison_rows(models: dict, encoder, judge, n: int = 500,
                    diversity_prompts: int = 50) -> dict[str, dict]:
    """{model name: row} for models {name: (draw, draw_many, network, train_seconds)}: judged
    all-correct on n prompts per split, diversity over diversity_prompts seen prompts (8 images
    each), training seconds, sampling seconds per image (on the seen prompts), parameters."""
    rows = {}
    for name, (draw, draw_many, network, train_seconds) in models.items():
        scores = judged_scores(draw, encoder, judge, n)
        rows[name] = {**{split: scores[split]["all_correct"] for split in COMPARED_SPLITS},
                      "diversity": prompt_diversity(draw_many, encoder, diversity_prompts),
                      "train_seconds": train_seconds,
                      "sample_seconds_per_image": scores["seen"]["seconds_per_image"],
                      "parameters": parameter_count(network)}
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
