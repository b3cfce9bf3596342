"""A real browser opens every page of the built book, both editions (run by `make browser`
after a build).

Checks what a reader would notice: maths typeset by the book's own MathJax (no CDN), every image
loaded, no error output in any cell, no request leaving the machine; in the Chinese edition,
Chinese drawn with a Chinese font; on every page, a link to the same page in the other edition.
"""

import re
import subprocess
from pathlib import Path

from conftest import EDITION, HTML, book_pages, chinese_pages, open_page

# Pages that hold no text of the book: the forwarding index.html (checked as the page it
# forwards to) and sphinx-proof's index of proofs (a list of links, built from no page).
GENERATED = {"index.html", "prf-prf.html"}


def test_the_book_has_its_pages_in_both_editions():
    pages = {p.relative_to(HTML).as_posix() for p in book_pages()}
    english = {page for page in pages if not page.startswith(f"{EDITION}/")}
    assert {"book/intro.html", "book/references.html", "notebooks/00_welcome.html"} <= english
    assert {f"{EDITION}/{page}" for page in english} <= pages


def test_every_page_links_to_itself_in_the_other_edition_and_back(book_facts):
    for name, facts in book_facts.items():
        if Path(name).name in GENERATED:
            continue
        assert facts.edition_link, f"{name} has no link to the other edition"
        other = (HTML / name).parent / facts.edition_link
        other_name = other.resolve().relative_to(HTML.resolve()).as_posix()
        assert other_name in book_facts, f"{name} links to {other_name}, which does not exist"
        back = (HTML / other_name).parent / book_facts[other_name].edition_link
        assert back.resolve() == (HTML / name).resolve(), f"{other_name} does not link back"


def test_the_chinese_edition_is_drawn_with_a_chinese_font(book_facts):
    installed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True,
                               text=True, check=True).stdout
    chinese_families = {name.strip() for line in installed.splitlines()
                        for name in line.split(",")}
    pages = [p.relative_to(HTML).as_posix() for p in chinese_pages() if p.name not in GENERATED]
    assert pages, "no Chinese edition in the built book"
    for name in pages:
        fonts = book_facts[name].chinese_fonts
        assert fonts, f"{name} shows no Chinese text"
        assert set(fonts) & chinese_families, f"{name}: Chinese drawn with {fonts} only"


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
