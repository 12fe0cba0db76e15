"""Measure the export (R22) against raw csv.writer / raw xlsxwriter loops over the same query.

Not a test (no timed assertions in the suite); run by hand:

    PYTHONPATH=. /tmp/venv/bin/python tests/exports/measure_export.py --rows 1000000 [--db URL]

Seeds N invoices straight into a fresh workspace (one INSERT … SELECT), then times, each in its
own process (so peak RSS is per run): the raw baseline (the same WHERE/ORDER, the same columns in
their stored form, every row handed to csv.writer.writerow / worksheet.write_row) and
``run_export``. Prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLUMNS = ["number", "contact_name", "company_name", "amount_billed", "balance_due", "status", "due_date",
           "owner", "last_sent_date"]


def seed(url: str, rows: int) -> None:
    from invoice_tui.db import database, is_postgres
    from invoice_tui.domain.workspace import open_workspace

    ws = open_workspace(url, notice=lambda m: None)
    ctx = ws.context("bench", source="bench")
    db = database.obj
    if is_postgres(db):
        series = f"SELECT g AS n FROM generate_series(1, {rows}) g"
        date = "DATE '2025-01-01' + (n % 400)"
        due = "DATE '2025-01-31' + (n % 400)"
        now = "TIMESTAMP '2025-01-01 10:00:00'"
        concat = lambda *a: " || ".join(a)  # noqa: E731
        cast = "CAST(n AS TEXT)"
    else:
        series = (f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {rows}) "
                  "SELECT n FROM s")
        date = "date('2025-01-01', '+' || (n % 400) || ' days')"
        due = "date('2025-01-31', '+' || (n % 400) || ' days')"
        now = "'2025-01-01 10:00:00'"
        concat = lambda *a: " || ".join(a)  # noqa: E731
        cast = "CAST(n AS TEXT)"
    statuses = "CASE n % 4 WHEN 0 THEN 'draft' WHEN 1 THEN 'open' WHEN 2 THEN 'paid' ELSE 'voided' END"
    sql = (
        'INSERT INTO "invoice" (title, currency, exponent, locale, invoice_date, due_date, owner_id, po_number, '
        "comments, allow_partial, origin, number, number_seq, status, last_sent_date, version, subtotal_minor, "
        "discount_minor, fee_minor, tax_minor, billed_minor, paid_minor, balance_minor, contact_name, "
        "contact_email, company_name, owner_name, created_at, updated_at) "
        f"SELECT {concat(repr('Services '), cast)}, CASE WHEN n % 3 = 0 THEN 'USD' ELSE 'EUR' END, 2, 'en_US', "
        f"{date}, {due}, {ctx.user.id}, '', '', {'false' if is_postgres(db) else 0}, 'manual', "
        f"{concat(repr('INV-'), cast)}, n, {statuses}, {date}, 1, n * 137 % 1000000, 0, 0, n * 137 % 1000000 / 5, "
        "n * 137 % 1000000 * 6 / 5, 0, n * 137 % 1000000 * 6 / 5, "
        f"{concat(repr('Contact '), cast)}, {concat(repr('c'), cast, repr('@example.com'))}, "
        f"{concat(repr('Company '), 'CAST(n % 5000 AS TEXT)')}, 'bench', {now}, {now} FROM ({series}) q"
    )
    if is_postgres(db):
        sql = sql.replace("%", "%%")  # psycopg2 reads % as a placeholder
    with db.atomic():
        db.execute_sql(sql)
    ws.db.close()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(url: str, mode: str, out_dir: str, properties: str) -> dict:
    from invoice_tui.db import database, is_postgres
    from invoice_tui.domain import catalogue
    from invoice_tui.domain.invoices import query_invoices, sql_context
    from invoice_tui.domain.workspace import open_workspace
    from invoice_tui.exports.service import ExportOptions, run_export

    ws = open_workspace(url, notice=lambda m: None)
    ctx = ws.context("bench", source="bench")
    cols = COLUMNS if properties == "view" else [p.id for p in catalogue.PROPERTIES]
    fmt = "csv" if "csv" in mode else "xlsx"
    started, cpu_started = time.perf_counter(), time.process_time()
    if mode.startswith("raw"):
        sctx = sql_context(ctx)
        q = query_invoices(ctx, None, "-id").select(*[catalogue.get(c).sql(sctx) for c in cols])
        sql, params = q.sql()
        db = database.obj
        if is_postgres(db):
            cur = db.cursor(named_cursor=True)
            cur.itersize = 2000
            ctxm = db.atomic()
            ctxm.__enter__()
            cur.execute(sql, params)
        else:
            cur = db.execute_sql(sql, params)
        rows = 0
        path = Path(out_dir) / f"raw.{fmt}"
        if fmt == "csv":
            import csv

            with open(path, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(cols)
                for row in cur:
                    w.writerow(row)
                    rows += 1
        else:
            import xlsxwriter

            book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
            sheet = book.add_worksheet()
            sheet.write_row(0, 0, cols)
            for row in cur:
                rows += 1
                sheet.write_row(rows, 0, row)
            book.close()
        if is_postgres(db):
            cur.close()
            ctxm.__exit__(None, None, None)
    else:
        res = run_export(ctx, ExportOptions(format=fmt, properties=properties, columns=COLUMNS, sort="-id",
                                            folder=out_dir, name=f"export-{properties}"))
        rows = res.rows
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"mode": mode, "properties": properties, "rows": rows, "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "peak_rss_mb": round(_rss_mb(), 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--db", default=None)
    ap.add_argument("--child", nargs=4, metavar=("URL", "MODE", "DIR", "PROPS"))
    ap.add_argument("--formats", default="csv,xlsx")
    ap.add_argument("--properties", default="view,all")
    ap.add_argument("--repeat", type=int, default=1, help="runs per mode; the fastest counts")
    ap.add_argument("--reuse", action="store_true", help="--db already holds the invoices: do not seed")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_one(*args.child)))
        return
    tmp = tempfile.mkdtemp(prefix="invoice-tui-export-bench-")
    url = args.db or f"sqlite:///{tmp}/bench.db"
    if not args.reuse:
        t = time.perf_counter()
        seed(url, args.rows)
        print(f"seeded {args.rows:,} invoices in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    figures = []
    for props in args.properties.split(","):
        for fmt in args.formats.split(","):
            pair = {}
            for _ in range(args.repeat):
                for mode in (f"raw_{fmt}", f"export_{fmt}"):  # interleaved, so load drifts hit both
                    out = subprocess.run([sys.executable, __file__, "--child", url, mode, tmp, props],
                                         capture_output=True, text=True, env=os.environ)
                    if out.returncode:
                        raise SystemExit(out.stderr)
                    run = json.loads(out.stdout.strip().splitlines()[-1])
                    print(json.dumps(run), file=sys.stderr)
                    if mode not in pair or run["seconds"] < pair[mode]["seconds"]:
                        pair[mode] = {**run, "cpu_seconds": min(run["cpu_seconds"],
                                                                pair.get(mode, run)["cpu_seconds"])}
                    else:
                        pair[mode]["cpu_seconds"] = min(run["cpu_seconds"], pair[mode]["cpu_seconds"])
            ratio = pair[f"export_{fmt}"]["seconds"] / max(pair[f"raw_{fmt}"]["seconds"], 1e-9)
            cpu_ratio = pair[f"export_{fmt}"]["cpu_seconds"] / max(pair[f"raw_{fmt}"]["cpu_seconds"], 1e-9)
            figures.append({"format": fmt, "properties": props, "rows": args.rows, **{
                k: v for k, v in (("raw_seconds", pair[f"raw_{fmt}"]["seconds"]),
                                  ("export_seconds", pair[f"export_{fmt}"]["seconds"]),
                                  ("ratio", round(ratio, 2)),
                                  ("raw_cpu_seconds", pair[f"raw_{fmt}"]["cpu_seconds"]),
                                  ("export_cpu_seconds", pair[f"export_{fmt}"]["cpu_seconds"]),
                                  ("cpu_ratio", round(cpu_ratio, 2)),
                                  ("raw_peak_rss_mb", pair[f"raw_{fmt}"]["peak_rss_mb"]),
                                  ("export_peak_rss_mb", pair[f"export_{fmt}"]["peak_rss_mb"]))}})
    print(json.dumps({"database": "postgresql" if url.startswith("postgres") else "sqlite", "figures": figures},
                     indent=2))


if __name__ == "__main__":
    main()
