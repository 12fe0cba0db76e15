"""R57 (chronological numbering) and R13/R18 (a voided invoice tells the truth) on SQLite and
PostgreSQL. Issue 19: INV-1290 dated 2019 was finalized after INV-1289 dated 2026; a voided
invoice still showed its balance due in the index and on its page, and its buyer page offered
"View and pay online" under "nothing is due"."""

from __future__ import annotations

import pytest

from invoice_tui.db.models import Invoice
from invoice_tui.documents.markdown import invoice_markdown
from invoice_tui.domain import invoices
from invoice_tui.domain.errors import RuleRefused
from invoice_tui.domain.index_query import IndexQuery
from invoice_tui.domain.workspace import set_setting
from rulekit import census, make_draft, make_open
from tests.clikit import Cli, isolated_config  # noqa: F401 - autouse: no personal config in the CLI runs


@pytest.fixture
def any_cli_ctx(db_url, ws, admin, buyer, capsys, monkeypatch):
    monkeypatch.setenv("INVOICE_TUI_TODAY", admin.today().isoformat())  # the CLI's today is the tests' clock
    return Cli(db_url, capsys, user=admin.login), admin, buyer


def test_r57_finalizing_refuses_a_date_before_the_latest_numbered_invoice(ws, admin, buyer):
    recent = make_open(admin, buyer, invoice_date="2026-03-01")
    old = make_draft(admin, buyer, invoice_date="2019-06-01")
    before = census()
    with pytest.raises(RuleRefused, match=rf"dated 2019-06-01, before {recent.number} dated 2026-03-01: numbers "
                                          r"must follow the invoice dates \(R57\)\. Date it today \(2026-03-16\)"
                       ) as exc:
        invoices.finalize_invoice(admin, old.id)
    assert exc.value.code == "invoice.date_before_latest" and exc.value.field == "invoice_date"
    assert census() == before  # no number taken, nothing written
    same_day = invoices.finalize_invoice(admin, make_draft(admin, buyer, invoice_date="2026-03-01").id)
    invoices.edit_invoice(admin, old.id, {"invoice_date": "2026-03-16", "due_date": "2026-04-15"})
    dated_today = invoices.finalize_invoice(admin, old.id)
    numbered = list(Invoice.select().where(Invoice.number_seq.is_null(False)).order_by(Invoice.number_seq))
    assert [i.id for i in numbered] == [recent.id, same_day.id, dated_today.id]
    assert [i.invoice_date for i in numbered] == sorted(i.invoice_date for i in numbered)


def test_r57_the_cli_offers_today(any_cli_ctx):
    cli, admin, buyer = any_cli_ctx
    make_open(admin, buyer, invoice_date="2026-03-10")
    old = make_draft(admin, buyer, invoice_date="2025-01-01")
    res = cli("invoices", "finalize", str(old.id))
    assert res.code == 1
    assert f"invoice-tui invoices edit {old.id} --date today" in res.err and "2026-03-16" in res.err


def test_r13_a_voided_invoice_owes_nothing_everywhere(ws, admin, buyer):
    set_setting(admin, "public_base_url", "https://invoices.example.com")
    inv = make_open(admin, buyer)
    assert inv.balance_minor == 10000
    inv = invoices.void_invoice(admin, inv.id)
    row = Invoice.get_by_id(inv.id)
    assert row.balance_minor == 0 and row.billed_minor == 10000  # the index's and the export's column
    record = invoices.invoice_record(row, admin.today())  # --json, the CLI's show
    assert record["balance_due"] == "0.00" and record["amount_billed"] == "100.00"
    assert invoices.invoice_totals(row).balance == 0  # the page, the panel, the PDF
    doc = invoice_markdown(row)
    assert "View and pay online" not in doc and "## View online" in doc  # a link to view it, nothing to pay
    assert "€100.00" in doc
    from invoice_tui.domain.invoice_page import load_invoice_view

    view = load_invoice_view(admin, inv.id)
    assert dict(view.about)["Balance due"] == "€0.00" and view.balance == 0
    from invoice_tui.domain import views

    totals = views.index_totals(admin, IndexQuery()) if hasattr(views, "index_totals") else None
    assert totals is None or all(t.balance_minor == 0 for t in totals)


def test_r13_the_buyer_page_of_a_voided_invoice_offers_nothing_to_pay(ws, admin, buyer):
    from invoice_tui.web.app import BuyerApp

    set_setting(admin, "public_base_url", "https://invoices.example.com")
    inv = invoices.void_invoice(admin, make_open(admin, buyer).id)
    page = BuyerApp()._page(Invoice.get_by_id(inv.id), inv.link_token)
    assert "nothing is due" in page
    assert "pay online" not in page.lower() and "Payment instructions" not in page


def test_r13_the_migration_zeroes_the_balances_voided_before(ws, admin, buyer):
    from importlib import import_module

    inv = invoices.void_invoice(admin, make_open(admin, buyer).id)
    Invoice.update(balance_minor=10000).where(Invoice.id == inv.id).execute()  # as voiding left it before
    import_module("invoice_tui.db.migrations.0015_voided_balance").up(None, Invoice._meta.database)
    assert Invoice.get_by_id(inv.id).balance_minor == 0
