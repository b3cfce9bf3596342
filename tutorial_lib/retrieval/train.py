"""Contrastive training of the dual encoder on fresh shapes-world batches.

The text tower reads frozen sentence embeddings, so every caption the grammar can produce is
embedded once, before training (a `CaptionBank`): a training step then looks its captions up
instead of running MiniLM, and costs only the two small towers.
"""

from dataclasses import dataclass

import numpy as np
import torch

from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError
from tutorial_lib.retrieval.model import DualEncoder, DualEncoderConfig, contrastive_loss
from tutorial_lib.runtime import seed_everything, torch_threads
from tutorial_lib.training import History, train_loop


def bilingual_encoder():
    """Chapter 4's bilingual text encoder, loaded once per process (MiniLM + the student)."""
    from tutorial_lib.text.encoders import text_encoder

    return text_encoder("bilingual")


class CaptionBank:
    """Sentence embeddings (384 numbers) of every caption of the grammar, in both languages.

    `embed(texts)` looks known captions up and sends anything else (a learner's query) through
    the bilingual encoder, so callers never care which is which.
    """

    def __init__(self):
        from tutorial_lib.data.shapes import parallel_captions
        from tutorial_lib.text.encoders import minilm_embeddings

        # MiniLM on one thread: several times faster than two on a busy machine
        with torch_threads(1):
            self.encoder = bilingual_encoder()
            blocks, self.texts = [], []
            for lang in ("en", "zh"):
                # The train split holds the same 360 combinations as the test split.
                texts, _ = parallel_captions("train", lang)
                # English: read from the cached table of the grammar's captions
                blocks.append(minilm_embeddings(texts) if lang == "en"
                              else self.encoder.embed(texts))
                self.texts += texts
        self.embeddings = torch.cat(blocks)
        self.index = {text: i for i, text in enumerate(self.texts)}

    def embed(self, texts: list[str]) -> torch.Tensor:
        """Sentence embeddings (N, 384) of texts: from the bank when known, else encoded."""
        rows = [self.index.get(text) for text in texts]
        if all(row is not None for row in rows):
            return self.embeddings[rows]
        with torch_threads(1):
            return self.encoder.embed(list(texts))


def scene_ids(attrs: list[dict]) -> np.ndarray:
    """One integer per image, equal exactly when two images show the same scene (all five
    attributes equal; offset, side and colour shift do not count)."""
    keys = [tuple(a[key] for key, _ in shapes.ATTRIBUTES) for a in attrs]
    return np.unique(keys, axis=0, return_inverse=True)[1].reshape(-1)


def same_scene(attrs: list[dict]) -> torch.Tensor:
    """(N, N) bool: True where images i and j show the same scene (the diagonal included)."""
    ids = torch.from_numpy(scene_ids(attrs))
    return ids[:, None] == ids[None, :]


@dataclass
class RetrievalRun:
    """A trained dual encoder and its loss and temperature curves."""

    model: DualEncoder
    history: History


def train_dual_encoder(bank: CaptionBank, config: DualEncoderConfig | None = None,
                       progress: bool = True) -> RetrievalRun:
    """Train a dual encoder on `config.steps` fresh batches of the train split.

    Each batch is `shapes.sample(batch_size, seed, "train", config.lang)` with a seed of its
    own, so no batch repeats. Two images of a batch that show the same scene are both
    positives of each other's captions (see `contrastive_loss`). AdamW with a one-cycle
    schedule; the logit scale has no weight decay (decay would drag the temperature towards 1).
    """
    config = config or DualEncoderConfig()
    if config.lang not in shapes.LANGS:
        raise BadInputError(f"unknown lang {config.lang!r}; choose one of "
                            f"{', '.join(shapes.LANGS)}")
    seed_everything(config.seed)
    model = DualEncoder(config)
    decayed = [p for name, p in model.named_parameters() if name != "logit_scale"]
    optimizer = torch.optim.AdamW([{"params": decayed},
                                   {"params": [model.logit_scale], "weight_decay": 0.0}],
                                  lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr,
                                                   total_steps=config.steps)

    def step(i):
        batch = shapes.sample(config.batch_size, seed=config.seed * 1_000_000 + i,
                              split="train", lang=config.lang)
        images = torch.from_numpy(batch.images)
        loss = contrastive_loss(model.encode_images(images),
                                model.encode_texts(bank.embed(batch.captions)),
                                model.scale(), same_scene(batch.attrs))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        return {"loss": loss.item(), "temperature": 1 / model.scale().item()}

    model.train()
    with torch_threads(1):  # small towers: one thread is as fast and immune to contention
        history = train_loop(step, config.steps, log_every=10, desc="training the dual encoder",
                             progress=progress)
    return RetrievalRun(model.eval(), history)
