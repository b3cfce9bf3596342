"""Checkers for chapter 4, "Words into pixels: the language model inside the GAN"."""

import math

import torch

from tutorial_lib.data.attributes import ATTRIBUTE_CLASSES, attribute_loss
from tutorial_lib.exercises import CheckResult, attempt, failed, passed
from tutorial_lib.t2i.nets import ProjectionDiscriminator
from tutorial_lib.t2i.train import T2IConfig, d_hinge_loss


def _logits(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(16, generator=generator) * 2 for _ in range(3))


def check_matching_aware_loss(loss_fn) -> CheckResult:
    """Exercise 4.1: loss_fn(real, fake, mismatched) -> the matching-aware hinge loss of D:
    E[max(0, 1 - real)] + (E[max(0, 1 + fake)] + E[max(0, 1 + mismatched)]) / 2."""
    real, fake, mismatched = _logits(6)
    answer, error = attempt(loss_fn, real.clone(), fake.clone(), mismatched.clone())
    if error:
        return failed(error)
    value = float(answer)
    relu = torch.nn.functional.relu
    real_term, fake_term = relu(1 - real).mean(), relu(1 + fake).mean()
    wrong_answers = {
        "the mismatched pairs are missing: a real image with someone else's caption must count "
        "as fake, or D never checks that image and text agree": real_term + fake_term,
        "a mismatched pair is a *fake*: push its logit below -1 with max(0, 1 + D(x, wrong c)), "
        "not above +1": real_term + (fake_term + relu(1 - mismatched).mean()) / 2,
        "the two kinds of fake share the fake half of the loss: average them, (fake term + "
        "mismatched term) / 2, so real and fake weigh the same":
            real_term + fake_term + relu(1 + mismatched).mean(),
    }
    for hint, wrong in wrong_answers.items():
        if abs(value - wrong.item()) < 1e-4:
            return failed(hint)
    truth = d_hinge_loss(real, fake, mismatched).item()
    if abs(value - truth) > 1e-4:
        return failed(f"expected {truth:.4f} on the test logits, got {value:.4f}")
    return passed("a real image with the wrong caption now counts as fake")


def check_projection_forward(forward_fn) -> CheckResult:
    """Exercise 4.2: forward_fn(d, x, c) -> the projection discriminator's logits (N,),
    psi(phi(x)) + <W c, phi(x)>, using d.phi, d.psi and d.embed of a ProjectionDiscriminator."""
    torch.manual_seed(7)
    d = ProjectionDiscriminator(cond_dim=18, width=8, features=32).eval()
    x = torch.rand(5, 3, 32, 32) * 2 - 1
    c = torch.rand(5, 18)
    answer, error = attempt(forward_fn, d, x, c)
    if error:
        return failed(error)
    answer = torch.as_tensor(answer).detach().float()
    with torch.no_grad():
        truth = d(x, c)[0]
        h = d.phi(x)
        unconditional = d.psi(h).squeeze(1)
    if answer.shape != truth.shape:
        return failed(f"return one logit per image: shape {tuple(truth.shape)}, got "
                      f"{tuple(answer.shape)} (sum the product over the feature axis)")
    if torch.allclose(answer, unconditional, atol=1e-4):
        return failed("that is psi(phi(x)) alone: D never looks at the caption; add the "
                      "projection <W c, phi(x)>, (d.embed(c) * h).sum(1)")
    if torch.allclose(answer, (d.embed(c) * h).sum(1), atol=1e-4):
        return failed("the projection alone misses the unconditional 'does it look real' "
                      "term psi(phi(x))")
    if not torch.allclose(answer, truth, atol=1e-4):
        return failed("not the projection logit: psi(h).squeeze(1) + (d.embed(c) * h).sum(1), "
                      "with h = d.phi(x)")
    return passed("the caption enters D as an inner product with the image's features")


def check_initial_d_loss(answer) -> CheckResult:
    """Exercise 4.3: L_D of the default recipe for a discriminator whose logit and attribute
    logits are all 0, derived from the formula (2 + attribute_weight * ln 432)."""
    if isinstance(answer, bool) or not isinstance(answer, int | float) or not math.isfinite(answer):
        return failed(f"expected a number of nats, got {answer!r}")
    weight = T2IConfig().attribute_weight
    # The truth is computed with the training code's own losses, on all-zero outputs.
    zeros, codes = torch.zeros(4), torch.zeros(4, len(ATTRIBUTE_CLASSES), dtype=torch.long)
    attributes = attribute_loss(torch.zeros(4, sum(ATTRIBUTE_CLASSES)), codes).item()
    truth = d_hinge_loss(zeros, zeros).item() + weight * attributes
    wrong_answers = {
        "that is the hinge part alone: L_D also has the attribute term, lambda_attr times the "
        "auxiliary head's cross-entropy on real images": 2.0,
        "the attribute term is weighted by lambda_attr = config.attribute_weight": 2 + attributes,
        "that is in bits: use natural logarithms (nats)": 2 + weight * attributes / math.log(2),
        "the five attributes have a softmax each (6, 4, 2, 3 and 3 values), not one softmax over "
        "all 18 logits": 2 + weight * math.log(sum(ATTRIBUTE_CLASSES)),
        "the projection discriminator has no mismatched term, and the matching-aware one averages "
        "its two fake terms: the hinge part is 1 + 1": 3 + weight * attributes,
    }
    for hint, wrong in wrong_answers.items():
        if abs(answer - wrong) < 1e-3:
            return failed(hint)
    if abs(answer - truth) > 1e-3:
        return failed("each hinge term is max(0, 1 - 0) = 1, and a uniform softmax over K values "
                      "has cross-entropy ln K, whatever the right value is")
    return passed(f"2 + {weight:g} ln 432 = {truth:.3f} nats")
