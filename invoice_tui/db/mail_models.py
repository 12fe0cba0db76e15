"""The outbox (R30–R33, R10): every email is stored before it is sent.

States: ``queued`` → ``sending`` (set by compare-and-set just before the SMTP transaction) →
``sent`` (with the server's answer) or ``failed`` (retried with backoff while ``next_attempt_at``
is set) or ``unknown`` (the transaction was interrupted: it may or may not have been delivered;
a person resends or drops it). ``dropped`` is a person's decision. The full message is stored, so
a retry sends exactly the same bytes (same Message-ID).

No foreign keys to invoices or payments: the outbox is a log and outlives what it mentions.
"""

from __future__ import annotations

import peewee as pw

from invoice_tui.db.models import BaseModel

OUTBOX_STATES = ("queued", "sending", "sent", "failed", "rejected", "unknown", "dropped")  # rejected: R58, terminal
OUTBOX_KINDS = ("invoice", "custom", "reminder", "receipt")


class OutboxEmail(BaseModel):
    kind = pw.CharField(max_length=12)  # invoice, custom, reminder, receipt
    state = pw.CharField(default="queued", max_length=12, index=True)
    invoice_id = pw.BigIntegerField(null=True, index=True)
    invoice_number = pw.CharField(null=True, max_length=64)
    payment_id = pw.BigIntegerField(null=True)
    reminder_id = pw.BigIntegerField(null=True, unique=True)  # one email per reminder, ever (R33)
    from_addr = pw.CharField(max_length=320)
    to_addrs = pw.TextField()  # comma-separated addr-specs
    cc_addrs = pw.TextField(default="")
    subject = pw.CharField(max_length=998)
    message_id = pw.CharField(max_length=255, unique=True)
    raw = pw.TextField()  # the whole RFC 5322 message as sent
    new_contact_email = pw.CharField(null=True, max_length=320)  # R30: created once accepted
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(null=True, index=True)
    sending_since = pw.DateTimeField(null=True)
    last_error = pw.TextField(default="")
    server_reply = pw.TextField(default="")
    created_by = pw.CharField(max_length=128)
    created_at = pw.DateTimeField()
    sent_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "outbox"


MAIL_MODELS = [OutboxEmail]
