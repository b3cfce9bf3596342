"""Text completion with the course's language models: the job behind `python -m tutorial_lib
complete`. "smollm2" is the pretrained SmolLM2-135M-Instruct; "tiny" is the course's own GPT-2,
which only knows shapes-world captions (give it the start of one, e.g. "a small red").
"""

import torch

from tutorial_lib.errors import BadInputError

MODELS = ("smollm2", "tiny")


def _load(model_name: str):
    """(tokenizer, model, ids to put before the prompt) for a model name of MODELS."""
    if model_name == "smollm2":
        from tutorial_lib.text.pretrained import load_causal_lm

        tokenizer, model = load_causal_lm("smollm2")
        return tokenizer, model, []
    if model_name == "tiny":
        from tutorial_lib.text.tiny_gpt import pretrained_tiny_gpt
        from tutorial_lib.text.tokenizer import caption_tokenizer

        tokenizer = caption_tokenizer()
        return tokenizer, pretrained_tiny_gpt("both"), [tokenizer.bos_token_id]
    raise BadInputError(f"unknown model {model_name!r}: choose one of {', '.join(MODELS)}")


def _check_options(prompt, max_new_tokens, top_p) -> None:
    if not isinstance(prompt, str):
        raise BadInputError(f"the prompt must be text, got a {type(prompt).__name__}")
    if not prompt.strip():
        raise BadInputError("the prompt is empty: give the model some text to continue")
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) \
            or max_new_tokens <= 0:
        raise BadInputError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")
    if top_p is not None and not 0 < top_p <= 1:
        raise BadInputError(f"top_p must be in (0, 1], got {top_p!r}")


def complete(prompt: str, model: str = "smollm2", max_new_tokens: int = 40,
             top_p: float | None = None, seed: int = 0) -> str:
    """Continue `prompt`: greedy by default, nucleus sampling (seeded) when top_p is given.

    Returns only the new text. A prompt that leaves no room in the model's context for
    `max_new_tokens` more tokens is refused up front rather than failing inside the model.
    """
    _check_options(prompt, max_new_tokens, top_p)
    tokenizer, lm, prefix = _load(model)
    ids = prefix + tokenizer(prompt, add_special_tokens=False)["input_ids"]
    context = lm.config.max_position_embeddings
    if len(ids) + max_new_tokens > context:
        raise BadInputError(f"the prompt is {len(ids)} tokens; with {max_new_tokens} new tokens "
                            f"it exceeds the model's context of {context} tokens")
    input_ids = torch.tensor([ids])
    sampling = {"do_sample": False} if top_p is None else {"do_sample": True, "top_p": top_p,
                                                            "top_k": 0, "temperature": 1.0}
    torch.manual_seed(seed)
    with torch.no_grad():
        output = lm.generate(input_ids, attention_mask=torch.ones_like(input_ids),
                             max_new_tokens=max_new_tokens, pad_token_id=tokenizer.pad_token_id,
                             eos_token_id=tokenizer.eos_token_id, **sampling)
    return tokenizer.decode(output[0, len(ids):], skip_special_tokens=True)
