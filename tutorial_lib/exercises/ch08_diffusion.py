"""Checkers for chapter 8, "Beyond GANs: a diffusion model on the same task"."""

import torch

from tutorial_lib.exercises import CheckResult, attempt, failed, passed


def _noising_case():
    """Clean images, noise, steps and the cumulative products abar_t of a cosine schedule."""
    from diffusers import DDPMScheduler

    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2")
    rng = torch.Generator().manual_seed(8)
    x0 = torch.rand(6, 3, 4, 4, generator=rng) * 2 - 1
    noise = torch.randn(6, 3, 4, 4, generator=rng)
    t = torch.tensor([0, 10, 200, 500, 800, 999])
    return scheduler, x0, noise, t


def _as_tensor(answer, shape) -> tuple[torch.Tensor | None, str | None]:
    if not isinstance(answer, torch.Tensor):
        return None, f"return a torch tensor, got {type(answer).__name__}"
    if tuple(answer.shape) != tuple(shape):
        return None, f"return a tensor of shape {tuple(shape)}, got {tuple(answer.shape)}"
    return answer.float(), None


def check_add_noise(add_noise_fn) -> CheckResult:
    """Exercise 8.1: add_noise_fn(x0, noise, t, alphas_cumprod) -> x_t of the forward process,
    sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, for a batch of steps t; checked against diffusers'
    DDPMScheduler.add_noise."""
    scheduler, x0, noise, t = _noising_case()
    abar = scheduler.alphas_cumprod.clone()
    answer, error = attempt(add_noise_fn, x0.clone(), noise.clone(), t.clone(), abar.clone())
    if error:
        return failed(error)
    answer, error = _as_tensor(answer, x0.shape)
    if error:
        return failed(error)
    truth = scheduler.add_noise(x0, noise, t)
    a = abar[t].view(-1, 1, 1, 1)
    beta = scheduler.betas[t].view(-1, 1, 1, 1)
    wrong_answers = {
        "take square roots: x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps keeps the variance at "
        "1 (abar_t x0 + (1 - abar_t) eps shrinks it)": a * x0 + (1 - a) * noise,
        "use the cumulative product abar_t = prod(1 - beta_s), not one step's beta_t: x_t jumps "
        "from x0 in one go": (1 - beta).sqrt() * x0 + beta.sqrt() * noise,
        "the signal keeps sqrt(abar_t) and the noise gets sqrt(1 - abar_t), not the other way "
        "round": (1 - a).sqrt() * x0 + a.sqrt() * noise,
        "index abar with each image's own step t (one value per image, broadcast over its "
        "pixels)": abar[t[0]].sqrt() * x0 + (1 - abar[t[0]]).sqrt() * noise,
    }
    for hint, wrong in wrong_answers.items():
        if torch.allclose(answer, wrong, atol=1e-5):
            return failed(hint)
    if not torch.allclose(answer, truth, atol=1e-5):
        return failed("x_t differs from DDPMScheduler.add_noise; check the formula and that "
                      "abar is indexed by each image's step")
    return passed("your forward process matches diffusers' DDPMScheduler.add_noise")


def check_guidance(guide_fn) -> CheckResult:
    """Exercise 8.2: guide_fn(eps_conditional, eps_unconditional, w) -> the classifier-free
    guided noise prediction eps_u + w (eps_c - eps_u)."""
    rng = torch.Generator().manual_seed(9)
    eps_c, eps_u = torch.randn(2, 4, 3, 4, 4, generator=rng)
    results = []
    for w in (0.0, 1.0, 3.0):
        answer, error = attempt(guide_fn, eps_c.clone(), eps_u.clone(), w)
        if error:
            return failed(error)
        answer, error = _as_tensor(answer, eps_c.shape)
        if error:
            return failed(error)
        results.append((w, answer))
    wrong_answers = {
        "start from the unconditional prediction and move towards the conditional one: "
        "eps_u + w (eps_c - eps_u); starting from eps_c overshoots even at w = 1":
            lambda w: eps_c + w * (eps_c - eps_u),
        "guidance extrapolates the difference eps_c - eps_u; scaling eps_c alone changes the "
        "noise level instead": lambda w: w * eps_c,
        "w = 0 must give the unconditional model and w = 1 the conditional one: check the sign":
            lambda w: eps_u - w * (eps_c - eps_u),
        "this averages the two predictions: it never goes beyond the conditional one":
            lambda w: (eps_c + w * eps_u) / (1 + w),
    }
    for hint, wrong in wrong_answers.items():
        if all(torch.allclose(answer, wrong(w), atol=1e-5) for w, answer in results):
            return failed(hint)
    for w, answer in results:
        if not torch.allclose(answer, eps_u + w * (eps_c - eps_u), atol=1e-5):
            return failed(f"wrong result at w = {w}: expected eps_u + w (eps_c - eps_u)")
    return passed("w = 0 is unconditional, w = 1 conditional, and w > 1 goes beyond")
