"""Chapter 8 checkers: reference solutions pass, plausible wrong answers fail with a hint."""

from tutorial_lib.exercises.ch08_diffusion import check_add_noise, check_guidance


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
    return eps_u + w * (eps_c - eps_u)


def test_guidance_checker():
    assert check_guidance(guide)
    wrong = {
        "start from the unconditional": lambda c, u, w: c + w * (c - u),
        "scaling eps_c alone": lambda c, u, w: w * c,
        "check the sign": lambda c, u, w: u - w * (c - u),
        "averages": lambda c, u, w: (c + w * u) / (1 + w),
        "wrong result at w": lambda c, u, w: u + w * (c - u) * 1.1,
        "shape": lambda c, u, w: guide(c, u, w)[0],
        "raised": lambda c, u, w: c.view(5, -1),
    }
    for hint, answer in wrong.items():
        result = check_guidance(answer)
        assert not result and hint in result.message, (hint, result)
