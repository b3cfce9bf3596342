"""Panels: controls drive the picture; course errors become a message, not a traceback."""

import ipywidgets as widgets
import numpy as np
import pytest

from tutorial_lib.errors import BadInputError
from tutorial_lib.gan import digits
from tutorial_lib.viz import image_grid
from tutorial_lib.widgets import (
    digit_panel,
    digit_panel_fallback,
    image_panel,
    prompt_panel,
    prompt_panel_fallback,
)

PNG = b"\x89PNG"


def render_squares(size, fail):
    if fail:
        raise BadInputError("the prompt is empty")
    return image_grid(np.random.default_rng(size).integers(0, 256, (1, size, size), np.uint8))


def test_image_panel_redraws_on_change_and_shows_errors():
    size = widgets.IntSlider(value=4, min=2, max=16)
    fail = widgets.Checkbox(value=False)
    panel = image_panel(render_squares, size=size, fail=fail)
    picture, message = panel.children[-1], panel.children[-2]
    first = bytes(picture.value)
    assert first.startswith(PNG) and message.value == ""
    size.value = 16
    assert bytes(picture.value).startswith(PNG) and bytes(picture.value) != first
    fail.value = True
    assert "the prompt is empty" in message.value and picture.layout.display == "none"
    fail.value = False
    assert message.value == "" and picture.layout.display is None


def test_other_errors_are_not_swallowed():
    with pytest.raises(ZeroDivisionError):
        image_panel(lambda x: 1 / x, x=widgets.IntSlider(value=0))


@pytest.fixture
def fast_digits(monkeypatch):
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    monkeypatch.setattr(digits, "FAST_GAN_STEPS", 4)  # the pictures' contents are not under test


def test_digit_panel_follows_its_sliders(fast_digits):
    panel = digit_panel(count=4)
    digit, seed, picture = panel.children[0], panel.children[1], panel.children[-1]
    before = bytes(picture.value)
    digit.value = 3
    after_digit = bytes(picture.value)
    seed.value = 5
    assert len({before, after_digit, bytes(picture.value)}) == 3


def test_fallback_is_a_figure_of_every_digit(fast_digits):
    figure = digit_panel_fallback(count=3)
    assert len([ax for ax in figure.axes if ax.images]) == 30


@pytest.fixture
def fast_text_to_image(fast_models):
    """The run's shared fast-mode generator and judge (trained once for every test using them)."""


def test_prompt_panel_takes_any_prompt_and_explains_bad_ones(fast_text_to_image):
    panel = prompt_panel(count=3)
    prompt, seed, message, picture = panel.children
    before = bytes(picture.value)
    assert before.startswith(PNG) and message.value == ""
    prompt.value = "右下角有一个大的蓝色正方形"
    after_prompt = bytes(picture.value)
    seed.value = 5
    assert len({before, after_prompt, bytes(picture.value)}) == 3
    for bad, words in [("   ", "empty"), ("🙂🙂🙂", "no words"), ("x" * 10_000, "characters")]:
        prompt.value = bad
        assert words in message.value and picture.layout.display == "none"
    prompt.value = "a big green square in the center"
    assert message.value == "" and picture.layout.display is None


def test_prompt_fallback_labels_every_image_with_the_judges_reading(fast_text_to_image):
    figure = prompt_panel_fallback(["a red circle at the top left", "红色圆形"], count=3)
    axes = [ax for ax in figure.axes if ax.images]
    assert len(axes) == 6
