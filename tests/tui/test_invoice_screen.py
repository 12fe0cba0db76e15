"""Pilot tests of the invoice screen: each action driven through the UI on a real SQLite
workspace, the database asserted afterwards (status, balance, payments, history rows), and each
refusal's sentence shown. Several actions share one app session to keep the suite fast."""

from __future__ import annotations

from textual.widgets import DataTable, Input, OptionList, Static, TabbedContent

from invoice_tui.db.models import Invoice
from test_invoice_support import (app_for, contact, draft, inv, invoice_payments, kinds, notifications, open_invoice,
                                  open_payment_form, payments, people, set_setting, settle, show_invoice, type_text,
                                  workspace)


def text_of(screen, selector) -> str:
    return str(screen.query_one(selector, Static).render())


async def submit_amount(pilot, app, value: str) -> None:
    """Type an amount in the record-payment modal and press Enter (submits the form)."""
    amount = app.screen.query_one("#payment-amount", Input)
    amount.value = value
    amount.focus()
    await pilot.press("enter")
    await settle(pilot, app)


async def choose(pilot, app, action_id):
    """Open the actions menu (a), highlight ``action_id`` and press Enter."""
    await pilot.press("a")
    await settle(pilot, app)
    menu = app.screen.query_one("#actions-list", OptionList)
    menu.highlighted = menu.get_option_index(action_id)
    await pilot.press("enter")
    await settle(pilot, app)


async def test_r4_r5_r15_document_actions_menu_history_and_link(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        assert screen.view.label == "INV-1001"
        assert text_of(screen, "#invoice-status-badge").strip() == "Open"
        ids = [a.id for a in screen.view.actions]
        assert ids == ["edit", "record_payment", "view_invoice", "property_history", "copy_link", "send_email",
                       "download_pdf", "edit_reminders", "charge", "clone", "delete", "void",
                       "credit_note", "cancel_replace"]  # R5, open; R36/R41: corrected by a credit note
        # the menu shows every action; a disabled one carries its reason and cannot be chosen
        await pilot.press("a")
        await settle(pilot, app)
        menu = app.screen.query_one("#actions-list", OptionList)
        assert menu.option_count == len(ids)
        charge = menu.get_option("charge")
        assert charge.disabled and "payment processor" in str(charge.prompt)
        await pilot.press("escape")
        # R15: property history, per property, old → new, who, source
        await choose(pilot, app, "property_history")
        props = app.screen.query_one("#property-list", OptionList)
        prop_ids = [props.get_option_at_index(n).id for n in range(props.option_count)]
        assert "status" in prop_ids and "number" in prop_ids
        props.highlighted = prop_ids.index("status")
        await settle(pilot, app)
        table = app.screen.query_one("#property-changes", DataTable)
        rows = [str(table.get_row_at(n)[0]).split("\n") for n in range(table.row_count)]  # one change a row
        assert [r[1] for r in rows] == ["— → Draft", "Draft → Open"]  # the statuses as the index names them
        assert rows[0][0].endswith(" · alice · test")
        await pilot.press("escape")
        # all properties of the About card
        await pilot.press("1", "v")
        await settle(pilot, app)
        values = app.screen.query_one("#all-properties", DataTable)
        assert ["Balance due", "1590.50"] in [[str(c) for c in values.get_row_at(n)] for n in range(values.row_count)]
        await pilot.press("escape")
        # copy link without a public base URL says how to set one
        await choose(pilot, app, "copy_link")
        assert "invoice-tui settings set public_base_url" in text_of(app.screen, "#dialog-message")
        await pilot.press("escape")
        set_setting(ctx, "public_base_url", "https://pay.example.com/")
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        await choose(pilot, app, "copy_link")
        link = f"https://pay.example.com/i/{inv(i.id).link_token}"
        assert app.clipboard == link  # OSC 52
        assert link in text_of(app.screen, "#dialog-message")
        await pilot.press("escape")
        # send, PDF and reminders are wired to their screens: enabled on an open invoice
        assert all(a.enabled for a in screen.view.actions if a.id in ("send_email", "download_pdf", "edit_reminders"))
    assert inv(i.id).last_sent_date is None  # R32: copying the link is not sending


async def test_r8_r9_r11_r13_payment_lifecycle(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    c = contact(ctx)
    i = open_invoice(ctx, c.id)
    other = open_invoice(ctx, c.id)
    usd = payments.add_payment(ctx, {"amount": "100", "currency": "USD", "contact_id": c.id})
    eur = payments.add_payment(ctx, {"amount": "100", "currency": "EUR", "contact_id": c.id, "reference": "WIRE-7"})
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, modal = await open_payment_form(pilot, app, i.id)
        amount = modal.query_one("#payment-amount", Input)
        assert amount.value == "1590.50"  # prefilled with the balance
        # instant field feedback (Validator), then the service's R8 refusal in the modal
        amount.value = ""
        await type_text(pilot, "12.345")
        await settle(pilot, app)
        assert "at most 2 decimals" in text_of(modal, "#payment-amount-error")
        await submit_amount(pilot, app, "2000")
        assert type(app.screen).__name__ == "ConfirmDialog"  # R8: an overpayment only when confirmed
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen is modal and "more than the balance due" in text_of(modal, "#payment-error")
        assert invoice_payments(i.id) == []
        # R8: a partial payment
        amount.value = ""
        await type_text(pilot, "500")
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.screen is screen
        row = inv(i.id)
        assert (row.status, row.paid_minor, row.balance_minor) == ("open", 50000, 109050)
        assert kinds(i.id)[-1] == "payment_recorded"
        # R9: apply an existing payment; only the invoice's currency is listed
        await pilot.press("p")
        await settle(pilot, app)
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        assert app.screen.query_one(TabbedContent).active == "tab-apply"
        await type_text(pilot, "bob@")
        await settle(pilot, app)
        table = app.screen.query_one("#apply-table", DataTable)
        assert table.row_count == 1
        await pilot.press("enter")  # issue 24: Enter in the search picks the only match: applied
        await settle(pilot, app)
        assert app.screen is screen
        assert eur.id in [p.id for p in invoice_payments(i.id)]
        assert payments.get_payment(usd.id).invoice_id is None
        assert inv(i.id).balance_minor == 109050 - 10000
        assert kinds(i.id)[-1] == "payment_applied"
        # R9: applied to another invoice by someone else meanwhile → refused in the modal
        late = payments.add_payment(ctx, {"amount": "10", "currency": "EUR", "contact_id": c.id})
        await pilot.press("p")
        await settle(pilot, app)
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        payments.apply_payment(ctx, late.id, other.id)
        app.screen.query_one("#apply-table", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert "already applied to INV-1002" in text_of(app.screen, "#apply-error")
        await pilot.press("escape")
        await settle(pilot, app)
        # R13: void refused while a manual payment is recorded
        void = next(a for a in screen.view.actions if a.id == "void")
        assert not void.enabled and "delete the payment before voiding" in void.reason
        await choose(pilot, app, "void")  # disabled: Enter does nothing
        assert type(app.screen).__name__ == "ActionsModal"
        await pilot.press("escape")
        # R11: delete both payments from the payments card (d, and via the payment's detail)
        await pilot.press("2")
        assert app.focused.id == "payments-table"
        await pilot.press("d")
        await settle(pilot, app)
        await pilot.click("#confirm")
        await settle(pilot, app)
        assert len(invoice_payments(i.id)) == 1 and kinds(i.id)[-1] == "payment_deleted"
        await pilot.press("2", "enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "PaymentDetailModal"
        await pilot.press("d")
        await settle(pilot, app)
        await pilot.click("#confirm")
        await settle(pilot, app)
        assert invoice_payments(i.id) == [] and inv(i.id).balance_minor == 159050
        # R13: void with a typed confirmation (the wrong text does nothing)
        await choose(pilot, app, "void")
        assert "irreversible" in text_of(app.screen, "#dialog-message")
        await type_text(pilot, "INV-100")
        await pilot.press("enter")
        await settle(pilot, app)
        assert inv(i.id).status == "open"
        await type_text(pilot, "1")
        await pilot.press("enter")
        await settle(pilot, app)
        assert screen.view.status == "voided"
        assert [a.id for a in screen.view.actions] == ["view_invoice", "property_history", "copy_link",
                                                       "download_pdf", "clone"]  # R5, voided
    assert inv(i.id).status == "voided" and kinds(i.id)[-1] == "voided"


async def test_r8_r11_full_payment_paid_reopened_and_online_payment_kept(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    c = contact(ctx)
    i = open_invoice(ctx, c.id, partial=False)
    online_inv = open_invoice(ctx, c.id)
    online = payments.add_payment(ctx, {"amount": "10", "currency": "EUR", "source": "online",
                                        "state": "processing", "contact_id": c.id})
    payments.apply_payment(ctx, online.id, online_inv.id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        await pilot.press("p")
        await settle(pilot, app)
        await submit_amount(pilot, app, "100")
        assert "does not allow partial payments" in text_of(app.screen, "#payment-error")
        await submit_amount(pilot, app, "1590.50")
        assert screen.view.status == "paid"
        assert "record_payment" not in [a.id for a in screen.view.actions]
        row = inv(i.id)
        assert (row.status, row.balance_minor, row.payment_date) == ("paid", 0, clock().date())
        # R11: deleting the manual payment reopens the paid invoice
        await pilot.press("2", "d")
        await settle(pilot, app)
        await pilot.click("#confirm")
        await settle(pilot, app)
        row = inv(i.id)
        assert (row.status, row.balance_minor, row.payment_date) == ("open", 159050, None)
        # R11: an online payment is never deleted
        await pilot.press("escape")
        screen = await show_invoice(pilot, app, online_inv.id)
        await pilot.press("2", "d")
        await settle(pilot, app)
        assert any("never deleted" in n for n in notifications(app))
    assert [x.id for x in invoice_payments(online_inv.id)] == [online.id]


async def test_r2_r12_r14_drafts_finalize_delete_clone(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    bob = contact(ctx)
    lonely = draft(ctx)
    d = draft(ctx, bob.id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show_invoice(pilot, app, lonely.id)
        assert [a.id for a in screen.view.actions] == ["edit", "finalize", "property_history", "clone", "delete"]
        fin = next(a for a in screen.view.actions if a.id == "finalize")
        assert not fin.enabled and "billing contact" in fin.reason  # R2
        # R12: delete a draft; its history stays
        await choose(pilot, app, "delete")
        await pilot.click("#confirm")
        await settle(pilot, app)
        assert type(app.screen).__name__ != "InvoiceScreen"
        assert Invoice.get_or_none(Invoice.id == lonely.id) is None and kinds(lonely.id)[-1] == "deleted"
        # R2/R3: finalize shows the number it will get
        screen = await show_invoice(pilot, app, d.id)
        await choose(pilot, app, "finalize")
        assert "INV-1001" in text_of(app.screen, "#dialog-message")
        await pilot.click("#confirm")
        await settle(pilot, app)
        row = inv(d.id)
        assert (row.status, row.number) == ("open", "INV-1001") and row.link_token
        # R14: clone opens the new draft
        await choose(pilot, app, "clone")
        await settle(pilot, app)
        assert app.screen.view.status == "draft"
        new_id = app.screen.invoice_id
    assert new_id != d.id and inv(new_id).origin == "clone" and inv(new_id).number is None
    assert kinds(new_id) == ["cloned"]


async def test_r12_r3_delete_finalized_refused_then_typed_with_gap(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        delete = next(a for a in screen.view.actions if a.id == "delete")
        assert not delete.enabled and "allow_delete_unpaid" in delete.reason
        screen.run_action_id("delete")
        await settle(pilot, app)
        assert any("allow_delete_unpaid" in n for n in notifications(app))
        assert inv(i.id).status == "open"
        set_setting(ctx, "allow_delete_unpaid", "true")
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        await choose(pilot, app, "delete")
        assert "permanent gap" in text_of(app.screen, "#dialog-message")
        await type_text(pilot, "INV-1001")
        await pilot.press("enter")
        await settle(pilot, app)
    assert Invoice.get_or_none(Invoice.id == i.id) is None
    assert open_invoice(ctx, contact(ctx, "c2@example.com").id).number == "INV-1002"  # the gap stays (R3)


async def test_r16_history_note_task_done_and_search(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await pilot.press("5")
        assert app.focused.id == "history-table"
        await pilot.press("n")
        await settle(pilot, app)
        await type_text(pilot, "Customer asked for a copy")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        app.screen.query_one("#history-table", DataTable).focus()
        await pilot.press("t")
        await settle(pilot, app)
        await type_text(pilot, "Call Bob")
        await pilot.press("enter")
        await settle(pilot, app)
        table = app.screen.query_one("#history-table", DataTable)
        assert "☐ Call Bob (due 3/23/26)" in str(table.get_row_at(0)[0])  # issue 24: one event a row; reader's dates
        assert "· alice\n" in str(table.get_row_at(0)[0])
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")  # mark the task done
        await settle(pilot, app)
        await pilot.press("slash")
        await type_text(pilot, "copy")
        await settle(pilot, app)
        table = app.screen.query_one("#history-table", DataTable)
        assert table.row_count == 1 and "Customer asked" in str(table.get_row_at(0)[0])
        invoice_screen = app.screen
        await pilot.press("escape")  # issue 24: Escape clears the search before it leaves the page
        await settle(pilot, app)
        assert app.screen is invoice_screen and app.screen.query_one("#history-search", Input).value == ""
        assert app.screen.query_one("#history-table", DataTable).row_count > 1
    assert kinds(i.id)[-3:] == ["note", "task", "task_done"]


async def test_r17_view_only_user_is_told_why(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    people.add_user(ctx, "victor", permissions="view")
    app = app_for(sqlite_url, clock, user="victor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        await pilot.press("p")
        await settle(pilot, app)
        assert app.screen is screen
        assert any("lacks the 'edit' permission" in n for n in notifications(app))
        assert not any(a.enabled for a in screen.view.actions if a.id in ("edit", "void", "clone", "delete"))
        # the same action from the ctrl+p palette ("Invoices: Record payment") says why, too
        app._notifications.clear()
        await pilot.press("ctrl+p")
        await settle(pilot, app)
        await type_text(pilot, "Invoices: Record payment")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.screen is screen
        assert any("lacks the 'edit' permission" in n for n in notifications(app))
    assert invoice_payments(i.id) == []


async def test_cards_contacts_billing_and_owner(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    bob = contact(ctx)
    ann = contact(ctx, "ann@example.com", "Ann", "Other")
    people.add_user(ctx, "carol", name="Carol", permissions="edit")
    d = draft(ctx, bob.id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, d.id)
        await pilot.press("3", "n")
        await settle(pilot, app)
        await type_text(pilot, "ann@")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        table = app.screen.query_one("#contacts-table", DataTable)
        keys = [table.coordinate_to_cell_key((n, 0)).row_key.value for n in range(table.row_count)]
        assert sorted(keys) == sorted([str(bob.id), str(ann.id)])
        table.focus()
        table.move_cursor(row=keys.index(str(bob.id)))
        await pilot.press("x")  # the billing contact cannot be removed
        await settle(pilot, app)
        assert any("billing contact" in n for n in notifications(app))
        table.move_cursor(row=keys.index(str(ann.id)))
        await pilot.press("b")
        await settle(pilot, app)
        assert inv(d.id).billing_contact_id == ann.id
        await pilot.press("1", "o")
        await settle(pilot, app)
        await type_text(pilot, "carol")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
    row = inv(d.id)
    assert (row.contact_email, row.owner_name) == ("ann@example.com", "Carol")
    assert "edited" in kinds(d.id)


async def test_panel_values_fit_the_panel_at_80_columns_and_follow_a_resize(sqlite_url, clock):
    """The About card's value column takes what the panel leaves (34 columns at 80): a date is
    shown whole at 80×24, and the column widens again when the terminal does."""
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)

    def about(table) -> dict:
        return dict(table.get_row_at(n) for n in range(table.row_count))

    async with app.run_test(size=(80, 24)) as pilot:
        await show_invoice(pilot, app, i.id)
        await settle(pilot, app)  # the cards fit their columns once they know their width
        table = app.screen.query_one("#about-table", DataTable)
        label, value = table.columns.values()
        visible = table.scrollable_content_region.width - label.get_render_width(table)
        assert len("2026-04-15") <= value.width and value.get_render_width(table) <= visible
        assert about(table)["Due date"] == "4/15/26"  # issue 24: the reader's short form
        narrow = value.width
        await pilot.resize_terminal(160, 40)
        await settle(pilot, app)
        assert list(table.columns.values())[1].width > narrow
        assert about(table)["Due date"] == "4/15/26"  # the rows were added again
