"""Checkers for chapter 5, "From image to words: captioning"."""

import numpy as np
import torch

from tutorial_lib.data import shapes
from tutorial_lib.exercises import CheckResult, attempt, failed, passed


def _scenes() -> tuple[list[str], list[dict]]:
    """Eight test captions with their true attributes: four correct in non-canonical wording
    (two English, two Chinese), one canonical and correct, two describing the wrong scene and
    one outside the grammar."""
    sample = shapes.sample(8, seed=11, split="test")
    attrs = sample.attrs
    wrong = dict(attrs[5], color="red" if attrs[5]["color"] != "red" else "blue")
    captions = [
        "there is a " + shapes.caption(attrs[0]).removeprefix("a "),
        f"{shapes.caption(attrs[1])}.",
        shapes.all_captions(attrs[2], "zh")[-1],
        shapes.all_captions(attrs[3], "zh")[0],
        shapes.caption(attrs[4]),
        shapes.caption(wrong),
        shapes.caption(attrs[7]),  # attrs[6]'s caption is attrs[7]'s: wrong scene
        "a shape somewhere",  # unparseable
    ]
    return captions, attrs


def check_attribute_exact_match(exact_match_fn) -> CheckResult:
    """Exercise 5.1: exact_match_fn(captions, attrs) -> the fraction of captions that parse
    (shapes.parse_caption) to exactly their image's attribute dict; None counts as wrong."""
    captions, attrs = _scenes()
    answer, error = attempt(exact_match_fn, list(captions), [dict(a) for a in attrs])
    if error:
        return failed(error)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return failed(f"return one number (a fraction), got {type(answer).__name__}")
    parsed = [shapes.parse_caption(text) for text in captions]
    truth = np.mean([p == a for p, a in zip(parsed, attrs, strict=True)])
    wrong_answers = {
        "compare meanings, not strings: a caption in another wording (or with a full stop) "
        "describes the same scene; parse it with shapes.parse_caption and compare the dicts":
            np.mean([text == shapes.caption(a) for text, a in zip(captions, attrs, strict=True)]),
        "a caption the grammar cannot parse (parse_caption returns None) says nothing right "
        "about the image: count it as a miss, not a match":
            np.mean([p is None or p == a for p, a in zip(parsed, attrs, strict=True)]),
        "return a fraction between 0 and 1, not a count":
            sum(p == a for p, a in zip(parsed, attrs, strict=True)),
    }
    for hint, wrong in wrong_answers.items():
        if abs(value - float(wrong)) < 1e-9:
            return failed(hint)
    if abs(value - truth) > 1e-9:
        return failed(f"expected {truth:.3f} on the test captions, got {value:.3f}")
    return passed(f"{truth:.3f}: only captions that mean exactly the right scene count")


def _attention(seed: int) -> torch.Tensor:
    """Cross-attention weights of one layer for one image: (heads 4, tokens 6, 1 + 64 keys),
    each row a probability distribution over ViT's [CLS] vector and the 8x8 patches."""
    generator = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(4, 6, 65, generator=generator) * 2, dim=-1)


def check_patch_heatmap(heatmap_fn) -> CheckResult:
    """Exercise 5.2: heatmap_fn(weights, token) -> an (8, 8) array: the attention of decoder
    position `token` over the patches, averaged over heads, [CLS] (key 0) left out, patches in
    ViT's row-major order (patch k sits at row k // 8, column k % 8)."""
    weights, token = _attention(5), 3
    answer, error = attempt(heatmap_fn, weights.clone(), token)
    if error:
        return failed(error)
    answer = np.asarray(torch.as_tensor(answer).detach().float())
    if answer.shape != (8, 8):
        return failed(f"return an (8, 8) grid, got shape {answer.shape} (average over the "
                      "heads, drop key 0, reshape the 64 patches to 8 x 8)")
    truth = weights.mean(dim=0)[token, 1:].reshape(8, 8).numpy()
    wrong_answers = {
        "key 0 is ViT's [CLS] vector, not a patch: drop the first key ([1:]), not the last":
            weights.mean(dim=0)[token, :64].reshape(8, 8).numpy(),
        "the picture is transposed: ViT numbers patches row by row, so reshape(8, 8) already "
        "puts patch k at row k // 8": truth.T,
        "average over all the heads (dimension 0), not just the first one":
            weights[0, token, 1:].reshape(8, 8).numpy(),
        "the heat-map belongs to one decoder position: index the token axis with `token`, do "
        "not average over tokens": weights.mean(dim=(0, 1))[1:].reshape(8, 8).numpy(),
    }
    for hint, wrong in wrong_answers.items():
        if np.allclose(answer, wrong, atol=1e-6):
            return failed(hint)
    if not np.allclose(answer, truth, atol=1e-6):
        return failed("not the expected heat-map: mean over heads, row `token`, keys 1..64, "
                      "reshape(8, 8)")
    return passed("each cell is how much the decoder looked at that 4x4-pixel patch")


# Two candidate captions, one reference each. The first repeats "the" more often than its
# reference allows (clipping matters), and the candidates are shorter than their references in
# total (the corpus brevity penalty is below 1, and differs from the sentence-by-sentence one).
BLEU_CANDIDATES = ["the the red circle at the top left".split(),
                   "a large blue square in the center".split()]
BLEU_REFERENCES = ["a small red circle at the top left of the image".split(),
                   "a large blue square in the center of the picture".split()]


def _bleu(candidates, references, clip=True, corpus_penalty=True, geometric=True):
    """Corpus BLEU-4 and its plausible mistakes, for the checker's wrong answers."""
    from collections import Counter

    precisions = []
    for n in range(1, 5):
        matched = total = 0
        for cand, ref in zip(candidates, references, strict=True):
            grams = Counter(tuple(cand[i:i + n]) for i in range(len(cand) - n + 1))
            ref_grams = Counter(tuple(ref[i:i + n]) for i in range(len(ref) - n + 1))
            matched += sum(min(k, ref_grams[g]) if clip else k * (g in ref_grams)
                           for g, k in grams.items())
            total += sum(grams.values())
        precisions.append(matched / total)
    mean = (np.exp(np.mean(np.log(precisions))) if geometric else np.mean(precisions))
    if corpus_penalty:
        c, r = sum(map(len, candidates)), sum(map(len, references))
        return float(min(1.0, np.exp(1 - r / c)) * mean)
    penalties = [min(1.0, np.exp(1 - len(r) / len(c))) for c, r in
                 zip(candidates, references, strict=True)]
    return float(np.mean(penalties) * mean)


def check_corpus_bleu(bleu_fn) -> CheckResult:
    """Exercise 5.3: bleu_fn(candidates, references) -> corpus BLEU-4 of tokenised candidates
    against one tokenised reference each: clipped n-gram precisions p_1..p_4 pooled over the
    corpus, their geometric mean, times the brevity penalty min(1, exp(1 - r/c)) with r and c
    summed over the corpus; checked against torchmetrics' BLEUScore."""
    from torchmetrics.text import BLEUScore

    answer, error = attempt(bleu_fn, [list(c) for c in BLEU_CANDIDATES],
                            [list(r) for r in BLEU_REFERENCES])
    if error:
        return failed(error)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return failed(f"return one number, got {answer!r}")
    truth = float(BLEUScore(n_gram=4)([" ".join(c) for c in BLEU_CANDIDATES],
                                      [[" ".join(r)] for r in BLEU_REFERENCES]))
    wrong_answers = {
        "clip each n-gram's count at its count in the reference: repeating a matching word "
        "must not raise the precision": _bleu(BLEU_CANDIDATES, BLEU_REFERENCES, clip=False),
        "compute the brevity penalty once for the corpus, with r and c summed over all "
        "sentences, not sentence by sentence":
            _bleu(BLEU_CANDIDATES, BLEU_REFERENCES, corpus_penalty=False),
        "take the geometric mean of p_1..p_4 (the exponential of the mean log), not the "
        "arithmetic mean": _bleu(BLEU_CANDIDATES, BLEU_REFERENCES, geometric=False),
        "multiply by the brevity penalty: these candidates are shorter than their references":
            _bleu(BLEU_CANDIDATES, BLEU_REFERENCES) / min(1.0, np.exp(
                1 - sum(map(len, BLEU_REFERENCES)) / sum(map(len, BLEU_CANDIDATES)))),
    }
    for hint, wrong in wrong_answers.items():
        if abs(value - wrong) < 1e-6:
            return failed(hint)
    if abs(value - truth) > 1e-6:
        return failed(f"expected {truth:.6f} (torchmetrics' BLEUScore), got {value:.6f}")
    return passed(f"BLEU-4 = {truth:.4f}, as torchmetrics computes it")
