"""The import figure (R52, issue 29): ``import invoices`` of a line-level CSV — N invoices with
their lines, exported from a demo workspace — into a workspace that already holds the file's
contacts and companies (imported first, not timed), against raw inserts of the same rows.

Ours: ``imports.service.run_import`` (mapping by header, cells read, every invoice checked and
computed by ``domain.import_bulk`` with the services' functions — validation, the R18 totals,
the snapshot — and written in bulk with its creation and import history rows, credit notes
through ``invoices.import_document``; one transaction). Baseline: the same file read with
``csv.reader`` and its invoices and lines inserted with ``sqlite3`` ``executemany`` in one
transaction (the billed amount taken from the file; no validation, no totals, no history). Same
rows: both sides end with the same number of invoices and line items.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import time
from pathlib import Path

from benchmarks.workspace import open_admin

OBJECTS = ("companies", "contacts", "invoices")


def setup_part(params: dict) -> dict:
    """Child: a demo workspace of ``invoices`` invoices, its line-level export and its people, and
    an empty workspace holding those people (the template each side copies)."""
    from invoice_tui.demo import generator
    from invoice_tui.exports.objects import run_object_export
    from invoice_tui.imports.service import run_import

    folder = Path(params["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    ws, ctx = open_admin(folder / "source.db")
    generator.generate(ctx, invoices=int(params["invoices"]), seed=int(params.get("seed", 7)))
    rows = {}
    for obj in OBJECTS:
        rows[obj] = run_object_export(ctx, obj, path=str(folder / f"{obj}.csv")).rows
    ws.db.close()
    ws, ctx = open_admin(folder / "template.db")
    for obj in ("companies", "contacts"):
        report = run_import(ctx, obj, folder / f"{obj}.csv")
        assert report.ok, report.errors[:3]
    ws.db.close()
    return {"rows": rows}


def _copy(folder: Path, name: str) -> Path:
    target = folder / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(folder / "template.db", target)
    return target


def _counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as conn:
        return (conn.execute("SELECT count(*) FROM invoice").fetchone()[0],
                conn.execute("SELECT count(*) FROM line_item").fetchone()[0])


def app_part(params: dict) -> dict:
    from invoice_tui.imports.service import run_import

    folder = Path(params["folder"])
    target = _copy(folder, "app")
    ws, ctx = open_admin(target)
    t0 = time.perf_counter()
    report = run_import(ctx, "invoices", folder / "invoices.csv")
    seconds = time.perf_counter() - t0
    ws.db.close()
    assert report.ok and report.written, report.errors[:3]
    invoices, lines = _counts(target)
    return {"seconds": seconds, "invoices": invoices, "lines": lines}


def _insert(conn, table: str, cols: list[str]) -> str:
    """INSERT of ``cols``, every other NOT NULL column given a constant (the schema's defaults are
    the app's, in Python)."""
    extra = {}
    for _cid, name, kind, notnull, default, _pk in conn.execute(f'PRAGMA table_info("{table}")'):
        if notnull and default is None and name not in cols and name != "id":
            extra[name] = "'import'" if name == "origin" else ("0" if "INT" in kind.upper() or "BOOL" in kind.upper()
                                                               else "''")
    names = ", ".join([*cols, *extra])
    marks = ", ".join(["?"] * len(cols) + list(extra.values()))
    return f'INSERT INTO "{table}" ({names}) VALUES ({marks})'


def raw_part(params: dict) -> dict:
    folder = Path(params["folder"])
    target = _copy(folder, "raw")
    conn = sqlite3.connect(target)
    t0 = time.perf_counter()
    contacts = {e.casefold(): i for i, e in conn.execute("SELECT id, email FROM contact")}
    companies = {n.casefold(): i for i, n in conn.execute("SELECT id, name FROM company")}
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    with open(folder / "invoices.csv", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        col = {h: i for i, h in enumerate(header)}
        next_id = 1
        current = None
        invoices, lines = [], []
        for row in reader:
            number = row[col["Number"]]
            key = tuple(row[:col["Line item"]])  # the invoice's columns: one invoice while they repeat
            if key != current:
                current = key
                billed = row[col["Amount billed"]]
                minor = int(round(float(billed) * 100)) if billed else 0
                invoices.append((next_id, number or None, row[col["Status"]].lower(), row[col["Currency"]],
                                 row[col["Invoice date"]], row[col["Due date"]] or None,
                                 contacts.get(row[col["Contact email"]].casefold()),
                                 companies.get(row[col["Company"]].casefold()), row[col["Title"]], minor, now, now))
                next_id += 1
                position = 0
            if row[col["Line item"]]:
                micro = int(round(float(row[col["Unit price"]]) * 1_000_000))
                lines.append((invoices[-1][0], position, row[col["Line item"]], row[col["Line description"]],
                              row[col["Quantity"]], micro, row[col["Price base quantity"]] or "1", row[col["Unit"]],
                              row[col["VAT rate"]] or "0", row[col["VAT category"]] or None))
                position += 1
    inv_cols = ["id", "number", "status", "currency", "invoice_date", "due_date", "billing_contact_id", "company_id",
                "title", "billed_minor", "created_at", "updated_at"]
    line_cols = ["invoice_id", "position", "name", "description", "quantity", "unit_price_micro", "price_base",
                 "unit_code", "tax_rate", "tax_category"]
    with conn:
        conn.executemany(_insert(conn, "invoice", inv_cols), invoices)
        conn.executemany(_insert(conn, "line_item", line_cols), lines)
    seconds = time.perf_counter() - t0
    conn.close()
    invoices_n, lines_n = _counts(target)
    return {"seconds": seconds, "invoices": invoices_n, "lines": lines_n}
