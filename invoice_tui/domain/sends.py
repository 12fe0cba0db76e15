"""R50: invoices emailed on a date — ``invoices schedule-send``, the workspace setting
``send_on_finalize``, and schedules in ``send`` mode plan the email here; ``run-due`` queues each
planned email in the outbox once (``mail/automation.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from invoice_tui.db.automation_models import ScheduledSend
from invoice_tui.db.models import Invoice
from invoice_tui.domain import history
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import RuleRefused
from invoice_tui.i18n import _


def send_snapshot(r: Any) -> dict[str, Any]:
    """What the history says a planned send is (R54 replays it)."""
    return {"invoice_id": r.invoice_id, "send_on": r.send_on, "state": r.state, "email_id": r.email_id,
            "created_by": r.created_by}


def plan_send(ctx: Context, inv: Invoice, on: dt.date) -> ScheduledSend:
    """Plan (or move) the invoice email for ``on`` (inside the caller's transaction)."""
    existing = ScheduledSend.get_or_none(ScheduledSend.invoice_id == inv.id)
    if existing is not None:
        if existing.state != "planned":
            raise RuleRefused(_("{number}'s scheduled email is already {state} (outbox email "
                                "{email_id}); it is sent once.").format(number=inv.number, state=existing.state, email_id=existing.email_id), code="send.already_queued")
        before = send_snapshot(existing)
        existing.send_on = on
        existing.save()
        history.record_changes(ctx, "scheduled_send", existing.id, inv.number, before, send_snapshot(existing))
        return existing
    row = ScheduledSend.create(invoice_id=inv.id, send_on=on, state="planned", created_by=ctx.login,
                               created_at=ctx.now())
    history.record_creation(ctx, "scheduled_send", row.id, inv.number, send_snapshot(row))
    history.add_activity(ctx, inv.id, inv.number, "send_planned", f"Invoice email planned for {on.isoformat()}")
    return row
