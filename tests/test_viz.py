"""viz: image grids (with Chinese captions) and training curves."""

import warnings

import numpy as np
import pytest
import torch

from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError
from tutorial_lib.gan.toy2d import plot_toy_snapshots
from tutorial_lib.training import History
from tutorial_lib.viz import (
    attribute_statistics,
    image_grid,
    plot_history,
    plot_image_snapshots,
    similarity_heatmap,
    use_cjk_font,
)


def test_grid_shows_every_image_with_its_caption():
    images, _, captions = shapes.sample(10, seed=0, lang="zh")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing Chinese glyph would warn here
        fig = image_grid(images, captions, ncols=4)
        fig.canvas.draw()
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 10 and len(fig.axes) == 12  # 3 rows of 4, two empty slots
    assert np.array_equal(shown[3].images[0].get_array(), images[3])
    assert shown[0].texts[0].get_text().replace("\n", "") == captions[0]


def test_chinese_font_is_available_for_figures():
    assert use_cjk_font() is not None, "install fonts-wqy-microhei (make system-deps does)"


def test_grid_accepts_grey_and_torch_batches():
    fig = image_grid(torch.rand(5, 28, 28), ncols=5)
    assert len([ax for ax in fig.axes if ax.images]) == 5


@pytest.mark.parametrize("bad, message", [(np.zeros((4, 32)), "expected images of shape"),
                                          (np.zeros((0, 8, 8)), "batch is empty")])
def test_grid_rejects_bad_batches(bad, message):
    with pytest.raises(BadInputError, match=message):
        image_grid(bad)


def test_grid_rejects_caption_count_mismatch():
    with pytest.raises(BadInputError, match="2 captions for 3 images"):
        image_grid(np.zeros((3, 8, 8)), ["a", "b"])


def test_plot_history_draws_one_smoothed_line_per_metric():
    history = History()
    for step in range(20):
        history.log(step, {"loss": 1 / (step + 1), "acc": step / 20})
    fig = plot_history(history, smooth=5)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["loss", "acc"]
    assert len(lines[0].get_xdata()) == 16
    with pytest.raises(BadInputError, match="unknown metrics"):
        plot_history(history, metrics=["nope"])


def test_attribute_statistics_counts_and_marks_held_out_pairs():
    _, attrs, _ = shapes.sample(500, seed=0)
    fig = attribute_statistics(attrs, list(shapes.COLORS), shapes.SHAPES, shapes.ROWS,
                               shapes.COLS)
    table = fig.axes[0].images[0].get_array()
    assert table.sum() == 500 and (table == 0).sum() == len(shapes.HELDOUT_PAIRS)
    assert [t.get_text() for t in fig.axes[0].texts] == ["held\nout"] * 4
    assert fig.axes[4].images[0].get_array().sum() == 500
    with pytest.raises(BadInputError, match="empty"):
        attribute_statistics([], ["red"], ["circle"], ["top"], ["left"])


def test_similarity_heatmap_labels_every_cell():
    matrix = np.array([[1.0, 0.2], [0.2, 1.0]])
    fig = similarity_heatmap(matrix, ["a red circle", "左上角"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["1.00", "0.20", "0.20", "1.00"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a red circle", "左上角"]
    with pytest.raises(BadInputError, match="square matrix"):
        similarity_heatmap(np.ones((2, 3)), ["a", "b"])


def test_image_snapshots_show_evenly_spaced_steps():
    snapshots = {step: np.full((12, 28, 28), step % 256, dtype=np.uint8)
                 for step in range(0, 1001, 100)}
    figure = plot_image_snapshots(snapshots, per_row=5, max_rows=3)
    labels = [ax.get_ylabel() for ax in figure.axes if ax.get_ylabel()]
    assert labels == ["step 0", "step 500", "step 1000"]
    assert sum(bool(ax.images) for ax in figure.axes) == 15


def test_toy_snapshots_draw_first_and_last_step():
    from tutorial_lib.gan.toy2d import ToyConfig, train_toy_gan

    run = train_toy_gan(ToyConfig(steps=21, snapshot_every=5), progress=False)
    titles = [ax.get_title() for ax in plot_toy_snapshots(run, max_panels=3).axes]
    assert titles == ["step 0", "step 10", "step 20"]
