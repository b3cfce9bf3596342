"""Parameter and FLOP counts match closed forms; the registry measures what the cache holds."""

import numpy as np
import pytest
import torch

from tutorial_lib.analysis import compute
from tutorial_lib.errors import BadInputError
from tutorial_lib.runtime import cache_dir, save_tensors


def test_linear_flops_match_the_formula():
    layer = torch.nn.Linear(30, 20)
    assert compute.count_flops(layer, (torch.rand(7, 30),)) == 2 * 7 * 30 * 20
    assert compute.count_parameters(layer) == 30 * 20 + 20


@pytest.mark.parametrize("c_in, c_out, k, stride, padding, h, w",
                         [(3, 8, 3, 1, 1, 16, 16), (4, 6, 4, 2, 1, 28, 28), (2, 5, 5, 1, 0, 9, 11)])
def test_conv2d_flops_match_the_formula(c_in, c_out, k, stride, padding, h, w):
    conv = torch.nn.Conv2d(c_in, c_out, k, stride, padding)
    h_out, w_out = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    expected = 2 * c_out * h_out * w_out * c_in * k * k
    assert compute.count_flops(conv, (torch.rand(1, c_in, h, w),)) == expected


def test_tied_weights_are_counted_once():
    embed = torch.nn.Embedding(10, 4)
    head = torch.nn.Linear(4, 10, bias=False)
    head.weight = embed.weight
    assert compute.count_parameters(torch.nn.ModuleList([embed, head])) == 40


def test_training_seconds_come_from_the_cache_metadata():
    entry = compute.REGISTRY["dual encoder"]
    assert compute.recorded_train_seconds(entry) is None  # empty cache: not recorded
    gpt = compute.REGISTRY["tiny GPT"]
    save_tensors(cache_dir() / gpt.cache_file, {"w": torch.zeros(1)},
                 {"history": '{"steps": [0], "values": {}, "seconds": 3.0}'})
    assert compute.recorded_train_seconds(gpt) == 3.0


def test_course_models_are_measured():
    small = [name for name, e in compute.REGISTRY.items() if not e.pretrained]
    rows = compute.compute_table(small, repeats=2)
    assert [r.name for r in rows] == small
    assert all(r.parameters > 0 and r.flops > 0 and r.forward_seconds > 0 for r in rows)
    assert all(r.train_seconds is None for r in rows)  # nothing trained in this empty cache
    by_name = {r.name: r for r in rows}
    assert by_name["toy GAN generator"].flops == 2 * (2 * 128 + 128 * 128 * 2 + 128 * 2)
    assert np.isclose(by_name["tiny GPT"].parameters,
                      sum(p.numel() for p in compute.REGISTRY["tiny GPT"].build()[0].parameters()))
    table = compute.table_markdown(rows)
    assert table.count("\n") == len(rows) + 1 and "not recorded" in table


def test_unknown_model_is_one_clear_error():
    with pytest.raises(BadInputError, match="unknown models"):
        compute.compute_table(["GPT-5"])
