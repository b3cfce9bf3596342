"""Training a conditional GAN on real MNIST: a short CPU run learns to draw the digit it is asked
for, snapshots and the EMA generator behave, and divergence stops training with a clear error."""

import numpy as np
import pytest
import torch

from tutorial_lib.errors import BadInputError
from tutorial_lib.gan import train
from tutorial_lib.gan.train import GANConfig, train_gan
from tutorial_lib.metrics import JudgeConfig, judge_accuracy, train_judge
from tutorial_lib.training import DivergenceError, mode_seeking_loss

SHORT = GANConfig(lr=1e-3, steps=400, snapshot_every=100, snapshot_per_class=4)


@pytest.fixture(scope="module")
def short_run(mnist_data):
    images, labels, _, _ = mnist_data
    return train_gan(SHORT, images, labels, progress=False)


def test_short_conditional_run_draws_the_asked_digit(short_run, mnist_data):
    images, labels, _, _ = mnist_data
    judge = train_judge(images, labels, JudgeConfig(steps=80, batch_size=64), progress=False)
    asked = np.repeat(np.arange(10), 20)
    generated = short_run.sample(len(asked), asked, seed=1)
    assert generated.dtype == np.uint8 and generated.shape == (200, 28, 28)
    assert judge_accuracy(judge, generated, asked) > 0.5  # chance is 0.1


def test_run_keeps_snapshots_of_a_fixed_grid_and_a_loss_history(short_run):
    assert sorted(short_run.snapshots) == [0, 100, 200, 300, 399]
    assert all(s.shape == (40, 28, 28) for s in short_run.snapshots.values())
    np.testing.assert_array_equal(short_run.snapshot_labels, np.repeat(np.arange(10), 4))
    np.testing.assert_array_equal(short_run.snapshots[399], short_run.sample(
        40, short_run.snapshot_labels, seed=_snapshot_seed(SHORT.seed)))
    assert set(short_run.history.values) == {"d_loss", "g_loss", "ms_ratio"}


def _snapshot_seed(seed):
    """train_gan draws the snapshot seed first from its seeded generator."""
    return int(torch.randint(2**31, (1,), generator=torch.Generator().manual_seed(seed)))


def test_ema_generator_is_an_average_not_a_copy(short_run):
    ema = dict(short_run.ema_generator.named_parameters())
    raw = dict(short_run.generator.named_parameters())
    assert not torch.equal(ema["net.0.weight"], raw["net.0.weight"])


def test_same_seed_trains_the_same_generator(mnist_data):
    images, labels, _, _ = mnist_data
    config = GANConfig(steps=3, batch_size=8, g_width=8, d_width=8, seed=3)
    first = train_gan(config, images, labels, progress=False).sample(5, [1, 2, 3, 4, 5])
    second = train_gan(config, images, labels, progress=False).sample(5, [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(first, second)


def test_unconditional_dcgan_trains(mnist_data):
    images, _, _, _ = mnist_data
    run = train_gan(GANConfig(steps=3, batch_size=8, snapshot_per_class=6), images,
                    progress=False)
    assert run.snapshot_labels is None and run.snapshots[2].shape == (6, 28, 28)
    assert run.sample(3).shape == (3, 28, 28)


def test_mode_seeking_loss_is_the_inverse_distance_ratio():
    z = torch.tensor([[0.0, 0.0], [1.0, 3.0]])  # z1 and z2: mean |z1 - z2| = 2
    fake = torch.stack([torch.zeros(1, 2, 2), torch.ones(1, 2, 2)])  # mean |G1 - G2| = 1
    assert mode_seeking_loss(fake, z).item() == pytest.approx(1 / (1 / 2 + 1e-5))


def test_nan_loss_raises_divergence_error(mnist_data, monkeypatch):
    images, labels, _, _ = mnist_data

    def nan_d_loss(real_logits, fake_logits):
        return (real_logits.mean() + fake_logits.mean()) * float("nan")

    monkeypatch.setattr(train, "get_losses", lambda name: (nan_d_loss, lambda f: -f.mean()))
    with pytest.raises(DivergenceError, match="d_loss became nan at step 0"):
        train_gan(GANConfig(steps=5, batch_size=8), images, labels, progress=False)


def test_bad_inputs_raise(mnist_data):
    images, labels, _, _ = mnist_data
    with pytest.raises(BadInputError, match="uint8"):
        train_gan(GANConfig(steps=1), images.astype(np.float32), labels, progress=False)
    with pytest.raises(BadInputError, match="labels must be"):
        train_gan(GANConfig(steps=1), images, labels + 5, progress=False)
    with pytest.raises(BadInputError, match="even"):
        train_gan(GANConfig(steps=1, batch_size=7), images, labels, progress=False)
    with pytest.raises(BadInputError, match="unknown GAN loss"):
        train_gan(GANConfig(steps=1, loss="nope"), images, labels, progress=False)
