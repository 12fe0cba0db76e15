"""Issue 25: a change of language takes effect at once, with no restart. The reader sets their
Language preference in the Settings screen (80×24): the footer and the Settings screen speak French
at once, and so do the screens below it (an invoice's page, the index) when the reader goes back
to them — each filled again, not left "Loading…"; set back to English, everything is English again.
A super admin changing the workspace's locale elsewhere switches the reader who has no preference.
"""

from __future__ import annotations

from textual.widgets import Input

from invoice_tui.i18n import language
from test_invoice_support import app_for, contact, open_invoice, settle, show_invoice, workspace
from tests.i18nkit import screen_text
from tests.workerkit import workers_done


async def _settled(pilot, app) -> str:
    for _round in range(3):
        await settle(pilot, app)
        await workers_done(app)
    await pilot.pause()
    return screen_text(app)


async def _set_language(pilot, app, value: str) -> str:
    field = app.screen.query_one("#pref-language", Input)
    field.focus()
    field.value = value
    await pilot.pause()
    await pilot.press("enter")
    return await _settled(pilot, app)


def _footer(text: str) -> str:
    return text.splitlines()[-1]


async def test_r25_language_preference_applies_at_once_and_back(sqlite_url, clock):
    from invoice_tui.screens.settings import SettingsScreen

    ws, ctx = workspace(sqlite_url, clock)
    inv = open_invoice(ctx, contact(ctx).id)
    ws.db.close()
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_invoice(pilot, app, inv.id)
        app.push_screen(SettingsScreen())
        text = await _settled(pilot, app)
        assert "Seller profile" in text and "esc Back" in _footer(text)

        text = await _set_language(pilot, app, "fr_FR")
        assert language() == "fr"
        assert isinstance(app.screen, SettingsScreen)
        assert "Profil vendeur" in text and "Raison sociale" in text, text
        assert "échap Retour" in _footer(text), text
        assert "Seller profile" not in text and "Loading" not in text and "Chargement" not in text, text
        body = app.screen.query_one("#settings-body")
        body.scroll_end(animate=False)
        text = await _settled(pilot, app)
        assert "Vos préférences" in text and "Langue" in text and "fr_FR" in text, text

        await pilot.press("escape")  # the invoice's page below, composed again in French and filled
        text = await _settled(pilot, app)
        assert type(app.screen).__name__ == "InvoiceScreen"
        assert inv.number in text and "échap Retour" in _footer(text), text
        assert "Loading" not in text and "Chargement" not in text, text
        await pilot.press("escape")  # the index: its rows and its footer back
        text = await _settled(pilot, app)
        assert type(app.screen).__name__ == "IndexScreen"
        assert inv.number in text and "Loading" not in text, text
        assert "Rechercher" in _footer(text) or "Quitter" in _footer(text), text

        app.push_screen(SettingsScreen())
        await _settled(pilot, app)
        text = await _set_language(pilot, app, "en_US")
        assert language() == "en"
        assert "Seller profile" in text and "esc Back" in _footer(text), text
        assert "Profil vendeur" not in text, text
        await pilot.press("escape")
        text = await _settled(pilot, app)
        assert inv.number in text and "Quit" in _footer(text), text


async def test_r25_workspace_locale_changed_elsewhere_switches_the_reader(sqlite_url, clock, monkeypatch):
    """No preference of their own, LANG unset: the workspace's locale, changed by a super admin in
    another process, is the reader's language at once."""
    from invoice_tui.domain.workspace import set_setting

    for name in ("LC_ALL", "LANG", "LANGUAGE", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)  # for this test only: the suite's other tests read LANG=C.UTF-8
    ws, ctx = workspace(sqlite_url, clock)
    inv = open_invoice(ctx, contact(ctx).id)
    ws.db.close()
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_invoice(pilot, app, inv.id)
        assert language() == "en"
        other, other_ctx = workspace(sqlite_url, clock)  # another process: the CLI, another user
        set_setting(other_ctx, "locale", "fr_FR")
        other.db.close()
        text = ""
        for _round in range(40):  # until the feed has seen it and the screens are composed again
            app.changes.check_now()
            text = await _settled(pilot, app)
            if language() == "fr" and "échap Retour" in _footer(text) and inv.number in text:
                break
        assert language() == "fr", text
        assert "échap Retour" in _footer(text) and inv.number in text, text


async def test_r25_a_load_finishing_while_the_page_is_composed_again_fills_the_new_widgets(sqlite_url, clock):
    """A settings change from elsewhere both reloads the invoice's page and switches its language:
    the load may finish while the page's widgets are removed and composed again. Its result waits
    for the new widgets (``ServiceCalls.compose_again``) instead of failing on a half-emptied page."""
    import asyncio

    from invoice_tui.screens.invoice import load_invoice_view
    from invoice_tui.widgets.language import refresh_screen

    ws, ctx = workspace(sqlite_url, clock)
    inv = open_invoice(ctx, contact(ctx).id)
    ws.db.close()
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await show_invoice(pilot, app, inv.id)
        recompose = screen.recompose
        finished_inside = []

        async def recompose_while_a_load_finishes() -> None:
            await screen.query_children("*").exclude(".-textual-system").remove()
            worker = screen.call_service(load_invoice_view, app.ctx, inv.id, "", done=screen._show)
            await worker.wait()
            for _round in range(10):  # the screen's own loop handles the worker's message meanwhile
                await asyncio.sleep(0.01)
            finished_inside.append(worker.is_finished)
            await recompose()

        screen.recompose = recompose_while_a_load_finishes
        await refresh_screen(screen)
        text = await _settled(pilot, app)
        assert finished_inside == [True]
        assert app.screen is screen and inv.number in text and "Loading" not in text, text
