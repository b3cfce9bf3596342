"""Every table fits the text column of a 1280-pixel-wide window.

A table wider than the column used to be cut off at the column's edge with no visible
scrollbar, so a reader could not tell that columns were missing. book/_static/custom.css lets
cells wrap (and gives what is still too wide in a narrower window a visible scrollbar); the
tables themselves are written to fit: short headers, long formulas split where a line may
break. This test opens every page of the built book and fails on any table wider than the room
it has, whether or not something around it scrolls.
"""


from conftest import HTML, book_pages, open_page

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


def test_every_table_fits_the_column(browser):
    overflowing = {}
    for path in book_pages():
        page, _ = open_page(browser, path)
        page.set_viewport_size(WINDOW)
        article = page.locator("article.bd-article")
        if article.count():
            tables = article.evaluate(OVERFLOWING_TABLES)
            if tables:
                overflowing[str(path.relative_to(HTML))] = tables
        page.context.close()
    assert overflowing == {}, f"tables wider than the text column: {overflowing}"
