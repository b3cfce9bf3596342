"""Publish a computed number to the book's prose (myst-nb `glue`), or just return it.

Numbers quoted in the book's text are never typed by hand: a cell computes them and glues them,
and the text refers to them with {glue:text}`name`. Outside a book build (Colab, plain Jupyter)
myst-nb may be absent; gluing then does nothing and the cell still works.
"""


def glue(name: str, value, display: bool = False):
    """Glue `value` under `name` for the book's text when myst-nb is available; return value.

    NumPy and torch scalars become plain Python numbers first: the book formats glued numbers
    from their text form, and `np.float64(9.25)` is not a number to a format spec like `:.2f`.
    """
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    myst_glue(name, value, display=display)
    return value
