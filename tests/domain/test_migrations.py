"""Opening an older workspace migrates it (playhouse.migrations, numbered scripts).

Migration ``*_en16931_lines`` (R18, R35): unit prices move from the currency's minor units to millionths, lines
and adjustments get their VAT category, and every stored invoice's totals are recomputed with the
one totals function and compared with what was stored: equal, or the difference is reported
(kept as stored, listed in ``migration_report``, told on opening) — never hidden. The workspace
made by the release before (a committed fixture) is in ``test_migration_en16931.py``."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

from peewee import SqliteDatabase

from invoice_tui.db import bind, open_database
from invoice_tui.db.migrate import MIGRATIONS_DIR, pending, runner
from invoice_tui.db.models import Contact, Invoice, LineItem
from invoice_tui.domain import audit, history, invoices, people
from invoice_tui.domain.workspace import open_workspace, seed, set_setting
from rulekit import insert_old_invoice, without_legal_columns

EN16931 = next(p.stem for p in MIGRATIONS_DIR.glob("*_en16931_lines.py"))
BEFORE = sorted(p.stem for p in MIGRATIONS_DIR.glob("0*.py") if p.stem < EN16931)[-1]  # the schema just before
NOW = dt.datetime(2026, 3, 16, 9, 30)


def _old_invoice(db, contact_id: int, currency: str, exp: int, totals: tuple, lines: list, adjustments=()) -> int:
    """An invoice as the release before wrote it: totals stored, ``unit_price_minor`` in minor units."""
    sub, disc, fee, tax, billed = totals
    inv = Invoice(id=insert_old_invoice(
        db, currency=currency, exponent=exp, invoice_date=NOW.date(), due_date=NOW.date(),
        billing_contact=contact_id, contact_email="old@example.com", status="draft", subtotal_minor=sub,
        discount_minor=disc, fee_minor=fee, tax_minor=tax, billed_minor=billed, balance_minor=billed,
        created_at=NOW, updated_at=NOW))
    p = db.param
    for pos, (name, qty, price_minor, rate) in enumerate(lines):
        db.execute_sql(f"INSERT INTO line_item (invoice_id, position, name, description, quantity, unit_price_minor, "
                       f"tax_rate) VALUES ({p}, {p}, {p}, '', {p}, {p}, {p})",
                       (inv.id, pos, name, qty, price_minor, rate))
    for pos, (kind, value, pct, rate) in enumerate(adjustments):
        db.execute_sql(f"INSERT INTO adjustment (invoice_id, kind, position, label, is_percent, value, tax_rate) "
                       f"VALUES ({p}, {p}, {p}, '', {p}, {p}, {p})", (inv.id, kind, pos, pct, value, rate))
    return inv.id


def test_r35_an_older_workspace_is_migrated_on_open_keeps_its_data_and_reports_differences(db_url):
    db = bind(open_database(db_url, notice=lambda m: None))
    runner(db).up(target=BEFORE)  # the schema of the release before issue 20
    seed(db)
    assert pending(db)[0] == EN16931
    with without_legal_columns():  # the contact as that release wrote it (no columns of migration 0017)
        contact = Contact.create(email="old@example.com", created_at=NOW)
    # 12.50 × 2 at 20 % + 3.00 at 0 % − 5 % at 20 %: 25.00 + 3.00 = 28.00; discount 1.40; tax 20 % × 23.60 = 4.72
    eur = _old_invoice(db, contact.id, "EUR", 2, (2800, 140, 0, 472, 3132),
                       [("Work", "2", 1250, "20"), ("Book", "1", 300, "0")], [("discount", "5", True, "20")])
    jpy = _old_invoice(db, contact.id, "JPY", 0, (1200, 0, 0, 120, 1320), [("Tea", "1", 1200, "10")])
    wrong = _old_invoice(db, contact.id, "EUR", 2, (1000, 0, 0, 0, 1001), [("Odd", "1", 1000, "0")])  # billed off by 1
    db.close()

    told: list[str] = []
    ws = open_workspace(db_url, notice=told.append)
    try:
        assert pending(ws.db) == []
        assert [(li.name, li.unit_price_micro, li.tax_category) for li in LineItem.select().order_by(LineItem.id)] == [
            ("Work", 12_500_000, "S"), ("Book", 3_000_000, "Z"), ("Tea", 1_200_000_000, "S"), ("Odd", 10_000_000, "Z")]
        for inv_id in (eur, jpy):  # recomputed = stored; the 0 % group now listed
            inv = Invoice.get_by_id(inv_id)
            t = invoices.invoice_totals(inv)
            assert invoices.invoice_record(inv, NOW.date(), t)["amount_billed"] == str(t.billed)
        t = invoices.invoice_totals(Invoice.get_by_id(eur))
        assert [(b.category, f"{b.rate:f}", str(b.basis), str(b.tax)) for b in t.tax_breakdown] == [
            ("S", "20", "23.60", "4.72"), ("Z", "0", "3.00", "0.00")]
        assert t.billed == D("31.32")
        # The difference is reported, never hidden, and the stored figure is kept.
        rows = ws.db.execute_sql("SELECT migration, invoice_id, text FROM migration_report").fetchall()
        assert [(r[0], r[1]) for r in rows] == [(EN16931, wrong)]
        report = json.loads(rows[0][2])
        assert (report["stored"]["billed"], report["recomputed"]["billed"], report["kept"]) == (1001, 1000, "stored")
        assert Invoice.get_by_id(wrong).billed_minor == 1001
        assert any(f"{EN16931} found 1 invoice" in m for m in told), told
        ctx = ws.context("alice", source="test")
        for key, value in (("seller_legal_name", "Older Workspace Ltd"), ("seller_address", "1 Old Street")):
            set_setting(ctx, key, value)  # R2/R43: this older workspace had no seller profile
        assert invoices.finalize_invoice(ctx, eur).number == "INV-1001"
    finally:
        ws.db.close()


def _index_names(db) -> set[str]:
    if isinstance(db, SqliteDatabase):
        return {r[0] for r in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()}
    return {r[0] for r in db.execute_sql(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()").fetchall()}


def test_r15_r16_the_history_hashes_lose_their_unique_index_and_the_chains_still_hold(db_url):
    """Migration ``*_history_hash_not_indexed``: nothing looks a history row up by its hash; the
    chains are checked by walking them. An older workspace's two indexes go; its rows and the rows
    written after the migration form one intact chain each."""
    target = next(p.stem for p in MIGRATIONS_DIR.glob("*_history_hash_not_indexed.py"))
    before = sorted(p.stem for p in MIGRATIONS_DIR.glob("0*.py") if p.stem < target)[-1]
    db = bind(open_database(db_url, notice=lambda m: None))
    runner(db).up(target=before)
    seed(db)
    assert {"propertychange_hash", "activity_hash"} <= _index_names(db)
    db.close()

    ws = open_workspace(db_url, notice=lambda m: None)
    try:
        assert pending(ws.db) == []
        assert not {"propertychange_hash", "activity_hash"} & _index_names(ws.db)
        ctx = ws.context("alice", source="test", now=lambda: NOW)
        contact = people.add_contact(ctx, {"email": "buyer@example.com"})
        invoice = invoices.create_invoice(ctx, {"contact_id": contact.id, "currency": "EUR"})
        note = history.add_activity(ctx, invoice.id, None, "note", "Called the buyer")  # its row, read by its id
        assert (note.kind, note.text, note.invoice_id) == ("note", "Called the buyer", invoice.id)
        report = audit.verify()
        assert report.ok, report
        assert {c.name: c.rows > 0 for c in report.chains} == {"property_change": True, "activity": True}
    finally:
        ws.db.close()
