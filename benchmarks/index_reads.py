"""The index's reads against raw sqlite3 on the same file, same rows.

- index first page (default view, "All invoices", newest first): ours is what the table does for
  its first screen — ``views.page`` (one page of ``PAGE_SIZE`` rows by keyset), ``format_rows``
  (every cell formatted) and the 40 row strips of a 120×40 screen drawn by ``_row_strip``;
  baseline: ``SELECT <the shown columns> … ORDER BY id DESC LIMIT PAGE_SIZE`` with sqlite3.
- filter + sort first page (``status=open``, ``due_date<today``, sort by due date): the same,
  with the filters compiled by ``domain.filters``; baseline the equivalent hand-written SQL.
- counts and per-currency sums for that filter: ours ``views.count_and_totals`` (what the index's
  table asks for its row count and the status line's totals: one ``GROUP BY currency``, the count
  the sum of the per-currency counts); baseline one hand-written ``GROUP BY currency``.
"""

from __future__ import annotations

import sqlite3
import types

from benchmarks import checksum, median_time
from benchmarks.workspace import open_admin

SCREEN_ROWS = 40
REPEAT = 25


def _filter_query():
    from invoice_tui.domain.filters import Filter, FilterGroup, FilterSet
    from invoice_tui.domain.views import IndexQuery

    fs = FilterSet(groups=[FilterGroup(filters=[Filter(property="status", operator="any_of", values=["open"]),
                                                Filter(property="due_date", operator="before",
                                                       values=["today"])])])
    return IndexQuery(filters=fs, sort="due_date")


def run(params: dict) -> dict:
    import time

    from invoice_tui.domain import views
    from invoice_tui.domain.settings import load_settings
    from invoice_tui.widgets.invoice_table import PAGE_SIZE, RowFormatter, line_strip, make_columns, read_page, \
        row_fields

    ws, ctx = open_admin(params["path"])
    locale = load_settings().locale
    today = ctx.today()
    columns = make_columns(views.all_invoices_view().columns)
    fields = row_fields(columns)
    from rich.style import Style

    style = Style()
    head = columns[0].width + 1

    def app_page(q):
        def go():
            # what the table does for a query it shows: prepare it (the view permission and the
            # compiled SQL, from the cache after the first time), read its first page by keyset,
            # then draw the first screen (each row formatted when first drawn)
            prepared = views.prepare(ctx, q, fields)
            page = read_page(prepared, RowFormatter(columns, fields, prepared.today, locale), limit=PAGE_SIZE)
            strips = [line_strip("  ", page.row(i).line, head, 0, 118, style)
                      for i in range(min(SCREEN_ROWS, len(page.raw)))]
            return [r[0] for r in page.raw], strips
        return go

    def first_open(q) -> float:
        """The first time a query is shown in this process: its SQL is compiled (then cached)."""
        from invoice_tui.domain import index_sql

        index_sql.clear_cache()
        t0 = time.perf_counter()
        app_page(q)()
        return time.perf_counter() - t0

    raw = sqlite3.connect(ws.db.database)
    from invoice_tui.db.models import Invoice

    t = Invoice._meta.table_name
    shown = "id, number, contact_name, company_name, billed_minor, balance_minor, currency, status, due_date, " \
            "owner_name, last_sent_date"

    def raw_rows(sql, args=()):
        def go():
            return raw.execute(sql, args).fetchall()
        return go

    out: dict = {}
    # default view
    q = views.IndexQuery()
    cold = first_open(q)
    ours, (ids, _strips) = median_time(app_page(q), REPEAT)
    base, rows = median_time(raw_rows(f'SELECT {shown} FROM "{t}" ORDER BY id DESC LIMIT {PAGE_SIZE}'), REPEAT)
    out["first_page"] = {"ours": ours, "baseline": base, "same_rows": checksum(ids) == checksum(r[0] for r in rows),
                         "rows": len(ids), "first_open": cold}
    # filter + sort
    fq = _filter_query()
    cold = first_open(fq)
    ours, (ids, _strips) = median_time(app_page(fq), REPEAT)
    today_s = today.isoformat()
    base, rows = median_time(raw_rows(
        f'SELECT {shown} FROM "{t}" WHERE status = ? AND due_date < ? ORDER BY due_date, id LIMIT {PAGE_SIZE}',
        ("open", today_s)), REPEAT)
    out["filter_page"] = {"ours": ours, "baseline": base, "same_rows": checksum(ids) == checksum(r[0] for r in rows),
                          "rows": len(ids), "first_open": cold}
    # counts and per-currency sums
    def app_counts():
        n, totals = views.prepare(ctx, fq, fields).count_and_totals()  # as the table asks
        return n, [(x.currency, x.count, x.billed_minor, x.balance_minor) for x in totals]

    ours, (n, totals) = median_time(app_counts, max(REPEAT // 5, 3))
    sums_sql = (f"SELECT currency, COUNT(*), COALESCE(SUM(CASE WHEN status != 'voided' THEN billed_minor ELSE 0 END), 0), "
                f"COALESCE(SUM(CASE WHEN status != 'voided' THEN balance_minor ELSE 0 END), 0) FROM \"{t}\" "
                f"WHERE status = ? AND due_date < ? GROUP BY currency ORDER BY currency")
    base, rows = median_time(raw_rows(sums_sql, ("open", today_s)), max(REPEAT // 5, 3))
    raw_n = sum(r[1] for r in rows)
    out["counts"] = {"ours": ours, "baseline": base,
                     "same_rows": n == raw_n and checksum(totals) == checksum(tuple(r) for r in rows),
                     "rows": n}
    raw.close()
    return out
