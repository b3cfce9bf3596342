"""Text encoders: prompt checks, the one-hot baseline, MiniLM, and the distilled Chinese student."""

import pytest
import torch
from conftest import with_caption_table

from tutorial_lib.data import shapes
from tutorial_lib.data.prompts import MAX_PROMPT_CHARS, check_prompts, is_chinese
from tutorial_lib.data.shapes import parallel_captions
from tutorial_lib.errors import BadInputError, CacheWarning
from tutorial_lib.runtime import config_key, save_tensors
from tutorial_lib.text.encoders import (
    CAPTION_TABLE,
    CaptionTableConfig,
    TextEncoder,
    caption_table,
    combination_targets,
    minilm_embeddings,
    onehot,
)


@pytest.mark.parametrize(("prompt", "message"), [
    ("", "empty"), ("   \n", "empty"), ("x" * 10_000, "10000 characters"),
    ("🙂🙂🙂", "no words"), ("123 !!", "no words"), (42, "must be a str"),
    ([], "at least one")])
def test_bad_prompts_get_one_clear_error(prompt, message):
    with pytest.raises(BadInputError, match=message):
        check_prompts(prompt)


def test_good_prompts_pass_through():
    assert check_prompts("a red circle") == ["a red circle"]
    assert check_prompts(("红色圆形", "x" * MAX_PROMPT_CHARS)) == ["红色圆形", "x" * 300]
    assert is_chinese("一个红色的圆") and not is_chinese("a red circle")


def test_onehot_marks_each_attribute_once():
    vector = onehot("a large cyan diamond at the bottom left")
    assert vector.shape == (18,) and vector.sum() == 5
    assert torch.equal(TextEncoder("onehot")(["a large cyan diamond at the bottom left"])[0],
                       vector)
    with pytest.raises(BadInputError, match="grammar"):
        onehot("a crimson rhombus")


def test_unknown_encoder():
    with pytest.raises(BadInputError, match="unknown encoder 'clip'"):
        TextEncoder("clip")


def test_minilm_knows_words_the_captions_never_use():
    crimson, red, blue = minilm_embeddings(["a crimson circle", "a red circle", "a blue circle"])
    assert crimson @ red > crimson @ blue
    torch.testing.assert_close(crimson.norm(), torch.tensor(1.0))


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory, caption_table_file):
    """The bilingual encoder, its student trained at the full budget into a private cache."""
    cache = with_caption_table(tmp_path_factory.mktemp("student"), caption_table_file)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUTORIAL_CACHE", str(cache))
        patch.delenv("TUTORIAL_FAST", raising=False)
        yield TextEncoder("bilingual", progress=False)


def test_student_puts_held_out_chinese_captions_on_their_english_meaning(bilingual):
    """Chinese captions of colour-shape pairs the student never saw land nearest their own
    combination's MiniLM point, out of every combination of the world."""
    targets = torch.cat([combination_targets("train"), combination_targets("heldout")])
    texts, combo = parallel_captions("heldout", "zh")
    vectors = bilingual.embed(texts)
    nearest = (vectors @ targets.T).argmax(dim=1).numpy()
    assert (nearest == combo + len(shapes.combinations("train"))).mean() >= 0.95
    torch.testing.assert_close(vectors.norm(dim=1), torch.ones(len(texts)))


def test_bilingual_sends_english_to_minilm_and_chinese_to_the_student(bilingual):
    english, chinese = "a small red circle at the top left", "左上角有一个小的红色圆形"
    mixed = bilingual.embed([english, chinese])
    torch.testing.assert_close(mixed[0], minilm_embeddings([english])[0])
    torch.testing.assert_close(mixed[1], bilingual.embed([chinese])[0])
    assert not torch.allclose(mixed[1], minilm_embeddings([chinese])[0], atol=0.1)
    with pytest.raises(BadInputError, match="empty"):
        bilingual(["a red circle", " "])


def test_reader_reads_both_languages_and_unseen_pairs(bilingual):
    """The condition is the reader's attribute probabilities: one softmax per attribute. It reads
    captions of held-out colour-shape pairs, in English and Chinese, as their own attributes."""
    from tutorial_lib.data.attributes import ATTRIBUTE_CLASSES, attribute_codes

    combos = shapes.combinations("heldout")
    for lang in ("en", "zh"):
        texts, combo = parallel_captions("heldout", lang)
        conditions = bilingual(texts)
        assert conditions.shape == (len(texts), 18)
        blocks = conditions.split(ATTRIBUTE_CLASSES, dim=1)
        torch.testing.assert_close(sum(b.sum(1) for b in blocks), torch.full((len(texts),), 5.0))
        read = torch.stack([b.argmax(1) for b in blocks], 1).numpy()
        wanted = attribute_codes([combos[i] for i in combo])
        assert (read == wanted).all(axis=1).mean() >= 0.95, lang


def test_encoders_share_the_attribute_space(bilingual):
    caption = "a large cyan diamond at the bottom left"
    onehot_vector = TextEncoder("onehot")([caption])[0]
    assert torch.dist(bilingual([caption])[0], onehot_vector) < 0.5
    assert TextEncoder.dim == 18 and bilingual.embed([caption]).shape == (1, 384)


def test_grammar_captions_come_from_the_cached_table(isolated_cache, monkeypatch):
    """A caption of the grammar is embedded once, into the table, and read from it later;
    other texts are embedded directly; a table that does not fit is reported and rebuilt."""
    from tutorial_lib.runtime import cache_dir
    from tutorial_lib.text import encoders
    from tutorial_lib.text.pretrained import embed_sentences, load_sentence_encoder

    shared = cache_dir() / CAPTION_TABLE
    assert shared.is_symlink()
    captions = ["a small red circle at the top left", "a large blue square at the bottom right"]
    direct = embed_sentences([*captions, "a crimson circle"], *load_sentence_encoder())
    mixed = minilm_embeddings([captions[1], "a crimson circle", captions[0]])
    torch.testing.assert_close(mixed, direct[[1, 2, 0]], atol=1e-5, rtol=0)

    # this test's own table from here on, of the held-out split alone (embedded in seconds)
    shared.unlink()
    small = CaptionTableConfig(splits=("heldout",))
    monkeypatch.setattr(encoders, "CaptionTableConfig", lambda: small)
    save_tensors(cache_dir() / CAPTION_TABLE, {"embeddings": torch.zeros(3, 384)},
                 {"config": config_key(small), "data": "another world", "history": ""})
    with pytest.warns(CacheWarning, match=CAPTION_TABLE):
        rebuilt = caption_table()
    heldout = list(encoders._table_captions(small))
    assert rebuilt.shape == (len(heldout), 384)
    torch.testing.assert_close(rebuilt, caption_table())  # read back now, not embedded
    monkeypatch.setattr("tutorial_lib.text.pretrained.embed_sentences", None)  # cannot embed
    torch.testing.assert_close(minilm_embeddings(heldout[-1:]), rebuilt[-1:])
