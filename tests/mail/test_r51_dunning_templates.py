"""R51 (issue 28): each dunning level's subject and body, per language, are workspace settings
with the built-in texts as defaults; what a real SMTP server receives, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from invoice_tui.db.models import Setting
from invoice_tui.domain import dunning_texts, invoices, people
from invoice_tui.domain.errors import BadInput
from invoice_tui.domain.settings import WorkspaceSettings, load_settings
from invoice_tui.domain.workspace import set_setting
from invoice_tui.mail.automation import run_due
from tests.mail.conftest import setup_workspace

SUBJECT_FR = "Relance n°2 : {number}, {days} jours de retard"
BODY_FR = "Bonjour {contact_name},\n\nLa facture {number} ({balance_due}) attend toujours.\n{fees_note}\n\n{seller_name}\n"


def _at(clock, day: dt.date) -> None:
    clock.moment = dt.datetime.combine(day, dt.time(9, 30))


def _invoice(admin, locale: str, email: str):
    contact = people.add_contact(admin, {"email": email, "first_name": "Zoé", "last_name": "Martin"})
    inv = invoices.create_invoice(admin, {"currency": "EUR", "locale": locale, "contact_id": contact.id,
                                          "lines": [{"name": "Conseil", "quantity": "1", "unit_price": "1000",
                                                     "tax_rate": "20"}]})
    return invoices.finalize_invoice(admin, inv.id)


def _plain(received) -> str:
    return received.message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def test_r51_custom_level_2_in_french_is_what_the_server_receives(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    set_setting(admin, "reminder_offsets", "")  # only dunning speaks here
    set_setting(admin, "dunning_2_subject_fr", SUBJECT_FR)
    set_setting(admin, "dunning_2_body_fr", BODY_FR)
    _at(clock, dt.date(2024, 1, 1))
    fr = _invoice(admin, "fr_FR", "zoe@martin.example")  # due 2024-01-31
    en = _invoice(admin, "en_US", "ann@smith.example")
    got = {}
    for day, level in ((dt.date(2024, 2, 7), 7), (dt.date(2024, 2, 15), 15), (dt.date(2024, 3, 1), 30)):
        _at(clock, day)
        before = len(smtp_server.received)
        run_due(admin, transport)
        run_due(admin, transport)  # each level once, whatever the number of runs
        got[level] = {r.rcpt_tos[0]: r for r in smtp_server.received[before:]}
        assert len(got[level]) == 2 and len(smtp_server.received) == before + 2
    mail = got[15]["zoe@martin.example"]
    assert mail.message["Subject"] == f"Relance n°2 : {fr.number}, 15 jours de retard"
    body = _plain(mail)
    assert body.startswith(f"Bonjour Zoé,\n\nLa facture {fr.number} (1\u202f200,00\u00a0€) attend toujours.\n\n"
                           "Atelier Dupré\n"), body
    assert "{" not in body  # the empty {fees_note} line is left out, nothing unfilled
    # the other levels, and the other language, keep the built-in texts
    assert got[7]["zoe@martin.example"].message["Subject"] == f"Rappel : la facture {fr.number} est échue"
    assert got[30]["zoe@martin.example"].message["Subject"] == f"Mise en demeure : facture {fr.number}"
    assert _plain(got[30]["zoe@martin.example"]).startswith("Bonjour Zoé,\n\nLa facture")
    assert got[15]["ann@smith.example"].message["Subject"] == f"Second reminder: invoice {en.number} is 15 days overdue"
    assert "Kind regards,\nAtelier Dupré" in _plain(got[15]["ann@smith.example"])


def test_r51_empty_template_is_the_built_in_text(ws, admin):
    set_setting(admin, "dunning_2_subject_fr", SUBJECT_FR)
    assert load_settings().dunning_2_subject_fr == SUBJECT_FR
    set_setting(admin, "dunning_2_subject_fr", "")
    assert load_settings().dunning_2_subject_fr == ""  # the sender uses the built-in text for ""
    assert WorkspaceSettings().dunning_2_subject_fr == dunning_texts.default(2, "subject", "fr")


@pytest.mark.parametrize("key,text,said", [
    ("dunning_2_subject_fr", "Relance {numero}", "{numero} is not a placeholder"),
    ("dunning_2_subject_fr", "Relance {number", "'{number' is not a placeholder"),
    ("dunning_1_body_en", "Hello }\n{number}", "'}' is not a placeholder"),
    ("dunning_3_body_de", "Rechnung {Number}", "'{Number}' is not a placeholder"),
    ("dunning_2_body_es", "{number!r}", "'{number!r}' is not a placeholder"),
    ("dunning_2_subject_fr", "Relance\n{number}", "may not contain line breaks"),
])
def test_r51_dunning_template_known_bad(ws, admin, key, text, said):
    settings_before = {r.key: r.value for r in Setting.select()}
    with pytest.raises(BadInput) as exc:
        set_setting(admin, key, text)
    assert key in exc.value.message and said in exc.value.message, exc.value.message
    assert exc.value.field == key
    assert {r.key: r.value for r in Setting.select()} == settings_before  # nothing changed
    assert getattr(load_settings(), key) == dunning_texts.default(int(key[8]), key.split("_")[2], key[-2:])


def test_r51_unknown_template_language_or_level_is_not_a_setting(ws, admin):
    for key in ("dunning_4_subject_fr", "dunning_2_subject_it"):
        with pytest.raises(BadInput, match="Unknown setting"):
            set_setting(admin, key, "x")
