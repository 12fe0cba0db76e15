"""A payment's properties as its history records them (R15): the creation snapshot and each
write compare these."""

from __future__ import annotations

from typing import Any

from invoice_tui.db.models import Payment
from invoice_tui.domain.money import from_minor, plain
from invoice_tui.i18n import pgettext


def payment_snapshot(p: Payment) -> dict[str, Any]:
    snap = {"amount": plain(from_minor(p.amount_minor, p.currency)), "currency": p.currency, "date": p.date,
            "method": p.method, "reference": p.reference, "note": p.note, "source": p.source, "state": p.state,
            "invoice": p.invoice_id, "contact": p.contact_id}
    if getattr(p, "provider", None):  # through a payment provider (issue 26): its id, refunds and reason are history too
        snap.update({"provider": p.provider, "provider_ref": p.provider_ref,
                     "refunded": plain(from_minor(p.amount_refunded_minor or 0, p.currency)),
                     "failure_reason": p.failure_reason, "payment_method": p.payment_method_ref})
    return snap


def state_label(state: str) -> str:
    """A payment's state as a word of a sentence ("Payment #4 is refunded"), in the reader's language."""
    words = {"processing": pgettext("payment state", "processing"),
             "requires_action": pgettext("payment state", "waiting for the customer's action"),
             "succeeded": pgettext("payment state", "succeeded"), "failed": pgettext("payment state", "failed"),
             "canceled": pgettext("payment state", "canceled"), "disputed": pgettext("payment state", "disputed"),
             "refunded": pgettext("payment state", "refunded")}
    return words.get(state, state)
