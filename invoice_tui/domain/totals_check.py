"""R18, R35: after the migration to EN 16931's lines, every stored invoice's totals are recomputed
with the one totals function and compared with what is stored.

Migration ``*_en16931_lines`` changes the schema only (the data layer never imports the domain);
the workspace's opener then calls :func:`check_stored_totals` in its own write transaction. An
invoice whose recomputed subtotal, discounts, fees, tax or amount billed differ from the stored
ones gets a row in ``migration_report`` (the stored and the recomputed figures, in minor units)
and keeps its stored figures: a difference is shown (``db.migrate.report``), never hidden or
silently "fixed". The VAT breakdown is not stored, so its one intended change — 0 % groups are
now listed — is not a difference.

Invoices are read in batches of 1000 with their lines and adjustments (one query each per batch);
invoices with the same currency, lines and adjustments (recurring invoices, the demo's templates)
are computed once.
"""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace
from typing import Iterator

import peewee

from invoice_tui.db.migrate import REPORT_TABLE

NAMES = ("subtotal", "discounts", "fees", "tax", "billed")


def differences(db: peewee.Database, batch: int = 1000) -> Iterator[tuple[int, dict]]:
    """(invoice id, {stored, recomputed, currency}) for every invoice whose totals differ."""
    from invoice_tui.domain.invoices import STORED_LINE_FIELDS, line_spec
    from invoice_tui.domain.money import to_minor
    from invoice_tui.domain.totals import AdjustmentSpec, compute_totals

    line_cols = ", ".join(STORED_LINE_FIELDS)
    known: dict = {}
    last = 0
    while True:
        invs = db.execute_sql(
            "SELECT id, currency, subtotal_minor, discount_minor, fee_minor, tax_minor, billed_minor FROM invoice "
            f"WHERE id > {int(last)} ORDER BY id LIMIT {int(batch)}").fetchall()
        if not invs:
            return
        lo, hi = invs[0][0], invs[-1][0]
        lines: dict[int, list[tuple]] = {}
        adjs: dict[int, list[tuple]] = {}
        for row in db.execute_sql(f"SELECT invoice_id, {line_cols} FROM line_item WHERE invoice_id BETWEEN "
                                  f"{int(lo)} AND {int(hi)} ORDER BY invoice_id, position, id"):
            lines.setdefault(row[0], []).append(tuple(row[1:]))
        for row in db.execute_sql("SELECT invoice_id, kind, value, is_percent, tax_rate, tax_category FROM adjustment "
                                  f"WHERE invoice_id BETWEEN {int(lo)} AND {int(hi)} ORDER BY invoice_id, position, id"):
            adjs.setdefault(row[0], []).append(tuple(row[1:]))
        for inv_id, cur, *stored in invs:
            key = (cur, tuple(lines.get(inv_id, ())), tuple(adjs.get(inv_id, ())))
            figures = known.get(key)
            if figures is None:
                specs = [line_spec(SimpleNamespace(**dict(zip(STORED_LINE_FIELDS, row))), cur) for row in key[1]]
                adjusted = [AdjustmentSpec(k, Decimal(v), bool(pct), Decimal(r or "0"),
                                           tax_category=(c or "") if k != "tax" else "") for k, v, pct, r, c in key[2]]
                t = compute_totals(cur, specs, adjusted)
                figures = tuple(to_minor(x, cur) for x in (t.subtotal, t.discount_total, t.fee_total, t.tax_total,
                                                          t.billed))
                if len(known) > 4096:
                    known.clear()
                known[key] = figures
            if tuple(stored) != figures:
                yield inv_id, {"stored": dict(zip(NAMES, stored)), "recomputed": dict(zip(NAMES, figures)),
                               "currency": cur, "kept": "stored"}
        last = hi


def check_stored_totals(db: peewee.Database, migration: str) -> int:
    """Recompute every invoice and list each difference in ``migration_report`` under
    ``migration``; returns how many invoices differ. One write transaction."""
    count = 0
    with db.atomic():
        rows = []
        for inv_id, found in differences(db):
            rows.append((migration, inv_id, json.dumps(found, sort_keys=True)))
            count += 1
            if len(rows) >= 500:
                _insert(db, rows)
        _insert(db, rows)
    return count


def _insert(db: peewee.Database, rows: list[tuple]) -> None:
    if rows:
        p = db.param
        for row in rows:
            db.execute_sql(f"INSERT INTO {REPORT_TABLE} (migration, invoice_id, text) VALUES ({p}, {p}, {p})", row)
        rows.clear()
