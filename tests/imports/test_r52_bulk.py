"""R52: the bulk import (``domain.import_bulk``) writes exactly what the import one invoice at a
time (``invoices.import_document``) writes — the same invoice, line, adjustment and link rows,
the same history rows and hash chain — and refuses the same rows with the same sentences."""

from __future__ import annotations

import csv
import contextlib

import pytest

from invoice_tui.db import database
from invoice_tui.db.models import (Activity, Adjustment, ChainHead, CreditEntry, Invoice, InvoiceCompany,
                                   InvoiceContact, LineItem, PropertyChange)
from invoice_tui.demo import generator
from invoice_tui.domain import audit
from invoice_tui.domain.workspace import open_workspace
from invoice_tui.exports.objects import run_object_export
from invoice_tui.imports import service
from invoice_tui.imports.service import run_import

TABLES = (Invoice, LineItem, Adjustment, InvoiceContact, InvoiceCompany, CreditEntry, PropertyChange, Activity,
          ChainHead)


def _rows() -> dict:
    out = {}
    for model in TABLES:
        rows = [dict(r) for r in model.select().order_by(*([model.id] if "id" in model._meta.fields else
                                                           [model.name])).dicts()]
        for r in rows:
            if "link_token" in r:
                r["link_token"] = r["link_token"] is not None  # random (R22's public link)
        out[model._meta.table_name] = rows
    return out


@contextlib.contextmanager
def _workspace(db_url, tmp_path, name):
    if db_url.startswith("sqlite"):
        ws = open_workspace(f"sqlite:///{tmp_path / name}.db", notice=lambda m: None)
        try:
            yield ws
        finally:
            ws.db.close()
        return
    from tests.conftest import pg_database

    with pg_database() as url:
        ws = open_workspace(url, notice=lambda m: None)
        try:
            yield ws
        finally:
            ws.db.close()


def _import(ws, clock, tmp_path, bulk: bool, invoices: str = "invoices", dry_run: bool = False):
    ctx = ws.context("alice", source="test", now=clock)
    for obj in ("companies", "contacts"):
        assert run_import(ctx, obj, tmp_path / f"{obj}.csv").ok
    report = run_import(ctx, "invoices", tmp_path / f"{invoices}.csv", bulk=bulk, dry_run=dry_run)
    return report, _rows()


@pytest.mark.no_seller
def test_r52_bulk_import_writes_the_same_rows_and_history_as_one_by_one(db_url, tmp_path, clock, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 7)  # several batches between the credit notes
    ws = open_workspace(db_url, notice=lambda m: None)
    ctx = ws.context("alice", source="test")
    generator.generate(ctx, invoices=60, seed=3)
    assert Invoice.select().where(Invoice.doc_type == "credit_note").exists()  # one by one, between batches
    for obj in ("companies", "contacts"):
        run_object_export(ctx, obj, path=str(tmp_path / f"{obj}.csv"))
    run_object_export(ctx, "invoices", path=str(tmp_path / "invoices.csv"), types=("invoice", "credit_note"))
    ws.db.close()
    # a second file with refused rows: a number given twice, a due date before the date, a bad currency
    with open(tmp_path / "invoices.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    head = rows[0]
    bad = [rows[0]] + [list(r) for r in rows[1:]]
    # each invoice's first row (a credit note follows its invoice: refused with it, for its own reason)
    firsts = [i for i in range(1, len(bad)) if bad[i][head.index("Number")] and
              bad[i][head.index("Number")] != bad[i - 1][head.index("Number")] and bad[i][head.index("Type")] == "Invoice"]
    dup = list(bad[firsts[1]])
    bad.append(dup)  # its number again, at the end
    bad[firsts[2]][head.index("Due date")] = "2000-01-01"
    bad[firsts[3]][head.index("Currency")] = "XXQ"
    # the same refused cell and the same refused line on two invoices each: a value read or a line
    # checked once per file is still reported on every row that holds it
    for i in (firsts[4], firsts[5]):
        bad[i][head.index("Quantity")] = "0"
    for i in (firsts[6], firsts[7]):
        bad[i][head.index("Unit price")] = "x1"
    with open(tmp_path / "bad.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(bad)

    results = {}
    for bulk in (True, False):
        with _workspace(db_url, tmp_path, f"b{bulk}") as ws2:
            report, rows_after = _import(ws2, clock, tmp_path, bulk)
            assert report.ok and report.written, [e.record() for e in report.errors[:5]]
            verified = audit.verify()
            assert all(c.ok for c in verified.chains) and verified.findings_total == 0, verified
            results[bulk] = report.created, report.lines, rows_after
        with _workspace(db_url, tmp_path, f"bad{bulk}") as ws3:
            refused, rows_bad = _import(ws3, clock, tmp_path, bulk, "bad")
            assert not refused.ok and not refused.written
            results[("bad", bulk)] = [e.record() for e in refused.errors], rows_bad[Invoice._meta.table_name]
    assert results[True][:2] == results[False][:2]
    for table in results[True][2]:
        assert results[True][2][table] == results[False][2][table], table
    assert results[("bad", True)] == results[("bad", False)]
    errors = results[("bad", True)][0]
    assert {e["column"] for e in errors} >= {"Number", "Due date", "Currency"}, errors
    for a, b in ((4, 5), (6, 7)):  # both rows reported, with the same sentences
        on = [sorted((e["column"], e["message"]) for e in errors if e["row"] == firsts[k] + 1) for k in (a, b)]
        assert on[0] and on[0] == on[1], errors
    assert results[("bad", True)][1] == []  # nothing written


def test_r52_bulk_rows_several_per_statement_are_the_rows_one_insert_each_writes():
    """``db.bulk``'s SQLite inserts of several rows per statement (2ⁿ, then the rest) write the
    same rows, ids and order as one insert per row, for any number of rows."""
    import sqlite3

    from invoice_tui.db.bulk import _insert_rows

    for n in (0, 1, 2, 3, 7, 8, 9, 255, 256, 1000, 4097):
        rows = [(f"r{i}", i * 7 if i % 3 else None, "é\n'\"" if i % 5 == 0 else "") for i in range(n)]
        tables = []
        for many in (False, True):
            conn = sqlite3.connect(":memory:")
            conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)  # (a small limit: several statements)
            conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c TEXT)")
            if many:
                _insert_rows(conn, "INSERT INTO t (a, b, c) VALUES ", 3, rows)
            else:
                conn.executemany("INSERT INTO t (a, b, c) VALUES (?, ?, ?)", rows)
            tables.append(conn.execute("SELECT id, a, b, c, typeof(b) FROM t ORDER BY rowid").fetchall())
        assert tables[0] == tables[1] and len(tables[0]) == n, n

