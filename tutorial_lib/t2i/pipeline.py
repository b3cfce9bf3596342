"""The course's text-to-image model: prompt in, images out.

`pretrained_text_to_image()` trains the default generator (bilingual encoder, projection
discriminator, the best validation snapshot kept) on first use and caches its EMA weights;
`generate(prompts, n)` draws n images per prompt with any of the three text encoders, since they
all speak the same 18-number attribute language. The command line (`python -m tutorial_lib
generate`) and the chapter's panel both call `generate`.
"""

import functools
import numbers
from dataclasses import replace

import numpy as np
import torch

from tutorial_lib.errors import BadInputError
from tutorial_lib.runtime import (
    budget,
    cache_dir,
    cached_tensors,
    config_key,
    load_state,
    save_tensors,
)
from tutorial_lib.t2i.judge import attribute_scores, pretrained_shapes_judge
from tutorial_lib.t2i.nets import TextGenerator
from tutorial_lib.t2i.text_encoders import ENCODERS, TextEncoder, check_prompts
from tutorial_lib.t2i.train import (
    T2IConfig,
    T2IRun,
    draw_per_condition,
    snapshot_scenes,
    train_t2i,
)
from tutorial_lib.training import History

DEFAULT_CONFIG = T2IConfig()
FAST_STEPS = 30
GENERATOR_FILE = "t2i_generator.safetensors"
RECORD_FILE = "t2i_record.safetensors"  # snapshots and loss curves of the cached run
MAX_IMAGES = 10_000  # per call: 10,000 images are 30 MB; more is a typo, not a request


def t2i_config(discriminator: str = "projection") -> T2IConfig:
    """DEFAULT_CONFIG with the given discriminator, and a budget of seconds in fast mode
    (TUTORIAL_FAST=1)."""
    return replace(DEFAULT_CONFIG, discriminator=discriminator,
                   steps=budget(DEFAULT_CONFIG.steps, FAST_STEPS),
                   snapshot_every=budget(DEFAULT_CONFIG.snapshot_every, 10))


@functools.cache
def text_encoder(name: str = "bilingual") -> TextEncoder:
    """One TextEncoder per name and process: building one loads MiniLM and fits its reader."""
    if name not in ENCODERS:
        raise BadInputError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")
    return TextEncoder(name, progress=False)


def _file(name: str, discriminator: str) -> str:
    return name if discriminator == "projection" else name.replace("t2i_", f"t2i_{discriminator}_")


def pretrained_text_to_image(progress: bool = True, discriminator: str = "projection"
                             ) -> TextGenerator:
    """The EMA generator of the default run (projection D unless asked otherwise), trained on
    first use (a progress bar shows it), then loaded from the cache."""
    config = t2i_config(discriminator)
    encoder = text_encoder("bilingual")
    generator = TextGenerator(encoder.dim, config.latent_dim, config.g_width)
    name = _file(GENERATOR_FILE, discriminator)
    cached = cached_tensors(name, config)
    if cached is not None:
        return load_state(generator, cached[0], name)
    return _train_and_cache(config, progress).ema_generator


def _train_and_cache(config: T2IConfig, progress: bool) -> T2IRun:
    """Train a run and cache its record, then its generator (the generator file is written
    last, so a valid generator file always has the record of its own run beside it)."""
    run = train_t2i(text_encoder("bilingual"), config, progress=progress,
                    validate=judge_validator())
    metadata = {"config": config_key(config), "train_seconds": f"{run.history.seconds:.1f}"}
    save_tensors(cache_dir() / _file(RECORD_FILE, config.discriminator), _record_tensors(run),
                 metadata)
    save_tensors(cache_dir() / _file(GENERATOR_FILE, config.discriminator),
                 run.ema_generator.state_dict(), metadata)
    return run


def judge_validator():
    """validate(images, attrs) -> the shapes judge's all-correct rate, for train_t2i's model
    selection on the validation captions."""
    judge = pretrained_shapes_judge(progress=False)
    return lambda images, attrs: attribute_scores(judge, images, attrs)["all_correct"]


def _record_tensors(run: T2IRun) -> dict[str, torch.Tensor]:
    steps = sorted(run.snapshots)
    record = {"snapshot_steps": torch.tensor(steps),
              "snapshots": torch.from_numpy(np.stack([run.snapshots[s] for s in steps])),
              "validation": torch.tensor([run.validation[s] for s in steps]),
              "best_step": torch.tensor(run.best_step),
              "history_steps": torch.tensor(run.history.steps)}
    record.update({f"history/{k}": torch.tensor(v) for k, v in run.history.values.items()})
    return record


def training_record(discriminator: str = "projection") -> T2IRun:
    """The cached default run's record: snapshots, their captions and loss curves (the
    networks are not kept: use pretrained_text_to_image). Trains the model if needed."""
    config = t2i_config(discriminator)
    cached = cached_tensors(_file(RECORD_FILE, discriminator), config)
    if cached is None or cached_tensors(_file(GENERATOR_FILE, discriminator), config) is None:
        _train_and_cache(config, progress=True)
        cached = cached_tensors(_file(RECORD_FILE, discriminator), config)
    tensors, metadata = cached
    history = History(tensors["history_steps"].tolist(),
                      {k.split("/", 1)[1]: v.tolist() for k, v in tensors.items()
                       if k.startswith("history/")},
                      float(metadata["train_seconds"]))
    probe = snapshot_scenes(config)
    snapshots = dict(zip(tensors["snapshot_steps"].tolist(), tensors["snapshots"].numpy(),
                         strict=True))
    validation = dict(zip(snapshots, tensors["validation"].tolist(), strict=True))
    return T2IRun(config, None, None, history, snapshots, probe.captions, probe.attrs,
                  validation, int(tensors["best_step"]))


def check_generate_args(prompts, n, seed) -> list[str]:
    """The prompts as a list, or one BadInputError for bad prompts, n, seed or too many
    images; shared by every model's `generate`, so they all refuse the same things."""
    prompts = check_prompts(prompts)
    for name, value, low in (("n", n, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise BadInputError(f"{name} must be a whole number >= {low}, got {value!r}")
    if len(prompts) * n > MAX_IMAGES:
        raise BadInputError(f"{len(prompts)} prompts x n={n} is more than {MAX_IMAGES} images")
    return prompts


def generate(prompts, n: int = 8, seed: int = 0, encoder: str = "bilingual") -> np.ndarray:
    """n images for each prompt, in prompt order: uint8 (len(prompts) * n, 32, 32, 3).

    The seed fixes n noise vectors, and every prompt is drawn with the same n: image i of each
    prompt shares its "style", and a prompt's images do not depend on the other prompts.
    """
    prompts = check_generate_args(prompts, n, seed)
    conditions = text_encoder(encoder)(prompts)  # first: an unknown encoder trains nothing
    return draw_per_condition(pretrained_text_to_image(), conditions, int(n), int(seed))
