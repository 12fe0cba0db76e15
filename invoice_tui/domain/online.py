"""Online payments through a payment provider (issue 26; SPEC R5, R7, R11, R13, R34): saved
payment methods, "Charge saved payment method", refunds and the provider's events.

The provider is called outside any database transaction, between two of them:

1. the attempt is recorded first (a ``processing`` online payment with its idempotency key) in
   one transaction, which also refuses a second attempt while one is pending — the app does not
   rely on the provider alone;
2. the provider is called with that key (a retry of an attempt whose outcome is unknown reuses
   it, so a retry never charges twice);
3. its answer is applied in a second transaction, with the history rows of each transition.

The app holds its own limits whatever the provider accepts: never charge more than the balance
(R8's limits, less what is already pending), never refund more than was paid.

Refunds reduce what was paid (R18: balance = billed − Σ (succeeded payments less their refunded
amounts)), so a paid invoice reopens. A lost dispute counts as a refund. An open dispute leaves
the payment counted as paid until it is decided.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from invoice_tui.db import write_tx
from invoice_tui.db.models import Contact, Invoice, Payment
from invoice_tui.db.online_models import ProviderEvent, SavedPaymentMethod
from invoice_tui.domain import history
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, InvoiceTuiError, NotFound, RuleRefused
from invoice_tui.domain.invoices import _payment_snapshot, get_invoice, snapshot
from invoice_tui.domain.money import from_minor, parse_amount, plain, to_minor
from invoice_tui.domain.payments import _after_payment_change, _check_amount_against, _lock_invoice_then_payment, \
    _queue_receipt, get_payment
from invoice_tui.domain.people import find_contact
from invoice_tui.domain.permissions import require
from invoice_tui.domain.provider import PENDING_STATES, PaymentProvider, ProviderPayment, ProviderRefused, \
    require_provider
from invoice_tui.domain.tx import mutation
from invoice_tui.i18n import N_, _

# ---- saved payment methods ------------------------------------------------------------------


def method_record(m: SavedPaymentMethod) -> dict:
    expiry = f"{m.exp_month:02d}/{m.exp_year}" if m.exp_month and m.exp_year else ""
    return {"id": m.id, "contact_id": m.contact_id, "provider": m.provider, "customer": m.customer_ref,
            "payment_method": m.method_ref, "kind": m.kind, "brand": m.brand, "last4": m.last4,
            "expiry": expiry}


def method_brand(m: SavedPaymentMethod) -> str:
    """"Visa", "Mastercard", "SEPA": the brand as a person reads it."""
    if m.kind != "card":
        return (m.brand or {"sepa_debit": "SEPA"}.get(m.kind, m.kind)).upper()
    return {"amex": "American Express", "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay"}.get(
        (m.brand or "").lower(), (m.brand or "card").capitalize())


def method_label(m: SavedPaymentMethod) -> str:
    rec = method_record(m)
    return f"{method_brand(m)} •••• {m.last4}" + (f", expires {rec['expiry']}" if rec["expiry"] else "")


def methods_text(contact_id: int) -> str:
    """A contact's saved payment methods in one line (their page, issue 26): "" when there are none."""
    methods = SavedPaymentMethod.select().where(SavedPaymentMethod.contact == contact_id).order_by(
        SavedPaymentMethod.id.desc())  # the newest first, as the invoice panel lists them
    return "; ".join(method_label(m) for m in methods)


def _method_snapshot(m: SavedPaymentMethod) -> dict:
    rec = method_record(m)
    rec.pop("id")
    return rec


def _check_ref(value: str, prefix: tuple[str, ...], what: str, field: str) -> str:
    v = (value or "").strip()
    if not v or len(v) > 255 or not v.isascii() or not all(c.isalnum() or c == "_" for c in v) \
            or not v.startswith(prefix):
        raise BadInput(_("'{value}' is not a {what} id (it starts with {prefixes}).").format(
            value=value, what=_(what), prefixes=", ".join(prefix)), field=field)
    return v


def list_methods(contact_ref: str | int) -> list[SavedPaymentMethod]:
    contact = find_contact(contact_ref)
    return list(SavedPaymentMethod.select().where(SavedPaymentMethod.contact == contact.id)
                .order_by(SavedPaymentMethod.id))


def add_method(ctx: Context, contact_ref: str | int, customer_ref: str, method_ref: str) -> SavedPaymentMethod:
    """A super admin attaches a method the customer already saved with the provider: the provider
    describes it (brand, last four digits, expiry); nothing else of the card is stored."""
    require(ctx, "settings")  # super admin
    customer_ref = _check_ref(customer_ref, ("cus_",), N_("Stripe customer"), "customer")
    method_ref = _check_ref(method_ref, ("pm_", "card_", "src_"), N_("Stripe payment method"), "payment_method")
    contact = find_contact(contact_ref)
    provider = require_provider(ctx)
    described = provider.describe_method(customer_ref, method_ref)
    return _store_method(ctx, contact.id, provider.name, described)


@mutation
def _store_method(ctx: Context, contact_id: int, provider_name: str, d) -> SavedPaymentMethod:
    existing = SavedPaymentMethod.get_or_none((SavedPaymentMethod.provider == provider_name)
                                              & (SavedPaymentMethod.method_ref == d.method_ref))
    if existing is not None:
        raise RuleRefused(f"The payment method {d.method_ref} is already saved"
                          + (" for this contact." if existing.contact_id == contact_id else " for another contact."),
                          code="payment_method.exists", field="payment_method")
    m = SavedPaymentMethod.create(contact=contact_id, provider=provider_name, customer_ref=d.customer_ref,
                                  method_ref=d.method_ref, kind=d.kind, brand=d.brand, last4=d.last4,
                                  exp_month=d.exp_month, exp_year=d.exp_year, created_by=ctx.login,
                                  created_at=ctx.now())
    history.record_creation(ctx, "payment_method", m.id, None, _method_snapshot(m))
    return m


@mutation
def remove_method(ctx: Context, contact_ref: str | int, method_ref: str) -> SavedPaymentMethod:
    require(ctx, "settings")
    contact = find_contact(contact_ref)
    m = SavedPaymentMethod.get_or_none((SavedPaymentMethod.contact == contact.id)
                                       & (SavedPaymentMethod.method_ref == (method_ref or "").strip()))
    if m is None:
        raise NotFound(_("{email} has no saved payment method {method_ref}.").format(email=contact.email, method_ref=method_ref), code="payment_method.not_found")
    snap = _method_snapshot(m)
    m.delete_instance()
    history.record_changes(ctx, "payment_method", m.id, None, snap, {k: None for k in snap})
    return m


def methods_for_invoice(inv: Invoice) -> list[SavedPaymentMethod]:
    if not inv.billing_contact_id:
        return []
    return list(SavedPaymentMethod.select().where(SavedPaymentMethod.contact == inv.billing_contact_id)
                .order_by(SavedPaymentMethod.id.desc()))


def methods_for_invoice_id(invoice_id: int) -> list[SavedPaymentMethod]:
    return methods_for_invoice(get_invoice(invoice_id))


# ---- charging -----------------------------------------------------------------------------


@dataclass
class ChargeResult:
    payment: Payment
    invoice: Invoice
    state: str
    reason: str = ""
    retried: bool = False
    receipts_queued: bool = False


def _pending(inv: Invoice) -> Payment | None:
    return (Payment.select().where((Payment.invoice == inv) & (Payment.source == "online")
                                   & Payment.state.in_(PENDING_STATES)).order_by(Payment.id.desc()).first())


def _method_for(inv: Invoice, method_ref: str | None) -> SavedPaymentMethod:
    methods = methods_for_invoice(inv)
    if method_ref:
        for m in methods:
            if m.method_ref == method_ref.strip():
                return m
        raise NotFound(_("The billing contact of {number} has no saved payment method {method_ref}.").format(number=inv.number, method_ref=method_ref),
                       code="payment_method.not_found", field="payment_method")
    if not methods:
        raise RuleRefused(_("The billing contact of {number} has no saved payment method (R5).").format(number=inv.number),
                          code="payment_method.none")
    return methods[0]


@mutation
def _begin_attempt(ctx: Context, ref: str | int, method_ref: str | None, amount: str | Decimal | None,
                   provider_name: str) -> tuple[Payment, SavedPaymentMethod | None, bool]:
    """Record the attempt before calling the provider (or find the attempt to retry)."""
    require(ctx, "record_payment")
    inv = get_invoice(ref, for_update=True)
    pending = _pending(inv)
    if pending is not None:
        if pending.provider_ref is None and pending.idempotency_key and pending.created_by == ctx.login:
            # The provider's answer to this attempt never came: retry it with the same key.
            m = SavedPaymentMethod.get_or_none(SavedPaymentMethod.method_ref == pending.payment_method_ref)
            return pending, m, True
        raise RuleRefused(_("An online payment (#{id}, {state}) is already pending on {number}; "
                            "wait until it succeeds or fails (R34).").format(id=pending.id, state=pending.state, number=inv.number), code="payment.pending",
                          details={"payment": pending.id, "state": pending.state})
    if inv.status == "voided":
        raise RuleRefused(_("{number} is voided; no payment can be collected on it (R13).").format(number=inv.number),
                          code="invoice.voided", details={"invoice": inv.number})
    m = _method_for(inv, method_ref)
    minor = inv.balance_minor if amount is None else to_minor(parse_amount(amount, inv.currency, positive=True),
                                                             inv.currency)
    _check_amount_against(inv, minor)  # R8: > 0, ≤ balance, partial only where allowed
    now = ctx.now()
    p = Payment.create(amount_minor=minor, currency=inv.currency, date=ctx.today(),
                       method="card" if m.kind == "card" else "other" if m.kind != "sepa_debit" else "bank_transfer",
                       reference="", note="", source="online", state="processing", ever_succeeded=False,
                       contact=inv.billing_contact_id, invoice=inv, created_by=ctx.login, created_at=now,
                       applied_at=now, provider=provider_name, idempotency_key=uuid.uuid4().hex,
                       payment_method_ref=m.method_ref)
    history.record_creation(ctx, "payment", p.id, inv.number, _payment_snapshot(p))
    history.add_activity(ctx, inv.id, inv.number, "payment_attempt",
                         f"Charging {plain(from_minor(minor, inv.currency))} {inv.currency} to {method_label(m)} "
                         f"(online payment #{p.id})")
    return p, m, False


def charge_invoice(ctx: Context, ref: str | int, *, method_ref: str | None = None,
                   amount: str | Decimal | None = None) -> ChargeResult:
    """R5/R34: charge the billing contact's saved payment method off-session for the balance (or a
    partial amount where the invoice allows it). Raises :class:`ProviderUnavailable` (exit 4)
    when the provider cannot be reached: the attempt stays recorded, and charging again retries it
    with the same idempotency key."""
    provider = require_provider(ctx)
    p, m, retried = _begin_attempt(ctx, ref, method_ref, amount, provider.name)
    if m is None:
        raise RuleRefused(_("The saved payment method of attempt #{id} was removed; the attempt "
                            "cannot be retried.").format(id=p.id))
    inv = get_invoice(p.invoice_id)
    answer = provider.charge_saved(amount_minor=p.amount_minor, currency=p.currency, customer_ref=m.customer_ref,
                                   method_ref=m.method_ref, method_kind=m.kind, idempotency_key=p.idempotency_key,
                                   metadata={"invoice": inv.number or str(inv.id), "payment": str(p.id),
                                             "attempt": p.idempotency_key})
    p, inv, queued = apply_answer(ctx, p.id, answer)
    return ChargeResult(p, inv, p.state, p.failure_reason, retried, queued)


_MOVES = {  # state → the states an answer or event may move it to
    "processing": {"requires_action", "succeeded", "failed", "canceled"},
    "requires_action": {"processing", "succeeded", "failed", "canceled"},
    "failed": {"succeeded", "processing", "requires_action"},  # a buyer may pay after a decline
    "succeeded": set(),  # only refunds and disputes move a success
    "disputed": set(),
    "refunded": set(),
    "canceled": set(),
}


@mutation
def apply_answer(ctx: Context, payment_id: int, answer: ProviderPayment, *, event_time: int = 0) \
        -> tuple[Payment, Invoice | None, bool]:
    """Apply what the provider says about a payment (its answer to a call, or an event): state,
    reason, refunds; each transition with its history row; a success settles the invoice and
    queues the receipts (to the buyer, copied to the user who charged)."""
    p, inv = _lock_invoice_then_payment(payment_id)
    if event_time and p.provider_updated and event_time < p.provider_updated and answer.state not in ("succeeded",):
        return p, inv, False  # a late event: what it says was overtaken (a success is final whatever its time)
    pbefore = _payment_snapshot(p)
    ibefore = snapshot(inv) if inv is not None else None
    if answer.ref and not p.provider_ref:
        p.provider_ref = answer.ref
    target = answer.state
    moved = target != p.state and target in _MOVES.get(p.state, set())
    if moved:
        if target == "succeeded" and inv is not None and inv.status == "voided":
            # R13: nothing is collected on a voided invoice; the money goes back.
            p.failure_reason = "the invoice was voided; to be refunded"
        p.state = target
        if target == "succeeded":
            p.ever_succeeded = True
            p.failure_reason = ""
        elif target in ("failed", "requires_action", "canceled") and answer.failure_reason:
            p.failure_reason = answer.failure_reason[:500]
    elif target == p.state and answer.failure_reason and target != "succeeded":
        p.failure_reason = answer.failure_reason[:500]
    if event_time:
        p.provider_updated = max(p.provider_updated or 0, event_time)
    p.save()
    number = inv.number if inv else None
    history.record_changes(ctx, "payment", p.id, number, pbefore, _payment_snapshot(p))
    queued = False
    if moved and inv is not None:
        text = f"Online payment #{p.id} {target}" + (f": {p.failure_reason}" if p.failure_reason else "")
        if target == "succeeded" and inv.status != "voided":
            _after_payment_change(ctx, inv, ibefore, "payment_succeeded", text, p.date)
            queued = _receipts(ctx, p, inv)
        else:
            history.add_activity(ctx, inv.id, number, f"payment_{target}", text)
    return p, inv, queued


def _receipts(ctx: Context, p: Payment, inv: Invoice) -> bool:
    """The receipts of an online success (to the buyer, copied to the user who charged), queued in
    a savepoint: a receipt that cannot be written (no From address, no contact) never undoes the
    payment; the history says why none was sent."""
    try:
        with write_tx():
            return _queue_receipt(ctx, p)
    except InvoiceTuiError as exc:
        history.add_activity(ctx, inv.id, inv.number, "receipt_not_sent",
                             f"No receipt for online payment #{p.id}: {exc.message}")
        return False


def refresh_payment(ctx: Context, payment_id: int | str) -> Payment:
    """Ask the provider where a pending online payment stands, and apply it."""
    p = get_payment(payment_id)
    if p.source != "online" or not p.provider_ref:
        return p
    answer = require_provider(ctx).retrieve(p.provider_ref)
    return apply_answer(ctx, p.id, answer)[0]


# ---- refunds ------------------------------------------------------------------------------


@dataclass
class RefundResult:
    payment: Payment
    invoice: Invoice | None
    refunded_minor: int


def refundable_minor(p: Payment) -> int:
    return max(p.amount_minor - (p.amount_refunded_minor or 0), 0)


def refund_payment(ctx: Context, payment_id: int | str, amount: str | Decimal | None = None, *,
                   credit_note_reason: str | None = None) -> RefundResult:
    """R11: online payments are refunded, never deleted. Full or partial; never more than was
    paid, whatever the provider accepts. A refund reduces what was paid: the balance rises and a
    paid invoice reopens; fully refunded ⇒ the payment is refunded.

    ``credit_note_reason``: the money goes back because the sale is cancelled — in the same step
    (one transaction with the refund), a full credit note of the invoice is created and issued
    (R36, R39), so nothing is due afterwards. Offered only when the refund returns the whole
    invoice (the payment paid all of it and is refunded in full); checked before Stripe is asked."""
    require(ctx, "record_payment")
    if credit_note_reason is not None:
        require(ctx, "credit_note")
    p = get_payment(payment_id)
    if p.source != "online" or not p.provider_ref:
        raise RuleRefused(_("Payment #{id} is not an online payment; a manual payment is "
                            "deleted, not refunded (R11).").format(id=p.id), code="payment.not_online")
    if p.state not in ("succeeded", "disputed"):
        raise RuleRefused(_("Payment #{id} is {state}; only a succeeded payment can be refunded.").format(id=p.id, state=p.state),
                          code="payment.not_refundable")
    left = refundable_minor(p)
    minor = left if amount is None else to_minor(parse_amount(amount, p.currency, positive=True), p.currency)
    _check_refund(p, minor)
    if credit_note_reason is not None:
        _check_cancels_sale(p, minor, credit_note_reason)
    provider = require_provider(ctx)
    key = f"refund-{p.id}-{p.amount_refunded_minor or 0}-{minor}"  # the same request retried is one refund
    refund = provider.refund(p.provider_ref, minor, idempotency_key=key)
    if refund.state in ("failed", "canceled"):
        raise ProviderRefused(_("Stripe did not refund payment #{id} ({state}).").format(id=p.id, state=refund.state))
    p, inv = _record_refund(ctx, p.id, minor, refund.ref, credit_note_reason)
    return RefundResult(p, inv, minor)


def _check_cancels_sale(p: Payment, minor: int, reason: str) -> None:
    inv = get_invoice(p.invoice_id) if p.invoice_id else None
    if inv is None or p.amount_refunded_minor or minor != p.amount_minor or p.amount_minor != inv.billed_minor \
            or inv.credited_minor:
        raise RuleRefused(_("A credit note is issued with the refund only when the whole "
                            "invoice is refunded (the payment paid all of it and nothing was "
                            "credited yet); otherwise create the credit note on its own (R37)."), code="refund.credit_note_not_whole", field="credit_note")
    if not (reason or "").strip():
        raise BadInput(_("The credit note needs a reason (R36)."), field="credit_note")


def _check_refund(p: Payment, minor: int) -> None:
    left = refundable_minor(p)
    if minor <= 0:
        raise BadInput(_("The refund amount must be greater than zero."), field="amount")
    if minor > left:
        raise RuleRefused(_("At most {left} {currency} of payment #{id} can be refunded (it "
                            "paid {paid}, {refunded} already refunded).").format(left=plain(from_minor(left, p.currency)), currency=p.currency, id=p.id, paid=plain(from_minor(p.amount_minor, p.currency)), refunded=plain(from_minor(p.amount_refunded_minor or 0, p.currency))),
                          field="amount", code="refund.over_paid",
                          details={"refundable_minor": left, "currency": p.currency})


@mutation
def _record_refund(ctx: Context, payment_id: int, minor: int, refund_ref: str | None,
                   credit_note_reason: str | None = None) -> tuple[Payment, Invoice | None]:
    p, inv = _lock_invoice_then_payment(payment_id)
    _check_refund(p, minor)  # again, under the lock: two refunds at once never exceed what was paid
    p, inv = _set_refunded(ctx, p, inv, (p.amount_refunded_minor or 0) + minor,
                           f"Online payment #{p.id}: {plain(from_minor(minor, p.currency))} {p.currency} refunded"
                           + (f" ({refund_ref})" if refund_ref else ""))
    if credit_note_reason is not None and inv is not None:
        # in a savepoint: the money went back at Stripe already, so a credit note refused now (a
        # rule changed meanwhile) never undoes the refund's record; the history says why
        from invoice_tui.domain.credit import create_credit_note, issue_credit_note

        try:
            with write_tx():
                cn = create_credit_note(ctx, inv.id, reason=credit_note_reason, full=True)
                issue_credit_note(ctx, cn.id)
        except InvoiceTuiError as exc:
            history.add_activity(ctx, inv.id, inv.number, "credit_note_not_issued",
                                 f"The credit note asked with the refund of payment #{p.id} was not issued: "
                                 f"{exc.message}")
        inv = get_invoice(inv.id)
    return p, inv


def _set_refunded(ctx: Context, p: Payment, inv: Invoice | None, total_minor: int, text: str) \
        -> tuple[Payment, Invoice | None]:
    total_minor = min(max(total_minor, 0), p.amount_minor)
    if total_minor <= (p.amount_refunded_minor or 0):
        return p, inv
    pbefore = _payment_snapshot(p)
    ibefore = snapshot(inv) if inv is not None else None
    p.amount_refunded_minor = total_minor
    if total_minor >= p.amount_minor:
        p.state = "refunded"
    p.save()
    history.record_changes(ctx, "payment", p.id, inv.number if inv else None, pbefore, _payment_snapshot(p))
    if inv is not None:
        _after_payment_change(ctx, inv, ibefore, "payment_refunded", text)
    return p, inv


# ---- events -------------------------------------------------------------------------------


@dataclass
class EventOutcome:
    event_id: str
    payment_id: int | None
    outcome: str  # applied, duplicate, ignored, unknown payment
    state: str | None = None


def handle_event(ctx: Context, provider: PaymentProvider, payload: bytes, signature: str) -> EventOutcome:
    """A webhook: verify (the provider checks the signature before reading the body), then apply
    once per event id. Late and out-of-order events: a payment never moves back from a final
    state; refund totals only grow; a success is applied whenever it arrives."""
    event = provider.read_event(payload, signature)
    if event.setup is not None:
        return _handle_setup(ctx, provider, event)
    return _apply_event(ctx, provider.name, event)


def _seen(provider_name: str, event_id: str) -> bool:
    return ProviderEvent.select().where((ProviderEvent.provider == provider_name)
                                        & (ProviderEvent.event_id == event_id)).exists()


def _handle_setup(ctx: Context, provider: PaymentProvider, event) -> EventOutcome:
    """``setup_intent.succeeded``: the buyer saved a card from the invoice's page (a SetupIntent
    this app created for the contact's Stripe customer, marked in its metadata). The provider
    describes the method (brand, last four digits, expiry) outside any transaction; it is then
    recorded once, with its history row. Other SetupIntents (the card a buyer page payment is
    confirmed with, another app's) are logged and ignored."""
    if _seen(provider.name, event.id):
        return EventOutcome(event.id, None, "duplicate")
    s = event.setup
    contact = None
    if s.metadata.get("purpose") == SAVE_PURPOSE and s.method_ref and s.customer_ref:
        cid = s.metadata.get("contact", "")
        contact = Contact.get_or_none(Contact.id == int(cid)) if cid.isdigit() else None
        if contact is not None and contact.email != s.metadata.get("email"):
            contact = None  # another workspace's contact with this id (one Stripe account, two workspaces)
    described = None
    if contact is not None and not SavedPaymentMethod.select().where(
            (SavedPaymentMethod.provider == provider.name) & (SavedPaymentMethod.method_ref == s.method_ref)).exists():
        described = provider.describe_method(s.customer_ref, s.method_ref)
    return _apply_setup_event(ctx, provider.name, event, contact.id if contact is not None else None, described)


@mutation
def _apply_setup_event(ctx: Context, provider_name: str, event, contact_id: int | None, described) -> EventOutcome:
    if _seen(provider_name, event.id):
        return EventOutcome(event.id, None, "duplicate")
    outcome = "ignored"
    if event.setup.metadata.get("purpose") == SAVE_PURPOSE:
        outcome = "unknown contact"
        if contact_id is not None and Contact.get_or_none(Contact.id == contact_id) is not None:
            exists = SavedPaymentMethod.get_or_none((SavedPaymentMethod.provider == provider_name)
                                                    & (SavedPaymentMethod.method_ref == event.setup.method_ref))
            if exists is not None or described is None:
                outcome = "already saved"
            else:
                _store_method(ctx, contact_id, provider_name, described)  # joins this transaction
                outcome = "payment method saved"
    ProviderEvent.create(provider=provider_name, event_id=event.id, type=event.type[:64], created=event.created,
                         payment_id=None, outcome=outcome, received_at=ctx.now())
    return EventOutcome(event.id, None, outcome)


@mutation
def _apply_event(ctx: Context, provider_name: str, event) -> EventOutcome:
    if ProviderEvent.get_or_none((ProviderEvent.provider == provider_name) & (ProviderEvent.event_id == event.id)):
        return EventOutcome(event.id, None, "duplicate")
    p = None
    if event.payment_ref:
        p = Payment.get_or_none((Payment.provider == provider_name) & (Payment.provider_ref == event.payment_ref))
        if p is None and event.payment_hint:
            # the event came before the answer to the charge was applied: the attempt's key, sent
            # as metadata (random, unlike a payment id another workspace on the same account has
            # too), finds it (an attempt without a provider id yet)
            p = Payment.get_or_none((Payment.idempotency_key == event.payment_hint)
                                    & (Payment.provider == provider_name) & Payment.provider_ref.is_null())
    outcome = "ignored"
    if p is not None:
        if event.state is not None:
            answer = ProviderPayment(ref=event.payment_ref, state=event.state, amount_minor=p.amount_minor,
                                     currency=p.currency, failure_reason=event.failure_reason)
            p = apply_answer(ctx, p.id, answer, event_time=event.created)[0]  # joins this transaction
            outcome = "applied"
        elif event.amount_refunded_minor is not None:
            p, inv = _lock_invoice_then_payment(p.id)
            p, _unused = _set_refunded(ctx, p, inv, event.amount_refunded_minor,
                                 f"Online payment #{p.id}: refunded by the provider "
                                 f"({plain(from_minor(event.amount_refunded_minor, p.currency))} {p.currency} in all)")
            outcome = "applied"
        elif event.dispute is not None:
            p = _apply_dispute(ctx, p.id, event)
            outcome = "applied"
    elif event.payment_ref:
        outcome = "unknown payment"
    ProviderEvent.create(provider=provider_name, event_id=event.id, type=event.type[:64], created=event.created,
                         payment_id=p.id if p else None, outcome=outcome, received_at=ctx.now())
    return EventOutcome(event.id, p.id if p else None, outcome, p.state if p else None)


def _apply_dispute(ctx: Context, payment_id: int, event) -> Payment:
    p, inv = _lock_invoice_then_payment(payment_id)
    number = inv.number if inv else None
    if event.dispute == "opened":
        if p.state != "succeeded":
            return p
        pbefore = _payment_snapshot(p)
        p.state = "disputed"
        p.save()
        history.record_changes(ctx, "payment", p.id, number, pbefore, _payment_snapshot(p))
        if inv is not None:
            history.add_activity(ctx, inv.id, number, "payment_disputed",
                                 f"Online payment #{p.id} disputed by the customer")
        return p
    if event.dispute == "won" and p.state == "disputed":
        pbefore = _payment_snapshot(p)
        p.state = "succeeded"
        p.save()
        history.record_changes(ctx, "payment", p.id, number, pbefore, _payment_snapshot(p))
        if inv is not None:
            history.add_activity(ctx, inv.id, number, "payment_dispute_won", f"Online payment #{p.id}: dispute won")
        return p
    if event.dispute == "lost" and p.state in ("disputed", "succeeded"):
        if p.state == "disputed":  # back to succeeded first, then the loss counts as a refund
            pbefore = _payment_snapshot(p)
            p.state = "succeeded"
            p.save()
            history.record_changes(ctx, "payment", p.id, number, pbefore, _payment_snapshot(p))
        lost = event.dispute_amount_minor or refundable_minor(p)
        p, _unused = _set_refunded(ctx, p, inv, (p.amount_refunded_minor or 0) + lost,
                             f"Online payment #{p.id}: dispute lost; "
                             f"{plain(from_minor(min(lost, p.amount_minor), p.currency))} {p.currency} counts as refunded")
    return p


# ---- the buyer page's Pay ------------------------------------------------------------------


@dataclass
class BuyerPayment:
    payment_id: int
    client_secret: str | None
    amount_minor: int
    currency: str
    setup_secret: str | None = None  # the SetupIntent the page collects the card with
    state: str = "requires_action"
    reason: str = ""


SAVE_PURPOSE = "save_card"  # a SetupIntent's metadata: the buyer saves a card for future payments
PAY_PURPOSE = "pay"  # … the card a buyer page payment is confirmed with


BUYER = "buyer"  # created_by of the payments the buyer starts from the invoice's page


def buyer_payment(ctx: Context, token: str, setup_ref: str | None = None) -> BuyerPayment:
    """``POST /i/<token>/pay``: create the open invoice's pending payment for the buyer page, or
    reuse it; the amount is always recomputed here from the balance (less any other pending online
    payment). A paid, voided or unknown invoice gets NotFound (the page offers nothing).

    The page pays in two steps, a flow Stripe.js and its test double (localstripe) both support:

    1. without ``setup_ref``: the pending PaymentIntent, and a SetupIntent (on session, no
       customer: nothing is saved) that the page's Stripe.js confirms with the card the buyer
       typed (``confirmCardSetup``; the card never reaches this server);
    2. with ``setup_ref`` (that SetupIntent, succeeded): its payment method is set on this
       attempt's PaymentIntent, which is confirmed here; a card that needs 3-D Secure comes back
       ``requires_action`` and the page completes it (``confirmCardPayment``). Only a SetupIntent
       this server created for this very attempt is accepted."""
    provider = require_provider(ctx)
    p = _begin_buyer_attempt(ctx, token, provider.name)
    if p.provider_ref:
        answer = provider.retrieve(p.provider_ref)
        if answer.state in ("succeeded", "processing"):
            apply_answer(ctx, p.id, answer)
            raise RuleRefused(_("This invoice is being paid already."), code="payment.pending")
        if answer.amount_minor != p.amount_minor:
            answer = provider.update_amount(p.provider_ref, p.amount_minor)
    else:
        answer = provider.create_payment(amount_minor=p.amount_minor, currency=p.currency,
                                         idempotency_key=p.idempotency_key,
                                         metadata={"invoice": str(p.invoice_id), "payment": str(p.id),
                                                   "attempt": p.idempotency_key})
        apply_answer(ctx, p.id, answer)
    if setup_ref is None:
        setup = provider.create_setup(customer_ref=None, usage="on_session", idempotency_key=uuid.uuid4().hex,
                                      metadata={"purpose": PAY_PURPOSE, "attempt": p.idempotency_key})
        return BuyerPayment(p.id, answer.client_secret, p.amount_minor, p.currency, setup.client_secret)
    setup = provider.retrieve_setup(setup_ref)
    if setup.metadata.get("purpose") != PAY_PURPOSE or setup.metadata.get("attempt") != p.idempotency_key \
            or setup.state != "succeeded" or not setup.method_ref:
        raise RuleRefused(_("The card was not set up for this payment; start the payment again."),
                          code="payment.setup_mismatch")
    answer = provider.confirm_with(p.provider_ref, setup.method_ref)
    p = apply_answer(ctx, p.id, answer)[0]
    return BuyerPayment(p.id, answer.client_secret, p.amount_minor, p.currency, None, p.state, p.failure_reason)


@dataclass
class BuyerSetup:
    client_secret: str | None


def buyer_setup(ctx: Context, token: str) -> BuyerSetup:
    """``POST /i/<token>/setup`` ("Save a card for future payments" on an open invoice's page): a
    SetupIntent for the billing contact's Stripe customer (the one its saved methods have, else a
    new customer), off session; the page's Stripe.js confirms it with the card typed. The method
    is recorded when Stripe says the SetupIntent succeeded (``setup_intent.succeeded``, signed):
    never from what the browser says."""
    provider = require_provider(ctx)
    inv = Invoice.select().where((Invoice.link_token == token) & (Invoice.status == "open")
                                 & (Invoice.doc_type != "credit_note")).first()
    if inv is None:
        raise NotFound(_("There is nothing to pay at this address."), code="invoice.not_found")
    contact = Contact.get_or_none(Contact.id == inv.billing_contact_id) if inv.billing_contact_id else None
    if contact is None:
        raise RuleRefused(_("This invoice has no billing contact to save a card for."),
                          code="payment_method.no_contact")
    known = (SavedPaymentMethod.select().where((SavedPaymentMethod.contact == contact.id)
                                               & (SavedPaymentMethod.provider == provider.name))
             .order_by(SavedPaymentMethod.id.desc()).first())
    customer = known.customer_ref if known is not None else provider.create_customer(
        email=contact.email, name=contact.display_name, idempotency_key=uuid.uuid4().hex,
        metadata={"contact": str(contact.id), "email": contact.email})
    setup = provider.create_setup(customer_ref=customer, usage="off_session", idempotency_key=uuid.uuid4().hex,
                                  metadata={"purpose": SAVE_PURPOSE, "contact": str(contact.id),
                                            "email": contact.email, "invoice": inv.number or ""})
    return BuyerSetup(setup.client_secret)


@mutation
def _begin_buyer_attempt(ctx: Context, token: str, provider_name: str) -> Payment:
    inv = Invoice.select().where((Invoice.link_token == token) & (Invoice.status == "open")
                                 & (Invoice.doc_type != "credit_note")).first()
    if inv is None:
        raise NotFound(_("There is nothing to pay at this address."), code="invoice.not_found")
    inv = get_invoice(inv.id, for_update=True)
    if inv.status != "open":
        raise NotFound(_("There is nothing to pay at this address."), code="invoice.not_found")
    pending = list(Payment.select().where((Payment.invoice == inv) & (Payment.source == "online")
                                          & Payment.state.in_(PENDING_STATES)))
    mine = next((x for x in pending if x.created_by == BUYER and x.payment_method_ref is None
                 and x.state == "requires_action"), None)
    others = sum(x.amount_minor for x in pending if x is not mine)
    amount = inv.balance_minor - others
    if amount <= 0:
        raise RuleRefused(_("This invoice is being paid already."), code="payment.pending")
    if mine is not None:
        if mine.amount_minor != amount:  # the balance changed since the buyer opened the page
            before = _payment_snapshot(mine)
            mine.amount_minor = amount
            mine.save()
            history.record_changes(ctx, "payment", mine.id, inv.number, before, _payment_snapshot(mine))
        return mine
    now = ctx.now()
    p = Payment.create(amount_minor=amount, currency=inv.currency, date=ctx.today(), method="card", reference="",
                       note="", source="online", state="requires_action", ever_succeeded=False,
                       contact=inv.billing_contact_id, invoice=inv, created_by=BUYER, created_at=now, applied_at=now,
                       provider=provider_name, idempotency_key=uuid.uuid4().hex, payment_method_ref=None)
    history.record_creation(ctx, "payment", p.id, inv.number, _payment_snapshot(p))
    history.add_activity(ctx, inv.id, inv.number, "payment_attempt",
                         f"The buyer opened the payment of {plain(from_minor(amount, inv.currency))} {inv.currency} "
                         f"from the invoice's page (online payment #{p.id})")
    return p


# ---- R7: after a refused edit ---------------------------------------------------------------


def settle_refused_edit(ctx: Context, error) -> None:
    """R7: an edit was refused because the provider would not cancel a pending payment (it
    succeeded first): apply what the provider says now, in its own transaction."""
    payment_id = (getattr(error, "details", None) or {}).get("payment")
    if payment_id is not None and (error.details or {}).get("provider_state") not in (None, "canceled"):
        refresh_payment(ctx, payment_id)
