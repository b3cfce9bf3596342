"""Completion with SmolLM2 and the tiny GPT: the corrected guide loop, the CLI, bad input."""

import subprocess
import sys

import pytest
import torch

from tutorial_lib.errors import BadInputError
from tutorial_lib.text.complete import complete
from tutorial_lib.text.pretrained import load_causal_lm
from tutorial_lib.text.sampling import greedy_generate


@pytest.fixture(scope="module")
def smollm2():
    return load_causal_lm("smollm2")


@pytest.mark.parametrize("prompt", ["A young man plays the guitar on the street.",
                                    "一位年轻人在街头弹奏吉他"])
def test_corrected_guide_loop_equals_generate_on_smollm2(smollm2, prompt):
    tokenizer, model = smollm2
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    ours = greedy_generate(model, ids, max_new_tokens=12, eos_token_id=tokenizer.eos_token_id)
    reference = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                               max_new_tokens=12)
    assert torch.equal(ours, reference)


def test_complete_is_greedy_by_default_and_seeded_when_sampling(smollm2):
    greedy = complete("The capital of France is", max_new_tokens=5)
    assert "Paris" in greedy
    first = complete("Once upon a time", max_new_tokens=8, top_p=0.9, seed=3)
    assert first == complete("Once upon a time", max_new_tokens=8, top_p=0.9, seed=3)


@pytest.mark.parametrize("kwargs, message", [
    ({"prompt": ""}, "prompt is empty"),
    ({"prompt": "   "}, "prompt is empty"),
    ({"prompt": 42}, "must be text"),
    ({"prompt": "hi", "model": "gpt5"}, "unknown model 'gpt5'"),
    ({"prompt": "hi", "max_new_tokens": 0}, "max_new_tokens"),
    ({"prompt": "hi", "top_p": 1.5}, "top_p"),
])
def test_bad_input_gets_one_clear_error(kwargs, message):
    with pytest.raises(BadInputError, match=message):
        complete(**kwargs)


def test_prompt_longer_than_the_context_is_refused(smollm2):
    with pytest.raises(BadInputError, match="exceeds the model's context"):
        complete("word " * 9000, max_new_tokens=5)


@pytest.mark.slow
def test_cli_completes_a_caption_with_the_tiny_model(tmp_path):
    env = {"TUTORIAL_FAST": "1", "TUTORIAL_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "tutorial_lib", "complete", "a small red",
                             "--model", "tiny", "--max-new-tokens", "8"], capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    bad = subprocess.run([sys.executable, "-m", "tutorial_lib", "complete", "",
                          "--model", "tiny"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and bad.stderr.startswith("error: the prompt is empty")
