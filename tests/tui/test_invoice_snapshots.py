"""Snapshots of the invoice screen: a draft, an open partially paid invoice, a paid one and a
voided one, at 80×24 and 120×40, with deterministic data and clock (no buyer link is shown: the
workspace has no public base URL, so the random link token never appears)."""

from __future__ import annotations

import pytest

from invoice_tui.domain import invoices, payments
from test_invoice_support import app_for, contact, draft, open_invoice, settle, workspace

SIZES = [(80, 24), (120, 40)]


def build(sqlite_url, clock, kind: str) -> int:
    ws, ctx = workspace(sqlite_url, clock)
    c = contact(ctx)
    if kind == "draft":
        return draft(ctx, c.id, title="Spring mission", po_number="PO-12").id
    i = open_invoice(ctx, c.id, po_number="PO-12")
    if kind == "partially_paid":
        payments.record_payment(ctx, i.id, {"amount": "500", "method": "bank_transfer", "reference": "WIRE-1"})
        invoices.add_note(ctx, i.id, "Customer will pay the rest next month")
    elif kind == "paid":
        payments.record_payment(ctx, i.id, {"amount": "1590.50", "method": "card"})
    elif kind == "voided":
        invoices.void_invoice(ctx, i.id)
    return i.id


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("kind", ["draft", "partially_paid", "paid", "voided"])
def test_invoice_screen_snapshot(snap_compare, sqlite_url, clock, kind, size):
    from invoice_tui.screens.invoice import InvoiceScreen

    invoice_id = build(sqlite_url, clock, kind)
    app = app_for(sqlite_url, clock)

    async def run_before(pilot) -> None:
        await settle(pilot, app)
        app.push_screen(InvoiceScreen(invoice_id))
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
