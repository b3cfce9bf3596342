"""Interactive panels for the notebooks: sliders and text boxes in, a picture out.

A panel is a column of controls above an `ipywidgets.Image`. Whenever a control changes, a
`render` function is called with every control's value and returns a matplotlib figure, which
is shown as a PNG. Keeping the picture a plain PNG means a panel needs no custom JavaScript, and
tests can drive it by setting control values and reading the image bytes.

The rendered book cannot run Python, so each chapter also shows a static picture of what the
panel draws (see `render_digits`).
"""

import io
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from tutorial_lib.errors import BadInputError, CourseError
from tutorial_lib.viz import image_grid


def figure_png(figure) -> bytes:
    """A matplotlib figure as PNG bytes; the figure is closed so it does not also display."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", dpi=100)
    plt.close(figure)
    return buffer.getvalue()


def image_panel(render: Callable[..., object], **controls: widgets.ValueWidget) -> widgets.VBox:
    """Controls above a picture: render(**{name: control.value}) -> figure, on every change.

    A CourseError from `render` (a bad prompt, say) is shown as a message under the controls
    instead of a picture, so a learner sees what to fix rather than a traceback.
    """
    picture = widgets.Image(format="png")
    message = widgets.HTML()

    def redraw(_change=None):
        try:
            picture.value = figure_png(render(**{k: c.value for k, c in controls.items()}))
            message.value = ""
            picture.layout.display = None
        except CourseError as err:
            message.value = f"<b>⚠ {err}</b>"
            picture.layout.display = "none"

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    panel = widgets.VBox([*controls.values(), message, picture])
    panel.redraw = redraw  # for tests and for callers that change what `render` reads
    return panel


def render_digits(digit: int, seed: int, count: int = 8):
    """`count` generated images of one digit, drawn with one seed, as a one-row figure."""
    from tutorial_lib.gan.digits import generate_digits

    images = generate_digits([digit], count, seed)
    figure = image_grid(images, ncols=count)
    figure.suptitle(f"digit {digit}, seed {seed}")
    return figure


def digit_panel(count: int = 8) -> widgets.VBox:
    """Digit and seed sliders -> `count` digits from the course's conditional GAN."""
    style = {"description_width": "initial"}
    return image_panel(
        lambda digit, seed: render_digits(digit, seed, count),
        digit=widgets.IntSlider(value=7, min=0, max=9, description="digit", style=style),
        seed=widgets.IntSlider(value=0, min=0, max=99, description="seed", style=style))


def digit_panel_fallback(seed: int = 0, count: int = 8):
    """The static picture that stands in for `digit_panel` in the book: what the panel draws
    for every position of the digit slider at one seed, one row per digit."""
    from tutorial_lib.gan.digits import generate_digits

    return image_grid(generate_digits(list(range(10)), count, seed), ncols=count, scale=0.7,
                      title=f"the panel at seed {seed}: digits 0-9, one per row")


def _judged_grid(prompts: list[str], seed: int, count: int, title: str):
    """`count` images per prompt (one row each), each labelled with the judge's reading."""
    from tutorial_lib.shapes_judge import describe, pretrained_shapes_judge, read_attributes
    from tutorial_lib.t2i.pipeline import generate

    images = generate(prompts, n=count, seed=seed)
    readings = read_attributes(pretrained_shapes_judge(progress=False), images)
    return image_grid(images, [describe(r).replace(", ", "\n") for r in readings],
                      ncols=count, title=title)


def render_prompt(prompt: str, seed: int, count: int = 8):
    """`count` images the text-to-image GAN draws for a prompt, each labelled with what the
    shapes judge reads in it."""
    return _judged_grid([prompt], seed, count,
                        f"{prompt!r}, seed {seed} (under each image: what the judge reads)")


def prompt_panel(prompt: str = "a small red circle at the top left", count: int = 8):
    """A text box for any English or Chinese prompt and a seed slider -> `count` images."""
    style = {"description_width": "initial"}
    return image_panel(
        lambda prompt, seed: render_prompt(prompt, seed, count),
        prompt=widgets.Text(value=prompt, description="prompt", continuous_update=False,
                            style=style, layout=widgets.Layout(width="60%")),
        seed=widgets.IntSlider(value=0, min=0, max=99, description="seed", style=style))


def prompt_panel_fallback(prompts: list[str], seed: int = 0, count: int = 8):
    """The static stand-in for `prompt_panel` in the book: one row per prompt, each image
    labelled with the judge's reading as in the panel."""
    rows = "\n".join(f"row {i + 1}: {prompt!r}" for i, prompt in enumerate(prompts))
    return _judged_grid(prompts, seed, count, f"the panel at seed {seed}\n{rows}")


MAX_K = 16  # the search panel's largest k: more images no longer fit in one row


def _search_results(query: str, images: np.ndarray, k: int) -> tuple[np.ndarray, list[str]]:
    """The top-k images of a query and a label for each: its rank and cosine similarity."""
    from tutorial_lib.retrieval.pipeline import rank

    indices, similarities = rank(query, images, k)
    labels = [f"#{r + 1}  sim {s:.2f}" for r, s in enumerate(similarities)]
    return images[indices], labels


def render_search(query: str, images: np.ndarray, k: int):
    """One row: the k best images for the query, each labelled with its rank and similarity
    under chapter 7's dual encoder."""
    found, labels = _search_results(query, images, k)
    return image_grid(found, labels, ncols=k, title=f"{query!r}: top {k} of {len(images)}")


def search_panel(images: np.ndarray, query: str = "a small red circle at the top left",
                 k: int = 8) -> widgets.VBox:
    """A text box for an English or Chinese query and a k slider over a uint8 gallery."""
    from tutorial_lib.retrieval.pipeline import check_gallery

    images = check_gallery(images)
    style = {"description_width": "initial"}
    top = min(MAX_K, len(images))
    return image_panel(
        lambda query, k: render_search(query, images, k),
        query=widgets.Text(value=query, description="query", continuous_update=False,
                           style=style, layout=widgets.Layout(width="60%")),
        k=widgets.IntSlider(value=min(k, top), min=1, max=top, description="k", style=style))


def search_panel_fallback(images: np.ndarray, queries: list[str], k: int = 8):
    """The static stand-in for `search_panel` in the book: one row per query, each image
    labelled with its rank and similarity as in the panel."""
    if isinstance(queries, str) or not queries:
        raise BadInputError("give a list of at least one query, e.g. ['a red circle']")
    found, labels = zip(*(_search_results(query, images, k) for query in queries), strict=True)
    rows = "\n".join(f"row {i + 1}: {query!r}" for i, query in enumerate(queries))
    return image_grid(np.concatenate(found), [text for row in labels for text in row], ncols=k,
                      title=f"the search panel, top {k} of {len(images)} images\n{rows}")
