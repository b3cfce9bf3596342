"""Publish a computed number to the book's prose (myst-nb `glue`), or just return it.

Numbers quoted in the book's text are never typed by hand: a cell computes them and glues them,
and the text refers to them with {glue:text}`name`. Every glued value is also recorded here, so
the runnable copies of the chapters (Jupyter, Colab, the classroom) can show the same prose with
the numbers of the learner's own run: `show_prose` fills in the {glue:text} roles of a paragraph
from this run's values. Outside a book build myst-nb may be absent; gluing then only records.
"""

import re

from tutorial_lib.text.words import Words

# {glue:text}`name` or {glue:text}`name:format_spec`, as myst-nb writes them
GLUE_ROLE = re.compile(r"\{glue:text\}`([^`]+)`")
NOT_YET = "[run the cells above]"

_recorded: dict[str, object] = {}
# paragraphs shown before all their numbers existed (the book may quote a number that a later
# cell computes): each is redrawn in place when one of its numbers is glued
_waiting: list[tuple[object, str]] = []


def glue(name: str, value, display: bool = False):
    """Glue `value` under `name` for the book's text when myst-nb is available; return value.

    NumPy and torch scalars become plain Python numbers first: the book formats glued numbers
    from their text form, and `np.float64(9.25)` is not a number to a format spec like `:.2f`.
    `Words` are glued twice, the English under `name` and the Chinese under `name_zh`.
    """
    if isinstance(value, Words):
        glue(f"{name}_zh", value.zh, display)
        return glue(name, value.en, display)
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()
    _recorded[name] = value
    _redraw_waiting(name)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    myst_glue(name, value, display=display)
    return value


def format_glued(value, format_spec: str) -> str:
    """Format a glued value as myst-nb's {glue:text} role does: the spec's last character says
    whether the value is read as text, an integer or a float (`:.3f`, `:,`, `:d`, none)."""
    if format_spec == "":
        return str(value)
    kind = format_spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, format_spec)


def fill_glue(text: str, values: dict[str, object] | None = None) -> str:
    """`text` with every {glue:text} role replaced by its value (this session's, or `values`),
    formatted as the book formats it; a value not glued yet reads "[run the cells above]"."""
    values = _recorded if values is None else values

    def value_of(match: re.Match) -> str:
        name, _, format_spec = match.group(1).rpartition(":")
        if not name:  # no format spec: the whole role is the name
            name, format_spec = format_spec, "s"
        if name not in values:
            return NOT_YET
        return format_glued(values[name], format_spec)

    return GLUE_ROLE.sub(value_of, text)


def show_prose(text: str):
    """Display a paragraph of the book as Markdown, its numbers taken from this run.

    The runnable copies call this in place of a Markdown cell whose prose quotes glued numbers.
    A number that a later cell computes shows "[run the cells above]" until that cell runs,
    and the paragraph is then redrawn with it.
    """
    from IPython.display import Markdown, display

    text = text.strip()
    filled = fill_glue(text)
    handle = display(Markdown(filled), display_id=True)
    if NOT_YET in filled and handle is not None:
        _waiting.append((handle, text))


def _redraw_waiting(name: str) -> None:
    from IPython.display import Markdown

    for entry in list(_waiting):
        handle, text = entry
        if f"`{name}`" in text or f"`{name}:" in text:
            filled = fill_glue(text)
            handle.update(Markdown(filled))
            if NOT_YET not in filled:
                _waiting.remove(entry)
