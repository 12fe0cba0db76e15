"""R54 in the TUI: a super admin runs the audit from the ctrl+p palette, sees its progress and
the findings in a table at 80×24, and opens the affected invoice with enter; anyone else is
told why not."""

from __future__ import annotations

from textual.widgets import DataTable, ProgressBar

from invoice_tui.db import database
from invoice_tui.domain import people
from test_invoice_support import app_for, contact, notifications, open_invoice, settle, workspace


async def _palette(pilot, app, text: str) -> None:
    await pilot.press("ctrl+p")
    await settle(pilot, app)
    await pilot.press(*text)
    await settle(pilot, app)
    await pilot.press("enter")
    await settle(pilot, app)


async def test_r54_audit_from_the_palette_lists_a_tampered_row_and_opens_its_invoice(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    inv = open_invoice(ctx, contact(ctx).id)
    database.obj.execute_sql("UPDATE invoice SET balance_minor = 1 WHERE id = ?", (inv.id,))  # behind the app's back
    ws.db.close()
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await _palette(pilot, app, "Audit: Verify")
        screen = app.screen
        assert type(screen).__name__ == "AuditScreen"
        bar = screen.query_one(ProgressBar)
        assert bar.progress == bar.total  # every stage ran
        status = str(screen.query_one("#audit-status").render())
        assert "2 finding(s)" in status, status  # the replay's, and R18's (the balance against its amounts)
        table = screen.query_one(DataTable)
        row = [str(c) for c in table.get_row_at(0)]
        assert row[:2] == [f"invoice {inv.id}", "balance_due"] and row[3] == "0.01", row
        assert "balance_due is '0.01'" in str(screen.query_one("#audit-detail").render())
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "InvoiceScreen" and app.screen.invoice_id == inv.id


async def test_r54_a_clean_workspace_passes_and_a_non_admin_is_told_why(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    open_invoice(ctx, contact(ctx).id)
    people.add_user(ctx, "vera", permissions="view,edit")
    ws.db.close()
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await _palette(pilot, app, "Audit: Verify")
        assert "Audit passed" in str(app.screen.query_one("#audit-status").render())
        assert app.screen.query_one(DataTable).row_count == 0
    app = app_for(sqlite_url, clock, user="vera")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await _palette(pilot, app, "Audit: Verify")
        assert any("lacks the 'super admin' permission" in n for n in notifications(app)), notifications(app)
