"""Chapter 6: free-form requests, the three rewrite routes and the loop back through the
captioner (fast-mode models, seconds; SmolLM2 is the bundled pretrained model)."""

import numpy as np
import pytest
import torch

from tutorial_lib.assist import loop, rewrite
from tutorial_lib.assist.requests import requests
from tutorial_lib.data import shapes
from tutorial_lib.data.captions import caption, parse_caption
from tutorial_lib.errors import BadInputError
from tutorial_lib.text.pretrained import load_causal_lm


@pytest.fixture
def fast(fast_models):
    """The run's shared fast-mode models (captioner, generator, judge: each trained once)."""


def test_requests_are_fixed_and_name_test_scenes():
    english, chinese = requests(30, "en", seed=4), requests(30, "zh", seed=4)
    assert english == requests(30, "en", seed=4) and english != requests(30, "en", seed=5)
    scenes = [tuple(sorted(c.items())) for c in shapes.combinations("test")]
    for request in english + chinese:
        assert {"size"} <= set(request.wanted) <= {"color", "shape", "size", "row", "col"}
        assert ("row" in request.wanted) == ("col" in request.wanted)
        assert any(set(request.wanted.items()) <= set(scene) for scene in scenes)
    assert all(r.lang == "zh" and not r.text.isascii() for r in chinese)
    with pytest.raises(BadInputError, match="unknown language"):
        requests(3, "fr")


@pytest.mark.slow
def test_reader_route_reads_grammar_captions_back(fast):
    # English goes through MiniLM, at full strength even in fast mode
    scenes = shapes.combinations("test")[::12]
    rewritten = rewrite.canonical_captions([caption(scene, "en") for scene in scenes], "reader")
    assert np.mean([parse_caption(c) == s for c, s in zip(rewritten, scenes, strict=True)]) >= 0.9
    assert parse_caption(rewrite.canonical_captions("左上角有一个小的红色圆形", "reader")[0])


@pytest.mark.slow
def test_option_logprobs_equal_scoring_each_whole_sequence():
    tokenizer, model = load_causal_lm("smollm2")
    prefix = tokenizer("a small red circle at the", return_tensors="pt")["input_ids"]
    options = [tokenizer(" " + o, add_special_tokens=False)["input_ids"]
               for o in ("top left", "bottom", "middle right of the picture")]
    with torch.no_grad():
        out = model(input_ids=prefix, use_cache=True)
        cached = rewrite.option_logprobs(model, out.cache, out.logits[:, -1:], options)
        for score, ids in zip(cached, options, strict=True):
            full = torch.cat([prefix, torch.tensor([ids])], 1)
            logp = model(input_ids=full).logits.log_softmax(-1)[0, prefix.shape[1] - 1:-1]
            assert score.item() == pytest.approx(logp.gather(1, full[0, prefix.shape[1]:, None])
                                                 .sum().item(), abs=1e-3)


def test_llm_routes():
    asked = ["a small red circle at the top left", "draw me a big blue square in the center"]
    chosen = rewrite.canonical_captions(asked, "llm")
    assert chosen[0] == "a small red circle at the top left"
    assert all(parse_caption(c) is not None for c in chosen)  # constrained: always a caption
    free = rewrite.canonical_captions(asked, "llm_free")
    assert all(c is None or parse_caption(c) is not None for c in free)


@pytest.mark.parametrize(("args", "message"), [
    (("", "reader"), "empty"), (("a red circle", "gpt"), "unknown route")])
def test_rewrite_bad_input(args, message):
    with pytest.raises(BadInputError, match=message):
        rewrite.canonical_captions(*args)


@pytest.mark.slow
def test_loop_draws_captions_and_checks(fast):
    results = loop.assist(["a small red circle at the top left", "一个大的蓝色正方形在正中间"], n=2)
    assert [r.caption for r in results] == ["a small red circle at the top left",
                                           "a large blue square in the center"]
    for result in results:
        assert result.images.shape == (2, 32, 32, 3) and result.images.dtype == np.uint8
        assert len(result.captions_back) == len(result.agrees) == 2
    scores = loop.loop_agreement(requests(4, "en"), "reader")
    assert {"rewrite", "loop", "drawn_given_rewrite"} <= set(scores)
    assert all(0 <= scores[key] <= 1 for key in ("rewrite", "loop"))
    with pytest.raises(BadInputError, match="unknown route"):
        loop.assist("a red circle", route="dalle")
