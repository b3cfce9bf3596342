"""A small, reusable training loop: progress bar, loss history, time budget, NaN guard; and
the exponential moving average (EMA) of weights that the course's generators are sampled from;
and the mode-seeking term that GAN generators (chapters 3 and 4) add to their loss.

Every model in the course (language models, GANs, encoders) trains with the same loop, so a
chapter only has to write the part that differs: one optimisation step.
"""

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from tutorial_lib.errors import BadInputError, CourseError


class DivergenceError(CourseError):
    """A loss became NaN or infinite: training diverged (learning rate too high, bad data)."""


@dataclass
class History:
    """Loss curves of one training run: metric name -> list of values, one per logged step."""

    steps: list[int] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    def log(self, step: int, metrics: dict[str, float]) -> None:
        """Append one step's metrics (every metric must be logged at every logged step)."""
        self.steps.append(step)
        for name, value in metrics.items():
            self.values.setdefault(name, []).append(float(value))

    def last(self, name: str, window: int = 1) -> float:
        """Mean of the last `window` logged values of a metric (smooths noisy losses)."""
        if name not in self.values:
            raise BadInputError(f"no metric {name!r} in history; known: {sorted(self.values)}")
        tail = self.values[name][-window:]
        return sum(tail) / len(tail)


def train_loop(step_fn: Callable[[int], dict[str, float]], steps: int,
               max_seconds: float | None = None, log_every: int = 1,
               desc: str = "training", progress: bool = True) -> History:
    """Call `step_fn(step)` for step = 0..steps-1 and collect the metrics it returns.

    `step_fn` does one optimisation step and returns a dict of floats (losses, accuracies).
    Training stops early after `max_seconds` of wall time, if given, so a notebook can promise a
    budget; prefer a step count where reproducibility matters, since seconds depend on the
    machine. A NaN or infinite metric raises DivergenceError naming the step and the metric.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps <= 0:
        raise BadInputError(f"steps must be a positive integer, got {steps!r}")
    if log_every <= 0:
        raise BadInputError(f"log_every must be positive, got {log_every!r}")
    history = History()
    start = time.perf_counter()
    # Book builds set TQDM_DISABLE=1 to keep frozen progress bars (widgets that would fetch
    # their JavaScript from a CDN) out of the pages. tqdm's notebook bar ignores that variable,
    # so it is read here; an explicit disable=False is never passed, so tqdm's other settings
    # still apply.
    quiet = not progress or os.environ.get("TQDM_DISABLE", "").lower() in {"1", "true"}
    bar = tqdm(range(steps), desc=desc, leave=False, **({"disable": True} if quiet else {}))
    for step in bar:
        with torch.enable_grad():  # a caller inside torch.no_grad() still gets a trained model
            metrics = step_fn(step)
        for name, value in metrics.items():
            if not math.isfinite(float(value)):
                bar.close()
                raise DivergenceError(
                    f"{name} became {value} at step {step}: training diverged "
                    "(try a lower learning rate)"
                )
        out_of_time = max_seconds is not None and time.perf_counter() - start > max_seconds
        if step % log_every == 0 or step == steps - 1 or out_of_time:
            history.log(step, metrics)
            bar.set_postfix({k: f"{v:.3g}" for k, v in metrics.items()}, refresh=False)
        if out_of_time:
            break
    bar.close()
    history.seconds = time.perf_counter() - start
    return history


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set every parameter group's learning rate: a schedule computed per step (chapter 1's
    warm-up and cosine decay) instead of a torch scheduler object."""
    for group in optimizer.param_groups:
        group["lr"] = lr


@torch.no_grad()
def update_ema(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model, for weights; BatchNorm's running statistics
    (already averages) are copied.

    The raw weights of a GAN generator chase the discriminator around; their average sits in
    the middle of that orbit and draws cleaner, steadier images (chapter 3). Diffusion models
    are sampled from an EMA too.
    """
    for ema_param, param in zip(ema.parameters(), model.parameters(), strict=True):
        ema_param.lerp_(param, 1 - decay)
    for ema_buffer, buffer in zip(ema.buffers(), model.buffers(), strict=True):
        ema_buffer.copy_(buffer)


def mode_seeking_loss(fake: torch.Tensor, z: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """MSGAN's regulariser: 1 / (mean|G(z1) - G(z2)| / mean|z1 - z2| + eps), where the first
    and second halves of the batch are the pairs (z1, z2) with the same labels. Minimising it
    pushes images apart as their noise vectors are, so z cannot be ignored."""
    fake_1, fake_2 = fake.chunk(2)
    z_1, z_2 = z.chunk(2)
    ratio = (fake_1 - fake_2).abs().mean() / (z_1 - z_2).abs().mean()
    return 1 / (ratio + eps)
