"""Issue 24: a history event's amount ("Payment #1 of 1590.50 EUR recorded") reads in the reader's
locale on the invoice page's history card and in `invoice-tui history`, while the stored text,
part of the hash chain, stays as written (and --json gives it as stored)."""

from __future__ import annotations

import re

from tests.clikit import Cli
from invoice_tui.db.models import Activity
from invoice_tui.domain import payments
from invoice_tui.domain.localize import history_text
from test_invoice_support import app_for, contact, open_invoice, settle, show_invoice, workspace

NNBSP, NBSP = "\u202f", "\u00a0"


def _norm(text: str) -> str:
    return text.replace(NNBSP, " ").replace(NBSP, " ")


def test_issue24_history_text_formats_stored_amounts_only():
    assert history_text("payment", "Payment #1 of 1590.50 EUR recorded (cash)", "en_US") == \
        "Payment #1 of €1,590.50 recorded (cash)"
    assert _norm(history_text("payment", "Payment #1 of 1590.50 EUR recorded (cash)", "fr_FR")) == \
        "Payment #1 of 1 590,50 € recorded (cash)"
    assert history_text("payment", "Charging 1200 JPY to card", "en_US") == "Charging ¥1,200 to card"
    # known-bad: what is no stored amount stays as it is
    assert history_text("payment", "Payment of 12.50 XYZ", "en_US") == "Payment of 12.50 XYZ"  # no currency
    assert history_text("edited", "Invoice INV-1001 edited", "fr_FR") == "Invoice INV-1001 edited"
    assert history_text("note", "Call about 1590.50 EUR", "fr_FR") == "Call about 1590.50 EUR"  # typed: as written


async def test_issue24_history_amounts_in_the_readers_locale_stored_text_unchanged(sqlite_url, clock, capsys,
                                                                                   monkeypatch):
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)  # 1,440.00 + 150.50 = 1,590.50 EUR
    payments.record_payment(ctx, i.id, {"amount": "1590.50", "method": "cash"})
    stored = [a.text for a in Activity.select().where(Activity.invoice_id == i.id) if a.text.startswith("Payment #")]
    assert stored and "1590.50 EUR" in stored[0]
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        page = await show_invoice(pilot, app, i.id)
        card = page.query_one("#card-history")
        card.collapsed = False
        await settle(pilot, app)
        page.query_one("#history-table").scroll_visible(animate=False)
        await settle(pilot, app)
        shown = _norm("\n".join("".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()))
        # issue 25: the stored English sentence is shown in the reader's language too (here French),
        # wrapped in the history card's column
        panel = re.sub(r"\s+", "", "".join(line.split("▏")[-1] for line in shown.splitlines()))
        assert "Paiementn°1de1590,50€enregistré(espèces)" in panel, shown
        assert "1590.50 EUR" not in shown
    cli = Cli(sqlite_url, capsys)
    out = _norm(cli("history", str(i.number)).out)
    assert "1 590,50 €" in out and "1590.50 EUR" not in out, out
    data = cli("history", str(i.number), "--json").data
    assert any("1590.50 EUR" in a["text"] for a in data["activities"])  # --json: the stored text
    assert cli("audit", "verify").code == 0  # the chain reads what was stored
