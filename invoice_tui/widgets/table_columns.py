"""The invoice index's column model: which width each catalogue column takes, how the columns are
fitted to the terminal's width, and how texts are fitted to the columns and a line to the screen.

Pure functions over plain values (no widget, no database): the table (``invoice_table``) and the
row formatter (``table_rows``) use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from invoice_tui.domain import catalogue

WIDTHS = {"text": 18, "number": 8, "money": 14, "date": 10, "choice": 9}
SPECIAL_WIDTHS = {"number": 10, "contact_name": 20, "company_name": 20, "owner": 12, "currency": 8,
                  "contact_email": 24, "title": 20, "comments": 24, "status": 8, "id": 8, "po_number": 12}
MIN_TEXT_WIDTH = 10  # a name column narrowed to fit the terminal keeps this much


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    width: int
    right: bool


def value_width(prop_id: str) -> int:
    """The width a column's values need (its header may ask for more: ``make_columns``)."""
    return SPECIAL_WIDTHS.get(prop_id, WIDTHS[catalogue.get(prop_id).type])


def make_columns(ids: Iterable[str]) -> list[Column]:
    cols = []
    for cid in ids:
        prop = catalogue.get(cid)
        width = max(value_width(cid), min(len(prop.label()) + 2, 24))
        cols.append(Column(cid, prop.label(), width, prop.type in ("money", "number")))
    return cols


def fit_columns(columns: list[Column], width: int) -> list[Column]:
    """``columns`` fitted to ``width`` characters where they can be. When they are wider, first
    the columns made wider than their values for their header ("Last sent date" over a date)
    give up that room (the header is cut with "…"), then the name-like text columns (contact,
    company, owner…) give up characters, widest first, down to ``MIN_TEXT_WIDTH``. Amounts,
    dates and statuses stay whole; what still does not fit scrolls sideways. At 80 columns
    this keeps the balance on screen."""
    excess = sum(c.width + 1 for c in columns) - width
    if excess <= 0:
        return columns
    widths = [c.width for c in columns]
    stages = (lambda c: value_width(c.id),  # first a header's room beyond its values
              lambda c: MIN_TEXT_WIDTH if catalogue.get(c.id).type == "text" else c.width)  # then names
    for floor_of in stages:
        floors = [min(floor_of(c), w) for c, w in zip(columns, widths)]
        room = [i for i, (w, f) in enumerate(zip(widths, floors)) if w > f]
        while excess > 0 and room:
            widest = max(room, key=lambda i: widths[i] - floors[i])
            widths[widest] -= 1
            excess -= 1
            if widths[widest] <= floors[widest]:
                room.remove(widest)
    return [c if w == c.width else Column(c.id, c.label, w, c.right) for c, w in zip(columns, widths)]


def fit_cells(cells: list[str], spec: list[tuple[int, bool]], header: bool = False) -> str:
    """The cells fitted to their columns' widths (cut with "…", padded), each followed by a space."""
    parts = []
    for text, (width, right) in zip(cells, spec):
        if len(text) > width:
            text = text[: max(width - 1, 0)] + "…"
        parts.append(text.rjust(width) if right and not header else text.ljust(width))
    parts.append("")
    return " ".join(parts)


def fit_line(gutter: str, line: str, head: int, scroll_x: int, width: int) -> str:
    """The text of one line of the table: the gutter and the first ``head`` characters of
    ``line`` (the first column) stay; the rest scrolls by ``scroll_x``; cut or padded to ``width``."""
    if scroll_x:
        fixed = gutter + line[:head]
        line = fixed + line[head + scroll_x: head + scroll_x + max(width - len(fixed), 0)]
    else:
        line = gutter + line
    return line[:width].ljust(width)
