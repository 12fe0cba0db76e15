"""Issue 24: reminder and dunning emails speak the invoice's language from greeting to signature,
the invoice details block under the message included — read as received by a real SMTP server."""

from __future__ import annotations

import datetime as dt
import re

from invoice_tui.domain import invoices
from invoice_tui.domain.workspace import set_setting
from invoice_tui.mail import reminders
from invoice_tui.mail.automation import run_due
from tests.mail.conftest import make_invoice, setup_workspace

# every English word the reminder, dunning and details texts use (a French email holds none of them)
ENGLISH = {"reminder", "invoice", "is", "was", "on", "today", "this", "that", "a", "friendly", "the",
           "balance", "hello", "if", "you", "have", "already", "paid", "thank", "and", "please", "ignore",
           "kind", "regards", "amount", "billed", "view", "online", "number", "overdue", "still",
           "open", "remains", "to", "be", "of"}  # not "message", "due" (French too)


def _french_invoice(admin):
    inv = make_invoice(admin, finalize=False)
    invoices.edit_invoice(admin, inv.id, {"locale": "fr_FR"})
    return invoices.finalize_invoice(admin, inv.id)


def _english_words(message) -> set[str]:
    text = message["Subject"] + "\n" + message.get_body(preferencelist=("plain",)).get_content()
    text = re.sub(r"\S+@\S+|https?://\S+", " ", text)  # addresses and links are no words
    return {w for w in re.findall(r"[^\W\d_]+", text.lower()) if w in ENGLISH}


def test_issue24_reminders_on_a_french_invoice_are_all_french(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    inv = _french_invoice(admin)
    clock.advance(days=30)  # the due date: the reminder of the day
    reminders.run(admin, transport)
    clock.advance(days=7)  # a week late
    reminders.run(admin, transport)
    got = [m.message for m in smtp_server.received]
    assert len(got) == 2
    assert got[0]["Subject"] == f"Rappel : la facture {inv.number} arrive à échéance aujourd'hui"
    assert got[1]["Subject"].startswith(f"Rappel : la facture {inv.number} était due le ")
    for message in got:
        body = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        assert body.startswith("Bonjour Zoë,") and "Cordialement,\nAtelier Dupré" in body
        assert "Le montant restant dû est de 1\u202f440,00\u00a0€." in body
        assert f"Facture {inv.number}" in body and "Solde dû: 1\u202f440,00\u00a0€" in body
        assert "Montant facturé: 1\u202f440,00\u00a0€" in body and "N° de bon de commande: PO-7" in body
        assert _english_words(message) == set(), _english_words(message)


def test_issue24_dunning_on_a_french_invoice_carries_french_details(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    set_setting(admin, "reminder_offsets", "")  # only dunning speaks here
    inv = _french_invoice(admin)
    clock.advance(days=37)  # a week overdue: the first dunning level
    run_due(admin, transport)
    (received,) = smtp_server.received
    assert received.message["Subject"] == f"Rappel : la facture {inv.number} est échue"
    assert _english_words(received.message) == set(), _english_words(received.message)


def test_issue24_an_english_invoice_keeps_its_english_reminder(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    inv = make_invoice(admin)
    clock.advance(days=30)
    reminders.run(admin, transport)
    (received,) = smtp_server.received
    assert received.message["Subject"] == f"Reminder: invoice {inv.number} is due today"
    body = received.message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("Hello Zoë,\n\nThis is a reminder that invoice") and "Kind regards,\nAtelier Dupré" in body
    assert "Amount billed: €1,440.00" in body and "Balance due: €1,440.00" in body
