"""Model complexity and compute: parameters, FLOPs, training and inference time of every model
of the course, from one registry.

FLOPs are counted by `torch.utils.flop_counter.FlopCounterMode`, which intercepts the
operators a forward pass dispatches and adds 2 x multiply-accumulates for matrix products,
convolutions (and transposed ones) and attention. It does not count element-wise work
(activations, normalisation, softmax outside fused attention, additions of biases and
residuals) nor embedding look-ups: for the small convolutional nets here that is a modest
undercount, for the language models a small one.

Nothing is retrained: FLOPs, parameter counts and speed do not depend on the weights, so each
entry builds its architecture (pretrained models are loaded); training seconds are read from
the cache files the earlier chapters wrote, or reported as not recorded.
"""

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from tutorial_lib.errors import BadInputError
from tutorial_lib.model_cache import recorded_history
from tutorial_lib.runtime import torch_threads
from tutorial_lib.viz import markdown_table

PROMPT_TOKENS = 16  # one caption-length input for the text models


@dataclass(frozen=True)
class ModelEntry:
    """A model of the course: `build()` returns (module, example inputs for one example);
    `cache_file` is the file whose metadata holds its training time (None: not cached);
    `pretrained` models were trained by others (no training time here)."""

    name: str
    chapter: int
    build: Callable[[], tuple[torch.nn.Module, tuple]]
    cache_file: str | None = None
    pretrained: bool = False


def _ids(vocab_size: int) -> torch.Tensor:
    return torch.randint(vocab_size, (1, PROMPT_TOKENS), generator=torch.Generator().manual_seed(0))


def _tiny_gpt():
    from transformers import GPT2LMHeadModel

    from tutorial_lib.text.tiny_gpt import TinyGPTConfig
    from tutorial_lib.text.tokenizer import caption_tokenizer

    tokenizer = caption_tokenizer()
    return GPT2LMHeadModel(TinyGPTConfig().gpt2_config(tokenizer)), (_ids(len(tokenizer)),)


def _smollm2():
    from tutorial_lib.text.pretrained import load_causal_lm

    _, model = load_causal_lm()
    return model, (_ids(model.config.vocab_size),)


def _minilm():
    from tutorial_lib.text.pretrained import load_sentence_encoder

    _, model = load_sentence_encoder()
    return model, (_ids(model.config.vocab_size),)


def _toy_generator():
    from tutorial_lib.gan.toy2d import ToyConfig, mlp

    config = ToyConfig()
    return mlp(config.latent_dim, config.hidden, 2), (torch.randn(1, config.latent_dim),)


def _digit_generator():
    from tutorial_lib.gan.digits import DEFAULT_CONFIG as C
    from tutorial_lib.gan.nets import Generator

    return (Generator(C.latent_dim, C.g_width, C.num_classes),
            (torch.randn(1, C.latent_dim), torch.tensor([3])))


def _digit_discriminator():
    from tutorial_lib.gan.digits import DEFAULT_CONFIG as C
    from tutorial_lib.gan.nets import Discriminator

    return Discriminator(C.d_width, C.num_classes), (torch.rand(1, 1, 28, 28), torch.tensor([3]))


def _t2i_generator():
    from tutorial_lib.t2i.nets import TextGenerator
    from tutorial_lib.t2i.pipeline import DEFAULT_CONFIG as C
    from tutorial_lib.text.encoders import TextEncoder

    return (TextGenerator(TextEncoder.dim, C.latent_dim, C.g_width),
            (torch.randn(1, C.latent_dim), torch.rand(1, TextEncoder.dim)))


def _t2i_discriminator():
    from tutorial_lib.t2i.nets import ProjectionDiscriminator
    from tutorial_lib.t2i.pipeline import DEFAULT_CONFIG as C
    from tutorial_lib.text.encoders import TextEncoder

    return (ProjectionDiscriminator(TextEncoder.dim, C.d_width),
            (torch.rand(1, 3, 32, 32), torch.rand(1, TextEncoder.dim)))


def _chinese_student():
    from tutorial_lib.text.encoders import CaptionStudent, StudentConfig
    from tutorial_lib.text.tokenizer import caption_tokenizer

    vocab = len(caption_tokenizer())
    return (CaptionStudent(vocab, StudentConfig()),
            (_ids(vocab), torch.ones(1, PROMPT_TOKENS, dtype=torch.bool)))


def _captioner():
    from tutorial_lib.caption.model import CaptionConfig, build_captioner, captioning_tokenizer

    tokenizer = captioning_tokenizer()
    model = build_captioner(CaptionConfig(), tokenizer)
    return model, (torch.rand(1, 3, 32, 32), _ids(len(tokenizer)))


def _dual_encoder():
    from tutorial_lib.retrieval.model import DualEncoder, DualEncoderConfig

    config = DualEncoderConfig()
    images = torch.randint(256, (1, 32, 32, 3), dtype=torch.uint8)
    return DualEncoder(config), (images, torch.rand(1, config.text_dim))


def _diffusion_unet():
    from tutorial_lib.diffusion.model import DiffusionConfig, TextConditionedUNet
    from tutorial_lib.text.encoders import TextEncoder

    return (TextConditionedUNet(DiffusionConfig()),
            (torch.randn(1, 3, 32, 32), torch.tensor([500]), torch.rand(1, TextEncoder.dim)))


# One entry per model; adding a model to the table is adding a line here.
REGISTRY: dict[str, ModelEntry] = {e.name: e for e in (
    ModelEntry("tiny GPT", 1, _tiny_gpt, "tiny_gpt_both.safetensors"),
    ModelEntry("SmolLM2-135M", 1, _smollm2, pretrained=True),
    ModelEntry("MiniLM-L6", 4, _minilm, pretrained=True),
    ModelEntry("toy GAN generator", 2, _toy_generator),
    ModelEntry("digit GAN generator", 3, _digit_generator, "digit_gan.safetensors"),
    ModelEntry("digit GAN discriminator", 3, _digit_discriminator, "digit_gan.safetensors"),
    ModelEntry("text-to-image generator", 4, _t2i_generator, "t2i_generator.safetensors"),
    ModelEntry("projection discriminator", 4, _t2i_discriminator, "t2i_generator.safetensors"),
    ModelEntry("Chinese student encoder", 4, _chinese_student, "chinese_student.safetensors"),
    ModelEntry("captioner (ViT + GPT-2)", 5, _captioner, "captioner.safetensors"),
    ModelEntry("dual encoder", 7, _dual_encoder, "dual_encoder.safetensors"),
    ModelEntry("diffusion UNet (one denoising step)", 8, _diffusion_unet,
               "diffusion_unet.safetensors"),
)}


def count_parameters(model: torch.nn.Module) -> int:
    """Number of distinct parameters (tied weights counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def _forward(model: torch.nn.Module, inputs: tuple):
    if hasattr(model, "config") and hasattr(model.config, "model_type"):  # transformers
        if model.config.model_type == "vision-encoder-decoder":
            return model(pixel_values=inputs[0], decoder_input_ids=inputs[1])
        return model(input_ids=inputs[0])
    return model(*inputs)


def count_flops(model: torch.nn.Module, inputs: tuple) -> int:
    """FLOPs of one forward pass, as FlopCounterMode counts them (see the module docstring).

    Gradients stay enabled: without them PyTorch runs nn.TransformerEncoderLayer through a
    fused kernel that FlopCounterMode cannot see inside, and counts almost nothing."""
    with torch.enable_grad(), FlopCounterMode(display=False) as counter:
        _forward(model.eval(), inputs)
    return int(counter.get_total_flops())


@torch.no_grad()
def seconds_per_forward(model: torch.nn.Module, inputs: tuple, repeats: int = 20) -> float:
    """Median wall time of one forward pass (after one warm-up pass): the median ignores the
    occasional pause a busy machine causes."""
    model.eval()
    _forward(model, inputs)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _forward(model, inputs)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def recorded_train_seconds(entry: ModelEntry) -> float | None:
    """Training seconds stored in the entry's cache file (its history's `seconds`); None when
    the file is absent or records none."""
    if entry.cache_file is None:
        return None
    history = recorded_history(entry.cache_file)
    return None if history is None else history.seconds


@dataclass
class ComputeRow:
    name: str
    chapter: int
    parameters: int
    flops: int
    train_seconds: float | None  # None: pretrained elsewhere or not recorded
    forward_seconds: float
    pretrained: bool


def measure(entry: ModelEntry, repeats: int = 20) -> ComputeRow:
    """Parameters, FLOPs, recorded training time and forward time of one model."""
    model, inputs = entry.build()
    return ComputeRow(entry.name, entry.chapter, count_parameters(model),
                      count_flops(model, inputs), recorded_train_seconds(entry),
                      seconds_per_forward(model, inputs, repeats), entry.pretrained)


def compute_table(names=None, repeats: int = 20) -> list[ComputeRow]:
    """measure() every registered model (or those named), with one torch thread, as a model
    serving one request at a time would run on a shared machine."""
    names = list(REGISTRY) if names is None else list(names)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise BadInputError(f"unknown models {unknown}; registered: {', '.join(REGISTRY)}")
    with torch_threads(1):
        return [measure(REGISTRY[n], repeats) for n in names]


def _human(n: float) -> str:
    exponent = min(int(math.log10(max(n, 1)) // 3), 4)
    return f"{n / 1000 ** exponent:.3g}{['', 'k', 'M', 'G', 'T'][exponent]}"


def table_markdown(rows: list[ComputeRow]) -> str:
    """The rows as a Markdown table."""
    cells = []
    for r in rows:
        trained = ("pretrained" if r.pretrained else "not recorded" if r.train_seconds is None
                   else f"{r.train_seconds:.0f}")
        cells.append([r.name, r.chapter, _human(r.parameters), _human(r.flops), trained,
                      f"{1000 * r.forward_seconds:.2f}"])
    return markdown_table(["model", "ch.", "parameters", "FLOPs / forward", "training s",
                           "forward ms"], cells, "lrrrrr")
