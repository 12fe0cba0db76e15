"""Issue 22: the Settings screen. Super admins see the workspace settings grouped (seller profile,
numbering, sending, reminders), everyone their preferences; every field is checked as typed with
the reason beside it, Enter saves through the service (strict mode's note shown). 80×24 snapshot
of the seller-profile section, read whole."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from invoice_tui.domain.settings import load_settings
from invoice_tui.screens.settings import SettingsScreen
from test_en16931_snapshots import assert_whole, screen_rows
from tests.workerkit import workers_done
from test_invoice_support import app_for, settle, workspace

pytestmark = pytest.mark.no_seller

SELLER = {"seller_legal_name": "Lumière & Co. Studio SAS", "seller_address": "8 boulevard de la Croix-Rousse",
          "seller_postcode": "69004", "seller_city": "Lyon", "seller_siren": "732829320",
          "seller_vat_id": "FR40303265045"}


def _seller(sqlite_url, clock) -> None:
    from invoice_tui.domain.workspace import set_setting

    ws, ctx = workspace(sqlite_url, clock)
    for key, value in SELLER.items():
        set_setting(ctx, key, value)
    ws.db.close()


def test_settings_screen_seller_profile_80x24(snap_compare, sqlite_url, clock):
    _seller(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    seen: list[str] = []

    async def run_before(pilot) -> None:
        await settle(pilot, app)
        app.push_screen(SettingsScreen())
        await settle(pilot, app)
        await workers_done(app)
        await settle(pilot, app)
        field = app.screen.query_one("#setting-seller_siret", Input)
        field.focus()
        field.value = "732 829 320 00075"
        await settle(pilot, app)
        app.screen.query_one("#setting-seller_postcode", Input).focus()
        await settle(pilot, app)
        seen.extend(screen_rows(app.export_screenshot()))

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    assert_whole(seen, "Seller profile", "Legal name", "Lumière & Co. Studio SAS", "Postcode",
                 "69004", "SIREN", "732829320", "SIRET", "732 829 320 00075")
    text = " ".join(row.strip(" ▅▄▁▂▃▆▇█") for row in seen)  # the reason wraps beside the field
    assert "seller_siret: SIRET 732 829 320 00075: the check digit is wrong" in " ".join(text.split()), text


async def test_settings_screen_checks_as_typed_and_saves_with_the_strict_note(sqlite_url, clock):
    _seller(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.push_screen(SettingsScreen())
        await settle(pilot, app)
        await workers_done(app)
        await settle(pilot, app)
        field = app.screen.query_one("#setting-seller_iban", Input)
        field.focus()
        field.value = "FR14 2004 1010 0505 0001 3M02 607"
        await settle(pilot, app)
        reason = str(app.screen.query_one("#reason-setting-seller_iban", Static).render())
        assert "the check digits are wrong (mod 97)" in reason
        field.value = "FR14 2004 1010 0505 0001 3M02 606"
        await settle(pilot, app)
        assert str(app.screen.query_one("#reason-setting-seller_iban", Static).render()).strip() == ""
        await pilot.press("enter")
        await workers_done(app)
        await settle(pilot, app)
        country = app.screen.query_one("#setting-seller_country", Input)
        country.focus()
        country.value = "FR"
        await pilot.press("enter")
        await workers_done(app)
        await settle(pilot, app)
        assert "Strict mode is now on" in str(app.screen.query_one("#reason-setting-seller_country", Static).render())
    ws, _ctx = workspace(sqlite_url, clock)
    settings = load_settings()
    assert (settings.seller_iban, settings.seller_country, settings.strict_mode) == (
        "FR1420041010050500013M02606", "FR", True)
    ws.db.close()


async def test_settings_screen_shows_only_preferences_to_a_user_without_settings_rights(sqlite_url, clock):
    from invoice_tui.domain import people

    ws, ctx = workspace(sqlite_url, clock)
    people.add_user(ctx, "bob", permissions="view,create,edit")
    ws.db.close()
    app = app_for(sqlite_url, clock, user="bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.push_screen(SettingsScreen())
        await settle(pilot, app)
        await workers_done(app)
        await settle(pilot, app)
        ids = {i.id for i in app.screen.query(Input)}
        assert ids == {"pref-language", "pref-theme", "pref-export_folder"}


async def test_settings_screen_opens_from_the_index_key_and_the_palette(sqlite_url, clock):
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("comma")
        await settle(pilot, app)
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, SettingsScreen)
        await pilot.press("ctrl+p")
        await settle(pilot, app)
        await pilot.press(*"Open settings")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, SettingsScreen)
