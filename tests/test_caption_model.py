"""The captioner's model, training and metrics: shapes, learning, determinism, BLEU."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from torchmetrics.text import BLEUScore

from tutorial_lib.caption import evaluate
from tutorial_lib.caption.model import (
    CaptionConfig,
    build_captioner,
    captioning_tokenizer,
    lang_token_id,
    pixel_values,
)
from tutorial_lib.caption.train import frame_captions, train_captioner
from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError

TINY = CaptionConfig(steps=5, warmup_steps=2)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """A short CPU run (about 15 s on an idle core): 200 steps of the default model."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUTORIAL_CACHE", str(tmp_path_factory.mktemp("caption_model")))
        return train_captioner(CaptionConfig(steps=200, warmup_steps=20), progress=False)


def test_frame_captions_shift_labels_and_pick_the_language():
    tokenizer = captioning_tokenizer()
    captions = ["a small red circle at the top left", "右下角有个大的蓝色正方形"]
    batch = frame_captions(tokenizer, captions)
    inputs, labels = batch["decoder_input_ids"], batch["labels"]
    assert inputs.shape == labels.shape
    assert inputs[:, 0].tolist() == [lang_token_id(tokenizer, "en"), lang_token_id(tokenizer, "zh")]
    for row, text in enumerate(captions):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert labels[row, :len(ids) + 1].tolist() == [*ids, tokenizer.eos_token_id]
        assert inputs[row, 1:len(ids) + 1].tolist() == ids  # labels = inputs shifted left
        assert (labels[row, len(ids) + 1:] == -100).all()
    assert tokenizer.decode(inputs[0], skip_special_tokens=True) == captions[0]


def test_model_outputs_and_cross_attention_shapes():
    tokenizer = captioning_tokenizer()
    model = build_captioner(TINY, tokenizer).eval()
    sample = shapes.sample(3, seed=1, lang="both")
    batch = frame_captions(tokenizer, sample.captions)
    out = model(pixel_values=pixel_values(sample.images), **batch, output_attentions=True)
    n, length = batch["decoder_input_ids"].shape
    assert out.logits.shape == (n, length, len(tokenizer))
    assert len(out.cross_attentions) == TINY.dec_layers
    # 64 patches of 4x4 pixels plus ViT's [CLS] vector
    assert out.cross_attentions[0].shape == (n, TINY.n_head, length, 65)
    assert torch.isfinite(out.loss)


def test_pixel_values_scale_to_minus_one_one():
    images = np.zeros((2, 32, 32, 3), np.uint8)
    images[1] = 255
    values = pixel_values(images)
    assert values.shape == (2, 3, 32, 32)
    assert values[0].eq(-1).all() and values[1].eq(1).all()


def test_training_is_deterministic_for_a_seed():
    first, _, history = train_captioner(TINY, progress=False)
    second, _, again = train_captioner(TINY, progress=False)
    assert history.values["loss"] == again.values["loss"]
    for (name, a), b in zip(first.state_dict().items(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    other, _, _ = train_captioner(replace(TINY, seed=1), progress=False)
    assert not torch.equal(first.state_dict()["decoder.lm_head.weight"],
                           other.state_dict()["decoder.lm_head.weight"])


def test_a_short_run_beats_chance_by_far(short_run):
    model, tokenizer, history = short_run
    assert history.last("loss", 3) < history.values["loss"][0] / 3
    for lang in ("en", "zh"):
        result = evaluate.evaluate_split(model, tokenizer, "test", lang, n=200)
        # chance is 1 / 864 (every attribute guessed); the grammar alone gives nothing
        assert result["exact_match"] > 0.2, (lang, result["errors"])
        assert result["errors"]["unparseable"] < 0.1
        assert len(result["captions"]) == 200


def test_beam_search_returns_one_caption_per_image(short_run):
    model, tokenizer, _ = short_run
    images = shapes.sample(4, seed=2, split="test").images
    beams = evaluate.generate_captions(model, tokenizer, images, "zh", num_beams=3)
    assert len(beams) == 4 and all(isinstance(text, str) for text in beams)
    greedy = evaluate.generate_captions(model, tokenizer, images, "zh")
    assert greedy == evaluate.generate_captions(model, tokenizer, images, "zh")


def test_cross_attention_maps_cover_every_token(short_run):
    model, tokenizer, _ = short_run
    image = shapes.sample(1, seed=3, split="test").images[0]
    text = evaluate.generate_captions(model, tokenizer, image[None], "en")[0]
    tokens, maps = evaluate.cross_attention_maps(model, tokenizer, image, text, "en")
    assert tokens[-1] == "<eos>" and "".join(tokens[:-1]) == text
    assert maps.shape == (len(tokens), 8, 8)
    assert (maps >= 0).all() and (maps.sum(axis=(1, 2)) <= 1 + 1e-5).all()


def test_bleu_is_torchmetrics_on_a_hand_example():
    preds = ["the cat is on the mat"]
    refs = [["there is a cat on the mat", "a cat is on the mat"]]
    assert evaluate.bleu4(preds, refs, "en") == pytest.approx(0.7598, abs=1e-4)
    assert evaluate.bleu4(preds, refs, "en") == pytest.approx(float(BLEUScore()(preds, refs)))


def test_chinese_bleu_counts_characters():
    assert evaluate.bleu_words("左上角有个小的红色圆形", "zh") == "左 上 角 有 个 小 的 红 色 圆 形"
    text = "左上角有一个小的红色圆形"
    assert evaluate.bleu4([text], [[text]], "zh") == pytest.approx(1.0)
    # as one unsplit "word" a single wrong character would score 0; per character it scores high
    close = evaluate.bleu4(["左上角有一个小的红色方形"], [[text]], "zh")
    assert 0.5 < close < 1.0


def test_every_correct_phrasing_scores_one_against_all_references():
    attrs = shapes.sample(1, seed=4, split="test").attrs[0]
    for lang in ("en", "zh"):
        references = shapes.all_captions(attrs, lang)
        for text in references:
            assert evaluate.bleu4([text], [references], lang) == pytest.approx(1.0)


def test_exact_match_and_errors_parse_captions():
    sample = shapes.sample(4, seed=5, split="test")
    captions = [shapes.caption(sample.attrs[0]), shapes.caption(sample.attrs[1], "zh"),
                shapes.caption(dict(sample.attrs[2], size="large" if sample.attrs[2]["size"]
                                    == "small" else "small")), "nonsense"]
    assert evaluate.attribute_exact_match(captions, sample.attrs) == 0.5
    errors = evaluate.attribute_errors(captions, sample.attrs)
    assert errors["size"] == 0.5 and errors["color"] == 0.25 and errors["unparseable"] == 0.25
    with pytest.raises(BadInputError, match="as many captions"):
        evaluate.attribute_exact_match(captions[:2], sample.attrs)
