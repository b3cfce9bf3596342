"""Data scarcity: chapter 4's text-to-image GAN trained on 100%, 10% and 1% of its data.

Every run gets the same number of steps (a fair comparison: only the data change), fewer
than chapter 4's full budget so that three runs fit in a notebook; chapter 4's cached model is
shown beside them as the full-budget reference. Each run's EMA generator is cached under a
name of its own, keyed by its config, so a second execution trains nothing.

The mechanism behind the curve is coverage: the train split has 360 scenes (colour x shape x
size x row x column), and a small sample does not contain them all. `distinct_scenes` counts
them.
"""

from dataclasses import dataclass, replace

from tutorial_lib.data import shapes
from tutorial_lib.data.tensors import training_data_id
from tutorial_lib.errors import BadInputError
from tutorial_lib.model_cache import Trained, load_or_train
from tutorial_lib.runtime import budget, load_state
from tutorial_lib.shapes_judge import pretrained_shapes_judge
from tutorial_lib.t2i.evaluate import score_split
from tutorial_lib.t2i.nets import TextGenerator
from tutorial_lib.t2i.pipeline import DEFAULT_CONFIG, judge_validator
from tutorial_lib.t2i.train import T2IConfig, train_t2i
from tutorial_lib.text.encoders import text_encoder

FRACTIONS = (1.0, 0.1, 0.01)
# One budget for every fraction, a fifth of chapter 4's steps, so that the three runs together
# take a few minutes on a CPU (chapter 10 glues their recorded training times).
SCARCITY_STEPS = 300
FAST_STEPS = 12
SCENE_KEYS = ("color", "shape", "size", "row", "col")


def subset_size(fraction: float) -> int:
    """Number of training images for a fraction of chapter 4's 20,000 (of 2,000 in fast mode,
    where encoding 20,000 captions would take longer than the whole smoke test)."""
    if not 0 < fraction <= 1:
        raise BadInputError(f"fraction must be in (0, 1], got {fraction!r}")
    return max(1, round(budget(DEFAULT_CONFIG.train_images, 2_000) * fraction))


def scarcity_config(fraction: float) -> T2IConfig:
    """Chapter 4's config with `fraction` of its training images and the shared step budget."""
    steps = budget(SCARCITY_STEPS, FAST_STEPS)
    return replace(DEFAULT_CONFIG, train_images=subset_size(fraction), steps=steps,
                   snapshot_every=max(1, steps // 6))


def distinct_scenes(n_images: int, seed: int = DEFAULT_CONFIG.seed) -> int:
    """How many of the 360 train-split scenes appear among the first n_images training images
    (the same draw `train_t2i` uses: split "train", the config's seed)."""
    sample = shapes.sample(n_images, seed=seed, split="train", lang="both")
    return len({tuple(a[k] for k in SCENE_KEYS) for a in sample.attrs})


def _file(config: T2IConfig) -> str:
    return f"t2i_scarcity_{config.train_images}.safetensors"


def scarcity_generator(fraction: float, progress: bool = True) -> tuple[TextGenerator, float]:
    """(EMA generator, training seconds) of the run on `fraction` of the data: trained on first
    use (best validation snapshot kept, as in chapter 4), then loaded from the cache."""
    config = scarcity_config(fraction)
    encoder = text_encoder("bilingual")
    name = _file(config)

    def train():
        run = train_t2i(encoder, config, progress=progress, validate=judge_validator())
        return Trained(run.ema_generator, run.ema_generator.state_dict(), run.history)

    def restore(tensors):
        generator = TextGenerator(encoder.dim, config.latent_dim, config.g_width)
        return load_state(generator, tensors, name)

    trained = load_or_train(name, config, training_data_id(encoder.name), train, restore)
    return trained.value, trained.history.seconds


@dataclass
class ScarcityPoint:
    """One point of the curve: a fraction, its data, the judged all-correct rates, and the
    per-attribute rates on seen prompts (which attribute limits the all-correct rate)."""

    fraction: float
    images: int
    scenes: int
    seen: float
    heldout_pairs: float
    train_seconds: float
    seen_attributes: dict[str, float]


def score_generator(generator: TextGenerator, n: int) -> dict[str, dict[str, float]]:
    """attribute_scores on n seen and n held-out-pair prompts (chapter 4's evaluation)."""
    encoder, judge = text_encoder("bilingual"), pretrained_shapes_judge(progress=False)
    return {split: score_split(generator, encoder, judge, split, n)
            for split in ("seen", "heldout_pairs")}


def scarcity_curve(n_eval: int = 500, progress: bool = True) -> list[ScarcityPoint]:
    """Train (or load) one generator per fraction and score it."""
    points = []
    for fraction in FRACTIONS:
        generator, seconds = scarcity_generator(fraction, progress)
        scores = score_generator(generator, n_eval)
        points.append(ScarcityPoint(fraction, subset_size(fraction),
                                    distinct_scenes(subset_size(fraction)),
                                    scores["seen"]["all_correct"],
                                    scores["heldout_pairs"]["all_correct"], seconds,
                                    scores["seen"]))
    return points
