"""Issue 24, read as a user reads it at 80×24: NO_COLOR (overdue and checkboxes say their meaning
in text), the reader's locale from the per-user preference and from the config's ``locale`` key
(not only LC_ALL), and ctrl+s submitting the record-payment form from its amount field."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from textual.widgets import Input  # noqa: E402

from index_helpers import dataset_app  # noqa: E402
from index_helpers import settle as settle_index  # noqa: E402
from invoice_tui.app import make_app  # noqa: E402
from invoice_tui.config import load_config  # noqa: E402
from invoice_tui.domain import people  # noqa: E402
from test_invoice_support import (app_for, contact, invoice_payments, open_invoice, open_payment_form,  # noqa: E402
                                  settle, show_invoice, workspace)


def screen_text(app) -> str:
    return "\n".join("".join(s.text for s in strip) for strip in app.screen._compositor.render_strips())


def _norm(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


async def test_issue24_no_color_overdue_and_checkbox_state_in_text(sqlite_url, clock, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app, _ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_index(pilot)
        assert app.no_color
        line = next(x for x in screen_text(app).split("\n") if "INV-1001" in x)
        assert "Overdue 15 d" in line, line  # said in words, without colour
        i = open_invoice(app.ctx, contact(app.ctx, email="nocolor@example.com").id)
        _page, modal = await open_payment_form(pilot, app, i.id)
        box = modal.query_one("#payment-receipt")
        box.scroll_visible(animate=False)
        await settle(pilot, app)
        receipt = next(x for x in screen_text(app).split("\n") if "Send a receipt" in x)
        assert "✓" not in receipt  # off: an empty box
        box.focus()
        await pilot.press("space")
        await settle(pilot, app)
        receipt = next(x for x in screen_text(app).split("\n") if "Send a receipt" in x)
        assert "✓ Send a receipt" in receipt.replace("▌", "").replace("▐", ""), receipt  # on: the glyph


async def _balance_on_page(sqlite_url, clock, app, email: str = "bob@example.com") -> str:
    """An open invoice of €1,590.50 on its page at 80×24, as read on screen."""
    async with app.run_test(size=(80, 24)) as pilot:
        page = await show_invoice(pilot, app, open_invoice(app.ctx, contact(app.ctx, email).id).id)
        assert page is app.screen
        return _norm(screen_text(app))


async def test_issue24_locale_from_the_users_preference_before_config_and_lc_all(sqlite_url, clock, monkeypatch,
                                                                                  tmp_path):
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    config_file = tmp_path / "config.toml"
    config_file.write_text('locale = "es_ES"\n', encoding="utf-8")
    monkeypatch.setenv("INVOICE_TUI_CONFIG", str(config_file))
    ws, ctx = workspace(sqlite_url, clock)
    people.set_preference(ctx, "language", "de_DE")
    ws.db.close()
    text = await _balance_on_page(sqlite_url, clock, app_for(sqlite_url, clock))
    assert "1.590,50 €" in text and "1 590,50 €" not in text, text  # de_DE, the preference


async def test_issue24_locale_from_the_config_key_before_lc_all(sqlite_url, clock, monkeypatch, tmp_path):
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    config_file = tmp_path / "config.toml"
    config_file.write_text('locale = "fr_FR"\n', encoding="utf-8")
    monkeypatch.setenv("INVOICE_TUI_CONFIG", str(config_file))
    assert load_config().locale == "fr_FR"
    ws, _ctx = workspace(sqlite_url, clock)
    ws.db.close()
    text = await _balance_on_page(sqlite_url, clock, app_for(sqlite_url, clock))
    assert "1 590,50 €" in text and "€1,590.50" not in text, text  # fr_FR, the config's key
    monkeypatch.setenv("INVOICE_TUI_LOCALE", "de_DE")  # the key's environment form
    text = await _balance_on_page(sqlite_url, clock, make_app(db_url=sqlite_url, user="alice", now=clock),
                                  "eve@example.com")
    assert "1.590,50 €" in text, text


async def test_issue24_ctrl_s_records_the_payment_from_the_amount_field(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, modal = await open_payment_form(pilot, app, i.id)
        field = modal.query_one("#payment-amount", Input)
        field.value = "100"
        field.focus()
        await pilot.pause()
        assert modal.focused is field
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is screen
    [p] = invoice_payments(i.id)
    assert p.amount_minor == 10000
