"""The prompt filter blocks its words in both languages, lets shapes prompts through, and
says clearly when the input is not a prompt."""

import numpy as np
import pytest

from tutorial_lib import safety
from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError


@pytest.mark.parametrize("concept, term", [(c, t) for c, terms in safety.BLOCKLIST.items()
                                           for t in terms])
def test_every_blocklisted_word_is_blocked(concept, term):
    prompt = f"一张{term}的图片" if safety.re.search(r"[\u4e00-\u9fff]", term) \
        else f"a picture of a {term} at the top"
    assert safety.blocklist_hit(prompt) == (concept, term)
    result = safety.PromptFilter(threshold=2.0)(prompt)  # threshold 2: the blocklist alone
    assert not result.allowed and repr(term) in result.reason


def test_whole_words_only_in_english():
    for benign in ("shoot a photo of a circle", "a red fire truck", "a gunnysack"):
        assert safety.blocklist_hit(benign) is None
    assert safety.blocklist_hit("two GUNS on a table") == ("weapons", "gun")


def test_benign_shapes_prompts_are_allowed():
    prompts = (shapes.sample_captions(30, seed=3, split="test", lang="en")
               + shapes.sample_captions(30, seed=3, split="test", lang="zh"))
    results = [safety.check_prompt(p) for p in prompts]
    assert all(results), [(p, r.reason) for p, r in zip(prompts, results, strict=True) if not r]


def test_threshold_is_chosen_on_validation_and_the_filter_beats_the_blocklist():
    threshold = safety.choose_threshold()
    assert 0 < threshold < 1
    full = safety.evaluate_filter(safety.PromptFilter(threshold))
    words_only = safety.evaluate_filter(safety.PromptFilter(threshold, semantic=False))
    assert full["catch_rate"] >= words_only["catch_rate"]
    assert full["catch_rate"] > 0.7 and full["false_positive_rate"] < 0.3


def test_rates():
    blocked = np.array([True, False, True, False])
    labels = np.array([True, True, False, False])
    assert safety.rates(blocked, labels) == {"catch_rate": 0.5, "false_positive_rate": 0.5}


@pytest.mark.parametrize("bad", ["", "   ", None, 3, ["a red circle"]])
def test_non_prompts_raise_one_clear_error(bad):
    with pytest.raises(BadInputError, match="non-empty string"):
        safety.check_prompt(bad)
