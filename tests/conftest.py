"""Shared fixtures: every test gets its own empty model cache and runs at full budget."""

import matplotlib
import pytest

matplotlib.use("Agg")  # tests draw figures without a screen


# Fixtures that train a model at full budget (15-45 s each): a test using one is slow.
SLOW_FIXTURES = {"shapes_judge", "bilingual", "trained", "short_run"}


def pytest_collection_modifyitems(items):
    """Mark every test that uses a slow fixture as slow, so `pytest -m "not slow"` skips it."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Point TUTORIAL_CACHE at a fresh folder so tests never read or write the user's models."""
    monkeypatch.setenv("TUTORIAL_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TUTORIAL_FAST", raising=False)
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def mnist_data():
    """The MNIST sample's split (train images, train labels, test images, test labels)."""
    from tutorial_lib.data.mnist import mnist_split

    return mnist_split()


@pytest.fixture(scope="session")
def shapes_judge(tmp_path_factory):
    """The shapes-world attribute judge at its full budget (about 35 s), trained once per test
    session into a private cache."""
    from tutorial_lib.shapes_judge import pretrained_shapes_judge

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUTORIAL_CACHE", str(tmp_path_factory.mktemp("shapes_judge")))
        patch.delenv("TUTORIAL_FAST", raising=False)
        return pretrained_shapes_judge(progress=False)
