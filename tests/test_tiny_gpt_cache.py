"""The cached tiny GPT keeps its training curve, so notebooks plot it without retraining."""

from tutorial_lib.text.tiny_gpt import pretrained_tiny_gpt


def test_cached_model_returns_the_history_of_the_run_that_made_it(monkeypatch):
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    model, history = pretrained_tiny_gpt("en", with_history=True)
    again, same_history = pretrained_tiny_gpt("en", with_history=True)  # now from the cache
    assert history.steps == same_history.steps and history.seconds == same_history.seconds
    assert history.steps[-1] > 0 and history.last("loss") < history.values["loss"][0]
    assert all((a == b).all() for a, b in zip(model.state_dict().values(),
                                               again.state_dict().values(), strict=True))
