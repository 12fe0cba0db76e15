"""Pilot tests of the invoice screen: each action driven through the UI on a real SQLite
workspace, the database asserted afterwards (status, balance, payments, history rows), and each
refusal's sentence shown."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import DataTable, Input, OptionList, Static, TabbedContent

from test_invoice_support import (app_for, contact, draft, inv, invoice_payments, kinds, notifications, people,
                                  open_invoice, payments, set_setting, settle, show_invoice, type_text, workspace)


async def test_invoice_screen_shows_document_cards_and_actions(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    c = contact(ctx)
    i = open_invoice(ctx, c.id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        assert screen.view.label == "INV-1001"
        assert str(screen.query_one("#invoice-status-badge", Static).render()).strip() == "Open"
        ids = [a.id for a in screen.view.actions]
        assert ids == ["edit", "record_payment", "view_invoice", "property_history", "copy_link", "send_email",
                       "download_pdf", "edit_reminders", "charge", "clone", "delete", "void"]
        await pilot.press("a")
        await settle(pilot, app)
        menu = app.screen.query_one("#actions-list", OptionList)
        assert menu.option_count == len(ids)
        charge = menu.get_option("charge")
        assert charge.disabled and "payment processor" in str(charge.prompt)
        await pilot.press("escape")


async def test_r8_record_partial_payment(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await pilot.press("p")
        await settle(pilot, app)
        amount = app.screen.query_one("#payment-amount", Input)
        assert amount.value == "1590.50"  # prefilled with the balance
        amount.value = ""
        await type_text(pilot, "500")
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "InvoiceScreen"
    row = inv(i.id)
    assert (row.status, row.paid_minor, row.balance_minor) == ("open", 50000, 109050)
    assert [p.amount_minor for p in invoice_payments(i.id)] == [50000]
    assert "payment_recorded" in kinds(i.id)


async def test_r8_more_than_balance_refused_in_modal(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await pilot.press("p")
        await settle(pilot, app)
        app.screen.query_one("#payment-amount", Input).value = "2000"
        await pilot.click("#payment-record")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "RecordPaymentModal"
        text = str(app.screen.query_one("#payment-error", Static).render())
        assert "more than the balance due" in text
    assert invoice_payments(i.id) == []
    assert inv(i.id).balance_minor == 159050


async def test_r8_partial_refused_when_not_allowed(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id, partial=False)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await pilot.press("p")
        await settle(pilot, app)
        app.screen.query_one("#payment-amount", Input).value = "100"
        await pilot.click("#payment-record")
        await settle(pilot, app)
        assert "does not allow partial payments" in str(app.screen.query_one("#payment-error", Static).render())
    assert invoice_payments(i.id) == []


async def test_r8_field_validator_gives_instant_feedback(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await pilot.press("p")
        await settle(pilot, app)
        amount = app.screen.query_one("#payment-amount", Input)
        amount.value = ""
        await type_text(pilot, "12.345")
        await settle(pilot, app)
        assert "at most 2 decimals" in str(app.screen.query_one("#payment-amount-error", Static).render())


async def test_r8_full_payment_makes_invoice_paid(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id, partial=False)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        await pilot.press("p")
        await settle(pilot, app)
        await pilot.click("#payment-record")
        await settle(pilot, app)
        assert screen.view.status == "paid"
        assert "record_payment" not in [a.id for a in screen.view.actions]
    row = inv(i.id)
    assert (row.status, row.balance_minor, row.payment_date) == ("paid", 0, clock().date())


async def test_r9_apply_existing_payment(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    c = contact(ctx)
    i = open_invoice(ctx, c.id)
    usd = payments.add_payment(ctx, {"amount": "100", "currency": "USD", "contact_id": c.id})
    eur = payments.add_payment(ctx, {"amount": "100", "currency": "EUR", "contact_id": c.id, "reference": "WIRE-7"})
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await pilot.press("p")
        await settle(pilot, app)
        app.screen.query_one(TabbedContent).active = "tab-apply"
        await settle(pilot, app)
        app.screen.query_one("#apply-search", Input).focus()
        await type_text(pilot, "bob@")
        await settle(pilot, app)
        table = app.screen.query_one("#apply-table", DataTable)
        assert table.row_count == 1  # only the EUR payment: R9 lists the invoice's currency
        table.focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "InvoiceScreen"
    assert [p.id for p in invoice_payments(i.id)] == [eur.id]
    assert payments.get_payment(usd.id).invoice_id is None
    assert inv(i.id).balance_minor == 159050 - 10000
    assert "payment_applied" in kinds(i.id)


async def test_r9_payment_applied_elsewhere_meanwhile_is_refused(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    c = contact(ctx)
    i = open_invoice(ctx, c.id)
    other = open_invoice(ctx, c.id)
    p = payments.add_payment(ctx, {"amount": "100", "currency": "EUR", "contact_id": c.id})
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await pilot.press("p")
        await settle(pilot, app)
        app.screen.query_one(TabbedContent).active = "tab-apply"
        await settle(pilot, app)
        payments.apply_payment(ctx, p.id, other.id)  # another user, at the same moment
        app.screen.query_one("#apply-table", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert "already applied to INV-1002" in str(app.screen.query_one("#apply-error", Static).render())
    assert invoice_payments(i.id) == []


async def test_r11_delete_payment_reopens_paid_invoice(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    payments.record_payment(ctx, i.id, {"amount": "1590.50"})
    assert inv(i.id).status == "paid"
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await pilot.press("2")
        assert app.focused.id == "payments-table"
        await pilot.press("enter")  # open the payment
        await settle(pilot, app)
        assert type(app.screen).__name__ == "PaymentDetailModal"
        await pilot.press("d")
        await settle(pilot, app)
        await pilot.click("#confirm")
        await settle(pilot, app)
    row = inv(i.id)
    assert (row.status, row.balance_minor, row.payment_date) == ("open", 159050, None)
    assert invoice_payments(i.id) == []
    assert kinds(i.id)[-1] == "payment_deleted"


async def test_r11_online_payment_is_not_deleted(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    c = contact(ctx)
    i = open_invoice(ctx, c.id)
    p = payments.add_payment(ctx, {"amount": "10", "currency": "EUR", "source": "online", "state": "processing",
                                   "contact_id": c.id})
    payments.apply_payment(ctx, p.id, i.id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await pilot.press("2", "d")
        await settle(pilot, app)
        assert any("never deleted" in n for n in notifications(app))
    assert [x.id for x in invoice_payments(i.id)] == [p.id]


async def _choose(pilot, app, action_id):
    await pilot.press("a")
    await settle(pilot, app)
    menu = app.screen.query_one("#actions-list", OptionList)
    menu.highlighted = menu.get_option_index(action_id)
    await pilot.press("enter")
    await settle(pilot, app)


async def test_r13_void_with_typed_confirmation(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await _choose(pilot, app, "void")
        assert "irreversible" in str(app.screen.query_one("#dialog-message", Static).render())
        await type_text(pilot, "INV-100")  # not the number yet: nothing happens
        await pilot.press("enter")
        await settle(pilot, app)
        assert inv(i.id).status == "open"
        await type_text(pilot, "1")
        await pilot.press("enter")
        await settle(pilot, app)
    assert inv(i.id).status == "voided"
    assert kinds(i.id)[-1] == "voided"


async def test_r13_void_refused_while_manual_payment(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    payments.record_payment(ctx, i.id, {"amount": "100"})
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        void = next(a for a in screen.view.actions if a.id == "void")
        assert not void.enabled and "delete the payment before voiding" in void.reason
        await _choose(pilot, app, "void")  # disabled: Enter does nothing
        await pilot.press("escape")
        screen.run_action_id("void")
        await settle(pilot, app)
        assert any("delete the payment before voiding" in n for n in notifications(app))
    assert inv(i.id).status == "open"


async def test_r12_delete_draft(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    d = draft(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, d.id)
        await _choose(pilot, app, "delete")
        await pilot.click("#confirm")
        await settle(pilot, app)
        assert type(app.screen).__name__ != "InvoiceScreen"
    from invoice_tui.db.models import Invoice
    assert Invoice.get_or_none(Invoice.id == d.id) is None
    assert kinds(d.id)[-1] == "deleted"  # history stays


async def test_r12_delete_finalized_refused_while_setting_off(sqlite_url, clock):
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


async def test_r12_r3_delete_finalized_typed_confirmation_mentions_gap(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    set_setting(ctx, "allow_delete_unpaid", "true")
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await _choose(pilot, app, "delete")
        assert "permanent gap" in str(app.screen.query_one("#dialog-message", Static).render())
        await type_text(pilot, "INV-1001")
        await pilot.press("enter")
        await settle(pilot, app)
    from invoice_tui.db.models import Invoice
    assert Invoice.get_or_none(Invoice.id == i.id) is None
    assert open_invoice(ctx, contact(ctx, "c2@example.com").id).number == "INV-1002"  # the gap stays


async def test_r2_finalize_draft_shows_number(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    d = draft(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, d.id)
        await _choose(pilot, app, "finalize")
        assert "INV-1001" in str(app.screen.query_one("#dialog-message", Static).render())
        await pilot.click("#confirm")
        await settle(pilot, app)
    row = inv(d.id)
    assert (row.status, row.number) == ("open", "INV-1001")
    assert row.link_token


async def test_r2_finalize_refused_without_billing_contact(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    d = draft(ctx)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show_invoice(pilot, app, d.id)
        fin = next(a for a in screen.view.actions if a.id == "finalize")
        assert not fin.enabled and "billing contact" in fin.reason
    assert inv(d.id).status == "draft"


async def test_r14_clone_opens_new_draft(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await _choose(pilot, app, "clone")
        await settle(pilot, app)
        assert app.screen.view.status == "draft"
        new_id = app.screen.invoice_id
    assert new_id != i.id and inv(new_id).origin == "clone"
    assert kinds(new_id) == ["cloned"]


async def test_r15_property_history_modal(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await _choose(pilot, app, "property_history")
        await settle(pilot, app)
        props = app.screen.query_one("#property-list", OptionList)
        ids = [props.get_option_at_index(n).id for n in range(props.option_count)]
        assert "status" in ids and "number" in ids
        props.highlighted = ids.index("status")
        await settle(pilot, app)
        table = app.screen.query_one("#property-changes", DataTable)
        rows = [table.get_row_at(n) for n in range(table.row_count)]
        assert [r[3:] for r in rows] == [["—", "draft"], ["draft", "open"]]
        assert rows[0][1] == "alice" and rows[0][2] == "test"


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
        assert "☐ Call Bob (due 2026-03-23)" in str(table.get_row_at(0)[2])
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press("slash")
        await type_text(pilot, "copy")
        await settle(pilot, app)
        table = app.screen.query_one("#history-table", DataTable)
        assert table.row_count == 1 and "Customer asked" in str(table.get_row_at(0)[2])
    assert kinds(i.id)[-3:] == ["note", "task", "task_done"]


async def test_copy_link_explains_missing_public_base_url(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await _choose(pilot, app, "copy_link")
        assert "invoice-tui settings set public_base_url" in str(
            app.screen.query_one("#dialog-message", Static).render())


async def test_copy_link_copies_buyer_link(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    set_setting(ctx, "public_base_url", "https://pay.example.com/")
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, i.id)
        await _choose(pilot, app, "copy_link")
        link = f"https://pay.example.com/i/{inv(i.id).link_token}"
        assert app.clipboard == link
        assert link in str(app.screen.query_one("#dialog-message", Static).render())
    assert inv(i.id).last_sent_date is None  # R32: copying the link is not sending


async def test_r17_view_only_user_sees_reasons(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    people.add_user(ctx, "victor", permissions="view")
    app = app_for(sqlite_url, clock, user="victor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        await pilot.press("p")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "InvoiceScreen"
        assert any("lacks the 'edit' permission" in n for n in notifications(app))
        edit = next(a for a in screen.view.actions if a.id == "edit")
        assert not edit.enabled
    assert invoice_payments(i.id) == []


async def test_contacts_card_add_and_make_billing(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    bob = contact(ctx)
    ann = contact(ctx, "ann@example.com", "Ann", "Other")
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
        assert table.row_count == 2
        keys = [table.coordinate_to_cell_key((n, 0)).row_key.value for n in range(table.row_count)]
        table.focus()
        table.move_cursor(row=keys.index(str(ann.id)))
        await pilot.press("b")
        await settle(pilot, app)
    row = inv(d.id)
    assert row.billing_contact_id == ann.id and row.contact_email == "ann@example.com"


async def test_about_card_change_owner(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    d = draft(ctx, contact(ctx).id)
    people.add_user(ctx, "carol", name="Carol", permissions="edit")
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_invoice(pilot, app, d.id)
        await pilot.press("1", "o")
        await settle(pilot, app)
        await type_text(pilot, "carol")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
    assert inv(d.id).owner_name == "Carol"


async def test_send_and_pdf_never_fake_success(sqlite_url, clock):
    from invoice_tui.widgets import invoice_hooks

    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        send = next(a for a in screen.view.actions if a.id == "send_email")
        if not invoice_hooks.available("send_email"):
            assert not send.enabled and "not available yet" in send.reason.lower()
            await pilot.press("s")
            await settle(pilot, app)
            assert type(app.screen).__name__ == "InvoiceScreen"
    assert inv(i.id).last_sent_date is None
