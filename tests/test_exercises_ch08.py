"""Chapter 8 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

from tutorial_lib.exercises.ch08_diffusion import (
    check_add_noise,
    check_ddim_step,
    check_guidance,
)


def add_noise(x0, noise, t, alphas_cumprod):
    abar = alphas_cumprod[t].view(-1, 1, 1, 1)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def test_add_noise_checker():
    assert check_add_noise(add_noise)

    def one_step(x0, noise, t, abar):
        beta = 1 - abar[t] / abar[(t - 1).clamp(min=0)]
        beta[t == 0] = 1 - abar[0]
        beta = beta.view(-1, 1, 1, 1)
        return (1 - beta).sqrt() * x0 + beta.sqrt() * noise

    wrong = {
        "take square roots": lambda x0, e, t, ab: ab[t].view(-1, 1, 1, 1) * x0
        + (1 - ab[t].view(-1, 1, 1, 1)) * e,
        "cumulative product": one_step,
        "other way": lambda x0, e, t, ab: add_noise(e, x0, t, ab),
        "each image's own step": lambda x0, e, t, ab: ab[t[0]].sqrt() * x0
        + (1 - ab[t[0]]).sqrt() * e,
        "differs from DDPMScheduler": lambda x0, e, t, ab: add_noise(x0, e, t, ab) + 0.01,
        "raised": lambda x0, e, t, ab: ab[t].sqrt() * x0,
        "return a torch tensor": lambda x0, e, t, ab: add_noise(x0, e, t, ab).numpy(),
    }
    for hint, answer in wrong.items():
        result = check_add_noise(answer)
        assert not result and hint in result.message, (hint, result)


def guide(eps_c, eps_u, w):
    return (1 + w) * eps_c - w * eps_u


def guided_x0(x_t, eps_c, eps_u, w, abar):
    return (x_t - (1 - abar).sqrt() * guide(eps_c, eps_u, w)) / abar.sqrt()


def test_guidance_checker():
    assert check_guidance(guide, guided_x0)
    wrong = {
        "course's convention": lambda c, u, w: u + w * (c - u),
        "check the signs": lambda c, u, w: (1 - w) * c + w * u,
        "scaling eps_c alone": lambda c, u, w: (1 + w) * c,
        "wrong result at w": lambda c, u, w: guide(c, u, w) * 1.1,
        "shape": lambda c, u, w: guide(c, u, w)[0],
        "raised": lambda c, u, w: c.view(5, -1),
    }
    for hint, answer in wrong.items():
        result = check_guidance(answer, guided_x0)
        assert not result and hint in result.message, (hint, result)

    def x0_of(x_t, eps, abar):
        return (x_t - (1 - abar).sqrt() * eps) / abar.sqrt()

    wrong_x0 = {
        "guided noise itself": lambda x, c, u, w, ab: guide(c, u, w),
        "paper's w": lambda x, c, u, w, ab: x0_of(x, u, ab) + w * (x0_of(x, c, ab)
                                                                  - x0_of(x, u, ab)),
        "take square roots": lambda x, c, u, w, ab: (x - (1 - ab) * guide(c, u, w)) / ab,
        "wrong clean-image estimate": lambda x, c, u, w, ab: guided_x0(x, c, u, w, ab) + 0.1,
        "shape": lambda x, c, u, w, ab: guided_x0(x, c, u, w, ab)[0],
        "raised": lambda x, c, u, w, ab: x.view(7, -1),
    }
    for hint, answer in wrong_x0.items():
        result = check_guidance(guide, answer)
        assert not result and hint in result.message, (hint, result)


def ddim_step(x_t, x0_hat, abar_t, abar_prev):
    eps_hat = (x_t - abar_t.sqrt() * x0_hat) / (1 - abar_t).sqrt()
    return abar_prev.sqrt() * x0_hat + (1 - abar_prev).sqrt() * eps_hat


def test_ddim_step_checker():
    assert check_ddim_step(ddim_step)
    wrong = {
        "not x_t itself": lambda x, x0, a, ap: ap.sqrt() * x0 + (1 - ap).sqrt() * x,
        "not the clean guess alone": lambda x, x0, a, ap: ap.sqrt() * x0,
        "not back to abar_t": lambda x, x0, a, ap: ddim_step(x, x0, a, a),
        "take square roots": lambda x, x0, a, ap: ap * x0 + (1 - ap)
        * (x - a.sqrt() * x0) / (1 - a).sqrt(),
        "differs from DDIMScheduler": lambda x, x0, a, ap: ddim_step(x, x0, a, ap) + 0.01,
        "raised": lambda x, x0, a, ap: x.view(7, -1),
        "return a torch tensor": lambda x, x0, a, ap: ddim_step(x, x0, a, ap).tolist(),
    }
    for hint, answer in wrong.items():
        result = check_ddim_step(answer)
        assert not result and hint in result.message, (hint, result)
