"""From a caption to a condition vector: the language model's part in text-to-image.

The guide's generator G(x, c) (§2 item 3, §3.2.2) needs the description c as numbers. Three encoders
share one interface, `encoder(prompts) -> float tensor (N, 18)`:

- `minilm`: the frozen pretrained all-MiniLM-L6-v2 sentence embedding, 384 numbers of length 1.
  It knows English words the captions never use ("crimson", "rhombus"), but not Chinese;
- `bilingual` (the default): MiniLM for English and, for Chinese, a small student encoder
  distilled so that a Chinese caption lands where MiniLM puts the parallel English caption
  (multilingual knowledge distillation, Reimers & Gurevych 2020). Both languages then share
  MiniLM's space, and one generator serves both;
- `onehot`: the attributes of a caption of the grammar marked one-hot. It is the upper bound a
  text encoder can reach, and it refuses anything outside the grammar.

A linear *reader*, fitted on the training captions, maps MiniLM's 384 numbers to 18: a
probability for each colour, shape, size, row and column. All three encoders thus produce the
same 18-number condition, and one generator can be scored through each of them.
"""

import functools
import time
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.data import shapes
from tutorial_lib.data.attributes import ATTRIBUTE_CLASSES, attribute_codes, attribute_loss
from tutorial_lib.data.prompts import check_prompts, is_chinese
from tutorial_lib.errors import BadInputError, CacheError
from tutorial_lib.model_cache import Trained, fingerprint, load_or_train
from tutorial_lib.runtime import (
    budget,
    load_state,
    seed_everything,
    torch_threads,
)
from tutorial_lib.training import History, train_loop

ENCODERS = ("bilingual", "minilm", "onehot")


# ---------------------------------------------------------------------------- MiniLM, cached
@dataclass(frozen=True)
class CaptionTableConfig:
    """The table of MiniLM vectors of the grammar's English captions: every caption of these
    splits (the template captions every chapter embeds: the readers' and the student's
    training sets, the retrieval gallery, the training data of the GANs)."""

    model: str = "all-MiniLM-L6-v2"
    splits: tuple[str, ...] = ("train", "heldout")


CAPTION_TABLE = "minilm_captions.safetensors"
MINILM_DIM = 384


@functools.cache
def _table_captions(config: CaptionTableConfig) -> dict[str, int]:
    """Each English caption of the table's splits -> its row."""
    texts = [text for split in config.splits for text in shapes.parallel_captions(split, "en")[0]]
    return {text: row for row, text in enumerate(texts)}


def caption_table() -> torch.Tensor:
    """MiniLM embeddings (N, 384) of the grammar's English captions, rows as `_table_captions`:
    embedded once (about half a minute on one core), then read from the model cache."""
    from tutorial_lib.text.pretrained import embed_sentences, load_sentence_encoder

    config = CaptionTableConfig()
    texts = list(_table_captions(config))

    def embed():
        started = time.perf_counter()
        embeddings = embed_sentences(texts, *load_sentence_encoder())
        return Trained(embeddings, {"embeddings": embeddings},
                       History(seconds=time.perf_counter() - started))

    def restore(tensors):
        embeddings = tensors.get("embeddings")
        if embeddings is None or tuple(embeddings.shape) != (len(texts), MINILM_DIM):
            raise CacheError(f"{CAPTION_TABLE} does not hold one vector per caption")
        return embeddings

    return load_or_train(CAPTION_TABLE, config, fingerprint(texts), embed, restore).value


def minilm_embeddings(texts: list[str]) -> torch.Tensor:
    """MiniLM sentence embeddings (N, 384) of texts. A caption of the grammar is looked up in
    `caption_table` (so it is embedded once, whatever the list it comes in); any other text is
    embedded now, each distinct one once."""
    from tutorial_lib.text.pretrained import embed_sentences, load_sentence_encoder

    texts = list(texts)
    rows = _table_captions(CaptionTableConfig())
    vectors = torch.empty(len(texts), MINILM_DIM)
    known = [i for i, text in enumerate(texts) if text in rows]
    if known:
        vectors[known] = caption_table()[[rows[texts[i]] for i in known]]
    others = [i for i, text in enumerate(texts) if text not in rows]
    if others:
        unique, index = np.unique(np.array([texts[i] for i in others], dtype=str),
                                  return_inverse=True)
        embeddings = embed_sentences(unique.tolist(), *load_sentence_encoder())
        vectors[others] = embeddings[torch.from_numpy(index)]
    return vectors


def combination_targets(split: str) -> torch.Tensor:
    """One MiniLM point per attribute combination: the normalised mean embedding of all its
    English captions, the place a Chinese caption of that combination should land."""
    texts, combo = shapes.parallel_captions(split, "en")
    embeddings = minilm_embeddings(texts)
    sums = torch.zeros(int(combo.max()) + 1, embeddings.shape[1]).index_add_(
        0, torch.from_numpy(combo), embeddings)
    return F.normalize(sums, dim=1)


# ---------------------------------------------------------------------------- the student
@dataclass
class StudentConfig:
    """A small Transformer over the chapter-1 caption tokenizer's tokens. The grammar is small,
    so a few hundred steps on one thread suffice for a Chinese caption to land nearest its own
    combination's MiniLM point (tests/test_text_encoders.py checks it)."""

    dim: int = 96
    layers: int = 2
    heads: int = 4
    max_tokens: int = 48
    steps: int = 400
    batch_size: int = 128
    lr: float = 2e-3
    seed: int = 0


class CaptionStudent(nn.Module):
    """Token ids (N, T) and their mask -> unit vectors (N, out_dim) in MiniLM's space."""

    def __init__(self, vocab_size: int, config: StudentConfig, out_dim: int = 384):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(vocab_size, config.dim)
        self.position = nn.Embedding(config.max_tokens, config.dim)
        layer = nn.TransformerEncoderLayer(config.dim, config.heads, 4 * config.dim,
                                           dropout=0.0, batch_first=True, norm_first=True)
        # nested tensors are an inference speed-up that warns with norm_first; not needed here
        self.encoder = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.out = nn.Linear(config.dim, out_dim)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        h = self.encoder(self.embed(ids) + self.position(positions), src_key_padding_mask=~mask)
        pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return F.normalize(self.out(pooled), dim=1)


def _tokenize(tokenizer, texts: list[str], max_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded token ids and a boolean mask of the real tokens; long texts are cut."""
    batch = tokenizer(list(texts), add_special_tokens=False, padding=True, truncation=True,
                      max_length=max_tokens, return_tensors="pt")
    return batch["input_ids"], batch["attention_mask"].bool()


def train_student(config: StudentConfig | None = None, progress: bool = True):
    """Distil MiniLM into a Chinese student on the train split's combinations.

    Every Chinese caption of a combination is pulled towards that combination's MiniLM point
    (`combination_targets`) by minimising 1 - cosine similarity. Returns (student, History).
    """
    from tutorial_lib.text.tokenizer import caption_tokenizer

    config = config or StudentConfig()
    tokenizer = caption_tokenizer()
    texts, combo = shapes.parallel_captions("train", "zh")
    ids, mask = _tokenize(tokenizer, texts, config.max_tokens)
    targets = combination_targets("train")[torch.from_numpy(combo)]
    rng = seed_everything(config.seed)
    student = CaptionStudent(len(tokenizer), config, targets.shape[1])
    optimizer = torch.optim.AdamW(student.parameters(), lr=config.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=config.steps)

    def step(i):
        batch = torch.randint(len(ids), (config.batch_size,), generator=rng)
        loss = 1 - (student(ids[batch], mask[batch]) * targets[batch]).sum(1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        return {"loss": loss.item()}

    student.train()
    with torch_threads(1):  # a small model: one thread is as fast and immune to contention
        history = train_loop(step, config.steps, log_every=10, desc="distilling the student",
                             progress=progress)
    return student.eval(), history


STUDENT_FILE = "chinese_student.safetensors"
FAST_STUDENT_STEPS = 40


def student_config() -> StudentConfig:
    return replace(StudentConfig(), steps=budget(StudentConfig.steps, FAST_STUDENT_STEPS))


def pretrained_student(progress: bool = True) -> CaptionStudent:
    """The distilled Chinese encoder: trained on first use, then loaded from the cache."""
    from tutorial_lib.text.tokenizer import caption_tokenizer

    config = student_config()
    tokenizer = caption_tokenizer()

    def train():
        student, history = train_student(config, progress)
        return Trained(student, student.state_dict(), history)

    def restore(tensors):
        return load_state(CaptionStudent(len(tokenizer), config), tensors, STUDENT_FILE)

    # the student learns MiniLM's view of the shapes world's captions, read by this tokenizer
    data = fingerprint(shapes.world_fingerprint(), sorted(tokenizer.get_vocab().items()))
    return load_or_train(STUDENT_FILE, config, data, train, restore).value


# ---------------------------------------------------------------------------- the encoders
class AttributeReader(nn.Module):
    """A linear read-out from a sentence embedding to the 18 attribute probabilities (a softmax
    per attribute). It is the generator's view of the caption: compact, and the same space for
    every encoder, so one generator serves them all."""

    def __init__(self, in_dim: int):
        super().__init__()
        self.linear = nn.Linear(in_dim, sum(ATTRIBUTE_CLASSES))

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Attribute probabilities (N, 18); `self.linear(embeddings)` are their logits."""
        blocks = self.linear(embeddings).split(ATTRIBUTE_CLASSES, dim=1)
        return torch.cat([block.softmax(dim=1) for block in blocks], dim=1)


READER_STEPS = 1500


def train_reader(embed, langs: tuple[str, ...], steps: int = READER_STEPS,
                 seed: int = 0) -> AttributeReader:
    """Fit an AttributeReader on every caption of the train split in `langs`, embedded by
    `embed`; the loss is the cross-entropy of each attribute (about a second on a CPU)."""
    combos = shapes.combinations("train")
    texts, combo = [], []
    for lang in langs:
        lang_texts, lang_combo = shapes.parallel_captions("train", lang)
        texts += lang_texts
        combo += lang_combo.tolist()
    inputs = embed(texts)
    codes = torch.from_numpy(attribute_codes([combos[i] for i in combo]))
    rng = seed_everything(seed)
    reader = AttributeReader(inputs.shape[1])
    optimizer = torch.optim.AdamW(reader.parameters(), lr=3e-3)
    with torch.enable_grad():  # callers may build an encoder inside torch.no_grad()
        for _ in range(steps):
            batch = torch.randint(len(inputs), (256,), generator=rng)
            loss = attribute_loss(reader.linear(inputs[batch]), codes[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return reader.eval()


class TextEncoder:
    """prompts -> condition vectors (N, 18): attribute probabilities; `name` is one of ENCODERS.

    `embed(prompts)` gives the encoder's own vectors (MiniLM's 384 numbers, or one-hot), and
    the condition is the AttributeReader's reading of them (one-hot vectors are used as they
    are).
    """

    dim = sum(ATTRIBUTE_CLASSES)

    def __init__(self, name: str = "bilingual", progress: bool = True):
        if name not in ENCODERS:
            raise BadInputError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")
        self.name = name
        self._student = self._tokenizer = self.reader = None
        if name == "bilingual":  # loaded once here, not at every call
            from tutorial_lib.text.tokenizer import caption_tokenizer

            self._student, self._tokenizer = pretrained_student(progress), caption_tokenizer()
        if name != "onehot":
            langs = ("en", "zh") if name == "bilingual" else ("en",)
            self.reader = train_reader(self._embed, langs)

    def __call__(self, prompts) -> torch.Tensor:
        embeddings = self.embed(prompts)
        if self.reader is None:
            return embeddings
        with torch.no_grad():
            return self.reader(embeddings)

    def embed(self, prompts) -> torch.Tensor:
        """The encoder's own vectors of the prompts: (N, 384), or (N, 18) for onehot."""
        return self._embed(check_prompts(prompts))

    def _embed(self, prompts: list[str]) -> torch.Tensor:
        if self.name == "onehot":
            return torch.stack([onehot(prompt) for prompt in prompts])
        vectors = torch.empty(len(prompts), 384)
        chinese = [i for i, p in enumerate(prompts) if is_chinese(p)] if self._student else []
        english = [i for i in range(len(prompts)) if i not in set(chinese)]
        if english:
            vectors[english] = minilm_embeddings([prompts[i] for i in english])
        if chinese:
            vectors[chinese] = self._encode_chinese([prompts[i] for i in chinese])
        return vectors

    @torch.no_grad()
    def _encode_chinese(self, texts: list[str]) -> torch.Tensor:
        ids, mask = _tokenize(self._tokenizer, texts, self._student.config.max_tokens)
        return self._student(ids, mask)


@functools.cache
def text_encoder(name: str = "bilingual") -> TextEncoder:
    """One TextEncoder per name and process: building one loads MiniLM and fits its reader."""
    if name not in ENCODERS:
        raise BadInputError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")
    return TextEncoder(name, progress=False)


def onehot(prompt: str) -> torch.Tensor:
    """The attributes of a caption of the grammar, one-hot per attribute (18 numbers)."""
    attrs = shapes.parse_caption(prompt)
    if attrs is None:
        raise BadInputError(f"the onehot encoder only reads captions of the shapes-world "
                            f"grammar, and {prompt!r} is not one; use the bilingual encoder")
    return torch.cat([F.one_hot(torch.tensor(values.index(attrs[key])), len(values)).float()
                      for key, values in shapes.ATTRIBUTES])

