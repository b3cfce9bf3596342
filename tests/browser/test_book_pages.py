"""A real browser opens every page of the built book (run by `make browser` after a build).

Checks what a reader would notice: maths typeset by the book's own MathJax (no CDN), every image
loaded, no error output in any cell, and no request leaving the machine.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / os.environ.get("BOOK_HTML", "book/_build_fast/_build/html")
SKIP_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def book_pages() -> list[Path]:
    if not (HTML / "index.html").is_file():
        pytest.fail(f"no built book at {HTML}: run `make book-fast` first")
    return sorted(p for p in HTML.rglob("*.html")
                  if p.name not in SKIP_PAGES and not p.relative_to(HTML).parts[0].startswith("_"))


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("chromium is not installed: run `make system-deps`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, path: Path):
    """Load one page from disk; return it with the list of requests that tried to leave it."""
    context = browser.new_context()
    outside = []

    def only_local(route):
        if route.request.url.startswith(("file://", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_load_state("networkidle")
    return page, outside


def test_the_book_has_its_pages():
    names = {p.stem for p in book_pages()}
    assert {"intro", "how_to_use", "guide_map", "00_welcome", "references"} <= names


def test_every_page_loads_offline_with_images_and_no_errors(browser):
    for path in book_pages():
        page, outside = open_page(browser, path)
        name = path.relative_to(HTML)
        assert outside == [], f"{name} requested {outside}"
        broken = page.eval_on_selector_all(
            "img", "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
        assert broken == [], f"{name}: images failed to load: {broken}"
        errors = page.locator(".output.traceback, .output.error, .cell_output .stderr").count()
        assert errors == 0, f"{name}: {errors} cell outputs show errors"
        assert "Traceback (most recent call last)" not in page.inner_text("body"), name
        # a Markdown table printed by a cell must render as a table, not as rows of pipes
        outputs = "\n".join(page.locator(".cell_output").all_inner_texts())
        assert not re.search(r"\|\s*[-—–]+:?\s*\|", outputs), f"{name}: raw Markdown table"
        page.context.close()


def test_maths_is_typeset_by_the_local_mathjax(browser):
    typeset = {}
    for path in book_pages():
        page, _ = open_page(browser, path)
        sources = page.eval_on_selector_all(
            "script[src*='mathjax' i]", "scripts => scripts.map(s => s.getAttribute('src'))")
        if page.locator(".math").count():
            assert sources, f"{path.name} has maths but loads no MathJax"
            assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
            page.wait_for_selector("mjx-container", state="attached", timeout=20_000)
            typeset[path.stem] = page.locator("mjx-container").count()
        page.context.close()
    assert typeset.get("00_welcome", 0) >= 3 and typeset.get("guide_map", 0) >= 1, typeset


def test_chapter_zero_shows_its_pictures(browser):
    page, _ = open_page(browser, HTML / "notebooks" / "00_welcome.html")
    pictures = page.eval_on_selector_all(
        ".cell_output img", "imgs => imgs.map(i => [i.naturalWidth, i.naturalHeight])")
    assert len(pictures) >= 6, pictures  # shapes grids, statistics, entropy, MNIST
    assert all(width > 100 and height > 50 for width, height in pictures), pictures
    page.context.close()
