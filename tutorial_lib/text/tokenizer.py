"""A byte-level BPE tokenizer for the shapes-world captions, in English and Chinese.

Byte-level means the tokenizer starts from the 256 possible bytes of UTF-8 text, so every string
(emoji, Arabic, Chinese characters the corpus never saw) encodes to some tokens and decodes back
exactly; BPE then merges frequent byte pairs into longer tokens, so that the caption words the
corpus is full of become one token each. The result is wrapped as a Hugging Face
`PreTrainedTokenizerFast`, which is what `GPT2LMHeadModel` and the rest of transformers expect.

Merges never cross a word boundary. English words are separated by spaces, but Chinese is
written without them, so GPT-2's rules would treat a whole Chinese caption as one "word" and
merge across it, giving tokens such as "红色圆形" (red circle) for some colour-shape pairs and not
for others. Like BERT, we split Chinese into single characters first; each character's three
UTF-8 bytes then merge into one token, and every colour and shape is spelled the same way in
every caption (which later chapters rely on when they recombine colours and shapes).

Three special tokens frame a caption for the language model: "<bos>" starts it, "<eos>" ends it
(so the model learns where captions stop) and "<pad>" fills the short rows of a batch.
"""

import os
import shutil
import tempfile
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from tutorial_lib.data.shapes import sample_captions
from tutorial_lib.errors import BadInputError
from tutorial_lib.runtime import cache_dir

BOS, EOS, PAD = "<bos>", "<eos>", "<pad>"
SPECIAL_TOKENS = (PAD, BOS, EOS)  # ids 0, 1, 2: the trainer numbers them first

# An upper bound: BPE stops once every English word (with its leading space) and every Chinese
# character of the grammar is a single token, since no pair is left to merge: 405 tokens for the
# default corpus (256 bytes, 3 special tokens, 146 merges).
DEFAULT_VOCAB_SIZE = 512
# The grammar has a few thousand distinct captions; 20k draws cover them with room to spare.
DEFAULT_N_CAPTIONS = 20_000


def train_caption_tokenizer(vocab_size=DEFAULT_VOCAB_SIZE, n_captions=DEFAULT_N_CAPTIONS,
                            seed=0):
    """Train a byte-level BPE on `n_captions` bilingual training captions; deterministic in seed.

    `vocab_size` is an upper bound, including the 256 byte tokens and the 3 special tokens.

    The captions come from `sample_captions(..., lang="both")`, so English and Chinese share one
    vocabulary and one language model can read both.
    """
    for name, value, least in (("vocab_size", vocab_size, 256 + len(SPECIAL_TOKENS)),
                               ("n_captions", n_captions, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise BadInputError(f"{name} must be an integer >= {least}, got {value!r}")
    captions = sample_captions(n_captions, seed=seed, split="train", lang="both")

    tokenizer = Tokenizer(models.BPE())
    # No normalizer: any normalisation (NFC, lower-casing) would break the exact round trip.
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        # every Chinese character becomes a word of its own (see the module docstring)
        pre_tokenizers.Split(Regex(r"\p{Han}"), behavior="isolated"),
        # GPT-2's split into words; add_prefix_space=False keeps the text as it is
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        # all 256 bytes, seen in the corpus or not: this is what makes every text encodable
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(captions, trainer=trainer)
    return _wrap(tokenizer)


def _wrap(tokenizer):
    """The transformers view of a `tokenizers.Tokenizer`, with the caption special tokens set."""
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        # The default clean-up deletes spaces before punctuation on decode ("a ." -> "a."),
        # which would break the exact round trip.
        clean_up_tokenization_spaces=False,
    )


def save_tokenizer(tokenizer, directory):
    """Write the tokenizer to a directory (tokenizer.json and friends); returns the path."""
    directory = Path(directory)
    tokenizer.save_pretrained(directory)
    return directory


def load_tokenizer(directory):
    """Load a tokenizer written by `save_tokenizer`; never touches the network."""
    directory = Path(directory)
    if not (directory / "tokenizer.json").is_file():
        raise BadInputError(f"{directory} holds no tokenizer.json; save a tokenizer there first")
    return PreTrainedTokenizerFast.from_pretrained(str(directory), local_files_only=True)


def caption_tokenizer():
    """The course's caption tokenizer: trained once with the defaults, then loaded from the cache.

    The cache folder is written atomically (saved into a temporary folder, then renamed), so an
    interrupted first run never leaves half a tokenizer behind.
    """
    target = cache_dir() / "caption_tokenizer"
    if not target.exists():
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=target.name + "."))
        try:
            save_tokenizer(train_caption_tokenizer(), tmp)
            os.replace(tmp, target)
        except OSError:
            # Another process finished first: its folder is as good as ours.
            if not target.exists():
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return load_tokenizer(target)


def encode(tokenizer, text):
    """Token ids of one text, without special tokens; a non-str raises BadInputError.

    (The tokenizer itself would accept a list of words or fail deep inside; learners get one
    clear sentence instead.)
    """
    if not isinstance(text, str):
        raise BadInputError(f"text must be a str, got {type(text).__name__}")
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def decode(tokenizer, ids):
    """The text of a list of token ids, special tokens left out."""
    return tokenizer.decode(ids, skip_special_tokens=True)
