"""R51 (issue 28): each dunning level's subject and body per language are edited in the Settings
screen's Reminders group at 80×24, checked as typed (the reason beside the field, read cell by
cell), saved with Enter; a body's lines are shown with " / " between them."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from invoice_tui.domain.settings import load_settings
from invoice_tui.screens.settings import SettingsScreen
from test_en16931_snapshots import screen_rows
from test_invoice_support import app_for, settle, workspace
from tests.workerkit import workers_done

pytestmark = pytest.mark.no_seller


async def _field(pilot, app, key: str) -> Input:
    field = app.screen.query_one(f"#setting-{key}", Input)
    field.focus()
    app.screen.query_one("#settings-body").scroll_to_widget(field, animate=False, top=True)
    await settle(pilot, app)
    return field


async def test_r51_dunning_templates_in_the_settings_reminders_group_80x24(sqlite_url, clock):
    ws, _ctx = workspace(sqlite_url, clock)
    ws.db.close()
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.push_screen(SettingsScreen())
        await settle(pilot, app)
        await workers_done(app)
        await settle(pilot, app)
        field = await _field(pilot, app, "dunning_2_subject_fr")
        assert field.value == "Deuxième relance : facture {number} en retard de {days} jours"  # the built-in text
        field.value = "Relance {numero}"
        await settle(pilot, app)
        rows = screen_rows(app.export_screenshot())
        text = " ".join(" ".join(row.strip(" ▅▄▁▂▃▆▇█").split()) for row in rows)
        assert "dunning_2_subject_fr" in text
        assert "dunning_2_subject_fr: {numero} is not a placeholder; use {number}," in text, "\n".join(rows)
        field.value = "Relance n°2 : {number}, {days} jours"
        await settle(pilot, app)
        assert str(app.screen.query_one("#reason-setting-dunning_2_subject_fr", Static).render()).strip() == ""
        await pilot.press("enter")
        await workers_done(app)
        await settle(pilot, app)
        assert "Saved." in str(app.screen.query_one("#reason-setting-dunning_2_subject_fr", Static).render())

        body = await _field(pilot, app, "dunning_2_body_fr")
        assert body.value.startswith("Bonjour {contact_name}, /  / Malgré notre rappel")
        body.value = "Bonjour {contact_name}, /  / Facture {number} : {balance_due}. / {fees_note} / "
        await pilot.press("enter")
        await workers_done(app)
        await settle(pilot, app)
        assert "Saved." in str(app.screen.query_one("#reason-setting-dunning_2_body_fr", Static).render())
    ws, _ctx = workspace(sqlite_url, clock)
    settings = load_settings()
    assert settings.dunning_2_subject_fr == "Relance n°2 : {number}, {days} jours"
    assert settings.dunning_2_body_fr == "Bonjour {contact_name},\n\nFacture {number} : {balance_due}.\n{fees_note}\n"
    assert settings.dunning_2_subject_en == "Second reminder: invoice {number} is {days} days overdue"  # unchanged
    ws.db.close()
