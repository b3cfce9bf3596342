"""The chapter's search panel: a query box and a k slider -> the top-k gallery images.

It follows the pattern of `tutorial_lib.widgets`: `image_panel` redraws a matplotlib figure
whenever a control changes and shows a course error as a message instead of a picture. The
book cannot run Python, so `search_panel_fallback` draws the same grid for a few fixed queries.
"""

import ipywidgets as widgets
import numpy as np

from tutorial_lib.errors import BadInputError
from tutorial_lib.retrieval.pipeline import check_gallery, rank
from tutorial_lib.viz import image_grid
from tutorial_lib.widgets import image_panel

MAX_K = 16


def _results(query: str, images: np.ndarray, k: int) -> tuple[np.ndarray, list[str]]:
    """The top-k images of a query and a label for each: its rank and cosine similarity."""
    indices, similarities = rank(query, images, k)
    labels = [f"#{r + 1}  sim {s:.2f}" for r, s in enumerate(similarities)]
    return images[indices], labels


def render_search(query: str, images: np.ndarray, k: int):
    """One row: the k best images for the query, each labelled with its rank and similarity."""
    found, labels = _results(query, images, k)
    return image_grid(found, labels, ncols=k, title=f"{query!r}: top {k} of {len(images)}")


def search_panel(images: np.ndarray, query: str = "a small red circle at the top left",
                 k: int = 8) -> widgets.VBox:
    """A text box for an English or Chinese query and a k slider over a uint8 gallery."""
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
    found, labels = zip(*(_results(query, images, k) for query in queries), strict=True)
    rows = "\n".join(f"row {i + 1}: {query!r}" for i, query in enumerate(queries))
    return image_grid(np.concatenate(found), [text for row in labels for text in row], ncols=k,
                      title=f"the search panel, top {k} of {len(images)} images\n{rows}")
