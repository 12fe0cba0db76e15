"""Pilot tests of the export dialog (R22): from the index's ``x`` to the file, and cancel."""

from __future__ import annotations

from tests.workerkit import workers_done
import threading

import pytest
from textual.widgets import Button, Checkbox, Input, Select, Static
from textual.worker import WorkerFailed

from invoice_tui.app import make_app
from invoice_tui.db.export_models import ExportLog
from invoice_tui.domain import people
from invoice_tui.domain.filters import from_expressions
from invoice_tui.domain.workspace import open_workspace
from invoice_tui.exports.service import FOLDER_PREFERENCE
from invoice_tui.modals.export import ExportDialog
from tests.exports.conftest import build_data, by_header, read_csv, read_xlsx


@pytest.fixture
def app_and_out(sqlite_url, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("INVOICE_TUI_CONFIG", str(tmp_path / "no-config.toml"))
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    build_data(ws.context("alice", source="test", now=clock))
    ws.db.close()
    out = tmp_path / "out"
    out.mkdir()
    return make_app(db_url=sqlite_url, user="alice", now=clock), out


async def settle(pilot, rounds: int = 4) -> None:
    for _ in range(rounds):
        try:
            await workers_done(pilot.app)
        except WorkerFailed:  # a refusal the dialog shows (e.g. a missing folder)
            pass
        await pilot.pause()


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_r22_dialog_exports_from_the_index_end_to_end(app_and_out):
    app, out = app_and_out
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        # the remembered folder (none yet) defaults to the current directory
        assert dialog.query_one("#export-folder", Input).value
        dialog.query_one("#export-folder", Input).value = str(out / "missing")
        await pilot.click("#export-start")
        await settle(pilot)
        assert app.screen is dialog
        assert "does not exist" in str(dialog.query_one("#export-folder-error", Static).content)

        name = dialog.query_one("#export-name", Input)
        name.value = "Factures mars"
        dialog.query_one("#export-folder", Input).value = str(out)
        dialog.query_one("#export-format", Select).value = "xlsx"
        dialog.query_one("#export-lang", Select).value = "fr"
        dialog.query_one("#export-assoc-contacts", Checkbox).value = True
        dialog.query_one("#export-assoc-payments", Checkbox).value = True
        await pilot.pause()
        name.focus()
        await pilot.press("enter")  # Enter in a field starts the export
        await settle(pilot)
        assert not isinstance(app.screen, ExportDialog)
        path = (out / "Factures mars.xlsx").resolve()
        assert any(str(path) in m for m in messages(app)), messages(app)
        rows = read_xlsx(path)[0]
        assert rows[0][0] == "Numéro" and rows[0][-2:] == ["Contacts associés", "Paiements associés"]
        got = by_header(rows, "Numéro")
        assert got["INV-1001"]["Statut"] == "Ouverte"
        assert got["INV-1001"]["Contacts associés"].startswith("Ada Lovelace <ada@example.com>")
        assert len(rows) == 4  # the index shows all three invoices
        assert ExportLog.select().count() == 1
        ctx = app.ctx
        assert people.preference(ctx, FOLDER_PREFERENCE) == str(out.resolve())


async def test_r22_dialog_exports_the_given_view_and_cancel_leaves_nothing(app_and_out):
    app, out = app_and_out
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # the current view: open invoices, newest number first, two columns
        dialog = ExportDialog(filters=from_expressions([["status=open"]]), sort="-number",
                              columns=["number", "currency"], view_name="Open", folder=str(out))
        app.push_screen(dialog)
        await settle(pilot)
        assert "Open" in str(dialog.query_one("#export-title").content)
        await pilot.click("#export-start")
        await settle(pilot)
        assert read_csv(out / "Open 2026-03-16.csv") == [["Number", "Currency"], ["INV-1002", "KWD"],
                                                         ["INV-1001", "EUR"]]

        # cancel while rows are being written: the worker waits after the first row until Escape
        dialog = ExportDialog(columns=["number"], view_name="All invoices", folder=str(out), batch_size=1)
        app.push_screen(dialog)
        await settle(pilot)
        reached, gate = threading.Event(), threading.Event()
        post = dialog._post_progress

        def slow(done, total):
            post(done, total)
            if done >= 1:
                reached.set()
                gate.wait(10)

        dialog._post_progress = slow
        await pilot.click("#export-start")
        import time

        deadline = time.monotonic() + 60  # a condition, not a count of short pauses
        while not reached.is_set() and time.monotonic() < deadline:
            await pilot.pause(0.01)
        assert reached.is_set()
        await pilot.pause()
        assert dialog.running and dialog.query_one("#export-start", Button).disabled
        assert "/ 3 rows" in str(dialog.query_one("#export-status", Static).content)
        await pilot.press("escape")
        gate.set()
        await settle(pilot)
        assert not isinstance(app.screen, ExportDialog)
        assert any("cancelled" in m for m in messages(app))
        assert sorted(p.name for p in out.iterdir()) == ["Open 2026-03-16.csv"]
        assert ExportLog.select().count() == 1


async def test_issue24_dialog_fits_80x24_ctrl_e_from_the_name_field_and_remembers_the_choices(app_and_out):
    """Every option of the dialog is on an 80×24 screen; ctrl+e exports while the name field has
    focus (Textual's Input would take it as "end of line"); the next dialog starts from the last
    choices (per user)."""
    app, out = app_and_out
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        screen = dialog.region
        for widget in dialog.query("#export-dialog *"):
            if widget.display and widget.region.area:
                assert screen.contains_region(widget.region), widget
        text = "\n".join("".join(s.text for s in strip) for strip in dialog._compositor.render_strips())
        for label in ("Export name", "Format", "Column headers", "Properties", "Contacts", "Line items",
                      "Destination folder", "Cancel", "Export"):
            assert label in text, text
        dialog.query_one("#export-folder", Input).value = str(out)
        dialog.query_one("#export-format", Select).value = "xlsx"
        dialog.query_one("#export-lang", Select).value = "fr"
        dialog.query_one("#export-assoc-payments", Checkbox).value = True
        dialog.query_one("#export-name", Input).focus()
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert not isinstance(app.screen, ExportDialog)
        await pilot.press("x")
        await settle(pilot)
        again = app.screen
        assert again.query_one("#export-format", Select).value == "xlsx"
        assert again.query_one("#export-lang", Select).value == "fr"
        assert again.query_one("#export-assoc-payments", Checkbox).value is True
        assert again.query_one("#export-assoc-contacts", Checkbox).value is False
