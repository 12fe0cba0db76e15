"""R57 in the TUI: a payment dated after today is refused beside its date; one dated before the
invoice is recorded once the user confirms it was received in advance (cancelling records nothing)."""

from __future__ import annotations

import datetime as dt

from textual.widgets import Button, Input, Static

from invoice_tui.modals.dialogs import ConfirmDialog
from test_invoice_support import (app_for, contact, invoice_payments, open_invoice, open_payment_form, settle,
                                  workspace)


async def _submit(pilot, app, amount: str, day: str) -> None:
    modal = app.screen
    modal.query_one("#payment-date", Input).value = day
    field = modal.query_one("#payment-amount", Input)
    field.value = amount
    field.focus()
    await pilot.press("enter")
    await settle(pilot, app)


async def test_r57_payment_dates_in_the_record_payment_form(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id, invoice_date="2026-03-10")
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, modal = await open_payment_form(pilot, app, i.id)
        await _submit(pilot, app, "100", "2030-01-01")
        assert app.screen is modal
        assert "cannot be dated after today" in str(modal.query_one("#payment-date-error", Static).render())
        await _submit(pilot, app, "100", "2019-05-01")
        assert isinstance(app.screen, ConfirmDialog)  # asked before anything is written
        assert "received in advance" in str(app.screen.query_one("#dialog-message", Static).render())
        app.screen.query_one("#cancel", Button).press()
        await settle(pilot, app)
        assert app.screen is modal and invoice_payments(i.id) == []
        await _submit(pilot, app, "100", "2019-05-01")
        app.screen.query_one("#confirm", Button).press()
        await settle(pilot, app)
        assert app.screen is screen
        [p] = invoice_payments(i.id)
        assert p.date == dt.date(2019, 5, 1) and p.amount_minor == 10000
