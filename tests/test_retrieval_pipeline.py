"""Search, tags, zero-shot and the panel with the default dual encoder, in fast mode."""

import ipywidgets as widgets
import numpy as np
import pytest
import torch
from conftest import with_caption_table

from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError, CacheWarning
from tutorial_lib.retrieval import pipeline
from tutorial_lib.retrieval.evaluate import TAGS, ZERO_SHOT
from tutorial_lib.runtime import cache_dir
from tutorial_lib.widgets import search_panel, search_panel_fallback

GALLERY = shapes.sample(40, seed=3, split="test").images


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory, caption_table_file):
    return with_caption_table(tmp_path_factory.mktemp("retrieval"), caption_table_file)


@pytest.fixture(autouse=True)
def fast(isolated_cache, shared_cache, monkeypatch):
    """Fast mode, and one model cache for the whole module: the model trains once."""
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    monkeypatch.setenv("TUTORIAL_CACHE", str(shared_cache))


@pytest.mark.slow
def test_search_ranks_the_gallery_best_first():
    found = pipeline.search("a large blue square in the center", GALLERY, k=5)
    assert len(found) == 5 == len(set(found)) and all(0 <= i < 40 for i in found)
    indices, similarities = pipeline.rank("a large blue square in the center", GALLERY, 40)
    assert indices[:5] == found and similarities == sorted(similarities, reverse=True)
    assert pipeline.search("右下角有一个大的蓝色正方形", GALLERY, k=3) == pipeline.search(
        "右下角有一个大的蓝色正方形", GALLERY, k=3)


def test_cache_round_trip(isolated_cache, monkeypatch):
    monkeypatch.setenv("TUTORIAL_CACHE", str(isolated_cache))  # empty: this call trains
    path = cache_dir() / pipeline.MODEL_FILE
    assert not path.exists()
    trained = pipeline.record(progress=False)
    assert path.is_file()
    loaded = pipeline.record(progress=False)
    for name, weight in trained.model.state_dict().items():
        assert torch.equal(weight, loaded.model.state_dict()[name])
    assert loaded.history.steps == trained.history.steps
    assert loaded.history.values["loss"] == pytest.approx(trained.history.values["loss"])
    assert len(loaded.history.steps) > 1 and loaded.history.seconds > 0
    path.write_bytes(b"not safetensors")
    with pytest.warns(CacheWarning, match="corrupt"):
        retrained = pipeline.record(progress=False)
    assert retrained.history.steps == trained.history.steps


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"query": ""}, "empty"), ({"query": "  \n"}, "empty"), ({"query": 3}, "must be a str"),
    ({"images": GALLERY.tolist()}, "numpy array"),
    ({"images": GALLERY.astype(np.float32)}, "uint8"),
    ({"images": GALLERY[:, :16]}, "shape"), ({"images": GALLERY[0]}, "shape"),
    ({"images": GALLERY[:0]}, "empty"), ({"k": 0}, "k must"), ({"k": 2.5}, "k must"),
    ({"k": 41}, "more than the 40")])
def test_bad_input_gets_one_clear_error(kwargs, message):
    arguments = {"query": "a red circle", "images": GALLERY, "k": 3, **kwargs}
    with pytest.raises(BadInputError, match=message):
        pipeline.search(**arguments)


def test_tags_and_zero_shot_name_known_classes():
    tags = pipeline.tag_images(GALLERY[:6])
    assert len(tags) == 6 and all(tag_set <= set(TAGS) for tag_set in tags)
    for attribute, values in ZERO_SHOT.items():
        assert set(pipeline.zero_shot(GALLERY[:6], attribute)) <= set(values)
    with pytest.raises(BadInputError, match="unknown attribute"):
        pipeline.zero_shot(GALLERY, "texture")
    with pytest.raises(BadInputError, match="threshold"):
        pipeline.tag_images(GALLERY, threshold=0)


def test_panel_redraws_and_shows_errors_as_messages():
    panel = search_panel(GALLERY, k=4)
    query, k, message, picture = panel.children
    assert isinstance(query, widgets.Text) and bytes(picture.value).startswith(b"\x89PNG")
    k.value = 2
    assert message.value == "" and bytes(picture.value).startswith(b"\x89PNG")
    query.value = "   "
    assert "empty" in message.value and picture.layout.display == "none"
    figure = search_panel_fallback(GALLERY, ["a red circle", "左上角有一个小的红色圆形"], k=3)
    assert len([ax for ax in figure.axes if ax.images]) == 6
    with pytest.raises(BadInputError, match="at least one query"):
        search_panel_fallback(GALLERY, [])
