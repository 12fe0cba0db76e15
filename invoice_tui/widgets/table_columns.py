"""The invoice index's column model: which width each catalogue column takes, how the columns are
fitted to the terminal's width, and how texts are fitted to the columns and a line to the screen.

Pure functions over plain values (no widget, no database): the table (``invoice_table``) and the
row formatter (``table_rows``) use them.
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass
from typing import Iterable

from invoice_tui.domain import catalogue
from invoice_tui.i18n import pgettext

WIDTHS = {"text": 18, "number": 8, "money": 11, "date": 10, "choice": 9}
SPECIAL_WIDTHS = {"number": 10, "contact_name": 20, "company_name": 20, "owner": 12, "currency": 8,
                  "contact_email": 24, "title": 20, "comments": 24, "status": 12, "id": 8, "po_number": 12}
MIN_TEXT_WIDTH = 8  # a name column narrowed to fit the terminal keeps this much ("Günther…")
MIN_STATUS_WIDTH = 7  # "Overdue" without its days (issue 24: "Overdue 12 d" where there is room)


def text_floor(column: Column) -> int:
    """How narrow a name-like column may become: ``MIN_TEXT_WIDTH``, or its header when that is
    short ("Entreprise" stays whole; a long header such as "Billing contact" is cut)."""
    return max(MIN_TEXT_WIDTH, len(column.label)) if len(column.label) <= HEADER_KEPT else MIN_TEXT_WIDTH


HEADER_KEPT = 10  # a name column's header this short is never cut to fit


def min_status_width() -> int:
    """The status column's narrowest: the overdue word of the reader's language, without its days."""
    return max(MIN_STATUS_WIDTH, len(catalogue.choice_label("status", "overdue")))
# Amounts start this wide (11: "-€99,999.99"); a wider amount widens its column when it is drawn
# (``InvoiceTable._widen``): an amount is never cut (issue 24).


def date_width(locale: str) -> int:
    """The width of the locale's short date form (issue 24: dates as the locale writes them
    short, never cut): the widest of a two-digit day and month and a one-digit one."""
    from invoice_tui.domain.localize import short_date

    return max(len(short_date(_dt.date(2026, 12, 31), locale)), len(short_date(_dt.date(2026, 1, 1), locale)))


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    width: int
    right: bool
    values: int = 0  # the width its values need (the rest is its header's); 0: its width


def value_width(prop_id: str, locale: str = "en_US") -> int:
    """The width a column's values need (its header may ask for more: ``make_columns``)."""
    kind = catalogue.get(prop_id).type
    if kind == "date":
        return _date_width(locale)
    if prop_id == "status":  # "Overdue 12 d" in the reader's language ("Retard 12 j")
        return max(SPECIAL_WIDTHS["status"], len(pgettext("status", "Overdue {days} d").format(days="12")),
                   min_status_width())
    return SPECIAL_WIDTHS.get(prop_id, WIDTHS[kind])


_date_width = functools.lru_cache(maxsize=16)(date_width)


SORT_ARROW = 2  # " ▲" after the sorted column's header


def make_columns(ids: Iterable[str], locale: str = "en_US", wider: dict[str, int] | None = None,
                 sorted_id: str | None = None) -> list[Column]:
    """The columns ``ids`` as configured, for ``locale``'s dates; ``wider`` widens columns whose
    values were found wider than their natural width (amounts: never cut). The sorted column
    (``sorted_id``) keeps room for its arrow: a date's, an amount's or a number's header stays
    whole with it ("Due date ▲", issue 24), fitting never takes that room back."""
    cols = []
    for cid in ids:
        prop = catalogue.get(cid)
        label = catalogue.header(cid)  # in the reader's language: the widths follow its words (French is longer)
        value = max(value_width(cid, locale), (wider or {}).get(cid, 0))
        arrow = SORT_ARROW if cid == sorted_id else 0
        if prop.type == "date":  # a date's header stays whole ("Due date"): it says which date
            value = max(value, len(label) + arrow)
        elif arrow and prop.type in ("money", "number"):
            value = max(value, len(label) + arrow)
        width = max(value, min(len(label) + 2 + arrow, 24 + arrow))
        cols.append(Column(cid, label, width, prop.type in ("money", "number"), value))
    return cols


def fit_columns(columns: list[Column], width: int) -> list[Column]:
    """``columns`` fitted to ``width`` characters where they can be. When they are wider, first
    the columns made wider than their values for their header ("Last sent date" over a date)
    give up that room (the header is cut with "…"), then the name-like text columns (contact,
    company, owner…) give up characters, widest first, down to ``MIN_TEXT_WIDTH``. Amounts,
    dates and numbers stay whole; the status gives up its overdue days last (down to
    "Overdue"). What still does not fit is not drawn in part: those columns are off screen,
    whole, to the right (``visible_window``; → scrolls to them). At 80 columns the number,
    names, amounts, status and due date are on screen (issue 24)."""
    if sum(c.width + 1 for c in columns) <= width:
        return columns
    for k in range(len(columns), 0, -1):  # the longest run of columns that fits, once narrowed
        widths, excess = _narrowed(columns[:k], width)
        if excess <= 0:
            break
    widths += [c.width for c in columns[len(widths):]]  # off screen: as configured
    return [c if w == c.width else Column(c.id, c.label, w, c.right, c.values) for c, w in zip(columns, widths)]


def _narrowed(columns: list[Column], width: int) -> tuple[list[int], int]:
    """The widths of ``columns`` narrowed by stages towards ``width``, and what still does not fit."""
    excess = sum(c.width + 1 for c in columns) - width
    widths = [c.width for c in columns]
    status_floor = min_status_width()
    stages = (lambda c: c.values or c.width,  # a header's room beyond its values
              lambda c: text_floor(c) if catalogue.get(c.id).type == "text" and c.id != "number" else c.width,
              lambda c: status_floor if c.id == "status" else c.width)  # then the overdue days
    for floor_of in stages:
        floors = [min(floor_of(c), w) for c, w in zip(columns, widths)]
        room = [i for i, (w, f) in enumerate(zip(widths, floors)) if w > f]
        while excess > 0 and room:
            widest = max(room, key=lambda i: widths[i] - floors[i])
            widths[widest] -= 1
            excess -= 1
            if widths[widest] <= floors[widest]:
                room.remove(widest)
    return widths, excess


def header_label(column: Column, arrow: str = "") -> str:
    """A column's header as drawn: its header, or its short one when the header does not fit the
    column's width ("Billed" over amounts at 80 columns, not "Amount bil…"); the sorted column's
    ``arrow`` always stays ("Contac… ▲" when even the short header is too wide)."""
    room = column.width - (len(arrow) + 1 if arrow else 0)
    label = column.label
    if len(label) > room:
        short = catalogue.short_header(column.id)
        if short and len(short) <= room:
            label = short
        elif arrow:
            label = label[: max(room - 1, 0)].rstrip() + "…"
    return f"{label} {arrow}" if arrow else label


def fit_cells(cells: list[str], spec: list[tuple[int, bool]], header: bool = False) -> str:
    """The cells fitted to their columns' widths (cut with "…", padded), each followed by a space."""
    parts = []
    for text, (width, right) in zip(cells, spec):
        if len(text) > width:
            text = text[: max(width - 1, 0)].rstrip() + "…"
        parts.append(text.rjust(width) if right and not header else text.ljust(width))
    parts.append("")
    return " ".join(parts)


def visible_window(columns: list[Column], gutter: int, scroll_x: int, width: int) -> tuple[int, int]:
    """Which part of a line (``fit_cells``'s text) is drawn whole at ``scroll_x`` in ``width``
    characters: (first, end) offsets in the line after the first column. A column that would be
    cut by the screen's edge is not drawn at all (issue 24: "2027" for a due date is worse than
    no due date; → brings it). Offsets are column starts."""
    if not columns:
        return 0, 0
    head = columns[0].width + 1
    room = width - gutter - head
    start = pos = head
    for col in columns[1:]:  # scrolled past part of a column: start at the next whole one
        if pos - head >= scroll_x:
            break
        pos += col.width + 1
    start = end = pos
    pos = head
    for col in columns[1:]:
        nxt = pos + col.width + 1
        if pos >= start and nxt - 1 - start <= room and end == pos:
            end = nxt
        pos = nxt
    return start, end


def fit_line(gutter: str, line: str, head: int, scroll_x: int, width: int,
             window: tuple[int, int] | None = None) -> str:
    """The text of one line of the table: the gutter and the first ``head`` characters of
    ``line`` (the first column) stay; the rest scrolls by ``scroll_x``; cut or padded to ``width``.
    With ``window`` (``visible_window``), only the whole columns it spans are drawn."""
    if window is not None:
        start, end = window
        return (gutter + line[:head] + line[start:end])[:width].ljust(width)
    if scroll_x:
        fixed = gutter + line[:head]
        line = fixed + line[head + scroll_x: head + scroll_x + max(width - len(fixed), 0)]
    else:
        line = gutter + line
    return line[:width].ljust(width)
