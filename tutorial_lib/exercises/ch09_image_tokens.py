"""Checkers for chapter 9, "A language model that draws: images as tokens"."""

import math

import torch
import torch.nn.functional as F

from tutorial_lib.exercises import CheckResult, attempt, failed, passed
from tutorial_lib.tokens.sampling import guided_logits
from tutorial_lib.tokens.vq import Codebook, straight_through


def _quantize_case():
    """Encoder vectors and a codebook whose codes have very different lengths, so that the
    nearest code by distance differs from the code with the largest dot product, and from
    the nearest by L1 distance for some vectors."""
    rng = torch.Generator().manual_seed(9)
    codes = torch.randn(12, 4, generator=rng) * torch.linspace(0.2, 3.0, 12)[:, None]
    z = torch.randn(40, 4, generator=rng) * 1.5
    return z, codes


def check_quantize(quantize_fn) -> CheckResult:
    """Exercise 9.1: quantize_fn(z, codes) -> (quantized, index) for encoder vectors z (N, D)
    and a codebook (K, D): the index of the nearest code by squared Euclidean distance, and
    that code's vector as the output, passing the gradient straight through to z."""
    z, codes = _quantize_case()
    z_in = z.clone().requires_grad_(True)
    result, error = attempt(quantize_fn, z_in, codes.clone())
    if error:
        return failed(error)
    if not (isinstance(result, tuple) and len(result) == 2):
        return failed("return two things: (quantized vectors (N, D), indices (N,))")
    quantized, index = result
    if not isinstance(index, torch.Tensor) or tuple(index.shape) != (len(z),):
        return failed(f"the indices must be a tensor of shape ({len(z)},)")
    if not isinstance(quantized, torch.Tensor) or quantized.shape != z.shape:
        return failed(f"the quantized vectors must be a tensor of shape {tuple(z.shape)}")
    book = Codebook(len(codes), codes.shape[1], 0.99, 0.0)
    book.codes.copy_(codes)
    truth = book.nearest(z)
    wrong_index = {
        "that is the code with the largest dot product z . e_k; the nearest code minimises "
        "|z - e_k|^2 = |z|^2 - 2 z . e_k + |e_k|^2, and long codes win dot products":
            (z @ codes.T).argmax(1),
        "that is the nearest code by L1 distance; the VQ-VAE uses the squared Euclidean one":
            torch.cdist(z, codes, p=1).argmin(1),
        "that is the farthest code: take the argmin of the distances":
            torch.cdist(z, codes).argmax(1),
    }
    for hint, wrong in wrong_index.items():
        if torch.equal(index.long(), wrong) and not torch.equal(wrong, truth):
            return failed(hint)
    if not torch.equal(index.long(), truth):
        return failed("wrong indices: compare every vector with every code by squared "
                      "Euclidean distance and take the argmin over codes")
    if torch.allclose(quantized.detach(), z, atol=1e-6):
        return failed("the output is z itself: the forward value must be the chosen codes")
    if not torch.allclose(quantized.detach(), codes[truth], atol=1e-5):
        return failed("the forward value must be codes[index], the nearest code of each vector")
    if not quantized.requires_grad:
        return failed("no gradient reaches z: codes[index] alone has no gradient to the "
                      "encoder; return z + (codes[index] - z).detach()")
    upstream = torch.randn(z.shape, generator=torch.Generator().manual_seed(1))
    (grad,) = torch.autograd.grad(quantized, z_in, upstream, allow_unused=True)
    reference = z.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(straight_through(reference, codes[truth]), reference,
                                      upstream)
    if grad is None or torch.allclose(grad, torch.zeros_like(grad)):
        return failed("the gradient to z is zero: in z + (q - z) without .detach() the two z "
                      "cancel; detach (q - z) so that d(out)/dz is the identity")
    if not torch.allclose(grad, expected, atol=1e-6):
        return failed("the gradient to z must be the incoming gradient unchanged (the "
                      "identity): z + (q - z).detach()")
    return passed("nearest codes by squared distance, with the decoder's gradient passed "
                  "straight through to the encoder")


def check_guided_logits(guide_fn) -> CheckResult:
    """Exercise 9.2: guide_fn(cond, uncond, scale) -> classifier-free guided logits in
    LlamaGen's convention, uncond + scale * (cond - uncond), mixed before the softmax."""
    rng = torch.Generator().manual_seed(11)
    cond, uncond = torch.randn(2, 5, 16, generator=rng) * 2
    answers = []
    for scale in (0.0, 1.0, 1.5, 4.0):
        answer, error = attempt(guide_fn, cond.clone(), uncond.clone(), scale)
        if error:
            return failed(error)
        if not isinstance(answer, torch.Tensor) or answer.shape != cond.shape:
            return failed(f"return a tensor of logits of shape {tuple(cond.shape)}")
        answers.append((scale, answer.float()))

    def mixed_probabilities(scale):
        p_c, p_u = cond.softmax(-1), uncond.softmax(-1)
        return (p_u + scale * (p_c - p_u)).clamp(min=1e-12).log()

    wrong_answers = {
        "that is Ho & Salimans' convention, (1 + s) cond - s uncond, where s = 0 is the plain "
        "conditional model; here scale 1 must give the conditional logits":
            lambda s: (1 + s) * cond - s * uncond,
        "check the direction: scale 0 must give the unconditional logits and scale 1 the "
        "conditional ones": lambda s: cond + s * (uncond - cond),
        "guidance extrapolates the difference cond - uncond; scaling the conditional logits "
        "alone only changes the temperature": lambda s: s * cond,
        "mix the logits, not the probabilities: extrapolated probabilities can go negative":
            mixed_probabilities,
    }
    for hint, wrong in wrong_answers.items():
        if all(torch.allclose(answer, wrong(s), atol=1e-4) for s, answer in answers):
            return failed(hint)
    for scale, answer in answers:
        if not torch.allclose(answer, guided_logits(cond, uncond, scale), atol=1e-4):
            return failed(f"wrong logits at scale {scale}: expected uncond + scale * "
                          "(cond - uncond)")
    return passed("scale 0 ignores the caption, 1 is the conditional model, above 1 pushes "
                  "away from what an empty caption would draw")


def _bits_case():
    rng = torch.Generator().manual_seed(12)
    logits = torch.randn(3, 64, 256, generator=rng) * 3
    codes = torch.randint(256, (3, 64), generator=rng)
    return logits, codes


def uniform_bits(codebook_size: int = 256, tokens: int = 64) -> float:
    """Bits per image of a model that knows nothing: every code has probability 1/K."""
    return tokens * math.log2(codebook_size)


def check_bits_per_image(bits_fn, predicted_uniform_bits) -> CheckResult:
    """Exercise 9.3: bits_fn(logits (N, 64, K), codes (N, 64)) -> (N,) bits per image, the
    image's negative log-likelihood in base 2, summed over its 64 tokens; and, predicted before
    running, the bits per image of a uniform model over K = 256 codes."""
    if isinstance(predicted_uniform_bits, bool) or not isinstance(predicted_uniform_bits,
                                                                   int | float):
        return failed(f"predicted_uniform_bits must be a number, got {predicted_uniform_bits!r}")
    truth_uniform = uniform_bits()
    wrong_uniform = {
        "that is one token's bits: an image has 64 tokens": math.log2(256),
        "that is in nats (natural logarithm): bits use log base 2": 64 * math.log(256),
        "that is the raw pixels' bits (32 x 32 x 3 x 8); the model pays per token": 24_576,
        "a uniform model gives every code probability 1/K, so a token costs log2 K bits, "
        "not K": 64 * 256,
    }
    for hint, wrong in wrong_uniform.items():
        if abs(predicted_uniform_bits - wrong) < 0.5:
            return failed("your prediction: " + hint)
    if abs(predicted_uniform_bits - truth_uniform) > 0.5:
        return failed("your prediction: a uniform model spends log2 K bits on each of the 64 "
                      "tokens")
    logits, codes = _bits_case()
    answer, error = attempt(bits_fn, logits.clone(), codes.clone())
    if error:
        return failed(error)
    if not isinstance(answer, torch.Tensor) or tuple(answer.shape) != (len(codes),):
        return failed(f"return one number per image: a tensor of shape ({len(codes)},)")
    nats = F.cross_entropy(logits.transpose(1, 2), codes, reduction="none").sum(1)
    truth = nats / math.log(2)
    log_p = logits.log_softmax(-1)
    wrong_answers = {
        "that is in nats: divide by ln 2 (or use log2) for bits": nats,
        "that is the mean per token: sum over the image's 64 tokens":
            truth / codes.shape[1],
        "normalise first: the log-probability is log_softmax(logits), not the raw logit":
            -logits.gather(-1, codes[..., None]).squeeze(-1).sum(1) / math.log(2),
        "score the image's own codes, not the most likely code at each position":
            -log_p.max(-1).values.sum(1) / math.log(2),
    }
    for hint, wrong in wrong_answers.items():
        if torch.allclose(answer.float(), wrong, rtol=1e-4):
            return failed(hint)
    if not torch.allclose(answer.float(), truth, rtol=1e-4):
        return failed("bits per image = -sum over the 64 positions of log2 p(code | "
                      "caption, earlier codes)")
    return passed(f"a uniform model spends {truth_uniform:.0f} bits per image; a model that "
                  "has learnt the images spends fewer")
