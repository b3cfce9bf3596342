"""Chapter 6 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

from tutorial_lib.assist.loop import agrees
from tutorial_lib.exercises.ch06_assisted_generation import (
    check_agreement,
    check_mean_scores,
    check_option_scores,
)


def agree(parsed, wanted):
    return parsed is not None and all(parsed[key] == value for key, value in wanted.items())


def test_agreement_checker():
    assert check_agreement(agree)
    assert check_agreement(agrees)  # the library's own verdict
    wrong = {
        "asked for": lambda parsed, wanted: parsed == wanted,
        "never agrees": lambda parsed, wanted: parsed is None or agree(parsed, wanted),
        "raised": lambda parsed, wanted: all(parsed[k] == v for k, v in wanted.items()),
        "should give": lambda parsed, wanted: parsed is not None and any(
            parsed[k] == v for k, v in wanted.items()),
    }
    for hint, answer in wrong.items():
        result = check_agreement(answer)
        assert not result and hint in result.message, (hint, result)


def test_option_scores_checker():
    assert check_option_scores(lambda logp, mask: (logp * mask).sum(1))
    wrong = {
        "padding's": lambda logp, mask: logp.sum(1),
        "first token": lambda logp, mask: logp[:, 0],
        "mean over all": lambda logp, mask: logp.mean(1),
        "one score per option": lambda logp, mask: logp * mask,
        "expected": lambda logp, mask: (logp * mask).sum(1) / mask.sum(1),
        "raised": lambda logp, mask: logp @ mask,
    }
    for hint, answer in wrong.items():
        result = check_option_scores(answer)
        assert not result and hint in result.message, (hint, result)


def mean_scores(token_logp, mask):
    return (token_logp * mask).sum(dim=1) / mask.sum(dim=1)


def test_mean_scores_checker():
    result = check_mean_scores(mean_scores)
    assert result and "the sum picks option 0, the per-token mean option 1" in result.message
    wrong = {
        "that is the sum": lambda logp, mask: (logp * mask).sum(dim=1),
        "counts the padding": lambda logp, mask: logp.mean(dim=1),
        "padded length": lambda logp, mask: (logp * mask).sum(dim=1) / mask.shape[1],
        "expected": lambda logp, mask: mean_scores(logp, mask) + 0.1,
        "one score per option": lambda logp, mask: logp * mask,
        "raised": lambda logp, mask: logp.view(7),
    }
    for hint, answer in wrong.items():
        result = check_mean_scores(answer)
        assert not result and hint in result.message, (hint, result)
