"""Issue 27: the Reports screen at 80×24 — opened with R on the index and from the palette; each
tab's figures read whole on the screen, the plots drawn; Enter on a figure of today opens the index
filtered to the invoices behind it with its totals equal to the figure; a past as-of date lists the
invoices in the report with their balance then; a bad date is a sentence."""

from __future__ import annotations

import sys
from pathlib import Path

from textual.widgets import DataTable, Sparkline, TabbedContent

from invoice_tui.domain.money import format_minor
from test_en16931_snapshots import assert_whole, screen_rows
from test_invoice_support import app_for, settle, workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.reportkit import build_story  # noqa: E402


def _build(sqlite_url, clock) -> None:
    ws, ctx = workspace(sqlite_url, clock)
    build_story(ctx, clock)
    ws.db.close()


async def _open_reports(pilot, app) -> None:
    """R on the index, once it has settled; back when the screen has settled too."""
    await settle(pilot, app)
    await pilot.press("R")
    await settle(pilot, app)


async def _tab(pilot, app, tab: str) -> list[str]:
    app.screen.query_one(TabbedContent).active = tab
    await settle(pilot, app)
    return await _shot(pilot, app)


async def _shot(pilot, app) -> list[str]:
    """The screen once the tables have measured their columns (they do it when idle)."""
    await pilot.pause()
    await pilot.pause()
    return screen_rows(app.export_screenshot())


async def test_reports_screen_80x24_every_figure_whole_with_its_plots(sqlite_url, clock):
    _build(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_reports(pilot, app)
        assert type(app.screen).__name__ == "ReportsScreen"
        rows = await _shot(pilot, app)
        assert_whole(rows, "EUR (1 of 2)", "As of", "2026-03-16", "31–60", "€190.00", "Total")
        bar_row = next(r for r in rows if "31–60" in r)
        assert "████████████████████████" in bar_row  # the largest bucket's bar, whole
        rows = await _tab(pilot, app, "tab-revenue")
        assert_whole(rows, "max €360.00", "max €100.00", "Jan\u2009–\u2009Mar 2026", "Billed", "Collected", "Jan 2026", "€360.00", "€300.00", "€60.00", "€100.00",
                     "Feb 2026", "-€60.00", "-€50.00", "-€10.00", "Mar 2026", "€70.00")
        spark = app.screen.query_one("#spark-billed", Sparkline)
        assert list(spark.data)[-3:] == [36000, 0, 6000]  # a credit note's month plots at 0, never below
        assert any(ch in "".join(rows) for ch in "▁▂▃▄▅▆▇█")
        rows = await _tab(pilot, app, "tab-customers")
        assert_whole(rows, "Ada Lovelace", "€360.00", "€190.00")
        rows = await _tab(pilot, app, "tab-dso")
        assert_whole(rows, "DSO = receivables at the period's end ÷ billed over the period", "× days in the period",
                     "EUR", "€190.00", "€360.00", "$50.00")
        await pilot.press("c")  # the next currency
        await settle(pilot, app)
        rows = await _tab(pilot, app, "tab-aging")
        assert_whole(rows, "USD (2 of 2)", "1–30", "$50.00")
        assert not any("…" in r for r in rows), "\n".join(rows)


async def test_enter_on_an_aging_figure_opens_the_index_filtered_to_it(sqlite_url, clock):
    _build(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p")
        await settle(pilot, app)
        await pilot.press(*"Reports: Open")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ReportsScreen"
        table = app.screen.query_one("#aging-table", DataTable)
        table.focus()
        table.move_cursor(row=2)  # 31–60
        await pilot.press("enter")
        await settle(pilot, app)
        await settle(pilot, app)
        index = app.screen
        assert type(index).__name__ == "IndexScreen" and index.filters.count == 4
        totals = {t.currency: t for t in index.totals}
        assert totals["EUR"].balance_minor == 19000 and index.total == 2  # INV-1001 60.00 + INV-1002 130.00
        status = str(index.query_one("#index-status").render())
        assert format_minor(19000, "EUR") in status, status


async def test_a_past_as_of_date_lists_its_invoices_with_their_balance_then_and_a_bad_date_is_a_sentence(
        sqlite_url, clock):
    _build(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_reports(pilot, app)
        await pilot.press("a", "ctrl+a", "ctrl+k", *"2026-02-30", "enter")
        await settle(pilot, app)
        assert_whole(await _shot(pilot, app), "'2026-02-30' is not a date")
        await pilot.press("a", "ctrl+a", "ctrl+k", *"2026-01-31", "enter")
        await settle(pilot, app)
        rows = await _shot(pilot, app)
        assert_whole(rows, "€140.00", "€120.00", "€260.00", "past date: Enter lists its invoices")
        table = app.screen.query_one("#aging-table", DataTable)
        table.focus()
        table.move_cursor(row=5)  # Total
        await pilot.press("enter")
        await settle(pilot, app)
        items = app.screen.query_one("#aging-items", DataTable)
        assert items.display and items.row_count == 2
        rows = await _shot(pilot, app)
        assert_whole(rows, "INV-1001", "INV-1002", "1/20/26", "Balance 1/31/26")  # as the reader writes dates
        assert [str(c) for c in items.get_row_at(0)][-1] == "€120.00"
        assert [str(c) for c in items.get_row_at(1)][-1] == "€140.00"


async def test_t_on_a_customer_shows_their_statement_of_account(sqlite_url, clock):
    _build(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_reports(pilot, app)
        await _tab(pilot, app, "tab-customers")
        app.screen.query_one("#customers-table", DataTable).focus()
        await pilot.press("t")
        await settle(pilot, app)
        assert app.screen.query_one(TabbedContent).active == "tab-statement"
        rows = await _shot(pilot, app)
        assert_whole(rows, "Ada Lovelace <ada@example.com>", "Opening balance", "INV-1001", "CN-1", "RF-1",
                     "(€10.00)", "Closing balance", "€190.00", "31–60 €190.00")
        assert not any("…" in r for r in rows), "\n".join(rows)


async def test_the_statement_shown_is_written_as_a_pdf_and_emailed_from_the_screen(sqlite_url, clock, smtp_server,
                                                                                   tmp_path):
    """Issue 27: the statement of account as a screen, a PDF and an email, all from the keyboard (p, m)."""
    import pymupdf

    from invoice_tui.app import make_app
    from invoice_tui.config import Config
    from invoice_tui.domain.workspace import open_workspace, set_setting

    _build(sqlite_url, clock)
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    ctx = ws.context("alice", source="test", now=clock)
    set_setting(ctx, "default_from_address", "billing@dupre.example")
    app = make_app(workspace=ws, context=ctx, config=Config(db=sqlite_url, mail_url=smtp_server.url))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_reports(pilot, app)
        await pilot.press("p")  # nothing shown yet: said, nothing written
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ReportsScreen"
        await _tab(pilot, app, "tab-customers")
        app.screen.query_one("#customers-table", DataTable).focus()
        await pilot.press("t")
        await settle(pilot, app)
        await pilot.press("p")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "DownloadPdfModal"
        assert_whole(await _shot(pilot, app), "Download PDF — statement-2026-03-16")
        app.screen.query_one("#pdf-path").value = str(tmp_path / "ada.pdf")
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ReportsScreen"
        with pymupdf.open(tmp_path / "ada.pdf") as doc:
            text = " ".join(" ".join(page.get_text().split()) for page in doc)
        assert "Closing balance" in text and "€190.00" in text
        await pilot.press("m")
        await settle(pilot, app)
        assert_whole(await _shot(pilot, app), "Email the statement?", "Send")
        await pilot.click("#confirm")
        await settle(pilot, app)
    [got] = smtp_server.received
    assert got.rcpt_tos == ["ada@example.com"] and "Statement of account" in got.message["Subject"]
    assert [p.get_filename() for p in got.message.iter_attachments()] == ["statement-2026-03-16.pdf"]
    ws.db.close()


async def test_reports_figures_and_dates_as_the_french_reader_writes_them(sqlite_url, clock, monkeypatch):
    """Issue 24's one format per locale holds on the Reports screen too: a French reader
    (``LANG=fr_FR.UTF-8``) reads "190,00 €" and "04/02/2026", not "€190.00" and "2026-02-04" (the
    as-of field is an input: ISO, as its placeholder says)."""
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    _build(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_reports(pilot, app)
        rows = await _shot(pilot, app)
        text = "\n".join(rows)
        assert "190,00\u202f€" in text or "190,00 €" in text, text
        assert "€190.00" not in text and "16/03/2026" in text, text
        await pilot.press("a", "ctrl+a", "ctrl+k", *"2026-01-31", "enter")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        text = "\n".join(await _shot(pilot, app))
        assert "04/02/2026" in text and "2026-02-04" not in text, text  # the not-yet-due invoice's due date
        assert "Solde au 31/01/2026" in text and "140,00" in text, text
        rows = await _tab(pilot, app, "tab-revenue")  # the months as the reader names them
        assert_whole(rows, "janv.–mars 2026", "janv. 2026", "févr. 2026", "mars 2026")
        assert "2026-01" not in "\n".join(rows)
