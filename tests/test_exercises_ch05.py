"""Chapter 5 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

import math
from collections import Counter

from tutorial_lib.data import shapes
from tutorial_lib.exercises.ch05_captioning import (
    check_attribute_exact_match,
    check_corpus_bleu,
    check_patch_heatmap,
)


def pairs(captions, attrs):
    return zip(captions, attrs, strict=True)


def exact_match(captions, attrs):
    hits = [shapes.parse_caption(text) == truth for text, truth in pairs(captions, attrs)]
    return sum(hits) / len(hits)


def test_exact_match_checker():
    assert check_attribute_exact_match(exact_match)
    wrong = {
        "compare meanings, not strings": lambda c, a: sum(
            text == shapes.caption(truth) for text, truth in pairs(c, a)) / len(c),
        "count it as a miss": lambda c, a: sum(
            shapes.parse_caption(text) in (None, truth) for text, truth in pairs(c, a)) / len(c),
        "not a count": lambda c, a: sum(shapes.parse_caption(t) == x for t, x in pairs(c, a)),
        "expected": lambda c, a: 1.0,
        "raised": lambda c, a: shapes.parse_caption(c),
        "one number": lambda c, a: [shapes.parse_caption(t) == x for t, x in pairs(c, a)],
    }
    for hint, answer in wrong.items():
        result = check_attribute_exact_match(answer)
        assert not result and hint in result.message, (hint, result)


def heatmap(weights, token):
    return weights.mean(dim=0)[token, 1:].reshape(8, 8)


def test_patch_heatmap_checker():
    assert check_patch_heatmap(heatmap)
    wrong = {
        "[CLS]": lambda w, t: w.mean(dim=0)[t, :64].reshape(8, 8),
        "transposed": lambda w, t: w.mean(dim=0)[t, 1:].reshape(8, 8).T,
        "all the heads": lambda w, t: w[0, t, 1:].reshape(8, 8),
        "one decoder position": lambda w, t: w.mean(dim=(0, 1))[1:].reshape(8, 8),
        "(8, 8) grid": lambda w, t: w.mean(dim=0)[t, 1:],
        "not the expected": lambda w, t: w.mean(dim=0)[t + 1, 1:].reshape(8, 8),
        "raised": lambda w, t: w.reshape(8, 8),
    }
    for hint, answer in wrong.items():
        result = check_patch_heatmap(answer)
        assert not result and hint in result.message, (hint, result)


def ngrams(words, n):
    return Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def corpus_bleu(candidates, references, clip=True):
    log_precisions = []
    for n in range(1, 5):
        matched = total = 0
        for cand, ref in zip(candidates, references, strict=True):
            ref_grams = ngrams(ref, n)
            matched += sum(min(k, ref_grams[g]) if clip else k * (g in ref_grams)
                           for g, k in ngrams(cand, n).items())
            total += max(0, len(cand) - n + 1)
        log_precisions.append(math.log(matched / total))
    c, r = sum(map(len, candidates)), sum(map(len, references))
    return min(1.0, math.exp(1 - r / c)) * math.exp(sum(log_precisions) / 4)


def test_corpus_bleu_checker():
    assert check_corpus_bleu(corpus_bleu)

    def sentence_penalties(cands, refs):
        no_penalty = corpus_bleu(cands, refs) / math.exp(1 - sum(map(len, refs))
                                                         / sum(map(len, cands)))
        penalties = [min(1.0, math.exp(1 - len(r) / len(c)))
                     for c, r in zip(cands, refs, strict=True)]
        return no_penalty * sum(penalties) / len(penalties)

    wrong = {
        "clip each n-gram": lambda c, r: corpus_bleu(c, r, clip=False),
        "once for the corpus": sentence_penalties,
        "multiply by the brevity penalty": lambda c, r: corpus_bleu(c, r) / math.exp(
            1 - sum(map(len, r)) / sum(map(len, c))),
        "expected": lambda c, r: corpus_bleu(c, r) + 0.01,
        "one number": lambda c, r: "high",
        "raised": lambda c, r: 1 / 0,
    }
    for hint, answer in wrong.items():
        result = check_corpus_bleu(answer)
        assert not result and hint in result.message, (hint, result)
