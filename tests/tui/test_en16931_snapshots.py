"""R35 at 80×24: an invoice with a returned line (negative quantity), a sub-cent unit price and
three VAT groups, one of them 0 %, on the invoice screen (its items, then its VAT breakdown) and
in the line editor's form with its further fields open.

Besides the snapshot, each test reads the screen's text and finds every figure of the lines and
of the VAT groups whole on one row — no cell cut to fit a column, no figure folded."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest

from invoice_tui.domain import invoices
from test_invoice_support import app_for, contact, settle, workspace

LINES = [
    {"name": "Energy", "quantity": "1200", "unit_price": "0.1212", "tax_rate": "20", "unit_code": "KWH"},
    {"name": "Returned books", "quantity": "-2", "unit_price": "14.90", "tax_rate": "5.5"},
    {"name": "Export crate", "quantity": "1", "unit_price": "80", "tax_rate": "0"},
]


def build(sqlite_url, clock) -> int:
    ws, ctx = workspace(sqlite_url, clock)
    c = contact(ctx)
    inv = invoices.create_invoice(ctx, {"currency": "EUR", "contact_id": c.id, "title": "Energy and returns",
                                        "lines": LINES})
    ws.db.close()
    return inv.id


def screen_rows(svg: str) -> list[str]:
    """The text of each row of a Textual SVG screenshot, spans joined in order."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(m.group(2)), []).append((float(m.group(1)), html.unescape(m.group(3))))
    out = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(int(round(x / 12.2))) + text.replace("\xa0", " ")
        out.append(line)
    return out


def assert_whole(rows: list[str], *cells: str) -> None:
    for cell in cells:
        assert any(cell in row for row in rows), f"{cell!r} is not whole on any row:\n" + "\n".join(rows)


async def _show_section(pilot, app, invoice_id: int, heading: str) -> None:
    from textual.widgets._markdown import MarkdownH2

    from invoice_tui.screens.invoice import InvoiceScreen

    from textual.widgets import Markdown

    await settle(pilot, app)
    app.push_screen(InvoiceScreen(invoice_id))
    await settle(pilot, app)
    # The document's blocks are mounted in batches: scroll once its height no longer changes (on
    # a loaded machine it still grew after the workers were done, and the section moved down).
    last = None
    for _ in range(40):
        height = sum(m.virtual_size.height for m in app.screen.query(Markdown))
        if height == last:
            break
        last = height
        await pilot.pause(0.05)
    target = next(h for h in app.screen.query(MarkdownH2) if heading in str(h.render()))
    target.scroll_visible(top=True, animate=False)
    await settle(pilot, app)


@pytest.mark.parametrize("section, cells", [
    ("Items", ["Energy €145.44", "1,200 KWH × €0.1212", "Tax rate 20%", "Returned books -€29.80",
               "-2 × €14.90", "Tax rate 5.5%", "Export crate €80.00", "1 × €80.00", "Tax rate 0%"]),
    ("Tax breakdown", ["S 5.5%", "-€29.80", "-€1.64", "S 20%", "€145.44", "€29.09", "Z 0%", "€80.00", "€0.00",
                       "€195.64", "Billed €223.09"]),
], ids=["items", "vat_breakdown"])
def test_r35_invoice_screen_80x24_reads_every_cell_whole(snap_compare, sqlite_url, clock, section, cells):
    invoice_id = build(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    seen: list[str] = []

    async def run_before(pilot) -> None:
        await _show_section(pilot, app, invoice_id, section)
        seen.extend(screen_rows(app.export_screenshot()))

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    assert_whole(seen, *cells)
    assert not any("…" in row.split("▏")[0] for row in seen), "a document cell was cut"


def test_r35_line_editor_80x24_shows_the_further_fields_behind_ctrl_o(snap_compare, sqlite_url, clock):
    from invoice_tui.modals.line_item import LineItemModal

    build(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    seen: list[str] = []
    row = {"name": "Energy", "description": "", "quantity": Decimal("1200"), "unit_price": Decimal("0.1212"),
           "tax_rate": Decimal("20"), "tax_category": "S", "unit_code": "KWH", "base_quantity": Decimal("1"),
           "charges": [{"kind": "allowance", "value": Decimal("5"), "is_percent": True, "reason": "Loyalty"}],
           "discount": None, "discount_percent": False}

    async def run_before(pilot) -> None:
        await settle(pilot, app)
        app.push_screen(LineItemModal(row, "EUR", "en_US"))
        await settle(pilot, app)
        from textual.widgets import Input

        for field in app.screen.query(Input):  # a blinking cursor would make the snapshot depend on timing
            field.cursor_blink = False
        await settle(pilot, app)
        seen.extend(screen_rows(app.export_screenshot()))

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    assert_whole(seen, "0.1212", "1200", "KWH", "-5%:Loyalty", "VAT category", "Price per (units)", "By rate")
