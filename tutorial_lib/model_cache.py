"""Load a trained model from the cache, or train it and save it: the one way every chapter does it.

A cache file is a safetensors file in `runtime.cache_dir()`. Beside the tensors its metadata
keeps what the model was trained with (its config dataclass as JSON, and a short identity of its
training data) and how the training went (the `History`, as JSON). A file is used only when both
the config and the data match; otherwise, and when the file is corrupt or holds weights the
model cannot take, a one-line `CacheWarning` says why and the model is trained again. Saving is
atomic (`runtime.save_tensors`), so an interrupted run leaves the old file or none, never half a
file.
"""

import hashlib
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np
import torch

from tutorial_lib.errors import BadInputError, CacheError, CacheWarning
from tutorial_lib.runtime import (
    REBUILD_HINT,
    cache_dir,
    config_key,
    load_tensors,
    read_metadata,
    save_tensors,
)
from tutorial_lib.training import History

T = TypeVar("T")
# metadata keys the cache itself writes; a model's own facts must use other names
RESERVED = ("config", "data", "history")


@dataclass
class Trained(Generic[T]):
    """A trained object and what its cache file keeps: `value` is what callers use (a model, a
    run), `tensors` rebuild it, `history` is how it trained, `facts` are other results worth
    keeping as strings (a test accuracy)."""

    value: T
    tensors: dict[str, torch.Tensor]
    history: History
    facts: dict[str, str] = field(default_factory=dict)


def fingerprint(*parts) -> str:
    """A short identity (16 hex digits) of training data: strings, numbers and arrays, hashed.
    Pass what decides the data (a spec string, or the arrays themselves if they are small)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, (np.ndarray, torch.Tensor)):
            array = np.ascontiguousarray(np.asarray(part))
            digest.update(f"{array.dtype}{array.shape}".encode())
            digest.update(array.tobytes())
        else:
            digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def variant_file(name: str, *tags: str) -> str:
    """The cache file of a variant of a model: `name` with each non-empty tag joined before its
    suffix ("diffusion_unet.safetensors", "minilm" -> "diffusion_unet_minilm.safetensors"), so
    a variant never overwrites the default model."""
    stem, dot, suffix = name.rpartition(".")
    return "_".join([stem, *(tag for tag in tags if tag)]) + dot + suffix


def history_json(history: History) -> str:
    """A History as the JSON string stored in a cache file's metadata."""
    return json.dumps({"steps": history.steps, "values": history.values,
                       "seconds": history.seconds})


def history_from_json(text: str) -> History:
    """The History stored by `history_json`; CacheError if the text is not one."""
    try:
        record = json.loads(text)
        return History([int(s) for s in record["steps"]],
                       {k: [float(x) for x in v] for k, v in record["values"].items()},
                       float(record["seconds"]))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise CacheError("the file holds no readable training history") from None


def recorded_history(name: str) -> History | None:
    """The training history stored in cache file `name`, or None if there is no such file or
    it holds none (it is not checked against any config: for reports, not for loading)."""
    path = cache_dir() / name
    if not path.is_file():
        return None
    try:
        return history_from_json(read_metadata(path)["history"])
    except (CacheError, KeyError):
        return None


def _load(name: str, config, data: str, restore: Callable[[dict[str, torch.Tensor]], T]
          ) -> Trained[T] | None:
    """The cached entry, or None (with a CacheWarning saying why unless there is no file)."""
    path = cache_dir() / name
    if not path.exists():
        return None
    try:
        metadata = read_metadata(path)
        if metadata.get("config") != config_key(config) or metadata.get("data") != data:
            warnings.warn(f"{name} was trained with other settings or data; training again",
                          CacheWarning, stacklevel=3)
            return None
        tensors = load_tensors(path)
        history = history_from_json(metadata.get("history", ""))
        value = restore(tensors)
    except CacheError as err:
        reason = str(err).removesuffix(REBUILD_HINT)
        warnings.warn(f"{name} cannot be used ({reason}); training again", CacheWarning,
                      stacklevel=3)
        return None
    facts = {k: v for k, v in metadata.items() if k not in RESERVED}
    return Trained(value, tensors, history, facts)


def load_or_train(name: str, config, data: str, train: Callable[[], Trained[T]],
                  restore: Callable[[dict[str, torch.Tensor]], T]) -> Trained[T]:
    """The model cached as `name` if it was trained with `config` (a dataclass) on `data` (a
    short identity, e.g. from `fingerprint`); otherwise `train()`, saved atomically.

    `restore(tensors)` rebuilds the value from the saved tensors and raises CacheError if they
    do not fit (see `runtime.load_state`); `train()` returns a Trained whose tensors are what
    to save. A stale, corrupt or unfitting file is reported with a CacheWarning and replaced.
    """
    cached = _load(name, config, data, restore)
    if cached is not None:
        return cached
    trained = train()
    clash = sorted(set(trained.facts) & set(RESERVED))
    if clash:
        raise BadInputError(f"facts may not use the cache's own metadata keys {clash}")
    metadata = {**trained.facts, "config": config_key(config), "data": data,
                "history": history_json(trained.history)}
    save_tensors(cache_dir() / name, trained.tensors, metadata)
    return trained
