"""Training the captioner on fresh shapes-world batches, English and Chinese mixed.

Every step draws new training-split images, each with a caption in English or Chinese (a coin
flip), so the model never sees the same batch twice and cannot overfit. The loss is the
decoder's next-token cross-entropy, given the image: teacher forcing, the same objective as
chapter 1's language model with the image as extra context.
"""

import torch

from tutorial_lib.caption.model import (
    CaptionConfig,
    build_captioner,
    captioning_tokenizer,
    lang_token_id,
    pixel_values,
)
from tutorial_lib.data import shapes
from tutorial_lib.runtime import seed_everything, torch_threads
from tutorial_lib.text.tiny_gpt import learning_rate
from tutorial_lib.training import set_learning_rate, train_loop


def caption_language(text: str) -> str:
    """'en' for an English caption, 'zh' for a Chinese one (English captions are pure ASCII)."""
    return "en" if text.isascii() else "zh"


def frame_captions(tokenizer, captions: list[str]) -> dict[str, torch.Tensor]:
    """Decoder inputs and labels for a batch of captions (English and Chinese mixed).

    Input `<lang> t1 ... tn`, labels `t1 ... tn <eos>`: position i predicts token i + 1, so the
    labels are the inputs shifted left by one. Padding gets label -100 (ignored by the loss).
    """
    ids = tokenizer(captions, add_special_tokens=False)["input_ids"]
    starts = [lang_token_id(tokenizer, caption_language(text)) for text in captions]
    length = 1 + max(map(len, ids))
    pad = tokenizer.pad_token_id
    inputs = [[start, *row] + [pad] * (length - 1 - len(row))
              for start, row in zip(starts, ids, strict=True)]
    labels = [[*row, tokenizer.eos_token_id] + [-100] * (length - 1 - len(row)) for row in ids]
    labels = torch.tensor(labels)
    return {"decoder_input_ids": torch.tensor(inputs), "labels": labels,
            "decoder_attention_mask": (labels != -100).long()}


def train_captioner(config: CaptionConfig | None = None, progress: bool = True):
    """Train a fresh captioner; returns (model in eval mode, tokenizer, History)."""
    config = config or CaptionConfig()
    tokenizer = captioning_tokenizer()
    seed_everything(config.seed)  # initial weights come from torch's global RNG
    model = build_captioner(config, tokenizer).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, betas=config.betas,
                                  weight_decay=0.0, foreach=True)

    def step(i):
        lr = learning_rate(i, config)
        set_learning_rate(optimizer, lr)  # chapter 1's warmup + cosine schedule
        batch = shapes.sample(config.batch_size, seed=config.seed * 1_000_003 + i,
                              split="train", lang="both")
        loss = model(pixel_values=pixel_values(batch.images),
                     **frame_captions(tokenizer, batch.captions)).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item(), "lr": lr}

    with torch_threads(config.threads):  # tiny models run fastest on one thread (runtime.py)
        history = train_loop(step, config.steps, log_every=10, desc="captioner",
                             progress=progress)
    return model.eval(), tokenizer, history
