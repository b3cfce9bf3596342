"""The shapes judge reads every attribute of real images, and scores images against prompts."""

import numpy as np
import pytest

from tutorial_lib import shapes_judge
from tutorial_lib.data import shapes
from tutorial_lib.data.attributes import attribute_codes
from tutorial_lib.errors import BadInputError
from tutorial_lib.shapes_judge import attribute_scores, pretrained_shapes_judge


@pytest.fixture
def judge(shapes_judge):
    return shapes_judge


def test_judge_reads_real_images_almost_perfectly(judge):
    assert judge.test_accuracy >= 0.995
    sample = shapes.sample(600, seed=7, split="heldout")
    scores = attribute_scores(judge, sample.images, sample.attrs)
    assert scores["all_correct"] >= 0.995 and set(scores) == {
        "color", "shape", "size", "position", "all_correct"}


def test_scores_count_each_wrong_attribute(judge):
    sample = shapes.sample(200, seed=3, split="test")
    asked = [dict(a) for a in sample.attrs]
    for attrs in asked[:50]:  # ask for another colour than the one drawn
        attrs["color"] = "red" if attrs["color"] != "red" else "blue"
    for attrs in asked[50:80]:
        attrs["row"] = "top" if attrs["row"] != "top" else "bottom"
    scores = attribute_scores(judge, sample.images, asked)
    assert scores["color"] == pytest.approx(0.75, abs=0.01)
    assert scores["position"] == pytest.approx(0.85, abs=0.01)
    assert scores["all_correct"] == pytest.approx(0.60, abs=0.01)


def test_attribute_codes_and_bad_input(judge):
    attrs = {"color": "cyan", "shape": "diamond", "size": "large", "row": "bottom",
             "col": "left"}
    np.testing.assert_array_equal(attribute_codes([attrs]), [[3, 3, 1, 2, 0]])
    with pytest.raises(BadInputError, match="attributes"):
        attribute_codes([{**attrs, "color": "crimson"}])
    with pytest.raises(BadInputError, match="2 images but 1"):
        attribute_scores(judge, shapes.sample(2).images, [attrs])
    with pytest.raises(BadInputError, match="trained on images of shape"):
        attribute_scores(judge, np.zeros((1, 28, 28), np.uint8), [attrs])


def test_cached_judge_loads_with_its_accuracy(judge, monkeypatch, tmp_path):
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    monkeypatch.setattr(shapes_judge, "FAST_JUDGE_STEPS", 3)
    first = pretrained_shapes_judge(progress=False)
    again = pretrained_shapes_judge(progress=False)
    assert again.test_accuracy == first.test_accuracy
