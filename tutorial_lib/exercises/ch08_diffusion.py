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


def check_guidance(guide_fn, guided_x0_fn) -> CheckResult:
    """Exercise 8.2: guide_fn(eps_conditional, eps_unconditional, w) -> the classifier-free guided
    noise prediction in Ho & Salimans' convention, (1 + w) eps_c - w eps_u; and
    guided_x0_fn(x_t, eps_conditional, eps_unconditional, w, abar_t) -> the clean-image estimate
    that guided noise implies, (x_t - sqrt(1 - abar_t) eps_guided) / sqrt(abar_t), which equals
    the course's guidance of the two clean-image estimates with weight 1 + w."""
    rng = torch.Generator().manual_seed(9)
    eps_c, eps_u, x_t = torch.randn(3, 4, 3, 4, 4, generator=rng)
    abar = torch.tensor([0.9, 0.5, 0.1, 0.02]).view(-1, 1, 1, 1)
    weights = (0.0, 0.5, 2.0)
    results = []
    for w in weights:
        answer, error = attempt(guide_fn, eps_c.clone(), eps_u.clone(), w)
        if error:
            return failed(error)
        answer, error = _as_tensor(answer, eps_c.shape)
        if error:
            return failed(error)
        results.append((w, answer))
    wrong_answers = {
        "that is the course's convention, eps_u + w (eps_c - eps_u); in Ho & Salimans' "
        "w = 0 is the plain conditional model and w > 0 goes beyond it":
            lambda w: eps_u + w * (eps_c - eps_u),
        "w = 0 must give the conditional prediction and w > 0 move away from the "
        "unconditional one: check the signs": lambda w: (1 - w) * eps_c + w * eps_u,
        "guidance extrapolates the difference eps_c - eps_u; scaling eps_c alone changes the "
        "noise level instead": lambda w: (1 + w) * eps_c,
    }
    for hint, wrong in wrong_answers.items():
        if all(torch.allclose(answer, wrong(w), atol=1e-5) for w, answer in results):
            return failed(hint)
    for w, answer in results:
        if not torch.allclose(answer, (1 + w) * eps_c - w * eps_u, atol=1e-5):
            return failed(f"wrong result at w = {w}: expected (1 + w) eps_c - w eps_u")

    def x0_of(eps):  # the forward process x_t = sqrt(abar) x0 + sqrt(1 - abar) eps, solved
        return (x_t - (1 - abar).sqrt() * eps) / abar.sqrt()

    wrong_x0 = {
        "that is the guided noise itself; turn it into the clean image the forward process "
        "implies": lambda w: (1 + w) * eps_c - w * eps_u,
        "guiding the clean-image estimates with the paper's w gives the course's w = w, one "
        "less than the weight that matches (1 + w) eps_c - w eps_u":
            lambda w: x0_of(eps_u) + w * (x0_of(eps_c) - x0_of(eps_u)),
        "take square roots: x_t = sqrt(abar) x0 + sqrt(1 - abar) eps":
            lambda w: (x_t - (1 - abar) * ((1 + w) * eps_c - w * eps_u)) / abar,
    }
    x0_answers = []
    for w in weights:
        answer, error = attempt(guided_x0_fn, x_t.clone(), eps_c.clone(), eps_u.clone(), w,
                                abar.clone())
        if error:
            return failed(error)
        answer, error = _as_tensor(answer, x_t.shape)
        if error:
            return failed(error)
        x0_answers.append((w, answer))
    for hint, wrong in wrong_x0.items():
        if all(torch.allclose(answer, wrong(w), atol=1e-4) for w, answer in x0_answers):
            return failed(hint)
    for w, answer in x0_answers:
        course = x0_of(eps_u) + (1 + w) * (x0_of(eps_c) - x0_of(eps_u))
        if not torch.allclose(answer, course, atol=1e-4):
            return failed(f"wrong clean-image estimate at w = {w}: solve the forward process "
                          "for x0 and put in the guided noise")
    return passed("guiding the noise with Ho & Salimans' w is guiding the clean-image estimate "
                  "with the course's 1 + w: the combination is linear, so it does not matter "
                  "which of the two the network predicts")


def check_ddim_step(step_fn) -> CheckResult:
    """Exercise 8.3: step_fn(x_t, x0_hat, abar_t, abar_prev) -> the deterministic DDIM update
    (eta = 0) from a network that predicts the clean image x0_hat, deriving the implied noise
    eps_hat = (x_t - sqrt(abar_t) x0_hat) / sqrt(1 - abar_t); checked against diffusers'
    DDIMScheduler.step."""
    from diffusers import DDIMScheduler

    scheduler = DDIMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2",
                              prediction_type="sample", clip_sample=False)
    scheduler.set_timesteps(10)
    abar = scheduler.alphas_cumprod
    rng = torch.Generator().manual_seed(10)
    for t in (900, 500, 100):
        x_t = torch.randn(3, 3, 4, 4, generator=rng)
        x0_hat = torch.rand(3, 3, 4, 4, generator=rng) * 2 - 1
        a_t, a_prev = abar[t].clone(), abar[t - 100].clone()
        answer, error = attempt(step_fn, x_t.clone(), x0_hat.clone(), a_t, a_prev)
        if error:
            return failed(error)
        answer, error = _as_tensor(answer, x_t.shape)
        if error:
            return failed(error)
        truth = scheduler.step(x0_hat, t, x_t).prev_sample
        eps = (x_t - a_t.sqrt() * x0_hat) / (1 - a_t).sqrt()
        wrong_answers = {
            "put back the noise the network implies, eps_hat = (x_t - sqrt(abar_t) x0_hat) / "
            "sqrt(1 - abar_t), not x_t itself":
                a_prev.sqrt() * x0_hat + (1 - a_prev).sqrt() * x_t,
            "DDIM keeps the implied noise: x_prev = sqrt(abar_prev) x0_hat + "
            "sqrt(1 - abar_prev) eps_hat, not the clean guess alone": a_prev.sqrt() * x0_hat,
            "move to the earlier step's abar_prev (more signal), not back to abar_t":
                a_t.sqrt() * x0_hat + (1 - a_t).sqrt() * eps,
            "take square roots of abar_prev and 1 - abar_prev":
                a_prev * x0_hat + (1 - a_prev) * eps,
        }
        for hint, wrong in wrong_answers.items():
            if torch.allclose(answer, wrong, atol=1e-5):
                return failed(hint)
        if not torch.allclose(answer, truth, atol=1e-4):
            return failed(f"x_prev differs from DDIMScheduler.step at t = {t}: derive eps_hat "
                          "from x_t and x0_hat first, then re-noise to abar_prev")
    return passed("your DDIM step matches diffusers' DDIMScheduler.step with a clean-image "
                  "network")
