"""The invoice index's page source: the rows of the query shown, read a page of ``PAGE_SIZE`` rows
at a time and kept in an LRU cache of ``MAX_PAGES`` pages (``textual.cache.LRUCache``).

Its SQL is the domain's: ``views.prepare`` compiles the query once (the permission and the
settings checked once) and each page is plain SQL on the reading thread's connection
(``index_sql.reading``). A page after a cached page is read by keyset (sort key + id), the page
before one by reverse keyset, and a jump (End, a drag of the position bar) by the key of its
first row, found with an OFFSET over the key columns from the nearer end. Pages keep the rows as
the driver returns them; a row is formatted (``table_rows.RowFormatter``) the first time it is
drawn and kept, so the first screen formats its ~40 rows, not the 100 of the page.

After a change elsewhere the pages read before stay (``stale``) until their new version arrives.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Iterable

from textual.cache import LRUCache

from invoice_tui.domain import views
from invoice_tui.widgets.table_columns import Column
from invoice_tui.widgets.table_rows import Row, RowFormatter, row_fields
from invoice_tui.i18n import language

PAGE_SIZE = 100
MAX_PAGES = 60


@dataclass
class Page:
    raw: list[tuple]
    formatter: RowFormatter
    first: views.Key | None
    last: views.Key | None
    rows: list[Row | None] | None = None

    def row(self, offset: int) -> Row | None:
        if offset >= len(self.raw):
            return None
        if self.rows is None:
            self.rows = [None] * len(self.raw)
        row = self.rows[offset]
        if row is None:
            row = self.rows[offset] = self.formatter(self.raw[offset])
        return row


def read_page(prepared, formatter: RowFormatter, *, limit: int = 100, **where) -> Page:
    """One page of the index by keyset (``after``, ``before``, ``start_at`` or the first)."""
    raw = prepared.page(limit=limit, **where)
    return Page(raw, formatter, prepared.key(raw[0]) if raw else None, prepared.key(raw[-1]) if raw else None)


# ---- a query prepared for reading, and the formatter of its rows --------------------------------
_FORMATTERS: OrderedDict[tuple, tuple[list, RowFormatter | None]] = OrderedDict()
_FORMATTERS_LOCK = threading.Lock()


def prepare_rows(ctx, query: views.IndexQuery, columns: list[Column], locale: str) -> tuple[object, RowFormatter]:
    """``query`` prepared for reading the fields ``columns`` show, and the formatter of its rows.
    A formatter (and its memo of formatted amounts) is kept for the last few column sets, so
    switching views or filters back and forth does not build them again."""
    key = (tuple((c.id, c.width, c.right) for c in columns), locale, language())  # its words: the reader's language
    with _FORMATTERS_LOCK:  # tables load in worker threads
        fields, formatter = _FORMATTERS.get(key) or (row_fields(columns), None)
    prepared = views.prepare(ctx, query, fields)
    if formatter is None or formatter.today != prepared.today:
        formatter = RowFormatter(columns, fields, prepared.today, locale)
    with _FORMATTERS_LOCK:
        _FORMATTERS[key] = (fields, formatter)
        _FORMATTERS.move_to_end(key)
        while len(_FORMATTERS) > 8:
            _FORMATTERS.popitem(last=False)
    return prepared, formatter


def clear_formatters() -> None:
    with _FORMATTERS_LOCK:
        _FORMATTERS.clear()


# ---- reading pages (in a worker thread) ------------------------------------------------------------
def first_pages(prepared, formatter: RowFormatter, pages: list[int]) -> dict[int, Page]:
    """Pages ``0..n`` read one after the other by keyset (opening at the top: no count needed);
    stops at the first page that is not full."""
    fetched: dict[int, Page] = {}
    after = None
    for p in pages:
        page = read_page(prepared, formatter, after=after, limit=PAGE_SIZE)
        fetched[p] = page
        after = page.last
        if len(page.raw) < PAGE_SIZE:
            break
    return fetched


def read_pages(prepared, formatter: RowFormatter, pages: Iterable[int], total: int,
               bounds: dict[int, tuple], cancelled: Callable[[], bool]) -> dict[int, Page]:
    """``pages`` of ``total`` rows: each by keyset from a neighbour whose keys are known
    (``bounds``: page → (first key, last key)), else by the key of its first row."""
    out: dict[int, Page] = {}
    for p in pages:
        if cancelled():
            break
        start = p * PAGE_SIZE
        n = min(PAGE_SIZE, total - start)
        if p < 0 or n <= 0:
            continue
        if p - 1 in bounds and bounds[p - 1][1] is not None:
            page = read_page(prepared, formatter, after=bounds[p - 1][1], limit=n)
        elif p + 1 in bounds and bounds[p + 1][0] is not None:
            page = read_page(prepared, formatter, before=bounds[p + 1][0], limit=n)
        elif p == 0:
            page = read_page(prepared, formatter, limit=n)
        else:
            key = prepared.anchor_key(start, total)
            page = read_page(prepared, formatter, start_at=key, limit=n) if key else Page([], formatter, None, None)
        out[p] = page
        bounds[p] = (page.first, page.last)
    return out


# ---- the cache -------------------------------------------------------------------------------------
class PageSource:
    """The pages of one table: the cache of pages read for the current query, the pages read for
    the previous one (``stale``: drawn until their new version arrives), the pages being read, and
    ``reader``, what reads more: (generation, prepared query, row formatter)."""

    def __init__(self) -> None:
        self.pages: LRUCache[int, Page] = LRUCache(MAX_PAGES)
        self.stale: dict[int, Page] = {}
        self.inflight: set[int] = set()
        self.reader: tuple | None = None
        self._bounds: dict[int, tuple] = {}  # page → (first key, last key): where a neighbour starts

    @property
    def formatter(self) -> RowFormatter | None:
        return self.reader[2] if self.reader is not None else None

    def reset(self, *, keep_rows: bool) -> None:
        """A new query (or a new version of the rows): the pages read so far become stale (kept
        to draw until their new version arrives) or are dropped."""
        if keep_rows:
            self.stale = {p: page for p in list(self.pages.keys()) if (page := self.pages.get(p)) is not None}
        else:
            self.stale = {}
        self.pages.clear()
        self._bounds.clear()
        self.inflight.clear()

    def row(self, index: int) -> Row | None:
        """Row ``index`` as drawn now (a page read for other column widths is formatted again)."""
        p, offset = divmod(index, PAGE_SIZE)
        page = self.pages.get(p)
        if page is None:
            page = self.stale.get(p)
            if page is None:
                return None
        formatter = self.formatter
        if formatter is not None and page.formatter is not formatter:
            page.formatter, page.rows = formatter, None
        return page.row(offset)

    def __contains__(self, page_no: int) -> bool:
        return page_no in self.pages

    def add(self, pages: dict[int, Page]) -> None:
        for p, page in pages.items():
            self.pages.discard(p)  # LRUCache.set keeps an entry already there
            self.pages.set(p, page)
            self._bounds[p] = (page.first, page.last)
            self.stale.pop(p, None)
            self.inflight.discard(p)

    def keep_stale_below(self, total: int) -> None:
        self.stale = {p: pg for p, pg in self.stale.items() if p * PAGE_SIZE < total}

    def to_read(self, visible: Iterable[int], total: int) -> tuple[list[int], dict[int, tuple]] | None:
        """The pages of ``visible`` to read (and the known bounds to read them from), now marked
        as being read; None when every one is cached or on its way."""
        wanted = [p for p in visible if p not in self.pages and p * PAGE_SIZE < total and p >= 0]
        if not any(p not in self.inflight for p in wanted):
            return None
        self.inflight = set(wanted)
        self._bounds = {p: b for p, b in self._bounds.items() if p in self.pages}
        return wanted, dict(self._bounds)
