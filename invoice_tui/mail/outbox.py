"""The outbox: every email is stored before it is sent, and sent at most once.

``queued`` → ``sending`` → ``sent`` | ``failed`` | ``rejected`` | ``unknown``; a person may ``drop``
an email or ``retry`` a failed or unknown one. ``rejected`` is terminal (R58).

- Claiming an email for sending is a compare-and-set in its own transaction
  (``UPDATE … SET state='sending' WHERE id=? AND state IN ('queued','failed') AND due``): when two
  processes try the same email, only one gets it.
- The SMTP transaction happens outside any database transaction.
- Accepted: ``sent`` with the server's answer, and the effects of acceptance in one transaction:
  the invoice's last sent date (R32, invoice emails only), the contact for a new address (R30),
  the reminder's ``sent`` state (R33), the history entries (R16).
- Not delivered (server unreachable, 4xx, connection lost before the hand-over): ``failed`` with
  the next attempt after a backoff (1, 5, 15, 60 min, then every 4 h, at most 8 attempts).
- Refused for good (5xx, R58): ``rejected`` with the server's sentence, in the outbox and in the
  invoice's history; never retried, by the outbox or by a person (a new email is a new send).
- The login or configuration is wrong: ``failed`` without an automatic retry (a person fixes it
  and retries).
- Interrupted after the message was handed over, or the process died while ``sending``: the
  email becomes ``unknown`` — it may have arrived, so it is never resent automatically; a person
  retries or drops it.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from email.policy import SMTP

import peewee as pw

from invoice_tui.db import retry_busy, write_tx
from invoice_tui.db.mail_models import OutboxEmail
from invoice_tui.db.models import Contact, Invoice, Reminder
from invoice_tui.domain import history
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, EnvironmentFailure, NotFound, RuleRefused
from invoice_tui.domain.permissions import require
from invoice_tui.domain.settings import store_setting
from invoice_tui.domain.tx import mutation
from invoice_tui.mail.compose import Prepared, stamp
from invoice_tui.mail.transport import Transport, TransportError
from invoice_tui.i18n import N_, _

BACKOFF_MINUTES = (1, 5, 15, 60, 240, 240, 240)
MAX_ATTEMPTS = 8
STALE_SENDING = dt.timedelta(minutes=15)
# An email whose queuing process delivers it at once is left to that process for this long: a
# concurrent ``process_due`` (cron, another user's Send) takes it only if the queuer evidently
# stopped before sending. Each process then reports what it did itself (R33: sent once, and said so).
SENDER_GRACE = dt.timedelta(minutes=2)


# An outbox email's state as people read it (the state itself is stored and given by --json as it is).
STATE_LABELS = {"queued": N_("queued"), "sending": N_("sending"), "sent": N_("sent"), "failed": N_("failed"),
                "unknown": N_("unknown"), "rejected": N_("rejected"), "dropped": N_("dropped")}


KIND_LABELS = {"invoice": N_("invoice"), "custom": N_("custom"), "reminder": N_("reminder"),
               "receipt": N_("receipt")}


def kind_label(kind: str) -> str:
    """An outbox email's kind in the reader's language."""
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def state_label(state: str) -> str:
    """An outbox state in the reader's language (issue 25)."""
    return _(STATE_LABELS[state]) if state in STATE_LABELS else state


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1) - 1, len(BACKOFF_MINUTES) - 1)])


# ---- queueing --------------------------------------------------------------------------------
def queue_prepared(ctx: Context, prepared: Prepared, *, reminder_id: int | None = None,
                   payment_id: int | None = None, kind: str | None = None,
                   delivering: bool = False) -> OutboxEmail:
    """Store a prepared message in the outbox (inside the caller's transaction).

    ``delivering``: the caller calls ``deliver`` right after its commit, so the email is due for
    anyone else only after ``SENDER_GRACE``."""
    require(ctx, "send")
    now = ctx.now()
    msg = prepared.message
    msg_id = stamp(msg, now, prepared.from_addr)
    raw = msg.as_bytes(policy=SMTP).decode("ascii")  # every part is 7-bit (quoted-printable/base64)
    inv = prepared.invoice
    if prepared.make_default_from:
        old = store_setting("default_from_address", prepared.from_addr)
        history.record_changes(ctx, "workspace", 0, None, {"default_from_address": old},
                               {"default_from_address": prepared.from_addr})
    return OutboxEmail.create(
        kind=kind or prepared.kind, state="queued", invoice_id=inv.id if inv else None,
        invoice_number=inv.number if inv else None, payment_id=payment_id, reminder_id=reminder_id,
        from_addr=prepared.from_addr, to_addrs=prepared.to, cc_addrs=",".join(prepared.cc),
        subject=prepared.subject[:998], message_id=msg_id.strip("<>"), raw=raw,
        new_contact_email=prepared.new_contact_email, attempts=0,
        next_attempt_at=now + SENDER_GRACE if delivering else now, created_by=ctx.login,
        created_at=now)


@mutation
def queue(ctx: Context, prepared: Prepared, **kwargs) -> OutboxEmail:
    """Store a prepared message in the outbox in its own transaction."""
    return queue_prepared(ctx, prepared, **kwargs)


# ---- delivering ------------------------------------------------------------------------------
@dataclass
class Delivery:
    email: OutboxEmail
    delivered: bool
    message: str
    # Whether THIS call made the SMTP transaction. False when another process had claimed the
    # email first (it may be sent by then, ``delivered``, but by someone else): a report says
    # "sent" only for the emails its own call handed over (R33: each reminder sent appears as
    # sent in exactly one run's report, whichever run delivered it).
    mine: bool = True


@retry_busy
def _claim(email_id: int, now: dt.datetime) -> bool:
    """Compare-and-set ``queued``/due ``failed`` → ``sending`` in its own transaction."""
    with write_tx():
        due = OutboxEmail.next_attempt_at.is_null(False) & (OutboxEmail.next_attempt_at <= now)
        n = (OutboxEmail.update(state="sending", sending_since=now, attempts=OutboxEmail.attempts + 1)
             .where((OutboxEmail.id == email_id)
                    & ((OutboxEmail.state == "queued") | ((OutboxEmail.state == "failed") & due)))
             .execute())
    return n == 1


def deliver(ctx: Context, email_id: int, transport: Transport) -> Delivery:
    """Send one queued (or due failed) email now. Returns whether the server accepted it."""
    require(ctx, "send")
    now = ctx.now()
    if not _claim(email_id, now):
        email = get_email(email_id)
        return Delivery(email, email.state == "sent", _("email {id} is {state}; not sent again").format(
            id=email_id, state=state_label(email.state)), mine=False)
    email = OutboxEmail.get_by_id(email_id)
    recipients = [a for a in (email.to_addrs.split(",") + email.cc_addrs.split(",")) if a]
    try:
        reply = transport.send(email.from_addr, recipients, email.raw.encode("ascii"))
    except TransportError as exc:
        _failed(ctx, email_id, exc)
        return Delivery(OutboxEmail.get_by_id(email_id), False, exc.text)
    except BaseException as exc:  # the process is being interrupted: the outcome is unknown
        _failed(ctx, email_id, TransportError(N_("interrupted: {reason}"), "ambiguous", reason=exc.__class__.__name__))
        raise
    _accepted(ctx, email_id, reply)
    return Delivery(OutboxEmail.get_by_id(email_id), True, reply)


@mutation
def _failed(ctx: Context, email_id: int, exc: TransportError) -> None:
    email = OutboxEmail.get_by_id(email_id)
    now = ctx.now()
    if exc.kind == "ambiguous":
        email.state, email.next_attempt_at = "unknown", None
    elif exc.kind == "permanent":  # R58: the server refused this email for good
        email.state, email.next_attempt_at = "rejected", None
        if email.reminder_id:  # its reminder will not be sent: it is not left "sending"
            Reminder.update(state="dropped").where((Reminder.id == email.reminder_id)
                                                   & (Reminder.state == "sending")).execute()
        inv = Invoice.get_or_none(Invoice.id == email.invoice_id) if email.invoice_id else None
        if inv is not None:
            history.add_activity(ctx, inv.id, inv.number, "email_rejected",
                                 f"{email.kind.capitalize()} email to {email.to_addrs} rejected by the mail server, "
                                 f"not retried: {exc.message}"[:2000])
    else:
        email.state = "failed"
        retry = exc.kind == "temporary" and email.attempts < MAX_ATTEMPTS
        email.next_attempt_at = now + _backoff(email.attempts) if retry else None
    email.last_error = exc.message[:2000]
    email.sending_since = None
    email.save()


@mutation
def _accepted(ctx: Context, email_id: int, reply: str) -> None:
    email = OutboxEmail.get_by_id(email_id)
    now = ctx.now()
    email.state, email.sent_at, email.server_reply = "sent", now, (reply or "accepted")[:2000]
    email.sending_since, email.next_attempt_at, email.last_error = None, None, ""
    email.save()
    inv = Invoice.get_or_none(Invoice.id == email.invoice_id) if email.invoice_id else None
    recipients = email.to_addrs + (f" (cc {email.cc_addrs.replace(',', ', ')})" if email.cc_addrs else "")
    if email.new_contact_email and not Contact.select().where(Contact.email == email.new_contact_email).exists():
        contact = Contact.create(email=email.new_contact_email, created_at=now)
        from invoice_tui.domain.people import _contact_snapshot  # as add_contact writes it

        history.record_creation(ctx, "contact", contact.id, None, _contact_snapshot(contact))
    if inv is None:
        return
    if email.kind == "invoice":
        # R32: the last sent date changes only when the invoice email is accepted by the server.
        before = inv.last_sent_date
        today = ctx.today()
        Invoice.update(last_sent_date=today).where(Invoice.id == inv.id).execute()
        history.record_changes(ctx, "invoice", inv.id, inv.number, {"last_sent_date": before},
                               {"last_sent_date": today})
        history.add_activity(ctx, inv.id, inv.number, "email_sent", f"Invoice email sent to {recipients}")
    elif email.kind == "custom":
        history.add_activity(ctx, inv.id, inv.number, "email_sent", f"Custom email \"{email.subject}\" sent to "
                             f"{recipients}")
    elif email.kind == "reminder":
        if email.reminder_id:
            Reminder.update(state="sent", sent_at=now).where(Reminder.id == email.reminder_id).execute()
        history.add_activity(ctx, inv.id, inv.number, "reminder_sent", f"Reminder sent to {recipients}")
    elif email.kind == "receipt":
        history.add_activity(ctx, inv.id, inv.number, "receipt_sent",
                             f"Receipt for payment #{email.payment_id} sent to {recipients}")


@retry_busy
def recover_stale(ctx: Context) -> int:
    """Emails left ``sending`` by a process that died become ``unknown`` (a person decides)."""
    limit = ctx.now() - STALE_SENDING
    with write_tx():
        return (OutboxEmail.update(state="unknown", next_attempt_at=None,
                                   last_error="the sending process stopped during the SMTP transaction; "
                                              "the email may or may not have been delivered")
                .where((OutboxEmail.state == "sending") & (OutboxEmail.sending_since < limit)).execute())


def due_ids(ctx: Context, limit: int = 100) -> list[int]:
    now = ctx.now()
    q = (OutboxEmail.select(OutboxEmail.id)
         .where((OutboxEmail.state.in_(["queued", "failed"])) & OutboxEmail.next_attempt_at.is_null(False)
                & (OutboxEmail.next_attempt_at <= now))
         .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id).limit(limit))
    return [e.id for e in q]


def process_due(ctx: Context, transport: Transport, limit: int = 100) -> list[Delivery]:
    """Deliver every due email (queued, or failed and past its backoff); for cron and the TUI."""
    require(ctx, "send")
    recover_stale(ctx)
    return [deliver(ctx, i, transport) for i in due_ids(ctx, limit)]


# ---- a person's decisions --------------------------------------------------------------------
def get_email(email_id: int | str) -> OutboxEmail:
    text = str(email_id).strip().lstrip("#")
    if not text.isdigit():
        raise BadInput(_("'{ref}' is not an outbox email id.").format(ref=email_id), code="outbox.bad_id",
                       details={"ref": str(email_id)})
    email = OutboxEmail.get_or_none(OutboxEmail.id == int(text))
    if email is None:
        raise NotFound(_("No email {id} in the outbox.").format(id=text), code="outbox.not_found",
                       details={"id": int(text)})
    return email


@mutation
def requeue(ctx: Context, email_id: int | str) -> OutboxEmail:
    """A person asks to send a failed or unknown email again (now)."""
    require(ctx, "send")
    email = get_email(email_id)
    if email.state == "rejected":  # R58: never retried
        raise RuleRefused(_("Email {id} was rejected by the mail server ({error}); it is never retried. Correct the "
                            "address or the message and send a new email.").format(id=email.id, error=email.last_error),
                          code="outbox.rejected")
    if email.state not in ("failed", "unknown", "queued"):
        raise RuleRefused(_("Email {id} is {state}; only failed, unknown or queued emails can be retried.").format(
            id=email.id, state=state_label(email.state)))
    n = (OutboxEmail.update(state="queued", next_attempt_at=ctx.now())
         .where((OutboxEmail.id == email.id) & OutboxEmail.state.in_(["failed", "unknown", "queued"])).execute())
    if n != 1:
        raise RuleRefused(_("Email {id} changed meanwhile; look at the outbox again.").format(id=email.id))
    return OutboxEmail.get_by_id(email.id)


def retry(ctx: Context, email_id: int | str, transport: Transport) -> Delivery:
    email = requeue(ctx, email_id)
    return deliver(ctx, email.id, transport)


@mutation
def drop(ctx: Context, email_id: int | str) -> OutboxEmail:
    """A person gives up on an email that is not sent; a reminder it carried becomes dropped."""
    require(ctx, "send")
    email = get_email(email_id)
    if email.state in ("sent", "sending", "dropped", "rejected"):
        raise RuleRefused(_("Email {id} is {state}; only queued, failed or unknown emails can be dropped.").format(
            id=email.id, state=state_label(email.state)))
    n = (OutboxEmail.update(state="dropped", next_attempt_at=None)
         .where((OutboxEmail.id == email.id) & OutboxEmail.state.in_(["queued", "failed", "unknown"])).execute())
    if n != 1:
        raise RuleRefused(_("Email {id} changed meanwhile; look at the outbox again.").format(id=email.id))
    if email.reminder_id:
        Reminder.update(state="dropped").where((Reminder.id == email.reminder_id)
                                               & (Reminder.state == "sending")).execute()
    if email.invoice_id:
        history.add_activity(ctx, email.invoice_id, email.invoice_number, "email_dropped",
                             f"Unsent {email.kind} email to {email.to_addrs} dropped from the outbox")
    return OutboxEmail.get_by_id(email.id)


def list_emails(state: str | None = None, limit: int = 200) -> list[OutboxEmail]:
    q = OutboxEmail.select(*[f for f in OutboxEmail._meta.sorted_fields if f.name != "raw"])
    if state:
        q = q.where(OutboxEmail.state == state)
    return list(q.order_by(OutboxEmail.id.desc()).limit(limit))


def email_record(e: OutboxEmail) -> dict:
    def iso(v):
        return v.isoformat() if v else None

    return {"id": e.id, "kind": e.kind, "state": e.state, "invoice_id": e.invoice_id,
            "invoice_number": e.invoice_number, "payment_id": e.payment_id, "reminder_id": e.reminder_id,
            "from": e.from_addr, "to": e.to_addrs, "cc": [c for c in e.cc_addrs.split(",") if c],
            "subject": e.subject, "message_id": e.message_id, "attempts": e.attempts,
            "next_attempt_at": iso(e.next_attempt_at), "last_error": e.last_error,
            "server_reply": e.server_reply, "created_by": e.created_by, "created_at": iso(e.created_at),
            "sent_at": iso(e.sent_at)}


# ---- after-commit delivery (receipts queued inside another service's transaction) -----------
_background: list[threading.Thread] = []


def deliver_after_commit(ctx: Context, email_id: int, transport_factory, *, wait: float = 30.0) -> None:
    """Deliver ``email_id`` from a thread once the transaction that queued it has committed (the
    row becomes visible to another connection); if that transaction rolls back, nothing is sent."""
    import time

    from invoice_tui.db import database

    def run() -> None:
        deadline = time.monotonic() + wait
        try:
            with database.connection_context():
                while time.monotonic() < deadline:
                    if OutboxEmail.select().where(OutboxEmail.id == email_id).exists():
                        deliver(ctx, email_id, transport_factory())
                        return
                    time.sleep(0.05)
        except Exception:  # noqa: BLE001 - the email stays in the outbox for a retry
            return

    thread = threading.Thread(target=run, name=f"outbox-{email_id}", daemon=False)
    _background.append(thread)
    thread.start()


def wait_background(timeout: float = 60.0) -> None:
    """Wait for after-commit deliveries started by this process (tests, CLI exit)."""
    while _background:
        _background.pop().join(timeout)


__all__ = ["queue", "queue_prepared", "deliver", "process_due", "retry", "requeue", "drop", "list_emails",
           "email_record", "get_email", "recover_stale", "Delivery", "EnvironmentFailure", "pw"]
