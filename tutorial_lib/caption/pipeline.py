"""The course's captioner: images in, captions out.

`pretrained_captioner()` trains the default model on first use (a progress bar shows it) and
caches its weights, with the loss curve of the run, in one safetensors file; afterwards it
loads them. `caption_images(images, lang, num_beams)` is the public entry point: the command
line (`python -m tutorial_lib caption`) and later chapters call it.
"""

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
from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError
from tutorial_lib.model_cache import Trained, fingerprint, load_or_train
from tutorial_lib.runtime import load_state
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
    use, then loaded from the cache."""
    config = CaptionConfig()
    tokenizer = captioning_tokenizer()

    def train():
        model, _, history = train_captioner(config, progress=progress)
        return Trained(model, model.state_dict(), history)

    def restore(tensors):
        return load_state(build_captioner(config, tokenizer), tensors, MODEL_FILE)

    # the captions of the shapes world, as this tokenizer reads them
    data = fingerprint(shapes.world_fingerprint(), sorted(tokenizer.get_vocab().items()))
    trained = load_or_train(MODEL_FILE, config, data, train, restore)
    return Captioner(trained.value, tokenizer, trained.history)


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
