"""Training on a machine that is not idle: seconds per step with and without another process
keeping one core busy.

A learner's laptop or a Colab runtime rarely runs the course alone. Torch splits each operator
between its threads and waits for the slowest; when another process holds one core, the
thread sharing that core finishes late and the others wait. How they wait is what matters:
OpenMP's default is to spin for a while, which burns the very core the late thread needs.
`tutorial_lib/__init__.py` therefore asks OpenMP to go to sleep after a short spin
(GOMP_SPINCOUNT), before torch is first imported. The thread count stays fixed (the machine's
cores), because results depend on it: a count chosen from the load would make the same seed
train a different model on a busy machine.
"""

import contextlib
import subprocess
import sys
from dataclasses import replace

from tutorial_lib.caption.model import CaptionConfig
from tutorial_lib.caption.train import train_captioner
from tutorial_lib.diffusion.pipeline import diffusion_config
from tutorial_lib.diffusion.train import train_diffusion
from tutorial_lib.errors import BadInputError
from tutorial_lib.t2i.pipeline import t2i_config
from tutorial_lib.t2i.train import train_t2i
from tutorial_lib.text.encoders import TextEncoder

MODELS = ("text_to_image", "captioner", "diffusion")
BUSY_LOOP_LIMIT = 600  # seconds: the busy process ends by itself even if nobody stops it
TRAIN_IMAGES = 2_000  # seconds per step do not depend on the size of the training set


def seconds_per_step(model: str, steps: int = 30) -> float:
    """Wall seconds per training step of a course model at its default size (warm: a short
    run first, so one-off costs such as memory allocation are not counted)."""
    if model not in MODELS:
        raise BadInputError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    if steps < 1:
        raise BadInputError(f"steps must be at least 1, got {steps}")
    encoder = TextEncoder("bilingual", progress=False) if model != "captioner" else None

    def run(n: int) -> float:
        if model == "text_to_image":
            config = replace(t2i_config(), steps=n, train_images=TRAIN_IMAGES, snapshot_every=n)
            return train_t2i(encoder, config, progress=False).history.seconds
        if model == "diffusion":
            config = replace(diffusion_config(), steps=n, train_images=TRAIN_IMAGES)
            return train_diffusion(encoder, config, progress=False).history.seconds
        config = replace(CaptionConfig(), steps=n, warmup_steps=1)
        return train_captioner(config, progress=False)[2].seconds

    run(3)
    return run(steps) / steps


@contextlib.contextmanager
def one_core_busy(limit: float = BUSY_LOOP_LIMIT):
    """Keep one core busy with another process (a bounded Python loop) for the block."""
    loop = f"import time\nend = time.monotonic() + {limit}\nwhile time.monotonic() < end: pass"
    process = subprocess.Popen([sys.executable, "-c", loop])
    try:
        yield
    finally:
        process.kill()
        process.wait()


def busy_core_slowdown(steps: int = 30) -> dict[str, float]:
    """For each model: seconds per step idle and with one core busy, and their ratio."""
    results = {}
    for model in MODELS:
        idle = seconds_per_step(model, steps)
        with one_core_busy():
            busy = seconds_per_step(model, steps)
        results.update({f"{model}_idle_seconds_per_step": idle,
                        f"{model}_busy_seconds_per_step": busy,
                        f"{model}_busy_slowdown": busy / idle})
    return results
