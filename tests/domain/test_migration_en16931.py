"""R18, R35: a workspace made by the release before issue 20's totals engine migrates with every
total unchanged.

``tests/fixtures/workspaces/before-en16931.db`` was made by commit
47dbbde3bb16bd37f0050390f4d9ccd2cf4ff831 (the release before this change) with
``make_before_en16931.py`` beside it; ``before-en16931.json`` holds what that release stored and
printed for each invoice (its totals in minor units and its ``tax_breakdown``). Opened by this
release, the workspace migrates; every invoice recomputes to exactly what was stored, no
difference is reported, and the VAT breakdown is the old one with a category added plus any 0 %
groups (which the old breakdown dropped) — the one intended change of output."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal as D
from pathlib import Path

import pytest

from invoice_tui.db.migrate import pending
from invoice_tui.db.models import Invoice
from invoice_tui.domain import invoices
from invoice_tui.domain.money import to_minor
from invoice_tui.domain.workspace import open_workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces"
BEFORE = json.loads((FIXTURES / "before-en16931.json").read_text())


@pytest.fixture
def migrated(tmp_path):
    path = tmp_path / "before.db"
    shutil.copy(FIXTURES / "before-en16931.db", path)
    told: list[str] = []
    ws = open_workspace(f"sqlite:///{path}", notice=told.append)
    yield ws, told
    ws.db.close()


def test_r35_the_release_before_made_the_fixture():
    assert BEFORE["made_by_commit"] == "47dbbde3bb16bd37f0050390f4d9ccd2cf4ff831"
    assert len(BEFORE["invoices"]) >= 30
    assert {v["currency"] for v in BEFORE["invoices"].values()} >= {"EUR", "USD", "JPY", "KWD"}
    assert {v["status"] for v in BEFORE["invoices"].values()} == {"draft", "open", "paid", "voided"}


def test_r35_every_stored_total_is_unchanged_after_the_migration(migrated):
    ws, told = migrated
    assert pending(ws.db) == []
    assert ws.db.execute_sql("SELECT COUNT(*) FROM migration_report").fetchone()[0] == 0
    assert not [m for m in told if "differ" in m], told
    gained = 0
    for inv in Invoice.select().order_by(Invoice.id):
        old = BEFORE["invoices"][str(inv.id)]
        stored = {k: getattr(inv, k) for k in old["minor"]}
        kept = dict(old["minor"], **({"balance_minor": 0} if inv.status == "voided" else {}))  # 0015: R18
        assert stored == kept, inv.id  # the migration kept every stored figure (a voided one owes nothing)
        t = invoices.invoice_totals(inv)
        cur = inv.currency
        recomputed = {"subtotal_minor": t.subtotal, "discount_minor": t.discount_total, "fee_minor": t.fee_total,
                      "tax_minor": t.tax_total, "billed_minor": t.billed}
        assert {k: to_minor(v, cur) for k, v in recomputed.items()} == {k: old["minor"][k] for k in recomputed}, inv.id
        new = invoices.breakdown_records(t)
        assert [{k: b[k] for k in ("rate", "basis", "tax")} for b in new if D(b["rate"])] == old["tax_breakdown"]
        assert all(b["category"] == "S" for b in new if D(b["rate"]))
        zero = [b for b in new if not D(b["rate"])]
        assert all(b["category"] == "Z" and D(b["tax"]) == 0 for b in zero)
        gained += len(zero)
    assert gained > 0  # the fixture has lines, discounts and fees at 0 %: their groups now appear


def test_r35_the_migrated_workspace_reads_through_the_cli_as_before(migrated, capsys, monkeypatch):
    from invoice_tui.cli import main

    ws, _ = migrated
    url = ws.url
    ws.db.close()
    monkeypatch.setenv("INVOICE_TUI_TODAY", BEFORE["today"])
    assert main(["--db", url, "--user", "root", "invoices", "list", "--json"]) == 0
    listed = {str(r["id"]): r for r in json.loads(capsys.readouterr().out)}
    assert set(listed) == set(BEFORE["invoices"])
    for inv_id, old in BEFORE["invoices"].items():
        rec = listed[inv_id]
        assert [{k: b[k] for k in ("rate", "basis", "tax")} for b in rec["tax_breakdown"] if D(b["rate"])] \
            == old["tax_breakdown"]
