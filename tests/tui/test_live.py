"""Live screens (issue 15): a Pilot app shows a page while another process — the CLI, with its
own connection — changes the workspace; the page follows. On SQLite and on PostgreSQL.

The tests wait for the change with a generous timeout (they poll the screen's state; they are
not timing tests: the latency is measured by ``python -m benchmarks``)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from textual.widgets import DataTable, Input, OptionList, Static

from invoice_tui.modals.actions import ActionsModal
from invoice_tui.modals.record_payment import RecordPaymentModal
from invoice_tui.screens.index import IndexScreen
from test_invoice_support import (app_for, contact, inv, invoice_payments, notifications, open_invoice, settle,
                                  show_invoice, type_text, workspace)

SIZE = (120, 40)
PATIENCE = 15.0  # seconds; the feed's target is 2 s


def cli(url: str, *args: str) -> str:
    """The CLI in another process (its own connection), as a second terminal would run it."""
    done = subprocess.run([sys.executable, "-m", "invoice_tui", "--db", url, "--user", "alice", *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def other_terminal(url: str, *args: str) -> str:
    return await asyncio.to_thread(cli, url, *args)  # the app keeps running meanwhile


async def until(pilot, predicate) -> bool:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if predicate():
            return True
        await pilot.pause(0.1)
    return predicate()


def open_invoice_and_app(db_url, clock):
    """INV-1001, open, 1,590.50 EUR with partial payments allowed; and the app (not running)."""
    ws, ctx = workspace(db_url, clock)
    return open_invoice(ctx, contact(ctx).id), app_for(db_url, clock)


def text_of(screen, selector) -> str:
    return str(screen.query_one(selector, Static).render())


def action_ids(screen) -> list[str]:
    return [a.id for a in screen.view.actions]


async def test_r13_invoice_voided_elsewhere_shows_voided_and_loses_its_actions(db_url, clock):
    i, app = open_invoice_and_app(db_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        assert text_of(screen, "#invoice-status-badge").strip() == "Open"
        assert {"edit", "record_payment", "void"} <= set(action_ids(screen))
        await pilot.press("a")  # the actions menu is open when the other terminal voids
        await settle(pilot, app)
        assert isinstance(app.screen, ActionsModal)
        await other_terminal(db_url, "invoices", "void", str(i.id))
        assert await until(pilot, lambda: text_of(screen, "#invoice-status-badge").strip() == "Voided")
        assert not {"edit", "record_payment", "void"} & set(action_ids(screen))
        assert "Voided" in text_of(screen, "#invoice-amounts")
        menu = app.screen.query_one("#actions-list", OptionList)
        shown = [menu.get_option_at_index(n).id for n in range(menu.option_count)]
        assert shown == action_ids(screen) and not {"edit", "record_payment", "void"} & set(shown)
        await pilot.press("escape")
        await settle(pilot, app)
        # the keys of the actions that are gone are not offered either
        assert screen.check_action("run", ("edit",)) is False
        assert screen.check_action("run", ("record_payment",)) is False
        # the index, hidden under the page meanwhile, catches up when shown again
        await pilot.press("escape")
        index = app.screen
        assert isinstance(index, IndexScreen)
        assert await until(pilot, lambda: index.table.row_at(0) is not None
                           and "Voided" in [str(c) for c in index.table.row_at(0).cells])


async def test_r8_payment_recorded_elsewhere_appears_and_the_balance_drops(db_url, clock):
    i, app = open_invoice_and_app(db_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        payments = screen.query_one("#payments-table", DataTable)
        assert payments.row_count == 0 and "Balance €1,590.50" in text_of(screen, "#invoice-amounts")
        await other_terminal(db_url, "payments", "record", str(i.id), "--amount", "500", "--method", "cash")
        assert await until(pilot, lambda: payments.row_count == 1)
        assert "Balance €1,090.50" in text_of(screen, "#invoice-amounts")
        assert str(screen.view.balance) == "1090.50"
        assert "€500.00" in [str(c) for c in payments.get_row_at(0)]
        history = screen.query_one("#history-table", DataTable)
        assert any("Payment #" in str(history.get_row_at(n)[0]) for n in range(history.row_count))


async def test_a_setting_changed_by_a_super_admin_applies_without_restart(db_url, clock):
    _invoice, app = open_invoice_and_app(db_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        index = app.screen
        assert isinstance(index, IndexScreen)

        def first_row() -> str:
            row = index.table.row_at(0)
            return " | ".join(str(c) for c in row.cells) if row is not None else ""

        assert "€1,590.50" in first_row()
        await other_terminal(db_url, "settings", "set", "locale", "de_DE")
        assert await until(pilot, lambda: "1.590,50\xa0€" in first_row())
        assert index.table.locale == "de_DE"
        await other_terminal(db_url, "settings", "set", "timezone", "Pacific/Kiritimati")
        assert await until(pilot, lambda: app.ctx.timezone == "Pacific/Kiritimati")


async def test_r13_a_stale_payment_is_refused_with_the_reason(db_url, clock):
    """The payment form was opened on an open invoice; meanwhile another terminal voided it.
    Submitting is refused by the service (it re-checks the invoice in its transaction)."""
    i, app = open_invoice_and_app(db_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        await pilot.press("p")
        await settle(pilot, app)
        assert isinstance(app.screen, RecordPaymentModal)
        await other_terminal(db_url, "invoices", "void", str(i.id))
        assert await until(pilot, lambda: screen.view.status == "voided")  # the page behind follows
        modal = app.screen
        modal.query_one("#payment-amount", Input).focus()
        await pilot.press("enter")
        assert await until(pilot, lambda: "voided; no payment can be collected" in text_of(modal, "#payment-error"))
        await pilot.press("escape")
        await settle(pilot, app)
    assert invoice_payments(i.id) == [] and inv(i.id).status == "voided"


async def test_r5_a_stale_void_is_refused_with_the_reason_and_the_page_shows_why(db_url, clock):
    """The typed confirmation of Void was open when another terminal recorded the full payment:
    the confirmation reaches the service, which refuses (a paid invoice cannot be voided)."""
    i, app = open_invoice_and_app(db_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        await pilot.press("a")
        await settle(pilot, app)
        menu = app.screen.query_one("#actions-list", OptionList)
        menu.highlighted = menu.get_option_index("void")
        await pilot.press("enter")
        await settle(pilot, app)
        await other_terminal(db_url, "payments", "record", str(i.id), "--amount", "1590.50")
        assert await until(pilot, lambda: screen.view.status == "paid")
        await type_text(pilot, "INV-1001")
        await pilot.press("enter")
        assert await until(pilot, lambda: any("a paid invoice cannot be voided" in n for n in notifications(app)))
        await settle(pilot, app)
        assert app.screen is screen and text_of(screen, "#invoice-status-badge").strip() == "Paid"
    assert inv(i.id).status == "paid"


async def test_contacts_and_companies_added_elsewhere_appear_in_their_lists(db_url, clock):
    from invoice_tui.screens.companies import CompaniesScreen
    from invoice_tui.screens.contacts import ContactsScreen

    invoice, app = open_invoice_and_app(db_url, clock)  # its billing contact: Bob Buyer
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.push_screen(ContactsScreen())
        await settle(pilot, app)
        contacts = app.screen
        table = contacts.query_one(DataTable)
        assert table.row_count == 1
        await other_terminal(db_url, "contacts", "add", "--email", "zoe@example.com", "--first-name", "Zoë")
        assert await until(pilot, lambda: table.row_count == 2)
        assert "Zoë" in {str(table.get_row_at(n)[0]) for n in range(2)}
        app.push_screen(CompaniesScreen())
        await settle(pilot, app)
        companies = app.screen.query_one(DataTable)
        assert companies.row_count == 0
        await other_terminal(db_url, "companies", "add", "--name", "Acme")
        assert await until(pilot, lambda: companies.row_count == 1 and str(companies.get_row_at(0)[0]) == "Acme")


async def test_r7_a_stale_edit_of_an_invoice_voided_elsewhere_is_refused_with_the_reason(db_url, clock):
    """The editor was open on the invoice when another terminal voided it: the save is refused
    (the service compares the version it was opened on, in its transaction); nothing changes."""
    i, app = open_invoice_and_app(db_url, clock)
    cli(db_url, "settings", "set", "allow_edit_finalized", "true")
    async with app.run_test(size=SIZE) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        await pilot.press("e")
        await settle(pilot, app)
        editor = app.screen
        assert type(editor).__name__ == "EditorScreen"
        await other_terminal(db_url, "invoices", "void", str(i.id))
        editor.query_one("#editor-title", Input).value = "Too late"
        await pilot.press("ctrl+s")
        assert await until(pilot, lambda: "changed while you were editing"
                           in str(editor.query_one("#editor-error", Static).render()))
        assert app.screen is editor
        app.pop_screen()  # back to the page, which catches up
        assert await until(pilot, lambda: text_of(screen, "#invoice-status-badge").strip() == "Voided")
    row = inv(i.id)
    assert (row.title, row.status) == ("", "voided")
