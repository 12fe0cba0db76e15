"""R33 reminders: sending what is due, exactly once.

Planning lives in ``domain.invoices`` (``plan_reminders``: from the workspace's
``reminder_offsets`` relative to the due date, for open invoices with a balance). ``run`` is what
``invoice-tui reminders run`` (cron) does:

1. For each open invoice with a balance, the planned reminders due today or earlier: the most
   recent one is sent; older ones that were never sent (cron did not run) become ``dropped`` —
   a customer gets one reminder, not a burst.
2. Sending a reminder: the message is built, then ONE transaction compare-and-sets the reminder
   ``planned`` → ``sending`` (``UPDATE … WHERE state='planned'``) and queues the email in the
   outbox (unique per reminder). A concurrent run loses the compare-and-set and sends nothing.
3. The outbox delivers it; on acceptance the reminder becomes ``sent`` and the invoice history
   says so. If the server is down the email waits in the outbox and is retried (never twice).
4. The report: a reminder is listed under ``sent`` by the run whose call handed it to the
   server, whichever run queued it (``Delivery.mine``); a run that queued it but found it taken
   by another run's outbox pass lists it as skipped. Each sent reminder is in exactly one report.

Reminders go from the workspace's default From address to the billing contact, with the
invoice's details, its link and its PDF. They do not change the invoice's last sent date (R32
is about the invoice email).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from invoice_tui.db import retry_busy, write_tx
from invoice_tui.db.mail_models import OutboxEmail
from invoice_tui.db.models import Contact, Invoice, Reminder
from invoice_tui.domain import dunning_texts
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import RuleRefused
from invoice_tui.i18n import _
from invoice_tui.domain.permissions import require
from invoice_tui.domain.settings import load_settings
from invoice_tui.mail import outbox
from invoice_tui.mail.compose import EmailDraft, Prepared, invoice_link, prepare, template_fields


@dataclass
class RunResult:
    sent: list[dict] = field(default_factory=list)
    queued: list[dict] = field(default_factory=list)  # queued but not delivered yet
    skipped: list[dict] = field(default_factory=list)  # taken by another run, or superseded
    retried: list[dict] = field(default_factory=list)  # other outbox emails retried
    dry_run: bool = False


def due_reminders(ctx: Context) -> list[Reminder]:
    today = ctx.today()
    return list(Reminder.select(Reminder, Invoice).join(Invoice)
                .where((Reminder.state == "planned") & (Reminder.due_on <= today) & (Invoice.status == "open")
                       & (Invoice.balance_minor > 0))
                .order_by(Reminder.invoice, Reminder.due_on.desc()))


def list_reminders(invoice: Invoice | None = None, include_past: bool = False) -> list[Reminder]:
    q = Reminder.select(Reminder, Invoice).join(Invoice)
    if invoice is not None:
        q = q.where(Reminder.invoice == invoice)
    if not include_past:
        q = q.where(Reminder.state.in_(["planned", "sending"]))
    return list(q.order_by(Reminder.due_on, Reminder.id))


def reminder_record(r: Reminder) -> dict:
    return {"id": r.id, "invoice_id": r.invoice_id, "invoice_number": r.invoice.number, "offset_days": r.offset_days,
            "due_on": r.due_on.isoformat(), "state": r.state, "sent_at": r.sent_at.isoformat() if r.sent_at else None}


def recipient(inv: Invoice, settings, what: str) -> Contact:
    """Whom a reminder or a dunning email of ``inv`` goes to (its billing contact), from the workspace
    address (R33, R51); ``what`` names the emails in the refusal ("Reminders", "Dunning emails")."""
    if not settings.default_from_address:
        raise RuleRefused((_("Dunning emails are sent from the workspace address, and the workspace has none.")
                           if what == "Dunning emails" else
                           _("Reminders are sent from the workspace address, and the workspace has none.")),
                          code="reminders.no_from_address")
    contact = Contact.get_or_none(Contact.id == inv.billing_contact_id) if inv.billing_contact_id else None
    if contact is None:
        raise RuleRefused(_("{number} has no billing contact to remind.").format(number=inv.number))
    return contact


def reminder_prepared(ctx: Context, r: Reminder) -> Prepared:
    settings = load_settings()
    inv = r.invoice
    contact = recipient(inv, settings, "Reminders")
    f = template_fields(inv, settings, invoice_link(inv, settings))
    late = r.due_on > inv.due_date if inv.due_date else False
    kind = "r_late" if late else ("r_today" if r.due_on == inv.due_date else "r_soon")
    # issue 24: the whole message in the invoice's language, as its dates and amounts are
    f["seller_name"] = settings.seller_name or settings.default_from_address
    subject, body = dunning_texts.reminder_text(kind, dunning_texts.language(inv.locale or settings.locale), f)
    return reminder_email(ctx, settings, inv, contact, subject, body)


def reminder_email(ctx: Context, settings, inv: Invoice, contact: Contact, subject: str, body: str) -> Prepared:
    """A reminder or dunning email of ``inv`` (R33, R51): from the workspace address, with the invoice's
    PDF, never adding its recipient to the invoice's contacts."""
    draft = EmailDraft(kind="invoice", invoice_id=inv.id, to=contact.email, from_addr=settings.default_from_address,
                       subject=subject, body=body)
    prepared = prepare(ctx, draft, settings=settings, with_attachment=True)
    prepared.kind = "reminder"
    prepared.new_contact_email = None
    return prepared


@retry_busy
def _claim_and_queue(ctx: Context, r: Reminder, prepared: Prepared, superseded: list[int],
                     delivering: bool) -> OutboxEmail | None:
    """One transaction: compare-and-set planned → sending, queue the email; older due ones dropped."""
    with write_tx():
        n = Reminder.update(state="sending").where((Reminder.id == r.id) & (Reminder.state == "planned")).execute()
        if n != 1:
            return None
        if superseded:
            Reminder.update(state="dropped").where(Reminder.id.in_(superseded) & (Reminder.state == "planned")).execute()
        return outbox.queue_prepared(ctx, prepared, reminder_id=r.id, kind="reminder", delivering=delivering)


def run(ctx: Context, transport, *, dry_run: bool = False) -> RunResult:
    """Send the reminders that are due (and retry the outbox's due emails)."""
    require(ctx, "reminders")
    result = RunResult(dry_run=dry_run)
    by_invoice: dict[int, list[Reminder]] = {}
    for r in due_reminders(ctx):
        by_invoice.setdefault(r.invoice_id, []).append(r)
    for reminders in by_invoice.values():
        latest, older = reminders[0], reminders[1:]
        rec = reminder_record(latest)
        rec["to"] = latest.invoice.contact_email
        if dry_run:
            result.queued.append(rec)
            result.skipped += [dict(reminder_record(o), reason="superseded by a later reminder") for o in older]
            continue
        prepared = reminder_prepared(ctx, latest)
        email = _claim_and_queue(ctx, latest, prepared, [o.id for o in older], transport is not None)
        if email is None:
            result.skipped.append(dict(rec, reason="taken by another run"))
            continue
        result.skipped += [dict(reminder_record(o), reason="superseded by a later reminder") for o in older]
        rec["email_id"] = email.id
        if transport is None:
            result.queued.append(dict(rec, reason="no mail transport is configured"))
            continue
        d = outbox.deliver(ctx, email.id, transport)
        if not d.mine:  # another run's outbox pass took the email first: that run reports it
            result.skipped.append(dict(rec, reason=f"delivered by another run ({d.message})"))
        else:
            (result.sent if d.delivered else result.queued).append(dict(rec, reason=d.message))
    if not dry_run and transport is not None:
        for d in outbox.process_due(ctx, transport):
            result.retried.append({"email_id": d.email.id, "kind": d.email.kind, "delivered": d.delivered,
                                   "message": d.message})
            if d.mine and d.delivered and d.email.kind == "reminder" and d.email.reminder_id:
                # a reminder queued earlier (by this run or another) that this run delivered
                r = Reminder.get_by_id(d.email.reminder_id)
                result.sent.append(dict(reminder_record(r), to=d.email.to_addrs, email_id=d.email.id,
                                        reason=d.message))
    return result
