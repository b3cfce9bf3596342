"""What the browser checks share: the built book's pages, a headless Chromium, and a page
loader that refuses every request leaving the machine."""

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
