"""CSV and XLSX export of all invoices (the default columns: number, contact name, company,
amounts, status, dates, owner) against a raw writer over the same SQL cursor.

Ours: ``exports.run_export`` (R22: permission check, options, one snapshot, the count, the SQL with
the cells converted in SQL, the streaming sink, the temporary file renamed at the end, the export
log). Baseline: the very statement the export runs, on a plain ``sqlite3`` connection, rows
written with ``csv.writer`` (CSV) or with xlsxwriter in ``constant_memory`` mode, the same typed
cells (XLSX). Each side runs in its own child process: its time, and its peak RSS growth over the
RSS just before the export started. The workspace file is read once before the first run
(``warm_cache``), so neither side pays for a cold page cache.

Same rows: CSV files are compared byte for byte (checksums); XLSX files by the cells of their
sheet XML (values and types, style indexes left out).
"""

from __future__ import annotations

import csv
import hashlib
import re
import sqlite3
import time
import zipfile
from pathlib import Path

from benchmarks import file_checksum, rss_mb
from benchmarks.workspace import open_admin


def _statement(ctx, fmt: str):
    """The export's SQL (as ``run_export`` builds it) and its column kinds and headers."""
    from invoice_tui.db.models import Invoice
    from invoice_tui.domain import catalogue
    from invoice_tui.domain.invoices import query_invoices, sql_context
    from invoice_tui.exports import labels
    from invoice_tui.exports.columns import MONEY, column, select_expression

    cols = [column(pid) for pid in catalogue.DEFAULT_COLUMNS]
    sctx = sql_context(ctx)
    base = query_invoices(ctx, None, None, "")
    exprs = [select_expression(c, fmt, sctx, "en") for c in cols]
    helpers = [Invoice.currency, Invoice.exponent] if fmt == "xlsx" and any(c.kind == MONEY for c in cols) else []
    sql, params = base.select(*exprs, *helpers).sql()
    return sql, list(params), [c.kind for c in cols], [labels.header(c.id, "en") for c in cols]


def app_part(params: dict) -> dict:
    from invoice_tui.domain import catalogue
    from invoice_tui.exports.service import ExportOptions, run_export

    ws, ctx = open_admin(params["path"])
    out = Path(params["out"])
    out.unlink(missing_ok=True)
    options = ExportOptions(format=params["format"], columns=list(catalogue.DEFAULT_COLUMNS), path=str(out),
                            name="benchmark")
    before = rss_mb()
    t0 = time.perf_counter()
    result = run_export(ctx, options)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": result.rows, "rss_before_mb": before, "checksum": _checksum(out)}


def raw_part(params: dict) -> dict:
    ws, ctx = open_admin(params["path"])
    fmt = params["format"]
    sql, args, kinds, headers = _statement(ctx, fmt)
    db_file = ws.db.database
    ws.db.close()
    out = Path(params["out"])
    out.unlink(missing_ok=True)
    before = rss_mb()
    t0 = time.perf_counter()
    conn = sqlite3.connect(db_file)
    cur = conn.execute(sql, args)
    rows = 0
    if fmt == "csv":
        with open(out, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(headers)
            while batch := cur.fetchmany(2000):
                w.writerows(batch)
                rows += len(batch)
    else:
        rows = _raw_xlsx(cur, out, kinds, headers)
    conn.close()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": rows, "rss_before_mb": before, "checksum": _checksum(out)}


def _raw_xlsx(cur, out: Path, kinds: list[str], headers: list[str]) -> int:
    """The same typed cells as the app's XLSX, written plainly (one sheet: ≤ 1,048,575 rows)."""
    import xlsxwriter

    from invoice_tui.exports.columns import DATE, DATETIME, MONEY, NUMBER

    book = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False})
    ws = book.add_worksheet("benchmark")
    for c, h in enumerate(headers):
        ws.write_string(0, c, h)
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    datetime_fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    money_fmts: dict = {}
    n = len(kinds)
    ci, ei = n, n + 1
    r = 0
    while batch := cur.fetchmany(2000):
        for row in batch:
            r += 1
            for c in range(n):
                v = row[c]
                if v is None:
                    continue
                kind = kinds[c]
                if kind == NUMBER:
                    ws.write_number(r, c, v)
                elif kind == MONEY:
                    key = (row[ci], row[ei])
                    fmt = money_fmts.get(key)
                    if fmt is None:
                        fmt = money_fmts[key] = book.add_format({"num_format": "#,##0.00"})
                    ws.write_number(r, c, v / 10 ** row[ei], fmt)
                elif kind == DATE:
                    ws.write_number(r, c, v, date_fmt)
                elif kind == DATETIME:
                    ws.write_number(r, c, v, datetime_fmt)
                elif v != "":
                    ws.write_string(r, c, v)
    book.close()
    return r


_STYLE = re.compile(rb' s="\d+"')


def _checksum(path: Path) -> str:
    if path.suffix != ".xlsx":
        return file_checksum(path)
    h = hashlib.sha256()
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
        for name in names:
            with z.open(name) as fh:
                carry = b""
                started = False
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    data = carry + chunk
                    cut = data.rfind(b">") + 1
                    data, carry = data[:cut], data[cut:]
                    if not started:  # skip everything before the cells (sheet name, widths, panes)
                        i = data.find(b"<sheetData")
                        if i < 0:
                            continue
                        data, started = data[i:], True
                    j = data.find(b"</sheetData>")
                    if j >= 0:
                        data = data[:j]
                    h.update(_STYLE.sub(b"", data))
                    if j >= 0:
                        break
    return h.hexdigest()[:16]
