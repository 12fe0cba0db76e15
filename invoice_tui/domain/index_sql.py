"""The index's reads, compiled once per query and executed as plain SQL (issue 7).

Building a peewee query, reading the workspace settings for "today" and checking the R17 view
permission cost about ten times the database's own work for one page of the index (a page of 100
rows is a ~0.2 ms index range scan on a million invoices; the query building around it was
~2 ms). So the index compiles its SQL **once per query** (filters, search, sort and the columns
shown, plus "today" and the acting user the filters may depend on) into SQL text with parameters,
and every page fetch executes that text with the keyset values through the connection's cursor.
The permission and the settings are checked when the query is prepared (a view opened, a filter
or sort changed, a reload after a change elsewhere), not per page.

``prepare(ctx, q, fields)`` gives a :class:`PreparedIndex`; compiled statements are kept in a
small LRU keyed by everything they depend on (the database, the query, the fields, today, the
user), so a reload or going back to a tab reuses them. Each statement's variable parts (the
keyset value and id, LIMIT, OFFSET) are placeholders filled at execution (``db.statements``).

Rows are plain tuples as the driver returns them — ``fields`` in order, then the sort key — with
no conversion (SQLite gives dates as ISO text, PostgreSQL as ``date``): the index formats what it
shows, and the sort key goes back to the database unchanged as the next page's keyset bound.

The filtering itself (R20 filters, quick search, sort validation) is ``invoices.query_invoices``,
the one definition the CLI and the export use too: this module only compiles and caches it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Sequence

import peewee as pw

from invoice_tui.db import database, is_sqlite
from invoice_tui.db.models import Invoice
from invoice_tui.db.statements import Interruptible, ReadInterrupted, Statement, compile_query, reading, slot
from invoice_tui.domain import catalogue
from invoice_tui.domain.context import Context
from invoice_tui.domain.index_query import CurrencyTotal, IndexQuery, Key, base_query, sql_context
from invoice_tui.domain.permissions import require

CACHE_SIZE = 32

# What a reader of the index uses besides ``prepare``: its reads run on a connection of the
# worker thread's own (``reading``), and the one that counts and scans may be stopped by a newer
# query (``Interruptible``, ending with ``ReadInterrupted``).
__all__ = ["prepare", "PreparedIndex", "row_fields", "row_positions", "clear_cache", "Interruptible",
           "ReadInterrupted", "reading"]

# ---- the fields a row of the index reads -------------------------------------------------------
ROW_BASE = (Invoice.id, Invoice.number, Invoice.status, Invoice.due_date, Invoice.currency, Invoice.owner_name,
            Invoice.doc_type)  # doc_type: a credit note's amounts are drawn negative (R42)
DRAWN_FROM_BASE = frozenset({"overdue", "days_overdue", "status", "owner", "number"})


def row_fields(prop_ids: Sequence[str]) -> list[pw.Node]:
    """The invoice columns the index reads to show the catalogue columns ``prop_ids``: the base
    fields (the overdue, status, owner and number cells are drawn from them), then each other
    column's own SQL. About ten columns instead of all ~37 (issue 7)."""
    fields = list(ROW_BASE)
    for pid in prop_ids:
        if pid in DRAWN_FROM_BASE:
            continue
        node = catalogue.get(pid).sql(None)  # type: ignore[arg-type] - plain columns ignore the context
        if not any(node is f for f in fields):  # identity: == on a field builds SQL
            fields.append(node)
    return fields


def row_positions(fields: Sequence[pw.Node], prop_ids: Sequence[str]) -> dict[str, int]:
    """Where a row read with ``fields`` (``PreparedIndex.page``) holds each base field (by its
    name: id, number, status, due_date, currency, owner_name, doc_type) and each column of ``prop_ids`` not
    drawn from them (by catalogue id)."""
    pos = {id(f): i for i, f in enumerate([Invoice.id, *[f for f in fields if f is not Invoice.id]])}
    out = {f.name: pos[id(f)] for f in ROW_BASE}
    for pid in prop_ids:
        if pid not in DRAWN_FROM_BASE:
            out[pid] = pos[id(catalogue.get(pid).sql(None))]  # type: ignore[arg-type]
    return out



class _Compiled:
    """The statements of one query, compiled on first use (shared by every PreparedIndex of the
    same query through the LRU)."""

    def __init__(self, base: pw.ModelSelect, col: pw.Node, is_id: bool, desc: bool,
                 fields: tuple[pw.Node, ...], nulls_low: bool) -> None:
        self.base = base
        self.col = col
        self.is_id = is_id
        self.desc = desc
        self.fields = fields
        self.nulls_low = nulls_low
        self.statements: dict[tuple, Any] = {}
        self.lock = threading.Lock()

    # ---- shapes ----------------------------------------------------------------------------
    def _order(self, desc: bool) -> list[pw.Node]:
        ident = Invoice.id.desc() if desc else Invoice.id.asc()
        if self.is_id:
            return [ident]
        return [self.col.desc() if desc else self.col.asc(), ident]

    def _nulls_first(self, desc: bool) -> bool:
        """Does this backend put NULL keys first in this direction (its default order)?"""
        return self.nulls_low != desc

    def segments(self, desc: bool, has_key: bool, value_is_none: bool) -> list[pw.Node | None]:
        """WHERE clauses, in order, whose concatenated results are the rows strictly after the
        key (``value``/``ident`` slots) in direction ``desc``: NULL keys are handled in each
        backend's own order (SQLite: lowest; PostgreSQL: highest), so each stays a range scan."""
        if not has_key:
            return [None]
        col, value, ident = self.col, slot("value"), slot("ident")
        gt = (lambda a, b: a < b) if desc else (lambda a, b: a > b)
        ge = (lambda a, b: a <= b) if desc else (lambda a, b: a >= b)
        if self.is_id:
            return [gt(Invoice.id, ident)]
        if self._nulls_first(desc):
            if value_is_none:
                return [col.is_null() & gt(Invoice.id, ident), col.is_null(False)]
            return [ge(col, value) & (gt(col, value) | gt(Invoice.id, ident))]
        if value_is_none:
            return [col.is_null() & gt(Invoice.id, ident)]
        return [ge(col, value) & (gt(col, value) | gt(Invoice.id, ident)), col.is_null()]

    def _cached(self, key: tuple, build):
        got = self.statements.get(key)
        if got is None:
            with self.lock:
                got = self.statements.get(key)
                if got is None:
                    got = self.statements[key] = build()
        return got

    def page_statements(self, desc: bool, has_key: bool, value_is_none: bool) -> list[Statement]:
        def build() -> list[Statement]:
            out = []
            selection = [Invoice.id, *[f for f in self.fields if f is not Invoice.id], self.col.alias("sort_key")]
            for cond in self.segments(desc, has_key, value_is_none):
                query = self.base.select(*selection)
                if cond is not None:
                    query = query.where(cond)
                out.append(compile_query(query.order_by(*self._order(desc)), limit=True))
            return out

        return self._cached(("page", desc, has_key, value_is_none), build)

    def count_statements(self, desc: bool, value_is_none: bool) -> list[Statement]:
        def build() -> list[Statement]:
            return [compile_query(self.base.select(pw.fn.COUNT(Invoice.id)).where(cond) if cond is not None
                             else self.base.select(pw.fn.COUNT(Invoice.id)))
                    for cond in self.segments(desc, True, value_is_none)]

        return self._cached(("count_after", desc, value_is_none), build)

    def anchor_statement(self, desc: bool) -> Statement:
        return self._cached(("anchor", desc), lambda: compile_query(
            self.base.select(self.col.alias("sort_key"), Invoice.id).order_by(*self._order(desc)),
            limit=True, offset=True))

    def count_statement(self) -> Statement:
        return self._cached(("count",), lambda: compile_query(self.base.select(pw.fn.COUNT(Invoice.id))))

    def totals_statement(self) -> Statement:
        # One GROUP BY currency, status with plain sums (a few rows per currency, folded in
        # Python): no per-row CASE for the database to evaluate. On SQLite a quick search reads
        # the search index (migrations 0007, 0010): it holds the LIKEs' columns and the sums, led
        # by the currency and status, so the groups come in index order with no sort.
        return self._cached(("totals",), lambda: compile_query(
            self.base.select(Invoice.currency, Invoice.status, pw.fn.COUNT(Invoice.id),
                             pw.fn.SUM(Invoice.billed_minor), pw.fn.SUM(Invoice.balance_minor))
            .group_by(Invoice.currency, Invoice.status)))

    def draft_credit_statement(self) -> Statement:
        # Draft credit notes share the status "draft" with draft invoices: their sums apart (read
        # through the (doc_type, status) index, a handful of rows), to count them negative too.
        return self._cached(("draft_credit",), lambda: compile_query(
            self.base.select(Invoice.currency, pw.fn.SUM(Invoice.billed_minor))
            .where((Invoice.doc_type == "credit_note") & (Invoice.status == "draft"))
            .group_by(Invoice.currency)))

    def key_statement(self) -> Statement:
        return self._cached(("key_of",), lambda: compile_query(
            self.base.select(self.col.alias("sort_key"), Invoice.id).where(Invoice.id == slot("ident"))))


_LRU: OrderedDict[tuple, _Compiled] = OrderedDict()
_LRU_LOCK = threading.Lock()


def _field_key(node: pw.Node) -> tuple:
    if isinstance(node, pw.Field):
        return (node.model.__name__, node.name)
    return ("node", id(node))


def clear_cache() -> None:
    with _LRU_LOCK:
        _LRU.clear()


def prepare(ctx: Context, q: IndexQuery, fields: Sequence[pw.Node] | None = None) -> "PreparedIndex":
    """``q`` compiled for reading pages, counts and totals. Checks the view permission (R17) and,
    on the first use of this query, reads the settings ("today" in the workspace zone)."""
    require(ctx, "view")
    fields = tuple(fields) if fields else tuple(Invoice._meta.sorted_fields)
    db = database.obj
    sctx = sql_context(ctx)
    key = (id(db), type(db), getattr(db, "database", None), q.filters.key(), q.sort, q.search,
           tuple(map(id, fields)), sctx)  # fields are the models' own (process-lifetime) objects
    with _LRU_LOCK:
        compiled = _LRU.get(key)
        if compiled is not None:
            _LRU.move_to_end(key)
    if compiled is None:
        base = base_query(ctx, q)  # query_invoices: the filters, the search, the sort checked
        sctx = sql_context(ctx)  # the settings were just read
        compiled = _Compiled(base, q.prop.sql(sctx), q.prop.id == "id", q.desc, fields, is_sqlite(db))
        with _LRU_LOCK:
            _LRU[key] = compiled
            while len(_LRU) > CACHE_SIZE:
                _LRU.popitem(last=False)
    return PreparedIndex(q, compiled, sctx.today)


class PreparedIndex:
    """One index query, ready to read: ``page``, ``anchor_key``, ``count``, ``count_and_totals``,
    ``row_of``. Each call executes compiled SQL on the calling thread's connection."""

    def __init__(self, q: IndexQuery, compiled: _Compiled, today) -> None:
        self.query = q
        self.today = today
        self._c = compiled
        self.fields = compiled.fields

    @property
    def field_positions(self) -> dict[tuple, int]:
        """Where each field is in a row (the id first, the sort key last)."""
        names = [Invoice.id, *[f for f in self.fields if f is not Invoice.id]]
        return {_field_key(f): i for i, f in enumerate(names)}

    def key(self, row: tuple) -> Key:
        """The keyset key of a row read by ``page``."""
        return (row[0] if self._c.is_id else row[-1], row[0])

    def page(self, *, after: Key | None = None, before: Key | None = None, start_at: Key | None = None,
             limit: int = 100) -> list[tuple]:
        """Up to ``limit`` rows in the index order: the first ones; those after ``after``; those
        starting at ``start_at`` (inclusive); or the ``limit`` rows just before ``before``
        (returned in index order)."""
        desc = self._c.desc
        key = after
        if before is not None:
            desc, key = not desc, before
        elif start_at is not None:
            # inclusive: after the key just "before" it — same value, id one step back
            value, ident = start_at
            key = (value, ident - 1 if not desc else ident + 1)
        values = {} if key is None else {"value": key[0], "ident": key[1]}
        rows: list[tuple] = []
        for st in self._c.page_statements(desc, key is not None, key is not None and key[0] is None):
            need = limit - len(rows)
            if need <= 0:
                break
            values["limit"] = need
            rows += st.fetchall(values)
        if before is not None:
            rows.reverse()
        return rows

    def anchor_key(self, index: int, total: int) -> Key | None:
        """The key of row ``index`` (0-based) of ``total``, by OFFSET over the key columns from
        the nearer end (an index-only scan where the sort column is indexed)."""
        if total <= 0 or index < 0:
            return None
        index = min(index, total - 1)
        from_end = total - 1 - index
        desc = self._c.desc if index <= from_end else not self._c.desc
        offset = index if index <= from_end else from_end
        rows = self._c.anchor_statement(desc).fetchall({"limit": 1, "offset": offset})
        if not rows:
            return None
        value, ident = rows[0]
        return (ident if self._c.is_id else value, ident)

    def count(self) -> int:
        return int(self._c.count_statement().fetchall()[0][0])

    def currency_totals(self) -> list[CurrencyTotal]:
        """Billed and balance totals per currency; ``count`` counts every matching row, the sums
        leave voided invoices out (a voided invoice bills and owes nothing), and an issued credit
        note's amount counts negative, as its row shows it (a draft one too)."""
        sums: dict[str, list[int]] = {}
        for currency, status, n, billed, balance in self._c.totals_statement().fetchall():
            acc = sums.setdefault(currency, [0, 0, 0])
            acc[0] += int(n)
            if status == "issued":  # an issued credit note (its own status): it takes back what it credits (R42)
                acc[1] -= int(billed or 0)
            elif status != "voided":
                acc[1] += int(billed or 0)
                acc[2] += int(balance or 0)
        for currency, billed in self._c.draft_credit_statement().fetchall():  # counted above as drafts
            sums[currency][1] -= 2 * int(billed or 0)
        return [CurrencyTotal(c, *sums[c]) for c in sorted(sums)]

    def count_and_totals(self) -> tuple[int, list[CurrencyTotal]]:
        totals = self.currency_totals()
        return sum(t.count for t in totals), totals

    def row_of(self, invoice_id: int) -> int | None:
        """The 0-based position of an invoice in the index (None when it does not match)."""
        found = self._c.key_statement().fetchall({"ident": invoice_id})
        if not found:
            return None
        value, ident = found[0]
        if self._c.is_id:
            value = ident
        # rows before = rows "after" the key in the reversed order
        values = {"value": value, "ident": ident}
        return sum(int(st.fetchall(values)[0][0])
                   for st in self._c.count_statements(not self._c.desc, value is None))
