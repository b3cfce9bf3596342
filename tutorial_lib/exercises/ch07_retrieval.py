"""Checkers for chapter 7, "Search, classify, annotate: a CLIP-style dual encoder"."""

import torch
import torch.nn.functional as F

from tutorial_lib.exercises import CheckResult, attempt, failed, passed
from tutorial_lib.retrieval.evaluate import recall_at_k
from tutorial_lib.retrieval.model import contrastive_loss


def _features(seed: int, n: int = 12, dim: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of matching unit vectors: each text is its image plus noise."""
    generator = torch.Generator().manual_seed(seed)
    images = F.normalize(torch.randn(n, dim, generator=generator), dim=1)
    texts = F.normalize(images + 0.8 * torch.randn(n, dim, generator=generator), dim=1)
    return images, texts


def check_info_nce(loss_fn) -> CheckResult:
    """Exercise 7.1: loss_fn(image_features, text_features, scale) -> CLIP's symmetric InfoNCE
    loss, with logits = scale * image_features @ text_features.T and pair i the i-th image and
    the i-th text: (cross-entropy over rows + cross-entropy over columns) / 2."""
    images, texts = _features(3)
    scale = 10.0
    answer, error = attempt(loss_fn, images.clone(), texts.clone(), scale)
    if error:
        return failed(error)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return failed(f"return one number (a 0-d tensor), got {type(answer).__name__}")
    logits = scale * images @ texts.T
    targets = torch.arange(len(logits))
    wrong_answers = {
        "that is one direction only (each image picks its text): add the other direction, "
        "cross-entropy over the columns (logits.T), and average the two":
            F.cross_entropy(logits, targets),
        "that is one direction only (each text picks its image): add the image -> text "
        "direction, cross-entropy over the rows, and average the two":
            F.cross_entropy(logits.T, targets),
        "the temperature is missing: multiply the cosine similarities by `scale` (1 / "
        "temperature), or the softmax over values in [-1, 1] can never be sharp":
            contrastive_loss(images, texts, 1.0),
        "average the two directions, (row loss + column loss) / 2, rather than adding them":
            2 * contrastive_loss(images, texts, scale),
    }
    for hint, wrong in wrong_answers.items():
        if abs(value - float(wrong)) < 1e-4:
            return failed(hint)
    truth = float(contrastive_loss(images, texts, scale))
    if abs(value - truth) > 1e-4:
        return failed(f"expected {truth:.4f} on the test batch, got {value:.4f}")
    return passed("both directions, sharpened by the temperature: CLIP's loss")


def _retrieval_example(seed: int = 5, n: int = 40, scenes: int = 12):
    """Square similarities of n captions against their n images, and which pairs show the
    same scene (one of `scenes`): query i's own image is gallery item i."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(scenes, (n,), generator=generator)
    relevant = labels[:, None] == labels[None, :]
    similarity = relevant.float() * 0.6 + torch.rand(n, n, generator=generator)
    return similarity, relevant


def check_recall_at_k(recall_fn) -> CheckResult:
    """Exercise 7.2: recall_fn(similarity, relevant, k) -> Recall@k as a float: the fraction of
    queries (rows) with at least one relevant gallery item among their k most similar ones."""
    similarity, relevant = _retrieval_example()
    answers = {}
    for k in (1, 3, 5):
        answer, error = attempt(recall_fn, similarity.clone(), relevant.clone(), k)
        if error:
            return failed(error)
        try:
            answers[k] = float(answer)
        except (TypeError, ValueError):
            return failed(f"return one number, got {type(answer).__name__}")
    truth = {k: recall_at_k(similarity, relevant, (k,))[k] for k in answers}
    same_image = torch.eye(len(similarity), dtype=torch.bool)
    found = {k: relevant.gather(1, similarity.topk(k).indices).sum(1).float() for k in (1, 3, 5)}
    wrong_answers = {
        "only the query's own image counts as a hit: any image of the same scene is a right "
        "answer, so use `relevant`, not the diagonal":
            {k: recall_at_k(similarity, same_image, (k,))[k] for k in answers},
        "off by one: look at exactly the k best items, similarity.topk(k), not k + 1":
            {k: recall_at_k(similarity, relevant, (k + 1,))[k + 1] for k in answers},
        "off by one: look at exactly the k best items, not k - 1 (at k=1, the single best)":
            {k: recall_at_k(similarity, relevant, (max(k - 1, 1),))[max(k - 1, 1)]
             for k in answers},
        "that is the share of relevant items found (torchmetrics' RetrievalRecall); Recall@k "
        "here asks whether *at least one* of the k is relevant":
            {k: (found[k] / relevant.sum(1)).mean().item() for k in answers},
    }
    for hint, wrong in wrong_answers.items():
        if all(abs(answers[k] - wrong[k]) < 1e-6 for k in answers) and wrong != truth:
            return failed(hint)
    for k in answers:
        if abs(answers[k] - truth[k]) > 1e-6:
            return failed(f"at k={k} expected {truth[k]:.4f} on the test example, got "
                          f"{answers[k]:.4f}")
    return passed("a query is answered when any of its k best images shows its scene")


FLOOR_CASES = ((256, 1.0), (256, 14.3), (2, 1.0), (32, 5.0))


def check_loss_floor(floor_fn) -> CheckResult:
    """Exercise 7.3: floor_fn(n, scale) -> the lowest one row's InfoNCE cross-entropy can be for a
    batch of n unit vectors at scale 1/tau: the right pair's cosine at most 1 and every other
    at least -1 give log(1 + (n - 1) exp(-2 scale))."""
    import math

    for n, scale in FLOOR_CASES:
        answer, error = attempt(floor_fn, n, scale)
        if error:
            return failed(error)
        try:
            value = float(answer)
        except (TypeError, ValueError):
            return failed(f"return one number, got {answer!r}")
        truth = math.log1p((n - 1) * math.exp(-2 * scale))
        wrong_answers = {
            "that is the loss of a model that knows nothing (all cosines equal); the floor is "
            "reached when the right pair's cosine is 1 and every other one is -1":
                math.log(n),
            "the gap between the right logit and the others is at most 2 x scale (cosines run "
            "from -1 to 1), not scale": math.log1p((n - 1) * math.exp(-scale)),
            "keep the right pair's own term in the softmax's denominator: the loss is "
            "log(1 + (n - 1) exp(-2 scale)), never negative": math.log(n - 1) - 2 * scale,
        }
        for hint, wrong in wrong_answers.items():
            if abs(value - wrong) < 1e-6 * max(1.0, abs(wrong)) and abs(wrong - truth) > 1e-9:
                return failed(hint)
        if abs(value - truth) > 1e-6 * max(1.0, truth):
            return failed(f"n = {n}, 1/tau = {scale}: expected {truth:.6f}, got {value:.6f}")
    at_one = math.log1p(255 * math.exp(-2))
    return passed(f"at 1/tau = 1 a batch of 256 cannot go below {at_one:.2f} nats, whatever the "
                  "model learns: hence a learned temperature")
