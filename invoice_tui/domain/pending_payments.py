"""R7: saving an edit of a finalized invoice cancels its pending online payments, at the payment
provider too (issue 26). Called inside the edit's transaction, with the invoice row locked."""

from __future__ import annotations

from invoice_tui.db.models import Invoice, Payment
from invoice_tui.domain import history
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import Conflict
from invoice_tui.domain.payment_snapshot import payment_snapshot as _payment_snapshot
from invoice_tui.domain.provider import PENDING_STATES, ProviderRefused, require_provider


def cancel_for_edit(ctx: Context, inv: Invoice) -> list[int]:
    """R7, inside the edit's transaction (the invoice row locked): cancel each pending online
    payment at the provider. If the provider refuses because the payment succeeded first (or
    refuses for any reason), the save is refused — never a silent overwrite. Payments without a
    provider (``payments set-state``) are canceled here alone."""
    canceled: list[int] = []
    pend = list(Payment.select().where((Payment.invoice == inv) & (Payment.source == "online")
                                       & Payment.state.in_(PENDING_STATES)))
    provider = None
    for p in pend:
        if p.provider and p.provider_ref:
            provider = provider or require_provider(ctx)
            try:
                answer = provider.cancel(p.provider_ref)
            except ProviderRefused:
                answer = provider.retrieve(p.provider_ref)
                if answer.state != "canceled":
                    raise Conflict(f"{inv.number} changed while you edited it: online payment #{p.id} is "
                                   f"{answer.state} at the provider, which refused to cancel it; the edit was not "
                                   "saved (R7).", code="invoice.payment_not_canceled",
                                   details={"payment": p.id, "provider_state": answer.state}) from None
            if answer.state != "canceled":
                raise Conflict(f"{inv.number} changed while you edited it: online payment #{p.id} is "
                               f"{answer.state}; the edit was not saved (R7).", code="invoice.payment_not_canceled",
                               details={"payment": p.id, "provider_state": answer.state})
        elif p.provider and not p.provider_ref:
            raise Conflict(f"An online payment (#{p.id}) is being charged on {inv.number}; its outcome is not "
                           "known yet, so the edit was not saved (R7).", code="invoice.payment_not_canceled",
                           details={"payment": p.id})
        pbefore = _payment_snapshot(p)
        p.state = "canceled"
        p.save()
        history.record_changes(ctx, "payment", p.id, inv.number, pbefore, _payment_snapshot(p))
        history.add_activity(ctx, inv.id, inv.number, "payment_canceled",
                             f"Online payment #{p.id} canceled because the invoice was edited")
        canceled.append(p.id)
    return canceled


def check_charge(ctx: Context, inv: Invoice) -> None:
    """R5/R34: whether "Charge saved payment method" is allowed now (the screen shows it disabled
    with this sentence otherwise; ``online.charge_invoice`` checks again under the lock)."""
    from invoice_tui.db.online_models import SavedPaymentMethod
    from invoice_tui.domain.errors import RuleRefused
    from invoice_tui.domain.permissions import require

    if ctx.services.payment_provider is None:
        raise RuleRefused("No payment processor is configured for this workspace (INVOICE_TUI_STRIPE_API_KEY).",
                          code="provider.not_configured")
    require(ctx, "record_payment")
    if inv.balance_minor <= 0:
        raise RuleRefused(f"{inv.number} has nothing left to pay.", code="invoice.paid")
    pending = (Payment.select().where((Payment.invoice == inv) & (Payment.source == "online")
                                      & Payment.state.in_(PENDING_STATES)).first())
    if pending is not None:
        raise RuleRefused(f"An online payment (#{pending.id}, {pending.state}) is already pending on {inv.number} "
                          "(R34).", code="payment.pending")
    if not inv.billing_contact_id or not SavedPaymentMethod.select().where(
            SavedPaymentMethod.contact == inv.billing_contact_id).exists():
        raise RuleRefused("The billing contact has no saved payment method "
                          "(invoice-tui contacts payment-methods add).", code="payment_method.none")
