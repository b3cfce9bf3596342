"""Scarcity runs: subset sizes, scene coverage, a cache round trip, determinism for a seed."""

import pytest
import torch

from tutorial_lib.analysis import scarcity
from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError
from tutorial_lib.runtime import torch_threads
from tutorial_lib.text.encoders import TextEncoder


def test_subset_sizes_are_fractions_of_chapter_4s_data():
    assert [scarcity.subset_size(f) for f in scarcity.FRACTIONS] == [20_000, 2_000, 200]
    configs = [scarcity.scarcity_config(f) for f in scarcity.FRACTIONS]
    assert len({c.steps for c in configs}) == 1  # one step budget for every fraction
    for bad in (0, -0.1, 1.5):
        with pytest.raises(BadInputError, match="fraction"):
            scarcity.subset_size(bad)


def test_distinct_scenes_counts_the_training_draw():
    sample = shapes.sample(200, seed=0, split="train", lang="both")
    brute = {(a["color"], a["shape"], a["size"], a["row"], a["col"]) for a in sample.attrs}
    assert scarcity.distinct_scenes(200) == len(brute) < len(shapes.combinations("train"))
    assert scarcity.distinct_scenes(20_000) == len(shapes.combinations("train"))


@pytest.fixture
def tiny_runs(monkeypatch):
    """Fast mode (a dozen steps), the one-hot encoder and no judge, on one thread (small
    models slow down badly when two threads share busy cores): seconds, not minutes."""
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    monkeypatch.setattr(scarcity, "text_encoder", lambda name: TextEncoder("onehot"))
    monkeypatch.setattr(scarcity, "judge_validator", lambda: None)
    with torch_threads(1):
        yield


def test_short_run_is_cached_and_deterministic(tiny_runs, monkeypatch, tmp_path):
    generator, seconds = scarcity.scarcity_generator(0.01, progress=False)
    assert seconds > 0
    monkeypatch.setattr(scarcity, "train_t2i", lambda *a, **k: pytest.fail("retrained"))
    loaded, loaded_seconds = scarcity.scarcity_generator(0.01, progress=False)
    assert loaded_seconds == pytest.approx(seconds, abs=0.1)
    for name, tensor in generator.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[name], tensor, rtol=0, atol=0)
    monkeypatch.undo()
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    monkeypatch.setenv("TUTORIAL_CACHE", str(tmp_path / "second"))  # an empty cache: retrain
    monkeypatch.setattr(scarcity, "text_encoder", lambda name: TextEncoder("onehot"))
    monkeypatch.setattr(scarcity, "judge_validator", lambda: None)
    again, _ = scarcity.scarcity_generator(0.01, progress=False)
    for name, tensor in generator.state_dict().items():
        torch.testing.assert_close(again.state_dict()[name], tensor, rtol=0, atol=0)
