"""R22, issue 16: the TUI's export dialog and ``invoice-tui export`` run the same streaming
writer — the same view gives the same bytes — and the dialog shows rows done of total, the rate
and the time left."""

from __future__ import annotations

import contextlib
import io

from textual.widgets import Checkbox, Static

from invoice_tui.app import make_app
from invoice_tui.cli import main
from invoice_tui.modals.export import ExportDialog, progress_text
from tests.exports.test_export_dialog import settle


def _cli(*argv: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        code = main(list(argv))
    assert code == 0, err.getvalue()


async def test_r22_tui_export_and_cli_export_of_the_same_view_are_byte_identical(sqlite_url, clock, tmp_path,
                                                                                 monkeypatch):
    monkeypatch.setenv("INVOICE_TUI_CONFIG", str(tmp_path / "no-config.toml"))
    today = clock().date().isoformat()
    monkeypatch.setenv("INVOICE_TUI_TODAY", today)  # the CLI's today is the app's clock's
    _cli("--db", sqlite_url, "--user", "ann", "demo", "--invoices", "150", "--seed", "4", "--today", today)
    cli_file = tmp_path / "cli.csv"
    _cli("--db", sqlite_url, "--user", "ann", "export", "--format", "csv", "--filter", "status=open,paid",
         "--search", "a", "--sort", "-balance_due", "--associations", "contacts,payments", "--out", str(cli_file))
    out = tmp_path / "tui"
    out.mkdir()

    from invoice_tui.domain.filters import from_expressions

    app = make_app(db_url=sqlite_url, user="ann", now=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        dialog = ExportDialog(filters=from_expressions([["status=open,paid"]]), sort="-balance_due", search="a",
                              folder=str(out))
        app.push_screen(dialog)
        await settle(pilot)
        for key in ("contacts", "payments"):
            dialog.query_one(f"#export-assoc-{key}", Checkbox).value = True
        await pilot.pause()
        await pilot.click("#export-start")
        await settle(pilot)
        assert not isinstance(app.screen, ExportDialog)
    (tui_file,) = out.iterdir()
    data = cli_file.read_bytes()
    assert data.count(b"\n") > 20  # a real view: many invoices, with their associations
    assert tui_file.read_bytes() == data


async def test_r22_export_progress_shows_rows_rate_and_time_left(sqlite_url, clock, tmp_path, monkeypatch):
    assert progress_text(0, 1000, 0.0) == "0 / 1,000 rows"
    assert progress_text(250, 1000, 0.5) == "250 / 1,000 rows · 500 rows/s · 2 s left"
    assert progress_text(1000, 1000, 2.0) == "1,000 / 1,000 rows · 500 rows/s"
    assert progress_text(1000, 1_000_000, 1.0).endswith("· 17 min left")

    monkeypatch.setenv("INVOICE_TUI_CONFIG", str(tmp_path / "no-config.toml"))
    _cli("--db", sqlite_url, "--user", "ann", "demo", "--invoices", "30", "--seed", "4",
         "--today", clock().date().isoformat())
    app = make_app(db_url=sqlite_url, user="ann", now=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        dialog = ExportDialog(folder=str(tmp_path), batch_size=7)
        seen: list[str] = []
        shown = ExportDialog.on_export_dialog_progress

        def record(self, message) -> None:
            shown(self, message)
            seen.append(str(self.query_one("#export-status", Static).content))

        monkeypatch.setattr(ExportDialog, "on_export_dialog_progress", record)
        app.push_screen(dialog)
        await settle(pilot)
        await pilot.click("#export-start")
        await settle(pilot)
    assert seen[0].startswith("0 / 30 rows")
    assert seen[-1].startswith("30 / 30 rows · ") and "rows/s" in seen[-1]
