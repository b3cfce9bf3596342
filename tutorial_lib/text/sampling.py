"""Turning next-token logits into text: greedy decoding, temperature, top-k and top-p sampling.

A language model only ever answers one question: given the tokens so far, how likely is each
possible next token? Generating text repeats that question, appending one chosen token at a
time. The functions here are the choices:

- greedy: always the most likely token (deterministic, and often repetitive);
- temperature: divide the logits by T before the softmax; T < 1 sharpens, T > 1 flattens;
- top-k: sample only among the k most likely tokens;
- top-p (nucleus): sample only among the fewest most likely tokens whose probabilities add up
  to at least p, so the candidate set shrinks when the model is sure and grows when it is not.

Filtered-out tokens get a logit of -inf, which the softmax turns into probability exactly 0.
"""

import numbers

import torch

from tutorial_lib.errors import BadInputError

# Probabilities computed from float32 logits are off by about 1e-7, so a set whose probability
# is p up to that rounding counts as reaching p (say 0.5 + 0.3 for p = 0.8).
TOP_P_TOLERANCE = 1e-6


def top_k_filter(logits, k):
    """Logits with all but the k largest along the last dimension set to -inf.

    Tokens tied with the k-th largest are all kept (as in transformers), so the result never
    depends on how a sort happens to order equal values. A k above the vocabulary size keeps
    every token.
    """
    _check_logits(logits)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k <= 0:
        raise BadInputError(f"top_k must be a positive integer, got {k!r}")
    k = min(int(k), logits.shape[-1])
    kth_largest = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth_largest, float("-inf"))


def top_p_filter(logits, p):
    """Nucleus filtering: keep the fewest most likely tokens whose total probability is >= p.

    The most likely token is always kept, whatever p, and so is every token tied with the
    least likely kept one. p = 1 keeps every token.
    """
    _check_logits(logits)
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 < p <= 1:
        raise BadInputError(f"top_p must be a number in (0, 1], got {p!r}")
    if p == 1:
        return logits.clone()
    sorted_logits, _ = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits.double(), dim=-1)
    # A token is needed while the more likely tokens before it still fall short of p; the
    # first token has nothing before it, so it is always needed.
    mass_before = torch.cumsum(probs, dim=-1) - probs
    needed = mass_before < p - TOP_P_TOLERANCE
    # The smallest needed logit is the threshold: comparing against it keeps ties together.
    threshold = sorted_logits.masked_fill(~needed, float("inf")).min(dim=-1, keepdim=True).values
    return logits.masked_fill(logits < threshold, float("-inf"))


def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    """Draw one token id per row of logits (..., vocab); returns a long tensor of shape (...).

    Temperature is applied first, then top-k, then top-p, as transformers' `generate` does.
    Pass a seeded torch.Generator to make the draw reproducible.
    """
    _check_logits(logits)
    if (isinstance(temperature, bool) or not isinstance(temperature, numbers.Real)
            or not temperature > 0):
        raise BadInputError(
            f"temperature must be a positive number, got {temperature!r} (for the most likely "
            "token, use greedy decoding instead of temperature 0)"
        )
    logits = logits.float() / temperature
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = torch.softmax(logits, dim=-1)
    # multinomial wants a matrix: flatten the leading dimensions, then restore them
    flat = probs.reshape(-1, probs.shape[-1])
    tokens = torch.multinomial(flat, num_samples=1, generator=generator)
    return tokens.reshape(probs.shape[:-1])


@torch.no_grad()
def greedy_generate(model, input_ids, max_new_tokens, eos_token_id=None):
    """Greedy decoding, one step at a time: append the argmax of the last position's logits.

    input_ids is (batch, length) or (length,), prompts of equal length (there is no attention
    mask, so no padding); the result has the same number of dimensions, prompt included. Put
    the model in eval mode first, as for `generate`, or dropout makes the argmax random.

    Generation stops early once every row has produced eos_token_id; rows that finished
    earlier are filled with eos_token_id, as `model.generate` does when the pad token is the
    end token. Every step reruns the model on the whole sequence: slower than the key-value
    cache that `generate` uses, but the loop is all there is to see.
    """
    if not isinstance(input_ids, torch.Tensor) or input_ids.dim() not in (1, 2):
        raise BadInputError("input_ids must be a tensor of token ids, (batch, length) or (length,)")
    if input_ids.numel() == 0:
        raise BadInputError("input_ids is empty: greedy decoding needs at least one prompt token")
    if (isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, numbers.Integral)
            or max_new_tokens < 0):
        raise BadInputError(
            f"max_new_tokens must be a non-negative integer, got {max_new_tokens!r}"
        )
    ids = input_ids if input_ids.dim() == 2 else input_ids.unsqueeze(0)
    ids = ids.to(model.device)
    finished = torch.zeros(ids.shape[0], dtype=torch.bool, device=ids.device)
    for _ in range(max_new_tokens):
        logits = model(input_ids=ids).logits[:, -1, :]
        # keep the token as a tensor of shape (batch, 1): `.item()` would turn it into a Python
        # int, which has no .unsqueeze and cannot hold one token per row
        next_token = logits.argmax(dim=-1, keepdim=True)
        if eos_token_id is not None:
            next_token = next_token.masked_fill(finished.unsqueeze(-1), eos_token_id)
            finished |= next_token.squeeze(-1) == eos_token_id
        ids = torch.cat([ids, next_token], dim=-1)
        if finished.all():
            break
    return ids if input_ids.dim() == 2 else ids.squeeze(0)


@torch.no_grad()
def sample_captions_from_model(model, tokenizer, n, temperature=1.0, top_k=None, top_p=None,
                               seed=0, max_new_tokens=None):
    """n texts sampled from <bos>, decoded with the special tokens left out.

    Generation stops at <eos> or after max_new_tokens tokens (by default, as many as the
    model has positions left). Like `greedy_generate`, every step reruns the model on the whole
    sequence, which costs little for captions of a dozen tokens.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n <= 0:
        raise BadInputError(f"n must be a positive integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise BadInputError(f"seed must be a non-negative integer, got {seed!r}")
    if max_new_tokens is None:
        max_new_tokens = model.config.n_positions - 1
    generator = torch.Generator(device=model.device).manual_seed(int(seed))
    was_training = model.training
    model.eval()  # no dropout while sampling
    ids = torch.full((n, 1), tokenizer.bos_token_id, device=model.device)
    finished = torch.zeros(n, dtype=torch.bool, device=model.device)
    try:
        for _ in range(max_new_tokens):
            logits = model(input_ids=ids).logits[:, -1, :]
            next_token = sample_next_token(logits, temperature, top_k, top_p, generator)
            # finished rows get <eos> again, which decoding leaves out
            next_token = next_token.masked_fill(finished, tokenizer.eos_token_id)
            ids = torch.cat([ids, next_token.unsqueeze(-1)], dim=-1)
            finished |= next_token == tokenizer.eos_token_id
            if finished.all():
                break
    finally:
        model.train(was_training)
    return tokenizer.batch_decode(ids, skip_special_tokens=True)


def _check_logits(logits):
    """Logits must be a floating-point tensor with at least one entry along the last dimension."""
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise BadInputError("logits must be a floating-point tensor (..., vocabulary size)")
    if logits.dim() == 0 or logits.shape[-1] == 0:
        raise BadInputError(
            f"logits must have a non-empty last dimension, got shape {tuple(logits.shape)}"
        )
