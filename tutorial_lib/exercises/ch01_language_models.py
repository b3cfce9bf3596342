"""Checkers for chapter 1, "Language models, from tokens to text"."""

import math

import torch

from tutorial_lib.exercises import CheckResult, attempt, failed, passed
from tutorial_lib.text.sampling import top_k_filter, top_p_filter


def _logit_cases() -> list[torch.Tensor]:
    """Hand-made and random logits: a clear winner, ties, a flat row, and a batch of rows."""
    generator = torch.Generator().manual_seed(1)
    return [torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05])),
            torch.tensor([2.0, 2.0, 1.0, 0.0, -1.0]),
            torch.zeros(6),
            torch.randn(4, 50, generator=generator) * 3]


def _compare(filtered, expected, what: str) -> str | None:
    """A hint when the learner's filtered logits differ from the reference, else None."""
    if not isinstance(filtered, torch.Tensor) or filtered.shape != expected.shape:
        shape = getattr(filtered, "shape", type(filtered).__name__)
        return f"{what} must return a tensor shaped like the logits {tuple(expected.shape)}, " \
               f"got {shape}"
    kept, kept_expected = torch.isfinite(filtered), torch.isfinite(expected)
    if (filtered[~kept] > 0).any() or ((filtered == 0) & ~kept_expected).any():
        return "set removed tokens to -inf (probability 0 after softmax), not to 0"
    if not torch.equal(kept, kept_expected):
        extra = int((kept & ~kept_expected).sum())
        missing = int((~kept & kept_expected).sum())
        return f"{what} kept {extra} token(s) it should remove and removed {missing} it " \
               "should keep"
    if not torch.allclose(filtered[kept], expected[kept]):
        return "kept tokens must keep their original logits"
    return None


def check_top_k_filter(top_k) -> CheckResult:
    """Exercise 1.1: `top_k(logits, k)` keeps the k largest logits and sets the rest to -inf."""
    for logits in _logit_cases():
        for k in (1, 2, 3):
            try:
                answer = top_k(logits.clone(), k)
            except Exception as err:  # a learner's bug becomes a hint, not a traceback
                return failed(f"top_k raised {type(err).__name__}: {err}")
            hint = _compare(answer, top_k_filter(logits, k), f"top_k(k={k})")
            if hint:
                return failed(hint)
    return passed("your filter matches the reference on every case, ties and batches included")


def check_top_p_filter(top_p) -> CheckResult:
    """Exercise 1.2: `top_p(logits, p)` keeps the smallest top set with probability >= p.

    Ties and values of p that equal a cumulative probability exactly are left out: there the
    answer depends on sort order and float rounding, not on understanding the idea.
    """
    clear_winner, _, _, batch = _logit_cases()
    for logits in (clear_winner, batch):
        for p in (0.3, 0.7, 0.9, 0.97, 1.0):
            try:
                answer = top_p(logits.clone(), p)
            except Exception as err:
                return failed(f"top_p raised {type(err).__name__}: {err}")
            hint = _compare(answer, top_p_filter(logits, p), f"top_p(p={p})")
            if hint:
                if "removed" in hint:
                    hint += " (keep the token whose probability takes the total past p)"
                return failed(hint)
    return passed("your nucleus filter matches the reference on every case")


def check_perplexity(perplexity) -> CheckResult:
    """Exercise 1.3: `perplexity(logits, targets)` = exp(mean cross-entropy over the tokens)."""
    generator = torch.Generator().manual_seed(3)
    logits = torch.randn(5, 12, generator=generator) * 2
    targets = torch.randint(0, 12, (5,), generator=generator)
    log_probs = torch.log_softmax(logits, dim=-1)[torch.arange(5), targets]
    truth = math.exp(-log_probs.mean().item())
    try:
        answer = float(perplexity(logits, targets))
    except Exception as err:
        return failed(f"perplexity raised {type(err).__name__}: {err}")
    if math.isclose(answer, truth, rel_tol=1e-4):
        return passed(f"perplexity {truth:.3f}: the model is as unsure as a uniform choice among "
                      f"{truth:.1f} tokens")
    if math.isclose(answer, math.exp(-log_probs.sum().item()), rel_tol=1e-4):
        return failed("average the negative log-likelihood over tokens before exponentiating")
    if math.isclose(answer, -log_probs.mean().item(), rel_tol=1e-4):
        return failed("that is the mean cross-entropy; perplexity is its exponential")
    return failed("turn logits into log-probabilities with log_softmax, pick each target's, "
                  "average their negatives, then exponentiate")


def check_append_greedy(append_greedy) -> CheckResult:
    """Exercise 1.4: append_greedy(inputs, logits) appends each row's greedy next token, for a
    batch of any size (deleting the guide's `.item()` is not enough)."""
    generator = torch.Generator().manual_seed(4)
    for batch in (1, 3):
        inputs = torch.randint(50, (batch, 5), generator=generator)
        logits = torch.randn(batch, 5, 50, generator=generator)
        truth = torch.cat([inputs, logits[:, -1, :].argmax(dim=-1, keepdim=True)], dim=-1)
        answer, error = attempt(append_greedy, inputs.clone(), logits.clone())
        if error:
            if batch == 1:
                return failed(error)
            return failed(f"right for one prompt, but for {batch} {error}. argmax(..., dim=-1) "
                          f"has shape ({batch},); unsqueeze(0) makes it a row (1, {batch}), "
                          f"and torch.cat needs a column ({batch}, 1): keepdim=True gives one")
        answer = torch.as_tensor(answer)
        if answer.shape != truth.shape:
            return failed(f"for {batch} prompt(s) of 5 tokens expected shape "
                          f"{tuple(truth.shape)}, got {tuple(answer.shape)}")
        if torch.equal(answer.long(), truth):
            continue
        if torch.equal(answer[:, -1].long(), logits[:, 0, :].argmax(dim=-1)):
            return failed("the token that comes next is predicted by the logits at the *last* "
                          "position, logits[:, -1, :]")
        return failed("each row must be the input row followed by the argmax of its last "
                      "position's logits")
    return passed("one new token per row, for one prompt or many")
