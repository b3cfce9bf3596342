"""Shared fixtures: every test gets its own empty model cache and runs at full budget, unless
it asks for the session's shared models (`fast_models`, `shapes_judge`)."""

import os

import matplotlib
import pytest
from filelock import FileLock

matplotlib.use("Agg")  # tests draw figures without a screen


# Fixtures that train a model at full budget (15-45 s each): a test using one is slow.
SLOW_FIXTURES = {"shapes_judge", "bilingual", "trained", "short_run"}


def pytest_collection_modifyitems(items):
    """Mark every test that uses a slow fixture as slow, so `pytest -m "not slow"` skips it."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch, caption_table_file):
    """Point TUTORIAL_CACHE at a fresh folder so tests never read or write the user's models.

    The folder holds only the test run's table of MiniLM vectors of the grammar's captions (a
    link): it is what a frozen pretrained model says of fixed texts, not a trained model, and
    embedding it (half a minute) for every test that builds a text encoder would dominate the
    run. A test of the table itself removes the link."""
    cache = with_caption_table(tmp_path / "cache", caption_table_file)
    monkeypatch.setenv("TUTORIAL_CACHE", str(cache))
    monkeypatch.delenv("TUTORIAL_FAST", raising=False)
    return cache


def with_caption_table(cache, caption_table_file):
    """The model cache folder `cache`, holding a link to the test run's caption table in both
    its full and its fast part."""
    for mode in ("full", "fast"):
        (cache / mode).mkdir(parents=True, exist_ok=True)
        link = cache / mode / caption_table_file.name
        if not link.exists():
            link.symlink_to(caption_table_file)
    return cache


def own_files(folder) -> list[str]:
    """The names of the files in a cache folder, less the linked caption table."""
    return sorted(p.name for p in folder.iterdir() if not p.is_symlink())


@pytest.fixture(scope="session")
def caption_table_file(tmp_path_factory):
    """The caption table, embedded once per test run, read-only: a test may replace the link,
    never write into the shared file."""
    return _caption_table_file(tmp_path_factory)


def _caption_table_file(tmp_path_factory):
    from tutorial_lib.text.encoders import CAPTION_TABLE, caption_table

    folder, lock = session_folder(tmp_path_factory, "caption_table")
    with pytest.MonkeyPatch.context() as patch, lock:
        patch.setenv("TUTORIAL_CACHE", str(folder))
        patch.delenv("TUTORIAL_FAST", raising=False)
        caption_table()
        path = folder / "full" / CAPTION_TABLE
        path.chmod(0o444)
        return path


def pytest_sessionstart(session):
    """Under pytest-xdist, the controller embeds the caption table on both cores before it
    starts the workers (its hook runs after this one), instead of one worker embedding it on
    one thread while the other waits for it."""
    if session.config.pluginmanager.has_plugin("dsession"):
        _caption_table_file(session.config._tmp_path_factory)


@pytest.fixture(scope="session")
def mnist_data():
    """The MNIST sample's split (train images, train labels, test images, test labels)."""
    from tutorial_lib.data.mnist import mnist_split

    return mnist_split()


def session_folder(tmp_path_factory, name: str):
    """A folder that lives for this test run and, under pytest-xdist, is the same for every
    worker (their base folders share a parent made for this run); with a lock beside it."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.getbasetemp().parent / name
    else:
        folder = tmp_path_factory.getbasetemp() / name
    folder.mkdir(exist_ok=True)
    return folder, FileLock(str(folder) + ".lock")


@pytest.fixture(scope="session")
def shapes_judge(tmp_path_factory):
    """The shapes-world attribute judge at its full budget (about 25 s), trained once per test
    run into a private cache (the lock lets one xdist worker train it while the others wait)."""
    from tutorial_lib.shapes_judge import pretrained_shapes_judge

    folder, lock = session_folder(tmp_path_factory, "shapes_judge")
    with pytest.MonkeyPatch.context() as patch, lock:
        patch.setenv("TUTORIAL_CACHE", str(folder))
        patch.delenv("TUTORIAL_FAST", raising=False)
        return pretrained_shapes_judge(progress=False)


@pytest.fixture
def fast_models(tmp_path_factory, monkeypatch, caption_table_file):
    """Fast mode with the test run's shared model cache: for tests that use the fast-mode models
    (the CLI's, the widgets') but do not test the caching itself, so each model is trained once
    per run, not once per test. Returns the cache folder."""
    folder, _ = session_folder(tmp_path_factory, "fast_models")
    with_caption_table(folder, caption_table_file)
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    monkeypatch.setenv("TUTORIAL_CACHE", str(folder))
    return folder


def pytest_configure(config):
    """Under pytest-xdist each worker is one of two processes sharing the cores: one torch
    thread each keeps them from competing for both."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        torch.set_num_threads(1)
