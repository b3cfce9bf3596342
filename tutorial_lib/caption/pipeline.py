"""The course's captioner: images in, captions out.

`pretrained_captioner()` trains the default model on first use (a progress bar shows it) and
caches its weights, with the loss curve of the run, in one safetensors file; afterwards it
loads them. `caption_images(images, lang, num_beams)` is the public entry point: the command
line (`python -m tutorial_lib caption`) and later chapters call it.
"""

import json
import numbers
from dataclasses import dataclass

import numpy as np

from tutorial_lib.caption.evaluate import generate_captions
from tutorial_lib.caption.model import (
    LANG_TOKENS,
    CaptionConfig,
    build_captioner,
    captioning_tokenizer,
    check_images,
)
from tutorial_lib.caption.train import train_captioner
from tutorial_lib.errors import BadInputError, CacheError
from tutorial_lib.runtime import cache_dir, cached_tensors, config_key, load_state, save_tensors
from tutorial_lib.training import History

MODEL_FILE = "captioner.safetensors"
MAX_BEAMS = 16  # more beams cost time and change nothing on this grammar


@dataclass
class Captioner:
    """The trained model, its tokenizer and the loss curve of the run that trained it."""

    model: object  # a transformers VisionEncoderDecoderModel, in eval mode
    tokenizer: object
    history: History


def pretrained_captioner(progress: bool = True) -> Captioner:
    """The default captioner, trained at the default budget (seconds in fast mode) on first
    use, then loaded from the cache. A corrupt cache file raises CacheError."""
    config = CaptionConfig()
    cached = cached_tensors(MODEL_FILE, config)
    if cached is None:
        model, tokenizer, history = train_captioner(config, progress=progress)
        record = {"steps": history.steps, "values": history.values, "seconds": history.seconds}
        save_tensors(cache_dir() / MODEL_FILE, model.state_dict(),
                     {"config": config_key(config), "history": json.dumps(record)})
        return Captioner(model, tokenizer, history)
    tensors, metadata = cached
    tokenizer = captioning_tokenizer()
    model = load_state(build_captioner(config, tokenizer), tensors, MODEL_FILE)
    try:
        record = json.loads(metadata["history"])
        history = History(record["steps"], record["values"], record["seconds"])
    except (KeyError, TypeError, ValueError):
        raise CacheError(f"cache file {cache_dir() / MODEL_FILE} holds no training history; "
                         "delete it and the model will be rebuilt") from None
    return Captioner(model, tokenizer, history)


def caption_images(images, lang: str = "en", num_beams: int = 1) -> list[str]:
    """One caption per image of a uint8 array (N, 32, 32, 3), in English ('en') or Chinese
    ('zh'), by greedy search (num_beams=1) or beam search with num_beams beams.

    Bad input (not a numpy array, wrong dtype or shape, no images, an unknown language, a
    bad number of beams) raises one BadInputError that says what was expected.
    """
    images = check_images(images)
    if lang not in LANG_TOKENS:
        raise BadInputError(f"unknown lang {lang!r}; expected one of {', '.join(LANG_TOKENS)}")
    if (isinstance(num_beams, bool) or not isinstance(num_beams, numbers.Integral)
            or not 1 <= num_beams <= MAX_BEAMS):
        raise BadInputError(f"num_beams must be a whole number from 1 to {MAX_BEAMS}, got "
                            f"{num_beams!r}")
    captioner = pretrained_captioner(progress=False)
    return generate_captions(captioner.model, captioner.tokenizer, np.asarray(images), lang,
                             int(num_beams))
