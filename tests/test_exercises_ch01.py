"""Chapter 1 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

import torch

from tutorial_lib.exercises.ch01_language_models import (
    check_guide_bug,
    check_perplexity,
    check_top_k_filter,
    check_top_p_filter,
)


def reference_top_k(logits, k):
    threshold = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < threshold, float("-inf"))


def reference_top_p(logits, p):
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits, dim=-1)
    remove_sorted = torch.cumsum(probs, dim=-1) - probs >= p
    return logits.masked_fill(remove_sorted.scatter(-1, order, remove_sorted), float("-inf"))


def test_top_k_checker():
    assert check_top_k_filter(reference_top_k)

    def zeros_instead_of_minus_inf(logits, k):
        threshold = torch.topk(logits, k, dim=-1).values[..., -1:]
        return logits.masked_fill(logits < threshold, 0.0)

    def one_too_many(logits, k):
        return reference_top_k(logits, min(k + 1, logits.shape[-1]))

    assert "-inf" in check_top_k_filter(zeros_instead_of_minus_inf).message
    assert "should remove" in check_top_k_filter(one_too_many).message


def test_top_p_checker():
    assert check_top_p_filter(reference_top_p)

    def drops_the_crossing_token(logits, p):  # cumsum >= p without subtracting the own prob
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        remove_sorted = torch.cumsum(torch.softmax(sorted_logits, -1), -1) > p
        return logits.masked_fill(remove_sorted.scatter(-1, order, remove_sorted),
                                  float("-inf"))

    result = check_top_p_filter(drops_the_crossing_token)
    assert not result and "takes the total past p" in result.message


def test_perplexity_checker():
    assert check_perplexity(
        lambda logits, targets: torch.exp(torch.nn.functional.cross_entropy(logits, targets)))
    assert "exponential" in check_perplexity(
        lambda logits, targets: torch.nn.functional.cross_entropy(logits, targets)).message
    summed = check_perplexity(lambda logits, targets: torch.exp(
        torch.nn.functional.cross_entropy(logits, targets, reduction="sum")))
    assert "average" in summed.message


def test_guide_bug_checker():
    assert check_guide_bug("b") and check_guide_bug(" B ")
    assert "tokenizer" in check_guide_bug("a").message
    assert not check_guide_bug("z")
