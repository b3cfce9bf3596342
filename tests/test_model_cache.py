"""model_cache: one load-or-train step for every cached model, keyed on config and data."""

from dataclasses import dataclass, replace

import pytest
import torch
from conftest import own_files

from tutorial_lib import model_cache, runtime
from tutorial_lib.errors import BadInputError, CacheWarning
from tutorial_lib.model_cache import Trained, fingerprint, load_or_train, recorded_history
from tutorial_lib.runtime import cache_dir, load_state
from tutorial_lib.training import History

NAME = "toy.safetensors"


@dataclass
class ToyConfig:
    width: int = 3
    steps: int = 2


class Counter:
    """A train/restore pair for a linear model that counts how often it trained."""

    def __init__(self, config=None):
        self.config, self.trainings = config or ToyConfig(), 0

    def train(self):
        self.trainings += 1
        model = torch.nn.Linear(self.config.width, 1)
        history = History([0, 1], {"loss": [2.0, 1.5]}, 0.25)
        return Trained(model, model.state_dict(), history, {"accuracy": "0.5"})

    def restore(self, tensors):
        return load_state(torch.nn.Linear(self.config.width, 1), tensors, NAME)

    def get(self, data="data-a"):
        return load_or_train(NAME, self.config, data, self.train, self.restore)


def test_loads_what_it_saved_with_history_and_facts():
    toy = Counter()
    first = toy.get()
    again = toy.get()
    assert toy.trainings == 1
    assert again.history == first.history == History([0, 1], {"loss": [2.0, 1.5]}, 0.25)
    assert again.facts == {"accuracy": "0.5"}
    assert torch.equal(again.value.weight, first.value.weight)
    assert recorded_history(NAME) == first.history
    assert recorded_history("absent.safetensors") is None


def test_a_config_change_retrains():
    Counter().get()
    changed = Counter(replace(ToyConfig(), steps=5))
    with pytest.warns(CacheWarning, match="other settings or data"):
        changed.get()
    assert changed.trainings == 1
    changed.get()  # the new file is now the cached one
    assert changed.trainings == 1


def test_a_data_change_retrains():
    toy = Counter()
    toy.get("data-a")
    with pytest.warns(CacheWarning, match="other settings or data"):
        toy.get("data-b")
    assert toy.trainings == 2


def test_a_corrupt_file_is_reported_and_retrained():
    toy = Counter()
    toy.get()
    path = cache_dir() / NAME
    path.write_bytes(path.read_bytes()[:100])  # a disk error cut the file short
    with pytest.warns(CacheWarning, match="corrupt.*training again"):
        toy.get()
    assert toy.trainings == 2
    toy.get()
    assert toy.trainings == 2  # the rewritten file loads


def test_weights_that_do_not_fit_are_reported_and_retrained():
    Counter().get()
    wider = Counter(ToyConfig(width=4))
    # the same config key, but a model of another shape: as if the class changed under the file
    wider.config = ToyConfig()
    wider.restore = lambda tensors: load_state(torch.nn.Linear(4, 1), tensors, NAME)
    with pytest.warns(CacheWarning, match="does not hold the weights"):
        wider.get()
    assert wider.trainings == 1


def test_an_interrupted_save_leaves_no_file_and_no_temporary_file(monkeypatch):
    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C while writing

    monkeypatch.setattr(runtime, "save_file", crash)
    with pytest.raises(KeyboardInterrupt):
        Counter().get()
    assert own_files(cache_dir()) == []


def test_facts_may_not_overwrite_the_cache_keys():
    toy = Counter()
    toy.train = lambda: Trained(None, {}, History(), {"config": "mine"})
    with pytest.raises(BadInputError, match="config"):
        toy.get()


def test_fingerprint_tells_data_apart():
    a = torch.arange(6).reshape(2, 3)
    assert fingerprint(a, "x") == fingerprint(a.clone(), "x")
    assert fingerprint(a, "x") != fingerprint(a.reshape(3, 2), "x")  # same bytes, other shape
    assert fingerprint(a, "x") != fingerprint(a, "y")
    assert len(model_cache.fingerprint("x")) == 16
