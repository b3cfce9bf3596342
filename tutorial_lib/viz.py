"""Pictures: image grids with captions (English and Chinese) and training curves.

Figures are returned, not shown, so notebooks display them and tests can inspect them.
"""

import functools
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager

from tutorial_lib.errors import BadInputError
from tutorial_lib.training import History

# Font files that cover Chinese, by the names they ship under on Linux, macOS and Windows.
# Compared after lower-casing and removing '-', '_' and spaces.
_CJK_FONT_FILES = ("wqymicrohei", "wqyzenhei", "notosanscjk", "notoserifcjk", "sourcehansans",
                   "simhei", "msyh", "pingfang", "hiraginosansgb")


@functools.cache
def use_cjk_font() -> str | None:
    """Add a font with Chinese glyphs as a fallback after the default font; return its name.

    Matplotlib's default font has no Chinese characters and would draw empty boxes. Returns
    None (with one warning that says what to install) when the system has no such font.
    """
    for path in font_manager.findSystemFonts():
        normalised = path.lower().replace("-", "").replace("_", "").replace(" ", "")
        if any(key in normalised for key in _CJK_FONT_FILES):
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
            # A family list makes matplotlib fall back glyph by glyph: Latin from the default
            # font, Chinese from this one.
            plt.rcParams["font.family"] = ["sans-serif", name]
            return name
    warnings.warn("no Chinese font found, Chinese captions will show as boxes: install one "
                  "(Debian/Ubuntu/Colab: apt-get install fonts-wqy-microhei)", stacklevel=2)
    return None


def _as_image_batch(images) -> np.ndarray:
    """Accept (N,H,W), (N,H,W,3) uint8 or float in [0,1], or torch tensors; return numpy."""
    if hasattr(images, "detach"):
        images = images.detach().cpu().numpy()
    images = np.asarray(images)
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
        raise BadInputError(
            f"expected images of shape (N, H, W) or (N, H, W, 3), got {images.shape}")
    if len(images) == 0:
        raise BadInputError("no images to show: the batch is empty")
    return images


def image_grid(images, captions: Sequence[str] | None = None, ncols: int = 8,
               scale: float = 1.3, title: str | None = None, cmap: str = "gray"):
    """Lay out images in a grid, each with an optional caption underneath; returns the Figure."""
    images = _as_image_batch(images)
    if captions is not None and len(captions) != len(images):
        raise BadInputError(f"{len(captions)} captions for {len(images)} images")
    if any(not text.isascii() for text in [*(captions or []), title or ""]):
        use_cjk_font()
    ncols = max(1, min(ncols, len(images)))
    nrows = -(-len(images) // ncols)
    caption_space = 0.45 if captions is not None else 0.0
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(scale * ncols, (scale + caption_space) * nrows))
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index >= len(images):
            continue
        image = images[index]
        ax.imshow(image.squeeze(-1) if image.ndim == 3 and image.shape[-1] == 1 else image,
                  cmap=cmap, interpolation="nearest")
        if captions is not None:
            ax.text(0.5, -0.03, _wrap(captions[index]), transform=ax.transAxes, ha="center",
                    va="top", fontsize=6.5)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _wrap(text: str, width: int = 22) -> str:
    """Break each line of a caption into short lines (Chinese has no spaces: cut by characters)."""
    if "\n" in text:
        return "\n".join(_wrap(line, width) for line in text.split("\n"))
    if " " not in text:
        return "\n".join(text[i:i + width // 2] for i in range(0, len(text), width // 2))
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join(lines + [line])


def plot_history(history: History, metrics: Sequence[str] | None = None, smooth: int = 1,
                 title: str | None = None, ax=None):
    """Plot training curves from a History, optionally smoothed by a moving average."""
    names = list(metrics or history.values)
    unknown = [n for n in names if n not in history.values]
    if unknown:
        raise BadInputError(f"unknown metrics {unknown}; the history has {sorted(history.values)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for name in names:
        values = np.asarray(history.values[name])
        if smooth > 1 and len(values) >= smooth:
            values = np.convolve(values, np.ones(smooth) / smooth, mode="valid")
        ax.plot(history.steps[len(history.steps) - len(values):], values, label=name)
    ax.set_xlabel("step")
    ax.legend()
    if title:
        ax.set_title(title)
    ax.figure.tight_layout()
    return ax.figure


def attribute_statistics(attrs: Sequence[dict], colors: Sequence[str], shapes: Sequence[str],
                         rows: Sequence[str], cols: Sequence[str]):
    """Counts of a batch's attributes: a colour x shape table (empty cells are held-out pairs),
    bar charts of size, row and column, and a 3 x 3 position table. Returns the Figure."""
    if not attrs:
        raise BadInputError("no attributes to count: the batch is empty")
    fig, axes = plt.subplots(1, 5, figsize=(15, 3),
                             gridspec_kw={"width_ratios": [1.6, 1, 1, 1, 1.3]})
    pairs = Counter((a["color"], a["shape"]) for a in attrs)
    table = np.array([[pairs[(c, s)] for s in shapes] for c in colors])
    _count_table(axes[0], table, shapes, colors, "colour x shape counts")
    for i, j in zip(*np.nonzero(table == 0), strict=True):
        axes[0].text(j, i, "held\nout", ha="center", va="center", color="white", fontsize=7)
    for ax, key in zip(axes[1:4], ["size", "row", "col"], strict=True):
        counts = Counter(a[key] for a in attrs)
        ax.bar(list(counts), list(counts.values()), color="tab:blue")
        ax.set_title(f"{key} counts")
    positions = Counter((a["row"], a["col"]) for a in attrs)
    grid = np.array([[positions[(r, c)] for c in cols] for r in rows])
    _count_table(axes[4], grid, cols, rows, "position counts")
    fig.tight_layout()
    return fig


def _count_table(ax, table, x_labels, y_labels, title):
    ax.imshow(table, cmap="viridis")
    ax.set(xticks=range(len(x_labels)), xticklabels=x_labels, yticks=range(len(y_labels)),
           yticklabels=y_labels, title=title)


def similarity_heatmap(matrix, labels: Sequence[str], title: str | None = None):
    """A labelled heat map of a square similarity matrix (e.g. cosine similarities)."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or len(labels) != len(matrix):
        raise BadInputError(f"need a square matrix with one label per row, got {matrix.shape} "
                            f"and {len(labels)} labels")
    if any(not label.isascii() for label in labels):
        use_cjk_font()
    size = 2.5 + 0.45 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 2.5, size))
    shown = ax.imshow(matrix, cmap="viridis")
    ax.set(xticks=range(len(labels)), yticks=range(len(labels)), yticklabels=labels)
    ax.set_xticklabels(labels, rotation=60, ha="right")
    for i, j in np.ndindex(matrix.shape):
        ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=6,
                color="white" if matrix[i, j] < matrix.mean() else "black")
    fig.colorbar(shown, ax=ax, fraction=0.04)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def evenly_spaced(items: Sequence, count: int) -> list:
    """At most `count` items, evenly spread from the first to the last."""
    if len(items) <= count:
        return list(items)
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def plot_image_snapshots(snapshots: dict[int, np.ndarray], per_row: int = 10,
                         max_rows: int = 6, title: str | None = None):
    """One row per training step: the first `per_row` snapshot images (uint8, grey or RGB), step on
    the left."""
    steps = evenly_spaced(sorted(snapshots), max_rows)
    fig, axes = plt.subplots(len(steps), per_row, squeeze=False,
                             figsize=(0.8 * per_row + 0.8, 0.85 * len(steps)))
    for row, step in zip(axes, steps, strict=True):
        images = _as_image_batch(snapshots[step])[:per_row]
        for ax, image in zip(row, images, strict=False):
            # a fixed ink scale: an early, almost uniform grey must not be stretched into contrast
            ax.imshow(image, cmap="gray", interpolation="nearest", vmin=0, vmax=255)
        for ax in row:
            ax.set(xticks=[], yticks=[])
            ax.spines[:].set_visible(False)
        row[0].set_ylabel(f"step {step}", rotation=0, ha="right", va="center", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def markdown_table(header: Sequence[str], rows: Iterable[Sequence], align: str = "") -> str:
    """A Markdown table (pipe syntax) of `header` and `rows`, for `IPython.display.Markdown`.

    Cells are shown with str(); format numbers before passing them. `align` gives one letter
    per column, "l" (left) or "r" (right, for numbers); missing letters mean left. A "|" inside
    a cell is escaped, so it cannot split the cell.
    """
    if any(letter not in "lr" for letter in align) or len(align) > len(header):
        raise BadInputError(f"align must be at most {len(header)} letters 'l' or 'r', "
                            f"got {align!r}")
    rows = [list(row) for row in rows]
    for row in rows:
        if len(row) != len(header):
            raise BadInputError(f"every row needs {len(header)} cells, one per column; got "
                                f"{len(row)}: {row!r}")

    def line(cells) -> str:
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"

    rules = ["---:" if letter == "r" else "---" for letter in align.ljust(len(header), "l")]
    return "\n".join([line(header), "|" + "|".join(rules) + "|", *map(line, rows)])
