"""The tiny caption GPT: it learns, its NLL counts the end token, and it saves, loads and caches."""

import collections
import dataclasses
import functools
import json
import math
import types

import pytest
import torch
from transformers.modeling_outputs import CausalLMOutput

from tutorial_lib.data.shapes import caption_entropy, sample_captions
from tutorial_lib.errors import BadInputError, CacheError, CacheWarning
from tutorial_lib.runtime import read_metadata
from tutorial_lib.text import tiny_gpt
from tutorial_lib.text.tiny_gpt import (
    TinyGPTConfig,
    caption_nll,
    encode_captions,
    learning_rate,
    load_tiny_gpt,
    pretrained_tiny_gpt,
    save_tiny_gpt,
    train_tiny_gpt,
)
from tutorial_lib.text.tokenizer import train_caption_tokenizer

SHORT_RUN = TinyGPTConfig(n_layer=1, n_embd=32, n_head=2, steps=200, batch_size=32, lr=1e-2,
                          warmup_steps=20)


@pytest.fixture(scope="module")
def tokenizer():
    return train_caption_tokenizer(n_captions=5000)


@pytest.fixture(scope="module")
def short_run(tokenizer):
    """(model, history) of a 200-step run on English captions: about two seconds."""
    return train_tiny_gpt(SHORT_RUN, tokenizer, lang="en", progress=False)


class UniformLM(torch.nn.Module):
    """A stand-in language model whose logits are all zero: every token has probability 1/V."""

    def __init__(self, vocab_size):
        super().__init__()
        self.vocab_size = vocab_size
        self.config = types.SimpleNamespace(n_positions=64)
        self.device = torch.device("cpu")

    def forward(self, input_ids, attention_mask=None):
        return CausalLMOutput(logits=torch.zeros(*input_ids.shape, self.vocab_size))


def unigram_nll(tokenizer, train, test):
    """Mean NLL per test caption of a unigram model fitted to the training captions' tokens."""
    def tokens(captions):
        ids = tokenizer(captions, add_special_tokens=False)["input_ids"]
        return [row + [tokenizer.eos_token_id] for row in ids]  # the end token is predicted too

    counts = collections.Counter(t for row in tokens(train) for t in row)
    total = sum(counts.values())
    return sum(-math.log(counts[t] / total) for row in tokens(test) for t in row) / len(test)


def test_a_short_run_beats_the_unigram_baseline_by_far(tokenizer, short_run):
    model, history = short_run
    test = sample_captions(500, seed=1, split="test", lang="en")
    nll = caption_nll(model, tokenizer, test).mean().item()
    baseline = unigram_nll(tokenizer, sample_captions(5000, seed=2, lang="en"), test)
    assert nll < 0.5 * baseline  # about 8.6 against 33.6 nats
    assert nll < caption_entropy("en") + 1.0  # and within a nat of the best possible
    losses = history.values["loss"]
    assert losses[-1] < losses[0] / 3
    assert not model.training


def test_caption_nll_counts_every_token_and_the_end_token(tokenizer):
    vocab_size = len(tokenizer)
    captions = ["a red circle", "正中间有一个小的红色圆形", ""]
    nll = caption_nll(UniformLM(vocab_size), tokenizer, captions)
    # n caption tokens + 1 end token, each with probability 1 / V
    predicted = [len(tokenizer(c, add_special_tokens=False)["input_ids"]) + 1 for c in captions]
    assert predicted == [4, 13, 1]
    assert torch.allclose(nll, torch.tensor(predicted) * math.log(vocab_size))


def test_caption_nll_equals_a_manual_cross_entropy(tokenizer, short_run):
    model, _ = short_run
    text = "there is a big blue circle in the middle"
    ids = [tokenizer.bos_token_id, *tokenizer(text, add_special_tokens=False)["input_ids"],
           tokenizer.eos_token_id]
    with torch.no_grad():
        log_probs = torch.log_softmax(model(torch.tensor([ids])).logits[0], dim=-1)
    manual = -sum(log_probs[t, ids[t + 1]] for t in range(len(ids) - 1))
    end_term = -log_probs[len(ids) - 2, tokenizer.eos_token_id]
    assert end_term > 1e-3  # leaving the end token out would show
    # padding in a batch with a longer caption changes nothing
    batch = [text, "in the top left there is a little magenta triangle", "a red circle"]
    assert caption_nll(model, tokenizer, batch)[0].item() == pytest.approx(manual.item(),
                                                                          abs=1e-4)


def test_training_batches_frame_captions_and_ignore_padding(tokenizer):
    batch = encode_captions(tokenizer, ["a red circle", "a big red circle at the top left"])
    ids, labels = batch["input_ids"], batch["labels"]
    assert ids[:, 0].eq(tokenizer.bos_token_id).all()
    assert ids[0].tolist()[:6] == [1, *tokenizer("a red circle")["input_ids"], 2, 0]
    assert labels[0].tolist()[4:] == [2] + [-100] * (ids.shape[1] - 5)
    assert labels[1].ne(-100).all() and ids[1, -1] == tokenizer.eos_token_id


def test_training_restores_the_callers_thread_count(tokenizer):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        config = dataclasses.replace(SHORT_RUN, steps=2, threads=1)
        train_tiny_gpt(config, tokenizer, lang="zh", progress=False)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_the_schedule_warms_up_then_decays_to_min_lr():
    config = TinyGPTConfig(steps=1000, warmup_steps=100, lr=1e-2, min_lr=1e-4)
    lrs = [learning_rate(step, config) for step in range(1000)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[99] == pytest.approx(1e-2)
    assert all(a >= b for a, b in zip(lrs[99:], lrs[100:], strict=False))
    assert lrs[-1] == pytest.approx(1e-4, rel=1e-3)


def test_save_and_load_give_identical_logits(tokenizer, short_run, tmp_path):
    model, _ = short_run
    path = save_tiny_gpt(model, tmp_path / "model.safetensors")
    loaded = load_tiny_gpt(path)
    ids = encode_captions(tokenizer, ["a small red square at the top left"])["input_ids"]
    with torch.no_grad():
        assert torch.equal(loaded(ids).logits, model(ids).logits)
    assert loaded.config.to_dict() == model.config.to_dict()
    # the output layer is the token embedding again, not a copy
    assert loaded.lm_head.weight.data_ptr() == loaded.transformer.wte.weight.data_ptr()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_file_raises_cache_error(short_run, tmp_path, damage):
    path = save_tiny_gpt(short_run[0], tmp_path / "model.safetensors")
    data = path.read_bytes()
    path.write_bytes(b"not a safetensors file" if damage == "garbage" else data[: len(data) // 2])
    with pytest.raises(CacheError, match="corrupt"):
        load_tiny_gpt(path)


def test_a_missing_file_raises_cache_error(tmp_path):
    with pytest.raises(CacheError):
        load_tiny_gpt(tmp_path / "nothing.safetensors")


def test_pretrained_model_is_trained_once_then_loaded(isolated_cache, monkeypatch):
    monkeypatch.setenv("TUTORIAL_FAST", "1")  # the fast budget: a few seconds
    first = pretrained_tiny_gpt("en")
    path = isolated_cache / "fast" / "tiny_gpt_en.safetensors"
    assert path.is_file()

    def no_training(*args, **kwargs):
        raise AssertionError("the cached model should have been loaded, not retrained")

    monkeypatch.setattr("tutorial_lib.text.tiny_gpt.train_tiny_gpt", no_training)
    again = pretrained_tiny_gpt("en")
    ids = torch.tensor([[1, 5, 9, 2]])
    with torch.no_grad():
        assert torch.equal(first(ids).logits, again(ids).logits)

    # a changed TinyGPTConfig retrains (here a 3-step run), and so does a corrupt file
    trainings = []

    def counted(config, tokenizer, lang):
        trainings.append(config)
        return train_tiny_gpt(config, tokenizer, lang=lang, progress=False)

    monkeypatch.setattr(tiny_gpt, "train_tiny_gpt", counted)
    monkeypatch.setattr(tiny_gpt, "TinyGPTConfig",
                        functools.partial(TinyGPTConfig, steps=3, warmup_steps=1))
    with pytest.warns(CacheWarning, match="other settings"):
        pretrained_tiny_gpt("en")
    assert [config.steps for config in trainings] == [3]
    assert json.loads(read_metadata(path)["config"])["steps"] == 3
    assert load_tiny_gpt(path) is not None  # the cache file is still a save_tiny_gpt file

    path.write_bytes(path.read_bytes()[:100])  # a disk error cut the file short
    with pytest.warns(CacheWarning, match="corrupt"):
        pretrained_tiny_gpt("en")
    assert len(trainings) == 2


def test_fast_mode_shrinks_the_training_budget(monkeypatch):
    full = TinyGPTConfig()
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    fast = TinyGPTConfig()
    assert fast.steps * 10 < full.steps
    assert (fast.n_embd, fast.n_layer) == (full.n_embd, full.n_layer)  # same model, less training


@pytest.mark.parametrize("captions", ["a red circle", [], ["a red circle", 3], None])
def test_bad_captions_are_rejected(tokenizer, captions):
    with pytest.raises(BadInputError, match="captions"):
        caption_nll(UniformLM(len(tokenizer)), tokenizer, captions)


def test_a_caption_longer_than_the_context_is_rejected(tokenizer, short_run):
    too_long = "a red circle " * 20
    with pytest.raises(BadInputError, match=r"captions\[1\] is \d+ tokens long"):
        caption_nll(short_run[0], tokenizer, ["a red circle", too_long])


def test_unknown_language_is_rejected(tokenizer):
    with pytest.raises(BadInputError, match="lang"):
        train_tiny_gpt(SHORT_RUN, tokenizer, lang="fr", progress=False)
    with pytest.raises(BadInputError, match="lang"):
        pretrained_tiny_gpt("fr")
