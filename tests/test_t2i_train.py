"""A short text-to-image run learns the attributes far above chance, reproducibly."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError
from tutorial_lib.shapes_judge import attribute_scores
from tutorial_lib.t2i.train import (
    T2IConfig,
    draw_per_condition,
    generate_from_conditions,
    train_t2i,
)
from tutorial_lib.text.encoders import TextEncoder

SHORT = T2IConfig(steps=250, g_width=16, train_images=4_000)


@pytest.fixture(scope="module")
def trained(shapes_judge):
    """(encoder, run, judge): the one-hot baseline after a short run, and the judge."""
    encoder = TextEncoder("onehot")
    return encoder, train_t2i(encoder, SHORT, progress=False), shapes_judge


def test_short_run_beats_chance_by_a_wide_margin(trained):
    encoder, run, judge = trained
    sample = shapes.sample(300, seed=9, split="test")
    images = generate_from_conditions(run.ema_generator, encoder(sample.captions), seed=1)
    assert images.dtype == np.uint8 and images.shape == (300, 32, 32, 3)
    scores = attribute_scores(judge, images, sample.attrs)
    # chance: colour 1/6, size 1/2, position 1/9, all four 1/432
    assert scores["color"] > 0.6 and scores["size"] > 0.8 and scores["position"] > 0.6
    assert scores["all_correct"] > 20 / 432
    assert np.isfinite(run.history.last("d_loss", window=10))


def test_generation_is_deterministic_for_a_seed(trained):
    encoder, run, _ = trained
    conditions = encoder(["a big red circle in the center", "a small blue square at the top left"])
    first = generate_from_conditions(run.ema_generator, conditions, seed=3)
    np.testing.assert_array_equal(first, generate_from_conditions(run.ema_generator, conditions,
                                                                  seed=3))
    assert not np.array_equal(first, generate_from_conditions(run.ema_generator, conditions,
                                                              seed=4))


def test_matching_discriminator_trains(trained):
    encoder, _, _ = trained
    config = T2IConfig(discriminator="matching", steps=3, g_width=8, train_images=200)
    run = train_t2i(encoder, config, progress=False)
    assert len(run.history.steps) > 0


def test_unknown_discriminator_and_negative_mode_seeking(trained):
    with pytest.raises(BadInputError, match="unknown discriminator"):
        train_t2i(trained[0], T2IConfig(discriminator="patch"), progress=False)
    with pytest.raises(BadInputError, match="mode_seeking must be >= 0"):
        train_t2i(trained[0], T2IConfig(mode_seeking=-1), progress=False)
    assert torch.is_tensor(trained[0](["a big red circle in the center"]))


def test_validation_keeps_the_best_snapshot(trained):
    encoder = trained[0]
    scores = iter([0.2, 0.9, 0.5, 0.1])
    config = T2IConfig(steps=6, snapshot_every=2, snapshot_size=8, g_width=8, train_images=200)
    run = train_t2i(encoder, config, progress=False, validate=lambda images, attrs: next(scores))
    assert sorted(run.validation) == sorted(run.snapshots) == [0, 2, 4, 5]
    assert run.best_step == 2 and run.validation[2] == 0.9
    plain = train_t2i(encoder, config, progress=False)
    assert plain.validation == {} and plain.best_step == config.steps - 1
    # same seed, same training: the selected weights are those of step 2, not the last ones
    assert not all(torch.equal(a, b) for a, b in zip(run.ema_generator.state_dict().values(),
                                                     plain.ema_generator.state_dict().values(),
                                                     strict=True))


def prompt_spread(run, encoder) -> float:
    """Mean per-pixel standard deviation among 16 noise vectors' images of each of 8 captions."""
    conditions = encoder(shapes.sample(8, seed=5, split="test").captions)
    images = draw_per_condition(run.ema_generator, conditions, 16).astype(np.float32)
    return float(images.reshape(8, 16, -1).std(axis=1).mean())


def test_mode_seeking_makes_one_captions_images_differ(trained):
    encoder = trained[0]
    config = T2IConfig(steps=100, g_width=8, d_width=16, batch_size=32, train_images=2_000,
                       snapshot_every=1_000, snapshot_size=8)
    plain = train_t2i(encoder, replace(config, mode_seeking=0), progress=False)
    # a strong weight, so that 100 small steps show it (measured: about twice the spread)
    seeking = train_t2i(encoder, replace(config, mode_seeking=1.0), progress=False)
    assert prompt_spread(seeking, encoder) > 1.5 * prompt_spread(plain, encoder)


def test_a_long_runs_first_steps_are_a_short_run():
    """Chapter 4 compares a short matching-aware run with the default run's first steps: a
    step does not depend on how many follow, so those are the short projection run."""
    from tutorial_lib.t2i.pipeline import budget_prefix

    encoder = TextEncoder("onehot")
    config = T2IConfig(steps=12, g_width=8, train_images=200, snapshot_every=4, snapshot_size=8)

    def brightness(images, attrs):
        return float(images.mean())

    long = train_t2i(encoder, config, progress=False, validate=brightness)
    short = train_t2i(encoder, replace(config, steps=6), progress=False, validate=brightness)
    assert sorted(short.validation) == [0, 4, 5] and sorted(long.validation) == [0, 4, 8, 11]
    assert budget_prefix(long, 6) == budget_prefix(short, 6) == {
        step: short.validation[step] for step in (0, 4)}
    assert long.validation[4] != long.validation[0]  # training moved the generator
