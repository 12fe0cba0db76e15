"""Pilot tests of credit notes in the TUI (issue 21; R36–R42): from the invoice's page, a partial
credit note created and issued drops the balance; customer credit applied from the record-payment
modal's third tab; cancel and replace. The database is asserted afterwards."""

from __future__ import annotations

from textual.widgets import Input, Select, Static, TabbedContent

from invoice_tui.db.models import CreditEntry, Invoice
from invoice_tui.domain import credit
from test_invoice_support import (app_for, contact, inv, open_invoice, open_payment_form, payments,
                                  settle, show_invoice, workspace)
from test_invoice_screen import choose, text_of


async def until(pilot, app, condition, timeout: float = 60.0) -> None:
    """Wait for a condition (a reload finished), not for a counted number of pauses."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the screen did not get there in time"
        await settle(pilot, app)


async def test_r37_r39_partial_credit_note_from_the_invoice_page_drops_the_balance(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)  # 3 × 400 at 20 % + 150.50 at 0 %: 1590.50
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        assert {"credit_note", "cancel_replace"} <= {a.id for a in screen.view.actions}
        await choose(pilot, app, "credit_note")
        modal = app.screen
        assert type(modal).__name__ == "CreditNoteModal"
        modal.query_one("#cn-reason", Input).value = "One day not worked"
        modal.query_one("#cn-mode", Select).value = "lines"
        await settle(pilot, app)
        modal.query_one("#cn-lines", Input).value = "1:1"
        modal.query_one("#cn-issue").press()
        await settle(pilot, app)
        assert app.screen is screen
        [cn] = credit.credit_notes_of(inv(i.id))
        assert (cn.number, cn.status, cn.billed_minor) == ("CN-1", "issued", 48000)
        after = inv(i.id)
        assert (after.balance_minor, after.credited_minor) == (159050 - 48000, 48000)
        await until(pilot, app, lambda: "Amount credited" in dict(screen.view.about))
        about = dict(screen.view.about)
        assert about["Amount credited"] == "€480.00" and about["Credit notes"] == "CN-1 -€480.00"
        assert "Balance €1,110.50" in text_of(screen, "#invoice-amounts")
        # the credit note's own page: the same panel, its invoice named, nothing to change
        cn_page = await show_invoice(pilot, app, cn.id)
        assert cn_page.view.label == "CN-1" and text_of(cn_page, "#invoice-status-badge").strip() == "Issued"
        assert dict(cn_page.view.about)["Credits invoice"] == "INV-1001"
        assert {a.id for a in cn_page.view.actions} == {"view_invoice", "property_history", "copy_link",
                                                        "send_email", "download_pdf"}
        assert "# Credit note CN\\-1" in cn_page.view.markdown


async def test_r40_customer_credit_applied_from_the_third_tab(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    buyer = contact(ctx)
    first = open_invoice(ctx, buyer.id)
    payments.record_payment(ctx, first.id, {"amount": "1690.50", "overpay": True})  # 100 over: credit
    second = open_invoice(ctx, buyer.id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        _page, modal = await open_payment_form(pilot, app, second.id)
        tabs = modal.query_one("#payment-tabs", TabbedContent)
        await pilot.press("ctrl+t", "ctrl+t")
        await settle(pilot, app)
        assert tabs.active == "tab-credit"
        assert "has €100.00 of credit" in text_of(modal, "#credit-available")
        amount = modal.query_one("#credit-amount", Input)
        assert amount.value == "100.00"
        amount.value = "150"
        modal.query_one("#credit-apply").press()
        await settle(pilot, app)
        assert "100.00 EUR of credit available" in text_of(modal, "#credit-error")  # refused: nothing written
        assert not CreditEntry.select().where(CreditEntry.kind == "applied").exists()
        amount.value = "60"
        modal.query_one("#credit-apply").press()
        await until(pilot, app, lambda: app.screen is not modal)
        after = inv(second.id)
        assert (after.credited_minor, after.balance_minor) == (6000, 159050 - 6000)
        assert credit.credit_available(credit.customer_of(after), "EUR") == 4000


async def test_r41_cancel_and_replace_issues_a_full_credit_note_and_opens_the_draft(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await choose(pilot, app, "cancel_replace")
        dialog = app.screen
        assert dialog.query_one("#confirm").disabled  # a reason is required (R36)
        dialog.query_one("#dialog-input", Input).value = "Wrong billing address"
        await settle(pilot, app)
        dialog.query_one("#confirm").press()
        await settle(pilot, app)
        await until(pilot, app, lambda: getattr(app.screen, "invoice_id", i.id) != i.id)
        draft = Invoice.select().where(Invoice.refers_to.is_null(False) & (Invoice.doc_type == "invoice")).get()
        assert app.screen.invoice_id == draft.id and draft.status == "draft"  # the draft copy, opened to correct
        original = inv(i.id)
        assert (original.status, credit.settlement_label(original)) == ("paid", "Credited")
        [cn] = credit.credit_notes_of(original)
        assert cn.status == "issued" and cn.billed_minor == original.billed_minor and draft.refers_to == cn.id
        assert cn.reason == "Wrong billing address"


def test_r42_index_rows_show_the_type_and_credit_notes_negative(sqlite_url, clock):
    """The index reads a row's type (filterable: type=credit_note) and draws a credit note's amounts
    negative, an invoice's as they are."""
    from invoice_tui.domain import views
    from invoice_tui.domain.filters import Filter, FilterGroup, FilterSet
    from invoice_tui.widgets.invoice_table import RowFormatter, make_columns, read_page, row_fields

    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    credit.issue_credit_note(ctx, credit.create_credit_note(ctx, i.id, reason="r", amount="100", rate="20").id)
    columns = make_columns(["number", "type", "status", "amount_billed", "balance_due"])
    fields = row_fields(columns)
    q = views.IndexQuery(sort="id")
    prepared = views.prepare(ctx, q, fields)
    page = read_page(prepared, RowFormatter(columns, fields, prepared.today, "en_US"), limit=10)
    cells = [page.row(n).cells for n in range(len(page.raw))]
    assert cells == [["INV-1001", "Invoice", "Open", "€1,590.50", "€1,470.50"],
                     ["CN-1", "Credit note", "Issued", "-€120.00", "€0.00"]]
    only = FilterSet(groups=[FilterGroup(filters=[Filter(property="type", operator="any_of",
                                                         values=["credit_note"])])])
    prepared = views.prepare(ctx, views.IndexQuery(filters=only, sort="id"), fields)
    page = read_page(prepared, RowFormatter(columns, fields, prepared.today, "en_US"), limit=10)
    assert [page.row(n).cells[0] for n in range(len(page.raw))] == ["CN-1"]
    ws.db.close()


async def test_r40_r42_the_customers_page_shows_the_credit_available(sqlite_url, clock):
    from invoice_tui.screens.people import InvoiceListModal

    ws, ctx = workspace(sqlite_url, clock)
    buyer = contact(ctx)
    first = open_invoice(ctx, buyer.id)
    payments.record_payment(ctx, first.id, {"amount": "1630.50", "overpay": True})  # 40 over: credit
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.push_screen(InvoiceListModal("contact", buyer.id, buyer.display_name))
        def shown() -> bool:
            status = app.screen.query("#invoice-list-status")
            return bool(status) and "Credit available" in str(status.first().render())

        await until(pilot, app, shown)
        assert text_of(app.screen, "#invoice-list-status").startswith("Credit available: €40.00 · ")


def test_r42_status_line_totals_take_credit_notes_back(sqlite_url, clock):
    """The per-currency billed total counts a credit note negative, as its row shows it: issued or
    draft (a draft credit note shares its status with draft invoices)."""
    from decimal import Decimal

    from invoice_tui.domain import views

    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    billed = Decimal(i.billed_minor)
    credit.issue_credit_note(ctx, credit.create_credit_note(ctx, i.id, reason="r", amount="100", rate="20").id)
    credit.create_credit_note(ctx, i.id, reason="draft", amount="10", rate="20")  # stays a draft
    total, [eur] = views.prepare(ctx, views.IndexQuery(), ["id"]).count_and_totals()
    assert total == 3 and eur.billed_minor == billed - 12000 - 1200


async def test_r37_a_credit_note_by_amount_starts_at_the_invoice_s_own_vat(sqlite_url, clock):
    """A credit note by amount on a reverse-charged invoice starts at its VAT, "0:AE" (it started at
    "20": a credit note charging French VAT on a reverse-charged supply); on an invoice at 20 %, "20"."""
    from invoice_tui.domain import invoices, people
    from test_invoice_support import draft

    ws, ctx = workspace(sqlite_url, clock)
    company = people.add_company(ctx, {"name": "Böhm AG", "country": "DE", "vat_id": "DE136695976"})
    buyer = people.add_contact(ctx, {"email": "boehm@example.de", "company_id": company.id})
    rc = draft(ctx, buyer.id, company_id=company.id, exemption_reasons={"AE": "Autoliquidation"},
               lines=[{"name": "Audit", "quantity": "1", "unit_price": "500", "tax_rate": "0", "tax_category": "AE"}])
    rc = invoices.finalize_invoice(ctx, rc.id)
    standard = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        for invoice_id, rate in ((rc.id, "0:AE"), (standard.id, "20")):
            await show_invoice(pilot, app, invoice_id)
            await choose(pilot, app, "credit_note")
            modal = app.screen
            assert type(modal).__name__ == "CreditNoteModal"
            assert modal.query_one("#cn-rate", Input).value == rate
            await pilot.press("escape")
            await settle(pilot, app)
            app.pop_screen()
            await settle(pilot, app)
