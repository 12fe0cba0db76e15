"""R30–R32 over a real SMTP conversation (aiosmtpd on loopback), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import pymupdf
import pytest

from invoice_tui.db.mail_models import OutboxEmail
from invoice_tui.db.models import Activity, Contact, Invoice
from invoice_tui.domain import invoices
from invoice_tui.domain.errors import BadInput, RuleRefused
from invoice_tui.domain.workspace import set_setting
from invoice_tui.mail import outbox
from invoice_tui.mail.compose import custom_draft, insert_invoice_link, invoice_draft, prepare, preview_text
from invoice_tui.mail.sending import send_draft

from .conftest import make_invoice, setup_workspace


def _reload(inv) -> Invoice:
    return Invoice.get_by_id(inv.id)


def test_r30_r31_invoice_email_headers_body_and_pdf(ws, admin, smtp_server, transport):
    setup_workspace(admin)
    inv = make_invoice(admin)
    draft = invoice_draft(admin, inv)
    assert draft.to == "zoe@muller.example"  # R30: To is the billing contact
    draft.cc = ["accounts@muller.example", "boss@muller.example"]
    res = send_draft(admin, draft, transport)
    assert res.delivered, res.message
    assert len(smtp_server.received) == 1
    got = smtp_server.received[0]
    msg = got.message
    assert got.mail_from == "billing@dupre.example"
    assert sorted(got.rcpt_tos) == ["accounts@muller.example", "boss@muller.example", "zoe@muller.example"]
    assert msg["From"].addresses[0].addr_spec == "billing@dupre.example"
    assert msg["From"].addresses[0].display_name == "Atelier Dupré"
    assert msg["To"].addresses[0].addr_spec == "zoe@muller.example"
    assert msg["To"].addresses[0].display_name == "Zoë Müller"
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["accounts@muller.example", "boss@muller.example"]
    assert msg["Reply-To"].addresses[0].addr_spec == "billing@dupre.example"  # replies go to From
    assert msg["Subject"] == f"Invoice {inv.number} from Atelier Dupré"
    assert msg["Message-ID"] and msg["Date"]
    text = msg.get_body(preferencelist=("plain",)).get_content()
    link = f"https://invoices.example.com/i/{inv.link_token}"
    assert "Hello Zoë" in text and inv.number in text and link in text
    assert "Balance due: €1,440.00" in text  # the invoice details (R31)
    pdfs = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_filename() == f"{inv.number}.pdf"
    doc = pymupdf.open(stream=pdfs[0].get_content(), filetype="pdf")
    pdf_text = "".join(page.get_text() for page in doc)
    assert inv.number in pdf_text and "€1,440.00" in pdf_text and "Balance due" in pdf_text
    # R32: accepted by the server ⇒ last sent date set, history says so
    assert _reload(inv).last_sent_date == admin.today()
    assert Activity.select().where((Activity.invoice_id == inv.id) & (Activity.kind == "email_sent")).count() == 1
    email = OutboxEmail.get_by_id(res.email.id)
    assert email.state == "sent" and "250" in email.server_reply


def test_r30_tenth_cc_refused(ws, admin, transport):
    setup_workspace(admin)
    inv = make_invoice(admin)
    draft = invoice_draft(admin, inv)
    draft.cc = [f"cc{i}@example.com" for i in range(9)]
    prepare(admin, draft, with_attachment=False)  # nine is fine
    draft.cc.append("cc9@example.com")
    with pytest.raises(RuleRefused, match="at most 9 CC"):
        send_draft(admin, draft, transport)
    assert OutboxEmail.select().count() == 0


@pytest.mark.parametrize("field,value", [
    ("subject", "Hello\r\nBcc: victim@example.com"),
    ("subject", "Hello\nX-Evil: 1"),
    ("to", "zoe@muller.example\r\nBcc: victim@example.com"),
    ("to_name", "Zoë\r\nBcc: victim@example.com"),
    ("from_addr", "billing@dupre.example\nBcc: x@example.com"),
])
def test_r30_header_injection_refused(ws, admin, transport, field, value):
    setup_workspace(admin)
    inv = make_invoice(admin)
    draft = invoice_draft(admin, inv)
    setattr(draft, field, value)
    with pytest.raises((BadInput, RuleRefused)):
        send_draft(admin, draft, transport)
    draft = invoice_draft(admin, inv)
    draft.cc = ["a@example.com\r\nBcc: victim@example.com"]
    with pytest.raises(BadInput):
        send_draft(admin, draft, transport)
    assert OutboxEmail.select().count() == 0


def test_r30_from_rules(ws, admin, smtp_server, transport):
    from invoice_tui.domain import people
    from invoice_tui.domain.settings import load_settings

    setup_workspace(admin)
    set_setting(admin, "default_from_address", "")
    people.User.update(email="alice@dupre.example", name="Alice Martin").where(people.User.login == "alice").execute()
    admin.user = people.User.get(people.User.login == "alice")
    inv = make_invoice(admin)
    # No default: the user's own address is proposed, and it becomes the workspace default.
    draft = invoice_draft(admin, inv)
    assert draft.from_addr == "alice@dupre.example"
    assert "becomes the workspace's default From" in preview_text(prepare(admin, draft, with_attachment=False))
    assert send_draft(admin, draft, transport).delivered
    assert load_settings().default_from_address == "alice@dupre.example"
    # With a default set, another address is refused, and the own one only when allowed.
    set_setting(admin, "default_from_address", "billing@dupre.example")
    draft = invoice_draft(admin, inv)
    assert draft.from_addr == "billing@dupre.example"
    draft.from_addr = "alice@dupre.example"
    with pytest.raises(RuleRefused, match="allow_personal_from"):
        send_draft(admin, draft, transport)
    set_setting(admin, "allow_personal_from", "true")
    assert send_draft(admin, draft, transport).delivered
    assert smtp_server.received[-1].message["From"].addresses[0].addr_spec == "alice@dupre.example"
    assert smtp_server.received[-1].message["Reply-To"].addresses[0].addr_spec == "alice@dupre.example"
    draft.from_addr = "someone@else.example"
    with pytest.raises(RuleRefused):
        send_draft(admin, draft, transport)


def test_r32_server_down_stays_queued_then_retry_delivers_once(ws, admin, clock, smtp_server, transport,
                                                             down_transport):
    setup_workspace(admin)
    inv = make_invoice(admin)
    draft = invoice_draft(admin, inv)
    draft.to = "new.person@muller.example"  # a new address: a contact once accepted (R30)
    res = send_draft(admin, draft, down_transport)
    assert not res.delivered
    email = OutboxEmail.get_by_id(res.email.id)
    assert email.state == "failed" and email.next_attempt_at > admin.now() and email.attempts == 1
    assert _reload(inv).last_sent_date is None  # R32: not accepted yet
    assert not Contact.select().where(Contact.email == "new.person@muller.example").exists()
    # not due yet: nothing happens
    assert outbox.process_due(admin, transport) == []
    clock.advance(minutes=2)
    delivered = outbox.process_due(admin, transport)
    assert [d.delivered for d in delivered] == [True]
    assert len(smtp_server.received) == 1
    assert _reload(inv).last_sent_date == admin.today()
    assert Contact.select().where(Contact.email == "new.person@muller.example").exists()
    # never twice
    clock.advance(hours=5)
    assert outbox.process_due(admin, transport) == []
    d = outbox.deliver(admin, email.id, transport)
    assert d.delivered and len(smtp_server.received) == 1
    with pytest.raises(RuleRefused):
        outbox.retry(admin, email.id, transport)
    assert len(smtp_server.received) == 1


def test_r32_custom_email_with_inserted_invoice_keeps_last_sent_date(ws, admin, smtp_server, transport):
    setup_workspace(admin)
    inv = make_invoice(admin)
    other = make_invoice(admin, amount="80")
    draft = custom_draft(admin, inv)
    draft.subject = "Our two invoices"
    draft.body = f"Hello,\n\nplease see {insert_invoice_link(other)} as well.\n"
    res = send_draft(admin, draft, transport)
    assert res.delivered
    msg = smtp_server.received[0].message
    assert not list(msg.iter_attachments())
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert re.search(rf'<a href="https://invoices.example.com/i/{other.link_token}">{other.number}</a>', html)
    plain = msg.get_body(preferencelist=("plain",)).get_content()
    assert f"{other.number} <https://invoices.example.com/i/{other.link_token}>" in plain
    assert _reload(inv).last_sent_date is None and _reload(other).last_sent_date is None  # R32


def test_r4_draft_and_voided_not_sendable(ws, admin, transport):
    setup_workspace(admin)
    draft_inv = make_invoice(admin, finalize=False)
    with pytest.raises(RuleRefused, match="draft"):
        send_draft(admin, invoice_draft(admin, draft_inv), transport)
    inv = make_invoice(admin)
    invoices.void_invoice(admin, inv.id)
    with pytest.raises(RuleRefused, match="voided"):
        send_draft(admin, invoice_draft(admin, _reload(inv)), transport)


def test_outbox_sending_left_by_a_dead_process_becomes_unknown(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    inv = make_invoice(admin)
    prepared = prepare(admin, invoice_draft(admin, inv), with_attachment=False)
    email = outbox.queue(admin, prepared)
    OutboxEmail.update(state="sending", sending_since=admin.now()).where(OutboxEmail.id == email.id).execute()
    clock.advance(minutes=20)
    assert outbox.process_due(admin, transport) == []
    email = OutboxEmail.get_by_id(email.id)
    assert email.state == "unknown" and not smtp_server.received  # never resent by itself
    assert outbox.retry(admin, email.id, transport).delivered  # a person decides
    assert len(smtp_server.received) == 1
    e2 = outbox.queue(admin, prepare(admin, invoice_draft(admin, inv), with_attachment=False))
    outbox.drop(admin, e2.id)
    assert OutboxEmail.get_by_id(e2.id).state == "dropped"
    assert outbox.process_due(admin, transport) == []


def test_r30_password_never_shown():
    from invoice_tui.mail.transport import transport_from_url

    t = transport_from_url("smtp://me:s3cret@mail.example.com:587?starttls=1")
    assert "s3cret" not in t.describe() and "s3cret" not in repr(t)
    t = transport_from_url("smtps://me@mail.example.com", "hunter2")
    assert t.password == "hunter2" and "hunter2" not in repr(t) and t.port == 465


def test_maildir_transport(ws, admin, tmp_path):
    from invoice_tui.mail.transport import transport_from_url

    setup_workspace(admin)
    inv = make_invoice(admin)
    res = send_draft(admin, invoice_draft(admin, inv), transport_from_url(f"maildir:{tmp_path / 'Maildir'}"))
    assert res.delivered
    assert len(list((tmp_path / "Maildir" / "new").iterdir())) == 1
