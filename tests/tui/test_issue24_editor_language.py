"""Issue 24: the invoice editor sets an invoice's language (its locale), checked by the service as
``invoices edit --locale`` is; the documents then follow it. Pilot at 80×24."""

from __future__ import annotations

import pytest
from textual.widgets import Collapsible, Select

from invoice_tui.db.models import Invoice
from invoice_tui.documents.markdown import invoice_markdown
from invoice_tui.domain import invoices as invoice_service
from invoice_tui.domain.errors import BadInput
from test_invoice_support import app_for, contact, draft, settle, workspace


async def test_issue24_editor_sets_the_invoice_language_and_the_document_follows(sqlite_url, clock):
    from invoice_tui.screens.editor import EditorScreen

    ws, ctx = workspace(sqlite_url, clock)
    d = draft(ctx, contact(ctx).id)
    assert Invoice.get_by_id(d.id).locale == "en_US"
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.push_screen(EditorScreen(d.id))
        await settle(pilot, app)
        editor = app.screen
        await pilot.press("ctrl+t")  # the Legal data section
        await settle(pilot, app)
        assert not editor.query_one("#editor-legal", Collapsible).collapsed
        language = editor.query_one("#editor-locale", Select)
        assert language.value == "en_US"
        language.focus()
        await pilot.press("enter")  # open the list, then go down to fr_FR and take it
        await settle(pilot, app)
        for _ in range(2):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot, app)
        assert language.value == "fr_FR"
        shown = "\n".join("".join(s.text for s in strip) for strip in app.screen._compositor.render_strips())
        assert "fr_FR · français (France)" in shown  # the choice read on screen, whole
        await pilot.press("ctrl+s")  # from the language field itself
        await settle(pilot, app)
        assert app.screen is not editor
    row = Invoice.get_by_id(d.id)
    assert row.locale == "fr_FR"
    text = invoice_markdown(row)
    assert "Facture" in text and "Facturer à" in text and "Bill to" not in text


def test_issue24_the_service_refuses_an_unknown_invoice_language(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    d = draft(ctx, contact(ctx).id)
    with pytest.raises(BadInput, match="not a known locale"):
        invoice_service.edit_invoice(ctx, d.id, {"locale": "xx_QQ"})
    assert Invoice.get_by_id(d.id).locale == "en_US"
