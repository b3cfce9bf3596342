"""Drawing is sampling: the GPT writes an image's 64 tokens one at a time.

Each step turns the model's logits over the K codes into one code: scaled by the
temperature, cut to the `top_k` most likely, then drawn. The draw is by inverse CDF from one
uniform number per image and step, taken from `seed`; the n images of a call share their
uniform numbers across prompts, as the GAN's n images share noise vectors, so image i of a
caption takes the same numbers whichever other captions are in the call (`pipeline.generate`
also draws each prompt in its own batch, so that rounding cannot differ either). Temperature
0 is greedy decoding: the most likely code every time, so one caption gives one picture.

The key-value cache (transformers' `cache`, once called `past_key_values`) keeps every
earlier position's attention keys and values, so each step runs the network on the one new
token instead of the whole sequence.

Classifier-free guidance for token models (as in Parti and LlamaGen): run the same network on
the caption and on the empty caption, and sample from
`logits = uncond + s * (cond - uncond)` (LlamaGen's form, Sun et al. 2024; s = 1 is plain
conditional sampling, s > 1 pushes away from what any caption would give).
"""

import torch

from tutorial_lib.errors import BadInputError
from tutorial_lib.tokens.model import IMAGE_TOKENS, TokenGPT

# Chosen by a sweep on the default model (seed 0) during development: stronger guidance and
# a hotter sampler drew broken shapes more often. `make bench` measures these defaults.
GUIDANCE = 1.5
TEMPERATURE = 0.7
TOP_K = 32
BATCH = 256  # images per forward pass: the cache of 256 sequences is a few MB


def check_sampling(temperature: float, top_k: int | None, guidance: float) -> None:
    """One clear BadInputError for a sampling setting that means nothing."""
    if not isinstance(temperature, (int, float)) or not 0 <= temperature <= 10:
        raise BadInputError(f"temperature must be a number in [0, 10], got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)
                              or top_k < 1):
        raise BadInputError(f"top_k must be a whole number >= 1 or None, got {top_k!r}")
    if not isinstance(guidance, (int, float)) or not 0 <= guidance <= 20:
        raise BadInputError(f"guidance must be a number in [0, 20], got {guidance!r}")


def guided_logits(cond: torch.Tensor, uncond: torch.Tensor, scale: float) -> torch.Tensor:
    """Classifier-free guidance: uncond + scale * (cond - uncond)."""
    return uncond + scale * (cond - uncond)


def pick(logits: torch.Tensor, uniform: torch.Tensor, temperature: float,
         top_k: int | None) -> torch.Tensor:
    """(N, K) logits and (N,) uniform numbers in [0, 1) -> (N,) codes: greedy at temperature 0,
    otherwise the code at which the cumulative probability passes the uniform number."""
    if temperature == 0:
        return logits.argmax(-1)
    logits = logits / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = logits.topk(top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    cdf = logits.softmax(-1).cumsum(-1)
    index = torch.searchsorted(cdf, uniform[:, None].to(cdf.dtype) * cdf[:, -1:])
    return index.squeeze(1).clamp(max=logits.shape[-1] - 1)


@torch.no_grad()
def _sample_batch(model: TokenGPT, captions: torch.Tensor, uniform: torch.Tensor,
                  temperature: float, top_k: int | None, guidance: float | None,
                  use_cache: bool) -> torch.Tensor:
    """The codes of one batch; guidance None runs the caption alone (no unconditional half)."""
    guided = guidance is not None
    inputs = model.prefix(captions)
    if guided:
        inputs = torch.cat([inputs, model.prefix(torch.full_like(captions, model.pad_id))])
    cache, codes = None, []
    for step in range(IMAGE_TOKENS):
        if use_cache:
            new = inputs if cache is None else inputs[:, -1:]
            out = model.gpt.transformer(input_ids=new, cache=cache, use_cache=True)
            cache = out.cache
        else:
            out = model.gpt.transformer(input_ids=inputs, use_cache=False)
        logits = model.code_logits(out.last_hidden_state[:, -1])
        if guided:
            logits = guided_logits(*logits.chunk(2), guidance)
        code = pick(logits, uniform[:, step], temperature, top_k)
        codes.append(code)
        token = code + model.code_offset
        inputs = torch.cat([inputs, torch.cat([token, token] if guided else [token])[:, None]],
                           1)
    return torch.stack(codes, 1)


def sample_tokens(model: TokenGPT, captions: torch.Tensor, n: int = 1, seed: int = 0,
                  temperature: float = TEMPERATURE, top_k: int | None = TOP_K,
                  guidance: float = GUIDANCE, use_cache: bool = True) -> torch.Tensor:
    """n images' tokens (len(captions) * n, 64) for each caption row, grouped by caption."""
    check_sampling(temperature, top_k, guidance)
    uniform = torch.rand(n, IMAGE_TOKENS, generator=torch.Generator().manual_seed(seed))
    rows = captions.repeat_interleave(n, 0)
    uniform = uniform.repeat(len(captions), 1)
    # at scale 1 guidance is conditional sampling, so the unconditional half is skipped
    scale = None if guidance == 1 else guidance
    return torch.cat([_sample_batch(model, rows[i:i + BATCH], uniform[i:i + BATCH],
                                    temperature, top_k, scale, use_cache)
                      for i in range(0, len(rows), BATCH)])
