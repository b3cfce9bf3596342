"""The side-by-side judging of generators: an oracle that draws each prompt's scene scores
all-correct, a generator that ignores the prompt does not, and the table shows every column."""

import numpy as np
import pytest
from torch import nn

from tutorial_lib.comparison import (
    COMPARED_SPLITS,
    HEADERS,
    Contestant,
    comparison_rows,
    parameter_count,
    rows_markdown,
)
from tutorial_lib.data import shapes
from tutorial_lib.data.prompts import evaluation_prompts


def scene_lookup():
    """prompt -> its attributes, for every prompt the comparison asks."""
    table = {}
    for split in COMPARED_SPLITS:
        prompts, attrs = evaluation_prompts(split, 40)
        table.update(zip(prompts, attrs, strict=True))
    return table


def contestant(draw_one, network):
    lookup = scene_lookup()
    return Contestant(
        encode=lambda prompts: [lookup[p] for p in prompts],
        draw=lambda attrs: np.stack([draw_one(a, 0) for a in attrs]),
        draw_many=lambda attrs, k: np.stack([draw_one(a, j) for a in attrs for j in range(k)]),
        networks=[network], train_seconds=12.0)


@pytest.fixture
def rows(shapes_judge):
    def oracle(attrs, j):  # a real render of the asked scene, a little different each time
        return shapes.render(attrs, offset=(j % 3 - 1, 0))

    fixed_scene = shapes.sample(1, seed=0, split="train").images[0]
    return comparison_rows({"oracle": contestant(oracle, nn.Linear(3, 2)),
                            "ignores the prompt": contestant(lambda a, j: fixed_scene,
                                                             nn.Linear(4, 1, bias=False))},
                           shapes_judge, n=40, diversity_prompts=5)


def test_an_oracle_is_all_correct_and_a_prompt_blind_generator_is_not(rows):
    for split in COMPARED_SPLITS:
        assert rows["oracle"][split] >= 0.95, split
        assert rows["ignores the prompt"][split] <= 0.2, split
    assert rows["ignores the prompt"]["diversity"] == 0.0  # one picture for every prompt
    assert rows["oracle"]["diversity"] > 0.0


def test_rows_count_parameters_and_keep_the_training_time(rows):
    assert rows["oracle"]["parameters"] == 8 == parameter_count(nn.Linear(3, 2))
    assert rows["ignores the prompt"]["parameters"] == 4
    assert parameter_count(nn.Linear(3, 2), nn.Linear(4, 1, bias=False)) == 12
    assert rows["oracle"]["train_seconds"] == 12.0
    assert rows["oracle"]["sample_seconds_per_image"] > 0


def test_the_table_has_a_row_per_model_and_every_column(rows):
    table = rows_markdown(rows).splitlines()
    assert len(table) == 4  # header, rule, two models
    assert all(header in table[0] for header in HEADERS.values())
    assert table[2].startswith("| oracle")
