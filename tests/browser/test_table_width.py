"""Every table fits the text column of a 1280-pixel-wide window.

A table wider than the column used to be cut off at the column's edge with no visible
scrollbar, so a reader could not tell that columns were missing. book/_static/custom.css lets
cells wrap (and gives what is still too wide in a narrower window a visible scrollbar); the
tables themselves are written to fit: short headers, long formulas split where a line may
break. This test fails on any table of any page of the built book (opened at 1280 x 800 pixels, see
conftest.py) wider than the room it has, whether or not something around it scrolls.
"""


def test_every_table_fits_the_column(book_facts):
    overflowing = {name: facts.overflowing_tables for name, facts in book_facts.items()
                   if facts.overflowing_tables}
    assert overflowing == {}, f"tables wider than the text column: {overflowing}"
