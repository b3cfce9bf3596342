"""The chapter's trained dual encoder behind search, tagging and zero-shot classification.

`pretrained_dual_encoder()` trains the default model on first use and caches its weights and
loss curves in one safetensors file; `search(query, images, k)` ranks any uint8 gallery for an
English or Chinese query. The command line (`python -m tutorial_lib search`) and the chapter's
search panel both call `search`.
"""

import functools
import numbers
import time
from dataclasses import replace

import numpy as np

from tutorial_lib.data import shapes
from tutorial_lib.data.prompts import check_prompts
from tutorial_lib.errors import BadInputError
from tutorial_lib.model_cache import Trained, load_or_train
from tutorial_lib.retrieval import evaluate
from tutorial_lib.retrieval.model import DualEncoder, DualEncoderConfig
from tutorial_lib.retrieval.train import CaptionBank, RetrievalRun, train_dual_encoder
from tutorial_lib.runtime import budget, load_state

MODEL_FILE = "dual_encoder.safetensors"
FAST_STEPS = 40


def dual_encoder_config() -> DualEncoderConfig:
    """The default config, with a budget of seconds in fast mode (TUTORIAL_FAST=1)."""
    return replace(DualEncoderConfig(), steps=budget(DualEncoderConfig.steps, FAST_STEPS))


@functools.cache
def caption_bank() -> CaptionBank:
    """The sentence embeddings of every caption, computed once per process."""
    return CaptionBank()


def pretrained_dual_encoder(progress: bool = True) -> DualEncoder:
    """The default dual encoder: trained on first use (a progress bar shows it), then loaded
    from the cache."""
    return record(progress).model


def record(progress: bool = True) -> RetrievalRun:
    """The cached default run: the model in eval mode and its loss and temperature curves."""
    config = dual_encoder_config()

    def train():
        run = train_dual_encoder(caption_bank(), config, progress)
        return Trained(run.model, run.model.state_dict(), run.history)

    def restore(tensors):
        return load_state(DualEncoder(config), tensors, MODEL_FILE)

    data = f"{shapes.world_fingerprint()} encoder=bilingual"  # the bank's sentence embeddings
    trained = load_or_train(MODEL_FILE, config, data, train, restore)
    return RetrievalRun(trained.value, trained.history)


def check_gallery(images) -> np.ndarray:
    """A non-empty uint8 array (N, 32, 32, 3); one clear BadInputError otherwise."""
    if not isinstance(images, np.ndarray):
        raise BadInputError(f"images must be a numpy array, got {type(images).__name__}")
    if images.dtype != np.uint8:
        raise BadInputError(f"images must be uint8 (0-255), got dtype {images.dtype}; "
                            "convert with (x * 255).round().astype(np.uint8)")
    size = shapes.IMAGE_SIZE
    if images.ndim != 4 or images.shape[1:] != (size, size, 3):
        raise BadInputError(f"images must have shape (N, {size}, {size}, 3), got "
                            f"{images.shape}")
    if len(images) == 0:
        raise BadInputError("the gallery is empty: give at least one image")
    return images


def rank(query: str, images: np.ndarray, k: int) -> tuple[list[int], list[float]]:
    """The k gallery indices most similar to the query, best first, and their cosine
    similarities. Checks every argument (see `search`)."""
    images = check_gallery(images)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise BadInputError(f"k must be a whole number >= 1, got {k!r}")
    if k > len(images):
        raise BadInputError(f"k={k} is more than the {len(images)} images in the gallery")
    if not isinstance(query, str):
        raise BadInputError(f"the query must be a str, got {type(query).__name__}")
    if not query.strip():
        raise BadInputError("the query is empty: describe a shape, e.g. 'a small red circle "
                            "at the top left'")
    query = check_prompts([query])[0]
    model = pretrained_dual_encoder(progress=False)
    similarity = (evaluate.text_features(model, caption_bank(), [query])
                  @ evaluate.image_features(model, images).T)[0]
    top = similarity.topk(int(k))
    return top.indices.tolist(), top.values.tolist()


def search(query: str, images: np.ndarray, k: int) -> list[int]:
    """Indices of the k gallery images that best match an English or Chinese query, best first.

    images: uint8 (N, 32, 32, 3). One BadInputError each for an empty query, images that are
    not a numpy array, of another dtype or shape, an empty gallery, k < 1 and k > N.
    """
    return rank(query, images, k)[0]


def zero_shot(images: np.ndarray, attribute: str) -> list:
    """The zero-shot class of each image for one attribute ('color', 'shape', 'size' or
    'position'; a position is a (row, col) pair), from prompt ensembles alone."""
    images = check_gallery(images)
    if attribute not in evaluate.ZERO_SHOT:
        raise BadInputError(f"unknown attribute {attribute!r}; choose one of "
                            f"{', '.join(evaluate.ZERO_SHOT)}")
    probabilities = evaluate.class_probabilities(pretrained_dual_encoder(progress=False),
                                                 caption_bank(), images, attribute)
    return [evaluate.ZERO_SHOT[attribute][i] for i in probabilities.argmax(1).tolist()]


def tag_images(images: np.ndarray, threshold: float = 0.5) -> list[set[str]]:
    """The tags of each image, e.g. {"red", "circle", "small", "top", "left"}: the words whose
    zero-shot probability reaches `threshold` (in (0, 1])."""
    images = check_gallery(images)
    if not 0 < threshold <= 1:
        raise BadInputError(f"threshold must be in (0, 1], got {threshold!r}")
    tags = evaluate.tag_matrix(pretrained_dual_encoder(progress=False), caption_bank(), images,
                               threshold)
    return [{evaluate.TAGS[j] for j in row.nonzero().flatten().tolist()} for row in tags]


def bench_retrieval() -> dict[str, float]:
    """Chapter 7: the default dual encoder (trained if not cached) on the 1,000-image test
    gallery: Recall@1/5/10 of English, Chinese, held-out-pair and paraphrase captions and of
    image queries; zero-shot accuracy per attribute and their mean; tag precision and recall;
    the training seconds recorded with the cached model."""
    start = time.perf_counter()
    model, bank = pretrained_dual_encoder(progress=False), caption_bank()
    results = {"retrieval_train_seconds": record().history.seconds}
    for name, scores in (
            ("text_to_image", evaluate.text_to_image(model, bank)),
            ("chinese_text_to_image", evaluate.text_to_image(model, bank, lang="zh")),
            ("heldout_text_to_image", evaluate.text_to_image(model, bank, split="heldout")),
            ("paraphrase_text_to_image", evaluate.paraphrase_to_image(model, bank)),
            ("image_to_image", evaluate.image_to_image(model))):
        results.update({f"retrieval_{name}_r{k}": value for k, value in scores.items()})
    accuracy = evaluate.zero_shot_accuracy(model, bank)
    results.update({f"zero_shot_{attribute}_accuracy": v for attribute, v in accuracy.items()})
    results["zero_shot_attribute_accuracy"] = float(np.mean(list(accuracy.values())))
    results.update({f"tag_{name}": v for name, v in evaluate.tag_scores(model, bank).items()})
    results["retrieval_bench_seconds"] = time.perf_counter() - start
    return results
