"""``invoice-tui run-due``: the one job for cron (issue 28; R49, R50, R51, R33).

In this order, each step exactly once whatever the number of runs, concurrent runs included:

1. recurring schedules: every due period's invoice, oldest first (``domain.recurring``);
2. scheduled sends (R50): each planned invoice email due today or earlier is queued in the
   outbox in the transaction that moves its plan ``planned`` → ``queued`` (compare-and-set),
   then delivered;
3. dunning (R51): the highest level reached by each overdue invoice, its email queued in the
   transaction that records the level (and issues the late fees, ``domain.dunning``);
4. the R33 reminders and the outbox's due retries (``mail.reminders.run``).

Emails are delivered by the run that queued them; when the mail server is unreachable they stay
in the outbox (retried with backoff, never twice) and the exit code is 4. ``dry_run`` lists what
would be done and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from invoice_tui.db import retry_busy, write_tx
from invoice_tui.db.automation_models import ScheduledSend
from invoice_tui.db.models import Invoice
from invoice_tui.domain import dunning, dunning_texts, history, recurring
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.permissions import require
from invoice_tui.domain.settings import load_settings
from invoice_tui.mail import outbox, reminders
from invoice_tui.mail.compose import Prepared, invoice_draft, invoice_link, prepare, template_fields


@dataclass
class RunDueResult:
    dry_run: bool = False
    schedules: list[dict] = field(default_factory=list)
    sends: list[dict] = field(default_factory=list)
    dunning: list[dict] = field(default_factory=list)
    reminders: reminders.RunResult | None = None
    queued: int = 0  # emails of this run left in the outbox (server unreachable, or no transport)
    errors: list[str] = field(default_factory=list)  # what could not be done, each in a sentence

    def record(self) -> dict[str, Any]:
        r = self.reminders
        return {"dry_run": self.dry_run, "schedules": self.schedules, "sends": self.sends, "dunning": self.dunning,
                "reminders": {"sent": r.sent, "queued": r.queued, "skipped": r.skipped, "retried": r.retried}
                if r else None, "emails_left_queued": self.queued, "errors": self.errors}


# ---- dunning emails ------------------------------------------------------------------------
def dunning_prepared(ctx: Context, due: dunning.Due, fees: str = "", fee_invoice: str = "") -> Prepared:
    settings = load_settings()
    inv = due.invoice
    contact = reminders.recipient(inv, settings, "Dunning emails")
    # R51: the level's own subject and body in the invoice's language (workspace settings, "" = built in)
    lang = dunning_texts.language(inv.locale or settings.locale)
    position = dunning.position(settings, due.level)
    f = dict(template_fields(inv, settings, invoice_link(inv, settings)), days=str(due.days_overdue), fees=fees,
             fees_note=dunning_texts.fees_note(lang, fees))
    f["seller_name"] = settings.seller_name or settings.default_from_address

    def text(part: str) -> str:
        name = dunning_texts.key(position, part, lang)
        return getattr(settings, name) or dunning_texts.default(position, part, lang)

    subject = dunning_texts.fill(text("subject"), f, optional_lines=False).strip()
    body = dunning_texts.fill(text("body"), f)
    return reminders.reminder_email(ctx, settings, inv, contact, subject, body)


def _fees_text(due: dunning.Due) -> str:
    from invoice_tui.domain.money import format_money, from_minor

    total = due.interest_minor + due.indemnity_minor
    return format_money(from_minor(total, due.invoice.currency), due.invoice.currency) if total else ""


@retry_busy
def _claim_dunning(ctx: Context, due: dunning.Due, prepared: Prepared, delivering: bool):
    with write_tx():
        claimed = dunning.claim_level(ctx, due)
        if claimed is None:
            return None, None
        email = outbox.queue_prepared(ctx, prepared, kind="reminder", delivering=delivering)
        dunning.set_email(ctx, claimed.record, email.id)
        return claimed, email


def run_dunning(ctx: Context, transport, *, dry_run: bool = False) -> tuple[list[dict], int]:
    settings = load_settings()
    out: list[dict] = []
    left = 0
    for due in dunning.due_levels(ctx, settings):
        inv = due.invoice
        rec = {"invoice_id": inv.id, "invoice_number": inv.number, "level": due.level,
               "tone": dunning.tone(settings, due.level), "days_overdue": due.days_overdue,
               "superseded": due.superseded, "interest": _money(due.interest_minor, inv.currency),
               "indemnity": _money(due.indemnity_minor, inv.currency), "to": inv.contact_email}
        if dry_run:
            out.append(dict(rec, result="would send"))
            continue
        fees = _fees_text(due)
        try:
            prepared = dunning_prepared(ctx, due, fees, "")
        except InvoiceTuiError as exc:
            out.append(dict(rec, result=f"not sent: {exc.message}"))
            continue
        claimed, email = _claim_dunning(ctx, due, prepared, transport is not None)
        if claimed is None:
            out.append(dict(rec, result="taken by another run"))
            continue
        rec["email_id"] = email.id
        if claimed.fee_invoice is not None:
            rec["fee_invoice"] = claimed.fee_invoice.number or f"draft #{claimed.fee_invoice.id}"
            rec["fee_note"] = claimed.fee_note
        rec["result"], queued = _deliver(ctx, email.id, transport)
        left += queued
        out.append(rec)
    return out, left


def _money(minor: int, currency: str) -> str | None:
    from invoice_tui.domain.money import from_minor

    return str(from_minor(minor, currency)) if minor else None


def _deliver(ctx: Context, email_id: int, transport) -> tuple[str, int]:
    if transport is None:
        return "queued: no mail transport is configured", 1
    d = outbox.deliver(ctx, email_id, transport)
    if not d.mine:
        return f"delivered by another run ({d.message})", 0
    if d.delivered:
        return f"sent ({d.message})", 0
    return f"queued in the outbox: {d.message}", 1


# ---- scheduled sends (R50) -----------------------------------------------------------------
def due_sends(ctx: Context) -> list[ScheduledSend]:
    return list(ScheduledSend.select().where((ScheduledSend.state == "planned")
                                             & (ScheduledSend.send_on <= ctx.today()))
                .order_by(ScheduledSend.send_on, ScheduledSend.id))


@retry_busy
def _claim_send(ctx: Context, plan: ScheduledSend, prepared: Prepared, delivering: bool):
    with write_tx():
        n = (ScheduledSend.update(state="queued").where((ScheduledSend.id == plan.id)
                                                        & (ScheduledSend.state == "planned")).execute())
        if n != 1:
            return None
        email = outbox.queue_prepared(ctx, prepared, delivering=delivering)
        before = recurring.send_snapshot(plan)
        plan.state, plan.email_id = "queued", email.id
        ScheduledSend.update(email_id=email.id).where(ScheduledSend.id == plan.id).execute()
        history.record_changes(ctx, "scheduled_send", plan.id, prepared.invoice.number if prepared.invoice else None,
                               before, recurring.send_snapshot(plan))
        return email


@retry_busy
def _cancel_send(ctx: Context, plan: ScheduledSend, why: str) -> None:
    with write_tx():
        before = recurring.send_snapshot(plan)
        n = (ScheduledSend.update(state="canceled").where((ScheduledSend.id == plan.id)
                                                          & (ScheduledSend.state == "planned")).execute())
        if n == 1:
            plan.state = "canceled"
            history.record_changes(ctx, "scheduled_send", plan.id, None, before, recurring.send_snapshot(plan))
            inv = Invoice.get_or_none(Invoice.id == plan.invoice_id)
            if inv is not None:
                history.add_activity(ctx, inv.id, inv.number, "send_canceled", f"Planned email not sent: {why}")


def run_sends(ctx: Context, transport, *, dry_run: bool = False) -> tuple[list[dict], int]:
    out: list[dict] = []
    left = 0
    for plan in due_sends(ctx):
        inv = Invoice.get_or_none(Invoice.id == plan.invoice_id)
        rec = {"invoice_id": plan.invoice_id, "invoice_number": inv.number if inv else None,
               "send_on": plan.send_on.isoformat() if hasattr(plan.send_on, "isoformat") else str(plan.send_on),
               "to": inv.contact_email if inv else ""}
        if dry_run:
            out.append(dict(rec, result="would send"))
            continue
        if inv is None or inv.status in ("draft", "voided"):
            why = "the invoice was deleted" if inv is None else f"the invoice is {inv.status}"
            _cancel_send(ctx, plan, why)
            out.append(dict(rec, result=f"canceled: {why}"))
            continue
        try:
            prepared = prepare(ctx, invoice_draft(ctx, inv), with_attachment=True)
        except InvoiceTuiError as exc:
            out.append(dict(rec, result=f"not sent: {exc.message}"))
            continue
        email = _claim_send(ctx, plan, prepared, transport is not None)
        if email is None:
            out.append(dict(rec, result="taken by another run"))
            continue
        rec["email_id"] = email.id
        rec["result"], queued = _deliver(ctx, email.id, transport)
        left += queued
        out.append(rec)
    return out, left


# ---- the job ---------------------------------------------------------------------------------
def run_due(ctx: Context, transport, *, dry_run: bool = False) -> RunDueResult:
    """Everything due (see the module's docstring)."""
    require(ctx, "schedules")
    require(ctx, "reminders")
    result = RunDueResult(dry_run=dry_run)
    result.schedules = [p.record() for p in recurring.run_schedules(ctx, dry_run=dry_run)]
    result.sends, left_sends = run_sends(ctx, transport, dry_run=dry_run)
    result.dunning, left_dunning = run_dunning(ctx, transport, dry_run=dry_run)
    try:
        result.reminders = reminders.run(ctx, transport, dry_run=dry_run)
    except InvoiceTuiError as exc:  # the other steps are done all the same
        result.reminders = reminders.RunResult(dry_run=dry_run)
        result.errors.append(f"reminders: {exc.message}")
    result.errors += [f"{r['invoice_number']}: {r['result']}" for r in result.sends + result.dunning
                      if r.get("result", "").startswith("not sent")]
    if not dry_run:  # this run's emails still waiting (a later outbox pass may have delivered some)
        result.queued = _still_queued(ctx, result) + len(result.reminders.queued)
    return result


def _still_queued(ctx: Context, result: RunDueResult) -> int:
    from invoice_tui.db.mail_models import OutboxEmail

    ids = [r["email_id"] for r in result.sends + result.dunning if r.get("email_id")]
    if not ids:
        return 0
    return OutboxEmail.select().where(OutboxEmail.id.in_(ids) & (OutboxEmail.state != "sent")).count()
