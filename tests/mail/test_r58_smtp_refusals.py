"""R58 / issue 19: SMTP refusals by kind, against a real SMTP server (aiosmtpd on loopback).

A permanent refusal (5xx) ends the email in the terminal state ``rejected`` with the server's
sentence, shown in the outbox and in the invoice's history, and never retried (not by the
outbox's due pass, not by a person). A temporary one (4xx) is retried with backoff, as before.
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from invoice_tui.db.mail_models import OutboxEmail
from invoice_tui.db.models import Activity, Reminder
from invoice_tui.domain import invoice_page
from invoice_tui.domain.errors import RuleRefused
from invoice_tui.domain.reads import outbox_rows
from invoice_tui.mail import outbox, reminders
from invoice_tui.mail.compose import invoice_draft
from invoice_tui.mail.sending import send_draft

from .conftest import make_invoice, setup_workspace

UNKNOWN = "550 5.1.1 <nobody@muller.example>: Recipient address rejected: User unknown in local recipient table"
SPAM = "554 5.7.1 Message refused: it looks like spam to this server"
GREYLISTED = "451 4.7.1 Greylisted, please try again in a few minutes"


@pytest.mark.parametrize("where", ["rcpt", "data"])
def test_r58_a_permanent_refusal_is_rejected_with_the_servers_sentence_and_never_retried(
        ws, admin, clock, smtp_server, transport, where):
    setup_workspace(admin)
    inv = make_invoice(admin)
    draft = invoice_draft(admin, inv)
    if where == "rcpt":
        draft.to = "nobody@muller.example"
        smtp_server.rcpt_replies["nobody@muller.example"] = UNKNOWN
        sentence = "Recipient address rejected: User unknown"
    else:
        smtp_server.data_reply = SPAM
        sentence = "it looks like spam to this server"
    res = send_draft(admin, draft, transport)
    assert not res.delivered and sentence in res.message
    email = OutboxEmail.get_by_id(res.email.id)
    assert email.state == "rejected" and email.next_attempt_at is None and email.attempts == 1
    assert sentence in email.last_error
    # the outbox shows it, with the server's sentence
    row = next(r for r in outbox_rows(admin) if r.id == email.id)
    assert row.state == "rejected" and "rejected" in row.cells and sentence in row.detail
    assert "not retried" in row.detail
    # the invoice's history says so
    history = invoice_page.load_activities(inv.id)
    rejected = [a for a in history if a.kind == "email_rejected"]
    assert len(rejected) == 1 and sentence in rejected[0].text
    # never retried: not by the outbox's due pass, however late, nor by a person
    smtp_server.rcpt_replies.clear()
    smtp_server.data_reply = None
    for _ in range(3):
        clock.advance(hours=5)
        assert outbox.process_due(admin, transport) == []
    with pytest.raises(RuleRefused, match="never retried") as refused:
        outbox.retry(admin, email.id, transport)
    assert refused.value.code == "outbox.rejected"
    with pytest.raises(RuleRefused):
        outbox.drop(admin, email.id)
    assert OutboxEmail.get_by_id(email.id).state == "rejected" and OutboxEmail.get_by_id(email.id).attempts == 1
    assert smtp_server.received == []
    assert Activity.select().where((Activity.invoice_id == inv.id) & (Activity.kind == "email_sent")).count() == 0


def test_r58_a_temporary_refusal_is_retried_with_backoff(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    inv = make_invoice(admin)
    smtp_server.rcpt_replies["zoe@muller.example"] = GREYLISTED
    res = send_draft(admin, invoice_draft(admin, inv), transport)
    assert not res.delivered and "Greylisted" in res.message
    email = OutboxEmail.get_by_id(res.email.id)
    assert email.state == "failed" and email.next_attempt_at == admin.now() + outbox._backoff(1)
    assert outbox.process_due(admin, transport) == []  # not due yet
    clock.advance(minutes=1)
    assert [d.delivered for d in outbox.process_due(admin, transport)] == [False]  # still greylisted
    email = OutboxEmail.get_by_id(email.id)
    assert email.state == "failed" and email.attempts == 2
    assert email.next_attempt_at == admin.now() + outbox._backoff(2)  # the backoff grows: 5 minutes
    smtp_server.rcpt_replies.clear()
    clock.advance(minutes=5)
    assert [d.delivered for d in outbox.process_due(admin, transport)] == [True]
    assert OutboxEmail.get_by_id(email.id).state == "sent" and len(smtp_server.received) == 1
    assert not Activity.select().where(Activity.kind == "email_rejected").exists()


def test_r58_a_rejected_reminder_is_not_left_sending_and_not_sent_again(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    inv = make_invoice(admin)
    smtp_server.rcpt_replies["zoe@muller.example"] = UNKNOWN
    clock.advance(days=30)
    res = reminders.run(admin, transport)
    assert not res.sent and len(res.queued) == 1 and "User unknown" in res.queued[0]["reason"]
    assert {r.offset_days: r.state for r in Reminder.select().where(Reminder.invoice == inv.id)} == {
        -3: "dropped", 0: "dropped", 7: "planned"}
    smtp_server.rcpt_replies.clear()
    clock.advance(hours=5)
    again = reminders.run(admin, transport)
    assert not again.sent and again.retried == [] and smtp_server.received == []
    assert [a.kind for a in invoice_page.load_activities(inv.id) if a.kind == "email_rejected"] == ["email_rejected"]
