"""The course's text-to-image model: prompt in, images out.

`pretrained_text_to_image()` trains the default generator (bilingual encoder, projection
discriminator, the best validation snapshot kept) on first use and caches its EMA weights;
`generate(prompts, n)` draws n images per prompt with any of the three text encoders, since they
all speak the same 18-number attribute language. The command line (`python -m tutorial_lib
generate`) and the chapter's panel both call `generate`.
"""

from dataclasses import replace

import numpy as np
import torch

from tutorial_lib.data.prompts import check_generate_args
from tutorial_lib.data.tensors import training_data_id
from tutorial_lib.model_cache import Trained, load_or_train, variant_file
from tutorial_lib.runtime import budget, load_state
from tutorial_lib.shapes_judge import attribute_scores, pretrained_shapes_judge
from tutorial_lib.t2i.nets import TextGenerator
from tutorial_lib.t2i.train import (
    T2IConfig,
    T2IRun,
    draw_per_condition,
    snapshot_scenes,
    train_t2i,
)
from tutorial_lib.text.encoders import text_encoder

DEFAULT_CONFIG = T2IConfig()
FAST_STEPS = 30
# The chapter compares the two discriminators over the first COMPARISON_STEPS steps: the
# matching-aware run is trained that long, and the default run's first steps are the
# projection run of that budget (see `budget_prefix`).
COMPARISON_STEPS = 400
GENERATOR_FILE = "t2i_generator.safetensors"
RECORD_PREFIX = "record/"  # the run's snapshots travel in the generator's file, under this prefix


def t2i_config(discriminator: str = "projection", steps: int | None = None) -> T2IConfig:
    """DEFAULT_CONFIG with the given discriminator and number of steps (its own by default),
    and a budget of seconds in fast mode (TUTORIAL_FAST=1)."""
    steps = DEFAULT_CONFIG.steps if steps is None else steps
    return replace(DEFAULT_CONFIG, discriminator=discriminator,
                   steps=budget(steps, FAST_STEPS),
                   snapshot_every=budget(DEFAULT_CONFIG.snapshot_every, 10))


def comparison_config(discriminator: str) -> T2IConfig:
    """The chapter's discriminator comparison: the default recipe for COMPARISON_STEPS steps."""
    return t2i_config(discriminator, COMPARISON_STEPS)


def _file(config: T2IConfig) -> str:
    """The cache file of the run; a run with another discriminator or budget gets its own."""
    name = GENERATOR_FILE
    if config.discriminator != "projection":
        name = name.replace("t2i_", f"t2i_{config.discriminator}_", 1)
    return variant_file(name, f"{config.steps}_steps" if config.steps != t2i_config().steps
                        else "")


def _cached(config: T2IConfig, progress: bool) -> Trained[TextGenerator]:
    """The default run with `config`: trained on first use, then rebuilt from one cache file
    holding the EMA generator's weights and the run's record (snapshots, validation scores;
    the loss curves are the file's history). The discriminator is not kept."""
    encoder = text_encoder("bilingual")
    name = _file(config)

    def train():
        run = train_t2i(encoder, config, progress=progress, validate=judge_validator())
        tensors = {**run.ema_generator.state_dict(), **_record_tensors(run)}
        return Trained(run.ema_generator, tensors, run.history)

    def restore(tensors):
        weights = {k: v for k, v in tensors.items() if not k.startswith(RECORD_PREFIX)}
        generator = TextGenerator(encoder.dim, config.latent_dim, config.g_width)
        return load_state(generator, weights, name)

    return load_or_train(name, config, training_data_id(encoder.name), train, restore)


def pretrained_text_to_image(progress: bool = True, discriminator: str = "projection"
                             ) -> TextGenerator:
    """The EMA generator of the default run (projection D unless asked otherwise), trained on
    first use (a progress bar shows it), then loaded from the cache."""
    return _cached(t2i_config(discriminator), progress).value


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
              "best_step": torch.tensor(run.best_step)}
    return {RECORD_PREFIX + k: v for k, v in record.items()}


def training_record(discriminator: str = "projection", steps: int | None = None) -> T2IRun:
    """The cached run's record (the default run unless asked otherwise): its EMA generator,
    snapshots, their captions, validation scores and loss curves (the discriminator is not
    kept). Trains the model if needed."""
    config = t2i_config(discriminator, steps)
    trained = _cached(config, progress=True)
    record = {k.removeprefix(RECORD_PREFIX): v for k, v in trained.tensors.items()
              if k.startswith(RECORD_PREFIX)}
    probe = snapshot_scenes(config)
    snapshots = dict(zip(record["snapshot_steps"].tolist(), record["snapshots"].numpy(),
                         strict=True))
    validation = dict(zip(snapshots, record["validation"].tolist(), strict=True))
    return T2IRun(config, trained.value, None, trained.history, snapshots, probe.captions,
                  probe.attrs, validation, int(record["best_step"]))


def budget_prefix(run: T2IRun, steps: int) -> dict[int, float]:
    """The validation scores of `run` at its snapshot steps before `steps`: exactly those of a
    run of the same config trained for `steps` steps, since nothing in a step depends on the
    number of steps (the learning rate is constant). A long run's record thus compares with a
    short run at the short run's budget."""
    return {step: score for step, score in run.validation.items()
            if step < steps and step % run.config.snapshot_every == 0}


def generate(prompts, n: int = 8, seed: int = 0, encoder: str = "bilingual") -> np.ndarray:
    """n images for each prompt, in prompt order: uint8 (len(prompts) * n, 32, 32, 3).

    The seed fixes n noise vectors, and every prompt is drawn with the same n: image i of each
    prompt shares its "style", and a prompt's images do not depend on the other prompts.
    """
    prompts = check_generate_args(prompts, n, seed)
    conditions = text_encoder(encoder)(prompts)  # first: an unknown encoder trains nothing
    return draw_per_condition(pretrained_text_to_image(), conditions, int(n), int(seed))
