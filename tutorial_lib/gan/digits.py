"""The course's digit models: a class-conditional GAN that draws any digit, and a judge that reads
digits. Both train on the MNIST sample's train split on first use and are cached on disk, so
later chapters can ask for "five 7s" or score generated images without training anything.

Delete the files in `runtime.cache_dir()` to retrain; a cached model whose training settings no
longer match the library's is retrained automatically.
"""

import numbers
from dataclasses import replace

import numpy as np

from tutorial_lib.data.mnist import IMAGE_SIZE, NUM_CLASSES, mnist_split
from tutorial_lib.errors import BadInputError
from tutorial_lib.gan.nets import Generator
from tutorial_lib.gan.train import GANConfig, generate, train_gan
from tutorial_lib.metrics import Judge, JudgeConfig, cached_judge
from tutorial_lib.model_cache import Trained, fingerprint, load_or_train
from tutorial_lib.runtime import budget, load_state

# A budget of a minute or two on a CPU; `make bench` measures how well it draws. lr=1e-3 rather
# than DCGAN's 2e-4: at 2e-4 the labels take thousands of steps more to be obeyed.
DEFAULT_CONFIG = GANConfig(lr=1e-3, steps=2500, ema_decay=0.995, mode_seeking=1.0)
FAST_GAN_STEPS = 60
JUDGE_CONFIG = JudgeConfig()
FAST_JUDGE_STEPS = 40
GAN_FILE = "digit_gan.safetensors"
JUDGE_FILE = "mnist_judge.safetensors"


def digit_gan_config() -> GANConfig:
    """DEFAULT_CONFIG, with a budget of seconds in fast mode (TUTORIAL_FAST=1)."""
    steps = budget(DEFAULT_CONFIG.steps, FAST_GAN_STEPS)
    return replace(DEFAULT_CONFIG, steps=steps, snapshot_every=max(1, steps // 8))


def digit_judge_config() -> JudgeConfig:
    """JUDGE_CONFIG, with a budget of seconds in fast mode."""
    return replace(JUDGE_CONFIG, steps=budget(JUDGE_CONFIG.steps, FAST_JUDGE_STEPS))


def pretrained_digit_gan(progress: bool = True) -> Generator:
    """The course's conditional digit generator (the EMA generator, in eval mode).

    Trained on first use on the MNIST train split (a progress bar shows it), then loaded from
    the cache in milliseconds.
    """
    images, labels, _, _ = mnist_split()
    return cached_digit_gan(GAN_FILE, digit_gan_config(), images, labels, progress)


def cached_digit_gan(name: str, config: GANConfig, images: np.ndarray, labels: np.ndarray,
                     progress: bool = True) -> Generator:
    """The EMA generator of `config` trained on (images, labels), from the model cache under
    `name`, or trained and cached there."""
    def train():
        run = train_gan(config, images, labels, progress=progress)
        return Trained(run.ema_generator, run.ema_generator.state_dict(), run.history)

    def restore(tensors):
        generator = Generator(config.latent_dim, config.g_width, config.num_classes)
        return load_state(generator, tensors, name)

    return load_or_train(name, config, fingerprint(images, labels), train, restore).value


def pretrained_judge(progress: bool = True) -> Judge:
    """A digit classifier trained on the MNIST train split; `judge.test_accuracy` is its accuracy
    on the test split."""
    return cached_judge(JUDGE_FILE, digit_judge_config(), (IMAGE_SIZE, IMAGE_SIZE),
                        (NUM_CLASSES,), mnist_split, fingerprint(*mnist_split()), progress)


def _check_digits(digits) -> list[int]:
    """A digit or a sequence of digits 0..9, as a list of ints."""
    if isinstance(digits, numbers.Integral):
        digits = [digits]
    try:
        digits = list(digits)
    except TypeError:
        raise BadInputError(f"digits must be a digit or a list of digits 0-9, got "
                            f"{digits!r}") from None
    if not digits:
        raise BadInputError("digits is empty: ask for at least one digit")
    for digit in digits:
        if isinstance(digit, bool) or not isinstance(digit, numbers.Integral):
            raise BadInputError(f"digits must be whole numbers 0-9, got {digit!r}")
        if not 0 <= digit < NUM_CLASSES:
            raise BadInputError(f"digits must lie in 0-9, got {digit}")
    return [int(digit) for digit in digits]


def generate_digits(digits, per_digit: int, seed: int = 0) -> np.ndarray:
    """`per_digit` images of each digit in `digits`, in that order: uint8 (len * per_digit, 28,
    28) with ink 0..255. The same seed always draws the same images."""
    digits = _check_digits(digits)
    if isinstance(per_digit, bool) or not isinstance(per_digit, numbers.Integral) \
            or per_digit <= 0:
        raise BadInputError(f"per_digit must be a positive whole number, got {per_digit!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise BadInputError(f"seed must be a non-negative integer, got {seed!r}")
    labels = np.repeat(digits, int(per_digit))
    return generate(pretrained_digit_gan(), len(labels), labels, int(seed))
