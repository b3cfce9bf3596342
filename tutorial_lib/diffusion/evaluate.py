"""The diffusion model as a contestant of `comparison`: drawing functions of its conditions.

Chapter 8 compares it with chapter 4's GAN (`t2i.evaluate`) on the same prompts, judge and
table (`tutorial_lib.comparison`), so this module needs no other generator.
"""

from tutorial_lib.comparison import Contestant
from tutorial_lib.diffusion.sampling import sample


def diffusion_drawer(model, config, steps: int, guidance: float, seed: int = 0):
    """conditions -> one image each, by DDIM with classifier-free guidance."""
    return lambda conditions: sample(model, config, conditions, steps=steps, guidance=guidance,
                                     seed=seed)


def diffusion_many(model, config, steps: int, guidance: float, seed: int = 0):
    """(conditions, k) -> k images per condition, grouped by condition."""
    return lambda conditions, k: sample(model, config, conditions.repeat_interleave(k, dim=0),
                                        steps=steps, guidance=guidance, seed=seed)


def diffusion_contestant(model, config, encoder, train_seconds: float, steps: int,
                         guidance: float, seed: int = 0) -> Contestant:
    """The diffusion model in a `comparison`: it reads prompts through the sentence encoder
    it was trained with, and draws by DDIM in `steps` network passes."""
    return Contestant(encoder, diffusion_drawer(model, config, steps, guidance, seed),
                      diffusion_many(model, config, steps, guidance, seed), [model],
                      train_seconds)
