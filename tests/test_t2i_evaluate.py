"""Evaluation prompts and scoring helpers of the text-to-image chapter."""

import math
import re

import numpy as np
import pytest
import torch

from tutorial_lib.data.captions import ENGLISH
from tutorial_lib.data.paraphrases import COLOR_WORDS, SHAPE_WORDS, SIZE_WORDS, paraphrases
from tutorial_lib.data.prompts import EVAL_SPLITS, evaluation_prompts
from tutorial_lib.errors import BadInputError
from tutorial_lib.t2i.evaluate import score_split, table_markdown
from tutorial_lib.text.encoders import TextEncoder

TEMPLATE_WORDS = {w for t in ENGLISH.templates
                  for w in re.findall(r"[a-z]+", re.sub(r"\{\w+\}", "", t))} | {
    w for table in ENGLISH.words.values() for synonyms in table.values() for s in synonyms
    for w in re.findall(r"[a-z]+", s)}


def test_paraphrase_attribute_words_are_absent_from_every_template():
    for table in (COLOR_WORDS, SHAPE_WORDS, SIZE_WORDS):
        for words in table.values():
            for word in words:
                assert not set(re.findall(r"[a-z]+", word)) & TEMPLATE_WORDS, word
    prompts, attrs = paraphrases(50, seed=0)
    assert len(prompts) == len(attrs) == 50 and paraphrases(50, seed=0)[0] == prompts
    for prompt, scene in zip(prompts, attrs, strict=True):
        assert any(w in prompt for w in COLOR_WORDS[scene["color"]]), prompt
        assert any(w in prompt for w in SHAPE_WORDS[scene["shape"]]), prompt


def test_evaluation_prompts_per_split():
    for split in EVAL_SPLITS:
        prompts, attrs = evaluation_prompts(split, 20)
        assert len(prompts) == len(attrs) == 20
    heldout = {(a["color"], a["shape"]) for a in evaluation_prompts("heldout_pairs", 50)[1]}
    assert heldout <= {("blue", "triangle"), ("red", "diamond"), ("green", "circle"),
                       ("yellow", "square")}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p)
               for p in evaluation_prompts("chinese", 10)[0])
    with pytest.raises(BadInputError, match="unknown evaluation split"):
        evaluation_prompts("imagenet")


class Painter(torch.nn.Module):
    """A 'generator' that paints the real image of the scene its one-hot condition names."""

    latent_dim = 4

    def forward(self, z, c):
        from tutorial_lib.data import shapes

        blocks = c.split([6, 4, 2, 3, 3], dim=1)
        attrs = [{name: values[int(b[i].argmax())] for (name, values), b in
                  zip(shapes.ATTRIBUTES, blocks, strict=True)} for i in range(len(c))]
        images = np.stack([shapes.render(a) for a in attrs])
        return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1, None


def test_a_perfect_painter_scores_one_and_onehot_cannot_read_paraphrases(shapes_judge):
    onehot = TextEncoder("onehot")
    scores = score_split(Painter(), onehot, shapes_judge, "seen", n=60)
    assert scores["all_correct"] == 1.0
    assert score_split(Painter(), onehot, shapes_judge, "heldout_pairs", n=60)["all_correct"] == 1
    assert all(math.isnan(v) for v in
               score_split(Painter(), onehot, shapes_judge, "paraphrase", n=10).values())
    table = {("painter", "onehot"): {"seen": 1.0, "heldout_pairs": 1.0, "chinese": 1.0,
                                     "paraphrase": float("nan")}}
    assert "| painter | onehot | 1.000 | 1.000 | 1.000 | cannot read |" in table_markdown(table)
