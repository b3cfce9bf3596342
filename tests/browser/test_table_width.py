"""Every table fits the text column of a 1280-pixel-wide window, or scrolls inside it.

A table wider than the column used to be cut off at the column's edge with no visible
scrollbar, so a reader could not tell that columns were missing. book/_static/custom.css lets
cells wrap and makes what is still too wide scroll with a scrollbar that is always shown; this
test opens every page of the built book and fails on any table that is wider than its container
where nothing around it, inside the column, scrolls with a visible scrollbar.
"""


from conftest import HTML, book_pages, open_page

WINDOW = {"width": 1280, "height": 800}

# For each table of the article: its width, the room it has (its container's width, at most the
# column's), and whether an element between the two (the table's parent up to the article)
# scrolls sideways: overflow-x auto or scroll, content wider than its box, and a scrollbar that
# is drawn (offsetHeight > clientHeight) and styled (a ::-webkit-scrollbar height), since
# overlay scrollbars, hidden until one scrolls, are left out only for a styled scrollbar.
# Chromium on Linux draws classic scrollbars, so the style is what tells the two apart here.
# Widths are rounded to whole pixels.
OVERFLOWING_TABLES = """
article => [...article.querySelectorAll("table")].map(table => {
  const column = article.getBoundingClientRect();
  let scroller = null;
  for (let box = table.parentElement; box && box !== article.parentElement;
       box = box.parentElement) {
    const overflow = getComputedStyle(box).overflowX;
    if ((overflow === "auto" || overflow === "scroll") && box.scrollWidth > box.clientWidth
        && box.offsetHeight > box.clientHeight
        && getComputedStyle(box, "::-webkit-scrollbar").height !== "auto") {
      scroller = box;
      break;
    }
  }
  return {
    head: (table.querySelector("tr") || table).innerText.replace(/\\s+/g, " ").slice(0, 60),
    width: Math.round(table.getBoundingClientRect().width),
    room: Math.round(Math.min(table.parentElement.clientWidth, column.width)),
    scrolls: scroller !== null && scroller.getBoundingClientRect().right <= column.right + 1,
  };
}).filter(t => t.width > t.room + 1 && !t.scrolls)
"""


def test_every_table_fits_the_column_or_scrolls(browser):
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
    assert overflowing == {}, f"tables wider than the text column, with no scrollbar: {overflowing}"
