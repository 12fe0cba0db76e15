"""R52 in the TUI at 80×24: the Import dialog from the ctrl+p palette — read a file, change a
column's mapping by hand, dry run (every bad row listed, nothing written), fix, import, with a
progress bar; the screen's text read cell by cell, nothing cut."""

from __future__ import annotations

import csv

from textual.widgets import ProgressBar, Select

from invoice_tui.widgets.tables import DataTable

from invoice_tui.db.models import Contact
from invoice_tui.modals.import_dialog import ImportDialog
from test_audit_screen import _palette
from test_invoice_support import app_for, settle, workspace


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Courriel", "Prénom", "Pays"])  # "Courriel" is no export header: mapped by hand
        w.writerows(rows)



async def test_r52_import_dialog_mapping_change_dry_run_then_import_at_80x24(sqlite_url, clock, tmp_path):
    ws, _ctx = workspace(sqlite_url, clock)
    ws.db.close()
    path = tmp_path / "crm.csv"
    _write(path, [["ada@example.org", "Ada", "FR"], ["not-an-email", "Bob", "FR"], ["eve@example.org", "Eve", "XX"]])
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await _palette(pilot, app, "Import: Bring")
        dialog = app.screen
        assert isinstance(dialog, ImportDialog)
        dialog.query_one("#import-file").value = str(path)
        await pilot.click("#import-read")
        await settle(pilot, app)
        email = dialog.query_one("#import-map-email", Select)
        assert email.value is Select.NULL  # no export language calls it "Courriel"
        assert dialog.query_one("#import-map-first_name", Select).value == "Prénom"  # matched in French
        email.value = "Courriel"  # the mapping change, by hand
        await settle(pilot, app)
        preview = dialog.query_one("#import-preview", DataTable)
        assert preview.row_count == 3 and [str(c) for c in preview.get_row_at(0)][:1] == ["ada@example.org"]
        await pilot.click("#import-dry-run")
        await settle(pilot, app)
        errors = dialog.query_one("#import-errors", DataTable)
        rows = [[str(c) for c in errors.get_row_at(i)] for i in range(errors.row_count)]
        assert [r[:2] for r in rows] == [["3", "Courriel"], ["4", "Pays"]], rows
        status = str(dialog.query_one("#import-status").render())
        assert "2 bad row(s) in 3; nothing was written" in status, status
        assert Contact.select().count() == 0
        _write(path, [["ada@example.org", "Ada", "FR"], ["bob@example.org", "Bob", "FR"],
                      ["eve@example.org", "Eve", "BE"]])
        await pilot.click("#import-dry-run")
        await settle(pilot, app)
        assert "Dry run: all 3 rows are good" in str(dialog.query_one("#import-status").render())
        assert Contact.select().count() == 0
        await pilot.click("#import-start")
        await settle(pilot, app)
        bar = dialog.query_one("#import-progress", ProgressBar)
        assert bar.progress == bar.total
        status = str(dialog.query_one("#import-status").render())
        assert status.startswith("Imported 3 contacts from 3 rows"), status
        assert sorted(c.email for c in Contact.select()) == ["ada@example.org", "bob@example.org", "eve@example.org"]
        # at 80x24, every button and the status line are on the screen whole
        text = app.export_screenshot()
        for word in ("Save", "Read", "Dry run", "Import", "Close", "Imported 3 contacts from 3 rows."):
            assert word in _plain(text), word


def _plain(svg: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\u00a0", " ")


async def test_issue24_import_shortcuts_fire_while_a_text_field_has_focus(sqlite_url, clock, tmp_path):
    """ctrl+r, ctrl+t and ctrl+e from the file field itself (Textual's Input takes ctrl+e as
    "end of line" unless the dialog's binding comes first), at 80×24."""
    ws, _ctx = workspace(sqlite_url, clock)
    ws.db.close()
    path = tmp_path / "crm.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["email", "first_name", "country"])
        w.writerows([["ada@example.org", "Ada", "FR"], ["bob@example.org", "Bob", "FR"]])
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.push_screen(ImportDialog("contacts", str(path)))
        await settle(pilot, app)
        dialog = app.screen
        field = dialog.query_one("#import-file")
        field.focus()
        field.cursor_position = 0
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        assert dialog.query_one("#import-preview", DataTable).row_count == 2
        field.focus()
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        assert "Dry run: all 2 rows are good" in str(dialog.query_one("#import-status").render())
        field.focus()
        await pilot.pause()
        assert dialog.focused is field, (dialog.focused, field.disabled)
        field.cursor_position = 0
        await pilot.press("ctrl+e")
        await settle(pilot, app)
        for _ in range(20):
            if Contact.select().count() == 2:
                break
            await pilot.pause(0.1)
            await settle(pilot, app)
        assert field.cursor_position == 0  # the Input did not take the key
    assert sorted(c.email for c in Contact.select()) == ["ada@example.org", "bob@example.org"]
