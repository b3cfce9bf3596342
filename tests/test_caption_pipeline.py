"""The captioner behind `caption_images` and the CLI, in fast mode: cache, errors, output."""

import numpy as np
import pytest
import torch

from tutorial_lib.caption import pipeline
from tutorial_lib.caption.evaluate import generate_captions
from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError, CacheWarning
from tutorial_lib.model_cache import fingerprint, history_json
from tutorial_lib.runtime import config_key, save_tensors
from tutorial_lib.training import History

IMAGES = shapes.sample(5, seed=7, split="test").images


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("captioner")


@pytest.fixture
def fast(monkeypatch, module_cache):
    """Fast mode, and one model cache for the whole module: the model trains once."""
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    monkeypatch.setenv("TUTORIAL_CACHE", str(module_cache))


@pytest.mark.slow
def test_cache_round_trip_gives_identical_captions(fast, module_cache):
    path = module_cache / "fast" / pipeline.MODEL_FILE
    assert not path.exists()
    trained = pipeline.pretrained_captioner(progress=False)  # trains and saves
    assert path.exists() and trained.history.seconds > 0
    loaded = pipeline.pretrained_captioner(progress=False)  # loads
    assert loaded.history.values == trained.history.values
    for lang in ("en", "zh"):
        assert (generate_captions(trained.model, trained.tokenizer, IMAGES, lang)
                == generate_captions(loaded.model, loaded.tokenizer, IMAGES, lang)
                == pipeline.caption_images(IMAGES, lang))


def test_caption_images_one_caption_per_image_in_each_language(fast):
    english = pipeline.caption_images(IMAGES, "en")
    chinese = pipeline.caption_images(IMAGES, lang="zh", num_beams=3)
    assert len(english) == len(chinese) == len(IMAGES)
    assert all(text.isascii() for text in english)
    assert not any(text.isascii() for text in chinese)
    assert pipeline.caption_images(IMAGES[:1]) == english[:1]  # a caption ignores other images


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"images": IMAGES.tolist()}, "got a list"),
    ({"images": IMAGES.astype(np.float32)}, "dtype float32"),
    ({"images": IMAGES[..., 0]}, r"shape \(5, 32, 32\)"),
    ({"images": IMAGES[:, :16]}, r"shape \(5, 16, 32, 3\)"),
    ({"images": IMAGES[:0]}, "empty"),
    ({"images": IMAGES, "lang": "fr"}, "unknown lang 'fr'"),
    ({"images": IMAGES, "lang": "both"}, "unknown lang 'both'"),
    ({"images": IMAGES, "num_beams": 0}, "num_beams"),
    ({"images": IMAGES, "num_beams": 2.5}, "num_beams")])
def test_bad_input_gets_one_clear_error(kwargs, message):
    # checked before any model is trained or loaded: this test trains nothing
    with pytest.raises(BadInputError, match=message):
        pipeline.caption_images(**kwargs)


class Retraining(Exception):
    """Raised instead of training: these tests stop where the retraining would start."""


def refuse_to_train(*args, **kwargs):
    raise Retraining


def test_a_corrupt_cache_file_is_reported_and_retrained(monkeypatch, isolated_cache):
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    monkeypatch.setattr(pipeline, "train_captioner", refuse_to_train)
    path = isolated_cache / "fast" / pipeline.MODEL_FILE
    path.write_bytes(b"not a safetensors file")
    with pytest.warns(CacheWarning, match="corrupt"), pytest.raises(Retraining):
        pipeline.caption_images(IMAGES)


def test_a_cache_for_another_model_is_reported_and_retrained(monkeypatch, isolated_cache):
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    monkeypatch.setattr(pipeline, "train_captioner", refuse_to_train)
    tokenizer = pipeline.captioning_tokenizer()
    data = fingerprint(shapes.world_fingerprint(), sorted(tokenizer.get_vocab().items()))
    save_tensors(isolated_cache / "fast" / pipeline.MODEL_FILE, {"weight": torch.zeros(3)},
                 {"config": config_key(pipeline.CaptionConfig()), "data": data,
                  "history": history_json(History())})
    with pytest.warns(CacheWarning, match="does not hold the weights"), \
            pytest.raises(Retraining):
        pipeline.pretrained_captioner(progress=False)
