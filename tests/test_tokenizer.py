"""The caption tokenizer: byte-level round trips, special tokens, saving, caching, word tokens."""

import random

import pytest
from conftest import own_files

from tutorial_lib.data.shapes import caption, sample_captions
from tutorial_lib.errors import BadInputError
from tutorial_lib.text.tokenizer import (
    BOS,
    EOS,
    PAD,
    caption_tokenizer,
    decode,
    encode,
    load_tokenizer,
    save_tokenizer,
    train_caption_tokenizer,
)

RED_SQUARE = {"color": "red", "shape": "square", "size": "small", "row": "top", "col": "left"}
STRANGE_TEXTS = [
    "",
    "a small red circle at the top left",
    "🎉 emoji: 👩‍👩‍👧 (a family joined by zero-width joiners) and 🇫🇷",
    "龘靐齉: Chinese characters that no caption contains",
    "مرحبا بالعالم: Arabic, written right to left",
    "e\u0301 a\u0308 n\u0303: combining marks, which an NFC normaliser would merge",
    "  leading and trailing spaces, \t tabs,\nnewlines and \r\n ",
    "\x00\x01\x7f control characters and \ufeff a byte-order mark",
    "Ünïcödé ÅSCII-ish, ß, ﬁ ligature, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, \U0010fffd (last plane)",
]


@pytest.fixture(scope="module")
def tokenizer():
    return train_caption_tokenizer()


def random_text(rng, length):
    """A string of random code points from all of Unicode, surrogates excluded (not valid text)."""
    points = []
    while len(points) < length:
        point = rng.randrange(0x110000)
        if not 0xD800 <= point <= 0xDFFF:
            points.append(point)
    return "".join(map(chr, points))


@pytest.mark.parametrize("text", STRANGE_TEXTS)
def test_any_text_round_trips_exactly(tokenizer, text):
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text
    assert decode(tokenizer, encode(tokenizer, text)) == text


def test_random_code_points_round_trip(tokenizer):
    rng = random.Random(0)
    texts = [random_text(rng, rng.randint(1, 30)) for _ in range(300)]
    for text, ids in zip(texts, tokenizer(texts)["input_ids"], strict=True):
        assert tokenizer.decode(ids) == text


def test_special_tokens_have_ids_and_are_never_split(tokenizer):
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in (PAD, BOS, EOS)}
    assert ids == {PAD: 0, BOS: 1, EOS: 2}
    assert (tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id) == (0, 1, 2)
    encoded = encode(tokenizer, f"{BOS}a red circle{EOS}{PAD}")
    assert encoded[0] == 1 and encoded[-2:] == [2, 0]
    assert decode(tokenizer, encoded) == "a red circle"
    # plain text gets no special tokens added
    assert tokenizer.bos_token_id not in encode(tokenizer, "a red circle")


def test_save_and_load_give_identical_encodings(tokenizer, tmp_path):
    loaded = load_tokenizer(save_tokenizer(tokenizer, tmp_path / "tok"))
    texts = sample_captions(200, seed=3, lang="both") + STRANGE_TEXTS
    assert loaded(texts)["input_ids"] == tokenizer(texts)["input_ids"]
    assert loaded.get_vocab() == tokenizer.get_vocab()
    assert (loaded.bos_token, loaded.eos_token, loaded.pad_token) == (BOS, EOS, PAD)


def test_loading_a_folder_without_a_tokenizer_is_a_clear_error(tmp_path):
    with pytest.raises(BadInputError, match="tokenizer.json"):
        load_tokenizer(tmp_path)


def test_caption_words_are_single_tokens(tokenizer):
    english = caption(RED_SQUARE, "en")  # "a small red square at the top left"
    ids = encode(tokenizer, english)
    assert len(ids) < len(english.encode("utf-8"))
    assert len(ids) == len(english.split())  # one token per word
    assert tokenizer.convert_ids_to_tokens(ids)[1] == "Ġsmall"  # Ġ is GPT-2's mark for a space
    chinese = caption(RED_SQUARE, "zh")  # "左上角有一个小的红色正方形"
    assert len(encode(tokenizer, chinese)) == len(chinese)  # one token per character


def test_training_is_deterministic(tokenizer):
    assert train_caption_tokenizer().get_vocab() == tokenizer.get_vocab()


def test_vocabulary_stops_growing_when_every_word_is_a_token(tokenizer):
    assert 300 < len(tokenizer) < 512
    small = train_caption_tokenizer(vocab_size=300, n_captions=2000)
    assert len(small) == 300


def test_cached_tokenizer_is_trained_once_and_written_atomically(isolated_cache, monkeypatch):
    first = caption_tokenizer()
    folder = isolated_cache / "full" / "caption_tokenizer"
    assert (folder / "tokenizer.json").is_file()
    assert own_files(folder.parent) == ["caption_tokenizer"]  # no temp folders

    def no_training(*args, **kwargs):
        raise AssertionError("the cached tokenizer should have been loaded, not retrained")

    monkeypatch.setattr("tutorial_lib.text.tokenizer.train_caption_tokenizer", no_training)
    assert caption_tokenizer().get_vocab() == first.get_vocab()


@pytest.mark.parametrize("bad", [None, 42, b"bytes", ["a", "list"]])
def test_non_text_input_is_rejected(tokenizer, bad):
    with pytest.raises(BadInputError, match="must be a str"):
        encode(tokenizer, bad)


@pytest.mark.parametrize("kwargs", [{"vocab_size": 100}, {"vocab_size": 400.0},
                                    {"n_captions": 0}, {"n_captions": True}])
def test_bad_training_arguments_are_rejected(kwargs):
    with pytest.raises(BadInputError):
        train_caption_tokenizer(**kwargs)
