"""The index's reads against raw sqlite3 on the same file, same rows.

- index first page (default view, "All invoices", newest first): ours is what the table does for
  a query it shows — ``prepare_rows`` (the view permission checked, the query's SQL compiled the
  first time and then taken from the cache, the row formatter of the columns), one page of
  ``PAGE_SIZE`` rows by keyset as plain SQL, then the first screen of a 120×40 terminal drawn:
  the header and 35 rows, each formatted (``RowFormatter``) and made a line strip with its
  position-bar cells (``fit_line``, ``line_strip``) as ``render_line`` does; baseline:
  ``SELECT <the shown columns> … ORDER BY id DESC LIMIT PAGE_SIZE`` with sqlite3 (``fetchall``).
  ``first_open`` is the same for a query not shown before in the process (its SQL compiled, its
  formatter built).
- filter + sort first page (``status=open``, ``due_date<today``, sort by due date): the same,
  with the filters compiled by ``domain.filters``; baseline the equivalent hand-written SQL.
- counts and per-currency sums for that filter: ours ``count_and_totals`` of the prepared query
  (what the index's table asks for its row count and the status line's totals: one
  ``GROUP BY currency, status``, the count the sum of the per-currency counts); baseline one
  hand-written ``GROUP BY currency``.

Both sides run alternately (``paired``), ``REPEAT`` times for a page, and the medians are compared.
"""

from __future__ import annotations

import sqlite3

from benchmarks import checksum, paired
from benchmarks.workspace import open_admin

SCREEN_ROWS = 35  # the rows a 120×40 terminal shows (40 − tabs 2 − header 1 − status 1 − footer 1)
WIDTH = 118  # the text of a line: 120 columns less the position bar (2)
REPEAT = 200  # a page is under a millisecond: many interleaved runs keep the load's drift off the ratio
COUNT_REPEAT = 9


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
    from invoice_tui.widgets.invoice_table import PAGE_SIZE, fit_cells, fit_line, line_strip, make_columns, \
        prepare_rows, read_page

    ws, ctx = open_admin(params["path"])
    locale = load_settings().locale
    today = ctx.today()
    columns = make_columns(views.all_invoices_view().columns)
    from rich.style import Style

    style, bar = Style(), Style(bgcolor="blue")
    head = columns[0].width + 1

    def app_page(q):
        def go():
            # what the table does for a query it shows: prepare it (the view permission and the
            # compiled SQL, from the cache after the first time), read its first page by keyset,
            # then draw the first screen (each row formatted when first drawn)
            prepared, formatter = prepare_rows(ctx, q, columns, locale)
            page = read_page(prepared, formatter, limit=PAGE_SIZE)
            header = fit_cells([c.label for c in columns], [(c.width, c.right) for c in columns], header=True)
            strips = [line_strip(fit_line("  ", header, head, 0, WIDTH), style, bar)]
            strips += [line_strip(fit_line("› " if i == 0 else "  ", page.row(i).line, head, 0, WIDTH), style, bar)
                       for i in range(min(SCREEN_ROWS, len(page.raw)))]
            return [r[0] for r in page.raw], strips
        return go

    def first_open(q) -> float:
        """The first time a query is shown in this process: its SQL is compiled (then cached)."""
        from invoice_tui.domain import index_sql
        from invoice_tui.widgets import invoice_table

        index_sql.clear_cache()
        invoice_table.clear_formatters()
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
    ours, (ids, _strips), base, rows = paired(
        app_page(q), raw_rows(f'SELECT {shown} FROM "{t}" ORDER BY id DESC LIMIT {PAGE_SIZE}'), REPEAT)
    out["first_page"] = {"ours": ours, "baseline": base, "same_rows": checksum(ids) == checksum(r[0] for r in rows),
                         "rows": len(ids), "first_open": cold}
    # filter + sort
    fq = _filter_query()
    cold = first_open(fq)
    today_s = today.isoformat()
    ours, (ids, _strips), base, rows = paired(app_page(fq), raw_rows(
        f'SELECT {shown} FROM "{t}" WHERE status = ? AND due_date < ? ORDER BY due_date, id LIMIT {PAGE_SIZE}',
        ("open", today_s)), REPEAT)
    out["filter_page"] = {"ours": ours, "baseline": base, "same_rows": checksum(ids) == checksum(r[0] for r in rows),
                          "rows": len(ids), "first_open": cold}
    # counts and per-currency sums
    def app_counts():
        n, totals = prepare_rows(ctx, fq, columns, locale)[0].count_and_totals()  # as the table asks
        return n, [(x.currency, x.count, x.billed_minor, x.balance_minor) for x in totals]

    sums_sql = (f"SELECT currency, COUNT(*), COALESCE(SUM(CASE WHEN status != 'voided' THEN billed_minor ELSE 0 END), 0), "
                f"COALESCE(SUM(CASE WHEN status != 'voided' THEN balance_minor ELSE 0 END), 0) FROM \"{t}\" "
                f"WHERE status = ? AND due_date < ? GROUP BY currency ORDER BY currency")
    ours, (n, totals), base, rows = paired(app_counts, raw_rows(sums_sql, ("open", today_s)), COUNT_REPEAT)
    raw_n = sum(r[1] for r in rows)
    out["counts"] = {"ours": ours, "baseline": base,
                     "same_rows": n == raw_n and checksum(totals) == checksum(tuple(r) for r in rows),
                     "rows": n}
    raw.close()
    return out
