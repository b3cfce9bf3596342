"""Scoring the dual encoder: retrieval Recall@k, zero-shot classification and tagging.

Everything is measured on a gallery of test-split images (pictures the model never saw, of
the same 360 scenes it trained on: offsets, sides and colour shifts are continuous). A gallery
image is *relevant* to a query when its five attributes (colour, shape, size, row, column) equal
the query's scene.
"""


import numpy as np
import torch
from torchmetrics.classification import MultilabelPrecision, MultilabelRecall
from torchmetrics.retrieval import RetrievalHitRate

from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError
from tutorial_lib.retrieval.train import scene_ids

GALLERY_SIZE = 1000
GALLERY_SEED = 7  # the reported gallery; training batches come from the train split
QUERY_SEED = 8  # the image queries of image -> image retrieval
KS = (1, 5, 10)
# The four attributes of zero-shot classification; position is row and column together.
ZERO_SHOT = {"color": tuple(shapes.COLORS), "shape": shapes.SHAPES, "size": tuple(shapes.SIZES),
             "position": tuple((r, c) for r in shapes.ROWS for c in shapes.COLS)}
TAGS = (*shapes.COLORS, *shapes.SHAPES, *shapes.SIZES, *shapes.ROWS, *shapes.COLS)


def recall_at_k(similarity: torch.Tensor, relevant: torch.Tensor,
                ks: tuple[int, ...] = KS) -> dict[int, float]:
    """Recall@k as in the CLIP paper: the fraction of queries with at least one relevant item
    among their k most similar gallery items (torchmetrics' RetrievalHitRate with top_k=k).

    similarity (Q, G): a score per query and gallery item; relevant (Q, G) bool. Queries with
    no relevant item at all are skipped: no ranking could find one. (torchmetrics'
    RetrievalRecall is another quantity, relevant items found / relevant items, which stays
    below 1 at k=1 whenever a query has two relevant images.)
    """
    if similarity.shape != relevant.shape or similarity.ndim != 2:
        raise BadInputError(f"similarity {tuple(similarity.shape)} and relevant "
                            f"{tuple(relevant.shape)} must be the same (queries, gallery) shape")
    indexes = torch.arange(len(similarity))[:, None].expand_as(similarity)
    scores = {}
    for k in ks:
        metric = RetrievalHitRate(top_k=k, empty_target_action="skip")
        scores[k] = metric(similarity.flatten().float(), relevant.flatten(),
                           indexes=indexes.flatten()).item()
    return scores


def relevance(query_attrs: list[dict], gallery_attrs: list[dict]) -> torch.Tensor:
    """(Q, G) bool: True where gallery image g shows query q's scene."""
    ids = torch.from_numpy(scene_ids(query_attrs + gallery_attrs))
    return ids[: len(query_attrs), None] == ids[None, len(query_attrs):]


@torch.no_grad()
def image_features(model, images: np.ndarray) -> torch.Tensor:
    """Unit vectors of uint8 images, a batch of 500 at a time."""
    return torch.cat([model.encode_images(torch.from_numpy(images[i:i + 500]))
                      for i in range(0, len(images), 500)])


@torch.no_grad()
def text_features(model, bank, texts: list[str]) -> torch.Tensor:
    """Unit vectors of texts (from the caption bank, or encoded)."""
    return model.encode_texts(bank.embed(list(texts)))


def gallery(n: int = GALLERY_SIZE, seed: int = GALLERY_SEED, lang: str = "en",
            split: str = "test"):
    """The evaluation gallery: n images of a split with one caption each in `lang`."""
    return shapes.sample(n, seed=seed, split=split, lang=lang)


def text_to_image(model, bank, lang: str = "en", n: int = GALLERY_SIZE,
                  split: str = "test") -> dict[int, float]:
    """Recall@k of text -> image: each gallery image's caption is a query over the gallery.
    split="heldout" asks for the four colour-shape pairs that no training image shows."""
    sample = gallery(n, lang=lang, split=split)
    similarity = text_features(model, bank, sample.captions) @ image_features(
        model, sample.images).T
    return recall_at_k(similarity, relevance(sample.attrs, sample.attrs))


def paraphrase_to_image(model, bank, queries: int = 500) -> dict[int, float]:
    """Recall@k of chapter 4's English paraphrases ("a giant teal block in the lower-right
    corner"), whose attribute words no caption uses, over the test gallery."""
    from tutorial_lib.data.paraphrases import paraphrases

    prompts, attrs = paraphrases(queries, seed=QUERY_SEED)
    sample = gallery()
    similarity = text_features(model, bank, prompts) @ image_features(model, sample.images).T
    return recall_at_k(similarity, relevance(attrs, sample.attrs))


def image_to_image(model, n: int = GALLERY_SIZE, queries: int = 500) -> dict[int, float]:
    """Recall@k of image -> image: fresh test images (another seed, so never the gallery's own
    pictures) as queries over the gallery; a hit shows the same scene."""
    sample, query = gallery(n), shapes.sample(queries, seed=QUERY_SEED, split="test")
    similarity = image_features(model, query.images) @ image_features(model, sample.images).T
    return recall_at_k(similarity, relevance(query.attrs, sample.attrs))


def prompt_ensemble(attribute: str, value, lang: str = "en") -> list[str]:
    """The prompts of one class: every caption the grammar writes for a scene with that value
    (position: a (row, col) pair). The other attributes vary over all their values, so the
    averaged embedding keeps what the class shares and averages the rest away: CLIP's prompt
    ensembling, with the grammar's templates and synonyms as the ensemble."""
    if attribute not in ZERO_SHOT:
        raise BadInputError(f"unknown attribute {attribute!r}; choose one of "
                            f"{', '.join(ZERO_SHOT)}")
    if value not in ZERO_SHOT[attribute]:
        raise BadInputError(f"{value!r} is not a {attribute}; choose one of "
                            f"{', '.join(map(str, ZERO_SHOT[attribute]))}")
    prompts = []
    for attrs in shapes.combinations("train"):
        if _value(attrs, attribute) == value:
            prompts += shapes.all_captions(attrs, lang)
    return prompts


def _value(attrs: dict, attribute: str):
    return (attrs["row"], attrs["col"]) if attribute == "position" else attrs[attribute]


@torch.no_grad()
def class_embeddings(model, bank, attribute: str, lang: str = "en") -> torch.Tensor:
    """(classes, embed_dim): the normalised mean of each class's prompt features."""
    return torch.nn.functional.normalize(torch.stack([
        text_features(model, bank, prompt_ensemble(attribute, value, lang)).mean(0)
        for value in ZERO_SHOT[attribute]]), dim=1)


@torch.no_grad()
def class_probabilities(model, bank, images: np.ndarray, attribute: str) -> torch.Tensor:
    """(N, classes): softmax over the classes of the scaled image-class similarities."""
    logits = model.scale() * image_features(model, images) @ class_embeddings(
        model, bank, attribute).T
    return logits.softmax(1)


def zero_shot_accuracy(model, bank, n: int = GALLERY_SIZE) -> dict[str, float]:
    """Accuracy of each attribute's zero-shot classifier on the gallery: no image was ever
    labelled, the classes come from text alone."""
    sample = gallery(n)
    scores = {}
    for attribute, values in ZERO_SHOT.items():
        predicted = class_probabilities(model, bank, sample.images, attribute).argmax(1)
        truth = torch.tensor([values.index(_value(a, attribute)) for a in sample.attrs])
        scores[attribute] = (predicted == truth).float().mean().item()
    return scores


def tag_matrix(model, bank, images: np.ndarray, threshold: float = 0.5) -> torch.Tensor:
    """(N, len(TAGS)) bool: a tag is given when its class probability reaches `threshold`
    (position's probability goes to both its row tag and its column tag). An unsure attribute
    gets no tag, which costs recall but not precision."""
    tags = torch.zeros(len(images), len(TAGS), dtype=torch.bool)
    for attribute, values in ZERO_SHOT.items():
        sure = class_probabilities(model, bank, images, attribute) >= threshold
        for column, value in enumerate(values):
            for word in value if attribute == "position" else (value,):
                tags[:, TAGS.index(word)] |= sure[:, column]
    return tags


def true_tags(attrs: list[dict]) -> torch.Tensor:
    """(N, len(TAGS)) bool: the five words of each image's attributes."""
    return torch.tensor([[word in a.values() for word in TAGS] for a in attrs])


def tag_scores(model, bank, threshold: float = 0.5, n: int = GALLERY_SIZE) -> dict[str, float]:
    """Micro precision and recall of the tags over the gallery: (correct tags given) / (tags
    given) and (correct tags given) / (true tags), counted over all images and tags at once."""
    sample = gallery(n)
    predicted, truth = tag_matrix(model, bank, sample.images, threshold), true_tags(sample.attrs)
    kwargs = {"num_labels": len(TAGS), "average": "micro"}
    return {"precision": MultilabelPrecision(**kwargs)(predicted.int(), truth.int()).item(),
            "recall": MultilabelRecall(**kwargs)(predicted.int(), truth.int()).item()}
