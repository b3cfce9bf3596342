"""Chapter 6 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

from tutorial_lib.assist.loop import agrees
from tutorial_lib.exercises.ch06_assisted_generation import check_agreement, check_option_scores


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
