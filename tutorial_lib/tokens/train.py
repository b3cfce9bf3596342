"""Training the two halves of the token model: the image tokenizer, then the GPT over its tokens.

Both follow chapter 1's learning-rate schedule (`text.tiny_gpt.learning_rate`: a warm-up, then
a cosine decay, which sharpens the final weights). Both train on train-split images only
(`data.shapes`): the four held-out colour-shape pairs are never shown to either, as for the
GAN and the diffusion model.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tutorial_lib.data import shapes
from tutorial_lib.data.tensors import images_to_tensor
from tutorial_lib.runtime import seed_everything
from tutorial_lib.text.tiny_gpt import learning_rate
from tutorial_lib.tokens.model import TokenGPT, TokenGPTConfig, caption_ids
from tutorial_lib.tokens.vq import VQConfig, VQTokenizer
from tutorial_lib.training import History, set_learning_rate, train_loop


@dataclass
class VQRun:
    config: VQConfig
    tokenizer: VQTokenizer
    history: History


def train_vq(config: VQConfig | None = None, progress: bool = True) -> VQRun:
    """Train the VQ-VAE on `config.train_images` train-split pictures."""
    config = config or VQConfig()
    rng = seed_everything(config.seed)
    images = images_to_tensor(shapes.sample(config.train_images, seed=config.seed,
                                            split="train").images)
    model = VQTokenizer(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)

    def step(i):
        set_learning_rate(optimizer, learning_rate(i, config))
        batch = images[torch.randint(len(images), (config.batch_size,), generator=rng)]
        _, recon_loss, commitment, index = model(batch, rng)
        loss = recon_loss + config.commitment * commitment
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        used = torch.unique(index).numel()
        return {"reconstruction": recon_loss.item(), "codes_in_batch": used}

    model.train()
    history = train_loop(step, config.steps, log_every=10, desc="image tokenizer",
                         progress=progress)
    return VQRun(config, model.eval(), history)


@dataclass
class TokenGPTRun:
    config: TokenGPTConfig
    model: TokenGPT
    history: History


def training_sequences(tokenizer, vq: VQTokenizer, config: TokenGPTConfig):
    """(caption ids (N, caption_length), image tokens (N, 64)) of `config.train_images`
    train-split pictures, half captioned in English and half in Chinese."""
    sample = shapes.sample(config.train_images, seed=config.seed, split="train", lang="both")
    tokens = vq.encode(images_to_tensor(sample.images)).flatten(1)
    return caption_ids(tokenizer, sample.captions, config.caption_length), tokens


def train_token_gpt(tokenizer, vq: VQTokenizer, config: TokenGPTConfig | None = None,
                    progress: bool = True) -> TokenGPTRun:
    """Train p(image tokens | caption tokens): cross-entropy on the image positions only. A
    fraction `uncond_rate` of captions is replaced by the empty caption (all padding), which
    teaches the same network p(image tokens) for classifier-free guidance."""
    config = config or TokenGPTConfig()
    rng = seed_everything(config.seed)
    captions, images = training_sequences(tokenizer, vq, config)
    model = TokenGPT(config, len(tokenizer), tokenizer.pad_token_id, len(vq.codebook.codes))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, betas=(0.9, 0.95),
                                  weight_decay=config.weight_decay)

    def step(i):
        set_learning_rate(optimizer, learning_rate(i, config))
        batch = torch.randint(len(images), (config.batch_size,), generator=rng)
        caption = captions[batch].clone()
        dropped = torch.rand(config.batch_size, generator=rng) < config.uncond_rate
        caption[dropped] = tokenizer.pad_token_id
        logits = model.image_logits(caption, images[batch])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), images[batch].flatten())
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return {"loss": loss.item()}

    model.train()
    history = train_loop(step, config.steps, log_every=10, desc="token GPT", progress=progress)
    return TokenGPTRun(config, model.eval(), history)
