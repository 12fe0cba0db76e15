"""The reports' figures (issue 27): each report as ``domain.reports`` computes it, against a raw
sqlite3 aggregate of the same figures written independently (julianday arithmetic, plain SUMs), in
the same process and run; both must give the same figures."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time

REPORTS = ("aging today", "aging as of a past date", "revenue per month", "top customers", "DSO")


def _today(conn) -> dt.date:
    last = conn.execute("SELECT MAX(invoice_date) FROM invoice").fetchone()[0]
    return dt.date.fromisoformat(last) if last else dt.date.today()


def _raw(conn, name: str, today: dt.date) -> object:
    t, past = today.isoformat(), (today - dt.timedelta(days=90)).isoformat()
    start = dt.date(today.year - 1, today.month, 1) + dt.timedelta(days=32)
    s = start.replace(day=1).isoformat()

    def buckets(days: str) -> str:
        return (f"CASE WHEN {days} IS NULL OR {days} <= 0 THEN 0 WHEN {days} <= 30 THEN 1 WHEN {days} <= 60 THEN 2 "
                f"WHEN {days} <= 90 THEN 3 ELSE 4 END")

    if name == "aging today":
        days = f"CAST(julianday('{t}') - julianday(due_date) AS INTEGER)"
        return sorted(conn.execute(f"SELECT currency, {buckets(days)}, SUM(balance_minor) FROM invoice "
                                   "WHERE doc_type = 'invoice' AND status = 'open' GROUP BY 1, 2 "
                                   "HAVING SUM(balance_minor) <> 0").fetchall())
    if name == "aging as of a past date":
        days = f"CAST(julianday('{past}') - julianday(due_date) AS INTEGER)"
        return sorted(conn.execute(
            f"SELECT currency, {buckets(days)}, SUM(bal) FROM (SELECT i.currency, i.due_date, i.billed_minor "
            f"- (SELECT COALESCE(SUM(amount_minor - amount_refunded_minor), 0) FROM payment p WHERE p.invoice_id = i.id "
            f"AND p.state IN ('succeeded', 'disputed', 'refunded') AND p.date <= '{past}') "
            f"- (SELECT COALESCE(SUM(CASE WHEN kind = 'overpayment' THEN -amount_minor ELSE amount_minor END), 0) "
            f"FROM credit_entry e WHERE e.invoice_id = i.id AND e.kind IN ('cn_applied', 'applied', 'overpayment') "
            f"AND e.date <= '{past}') AS bal FROM invoice i WHERE i.doc_type = 'invoice' "
            f"AND i.status IN ('open', 'paid') AND i.invoice_date <= '{past}') WHERE bal <> 0 "
            "GROUP BY 1, 2").fetchall())
    if name == "revenue per month":
        return sorted(conn.execute(
            "SELECT strftime('%Y-%m', invoice_date), currency, SUM(CASE WHEN doc_type = 'credit_note' "
            "THEN -billed_minor ELSE billed_minor END) FROM invoice WHERE status IN ('open', 'paid', 'issued') "
            f"AND invoice_date BETWEEN '{s}' AND '{t}' GROUP BY 1, 2").fetchall())
    if name == "top customers":
        rows = conn.execute(
            "SELECT currency, COALESCE(company_id, -billing_contact_id), SUM(CASE WHEN doc_type = 'credit_note' "
            "THEN -billed_minor ELSE billed_minor END) AS b FROM invoice WHERE status IN ('open', 'paid', 'issued') "
            f"AND invoice_date BETWEEN '{s}' AND '{t}' GROUP BY 1, 2").fetchall()
        out: dict[str, list[int]] = {}
        for cur, _who, billed in rows:
            out.setdefault(cur, []).append(billed)
        return sorted((cur, sorted(v, reverse=True)[:10]) for cur, v in out.items())
    # DSO: receivables today ÷ billed over the period
    rec = dict(conn.execute("SELECT currency, SUM(balance_minor) FROM invoice WHERE doc_type = 'invoice' "
                            "AND status = 'open' GROUP BY 1").fetchall())
    billed = dict(conn.execute("SELECT currency, SUM(CASE WHEN doc_type = 'credit_note' THEN -billed_minor "
                               "ELSE billed_minor END) FROM invoice WHERE status IN ('open', 'paid', 'issued') "
                               f"AND invoice_date BETWEEN '{s}' AND '{t}' GROUP BY 1").fetchall())
    return sorted((c, rec.get(c, 0), billed.get(c, 0)) for c in set(rec) | set(billed))


def _ours(ctx, name: str, today: dt.date) -> object:
    from invoice_tui.domain import reports

    order = {b: i for i, b in enumerate(reports.BUCKETS)}
    if name in ("aging today", "aging as of a past date"):
        as_of = today if name == "aging today" else today - dt.timedelta(days=90)
        return sorted((r.currency, order[b], v) for r in reports.aging(ctx, as_of) for b, v in r.buckets.items()
                      if r.counts[b])
    start = reports.default_period(ctx)[0]
    if name == "revenue per month":
        return sorted((r.month, r.currency, r.billed_minor) for r in reports.revenue(ctx, start, today)
                      if r.invoices or r.credit_notes)
    if name == "top customers":
        out: dict[str, list[int]] = {}
        for f in reports.top_customers(ctx, "billed", 10, start, today):
            out.setdefault(f.currency, []).append(f.billed_minor)
        return sorted(out.items())
    return sorted((r.currency, r.receivables_minor, r.billed_minor) for r in reports.dso(ctx, start, today))


def run(params: dict) -> dict:
    from invoice_tui.domain.context import fixed_clock
    from invoice_tui.domain.workspace import open_workspace

    path = params["path"]
    ws = open_workspace(f"sqlite:///{path}", notice=lambda m: None)  # migrates the workspace first
    conn = sqlite3.connect(path)
    try:
        today = _today(conn)
        ctx = ws.context(None, source="cli", now=fixed_clock(dt.datetime.combine(today, dt.time(12))))
        out = {}
        for name in REPORTS:
            start = time.perf_counter()
            ours = _ours(ctx, name, today)
            ours_s = time.perf_counter() - start
            start = time.perf_counter()
            raw = _raw(conn, name, today)
            raw_s = time.perf_counter() - start
            out[name] = {"ours": ours_s, "baseline": raw_s, "same": [list(map(_plain, r)) for r in ours]
                         == [list(map(_plain, r)) for r in raw]}
        return {"reports": out}
    finally:
        conn.close()
        ws.db.close()


def _plain(v):
    return v if not isinstance(v, list) else tuple(v)
