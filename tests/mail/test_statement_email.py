"""Issue 27: a statement of account emailed through the outbox to a real SMTP server, its PDF
attached and read back, on SQLite and PostgreSQL; without a contact to send to, a sentence."""

from __future__ import annotations

import pymupdf
import pytest

from invoice_tui.db.mail_models import OutboxEmail
from invoice_tui.domain import credit, people, reports
from invoice_tui.domain.errors import BadInput
from invoice_tui.domain.workspace import set_setting
from invoice_tui.mail.statements import send_statement
from tests.reportkit import TODAY, build_story


def test_statement_email_goes_through_the_outbox_with_its_pdf(ws, admin, clock, smtp_server, transport):
    set_setting(admin, "default_from_address", "billing@dupre.example")
    ada, docs = build_story(admin, clock)
    who = credit.customer_of(docs["A"])
    sts = reports.statement(admin, who, TODAY)
    res = send_statement(admin, sts, customer=who, transport=transport)
    assert res.delivered, res.message
    assert OutboxEmail.get_by_id(res.email.id).state == "sent"
    [got] = smtp_server.received
    msg = got.message
    assert got.rcpt_tos == ["ada@example.com"] and "Statement of account" in msg["Subject"]
    body = msg.get_body(("plain",)).get_content()
    assert "Balance in EUR: €190.00" in body and "Balance in USD: $50.00" in body
    [pdf] = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == "statement-2026-03-16.pdf"
    with pymupdf.open(stream=pdf.get_content(), filetype="pdf") as doc:
        text = " ".join(" ".join(page.get_text().split()) for page in doc)
    assert "Closing balance" in text and "€190.00" in text


def test_a_company_without_contacts_is_told_to_give_an_address(ws, admin):
    acme = people.add_company(admin, {"name": "Acme"})
    who = credit.customer_by(company="Acme")
    assert who.company_id == acme.id
    with pytest.raises(BadInput) as exc:
        send_statement(admin, [], customer=who)
    assert "no contact to send the statement to" in exc.value.message
