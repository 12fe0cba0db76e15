"""The invoice index table: a line-API ``ScrollView`` over any number of invoices.

It never holds all rows. ``virtual_size`` is the row count (+1 header line); ``render_line``
draws rows from its page source (``table_pages``: an LRU cache of pages of ``PAGE_SIZE`` rows,
read in thread workers by keyset with SQL the domain compiled once per query). The columns and
their fitting to the width are ``table_columns``'s; the rows' cells are formatted by
``table_rows.RowFormatter`` the first time they are drawn. This module draws (the rows, the
header, its own position bar), moves the cursor and runs the workers.

Changes made elsewhere: ``reload(keep_cursor=True)`` keeps the cursor row and scroll position
and shows the previous rows until the new ones arrive.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from invoice_tui.domain import catalogue, index_sql, views
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.i18n import N_, _, ngettext
from invoice_tui.widgets.table_columns import (MIN_TEXT_WIDTH, Column, fit_cells, fit_columns, fit_line, header_label,
                                               make_columns, value_width, visible_window)
from invoice_tui.widgets.table_pages import (MAX_PAGES, PAGE_SIZE, Page, PageSource, clear_formatters, first_pages,
                                             prepare_rows, read_page, read_pages)
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.table_rows import Row, RowFormatter, row_fields

# The parts' names, as the table's users (benchmarks, tests) have imported them from here.
__all__ = ["InvoiceTable", "line_strip", "GUTTER", "BAR", "PAGE_SIZE", "MAX_PAGES", "MIN_TEXT_WIDTH", "Column",
           "fit_cells", "fit_columns", "fit_line", "make_columns", "value_width", "Page", "PageSource",
           "clear_formatters", "prepare_rows", "read_page", "Row", "RowFormatter", "row_fields"]

GUTTER = 2  # cursor marker + space
BAR = 2  # the position bar at the right of each line (as wide as Textual's vertical scrollbar)


def line_strip(text: str, style: Style, bar_style: Style | None = None) -> Strip:
    """A line of the table: ``text`` (``fit_line``), then the position bar's cells when shown."""
    if bar_style is None:
        return Strip([Segment(text, style)], len(text))
    bar = _BAR_SEGMENTS.get(bar_style)
    if bar is None:
        if len(_BAR_SEGMENTS) > 16:
            _BAR_SEGMENTS.clear()
        bar = _BAR_SEGMENTS[bar_style] = Segment(" " * BAR, bar_style)
    return Strip([Segment(text, style), bar], len(text) + BAR)


_BAR_SEGMENTS: dict[Style, Segment] = {}  # the position bar's cells, one segment per style


class InvoiceTable(ServiceCalls, ScrollView, can_focus=True):
    """Rows of invoices; Enter posts ``InvoiceTable.Selected``; a header click posts
    ``InvoiceTable.HeaderClicked``; ``Counted`` carries the number of matching invoices."""

    DEFAULT_CSS = """
    InvoiceTable {
        height: 1fr;
        background: $surface;
        /* the table draws its own position bar (see _bar): no Textual scrollbar, whose
           updates on every scroll, hidden as it is, made Textual lay the screen out again */
        overflow-y: hidden;
        /* no horizontal scrollbar either: its row is worth a row of invoices at 24 lines; the
           border says which way more columns are (_show_position), ←/→ scroll by column */
        overflow-x: hidden;
        /* issue 24: "row N of M" in the table's border, at its bottom right */
        border-bottom: solid $panel-lighten-2;
        border-subtitle-align: right;
        border-subtitle-color: $text-muted;
    }
    InvoiceTable > .invoice-table--bar {
        background: $scrollbar-background;
    }
    InvoiceTable > .invoice-table--bar-thumb {
        background: $scrollbar;
    }
    InvoiceTable > .invoice-table--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    InvoiceTable > .invoice-table--cursor {
        background: $block-cursor-blurred-background;
        text-style: bold;
    }
    InvoiceTable:focus > .invoice-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    InvoiceTable > .invoice-table--overdue {
        color: $text-error;
    }
    InvoiceTable > .invoice-table--muted {
        color: $text-muted;
    }
    """
    COMPONENT_CLASSES = {"invoice-table--header", "invoice-table--cursor", "invoice-table--overdue",
                         "invoice-table--muted", "invoice-table--bar", "invoice-table--bar-thumb"}

    BINDINGS = [
        Binding("up,k", "cursor_up", N_("Up"), show=False, id="table.up"),
        Binding("down,j", "cursor_down", N_("Down"), show=False, id="table.down"),
        Binding("pageup,ctrl+b", "page_up", N_("Page up"), show=False, id="table.page_up"),
        Binding("pagedown,ctrl+f,space", "page_down", N_("Page down"), show=False, id="table.page_down"),
        Binding("home,g", "first", N_("First row"), show=False, id="table.first"),
        Binding("end,G", "last", N_("Last row"), show=False, id="table.last"),
        Binding("left,h", "scroll_columns(-1)", N_("Scroll left"), show=False, id="table.left"),
        Binding("right,l", "scroll_columns(1)", N_("Scroll right"), show=False, id="table.right"),
        Binding("enter", "select", N_("Open"), id="table.open"),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True, repaint=False)  # watch_cursor_row repaints

    class Selected(Message):
        def __init__(self, table: "InvoiceTable", invoice_id: int) -> None:
            super().__init__()
            self.table = table
            self.invoice_id = invoice_id

    class HeaderClicked(Message):
        def __init__(self, table: "InvoiceTable", column: str) -> None:
            super().__init__()
            self.table = table
            self.column = column

    class Counted(Message):
        """The number of matching invoices is known (``total``) for ``query``; with ``with_totals``
        set on the table, ``totals`` carries the per-currency totals (None: not read this time)."""

        def __init__(self, table: "InvoiceTable", total: int, query: views.IndexQuery,
                     totals: list[views.CurrencyTotal] | None = None) -> None:
            super().__init__()
            self.table = table
            self.total = total
            self.totals = totals
            self.query = query

    class Painted(Message):
        """The table's first rows (or its "no invoices") are on screen: posted once, after the
        refresh that drew them. What the first paint does not need can start then (issue 16)."""

        def __init__(self, table: "InvoiceTable") -> None:
            super().__init__()
            self.table = table

    class Failed(Message):
        def __init__(self, table: "InvoiceTable", error: InvoiceTuiError) -> None:
            super().__init__()
            self.table = table
            self.error = error

    class PagesLoaded(Message):
        def __init__(self, generation: int, total: int | None, pages: dict[int, Page], exact: bool = True,
                     reader: tuple | None = None) -> None:
            super().__init__()
            self.reader = reader  # (generation, prepared query, row formatter) for the page fetches
            self.generation = generation
            self.total = total
            self.pages = pages
            self.exact = exact  # False: ``total`` is only the rows seen so far (the count follows)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.query_ = views.IndexQuery()
        self._ids: list[str] = list(catalogue.DEFAULT_COLUMNS)
        self._wider: dict[str, int] = {}  # columns widened for values found wider (amounts: never cut)
        self._window: tuple | None = None  # (columns, scroll_x, width) -> visible_window's answer
        self._natural: list[Column] = make_columns(catalogue.DEFAULT_COLUMNS)  # as configured
        self.columns: list[Column] = self._natural  # as drawn: fitted to the width (fit_columns)
        self.total: int | None = None
        self.counted = False  # is ``total`` the real count (or only the rows loaded so far)
        # Also read the per-currency totals with the count (one GROUP BY query gives both; the
        # index's status line shows them): ``Counted.totals``.
        self.with_totals = False
        self.generation = 0
        self._source = PageSource()
        self._pages = self._source.pages  # the cache of pages (its size is measured: benchmarks/tui_memory)
        self._fetch_scheduled = False
        self._ctx = None
        self._line_styles: dict | None = None
        self._style_generation = 0
        self._bar_geometry: tuple[int, int, int] | None = None
        self._dragging_bar = False
        self.locale = "en_US"
        # Read the workspace's locale with the rows (in the load's worker, before the first
        # page): the index's amounts follow the settings without a separate round trip first.
        self.workspace_locale = False
        self._loading = index_sql.Interruptible()
        self._painted = False  # Painted posted

    # ---- configuration -------------------------------------------------------------------
    @property
    def ctx(self):
        return self._ctx or self.app.ctx  # type: ignore[attr-defined]

    def configure(self, query: views.IndexQuery, columns: list[str] | None = None, *,
                  keep_cursor: bool = False) -> None:
        """Show ``query`` with ``columns``; the cursor goes to the top unless ``keep_cursor``."""
        sorted_before = self._sorted_id
        self.query_ = query
        if columns is not None or query.prop.id != sorted_before:  # the sorted column keeps its arrow's room
            if columns is not None:
                self._ids = list(columns)
            self._natural = self._make_columns()
            self.columns = self._fitted()
        self._update_virtual_size()
        self.reload(keep_cursor=keep_cursor, keep_rows=False)

    @property
    def _sorted_id(self) -> str | None:
        return self.query_.prop.id

    def _make_columns(self) -> list[Column]:
        return make_columns(self._ids, self.locale, self._wider, self._sorted_id)

    def _fitted(self) -> list[Column]:
        width = self.scrollable_content_region.width
        return fit_columns(self._natural, width - GUTTER - BAR) if width else self._natural

    def _refit(self) -> None:
        """The terminal was resized: fit the columns again and format the rows already read
        for the new widths (from the rows as read: no query). ``on_resize`` then sizes the
        scrolling area."""
        columns = self._fitted()
        if columns == self.columns:
            return
        self.columns = columns
        if self._source.reader is not None:
            self._source.reader = self._for_columns(self._source.reader)  # the pages follow when drawn
        self.refresh()

    def _for_columns(self, reader: tuple) -> tuple:
        """``reader`` with a formatter for the columns as drawn now (a resize may have refitted
        them since it was prepared)."""
        generation, prepared, formatter = reader
        if formatter.columns == self.columns:
            return reader
        return generation, prepared, RowFormatter(self.columns, prepared.fields, prepared.today, self.locale)

    def reload(self, *, keep_cursor: bool = True, keep_rows: bool = True) -> None:
        """Fetch again (after a change elsewhere). Rows on screen stay until their new version arrives."""
        self.generation += 1
        self._loading.interrupt()  # the previous count or scan is no longer wanted
        self._source.reset(keep_rows=keep_rows)
        if not keep_cursor:
            self.cursor_row = 0
            self.scroll_to(0, 0, animate=False, immediate=True)
            if not keep_rows:
                self.total = None
                self.counted = False
        self._load(self.generation, self.query_, list(self.columns), self._visible_pages(),
                   self.cursor_row if keep_cursor else 0)
        self.refresh()

    @property
    def column_ids(self) -> list[str]:
        return [c.id for c in self.columns]

    @property
    def row_width(self) -> int:
        return GUTTER + sum(c.width + 1 for c in self.columns)

    def _update_virtual_size(self) -> None:
        rows = (self.total or 0) + 1
        bar = BAR if rows > self.scrollable_content_region.height else 0  # the position bar's columns
        # as wide again as the screen: the columns scroll by whole columns (action_scroll_columns)
        # and the last ones are drawn only whole, so any column's start must be reachable
        self.virtual_size = Size(self.row_width + bar + self.scrollable_content_region.width, rows)

    # ---- rows --------------------------------------------------------------------------------
    def row_at(self, index: int) -> Row | None:
        return self._source.row(index)

    @property
    def current(self) -> Row | None:
        if not self.total:
            return None
        return self.row_at(self.cursor_row)

    @property
    def body_height(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def _visible_pages(self) -> list[int]:
        if self.total is None:
            first = self.cursor_row
        else:
            first = int(self.scroll_offset.y)
        last = first + self.body_height
        pages = list(range(first // PAGE_SIZE, last // PAGE_SIZE + 1))
        # prefetch one page on each side for smooth scrolling
        return pages + [pages[-1] + 1] + ([pages[0] - 1] if pages[0] > 0 else [])

    # ---- workers -----------------------------------------------------------------------------
    def _prepare(self, ctx, query: views.IndexQuery, columns: list[Column]) -> tuple[object, RowFormatter]:
        """The query compiled once for this generation (the view permission and the settings are
        checked here, not per page) and the formatter of its rows."""
        if self.workspace_locale:  # issue 24: the reader's locale (preference, config, LC_ALL, LANG, workspace)
            from invoice_tui.domain.localize import display_locale

            locale = display_locale(ctx)
        else:
            locale = self.locale
        return prepare_rows(ctx, query, columns, locale)

    def _load(self, generation: int, query: views.IndexQuery, columns: list[Column], pages: list[int],
              cursor: int) -> None:
        self.call_service(self._load_rows, generation, query, columns, pages, cursor, session=self._reading,
                          failed=self._failed, group="invoice-table-load", exclusive=True)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """The load's connection, interruptible by a newer query (its read then just ends)."""
        with contextlib.suppress(index_sql.ReadInterrupted), self._loading.reading():
            yield

    def _failed(self, exc: InvoiceTuiError) -> None:
        self.post_message(self.Failed(self, exc))

    def _load_rows(self, generation: int, query: views.IndexQuery, columns: list[Column], pages: list[int],
                   cursor: int) -> None:
        ctx = self.ctx
        worker = get_current_worker()
        prepared, formatter = self._prepare(ctx, query, columns)
        reader = (generation, prepared, formatter)
        top = [p for p in sorted(set(pages)) if p >= 0]
        if cursor < PAGE_SIZE and top and top[0] == 0 and top == list(range(len(top))):
            # Opening at the top: the first pages by keyset at once, the count after
            # (counting a million filtered rows may take a moment; the rows do not wait).
            fetched = first_pages(prepared, formatter, top)
            seen = sum(len(pg.raw) for pg in fetched.values())
            complete = seen < len(top) * PAGE_SIZE
            self.post_message(self.PagesLoaded(generation, seen, fetched, exact=complete, reader=reader))
            if worker.is_cancelled:
                return
            if not self.with_totals:
                total = seen if complete else prepared.count()
                self.post_message(self.Counted(self, total, query))
            elif complete:  # every row is loaded: the count is known at once, the sums follow
                total = seen
                self.post_message(self.Counted(self, total, query))
                self.post_message(self.Counted(self, total, query, prepared.currency_totals()))
            else:
                total, totals = prepared.count_and_totals()
                self.post_message(self.Counted(self, total, query, totals))
            self.post_message(self.PagesLoaded(generation, total, {}))
            return
        if self.with_totals:
            total, totals = prepared.count_and_totals()
            self.post_message(self.Counted(self, total, query, totals))
        else:
            total = prepared.count()
            self.post_message(self.Counted(self, total, query))
        fetched = read_pages(prepared, formatter, pages, total, {}, lambda: worker.is_cancelled)
        self.post_message(self.PagesLoaded(generation, total, fetched, reader=reader))

    def _fetch(self, generation: int, prepared, formatter: RowFormatter, pages: list[int],
               total: int, bounds: dict[int, tuple]) -> None:
        self.call_service(self._fetch_rows, generation, prepared, formatter, pages, total, bounds,
                          failed=self._failed, group="invoice-table-pages", exclusive=True)

    def _fetch_rows(self, generation: int, prepared, formatter: RowFormatter, pages: list[int],
                    total: int, bounds: dict[int, tuple]) -> None:
        worker = get_current_worker()
        fetched = read_pages(prepared, formatter, pages, total, bounds, lambda: worker.is_cancelled)
        self.post_message(self.PagesLoaded(generation, None, fetched))

    def on_invoice_table_pages_loaded(self, message: PagesLoaded) -> None:
        message.stop()
        if message.generation != self.generation:
            return
        if message.reader is not None:
            if message.reader[2].locale != self.locale:  # the reader's, read with these rows
                self.locale = message.reader[2].locale
                self._natural = self._make_columns()  # its dates' width
                self.columns = self._fitted()
            self._source.reader = self._for_columns(message.reader)
        repaint_all = False
        if message.total is not None and (message.exact or self.total is None or not self.counted):
            repaint_all = message.total != self.total
            self.total = message.total
            self.counted = message.exact
            self._source.keep_stale_below(message.total)
            self._update_virtual_size()
            if self.cursor_row >= message.total:
                self.cursor_row = max(message.total - 1, 0)
            self._show_position()
        self._source.add(message.pages)
        if not self._painted and self.total is not None:
            self._painted = True
            self.call_after_refresh(self.post_message, self.Painted(self))
        if repaint_all:
            self.refresh()
            return
        # Repaint only the lines of the pages that arrived which are on screen: a page fetched
        # ahead of the scrolling changes nothing visible (issue 7: no full repaint per key).
        top = int(self.scroll_offset.y)
        bottom = top + self.body_height
        for p in message.pages:
            first, last = max(p * PAGE_SIZE, top), min((p + 1) * PAGE_SIZE, bottom)
            if first < last:
                self.refresh_lines(first + 1, last - first)  # + 1: the header line

    def _want_pages(self) -> None:
        if self._fetch_scheduled:
            return
        self._fetch_scheduled = True
        self.call_after_refresh(self._start_fetch)

    def _start_fetch(self) -> None:
        self._fetch_scheduled = False
        if self.total is None or not self.counted:
            return  # the count is on its way; it triggers the fetch
        reader = self._source.reader
        if reader is None or reader[0] != self.generation:
            return  # the query is being prepared; its first pages come with it
        request = self._source.to_read(self._visible_pages(), self.total)
        if request is not None:
            wanted, bounds = request
            self._fetch(self.generation, reader[1], reader[2], wanted, self.total, bounds)

    # ---- drawing -----------------------------------------------------------------------------
    @property
    def allow_vertical_scroll(self) -> bool:
        # the mouse wheel scrolls the rows although no Textual scrollbar is shown (overflow-y: hidden)
        return not self._check_disabled() and self.max_scroll_y > 0

    def render_lines(self, crop):
        self._bar_geometry = None
        return super().render_lines(crop)

    def notify_style_update(self) -> None:
        # The line styles are computed once and kept until the CSS changes (theme, focus):
        # reading them costs more than drawing the two lines a cursor move repaints.
        self._line_styles = None
        self._style_generation += 1
        super().notify_style_update()

    def _bar(self) -> tuple[int, int, int]:
        """(text width, first and end line of the thumb) of the position bar for this repaint;
        the text takes the whole width when every row fits (no bar).

        The table draws its own bar in the last ``BAR`` columns of each line instead of a
        Textual ``ScrollBar`` widget: a scroll repaints every line anyway, so the bar comes
        with them, where the widget was rendered again on every scroll (about a third of a
        page-down's work at a million rows, issue 7)."""
        geometry = self._bar_geometry
        if geometry is None:
            region = self.scrollable_content_region
            width, height = region.width, region.height
            virtual = (self.total or 0) + 1
            if virtual <= height or width <= BAR:
                geometry = (width, 0, 0)
            else:
                size = max(1, round(height * height / virtual))
                start = round(self.scroll_offset.y / (virtual - height) * (height - size))
                start = max(0, min(start, height - size))
                geometry = (width - BAR, start, start + size)
            self._bar_geometry = geometry
        return geometry

    def _line(self, text: str, style: Style, y: int) -> Strip:
        """A line of ``text`` (as wide as the text area) and its cells of the position bar."""
        width, start, end = self._bar()
        if start == end:
            return line_strip(text, style)
        return line_strip(text, style, self._style(False, False, False, "invoice-table--bar-thumb" if start <= y < end
                                                   else "invoice-table--bar"))

    def _style(self, overdue: bool, muted: bool, cursor: bool, part: str = "") -> Style:
        styles = self._line_styles
        if styles is None:
            styles = self._line_styles = {}
        key = (overdue, muted, cursor, part)
        style = styles.get(key)
        if style is None:
            style = self.rich_style
            if part:
                style = style + self.get_component_rich_style(part)
            if overdue:
                style = style + self.get_component_rich_style("invoice-table--overdue")
            elif muted:
                style = style + self.get_component_rich_style("invoice-table--muted")
            if cursor:
                style = style + self.get_component_rich_style("invoice-table--cursor")
            styles[key] = style
        return style

    def render_line(self, y: int) -> Strip:
        width = self._bar()[0]
        scroll_x, scroll_y = self.scroll_offset
        base = self._style(False, False, False)
        if y == 0:
            return self._header_strip(scroll_x, width)
        index = scroll_y + y - 1
        if self.total is None:
            if y == 1 and not self._source.stale:
                return self._line(("  " + _("Loading invoices…"))[:width].ljust(width), base, y)
            if not self._source.stale:
                return self._line(" " * width, base, y)
        if self.total is not None and index >= self.total:
            if self.total == 0 and y == 1:
                if self.query_.filters.count or self.query_.search:
                    text = "  " + _("No invoices match.  Press c to clear the filters, Escape to clear the search.")
                else:  # nothing filtered out: an empty workspace
                    text = "  " + _("No invoices yet.  Press n to write one (or try: invoice-tui demo).")
                return self._line(text[:width].ljust(width), self._style(False, True, False), y)
            return self._line(" " * width, base, y)
        row = self.row_at(index)
        if row is None:
            self._want_pages()
            return self._line("  …"[:width].ljust(width), self._style(False, True, False), y)
        page_no, offset = divmod(index, PAGE_SIZE)
        pages = self._source.pages
        if page_no not in pages:
            self._want_pages()  # shown from the previous version of the rows: refresh it
        elif offset >= PAGE_SIZE // 2 and page_no + 1 not in pages and \
                (page_no + 1) * PAGE_SIZE < (self.total or 0):
            self._want_pages()  # prefetch the next page before it is needed
        elif offset < PAGE_SIZE // 2 and page_no > 0 and page_no - 1 not in pages:
            self._want_pages()  # and the previous one when scrolling up
        is_cursor = index == self.cursor_row
        # The same row drawn the same way gives the same Strip object: Textual's own per-strip
        # caches (crop, style, filters) then hold for it, so scrolling back to rows already
        # seen (Home, End, Page up) costs a fraction of drawing them the first time.
        bar_width, start, end = self._bar()
        key = (is_cursor, scroll_x, bar_width, start != end and start <= y < end, self._style_generation)
        strips = row.strips
        if strips is None:
            strips = row.strips = {}
        strip = strips.get(key)
        if strip is None:
            if len(strips) > 4:
                strips.clear()
            style = self._style(row.overdue, row.status in ("voided", "draft"), is_cursor)
            strip = strips[key] = self._line(fit_line("› " if is_cursor else "  ", row.line, row.head, scroll_x,
                                                      width, self._visible(scroll_x, width)), style, y)
            too_narrow = row._formatter.too_narrow
            if too_narrow and any(w > self._wider.get(cid, 0) for cid, w in too_narrow.items()):
                self.call_after_refresh(self._widen, dict(too_narrow))
        return strip

    def _visible(self, scroll_x: int, width: int) -> tuple[int, int]:
        """The part of each line drawn at ``scroll_x``: whole columns only (``visible_window``)."""
        cached = self._window
        if cached is not None and cached[0] is self.columns and cached[1] == scroll_x and cached[2] == width:
            return cached[3]
        window = visible_window(self.columns, GUTTER, int(scroll_x), width)
        self._window = (self.columns, scroll_x, width, window)
        return window

    def _widen(self, needed: dict[str, int]) -> None:
        """Amounts (or numbers, dates) were drawn that are wider than their column: widen it and
        draw again (issue 24: a figure is never cut; the column's width follows the widest seen)."""
        changed = False
        for cid, width in needed.items():
            if width > self._wider.get(cid, 0):
                self._wider[cid] = width
                changed = True
        if not changed:
            return
        self._natural = self._make_columns()
        self._refit()
        self._update_virtual_size()

    def _header_strip(self, scroll_x: int, width: int) -> Strip:
        style = self._style(False, False, False, "invoice-table--header")
        labels = []
        sort_id = self.query_.prop.id
        arrow = '▼' if self.query_.desc else '▲'
        for col in self.columns:
            labels.append(header_label(col, arrow if col.id == sort_id else ""))
        if not self.columns:
            return self._line(" " * width, style, 0)
        line = fit_cells(labels, [(c.width, c.right) for c in self.columns], header=True)
        return self._line(fit_line("  ", line, self.columns[0].width + 1, scroll_x, width,
                                   self._visible(scroll_x, width)), style, 0)

    # ---- cursor and keys ---------------------------------------------------------------------
    def validate_cursor_row(self, value: int) -> int:
        if not self.total:
            return 0
        return max(0, min(value, self.total - 1))

    def _show_position(self) -> None:
        """ "row N of M" in the border (issue 24), numbers as the reader's locale writes them."""
        from invoice_tui.domain.localize import number

        total = self.total
        if not total:
            text = _("no rows") if total == 0 else ""
        else:
            text = _("row {row} of {total}").format(
                row=number(self.cursor_row + 1, self.locale),
                total=number(total, self.locale) + ("" if self.counted else "+"))
        if self.columns:
            width = self._bar()[0] if self.size.width else 0
            start, end = self._visible(int(self.scroll_offset.x), width) if width else (0, 0)
            line_end = sum(c.width + 1 for c in self.columns)
            left, right = start > self.columns[0].width + 1, end < line_end
            if width and (left or right):
                hidden = sum(1 for _ in self._hidden_columns(start, end))
                arrows = ("←" if left else "") + ("→" if right else "")
                more = ngettext("{arrows} {n} more column", "{arrows} {n} more columns", hidden).format(
                    arrows=arrows, n=hidden)
                text = f"{text} · {more}".strip(" ·")
        if self.border_subtitle != text:
            self.border_subtitle = text

    def _hidden_columns(self, start: int, end: int):
        pos = self.columns[0].width + 1
        for col in self.columns[1:]:
            if pos < start or pos >= end:
                yield col
            pos += col.width + 1

    def watch_scroll_x(self, old: float, new: float) -> None:
        super().watch_scroll_x(old, new)
        self._show_position()

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._show_position()
        top = self.scroll_offset.y
        self._scroll_to_cursor()
        if self.scroll_offset.y == top and old != new:
            # the cursor moved within the screen: repaint its old and new lines only (issue 7)
            self.refresh_line(old + 1)  # + 1: the header line
            self.refresh_line(new + 1)
        else:
            self.refresh()

    def _scroll_to_cursor(self) -> None:
        top = int(self.scroll_offset.y)
        h = self.body_height
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + h:
            self.scroll_to(y=self.cursor_row - h + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_page_up(self) -> None:
        self._page(-1)

    def action_page_down(self) -> None:
        self._page(1)

    def _page(self, direction: int) -> None:
        """Scroll by a screen of rows and move the cursor as far: one scroll, then the cursor
        (already on screen, so its watcher does not scroll again)."""
        h = self.body_height
        top = int(self.scroll_offset.y)
        new_top = min(max(top + direction * h, 0), int(self.max_scroll_y))
        if new_top != top:
            self.scroll_to(y=new_top, animate=False, immediate=True)
        self.cursor_row += direction * h

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = (self.total or 1) - 1

    def action_scroll_columns(self, direction: int) -> None:
        """Scroll sideways by one whole column (the first column stays)."""
        starts, pos = [0], 0
        for col in self.columns[1:]:
            pos += col.width + 1
            starts.append(pos)
        x = int(self.scroll_offset.x)
        width = self._bar()[0]
        if direction > 0:
            if self._visible(x, width)[1] >= sum(c.width + 1 for c in self.columns):
                return  # the last column is on screen
            target = next((p for p in starts if p > x), x)
        else:
            target = max((p for p in starts if p < x), default=0)
        # force: there is no horizontal scrollbar (overflow-x: hidden), the columns scroll all the same
        self.scroll_to(x=min(target, int(self.max_scroll_x)), animate=False, force=True)

    def action_select(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Selected(self, row.id))

    def move_to(self, index: int) -> None:
        self.cursor_row = index

    def _on_bar(self, offset) -> bool:
        width, start, end = self._bar()
        return start != end and offset.x >= width

    def _scroll_to_bar(self, y: int) -> None:
        """Scroll to the place of line ``y`` of the position bar (a click or a drag on it)."""
        height = self.scrollable_content_region.height
        fraction = min(max(y / max(height - 1, 1), 0.0), 1.0)
        self.scroll_to(y=round(fraction * self.max_scroll_y), animate=False, immediate=True)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and self._on_bar(offset):
            event.stop()
            self._dragging_bar = True
            self.capture_mouse()
            self._scroll_to_bar(offset.y)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging_bar:
            event.stop()
            self._scroll_to_bar(event.get_content_offset_capture(self).y)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging_bar:
            event.stop()
            self._dragging_bar = False
            self.capture_mouse(False)

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or self._on_bar(offset):
            return
        if offset.y == 0:
            col = self._column_at(offset.x)
            if col is not None:
                self.post_message(self.HeaderClicked(self, col.id))
            return
        index = int(self.scroll_offset.y) + offset.y - 1
        if self.total and index < self.total:
            self.cursor_row = index
            if event.chain >= 2:
                self.action_select()

    def _column_at(self, x: int) -> Column | None:
        if not self.columns:
            return None
        first = self.columns[0]
        edge = GUTTER + first.width + 1
        if x < edge:
            return first
        pos = x - edge + int(self.scroll_offset.x)
        for col in self.columns[1:]:
            if pos < col.width + 1:
                return col
            pos -= col.width + 1
        return None

    def on_resize(self) -> None:
        self._refit()
        self._update_virtual_size()
        self._scroll_to_cursor()
        self._show_position()
