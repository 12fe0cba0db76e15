"""Pilot tests of the invoice editor: new drafts, locale numbers, the line grid, adjustments,
finalizing (R2, R3), finalized edits (R6, R7) — the database asserted afterwards."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import DataTable, Input, Static

from invoice_tui.db.models import Adjustment, Invoice, LineItem
from test_invoice_support import (app_for, contact, draft, inv, invoices, kinds, notifications, open_invoice,
                                  set_setting, settle, type_text, workspace)


async def open_editor(pilot, app, invoice_id):
    from invoice_tui.screens.editor import EditorScreen

    await settle(pilot, app)
    app.push_screen(EditorScreen(invoice_id))
    await settle(pilot, app)
    return app.screen


def lines_of(invoice_id):
    return list(LineItem.select().where(LineItem.invoice == invoice_id).order_by(LineItem.position))


async def test_r1_new_draft_with_french_numbers_and_live_totals(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    set_setting(ctx, "locale", "fr_FR")  # the workspace's locale: French numbers, and French words (issue 25)
    contact(ctx)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(pilot, app, None)
        currency = editor.query_one("#editor-currency", Input)
        assert currency.value == "EUR"  # the workspace default
        currency.value = "XYZ"
        await settle(pilot, app)
        assert "n’est pas un code de devise ISO 4217" in str(editor.query_one("#error-currency", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is editor and Invoice.select().count() == 0
        assert "n’est pas un code de devise ISO 4217" in str(editor.query_one("#editor-error", Static).render())
        currency.value = "EUR"
        editor.query_one("#editor-title", Input).focus()
        await type_text(pilot, "Mission mars")
        await pilot.press("ctrl+b")
        await settle(pilot, app)
        await type_text(pilot, "bob")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press("ctrl+l")
        await settle(pilot, app)
        await type_text(pilot, "Conseil")
        modal = app.screen
        modal.query_one("#line-quantity", Input).value = "2,5"
        modal.query_one("#line-tax", Input).value = "20"
        modal.query_one("#line-price", Input).focus()
        await type_text(pilot, "1 234,50")
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.screen is editor
        totals = str(editor.query_one("#editor-totals", Static).render())
        assert "3\u202f086,25\u00a0€" in totals and "3\u202f703,50\u00a0€" in totals  # 2.5 × 1234.50, + 20 % tax
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "InvoiceScreen"
    row = Invoice.get()
    assert (row.status, row.title, row.contact_email, row.billed_minor) == ("draft", "Mission mars",
                                                                           "bob@example.com", 370350)
    (line,) = lines_of(row.id)
    assert (line.name, line.quantity, line.unit_price_micro, line.tax_rate) == ("Conseil", Decimal("2.5"), 1_234_500_000,
                                                                               Decimal(20))
    assert row.due_date.isoformat() == "2026-04-15"  # invoice date + the 30-day payment terms


async def test_editor_line_grid_duplicate_reorder_remove_and_discount(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    d = draft(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(pilot, app, d.id)
        table = editor.query_one("#lines-table", DataTable)
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("ctrl+d")  # Consulting, Consulting, Travel
        await pilot.press("right_square_bracket")  # move the copy below Travel
        await pilot.press("right_square_bracket")
        assert [str(table.get_row_at(n)[1]) for n in range(3)] == ["Consulting", "Travel", "Consulting"]
        table.move_cursor(row=0)
        await pilot.press("delete")
        assert table.row_count == 2
        adjustments = editor.query_one("#adjustments-table", DataTable)
        adjustments.focus()
        await pilot.press("plus")
        await settle(pilot, app)
        app.screen.query_one("#adj-label", Input).value = "Loyalty"
        app.screen.query_one("#adj-value", Input).focus()
        await type_text(pilot, "10%")
        await pilot.press("enter")
        await settle(pilot, app)
        assert adjustments.row_count == 1
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is not editor
    assert [li.name for li in lines_of(d.id)] == ["Travel", "Consulting"]
    (adj,) = Adjustment.select().where(Adjustment.invoice == d.id)
    assert (adj.kind, adj.label, adj.is_percent, adj.value) == ("discount", "Loyalty", True, Decimal(10))
    assert "edited" in kinds(d.id)


async def test_r2_finalize_from_editor_shows_the_number_or_says_why_not(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    lonely = draft(ctx)
    d = draft(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_editor(pilot, app, lonely.id)
        await pilot.press("ctrl+f")
        await settle(pilot, app)
        await pilot.click("#confirm")
        await settle(pilot, app)
        assert any("Finalizing needs a billing contact" in n for n in notifications(app))
        assert inv(lonely.id).status == "draft"
        editor = await open_editor(pilot, app, d.id)
        assert "INV-1001" in str(editor.query_one("#editor-finalize").label)
        await pilot.press("ctrl+f")
        await settle(pilot, app)
        assert "It will get the number INV-1001" in str(app.screen.query_one("#dialog-message", Static).render())
        await pilot.click("#confirm")
        await settle(pilot, app)
        assert any("finalized as INV-1001" in n for n in notifications(app))
    row = inv(d.id)
    assert (row.status, row.number) == ("open", "INV-1001")


async def test_r6_r7_finalized_edit_refused_allowed_notify_and_conflict(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        # R6: refused while the workspace setting is off
        await open_editor(pilot, app, i.id)
        assert type(app.screen).__name__ != "EditorScreen"
        assert any("allow_edit_finalized" in n for n in notifications(app))
        set_setting(ctx, "allow_edit_finalized", "true")
        # R6: allowed; currency frozen; after saving, offer to notify the customer
        editor = await open_editor(pilot, app, i.id)
        assert editor.query_one("#editor-currency", Input).disabled
        editor.query_one("#editor-po", Input).value = "PO-77"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert "Notify the customer?" in str(app.screen.query_one("#dialog-title").render())
        await pilot.click("#cancel")
        await settle(pilot, app)
        row = inv(i.id)
        assert (row.po_number, row.number, row.status) == ("PO-77", "INV-1001", "open")
        # R7: the invoice changed under the editor → the save is refused, nothing overwritten
        editor = await open_editor(pilot, app, i.id)
        invoices.edit_invoice(ctx, i.id, {"po_number": "OTHER"})  # another user saves first
        editor.query_one("#editor-title", Input).value = "Mine"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is editor
        assert "changed while you were editing" in str(editor.query_one("#editor-error", Static).render())
    row = inv(i.id)
    assert (row.title, row.po_number) == ("", "OTHER")


async def test_escape_leaves_an_untouched_editor_and_asks_once_something_was_typed(sqlite_url, clock):
    from invoice_tui.modals.dialogs import ConfirmDialog
    from invoice_tui.screens.editor import EditorScreen

    workspace(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(pilot, app, None)
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, EditorScreen)  # nothing typed: no question
        editor = await open_editor(pilot, app, None)
        editor.query_one("#editor-title", Input).focus()
        await type_text(pilot, "Mission")
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)  # typed: "Discard changes?"
    assert Invoice.select().count() == 0


async def test_r35_a_return_at_a_sub_cent_price_with_the_further_fields_behind_ctrl_o(sqlite_url, clock):
    """The line form takes a negative quantity, a 6-decimal price and, behind ctrl+o, the VAT
    category, unit, price base and allowances/charges; the draft saves them (R35)."""
    from textual.widgets import Select

    ws, ctx = workspace(sqlite_url, clock)
    contact(ctx)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(pilot, app, None)
        await pilot.press("ctrl+l")
        await settle(pilot, app)
        modal = app.screen
        await type_text(pilot, "Returned energy")
        assert not modal.query_one("#line-more").display  # the further fields wait behind ctrl+o
        modal.query_one("#line-quantity", Input).value = "-1000"
        modal.query_one("#line-price", Input).value = "0.123456"
        await pilot.press("ctrl+o")
        await settle(pilot, app)
        assert modal.query_one("#line-more").display
        modal.query_one("#line-category", Select).value = "AE"
        modal.query_one("#line-unit", Input).value = "kwh"
        modal.query_one("#line-base", Input).value = "10"
        modal.query_one("#line-charges", Input).value = "+1.50:Meter; -10%:Goodwill"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is editor
        await pilot.press("ctrl+s")
        await settle(pilot, app)
    row = Invoice.get()
    (line,) = lines_of(row.id)
    assert (line.quantity, line.unit_price_micro, line.price_base, line.unit_code, line.tax_category) == (
        Decimal(-1000), 123_456, Decimal(10), "KWH", "AE")
    # −1000 × 0.123456 ÷ 10 = −12.3456; + 1.50; − 10 % of −12.3456 (+1.23456) → −9.61104 → −9.61
    assert row.billed_minor == -961 and row.status == "draft"
    spec = invoices.line_specs(row)[0]
    assert [(c.kind, c.value, c.is_percent, c.reason) for c in spec.charges] == [
        ("charge", Decimal("1.50"), False, "Meter"), ("allowance", Decimal(10), True, "Goodwill")]


async def test_r43_a_micro_entreprise_s_untaxed_line_shows_and_saves_as_exempt(sqlite_url, clock):
    """Under the VAT franchise a line at 0 % without a category is exempt: the editor's grid says
    "0% E" before saving (the category it will be written with) and the draft stores E.
    Known-bad: without the franchise the same line shows no category and is stored Z."""
    ws, ctx = workspace(sqlite_url, clock)
    contact(ctx)
    for franchise, shown, stored in ((True, "0% E", "E"), (False, "", "Z")):
        set_setting(ctx, "vat_franchise", "on" if franchise else "off")
        app = app_for(sqlite_url, clock)
        async with app.run_test(size=(80, 24)) as pilot:
            editor = await open_editor(pilot, app, None)
            await pilot.press("ctrl+l")
            await settle(pilot, app)
            await type_text(pilot, "Cours de guitare")
            app.screen.query_one("#line-price", Input).value = "100"
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert app.screen is editor
            table = editor.query_one("#lines-table", DataTable)
            assert str(table.get_row_at(table.row_count - 1)[5]) == shown
            await pilot.press("ctrl+s")
            await settle(pilot, app)
        row = Invoice.select().order_by(Invoice.id.desc()).get()
        assert [li.tax_category for li in lines_of(row.id)] == [stored]
