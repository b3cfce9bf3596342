"""Chapter 7 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

import torch
import torch.nn.functional as F

from tutorial_lib.exercises.ch07_retrieval import check_info_nce, check_recall_at_k


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
