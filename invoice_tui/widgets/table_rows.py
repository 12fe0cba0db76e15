"""The invoice index's rows as drawn: a row as the driver returns it (``PreparedIndex.page``) is
turned into the text of its cells, fitted to the columns, the first time it is drawn.

``RowFormatter`` is built once per query and column set, with one small function per column, so
a row costs a few microseconds; where each value sits in a row is the domain's to say
(``index_sql.row_fields`` / ``row_positions``).
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from invoice_tui.domain import catalogue, index_sql
from invoice_tui.domain.catalogue import choice_label
from invoice_tui.domain.localize import short_date
from invoice_tui.domain.money import format_minor
from invoice_tui.domain.text import safe
from invoice_tui.i18n import pgettext
from invoice_tui.widgets.table_columns import Column


class Row:
    """One invoice of the index as drawn: ``line`` is its cells fitted to the columns (the first
    ``head`` characters stay when the columns scroll sideways); ``cells`` the unfitted texts."""

    __slots__ = ("id", "number", "status", "overdue", "line", "_raw", "_formatter", "strips")

    def __init__(self, raw: tuple, formatter: "RowFormatter", number: str | None, status: str, overdue: bool,
                 line: str) -> None:
        self.id = raw[0]
        self.number = number
        self.status = status
        self.overdue = overdue
        self.line = line
        self._raw = raw
        self._formatter = formatter
        self.strips: dict | None = None  # drawn lines, by how they were drawn (see InvoiceTable.render_line)

    @property
    def cells(self) -> list[str]:
        return [fn(self._raw, self.overdue) for fn in self._formatter.cell_fns]

    @property
    def head(self) -> int:
        return self._formatter.head


def row_fields(columns: list[Column]) -> list:
    """The invoice columns ``RowFormatter`` needs for ``columns`` (``index_sql.row_fields``)."""
    return index_sql.row_fields([c.id for c in columns])


def _iso(value) -> str:
    """A date as the index shows it: SQLite gives ISO text, PostgreSQL ``date``/``datetime``."""
    if type(value) is str:
        return value[:10]
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


class RowFormatter:
    """Turns a row as the driver returns it (``views.prepare(...).page``: ``fields`` in order,
    then the sort key) into the cells of ``columns``. Built once per query, with one small
    function per column (``fn(raw, overdue)``), so a row costs a few microseconds; rows are
    formatted when first drawn (a page of 100 rows is read, the ~35 on screen are formatted)."""

    MONEY_MEMO = 4096

    def __init__(self, columns: list[Column], fields: Sequence, today: dt.date, locale: str) -> None:
        self.columns = columns
        pos = index_sql.row_positions(fields, [c.id for c in columns])
        self.today_iso = today.isoformat()
        self.today = today
        self.locale = locale
        self.i_number, self.i_status = pos["number"], pos["status"]
        self.i_due, self.i_currency = pos["due_date"], pos["currency"]
        self.i_owner = pos["owner_name"]
        self.i_type = pos["doc_type"]
        self._money: dict[tuple, str] = {}  # amounts repeat (zero balances): formatted once
        # Columns whose values (amounts, numbers) were found wider than the column: the table
        # widens them (issue 24: an amount is never cut). {column id: width needed}
        self.too_narrow: dict[str, int] = {}
        self._whole = [catalogue.get(c.id).type in ("money", "number", "date") or c.id == "number" for c in columns]
        self.cell_fns = [self._cell_fn(catalogue.get(c.id), pos, c.width) for c in columns]
        self.spec = [(c.width, c.right) for c in columns]
        self.plan = [(fn, c.width, c.right, whole, c.id) for fn, c, whole in zip(self.cell_fns, columns, self._whole)]
        self.head = columns[0].width + 1 if columns else 0  # the first column and its space

    def is_overdue(self, raw: tuple) -> bool:
        due = raw[self.i_due]
        return raw[self.i_status] == "open" and due is not None and _iso(due) < self.today_iso

    def money(self, minor: int, currency: str) -> str:
        key = (minor, currency)
        text = self._money.get(key)
        if text is None:
            if len(self._money) >= self.MONEY_MEMO:
                self._money.clear()
            text = self._money[key] = format_minor(minor, currency, self.locale)
        return text

    def _cell_fn(self, prop: catalogue.Property, pos: dict[str, int], width: int = 99):
        pid = prop.id
        if pid == "overdue":
            yes, no = choice_label("overdue", "true"), choice_label("overdue", "false")
            return lambda raw, od: yes if od else no
        if pid == "days_overdue":
            i_due, today = self.i_due, self.today
            return lambda raw, od: str((today - dt.date.fromisoformat(_iso(raw[i_due]))).days) if od else "0"
        if pid == "status":
            labels = {s: choice_label("status", s) for s in (*catalogue.STATUS_CHOICES, "overdue")}
            i_status = self.i_status

            i_due, today, overdue = self.i_due, self.today, labels["overdue"]
            # "Overdue 12 d", else "Overdue 12d", in the reader's language ("Retard 12 j")
            long_form, short_form = pgettext("status", "Overdue {days} d"), pgettext("status", "Overdue {days}d")

            def status(raw: tuple, od: bool) -> str:
                if od:  # issue 24: overdue said in words as well as colour, with its days where they fit
                    days = (today - dt.date.fromisoformat(_iso(raw[i_due]))).days
                    shown = "999+" if days > 999 else str(days)
                    for text in (long_form.format(days=shown), short_form.format(days=shown)):
                        if len(text) <= width:
                            return text
                    return overdue
                st = raw[i_status]
                return labels.get(st) or choice_label("status", st)
            return status
        if pid == "owner":
            i = self.i_owner
            return lambda raw, od: safe(raw[i], line=True)
        if pid == "number":
            i = self.i_number
            return lambda raw, od: safe(raw[i], line=True) or "—"
        i = pos[pid]
        if prop.type == "money":  # R42: a credit note's amounts are shown negative (what it does to a balance)
            i_cur, i_type, money = self.i_currency, self.i_type, self.money
            return lambda raw, od: "" if raw[i] is None else money(
                -raw[i] if raw[i_type] == "credit_note" else raw[i], raw[i_cur])
        if prop.type == "date":  # issue 24: the locale's short form
            loc = self.locale
            return lambda raw, od: "" if raw[i] is None or raw[i] == "" else short_date(
                dt.date.fromisoformat(_iso(raw[i])), loc)
        if prop.type == "choice":
            def choice(raw: tuple, od: bool) -> str:
                value = raw[i]
                if value is None or value == "":
                    return ""
                if isinstance(value, bool) or (pid == "allow_partial" and isinstance(value, int)):
                    value = "true" if value else "false"  # SQLite keeps booleans as 0/1
                return choice_label(pid, str(value))
            return choice
        # names, titles, PO numbers: stored text, drawn on one line through the one sanitizer (R55)
        return lambda raw, od: safe(raw[i], line=True)

    def __call__(self, raw: tuple) -> Row:
        od = self.is_overdue(raw)
        parts = []
        add = parts.append
        for fn, width, right, whole, cid in self.plan:  # fit_cells, fused with the formatting
            text = fn(raw, od)
            if len(text) > width:
                if whole and len(text) > self.too_narrow.get(cid, 0):
                    self.too_narrow[cid] = len(text)  # the table widens the column (never cut)
                text = text[: max(width - 1, 0)].rstrip() + "…"
            add(text.rjust(width) if right else text.ljust(width))
        add("")
        return Row(raw, self, raw[self.i_number], raw[self.i_status], od, " ".join(parts))
