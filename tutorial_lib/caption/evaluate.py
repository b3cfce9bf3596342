"""Measuring the captioner: greedy vs beam search, BLEU-4 and attribute exact match.

Two numbers per language and split:

- **attribute exact match**: the fraction of images whose generated caption parses
  (`captions.parse_caption`) to exactly the image's five attributes. An unparseable caption
  counts as wrong. This is the number that matters here: the grammar makes "correct" exact.
- **BLEU-4** (Papineni et al., 2002; torchmetrics' `BLEUScore`): n-gram overlap with reference
  captions, the usual captioning metric when no parser exists. The references of an image are
  *all* captions the grammar allows for its attributes, so any correct phrasing scores 1.
  Chinese has no spaces, so Chinese captions are compared character by character.

Splits: "test" (attribute combinations seen in training, new images) and "heldout" (the four
colour-shape pairs no training image shows: reported, not targeted).
"""

import time

import numpy as np
import torch
from torchmetrics.text import BLEUScore

from tutorial_lib.caption.model import (
    MAX_CAPTION_TOKENS,
    CaptionConfig,
    check_images,
    lang_token_id,
    pixel_values,
)
from tutorial_lib.data import shapes
from tutorial_lib.data.captions import all_captions, parse_caption
from tutorial_lib.errors import BadInputError

EVAL_SEED = 321  # the reported images; training never draws from this seed's stream
ATTRIBUTE_KEYS = tuple(key for key, _ in shapes.ATTRIBUTES)


@torch.no_grad()
def generate_captions(model, tokenizer, images, lang: str = "en", num_beams: int = 1,
                      batch_size: int = 250) -> list[str]:
    """One caption per image, by greedy search (num_beams=1) or beam search.

    `generate` starts every caption from the language token and stops at `<eos>`; with beams it
    keeps the `num_beams` most probable prefixes at every step instead of only the best one.
    """
    images = check_images(images)
    start = lang_token_id(tokenizer, lang)
    texts = []
    for i in range(0, len(images), batch_size):
        chunk = images[i:i + batch_size]
        # The start token goes in as decoder_start_token_id: passed as decoder_input_ids,
        # generate would put the configured start token (<en>) in front of it. The all-ones
        # mask grows with the caption; without one, GPT-2 warns when finished rows are padded.
        ids = model.generate(pixel_values=pixel_values(chunk), decoder_start_token_id=start,
                             decoder_attention_mask=torch.ones(len(chunk), 1, dtype=torch.long),
                             max_new_tokens=MAX_CAPTION_TOKENS, num_beams=num_beams,
                             do_sample=False)
        texts += tokenizer.batch_decode(ids, skip_special_tokens=True)
    return texts


def attribute_exact_match(captions: list[str], attrs: list[dict]) -> float:
    """Fraction of captions that parse to exactly their image's attributes (None = wrong)."""
    if len(captions) != len(attrs) or not captions:
        raise BadInputError(f"need as many captions as attribute dicts (and at least one), got "
                            f"{len(captions)} and {len(attrs)}")
    pairs = zip(captions, attrs, strict=True)
    return float(np.mean([parse_caption(text) == truth for text, truth in pairs]))


def attribute_errors(captions: list[str], attrs: list[dict]) -> dict[str, float]:
    """Per attribute, the fraction of captions that get it wrong; 'unparseable' is the
    fraction outside the grammar (those count as wrong for every attribute)."""
    parsed = [parse_caption(text) for text in captions]
    errors = {key: float(np.mean([p is None or p[key] != truth[key]
                                  for p, truth in zip(parsed, attrs, strict=True)]))
              for key in ATTRIBUTE_KEYS}
    errors["unparseable"] = float(np.mean([p is None for p in parsed]))
    return errors


def bleu_words(text: str, lang: str) -> str:
    """The text as BLEU's space-separated words: Chinese is split into characters."""
    return " ".join(text.replace(" ", "")) if lang == "zh" else text


def bleu4(captions: list[str], references: list[list[str]], lang: str) -> float:
    """Corpus BLEU-4 of captions against their references (several per caption allowed)."""
    metric = BLEUScore(n_gram=4)
    words = [bleu_words(text, lang) for text in captions]
    refs = [[bleu_words(text, lang) for text in group] for group in references]
    return float(metric(words, refs))


def evaluate_split(model, tokenizer, split: str = "test", lang: str = "en", n: int = 500,
                   num_beams: int = 1) -> dict:
    """Caption n fresh images of a split; exact match, BLEU-4, per-attribute errors, seconds,
    and the images, attributes and captions themselves (for pictures)."""
    sample = shapes.sample(n, seed=EVAL_SEED, split=split)
    start = time.perf_counter()
    captions = generate_captions(model, tokenizer, sample.images, lang, num_beams)
    seconds = time.perf_counter() - start
    return {"exact_match": attribute_exact_match(captions, sample.attrs),
            "bleu4": bleu4(captions, [all_captions(a, lang) for a in sample.attrs], lang),
            "errors": attribute_errors(captions, sample.attrs), "seconds": seconds,
            "images": sample.images, "attrs": sample.attrs, "captions": captions}


@torch.no_grad()
def cross_attention_maps(model, tokenizer, image: np.ndarray, caption: str, lang: str = "en"):
    """(tokens, maps): for each token the decoder wrote (caption tokens, then `<eos>`), where
    it looked in the image when writing it: cross-attention weights averaged over layers and
    heads, as a (rows, cols) grid over the patches. ViT's [CLS] vector is left out, so a row of
    `maps` sums to at most 1 (the rest went to [CLS])."""
    image = check_images(np.asarray(image)[None] if getattr(image, "ndim", 0) == 3 else image)
    ids = tokenizer(caption, add_special_tokens=False)["input_ids"]
    decoder_ids = torch.tensor([[lang_token_id(tokenizer, lang), *ids]])
    out = model(pixel_values=pixel_values(image[:1]), decoder_input_ids=decoder_ids,
                output_attentions=True)
    # position i of the decoder input predicts token i + 1: its attention is what it looked at
    weights = torch.stack(out.cross_attentions).mean(dim=(0, 2))[0, :, 1:]  # (tokens, patches)
    side = int(weights.shape[-1] ** 0.5)
    tokens = [tokenizer.decode([t]) for t in ids] + ["<eos>"]
    return tokens, weights.reshape(len(tokens), side, side).numpy()


def bench_captioning() -> dict[str, float]:
    """Chapter 5: train the default captioner from scratch, then score it on 1,000 test-split
    images per language (greedy) and on the held-out colour-shape pairs."""
    from tutorial_lib.caption.train import train_captioner

    model, tokenizer, history = train_captioner(CaptionConfig(), progress=False)
    results = {"caption_train_seconds": history.seconds}
    for lang in ("en", "zh"):
        suffix = "" if lang == "en" else "_zh"
        test = evaluate_split(model, tokenizer, "test", lang, n=1000)
        heldout = evaluate_split(model, tokenizer, "heldout", lang, n=500)
        results[f"caption_attribute_exact_match{suffix}"] = test["exact_match"]
        results[f"caption_bleu4{suffix}"] = test["bleu4"]
        results[f"caption_heldout_exact_match{suffix}"] = heldout["exact_match"]
    beam = evaluate_split(model, tokenizer, "test", "en", n=1000, num_beams=4)
    results["caption_beam4_exact_match"] = beam["exact_match"]
    return results
