"""Issue 25: the invoice page and the record-payment modal in French at 80×24 — every label, value,
card title, hint and key reads whole (French words are longer: the cards wrap a long value onto
more lines of its row, never cut it), and the same screens in English are unchanged. Snapshots of
both at 80×24 in ``fr`` and ``en``.
Update the snapshots with: pytest tests/tui/test_r25_invoice_fr.py --snapshot-update"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_invoice_support import app_for, contact, invoices, open_invoice, payments, settle, workspace  # noqa: E402
from tests.i18nkit import screen_text  # noqa: E402

LANGS = {"fr": "fr_FR.UTF-8", "en": "en_US.UTF-8"}


def build(sqlite_url, clock) -> int:
    """An open invoice partly paid, with a note: every card of the page has something to show."""
    ws, ctx = workspace(sqlite_url, clock)
    c = contact(ctx)
    i = open_invoice(ctx, c.id, po_number="PO-12")
    payments.record_payment(ctx, i.id, {"amount": "500", "method": "bank_transfer", "reference": "WIRE-1"})
    invoices.add_note(ctx, i.id, "Customer will pay the rest next month")
    return i.id


@pytest.fixture(params=sorted(LANGS))
def lang(request, monkeypatch):
    """The reader's locale (``LANG``, as ``LANG=fr_FR.UTF-8 invoice-tui``)."""
    monkeypatch.setenv("LANG", LANGS[request.param])
    monkeypatch.delenv("LC_ALL", raising=False)
    return request.param


async def _page(pilot, app, invoice_id):
    from invoice_tui.screens.invoice import InvoiceScreen

    await settle(pilot, app)
    app.push_screen(InvoiceScreen(invoice_id))
    await settle(pilot, app)


async def _record_payment(pilot, app, invoice_id):
    await _page(pilot, app, invoice_id)
    await pilot.press("p")
    await settle(pilot, app)


OPENERS = {"invoice page": _page, "record payment": _record_payment}


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _region_text(lines: list[str], region) -> str:
    return "\n".join(line[region.x:region.right] for line in lines[region.y:region.bottom])


def _clip(app, widget):
    """The part of the screen where ``widget`` shows (None when it is not on screen)."""
    geometry = app.screen._compositor.full_map.get(widget)
    return geometry.clip.intersection(geometry.region) if geometry is not None else None


def _whole_on_screen(app, widget, region=None) -> bool:
    """``region`` (``widget``'s own by default) is on screen whole (not scrolled away in part)."""
    geometry = app.screen._compositor.full_map.get(widget)
    if geometry is None:
        return False
    region = region or geometry.region
    return geometry.clip.contains_region(region) and region.bottom < app.size.height  # the footer's line


def cut_cells(app, lines: list[str]) -> list[str]:
    """Each table cell of the screen whose text is not shown whole in its place (wrapped onto more
    lines of its row is whole; cut at the column's edge or by "…" is not)."""
    from textual.geometry import Region
    from textual.widgets import DataTable

    problems = []
    for table in app.screen.query(DataTable):
        if not table.display or table.region.area == 0 or table.row_count == 0:
            continue
        widths = [c.get_render_width(table) for c in table.ordered_columns]
        y = table.region.y + (table.header_height if table.show_header else 0) - round(table.scroll_y)
        for row_index in range(table.row_count):
            row = table.ordered_rows[row_index]
            if y + row.height > table.region.bottom or not _whole_on_screen(app, table, Region(table.region.x, y, 1,
                                                                                               row.height)):
                y += row.height
                continue  # scrolled out of view: shown whole by scrolling
            x = table.region.x
            for column_index, width in enumerate(widths):
                if x + width > table.region.right:
                    break  # a column the card leaves out whole (issue 24)
                value = str(table.get_cell_at((row_index, column_index)))
                shown = _region_text(lines, Region(x, y, width, row.height))
                if _squeezed(value) not in _squeezed(shown):
                    problems.append(f"{table.id} row {row_index} column {column_index}: {value!r} shown as {shown!r}")
                x += width
            y += row.height
    return problems


def cut_lines(app, lines: list[str]) -> list[str]:
    """Each one-line label, button, tab, hint or key of the screen not shown whole on its line."""
    from textual.widgets import Button, Label, Static, Tab

    problems = []
    for widget in app.screen.query("Label, Button, Tab, Static"):
        if not isinstance(widget, (Label, Button, Tab, Static)) or not widget.display or widget.region.area == 0:
            continue
        if widget.has_class("card-hint") or widget.has_class("modal-hint") or not _whole_on_screen(app, widget):
            continue  # hints wrap onto more lines (read whole below); scrolled away: shown whole by scrolling
        if any(a.id == "invoice-document" for a in widget.ancestors):
            continue  # the document (the invoice's own language): its own snapshots
        text = str(widget.render()) if not isinstance(widget, Button) else str(widget.label)
        text = text.strip()
        if not text or "\n" in text:
            continue
        shown = _region_text(lines, widget.region)
        if _squeezed(text) not in _squeezed(shown):
            problems.append(f"{type(widget).__name__}#{widget.id}: {text!r} shown as {shown!r}")
    for widget in app.screen.query(".card-hint, .modal-hint"):
        if widget.display and widget.region.area and _whole_on_screen(app, widget):
            text = str(widget.render())
            if _squeezed(text) not in _squeezed(_region_text(lines, widget.region)):
                problems.append(f"hint {text!r} not whole")
    return problems


FOOTER_WORDS = {"en": "^p palette", "fr": "^p palette"}  # the footer's last key, in both languages


@pytest.mark.parametrize("case", sorted(OPENERS))
async def test_r25_invoice_page_reads_whole_at_80x24(sqlite_url, clock, lang, case):
    invoice_id = build(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await OPENERS[case](pilot, app, invoice_id)
        text = screen_text(app)
        for _round in range(20):  # a loaded machine may paint the footer a frame later
            if FOOTER_WORDS[lang] in text:
                break
            await pilot.pause(0.05)
            text = screen_text(app)
        lines = text.splitlines()
        problems = cut_cells(app, lines) + cut_lines(app, lines)
        if case == "invoice page":
            panel = app.screen.query_one("#invoice-panel").region
            if "…" in _region_text(lines, panel):
                problems.append("an ellipsis in the panel")
            document = app.screen.query_one("#invoice-document").region  # the invoice's own language
            lines = [line[:document.x] + " " * document.width + line[document.right:]
                     if document.y <= y < document.bottom else line for y, line in enumerate(lines)]
        own = "\n".join(lines)
    assert not problems, "\n".join(problems) + "\n" + text
    words = {"fr": ("Solde", "À propos de la facture", "Encaisser") if case == "invoice page" else ("Encaissement", "Montant",
                                                                                         "Moyen", "Référence"),
             "en": ("Balance", "About this invoice", "Record payment") if case == "invoice page" else ("Record payment", "Amount",
                                                                                              "Method", "Reference")}
    for word in words[lang]:
        assert word in text, f"{word!r} not shown in {lang}:\n{text}"
    if lang == "fr":
        for english in ("Balance", "Payments", "Amount", "Record", "Method", "Cancel", "Back", "Edit"):
            assert not re.search(rf"\b{english}\b", own), f"{english!r} left in English:\n{text}"


@pytest.mark.parametrize("case", sorted(OPENERS))
def test_r25_invoice_snapshots_fr_en(snap_compare, sqlite_url, clock, lang, case):
    invoice_id = build(sqlite_url, clock)
    app = app_for(sqlite_url, clock)

    async def run_before(pilot) -> None:
        await OPENERS[case](pilot, app, invoice_id)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
