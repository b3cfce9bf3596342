"""A tiny GPT-2 trained from scratch on shapes-world captions, in under a minute on a laptop CPU.

The model is Hugging Face's `GPT2LMHeadModel`, just much smaller than GPT-2 (128 thousand
parameters instead of 124 million). Each training sequence is one caption framed by
special tokens,

    <bos> a small red circle at the top left <eos> <pad> <pad>

and the loss is the usual next-token cross-entropy: at every position the model predicts the
following token. Predicting <eos> teaches it where a caption stops; padding only fills the short
rows of a batch, so its labels are -100, the value PyTorch's cross-entropy skips.

Captions are unlimited (the shapes world can draw as many as we like), so every step sees a fresh
batch: the model never sees the same batch twice, cannot overfit, and needs no dropout.

The caption grammar is known exactly, so we know the best possible loss: a perfect model assigns
each caption its true probability, and its mean negative log-likelihood equals the entropy of a
caption, `shapes.caption_entropy(lang)`. The ratio of the two measures how close the model gets.
"""

import json
import math
from dataclasses import dataclass, field

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from tutorial_lib.data import shapes
from tutorial_lib.data.shapes import LANGS, sample_captions
from tutorial_lib.errors import BadInputError, CacheError
from tutorial_lib.model_cache import Trained, fingerprint, load_or_train
from tutorial_lib.runtime import (
    REBUILD_HINT,
    budget,
    load_tensors,
    read_metadata,
    save_tensors,
    seed_everything,
)
from tutorial_lib.text.tokenizer import caption_tokenizer
from tutorial_lib.training import set_learning_rate, train_loop

# GPT2LMHeadModel ties its output layer to the token embedding (one matrix, two uses), so the
# output weights are not stored; loading ties them again.
TIED_KEY = "lm_head.weight"


@dataclass
class TinyGPTConfig:
    """Model shape and training budget; the defaults train in under a minute on one CPU core."""

    n_layer: int = 2
    n_embd: int = 64
    n_head: int = 4
    n_positions: int = 32  # the longest caption is 16 tokens with <bos> and <eos>
    steps: int = field(default_factory=lambda: budget(2000, 150))
    batch_size: int = 64
    lr: float = 1e-2
    min_lr: float = 3e-5  # the cosine schedule ends here
    warmup_steps: int = field(default_factory=lambda: budget(100, 15))
    # A shorter memory for Adam's second moment than PyTorch's 0.999, as in nanoGPT: on this task
    # it makes the model leak less probability to captions outside the grammar (`make bench`
    # reports the valid-caption rate).
    betas: tuple[float, float] = (0.9, 0.95)
    # PyTorch threads while training. For a model this small a second thread gains little on an
    # idle machine, and when other programs keep the cores busy, each of the thousands of small
    # operations per step waits for the slowest thread: steps then take 5 to 50 times longer.
    threads: int = 1
    seed: int = 0

    def gpt2_config(self, tokenizer):
        """The transformers config of the model, with the tokenizer's vocabulary and ids."""
        return GPT2Config(
            vocab_size=len(tokenizer),
            n_positions=self.n_positions,
            n_embd=self.n_embd,
            n_layer=self.n_layer,
            n_head=self.n_head,
            # the exact GELU is one fused operation; GPT-2's tanh approximation ("gelu_new") is
            # several, which makes a training step of a model this small slower on a CPU
            activation_function="gelu",
            # unlimited fresh data: nothing to regularise, and dropout would only slow learning
            resid_pdrop=0.0,
            embd_pdrop=0.0,
            attn_pdrop=0.0,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )


def encode_captions(tokenizer, captions):
    """A padded batch of `<bos> caption <eos>`: input_ids, attention_mask and labels.

    Labels are the input ids with -100 on padding (the model shifts them by one itself), so
    the loss counts every caption token and the end token, and no padding.
    """
    _check_captions(captions)
    return _frame(tokenizer, tokenizer(list(captions), add_special_tokens=False)["input_ids"])


def _frame(tokenizer, token_ids):
    """The batch of `encode_captions` from the captions' token ids (lists of ints)."""
    rows = [[tokenizer.bos_token_id, *ids, tokenizer.eos_token_id] for ids in token_ids]
    length = max(map(len, rows))
    # pad as Python lists, then convert once: far faster than filling a tensor row by row
    input_ids = torch.tensor([row + [tokenizer.pad_token_id] * (length - len(row)) for row in rows])
    attention_mask = torch.tensor([[1] * len(row) + [0] * (length - len(row)) for row in rows])
    labels = input_ids.masked_fill(attention_mask == 0, -100)
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def _memo_token_ids(tokenizer, captions, memo):
    """Token ids of each caption, tokenizing only those not yet in memo (a dict it fills).

    The grammar has only a few thousand distinct captions, so after the first steps training
    never calls the tokenizer again.
    """
    new = [c for c in dict.fromkeys(captions) if c not in memo]
    if new:
        memo.update(zip(new, tokenizer(new, add_special_tokens=False)["input_ids"], strict=True))
    return [memo[c] for c in captions]


def learning_rate(step, config):
    """Linear warmup, then cosine decay to min_lr: nanoGPT's schedule.

    Warmup keeps the first updates, made while Adam's statistics are still noisy, small; the
    decay shrinks the noise of the final weights, which is what brings the loss down to the
    entropy at the end of training.
    """
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return config.min_lr + 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))) * (
        config.lr - config.min_lr
    )


def train_tiny_gpt(config=None, tokenizer=None, lang="both", progress=True):
    """Train a fresh tiny GPT-2 on train-split captions of `lang`; returns (model, History).

    The tokenizer defaults to `caption_tokenizer()`. The model comes back in eval mode.
    """
    config = config or TinyGPTConfig()
    tokenizer = tokenizer or caption_tokenizer()
    if lang not in LANGS:
        raise BadInputError(f"unknown lang {lang!r}; expected one of {', '.join(LANGS)}")
    seed_everything(config.seed)  # the model's initial weights come from torch's global RNG
    model = GPT2LMHeadModel(config.gpt2_config(tokenizer)).train()
    # transformers picks the loss from the class name, and 'GPT2LMHeadModel' names none,
    # which makes it warn on stderr; it is the causal-LM loss.
    model.loss_type = "ForCausalLM"
    # No weight decay: like dropout, it fights overfitting, which unlimited fresh data rules out.
    # foreach=True updates all weights with a few large operations instead of a loop over them.
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, betas=config.betas,
                                  weight_decay=0.0, foreach=True)
    token_ids = {}  # caption -> its token ids, filled as captions turn up

    def step(i):
        lr = learning_rate(i, config)
        set_learning_rate(optimizer, lr)
        # A different seed each step: fresh captions, reproducible from config.seed.
        captions = sample_captions(config.batch_size, seed=config.seed * 1_000_003 + i,
                                   split="train", lang=lang)
        loss = model(**_frame(tokenizer, _memo_token_ids(tokenizer, captions, token_ids))).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item(), "lr": lr}

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        history = train_loop(step, config.steps, log_every=10, desc=f"tiny GPT ({lang})",
                             progress=progress)
    finally:
        torch.set_num_threads(previous_threads)  # the caller's setting, for everything else
    return model.eval(), history


@torch.no_grad()
def caption_nll(model, tokenizer, captions, batch_size=256):
    """Negative log-likelihood in nats of each caption, a float CPU tensor (N,).

    The model reads <bos> and predicts every token of the caption and then <eos>; the NLL is
    the sum of those -log p, so it is -ln P(caption) under the model and its mean over fresh
    captions is directly comparable with `shapes.caption_entropy`.
    """
    _check_captions(captions)
    was_training = model.training
    model.eval()  # no dropout while measuring
    chunks = []
    try:
        for start in range(0, len(captions), batch_size):
            batch = encode_captions(tokenizer, captions[start : start + batch_size])
            _check_length(batch["attention_mask"], model, start)
            batch = {name: tensor.to(model.device) for name, tensor in batch.items()}
            logits = model(input_ids=batch["input_ids"],
                           attention_mask=batch["attention_mask"]).logits
            # position t predicts token t + 1; -100 labels (padding) contribute 0
            nll = torch.nn.functional.cross_entropy(
                logits[:, :-1].transpose(1, 2).float(), batch["labels"][:, 1:],
                ignore_index=-100, reduction="none",
            )
            chunks.append(nll.sum(dim=1).cpu())
    finally:
        model.train(was_training)
    return torch.cat(chunks)


def untied_weights(model):
    """The weights of a GPT2LMHeadModel to store: all but the output layer, which is the token
    embedding again (safetensors refuses two names for one tensor)."""
    return {k: v for k, v in model.state_dict().items() if k != TIED_KEY}


def load_tied(model, tensors, where):
    """A GPT2LMHeadModel `model` with weights stored by `untied_weights` loaded and its output
    layer tied again, in eval mode; a file that does not fit raises CacheError."""
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if set(missing) - {TIED_KEY} or unexpected:
        raise CacheError(f"{where} does not match its config (missing {missing}, unexpected "
                         f"{unexpected}){REBUILD_HINT}")
    model.tie_weights()
    return model.eval()


def save_tiny_gpt(model, path, metadata=None):
    """Save the weights as safetensors, with the model's config as JSON in the file's metadata.

    One self-describing file, and no pickle: loading it can never run code.
    """
    meta = {"gpt2_config": model.config.to_json_string(), **(metadata or {})}
    return save_tensors(path, untied_weights(model), meta)


def load_tiny_gpt(path):
    """The model written by `save_tiny_gpt`, in eval mode; a corrupt file raises CacheError."""
    tensors = load_tensors(path)  # raises CacheError for a missing or corrupt file
    metadata = read_metadata(path)
    if "gpt2_config" not in metadata:
        raise CacheError(f"{path} holds no gpt2_config metadata: it was not written by "
                         f"save_tiny_gpt{REBUILD_HINT}")
    config = GPT2Config.from_dict(json.loads(metadata["gpt2_config"]))
    return load_tied(GPT2LMHeadModel(config), tensors, path)


def pretrained_tiny_gpt(lang="both", with_history=False):
    """The course's tiny GPT for `lang`: trained at the default budget on first use, then cached.

    Its tokenizer is `caption_tokenizer()`. The file remembers the TinyGPTConfig, the language
    and the tokenizer's vocabulary it was trained with; when any of them has changed since, the
    stale model is trained again. With `with_history`, returns (model, History): the loss curve
    of the training run that made it, stored in the file, so a notebook can plot it without
    training again.
    """
    if lang not in LANGS:
        raise BadInputError(f"unknown lang {lang!r}; expected one of {', '.join(LANGS)}")
    config = TinyGPTConfig()
    tokenizer = caption_tokenizer()
    name = f"tiny_gpt_{lang}.safetensors"

    def train():
        model, history = train_tiny_gpt(config, tokenizer, lang=lang)
        # the GPT-2 config beside the weights keeps the file readable by load_tiny_gpt
        return Trained(model, untied_weights(model), history,
                       {"gpt2_config": model.config.to_json_string()})

    def restore(tensors):
        return load_tied(GPT2LMHeadModel(config.gpt2_config(tokenizer)), tensors, name)

    data = fingerprint(shapes.world_fingerprint(), lang, sorted(tokenizer.get_vocab().items()))
    trained = load_or_train(name, config, data, train, restore)
    return (trained.value, trained.history) if with_history else trained.value


def _check_length(attention_mask, model, offset):
    """A caption longer than the model's context would fail deep inside torch; say so here."""
    lengths = attention_mask.sum(dim=1)
    limit = model.config.n_positions
    if lengths.max() > limit:
        i = offset + int(lengths.argmax())
        raise BadInputError(f"captions[{i}] is {int(lengths.max())} tokens long with <bos> and "
                            f"<eos>, more than the model's {limit} positions")


def _check_captions(captions):
    """Reject anything but a non-empty list or tuple of strings, naming the culprit."""
    if isinstance(captions, str) or not isinstance(captions, (list, tuple)):
        raise BadInputError(f"captions must be a list of str, got a {type(captions).__name__}")
    if not captions:
        raise BadInputError("captions is empty; pass at least one caption")
    for i, text in enumerate(captions):
        if not isinstance(text, str):
            raise BadInputError(f"captions[{i}] is a {type(text).__name__}, not a str")
