"""The default text-to-image model behind the CLI and the panel, in fast mode (seconds)."""

import numpy as np
import pytest

from tutorial_lib.errors import BadInputError
from tutorial_lib.t2i import pipeline


@pytest.fixture
def fast(fast_models):
    """The run's shared fast-mode models: the generator is trained once for all these tests."""


def test_generate_shapes_order_and_determinism(fast):
    prompts = ["a small red circle at the top left", "右下角有一个大的蓝色正方形"]
    images = pipeline.generate(prompts, n=3, seed=2)
    assert images.dtype == np.uint8 and images.shape == (6, 32, 32, 3)
    np.testing.assert_array_equal(images, pipeline.generate(prompts, n=3, seed=2))
    # prompt order: each prompt's images are the ones it gets on its own
    np.testing.assert_array_equal(images[3:], pipeline.generate(prompts[1:], n=3, seed=2))
    assert not np.array_equal(images, pipeline.generate(prompts, n=3, seed=3))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"prompts": ""}, "empty"), ({"prompts": "x" * 10_000}, "characters"),
    ({"prompts": "🙂🙂"}, "no words"), ({"prompts": "a red circle", "n": 0}, "n must"),
    ({"prompts": "a red circle", "seed": -1}, "seed must"),
    ({"prompts": "a red circle", "encoder": "clip"}, "unknown encoder"),
    ({"prompts": "a red circle", "n": 20_000}, "more than")])
def test_bad_input_gets_one_clear_error(kwargs, message):
    with pytest.raises(BadInputError, match=message):
        pipeline.generate(**kwargs)


def test_onehot_refuses_free_text_with_a_hint(fast):
    with pytest.raises(BadInputError, match="bilingual"):
        pipeline.generate("a crimson rhombus", n=1, encoder="onehot")


def test_training_record_keeps_snapshots_and_losses(fast):
    record = pipeline.training_record()
    config = pipeline.t2i_config()
    steps = sorted(record.snapshots)
    assert steps[0] == 0 and steps[-1] == config.steps - 1
    assert record.snapshots[0].shape == (config.snapshot_size, 32, 32, 3)
    assert len(record.snapshot_captions) == len(record.snapshot_attrs) == config.snapshot_size
    assert len(record.history.values["d_loss"]) == len(record.history.steps) > 0
    assert record.history.seconds > 0
    assert set(record.validation) == set(record.snapshots)
    assert record.validation[record.best_step] == max(record.validation.values())
    # the generator is cached in one file with its record: loading it trains nothing
    assert pipeline.pretrained_text_to_image() is not None


def test_the_comparison_run_has_its_own_cache_file():
    from tutorial_lib.t2i.pipeline import _file, comparison_config, t2i_config

    names = {_file(t2i_config()), _file(t2i_config("matching")),
             _file(comparison_config("matching")), _file(comparison_config("projection"))}
    assert len(names) == 4 and _file(t2i_config()) == "t2i_generator.safetensors"
