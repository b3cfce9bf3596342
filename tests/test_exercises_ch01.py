"""Chapter 1 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

import torch

from tutorial_lib.exercises.ch01_language_models import (
    check_append_greedy,
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


def test_append_greedy_checker():
    assert check_append_greedy(lambda inputs, logits: torch.cat(
        [inputs, logits[:, -1, :].argmax(dim=-1, keepdim=True)], dim=-1))
    naive = check_append_greedy(lambda inputs, logits: torch.cat(  # the guide, minus .item()
        [inputs, torch.argmax(logits[:, -1, :], dim=-1).unsqueeze(0)], dim=-1))
    assert not naive and "keepdim=True" in naive.message
    first = check_append_greedy(lambda inputs, logits: torch.cat(
        [inputs, logits[:, 0, :].argmax(dim=-1, keepdim=True)], dim=-1))
    assert not first and "*last*" in first.message
    dropped = check_append_greedy(lambda inputs, logits: logits[:, -1, :].argmax(-1, keepdim=True))
    assert not dropped and "expected shape" in dropped.message
