"""A real browser opens every page of the built book (run by `make browser` after a build).

Checks what a reader would notice: maths typeset by the book's own MathJax (no CDN), every image
loaded, no error output in any cell, and no request leaving the machine.
"""

import re
from pathlib import Path

from conftest import HTML, book_pages, open_page


def test_the_book_has_its_pages():
    names = {p.stem for p in book_pages()}
    assert {"intro", "how_to_use", "guide_map", "00_welcome", "references"} <= names


def test_every_page_loads_offline_with_images_and_no_errors(book_facts):
    for name, facts in book_facts.items():
        assert facts.outside == [], f"{name} requested {facts.outside}"
        assert facts.broken_images == [], f"{name}: images failed to load: {facts.broken_images}"
        assert facts.error_outputs == 0, f"{name}: {facts.error_outputs} cell outputs show errors"
        assert not facts.traceback, name
        # a Markdown table printed by a cell must render as a table, not as rows of pipes
        raw_table = re.search(r"\|\s*[-—–]+:?\s*\|", facts.cell_outputs)
        assert not raw_table, f"{name}: a raw Markdown table"


def test_maths_is_typeset_by_the_local_mathjax(book_facts):
    typeset = {}
    for name, facts in book_facts.items():
        if facts.has_maths:
            sources = facts.mathjax_sources
            assert sources, f"{name} has maths but loads no MathJax"
            assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
            assert facts.typeset > 0, f"{name}: MathJax typeset nothing within 20 s"
            typeset[Path(name).stem] = facts.typeset
    assert typeset.get("00_welcome", 0) >= 3 and typeset.get("guide_map", 0) >= 1, typeset


def test_chapter_zero_shows_its_pictures(browser):
    page, _ = open_page(browser, HTML / "notebooks" / "00_welcome.html")
    pictures = page.eval_on_selector_all(
        ".cell_output img", "imgs => imgs.map(i => [i.naturalWidth, i.naturalHeight])")
    assert len(pictures) >= 6, pictures  # shapes grids, statistics, entropy, MNIST
    assert all(width > 100 and height > 50 for width, height in pictures), pictures
    page.context.close()
