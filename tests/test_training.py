"""training: the shared loop learns, logs, respects budgets and stops on divergence."""

import math

import pytest
import torch
from tqdm import tqdm as tqdm_std

from tutorial_lib import training
from tutorial_lib.errors import BadInputError
from tutorial_lib.training import DivergenceError, History, train_loop


def test_loop_trains_a_linear_regression():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(256, 3, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
    model = torch.nn.Linear(3, 1)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(_):
        loss = torch.nn.functional.mse_loss(model(x).squeeze(-1), y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        return {"loss": loss.item()}

    history = train_loop(step, steps=200, log_every=10, progress=False)
    assert history.steps[0] == 0 and history.steps[-1] == 199
    assert history.last("loss") < 1e-4 < history.values["loss"][0]
    assert history.seconds > 0


def test_time_budget_stops_early_and_logs_the_last_step():
    history = train_loop(lambda s: {"loss": 1.0}, steps=10**9, max_seconds=0.05,
                         log_every=10**6, progress=False)
    assert len(history.steps) == 2 and history.steps[-1] > 0


def test_nan_loss_raises_a_clear_error():
    with pytest.raises(DivergenceError, match="loss became nan at step 3"):
        train_loop(lambda s: {"loss": math.nan if s == 3 else 1.0}, steps=10, progress=False)


@pytest.mark.parametrize("steps", [0, -5, 2.5])
def test_bad_step_count(steps):
    with pytest.raises(BadInputError, match="steps must be a positive integer"):
        train_loop(lambda s: {}, steps=steps, progress=False)


def test_history_last_averages_a_window_and_names_unknown_metrics():
    history = History()
    for step, value in enumerate([4.0, 2.0, 1.0]):
        history.log(step, {"loss": value})
    assert history.last("loss", window=2) == 1.5
    with pytest.raises(BadInputError, match="no metric 'acc'"):
        history.last("acc")


@pytest.mark.parametrize(("env", "progress", "disabled"),
                         [("1", True, True), ("", True, False), ("", False, True)])
def test_progress_bar_obeys_tqdm_disable(monkeypatch, env, progress, disabled):
    """tqdm's notebook bar ignores TQDM_DISABLE; the loop must not, or book pages get widgets."""
    seen = {}

    def recording_tqdm(iterable, **kwargs):
        seen.update(kwargs)
        return tqdm_std(iterable, **kwargs)

    # with TQDM_DISABLE="" tqdm's own default applies: a bar is shown
    monkeypatch.setenv("TQDM_DISABLE", env)
    monkeypatch.setattr(training, "tqdm", recording_tqdm)
    training.train_loop(lambda step: {"loss": 1.0}, 3, progress=progress)
    assert seen.get("disable", False) is disabled
