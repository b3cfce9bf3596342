"""The dual encoder: its loss, its metric against brute force, and a short run that learns."""

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError
from tutorial_lib.retrieval import evaluate
from tutorial_lib.retrieval.model import DualEncoder, DualEncoderConfig, contrastive_loss
from tutorial_lib.retrieval.train import same_scene, scene_ids, train_dual_encoder
from tutorial_lib.text.encoders import onehot


class OneHotBank:
    """A stand-in for the caption bank: a caption's attributes one-hot (18 numbers). It needs
    no MiniLM, so the training tests stay fast and test the towers and the loss alone."""

    def embed(self, texts):
        return torch.stack([onehot(text) for text in texts])


SHORT = replace(DualEncoderConfig(), text_dim=18, steps=150, batch_size=128, lang="en")


def unit(n, dim=16, seed=0):
    return F.normalize(torch.randn(n, dim, generator=torch.Generator().manual_seed(seed)), dim=1)


def test_loss_is_smallest_for_matched_pairs_and_symmetric():
    images, texts = unit(10, seed=1), unit(10, seed=2)
    matched = contrastive_loss(images, images, 20.0)
    assert matched < contrastive_loss(images, texts, 20.0)
    assert matched < contrastive_loss(images, images[torch.randperm(10)], 20.0)
    # symmetric: swapping the roles of images and texts changes nothing
    torch.testing.assert_close(contrastive_loss(images, texts, 5.0),
                               contrastive_loss(texts, images, 5.0))
    # with only the diagonal marked positive it is the textbook loss
    torch.testing.assert_close(contrastive_loss(images, texts, 5.0, torch.eye(10, dtype=bool)),
                               contrastive_loss(images, texts, 5.0))


def test_same_scene_pairs_share_the_target():
    images, texts = unit(6, seed=3), unit(6, seed=4)
    positives = torch.eye(6, dtype=torch.bool)
    positives[0, 1] = positives[1, 0] = positives[2, 1] = True  # same-scene pairs
    logits = 7.0 * images @ texts.T
    rows = positives.float() / positives.sum(1, keepdim=True)
    columns = positives.T.float() / positives.T.sum(1, keepdim=True)
    # torch's cross-entropy with probability targets is the reference
    expected = (F.cross_entropy(logits, rows) + F.cross_entropy(logits.T, columns)) / 2
    torch.testing.assert_close(contrastive_loss(images, texts, 7.0, positives), expected)


def test_scene_ids_ignore_everything_but_the_scene():
    sample = shapes.sample(300, seed=4, split="train")
    ids = scene_ids(sample.attrs)
    keys = [tuple(a.values()) for a in sample.attrs]
    for i in range(0, 300, 7):
        for j in range(0, 300, 11):
            assert (ids[i] == ids[j]) == (keys[i] == keys[j])
    assert same_scene(sample.attrs).diagonal().all()


def test_recall_matches_brute_force():
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(15, (60,), generator=generator)
    relevant = labels[:30, None] == labels[None, :]
    relevant[0] = False  # a query with nothing to find is skipped
    similarity = torch.rand(30, 60, generator=generator) + relevant * 0.5
    scores = evaluate.recall_at_k(similarity, relevant, (1, 3, 10))
    keep = relevant.any(1)
    for k, value in scores.items():
        hits = relevant[keep].gather(1, similarity[keep].topk(k).indices).any(1)
        assert value == pytest.approx(hits.float().mean().item())
    assert scores[1] <= scores[3] <= scores[10]
    with pytest.raises(BadInputError, match="same"):
        evaluate.recall_at_k(similarity, relevant.T)


def test_image_tower_keeps_position():
    model = DualEncoder(DualEncoderConfig()).eval()
    left = shapes.render({"color": "red", "shape": "circle", "size": "small", "row": "top",
                          "col": "left"})
    right = shapes.render({"color": "red", "shape": "circle", "size": "small", "row": "top",
                           "col": "right"})
    features = model.encode_images(torch.from_numpy(np.stack([left, right])))
    assert torch.allclose(features.norm(dim=1), torch.ones(2))
    assert not torch.allclose(features[0], features[1], atol=1e-3)


@pytest.fixture(scope="module")
def short_run():
    return train_dual_encoder(OneHotBank(), SHORT, progress=False)


def test_short_run_beats_chance_by_a_wide_margin(short_run):
    bank = OneHotBank()
    scores = evaluate.text_to_image(short_run.model, bank, n=500)
    # chance: about 1.4 relevant images among 500, so R@1 ~ 0.003 and R@10 ~ 0.03
    assert scores[1] > 0.8 and scores[10] > 0.95
    assert short_run.history.values["loss"][-1] < short_run.history.values["loss"][0] / 2
    assert short_run.history.last("temperature") < SHORT.init_temperature


def test_training_is_deterministic_for_a_seed():
    config = replace(SHORT, steps=3, batch_size=32)
    first = train_dual_encoder(OneHotBank(), config, progress=False).model.state_dict()
    again = train_dual_encoder(OneHotBank(), config, progress=False).model.state_dict()
    other = train_dual_encoder(OneHotBank(), replace(config, seed=1),
                               progress=False).model.state_dict()
    assert all(torch.equal(first[name], again[name]) for name in first)
    assert not all(torch.equal(first[name], other[name]) for name in first)


def test_unknown_language_is_refused():
    with pytest.raises(BadInputError, match="unknown lang"):
        train_dual_encoder(OneHotBank(), replace(SHORT, lang="fr"), progress=False)
