"""What the browser checks share: the built book's pages, a headless Chromium, a page loader
that refuses every request leaving the machine, and what a reader sees on each page, read in
one pass over the book (`book_facts`)."""

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
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
    return sorted(p for p in HTML.rglob("*.html") if p.name not in SKIP_PAGES
                  and not any(part.startswith("_") for part in p.relative_to(HTML).parts))


EDITION = "zh"  # the Chinese edition's folder in the book's HTML


def chinese_pages() -> list[Path]:
    return [p for p in book_pages() if p.relative_to(HTML).parts[0] == EDITION]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """The browser checks read a built book and train nothing: an empty model cache (without
    the unit tests' caption table, which they would otherwise embed for nothing)."""
    monkeypatch.setenv("TUTORIAL_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, with its scrollbars drawn (Playwright hides them by default, and the
    table check looks for them)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("chromium is not installed: run `make system-deps`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, ignore_default_args=["--hide-scrollbars"],
            args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# a page that only forwards the reader elsewhere (the book's index.html -> book/intro.html)
_FORWARD = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)"', re.IGNORECASE)


def open_page(browser, path: Path):
    """Load one page from disk; return it with the list of requests that tried to leave it.

    A forwarding page is followed here, to the page a reader lands on, so that the page is not
    navigated away while it is being checked."""
    forward = _FORWARD.search(path.read_text(encoding="utf-8", errors="replace")[:2000])
    if forward:
        path = (path.parent / forward.group(1)).resolve()
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
    # MathJax loads its components after "load"; its startup promise settles once they are in
    # and the page is typeset. Waiting on it, rather than on Playwright's "networkidle" (500 ms
    # without a request, which a busy 2-core CI machine once failed to see within 30 s), makes
    # the wait end when the page is ready.
    page.evaluate("() => window.MathJax?.startup?.promise?.then(() => true) ?? true")
    return page, outside


WINDOW = {"width": 1280, "height": 800}

# For each table of the article: its width and the room it has (its container's width, at most
# the column's), rounded to whole pixels; the tables wider than their room.
OVERFLOWING_TABLES = """
article => [...article.querySelectorAll("table")].map(table => ({
  head: (table.querySelector("tr") || table).innerText.replace(/\\s+/g, " ").slice(0, 60),
  width: Math.round(table.getBoundingClientRect().width),
  room: Math.round(Math.min(table.parentElement.clientWidth,
                            article.getBoundingClientRect().width)),
})).filter(t => t.width > t.room + 1)
"""


ERROR_OUTPUTS = ".output.traceback, .output.error, .cell_output .stderr"


@dataclass
class PageFacts:
    """What one page of the book showed in the browser."""

    outside: list[str]  # requests that tried to leave the machine
    broken_images: list[str]
    error_outputs: int  # cell outputs showing an error or stderr
    traceback: bool
    cell_outputs: str  # the text of every cell output
    mathjax_sources: list[str]
    has_maths: bool
    typeset: int  # MathJax's rendered formulas
    overflowing_tables: list[dict]
    edition_link: str | None  # the href of the link to the same page in the other edition
    chinese_fonts: list[str]  # the fonts that drew a Chinese paragraph (none: no such text)


# Marks the article's first heading or paragraph with Chinese in it, for the font query below.
MARK_CHINESE = """
article => { const p = [...article.querySelectorAll("h1, h2, p, li, td")].find(
  e => /[\u4e00-\u9fff]/.test(e.textContent));
  if (p) p.setAttribute("data-chinese", ""); return !!p; }
"""


def fonts_drawing(page, selector: str) -> list[str]:
    """The font families Chromium really drew an element's text with (DevTools protocol: the
    platform fonts and their glyph counts), not what CSS asked for."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    session.detach()
    return [font["familyName"] for font in fonts if font["glyphCount"] > 0]


def read_page(browser, path: Path) -> PageFacts:
    page, outside = open_page(browser, path)
    page.set_viewport_size(WINDOW)
    has_maths = page.locator(".math").count() > 0
    typeset = 0
    if has_maths:
        try:
            page.wait_for_selector("mjx-container", state="attached", timeout=20_000)
            typeset = page.locator("mjx-container").count()
        except PlaywrightTimeout:
            pass
    article = page.locator("article.bd-article")
    marked = article.count() and article.evaluate(MARK_CHINESE)
    link = page.locator(".edition-link a")
    facts = PageFacts(
        outside=outside,
        broken_images=page.eval_on_selector_all(
            "img", "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"),
        error_outputs=page.locator(ERROR_OUTPUTS).count(),
        traceback="Traceback (most recent call last)" in page.inner_text("body"),
        cell_outputs="\n".join(page.locator(".cell_output").all_inner_texts()),
        mathjax_sources=page.eval_on_selector_all(
            "script[src*='mathjax' i]", "scripts => scripts.map(s => s.getAttribute('src'))"),
        has_maths=has_maths,
        typeset=typeset,
        overflowing_tables=article.evaluate(OVERFLOWING_TABLES) if article.count() else [],
        edition_link=link.first.get_attribute("href") if link.count() else None,
        chinese_fonts=fonts_drawing(page, "[data-chinese]") if marked else [])
    page.context.close()
    return facts


@pytest.fixture(scope="session")
def book_facts(browser) -> dict[str, PageFacts]:
    """Every page of the book (its path under the HTML folder) -> what it showed: each page is
    opened once for all the checks."""
    return {str(path.relative_to(HTML)): read_page(browser, path) for path in book_pages()}
