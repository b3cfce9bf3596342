"""Checkers for chapter 6, "LLM-assisted generation"."""

import torch

from tutorial_lib.exercises import CheckResult, attempt, failed, passed

_FULL = {"color": "red", "shape": "circle", "size": "small", "row": "top", "col": "left"}
# (parsed caption, what the request asked for, the right verdict)
_CASES = (
    (_FULL, {"color": "red", "shape": "circle"}, True),
    (_FULL, dict(_FULL), True),
    (_FULL, {"color": "blue", "shape": "circle"}, False),
    (None, {"color": "red"}, False),
    (_FULL, {}, True),
)


def check_agreement(agree_fn) -> CheckResult:
    """Exercise 6.1: agree_fn(parsed, wanted) -> bool: does a parsed caption (a dict of the five
    attributes, or None when the caption did not parse) give every attribute the request asked
    for? Attributes the request left open do not count."""
    for parsed, wanted, truth in _CASES:
        answer, error = attempt(agree_fn, None if parsed is None else dict(parsed), dict(wanted))
        if error:
            hint = " (a caption that does not parse arrives as None)" if parsed is None else ""
            return failed(error + hint)
        if bool(answer) == truth:
            continue
        if parsed is None:
            return failed("a caption the parser cannot read (None) names nothing: it never agrees")
        if truth and wanted != parsed:
            return failed("compare only the attributes the request asked for: 'something red "
                          "in the corner' says nothing about size, so any size agrees")
        return failed(f"parsed {parsed} and wanted {wanted} should give {truth}")
    return passed("only what the request asked for is checked")


def _option_scores():
    """Log-probabilities of 3 options' tokens (padded to 3) and the mask of real tokens."""
    token_logp = torch.tensor([[-0.1, -4.0, -3.0],   # one token, then padding
                               [-0.3, -0.2, -5.0],   # two tokens, then padding
                               [-2.5, -0.1, -0.1]])  # three tokens
    mask = torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    return token_logp, mask


def check_option_scores(score_fn) -> CheckResult:
    """Exercise 6.2: score_fn(token_logp, mask) -> (K,) scores, the log-probability of each
    option as a whole: the sum of its tokens' log-probabilities, padding excluded."""
    token_logp, mask = _option_scores()
    answer, error = attempt(score_fn, token_logp.clone(), mask.clone())
    if error:
        return failed(error)
    answer = torch.as_tensor(answer).float().flatten()
    truth = (token_logp * mask).sum(1)
    wrong_answers = {
        "the padding's log-probabilities are in the sum: multiply by the mask first, or a "
        "short option pays for tokens it does not have": token_logp.sum(1),
        "the first token alone cannot tell 'at the top left' from 'at the top right': add up "
        "every token of the option": token_logp[:, 0],
        "a mean over all positions still counts padding: sum the real tokens": token_logp.mean(1),
    }
    if answer.shape != truth.shape:
        return failed(f"return one score per option, shape {tuple(truth.shape)}, got "
                      f"{tuple(answer.shape)}")
    for hint, wrong in wrong_answers.items():
        if torch.allclose(answer, wrong, atol=1e-5):
            return failed(hint)
    if not torch.allclose(answer, truth, atol=1e-5):
        return failed(f"expected {truth.tolist()}, got {answer.tolist()}")
    return passed(f"option {int(truth.argmax())} wins: the log-probability of a phrase is the "
                  "sum over its tokens")


def _length_case():
    """A one-token option with a middling log-probability and a three-token option whose tokens
    are each more likely: the sum prefers the short option, the per-token mean the long one."""
    token_logp = torch.tensor([[-0.5, -2.0, -2.0],   # one token, then padding
                               [-0.3, -0.3, -0.3],   # three tokens
                               [-0.2, -1.5, -7.0]])  # two tokens, then padding
    mask = torch.tensor([[1, 0, 0], [1, 1, 1], [1, 1, 0]], dtype=torch.bool)
    return token_logp, mask


def check_mean_scores(score_fn) -> CheckResult:
    """Exercise 6.3: score_fn(token_logp, mask) -> (K,) length-normalised scores, the mean
    log-probability of each option's real tokens (padding excluded), which does not favour
    short options the way the sum does."""
    token_logp, mask = _length_case()
    answer, error = attempt(score_fn, token_logp.clone(), mask.clone())
    if error:
        return failed(error)
    answer = torch.as_tensor(answer).float().flatten()
    real = mask.float()
    truth = (token_logp * real).sum(1) / real.sum(1)
    if answer.shape != truth.shape:
        return failed(f"return one score per option, shape {tuple(truth.shape)}, got "
                      f"{tuple(answer.shape)}")
    wrong_answers = {
        "that is the sum, which favours the one-token option: divide by each option's number "
        "of real tokens": (token_logp * real).sum(1),
        "a mean over all positions counts the padding: divide the masked sum by the number of "
        "real tokens": token_logp.mean(1),
        "divide by each option's own length (mask.sum(dim=1)), not by the padded length":
            (token_logp * real).sum(1) / mask.shape[1],
    }
    for hint, wrong in wrong_answers.items():
        if torch.allclose(answer, wrong, atol=1e-5):
            return failed(hint)
    if not torch.allclose(answer, truth, atol=1e-5):
        return failed(f"expected {truth.tolist()}, got {answer.tolist()}")
    by_sum = int((token_logp * real).sum(1).argmax())
    return passed(f"the sum picks option {by_sum}, the per-token mean option "
                  f"{int(truth.argmax())}: normalising by length changes the winner")
