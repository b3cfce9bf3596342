"""Chapter 7 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

import math

import torch
import torch.nn.functional as F

from tutorial_lib.exercises.ch07_retrieval import (
    check_info_nce,
    check_loss_floor,
    check_recall_at_k,
)


def info_nce(image_features, text_features, scale):
    logits = scale * image_features @ text_features.T
    targets = torch.arange(len(logits))
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


def test_info_nce_checker():
    assert check_info_nce(info_nce)
    targets = torch.arange
    wrong = {
        "each image picks its text": lambda i, t, s: F.cross_entropy(s * i @ t.T,
                                                                     targets(len(i))),
        "each text picks its image": lambda i, t, s: F.cross_entropy(s * t @ i.T,
                                                                     targets(len(i))),
        "temperature is missing": lambda i, t, s: info_nce(i, t, 1.0),
        "rather than adding": lambda i, t, s: 2 * info_nce(i, t, s),
        "expected": lambda i, t, s: info_nce(i, t, s / 2),
        "one number": lambda i, t, s: [1.0, 2.0],
        "raised": lambda i, t, s: i @ t,
    }
    for hint, answer in wrong.items():
        result = check_info_nce(answer)
        assert not result and hint in result.message, (hint, result)


def recall(similarity, relevant, k):
    return relevant.gather(1, similarity.topk(k).indices).any(1).float().mean().item()


def test_recall_checker():
    assert check_recall_at_k(recall)
    eye = torch.eye
    wrong = {
        "own image": lambda s, r, k: recall(s, eye(len(s), dtype=torch.bool), k),
        "not k + 1": lambda s, r, k: recall(s, r, k + 1),
        "not k - 1": lambda s, r, k: recall(s, r, max(k - 1, 1)),
        "share of relevant items": lambda s, r, k: (r.gather(1, s.topk(k).indices).sum(1)
                                                    / r.sum(1)).mean(),
        "expected": lambda s, r, k: recall(-s, r, k),
        "raised": lambda s, r, k: s.topk(1000),
    }
    for hint, answer in wrong.items():
        result = check_recall_at_k(answer)
        assert not result and hint in result.message, (hint, result)


def loss_floor(n, scale):
    return math.log(1 + (n - 1) * math.exp(-2 * scale))


def test_loss_floor_checker():
    assert check_loss_floor(loss_floor)
    wrong = {
        "knows nothing": lambda n, s: math.log(n),
        "at most 2 x scale": lambda n, s: math.log(1 + (n - 1) * math.exp(-s)),
        "never negative": lambda n, s: math.log(n - 1) - 2 * s,
        "expected": lambda n, s: loss_floor(n, s) + 0.01,
        "one number": lambda n, s: [loss_floor(n, s)],
        "raised": lambda n, s: math.log(-n),
    }
    for hint, answer in wrong.items():
        result = check_loss_floor(answer)
        assert not result and hint in result.message, (hint, result)


def test_loss_floor_is_reached():
    # two antipodal pairs reach the floor: right cosines 1, the other -1
    images = torch.tensor([[1.0, 0.0], [-1.0, 0.0]], dtype=torch.float64)
    assert math.isclose(info_nce(images, images, 3.0).item(), loss_floor(2, 3.0), rel_tol=1e-9)
