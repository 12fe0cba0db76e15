"""#22 point 4 (R2, R43): the first finalize in a workspace walks the user through the seller
profile. Finalize on a draft of a workspace with no seller opens the seller profile as a focused
form at 80×24 (the reason on top, the missing fields marked, the first focused); each field is
checked as typed and saved with Enter; Escape returns to the invoice, which then asks to finalize
it, and it is finalized. Escape with fields still missing says so beside the action, once."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from invoice_tui.modals.dialogs import ConfirmDialog
from invoice_tui.screens.invoice import InvoiceScreen
from invoice_tui.screens.settings import SettingsScreen
from test_en16931_snapshots import assert_whole, screen_rows
from tests.workerkit import workers_done
from test_invoice_support import app_for, contact, draft, inv, notifications, settle, show_invoice, workspace

pytestmark = pytest.mark.no_seller


def _draft(sqlite_url, clock) -> int:
    ws, ctx = workspace(sqlite_url, clock)
    d = draft(ctx, contact(ctx).id)
    ws.db.close()
    return d.id


async def _type(pilot, app, key: str, text: str) -> None:
    field = app.screen.query_one(f"#setting-{key}", Input)
    field.focus()
    field.value = text
    await settle(pilot, app)
    await pilot.press("enter")
    await workers_done(app)
    await settle(pilot, app)


async def test_r2_r43_first_finalize_opens_the_seller_profile_then_finalizes(sqlite_url, clock):
    draft_id = _draft(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_invoice(pilot, app, draft_id)
        await pilot.press("a")  # the Actions menu: Finalize, refused for the seller, can still be chosen
        await settle(pilot, app)
        await pilot.press("down", "enter")
        await settle(pilot, app)
        await workers_done(app)
        await settle(pilot, app)
        assert isinstance(app.screen, SettingsScreen) and app.screen.focus_keys == ("seller_legal_name",
                                                                                    "seller_address")
        rows = screen_rows(app.export_screenshot())
        assert_whole(rows, "Finalizing needs the seller's legal data first (R2, R43).", "Seller profile",
                     "Legal name", "Address")  # each setting by its label (issue 25)
        assert app.focused is app.screen.query_one("#setting-seller_legal_name", Input)
        assert "Needed to finalize." in str(app.screen.query_one("#reason-setting-seller_address", Static).render())
        assert not app.screen.query("#setting-number_pattern")  # the seller profile only: a focused form
        # checked as typed, the reason beside the field, before anything is saved
        field = app.screen.query_one("#setting-seller_siren", Input)
        field.focus()
        field.value = "732829321"
        await settle(pilot, app)
        assert "the check digit is wrong" in str(app.screen.query_one("#reason-setting-seller_siren",
                                                                         Static).render())
        field.value = ""
        await _type(pilot, app, "seller_legal_name", "Atelier Dupré SARL")
        await _type(pilot, app, "seller_address", "12 rue des Lilas")
        await pilot.press("escape")
        await settle(pilot, app)
        await workers_done(app)
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog), app.screen  # back to finalize: its confirmation
        await pilot.click("#confirm")
        await workers_done(app)
        await settle(pilot, app)
        assert isinstance(app.screen, InvoiceScreen)
        assert inv(draft_id).status == "open" and inv(draft_id).number == "INV-1001"


async def test_r43_back_from_the_seller_profile_with_fields_missing_says_so_once(sqlite_url, clock):
    draft_id = _draft(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await show_invoice(pilot, app, draft_id)
        screen.run_action_id("finalize")
        await settle(pilot, app)
        await workers_done(app)
        await settle(pilot, app)
        await _type(pilot, app, "seller_legal_name", "Atelier Dupré SARL")
        await pilot.press("escape")
        await settle(pilot, app)
        await workers_done(app)
        await settle(pilot, app)
        assert isinstance(app.screen, InvoiceScreen)  # not walked again: the reason beside the action
        assert any("seller_address" in n for n in notifications(app))
        assert inv(draft_id).status == "draft"


async def test_r2_r43_editor_save_and_finalize_walks_through_the_seller_profile(sqlite_url, clock):
    """The editor's Save & finalize (ctrl+f) of a new draft, refused for the seller's legal data,
    saves the draft and goes on from its invoice page: the seller profile opens as the focused form."""
    from invoice_tui.screens.editor import EditorScreen

    ws, ctx = workspace(sqlite_url, clock)
    c = contact(ctx)
    existing = draft(ctx, c.id)
    ws.db.close()
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_invoice(pilot, app, existing.id)
        await pilot.press("e")  # the draft's editor, from its page
        await settle(pilot, app)
        await workers_done(app)
        await settle(pilot, app)
        assert isinstance(app.screen, EditorScreen)
        await pilot.press("ctrl+f")
        await settle(pilot, app)
        await workers_done(app)
        await settle(pilot, app)
        await pilot.click("#confirm")
        for _ in range(3):
            await workers_done(app)
            await settle(pilot, app)
        assert isinstance(app.screen, SettingsScreen), app.screen
        assert app.screen.focus_keys == ("seller_legal_name", "seller_address")
        assert inv(existing.id).status == "draft"
