"""R42 at 80×24: a credit note's page (its heading, the invoice it credits, its reason, the same
panel) and its PDF, titled "Credit note" and naming the invoice. Besides the snapshot, the screen's
text is read and each fact found whole on one row (nothing cut); the PDF's text is read too."""

from __future__ import annotations

import pytest

from invoice_tui.domain import credit
from test_en16931_snapshots import assert_whole, screen_rows
from test_invoice_support import app_for, contact, open_invoice, settle, workspace


def build(sqlite_url, clock) -> tuple[int, int]:
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)  # 1,590.50
    cn = credit.issue_credit_note(ctx, credit.create_credit_note(ctx, i.id, reason="Damaged parcel",
                                                                  lines=[(1, "1")]).id)
    ws.db.close()
    return i.id, cn.id


@pytest.mark.parametrize("part", ["heading", "panel"])
def test_r42_credit_note_page_80x24_reads_whole(snap_compare, sqlite_url, clock, part):
    from invoice_tui.screens.invoice import InvoiceScreen

    _invoice_id, cn_id = build(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    seen: list[str] = []

    async def run_before(pilot) -> None:
        await settle(pilot, app)
        app.push_screen(InvoiceScreen(cn_id))
        await settle(pilot, app)
        await settle(pilot, app)  # the cards fit their columns once they know their width
        if part == "panel":
            await pilot.press("1")
            await settle(pilot, app)
        seen.extend(screen_rows(app.export_screenshot()))

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    if part == "heading":
        assert_whole(seen, "CN-1", "Issued", "Credits INV-1001: −€480.00", "Credit note CN-1",
                     "Credits invoice INV-1001", "Invoice date: March 16, 2026", "Reason: Damaged parcel")
    else:
        assert_whole(seen, "Type             Credit note", "Credits invoice  INV-1001", "Invoice date     3/16/26",
                     "Billing contact  Bob Buyer", "Total credited   €480.00", "On the invoice   €480.00",
                     "To credit        €0.00")


def test_r42_credit_note_pdf_is_titled_credit_note_and_names_the_invoice(sqlite_url, clock):
    import pymupdf

    from invoice_tui.documents.pdf import invoice_pdf
    from invoice_tui.domain.invoices import get_invoice
    from invoice_tui.domain.workspace import open_workspace

    _invoice_id, cn_id = build(sqlite_url, clock)
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    try:
        data = invoice_pdf(get_invoice(cn_id), today=clock().date())
    finally:
        ws.db.close()
    text = "\n".join(page.get_text() for page in pymupdf.open(stream=data, filetype="pdf"))
    flat = " ".join(text.split())
    for words in ("Credit note CN-1", "Credits invoice INV-1001", "Invoice date: March 16, 2026", "Reason: Damaged parcel",
                  "Credit note number", "Total credited", "€480.00"):
        assert words in flat, (words, flat)
    assert "Balance due" not in flat and "Invoice number" not in flat
