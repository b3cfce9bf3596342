"""Chapter 8's diffusion model: the network, the objective, guidance, sampling and the cache."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from tutorial_lib.diffusion import pipeline
from tutorial_lib.diffusion.model import DiffusionConfig, TextConditionedUNet
from tutorial_lib.diffusion.sampling import guided_noise, sample
from tutorial_lib.diffusion.train import noise_scheduler, regression_target, train_diffusion
from tutorial_lib.errors import BadInputError, CacheWarning
from tutorial_lib.runtime import cache_dir

TINY = DiffusionConfig(block_channels=(8, 16, 16), token_dim=8, head_dim=8, train_images=256,
                       batch_size=16, steps=3)


def conditions(n):
    """n valid condition vectors: one-hot per attribute."""
    blocks = [torch.nn.functional.one_hot(torch.arange(n) % k, k).float()
              for k in (6, 4, 2, 3, 3)]
    return torch.cat(blocks, dim=1)


class OneHotEncoder:
    """A stand-in for the chapter-4 text encoder: the grammar's attributes, one-hot."""

    dim = 18

    def __call__(self, prompts):
        from tutorial_lib.text.encoders import onehot

        return torch.stack([onehot(p) for p in prompts])


def test_the_network_predicts_one_image_per_condition_and_refuses_bad_shapes():
    model = TextConditionedUNet(TINY)
    x = torch.randn(4, 3, 32, 32)
    out = model(x, torch.tensor([0, 10, 500, 999]), conditions(4))
    assert out.shape == x.shape
    with pytest.raises(BadInputError, match="conditions must be"):
        model(x, torch.tensor([1]), torch.zeros(4, 17))
    with pytest.raises(BadInputError, match="x must be"):
        model(torch.randn(4, 1, 32, 32), torch.tensor([1]), conditions(4))
    with pytest.raises(BadInputError, match="x must be"):
        model(x, torch.tensor([1]), conditions(3))


@pytest.mark.parametrize("kind", ["epsilon", "v_prediction", "sample"])
def test_each_regression_target_recovers_the_clean_image(kind):
    """The schedulers turn the network's output back into x0; with a perfect prediction of the
    target, that x0 is exactly the clean image."""
    scheduler = noise_scheduler(replace(TINY, prediction_type=kind))
    x0, noise = torch.rand(2, 3, 32, 32) * 2 - 1, torch.randn(2, 3, 32, 32)
    t = torch.tensor([300, 300])
    x_t = scheduler.add_noise(x0, noise, t)
    abar = scheduler.alphas_cumprod[300]
    target = regression_target(scheduler, x0, noise, t)
    if kind == "epsilon":
        recovered = (x_t - (1 - abar).sqrt() * target) / abar.sqrt()
    elif kind == "v_prediction":
        recovered = abar.sqrt() * x_t - (1 - abar).sqrt() * target
    else:
        recovered = target
    torch.testing.assert_close(recovered, x0, atol=1e-4, rtol=0)


def test_guidance_interpolates_and_extrapolates():
    torch.manual_seed(0)
    model = TextConditionedUNet(TINY).eval()
    x, c, t = torch.randn(3, 3, 32, 32), conditions(3), torch.tensor(400)
    with torch.no_grad():
        conditional = model(x, t.expand(3), c)
        unconditional = model(x, t.expand(3), torch.zeros_like(c))
    torch.testing.assert_close(guided_noise(model, x, t, c, 1.0), conditional)
    torch.testing.assert_close(guided_noise(model, x, t, c, 0.0), unconditional)
    torch.testing.assert_close(guided_noise(model, x, t, c, 3.0),
                               unconditional + 3 * (conditional - unconditional))


@pytest.mark.slow
def test_training_is_deterministic_and_the_loss_falls():
    encoder = OneHotEncoder()
    first = train_diffusion(encoder, TINY, progress=False)
    second = train_diffusion(encoder, TINY, progress=False)
    for a, b in zip(first.ema_model.parameters(), second.ema_model.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    run = train_diffusion(encoder, replace(TINY, steps=150, lr=3e-3), progress=False)
    losses = run.history.values["loss"]
    assert np.mean(losses[-3:]) < 0.5 * losses[0], losses


def test_sampling_gives_uint8_images_and_one_error_per_bad_setting():
    model = TextConditionedUNet(TINY)
    images = sample(model, TINY, conditions(3), steps=4, guidance=2.0, seed=1)
    assert images.dtype == np.uint8 and images.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(images, sample(model, TINY, conditions(3), steps=4,
                                                 guidance=2.0, seed=1))
    assert sample(model, TINY, conditions(2), steps=3, sampler="ddpm").shape == (2, 32, 32, 3)
    for kwargs, message in (({"steps": 0}, "steps must"), ({"guidance": -1}, "guidance must"),
                            ({"sampler": "euler"}, "unknown sampler")):
        with pytest.raises(BadInputError, match=message):
            sample(model, TINY, conditions(1), **kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"prompts": ""}, "empty"), ({"prompts": "a red circle", "n": 0}, "n must"),
    ({"prompts": "a red circle", "seed": -1}, "seed must"),
    ({"prompts": "a red circle", "steps": 0}, "steps must"),
    ({"prompts": "a red circle", "guidance": "high"}, "guidance must"),
    ({"prompts": "a red circle", "sampler": "euler"}, "unknown sampler"),
    ({"prompts": "a red circle", "n": 20_000}, "more than")])
def test_generate_refuses_bad_input_before_any_training(kwargs, message):
    with pytest.raises(BadInputError, match=message):
        pipeline.generate(**kwargs)
    assert not (cache_dir() / pipeline.MODEL_FILE).exists()


def test_the_cache_round_trips_and_a_corrupt_file_is_retrained(monkeypatch):
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    monkeypatch.setattr(pipeline, "DEFAULT_CONFIG", replace(TINY, steps=20))
    model, history = pipeline.pretrained_diffusion(progress=False)
    again, again_history = pipeline.pretrained_diffusion(progress=False)
    for a, b in zip(model.parameters(), again.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    assert again_history.values == history.values and again_history.seconds > 0
    images = pipeline.generate(["a small red circle at the top left", "左上角有一个小的红色圆形"],
                               n=2, steps=3)
    assert images.shape == (4, 32, 32, 3)
    (cache_dir() / pipeline.MODEL_FILE).write_bytes(b"not a safetensors file")
    with pytest.warns(CacheWarning, match="corrupt"):
        _, retrained_history = pipeline.pretrained_diffusion(progress=False)
    assert retrained_history.steps == history.steps
