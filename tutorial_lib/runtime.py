"""Where and how code runs: device, seeds, fast mode, and the on-disk cache.

Every chapter trains models. Training once and reusing the weights is what keeps the book fast,
so the cache matters: it is written atomically (write to a temporary file, then rename), which
means an interrupted run (Ctrl-C, a killed kernel) leaves either the old file or the new one,
never half a file. `model_cache.load_or_train` builds the load-or-train step on these pieces.
"""

import contextlib
import dataclasses
import json
import os
import random
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from tutorial_lib.errors import BadInputError, CacheError

FAST_ENV = "TUTORIAL_FAST"
CACHE_ENV = "TUTORIAL_CACHE"
DEVICE_ENV = "TUTORIAL_DEVICE"
# the fix a CacheError names; model_cache drops it, since it retrains by itself
REBUILD_HINT = "; delete it and the model will be rebuilt"


def fast_mode() -> bool:
    """True when TUTORIAL_FAST is set to a true value: budgets shrink so tests run in seconds.

    Numbers computed in fast mode are smoke-test numbers; the published book is built without it.
    """
    return os.environ.get(FAST_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def budget(full, fast):
    """Pick the full-size value, or the tiny one in fast mode (steps, sample counts, epochs...)."""
    return fast if fast_mode() else full


def get_device(prefer: str | None = None) -> torch.device:
    """Choose cuda, then mps, then cpu; TUTORIAL_DEVICE or `prefer` forces one."""
    choice = prefer or os.environ.get(DEVICE_ENV) or "auto"
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if choice not in {"cpu", "cuda", "mps"}:
        raise BadInputError(f"unknown device {choice!r}: use 'auto', 'cpu', 'cuda' or 'mps'")
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": torch.backends.mps.is_available()}
    if not available[choice]:
        raise BadInputError(f"device {choice!r} is not available on this machine")
    return torch.device(choice)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch, and return a torch.Generator seeded the same way.

    Passing the returned generator explicitly (rather than relying on global state) keeps a
    cell's randomness independent of which cells ran before it.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise BadInputError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - learners' own cells use the global RNG
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@contextlib.contextmanager
def torch_threads(n: int):
    """Run a block with `n` torch threads, restoring the previous number afterwards.

    Tiny models (the 2-D toy GAN, a 1-D discriminator) run fastest on one thread: splitting a
    small matrix product costs more than it saves, and on a busy machine idle-waiting threads
    can slow such a model down a hundredfold.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 numbers in hardware (AVX512-BF16 or AMX).

    Only there do 16-bit convolutions run faster than 32-bit ones (about 1.8x for the image
    tokenizer's); elsewhere oneDNN emulates them, slower than float32."""
    capabilities = torch.cpu.get_capabilities()
    return bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))


def bfloat16_where_native():
    """A context that runs the convolutions and matrix products inside it in bfloat16 where
    the CPU does bfloat16 in hardware (`native_bfloat16`), in float32 elsewhere. Autocast keeps
    the weights, their gradients and the reductions (losses, norms) in float32."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=native_bfloat16())


def cache_dir() -> Path:
    """The folder for trained weights: $TUTORIAL_CACHE, else ~/.cache/from-words-to-pixels.

    Fast-mode runs get their own sub-folder, so a tiny smoke-test model can never be loaded by a
    full-budget run (and the published book never shows fast-mode results).
    """
    root = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "from-words-to-pixels"
    path = Path(root).expanduser() / ("fast" if fast_mode() else "full")
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_tensors(path: str | Path, tensors: dict[str, torch.Tensor],
                 metadata: dict[str, str] | None = None) -> Path:
    """Save tensors as safetensors atomically: a crash mid-write never leaves a broken file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {name: t.detach().to("cpu").contiguous() for name, t in tensors.items()}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=metadata)
        os.replace(tmp, path)  # atomic on POSIX and Windows: readers see old or new, never half
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def load_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """Load a safetensors file; a missing or unreadable file raises CacheError naming the fix."""
    path = Path(path)
    if not path.is_file():
        raise CacheError(f"no cache file at {path}")
    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError) as err:
        raise CacheError(
            f"cache file {path} is corrupt ({err}){REBUILD_HINT}"
        ) from None


def read_metadata(path: str | Path) -> dict[str, str]:
    """The string metadata stored beside the tensors (config, training budget, versions)."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            return dict(handle.metadata() or {})
    except (SafetensorError, OSError, ValueError) as err:
        raise CacheError(
            f"cache file {path} is corrupt ({err}){REBUILD_HINT}"
        ) from None


def config_key(config) -> str:
    """A dataclass config as the JSON string stored beside the weights trained with it."""
    return json.dumps(dataclasses.asdict(config))


def load_state(model: torch.nn.Module, tensors: dict[str, torch.Tensor],
               name: str) -> torch.nn.Module:
    """Load cached weights into a model (returned in eval mode), turning a mismatch (a file
    written for another model) into a CacheError."""
    try:
        model.load_state_dict(tensors)
    except RuntimeError:
        raise CacheError(f"cache file {cache_dir() / name} does not hold the weights this model "
                         f"needs{REBUILD_HINT}") from None
    return model.eval()
