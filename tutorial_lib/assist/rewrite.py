"""From a free-form request to a canonical caption the generator was trained on.

Three routes, all offline:

- `llm_free`: the pretrained SmolLM2-135M-Instruct is shown the grammar's words and a few worked
  examples in a chat prompt (few-shot prompting) and writes an answer; the answer counts only if
  the dataset's parser reads it as a caption of the grammar;
- `llm`: the same model and prompt, but the answer is built slot by slot and at each slot the
  model may only choose among the grammar's words (grammar-constrained decoding): every answer
  is a caption, and the model's knowledge decides which;
- `reader`: the course's own models. Chapter 4's text encoder (MiniLM for English, the
  distilled student for Chinese) and its linear attribute reader give a probability for every
  colour, shape, size, row and column; the most likely value of each makes the caption. It
  knows nothing the training captions did not teach it.
"""

import copy

import torch

from tutorial_lib.data import captions, shapes
from tutorial_lib.data.attributes import ATTRIBUTE_CLASSES
from tutorial_lib.data.prompts import check_prompts
from tutorial_lib.errors import BadInputError
from tutorial_lib.text.pretrained import load_causal_lm

ROUTES = ("reader", "llm", "llm_free")
MAX_NEW_TOKENS = 24  # a caption and some room: an answer that runs on is not one anyway
SYSTEM_PROMPT = (
    "You turn a drawing request into one caption of the form "
    "'a SIZE COLOUR SHAPE POSITION'. SIZE is small or large. COLOUR is red, yellow, green, "
    "cyan, blue or magenta. SHAPE is circle, square, triangle or diamond. POSITION is one of: "
    "at the top left, at the top center, at the top right, at the middle left, in the center, "
    "at the middle right, at the bottom left, at the bottom center, at the bottom right. "
    "If the request does not say, use large, red, circle or in the center. "
    "Answer with the caption only.")
# Worked examples, written for the prompt; none of them is in the evaluation requests.
FEW_SHOT = (
    ("please paint a big yellow triangle up in the right-hand top corner",
     "a large yellow triangle at the top right"),
    ("I need a tiny blue square, lower left", "a small blue square at the bottom left"),
    ("a magenta diamond on the left edge, small", "a small magenta diamond at the middle left"),
    ("在正中间画一个小的绿色圆形", "a small green circle in the center"),
)


def chat_messages(request: str) -> list[dict]:
    """The few-shot chat: the system prompt, the worked examples as earlier turns, the request."""
    messages = [{"role": "system", "content": SYSTEM_PROMPT}]
    for user, assistant in FEW_SHOT:
        messages += [{"role": "user", "content": user},
                     {"role": "assistant", "content": assistant}]
    return messages + [{"role": "user", "content": request}]


@torch.no_grad()
def llm_rewrite(requests: list[str]) -> list[str]:
    """SmolLM2's greedy answer to each request's few-shot chat (raw text, first line only)."""
    tokenizer, model = load_causal_lm("smollm2")  # loaded once per process
    answers = []
    for request in requests:
        inputs = tokenizer.apply_chat_template(chat_messages(request), add_generation_prompt=True,
                                               return_tensors="pt", return_dict=True)
        output = model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=False,
                                pad_token_id=tokenizer.pad_token_id)
        text = tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        answers.append(text.strip().split("\n")[0])
    return answers


def reader_attributes(requests: list[str]) -> list[dict]:
    """The attribute reader's most likely colour, shape, size, row and column of each request."""
    from tutorial_lib.text.encoders import text_encoder

    with torch.no_grad():
        probabilities = text_encoder("bilingual")(requests)
    picks = torch.stack([block.argmax(1) for block in probabilities.split(ATTRIBUTE_CLASSES, 1)],
                        1)
    return [{name: values[i] for (name, values), i in zip(shapes.ATTRIBUTES, row, strict=True)}
            for row in picks.tolist()]


def canonical_captions(requests, route: str = "reader") -> list[str | None]:
    """One canonical English caption per request, or None where the route produced no caption
    of the grammar (only llm_free can fail that way)."""
    requests = check_prompts(requests)
    if route == "llm_free":
        return [text if captions.parse_caption(text) else None
                for text in (captions.normalize(answer) for answer in llm_rewrite(requests))]
    if route == "llm":
        return llm_choose(requests)
    if route == "reader":
        return [captions.caption(attrs, "en") for attrs in reader_attributes(requests)]
    raise BadInputError(f"unknown route {route!r}; choose one of {', '.join(ROUTES)}")


def _slot_options() -> list[tuple[str, ...]]:
    """The allowed words of each slot of the canonical caption 'a SIZE COLOUR SHAPE POSITION'."""
    grammar = captions.ENGLISH
    positions = tuple(phrases[0] for phrases in grammar.words["pos"].values())
    return [tuple(grammar.words["size"]), tuple(grammar.words["color"]),
            tuple(grammar.words["shape"]), positions]


@torch.no_grad()
def option_logprobs(model, cache, last_logits, options_ids) -> torch.Tensor:
    """log P(option | prefix) for each option (a list of token ids), the prefix given by its
    key-value cache and the logits of its last position: the sum of the option's token
    log-probabilities. All options are scored in one batch on copies of the cache, so the
    long few-shot prompt is read once per request, not once per option."""
    width = max(len(ids) for ids in options_ids)
    batch = torch.zeros(len(options_ids), width, dtype=torch.long)
    mask = torch.zeros(len(options_ids), width, dtype=torch.bool)
    for row, ids in enumerate(options_ids):
        batch[row, :len(ids)], mask[row, :len(ids)] = torch.tensor(ids), True
    expanded = copy.deepcopy(cache)
    expanded.batch_repeat_interleave(len(options_ids))
    prefix_mask = torch.ones(len(options_ids), expanded.get_seq_length(), dtype=torch.long)
    logits = model(input_ids=batch, cache=expanded, use_cache=True,
                   attention_mask=torch.cat([prefix_mask, mask.long()], 1)).logits
    # the first option token is predicted by the prefix's last position, the rest by the option
    logits = torch.cat([last_logits.expand(len(options_ids), 1, -1), logits[:, :-1]], 1)
    token_logp = logits.log_softmax(-1).gather(2, batch.unsqueeze(2)).squeeze(2)
    return (token_logp * mask).sum(1)


@torch.no_grad()
def llm_choose(requests: list[str]) -> list[str]:
    """SmolLM2 fills the canonical caption slot by slot, choosing only among the grammar's words
    (grammar-constrained decoding): its answer is always a caption of the grammar."""
    tokenizer, model = load_causal_lm("smollm2")  # loaded once per process
    answers = []
    for request in requests:
        prompt = tokenizer.apply_chat_template(chat_messages(request), add_generation_prompt=True,
                                               tokenize=False) + "a"
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
        out = model(input_ids=ids, use_cache=True)
        cache, last_logits, words = out.cache, out.logits[:, -1:], []
        for options in _slot_options():
            options_ids = [tokenizer(" " + option, add_special_tokens=False)["input_ids"]
                           for option in options]
            choice = int(option_logprobs(model, cache, last_logits, options_ids).argmax())
            words.append(options[choice])
            step = model(input_ids=torch.tensor([options_ids[choice]]), cache=cache,
                         use_cache=True)
            cache, last_logits = step.cache, step.logits[:, -1:]
        answers.append("a " + " ".join(words))
    return answers
