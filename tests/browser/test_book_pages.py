"""A real browser opens every page of the built book (run by `make browser` after a build).

Checks what a reader would notice: maths typeset by the book's own MathJax (no CDN), every image
loaded, no error output in any cell, and no request leaving the machine.
"""

import re

from conftest import HTML, book_pages, open_page


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
