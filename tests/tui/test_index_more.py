"""More of the index: PostgreSQL change notifications, NO_COLOR, help, new invoice, export, and
the shared dialog family (modals/dialogs.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from index_helpers import dataset_app, settle, shown_ids  # noqa: E402
from invoice_tui.app import make_app  # noqa: E402
from invoice_tui.screens.index import IndexScreen  # noqa: E402

SIZE = (120, 40)


async def test_postgresql_change_by_another_connection_shows_up(pg_url, clock):
    import psycopg2

    from invoice_tui.domain import invoices, people
    from invoice_tui.domain.workspace import open_workspace

    ws = open_workspace(pg_url, notice=lambda m: None)
    admin = ws.context("alice", source="test", now=clock)
    ada = people.add_contact(admin, {"email": "ada@example.com", "first_name": "Ada"})
    first = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": ada.id})
    invoices.create_invoice(admin, {"currency": "USD"})
    ws.db.close()
    app = make_app(db_url=pg_url, user="alice", now=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert shown_ids(screen) == [first.id + 1, first.id]
        await pilot.press("j")
        screen.check_for_changes()  # LISTEN starts here (the timer's job, called now)
        await settle(pilot)
        other = psycopg2.connect(pg_url)
        with other, other.cursor() as cur:
            cur.execute("UPDATE invoice SET contact_name = 'Changed elsewhere' WHERE id = %s", (first.id,))
        other.close()
        for _ in range(40):  # the NOTIFY travels over the socket: poll until it has arrived
            screen.check_for_changes()
            await settle(pilot)
            if screen.table.row_at(1).cells[1] == "Changed elsewhere":
                break
            await pilot.pause(0.05)
        assert screen.table.row_at(1).cells[1] == "Changed elsewhere"
        assert screen.table.cursor_row == 1


async def test_no_color_keeps_the_cursor_visible(sqlite_url, clock, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        table = app.screen.table
        line = "".join(seg.text for seg in table.render_line(1))
        assert line.startswith("› INV-1006")  # the marker, not only a colour, shows the cursor


async def test_help_lists_the_index_keys(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        keys = {b.binding.id for b in app.screen.active_bindings.values()}
        assert {"index.search", "index.filters", "index.new", "index.sort", "index.columns", "index.export",
                "index.save_view", "index.quit", "table.open", "table.last"} <= keys


async def test_n_starts_a_new_invoice_and_x_opens_the_export(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert type(app.screen).__name__ in ("EditorScreen", "NewDraftModal")
        app.pop_screen()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, IndexScreen)
        screen.set_search("navy")
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        if type(dialog).__name__ == "ExportDialog":
            assert dialog.search == "navy" and dialog.columns == screen.columns


async def test_dialog_family(sqlite_url, clock):
    from textual.widgets import Input

    from invoice_tui.domain.errors import RuleRefused
    from invoice_tui.modals.dialogs import ConfirmDialog, InfoDialog, TypedConfirmDialog, error_dialog

    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        results = []
        app.push_screen(ConfirmDialog("Delete", "Delete it?", confirm="Delete", danger=True), results.append)
        await pilot.pause()
        await pilot.press("enter")  # the focused button is Cancel: Enter is safe
        app.push_screen(ConfirmDialog("Delete", "Delete it?"), results.append)
        await pilot.pause()
        await pilot.click("#confirm")
        app.push_screen(TypedConfirmDialog("Void", "Irreversible.", "INV-1001"), results.append)
        await pilot.pause()
        await pilot.press(*"INV-100", "enter")  # not the exact text: stays open
        await pilot.pause()
        assert isinstance(app.screen, TypedConfirmDialog)
        app.screen.query_one(Input).value = "INV-1001"
        await pilot.press("enter")
        app.push_screen(error_dialog(RuleRefused("This invoice has a payment.")), results.append)
        await pilot.pause()
        assert "This invoice has a payment." in str(app.screen.query_one("#dialog-message").render())
        await pilot.press("escape")
        app.push_screen(InfoDialog("Done", "Exported."), results.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert results == [False, True, True, None, None]
        assert isinstance(app.screen, IndexScreen)


async def test_80x24_scrolls_columns_sideways_and_keeps_the_first(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.table
        assert table.virtual_size.width > table.scrollable_content_region.width
        await pilot.press(*["l"] * 12)  # clamps at the last column
        await pilot.pause()
        assert table.scroll_offset.x > 0
        header = "".join(seg.text for seg in table.render_line(0))
        row = "".join(seg.text for seg in table.render_line(1))
        assert header.startswith("  Number") and "Last sent date" in header  # the last column came into view
        assert row.startswith("› INV-1006")  # the number column stays
        await pilot.press(*["h"] * 12)
        await pilot.pause()
        assert table.scroll_offset.x == 0
