"""Prompts: what every model that takes text refuses, and the prompts the course scores with.

`check_prompts` and `check_generate_args` are shared by every generator's `generate`, the
retrieval search and the assisted loop, so they all refuse the same things with the same
message. `evaluation_prompts` are the fixed prompts of the four evaluation splits:

- seen: captions of the test split, whose attribute combinations the generators trained on
  (but fresh captions, and pictures no model trained on);
- heldout_pairs: captions of the four colour-shape pairs no training image shows;
- chinese: Chinese captions of the test split;
- paraphrase: English paraphrases in words absent from every template (`data.paraphrases`).
"""

import numbers
import unicodedata

from tutorial_lib.data import shapes
from tutorial_lib.data.paraphrases import paraphrases
from tutorial_lib.errors import BadInputError

MAX_PROMPT_CHARS = 300  # a shapes-world caption is under 60; longer text is not a description
MAX_IMAGES = 10_000  # per call: 10,000 images are 30 MB; more is a typo, not a request
EVAL_SPLITS = ("seen", "heldout_pairs", "chinese", "paraphrase")
EVAL_SEED = 123  # the reported prompts; training and model choice never look at this draw


def check_prompts(prompts) -> list[str]:
    """A list of prompts, each a non-empty str of at most MAX_PROMPT_CHARS with at least one
    letter or CJK character; one clear BadInputError otherwise."""
    if isinstance(prompts, str):
        prompts = [prompts]
    if not isinstance(prompts, (list, tuple)):
        raise BadInputError(f"prompts must be a str or a list of str, got "
                            f"{type(prompts).__name__}")
    if not prompts:
        raise BadInputError("give at least one prompt")
    prompts = list(prompts)
    for prompt in prompts:
        if not isinstance(prompt, str):
            raise BadInputError(f"prompts must be str, got {type(prompt).__name__}")
        if not prompt.strip():
            raise BadInputError("the prompt is empty: describe a shape, e.g. 'a small red circle "
                                "at the top left'")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise BadInputError(f"the prompt has {len(prompt)} characters; describe one shape in "
                                f"at most {MAX_PROMPT_CHARS}")
        if not any(unicodedata.category(ch).startswith("L") for ch in prompt):
            raise BadInputError(f"the prompt {prompt!r} has no words in it")
    return prompts


def is_chinese(text: str) -> bool:
    """True when the text contains a CJK ideograph."""
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def check_generate_args(prompts, n, seed) -> list[str]:
    """The prompts as a list, or one BadInputError for bad prompts, n, seed or too many
    images; shared by every model's `generate`, so they all refuse the same things."""
    prompts = check_prompts(prompts)
    for name, value, low in (("n", n, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise BadInputError(f"{name} must be a whole number >= {low}, got {value!r}")
    if len(prompts) * n > MAX_IMAGES:
        raise BadInputError(f"{len(prompts)} prompts x n={n} is more than {MAX_IMAGES} images")
    return prompts


def evaluation_prompts(split: str, n: int = 500) -> tuple[list[str], list[dict]]:
    """(prompts, the attribute dicts they ask for) of one evaluation split."""
    if split == "paraphrase":
        return paraphrases(n, seed=EVAL_SEED)
    sources = {"seen": ("test", "en"), "heldout_pairs": ("heldout", "en"),
               "chinese": ("test", "zh")}
    if split not in sources:
        raise BadInputError(f"unknown evaluation split {split!r}; choose one of "
                            f"{', '.join(EVAL_SPLITS)}")
    data_split, lang = sources[split]
    sample = shapes.sample(n, seed=EVAL_SEED, split=data_split, lang=lang)
    return sample.captions, sample.attrs
