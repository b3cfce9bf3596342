"""Decoding: top-k and top-p filters by hand, seeded sampling, and greedy decoding vs generate."""

import math

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from tutorial_lib.errors import BadInputError
from tutorial_lib.text.sampling import (
    greedy_generate,
    sample_captions_from_model,
    sample_next_token,
    top_k_filter,
    top_p_filter,
)
from tutorial_lib.text.tokenizer import train_caption_tokenizer

INF = float("inf")
PROBS = [0.5, 0.3, 0.15, 0.05]


def log_probs(probs):
    return torch.tensor(probs).log()


def kept(filtered):
    """Which entries survived a filter, as nested lists of bools."""
    return torch.isfinite(filtered).tolist()


@pytest.fixture(scope="module")
def random_gpt():
    """A tiny randomly initialised GPT-2 with spread-out logits (so argmax ties cannot occur)."""
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=40, n_positions=64, n_embd=32, n_layer=2, n_head=2,
                        initializer_range=0.5, bos_token_id=0, eos_token_id=None,
                        pad_token_id=0)
    return GPT2LMHeadModel(config).eval()


# ---------------------------------------------------------------- top-k


def test_top_k_keeps_the_k_largest_logits():
    logits = torch.tensor([1.0, 3.0, 2.0, 0.0])
    assert top_k_filter(logits, 2).tolist() == [-INF, 3.0, 2.0, -INF]
    assert top_k_filter(logits, 1).tolist() == [-INF, 3.0, -INF, -INF]
    assert top_k_filter(logits, 10).tolist() == logits.tolist()  # k above the vocabulary size


def test_top_k_keeps_ties_with_the_kth_largest():
    logits = torch.tensor([1.0, 2.0, 2.0, 0.0])
    assert kept(top_k_filter(logits, 1)) == [False, True, True, False]
    assert kept(top_k_filter(logits, 3)) == [True, True, True, False]


def test_top_k_filters_each_row_of_a_batch():
    logits = torch.tensor([[1.0, 3.0, 2.0, 0.0], [4.0, 0.0, 1.0, 2.0]])
    assert kept(top_k_filter(logits, 2)) == [[False, True, True, False],
                                             [True, False, False, True]]


# ---------------------------------------------------------------- top-p


@pytest.mark.parametrize(("p", "expected"), [
    (0.01, [True, False, False, False]),  # the top token is always kept
    (0.5, [True, False, False, False]),   # 0.5 alone reaches 0.5
    (0.8, [True, True, False, False]),    # 0.5 + 0.3 reaches 0.8
    (0.81, [True, True, True, False]),    # 0.8 falls short of 0.81
    (0.95, [True, True, True, False]),
    (0.96, [True, True, True, True]),
    (1.0, [True, True, True, True]),
])
def test_top_p_keeps_the_smallest_set_reaching_p(p, expected):
    assert kept(top_p_filter(log_probs(PROBS), p)) == expected


def test_top_p_does_not_depend_on_the_order_of_the_vocabulary():
    order = [2, 0, 3, 1]
    shuffled = log_probs([PROBS[i] for i in order])
    assert kept(top_p_filter(shuffled, 0.8)) == [False, True, False, True]


def test_top_p_keeps_filtered_values_and_sets_the_rest_to_minus_infinity():
    logits = torch.tensor([2.0, 1.0, -3.0])
    filtered = top_p_filter(logits, 0.5)
    assert filtered[0] == 2.0 and filtered[1:].tolist() == [-INF, -INF]


def test_top_p_keeps_ties_with_the_last_needed_token():
    # 0.4 + 0.2 reaches 0.5 with any one of the three tied 0.2s; all three are kept
    logits = log_probs([0.2, 0.4, 0.2, 0.2])
    assert kept(top_p_filter(logits, 0.5)) == [True, True, True, True]
    assert kept(top_p_filter(logits, 0.4)) == [False, True, False, False]


def test_top_p_filters_each_row_of_a_batch():
    logits = torch.stack([log_probs(PROBS), log_probs([0.05, 0.15, 0.3, 0.5])])
    assert kept(top_p_filter(logits, 0.8)) == [[True, True, False, False],
                                               [False, False, True, True]]
    # leading dimensions of any number work alike
    assert kept(top_p_filter(logits[None], 0.8))[0] == kept(top_p_filter(logits, 0.8))


# ---------------------------------------------------------------- sampling


def test_seeded_sampling_is_reproducible_and_follows_the_probabilities():
    logits = log_probs(PROBS).expand(20_000, 4)
    first = sample_next_token(logits, generator=torch.Generator().manual_seed(1))
    again = sample_next_token(logits, generator=torch.Generator().manual_seed(1))
    assert first.shape == (20_000,) and first.dtype == torch.long
    assert torch.equal(first, again)
    frequencies = torch.bincount(first, minlength=4) / len(first)
    assert torch.allclose(frequencies, torch.tensor(PROBS), atol=0.015)


def test_filters_and_temperature_shape_the_draws():
    logits = log_probs(PROBS).expand(5000, 4)
    generator = torch.Generator().manual_seed(2)
    assert set(sample_next_token(logits, top_k=2, generator=generator).tolist()) == {0, 1}
    assert set(sample_next_token(logits, top_p=0.81, generator=generator).tolist()) == {0, 1, 2}
    assert set(sample_next_token(logits, top_k=1, generator=generator).tolist()) == {0}
    # a tiny temperature is (almost) greedy, a large one (almost) uniform
    assert set(sample_next_token(logits, temperature=1e-3, generator=generator).tolist()) == {0}
    hot = sample_next_token(logits, temperature=100.0, generator=generator)
    assert torch.bincount(hot, minlength=4).min() > 1000


def test_sampling_keeps_leading_dimensions():
    logits = torch.randn(3, 5, 7, generator=torch.Generator().manual_seed(0))
    assert sample_next_token(logits, top_k=3, top_p=0.9).shape == (3, 5)


# ---------------------------------------------------------------- greedy decoding


def test_greedy_generate_matches_generate_token_for_token(random_gpt):
    prompts = torch.randint(1, 40, (3, 5), generator=torch.Generator().manual_seed(0))
    ours = greedy_generate(random_gpt, prompts, max_new_tokens=20)
    theirs = random_gpt.generate(prompts, attention_mask=torch.ones_like(prompts),
                                 max_new_tokens=20, do_sample=False)
    assert ours.shape == (3, 25)
    assert torch.equal(ours, theirs)


def test_greedy_generate_stops_at_the_end_token_like_generate(random_gpt):
    prompts = torch.randint(1, 40, (2, 4), generator=torch.Generator().manual_seed(1))
    first, second = greedy_generate(random_gpt, prompts, max_new_tokens=15)[:, 4:].tolist()
    # The end token: one that row 0 produces early and row 1 much later or never, so that row 0
    # must be filled in while row 1 goes on.
    def end_step(row, token):
        return row.index(token) if token in row else len(row)
    eos = next(t for t in first if end_step(second, t) > end_step(first, t) + 2)
    ours = greedy_generate(random_gpt, prompts, max_new_tokens=15, eos_token_id=eos)
    theirs = random_gpt.generate(prompts, attention_mask=torch.ones_like(prompts),
                                 max_new_tokens=15, do_sample=False, eos_token_id=eos,
                                 pad_token_id=eos)
    assert torch.equal(ours, theirs)
    stop = end_step(first, eos)
    assert ours.shape[1] == 4 + min(15, end_step(second, eos) + 1)
    assert ours[0, 4 + stop :].eq(eos).all() and ours[0, 4 : 4 + stop].ne(eos).all()


def test_greedy_generate_accepts_one_unbatched_prompt(random_gpt):
    prompt = torch.tensor([3, 1, 4, 1, 5])
    out = greedy_generate(random_gpt, prompt, max_new_tokens=6)
    assert out.shape == (11,)
    assert torch.equal(out, greedy_generate(random_gpt, prompt[None], max_new_tokens=6)[0])
    assert torch.equal(greedy_generate(random_gpt, prompt, max_new_tokens=0), prompt)


# ---------------------------------------------------------------- captions from a model


def test_sampled_captions_are_reproducible_strings_without_special_tokens():
    tokenizer = train_caption_tokenizer(n_captions=2000)
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=12, n_embd=16, n_layer=1,
                        n_head=2)
    model = GPT2LMHeadModel(config).train()
    texts = sample_captions_from_model(model, tokenizer, 8, top_k=50, seed=3)
    assert len(texts) == 8 and all(isinstance(t, str) for t in texts)
    assert texts == sample_captions_from_model(model, tokenizer, 8, top_k=50, seed=3)
    assert texts != sample_captions_from_model(model, tokenizer, 8, top_k=50, seed=4)
    assert not any(token in t for t in texts for token in ("<bos>", "<eos>", "<pad>"))
    assert model.training  # the caller's mode is restored


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("k", [0, -1, 1.5, True, None])
def test_bad_k_is_rejected(k):
    with pytest.raises(BadInputError, match="top_k"):
        top_k_filter(torch.zeros(4), k)


@pytest.mark.parametrize("p", [0, -0.1, 1.01, math.nan, "0.5", True])
def test_bad_p_is_rejected(p):
    with pytest.raises(BadInputError, match="top_p"):
        top_p_filter(torch.zeros(4), p)


@pytest.mark.parametrize("temperature", [0, -1.0, math.nan])
def test_bad_temperature_is_rejected(temperature):
    with pytest.raises(BadInputError, match="temperature"):
        sample_next_token(torch.zeros(4), temperature=temperature)


@pytest.mark.parametrize("logits", [[0.0, 1.0], torch.tensor([1, 2]), torch.zeros(3, 0),
                                    torch.tensor(1.0)])
def test_bad_logits_are_rejected(logits):
    with pytest.raises(BadInputError, match="logits"):
        sample_next_token(logits)


@pytest.mark.parametrize("input_ids", [torch.zeros(0, dtype=torch.long),
                                       torch.zeros(1, 0, dtype=torch.long), [1, 2, 3]])
def test_greedy_generate_rejects_empty_or_non_tensor_prompts(random_gpt, input_ids):
    with pytest.raises(BadInputError, match="input_ids"):
        greedy_generate(random_gpt, input_ids, max_new_tokens=3)


def test_bad_sampling_requests_are_rejected(random_gpt):
    with pytest.raises(BadInputError, match="max_new_tokens"):
        greedy_generate(random_gpt, torch.tensor([1, 2]), max_new_tokens=-1)
    tokenizer = train_caption_tokenizer(n_captions=200)
    with pytest.raises(BadInputError, match="n must"):
        sample_captions_from_model(random_gpt, tokenizer, 0)
    with pytest.raises(BadInputError, match="seed"):
        sample_captions_from_model(random_gpt, tokenizer, 2, seed=-1)
