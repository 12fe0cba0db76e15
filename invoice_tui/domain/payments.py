"""Payment services: R8 (record), R9 (apply existing), R10 (receipts), R11 (delete), and the
states of online payments (R7, R13)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import peewee as pw
from pydantic import BaseModel, field_validator

from invoice_tui.db.models import Contact, Invoice, Payment
from invoice_tui.domain import history
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, NotFound, RuleRefused
from invoice_tui.domain.invoices import (_history, _payment_snapshot, _save, _store_totals, check_collectable,
                                         check_partial_payment, drop_reminders,
                                         get_invoice, plan_reminders, snapshot)
from invoice_tui.domain.money import check_currency, from_minor, parse_amount, plain, to_minor
from invoice_tui.domain.payment_snapshot import state_label
from invoice_tui.domain.permissions import require
from invoice_tui.domain.bounds import in_range
from invoice_tui.domain.text import clean
from invoice_tui.domain.tx import mutation, validate
from invoice_tui.i18n import N_, _, pgettext

METHODS = ("cash", "check", "bank_transfer", "card", "other")
STATES = ("processing", "requires_action", "succeeded", "failed", "canceled", "disputed", "refunded")
SOURCES = ("manual", "online")

class PaymentInput(BaseModel, defer_build=True, extra="forbid"):  # built on first use; unknown keys refused
    amount: str | Decimal
    date: dt.date | None = None
    method: str = "other"
    reference: str = ""
    note: str = ""
    send_receipt: bool = False
    in_advance: bool = False  # R57: confirms a payment dated before its invoice ("received in advance")
    overpay: bool = False  # R8: confirms an amount above the balance; the excess becomes customer credit (R40)

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        v = (v or "other").strip().lower().replace("-", "_").replace(" ", "_")
        if v not in METHODS:
            raise ValueError(_("method is one of {methods}").format(methods=', '.join(METHODS)))
        return v

    @field_validator("date")
    @classmethod
    def _date(cls, v: dt.date | None) -> dt.date | None:
        return in_range(v, N_("the payment date"))  # R56

    @field_validator("reference")
    @classmethod
    def _ref(cls, v: str) -> str:
        return clean(v, what=pgettext("subject", "Reference"), max_length=200)

    @field_validator("note")
    @classmethod
    def _note(cls, v: str) -> str:
        return clean(v, what=pgettext("subject", "Note"), multiline=True, max_length=2000)


@dataclass
class PaymentResult:
    payment: Payment
    invoice: Invoice | None
    receipt_queued: bool = False


def get_payment(payment_id: int | str, *, for_update: bool = False) -> Payment:
    text = str(payment_id).strip()
    if not text.isdigit():
        raise BadInput(_("'{payment_id}' is not a payment id (a number).").format(payment_id=payment_id),
                             code="payment.bad_id",
                       details={"ref": str(payment_id)})
    q = Payment.select().where(Payment.id == int(text))
    from invoice_tui.db import is_postgres
    if for_update and is_postgres():
        q = q.for_update()
    p = q.first()
    if p is None:
        raise NotFound(_("No payment {text}.").format(text=text), code="payment.not_found", details={"id": int(text)})
    return p


def _check_amount_against(inv: Invoice, amount_minor: int, *, overpay: bool = False) -> int:
    """R8's limits: amount > 0, ≤ balance due unless an overpayment is confirmed (``overpay``);
    below the balance only with partial payments. Returns the excess of a confirmed overpayment.
    The rules are the ones the record-payment action and form show before the choice
    (``invoices.check_collectable``, ``invoices.check_partial_payment``)."""
    check_collectable(inv)
    if amount_minor <= 0:
        raise BadInput(_("The amount must be greater than zero."), field="amount")
    balance = inv.balance_minor
    cur = inv.currency
    # An online payment still processing on this invoice may yet succeed: what is left to collect
    # is the balance minus what is processing, so the invoice can never be paid twice.
    processing = (Payment.select(pw.fn.COALESCE(pw.fn.SUM(Payment.amount_minor), 0))
                  .where((Payment.invoice == inv)
                         & Payment.state.in_(["processing", "requires_action"])).scalar() or 0)
    if processing and amount_minor > balance - processing:
        raise RuleRefused(_("An online payment of {amount} {cur} is still processing on this invoice; at most "
                            "{amount2} {cur} can be recorded "
                            "until it succeeds or fails (R8).").format(amount=plain(from_minor(processing, cur)),
                                cur=cur, amount2=plain(from_minor(max(balance - processing, 0), cur))),
                                field="amount",
                          code="payment.over_processing", details={"processing_minor": processing, "currency": cur})
    if amount_minor > balance:
        if overpay:  # R8/R40: confirmed; the excess becomes the customer's credit
            return amount_minor - balance
        raise RuleRefused(_("The amount {amount} {cur} is more than the balance due ({amount2} {cur}) (R8); confirm "
                            "it as an overpayment to keep the excess of {amount3} "
                            "{cur} as the customer's credit.").format(amount=plain(from_minor(amount_minor, cur)),
                                cur=cur, amount2=plain(from_minor(balance, cur)),
                                amount3=plain(from_minor(amount_minor - balance, cur))), field="amount",
                          code="payment.over_balance",
                          details={"amount_minor": amount_minor, "balance_minor": balance, "currency": cur})
    if amount_minor < balance:
        check_partial_payment(inv)
    return 0


def check_payment_date(ctx: Context, day: dt.date, inv: Invoice | None = None, *, in_advance: bool = False) -> None:
    """R57: a payment is not dated after today (the workspace's time zone); before its invoice's
    date only when confirmed as received in advance (``in_advance``)."""
    today = ctx.today()
    if day > today:
        raise BadInput(_("A payment cannot be dated after "
                         "today ({today}, {value}); {day} is in the future (R57).").format(today=today.isoformat(),
                             value=ctx.timezone or 'UTC', day=day.isoformat()), field="date",
                             code="payment.future_date",
                       details={"date": day.isoformat(), "today": today.isoformat()})
    if inv is not None and inv.invoice_date and day < inv.invoice_date and not in_advance:
        raise RuleRefused(_("The payment date {day} is before the invoice date {invoice_date}; confirm that it was "
                            "received in advance (R57).").format(day=day.isoformat(),
                                invoice_date=inv.invoice_date.isoformat()),
                          field="date", code="payment.before_invoice_date",
                          details={"date": day.isoformat(), "invoice_date": inv.invoice_date.isoformat()})


def _after_payment_change(ctx: Context, inv: Invoice, before: dict, kind: str, text: str,
                          pay_date: dt.date | None = None) -> None:
    """Recompute paid/balance (R18) and the status: balance 0 ⇒ paid (R8), else back to open (R11)."""
    _store_totals(inv)
    if inv.status == "open" and inv.balance_minor == 0:
        inv.status = "paid"
        inv.payment_date = pay_date or ctx.today()
        drop_reminders(inv)
    elif inv.status == "paid" and inv.balance_minor > 0:
        inv.status = "open"
        inv.payment_date = None
        plan_reminders(inv, ctx)
    _save(inv, ctx)
    _history(ctx, inv, before, kind, text)


def _queue_receipt(ctx: Context, payment: Payment) -> bool:
    """R10: the receipt sender the face wired into ``ctx.services`` (the mail package's, in the app
    and the CLI) queues the receipt inside this transaction; without one nothing is queued."""
    sender = ctx.services.receipt_sender
    if sender is None:
        return False
    sender(ctx, payment)
    return True


@mutation
def record_payment(ctx: Context, ref: str | int, data: PaymentInput | dict) -> PaymentResult:
    """R8/R10: a manual payment applied to an open invoice."""
    require(ctx, "record_payment")
    data = validate(PaymentInput, data)
    inv = get_invoice(ref, for_update=True)
    amount = parse_amount(data.amount, inv.currency, positive=True)
    minor = to_minor(amount, inv.currency)
    excess = _check_amount_against(inv, minor, overpay=data.overpay)
    before = snapshot(inv)
    now = ctx.now()
    contact = inv.billing_contact_id
    pay_date = data.date or ctx.today()
    check_payment_date(ctx, pay_date, inv, in_advance=data.in_advance)
    p = Payment.create(amount_minor=minor, currency=inv.currency, date=pay_date, method=data.method,
                       reference=data.reference, note=data.note, source="manual", state="succeeded",
                       ever_succeeded=True, contact=contact, invoice=inv, created_by=ctx.login, created_at=now,
                       applied_at=now)
    history.record_creation(ctx, "payment", p.id, inv.number, _payment_snapshot(p))
    text = f"Payment #{p.id} of {plain(amount)} {inv.currency} recorded ({data.method})"
    if excess:
        from invoice_tui.domain.credit_records import overpayment_entry

        overpayment_entry(ctx, inv, p, excess)
        text += f"; overpaid by {plain(from_minor(excess, inv.currency))} {inv.currency}, kept as customer credit"
    _after_payment_change(ctx, inv, before, "payment_recorded", text, pay_date)
    queued = _queue_receipt(ctx, p) if data.send_receipt else False
    return PaymentResult(p, inv, queued)


class NewPaymentInput(BaseModel, defer_build=True, extra="forbid"):  # built on first use; unknown keys refused
    amount: str | Decimal
    currency: str
    date: dt.date | None = None
    method: str = "other"
    reference: str = ""
    note: str = ""
    source: str = "manual"
    state: str = "succeeded"
    contact_id: int | None = None

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        if v not in SOURCES:
            raise ValueError(_("source is manual or online"))
        return v

    @field_validator("state")
    @classmethod
    def _state(cls, v: str) -> str:
        if v not in STATES:
            raise ValueError(_("state is one of {states}").format(states=', '.join(STATES)))
        return v

    _date = field_validator("date")(PaymentInput._date.__func__)
    _method = field_validator("method")(PaymentInput._method.__func__)
    _ref = field_validator("reference")(PaymentInput._ref.__func__)
    _note = field_validator("note")(PaymentInput._note.__func__)


@mutation
def add_payment(ctx: Context, data: NewPaymentInput | dict) -> Payment:
    """An unapplied payment (received before its invoice was known, or an online one)."""
    require(ctx, "add_payment")
    data = validate(NewPaymentInput, data)
    currency = check_currency(data.currency)
    amount = parse_amount(data.amount, currency, positive=True)
    if data.source == "manual" and data.state not in ("succeeded",):
        raise BadInput(_("A manual payment is recorded as succeeded."), field="state")
    if data.contact_id is not None and not Contact.get_or_none(Contact.id == data.contact_id):
        raise NotFound(_("No contact with id {contact_id}.").format(contact_id=data.contact_id))
    check_payment_date(ctx, data.date or ctx.today())
    p = Payment.create(amount_minor=to_minor(amount, currency), currency=currency, date=data.date or ctx.today(),
                       method=data.method, reference=data.reference, note=data.note, source=data.source,
                       state=data.state, ever_succeeded=data.state in ("succeeded", "refunded"),
                       contact=data.contact_id, invoice=None, created_by=ctx.login, created_at=ctx.now())
    history.record_creation(ctx, "payment", p.id, None, _payment_snapshot(p))
    return p


def find_unapplied(currency: str, query: str = "", limit: int = 50) -> list[Payment]:
    """R9: unapplied succeeded payments in ``currency``, by amount, payment id or contact email."""
    q = (Payment.select(Payment, Contact).join(Contact, pw.JOIN.LEFT_OUTER)
         .where(Payment.invoice.is_null() & (Payment.currency == currency)
                & (Payment.state.in_(["succeeded", "processing"]))))
    text = (query or "").strip()
    if text:
        conds = [Contact.email.contains(text)]
        if text.lstrip("#").isdigit():
            conds.append(Payment.id == int(text.lstrip("#")))
        try:
            amount = parse_amount(text, currency)
            conds.append(Payment.amount_minor == to_minor(amount, currency))
        except BadInput:
            pass
        cond = conds[0]
        for c in conds[1:]:
            cond = cond | c
        q = q.where(cond)
    return list(q.order_by(Payment.date.desc(), Payment.id.desc()).limit(limit))


@mutation
def apply_payment(ctx: Context, payment_id: int | str, ref: str | int, *, in_advance: bool = False) -> PaymentResult:
    """R9: apply an unapplied payment; the database arbitrates two users applying it at once."""
    require(ctx, "apply_payment")
    inv = get_invoice(ref, for_update=True)
    p = get_payment(payment_id)
    if p.invoice_id is not None:
        other = Invoice.get_or_none(Invoice.id == p.invoice_id)
        raise RuleRefused(_("Payment #{id} is already applied to {value}; a payment is applied to one invoice only "
                            "(R9).").format(id=p.id, value=other.number) if other else
                          _("Payment #{id} is already applied to another invoice; a payment is applied to one invoice "
                            "only (R9).").format(id=p.id))
    if p.currency != inv.currency:
        raise RuleRefused(_("Payment #{id} is in {currency}; this invoice is in {currency2} (R9).").format(id=p.id,
                                currency=p.currency, currency2=inv.currency))
    if p.state not in ("succeeded", "processing"):
        raise RuleRefused(_("Payment #{id} is {state}; only succeeded payments can be applied.").format(id=p.id,
                                state=state_label(p.state)))
    _check_amount_against(inv, p.amount_minor)
    if p.date < inv.invoice_date and not in_advance:  # R57 (its date was checked against today when added)
        check_payment_date(ctx, p.date, inv)
    before = snapshot(inv)
    pbefore = _payment_snapshot(p)
    now = ctx.now()
    updated = (Payment.update(invoice=inv.id, applied_at=now)
               .where((Payment.id == p.id) & Payment.invoice.is_null()).execute())
    if updated != 1:
        raise RuleRefused(_("Payment #{id} was just applied to another invoice (R9).").format(id=p.id))
    p = Payment.get_by_id(p.id)
    history.record_changes(ctx, "payment", p.id, inv.number, pbefore, _payment_snapshot(p))
    _after_payment_change(ctx, inv, before, "payment_applied",
                          f"Payment #{p.id} of {plain(from_minor(p.amount_minor, p.currency))} {p.currency} applied",
                          p.date)
    return PaymentResult(p, inv)


def _lock_invoice_then_payment(payment_id: int | str) -> tuple[Payment, Invoice | None]:
    """Lock the payment's invoice first, then the payment: the order editing, recording and applying
    use (invoice → payment), so two writers never wait on each other in a circle (a PostgreSQL
    deadlock, e.g. an edit saved while the processor reports a success, R7)."""
    p = get_payment(payment_id)
    inv = get_invoice(p.invoice_id, for_update=True) if p.invoice_id else None
    p = get_payment(payment_id, for_update=True)
    if p.invoice_id and (inv is None or inv.id != p.invoice_id):  # applied meanwhile
        inv = get_invoice(p.invoice_id, for_update=True)
    return p, inv


@mutation
def delete_payment(ctx: Context, payment_id: int | str) -> Invoice | None:
    """R11: delete a manual payment; restores the balance and reopens a paid invoice."""
    require(ctx, "delete_payment")
    p, inv = _lock_invoice_then_payment(payment_id)
    if p.source == "online":
        raise RuleRefused(_("Online payments are never deleted; refund them instead (R11)."))
    from invoice_tui.db.models import CreditEntry

    if CreditEntry.select().where(CreditEntry.payment_id == p.id).exists():
        raise RuleRefused(_("Payment #{id} overpaid its invoice and made customer credit; credit once created never "
                            "changes, so "
                            "the payment cannot be deleted (R39, R40). Refund the credit instead.").format(id=p.id),
                          code="payment.made_credit")
    pbefore = _payment_snapshot(p)
    before = snapshot(inv) if inv else None
    p.delete_instance()
    history.record_changes(ctx, "payment", int(payment_id), inv.number if inv else None, pbefore,
                           {k: None for k in pbefore})
    if inv is not None:
        _after_payment_change(ctx, inv, before, "payment_deleted",
                              f"Payment #{payment_id} of {pbefore['amount']} {pbefore['currency']} deleted")
    return inv


_TRANSITIONS = {
    "processing": {"succeeded", "failed", "canceled", "requires_action"},
    "requires_action": {"processing", "succeeded", "failed", "canceled"},
    "succeeded": {"refunded"},
}


@mutation
def set_payment_state(ctx: Context, payment_id: int | str, state: str) -> Payment:
    """Online payments move processing → succeeded/failed/canceled, succeeded → refunded (the
    payment processor's callbacks). A success changes the invoice's version (R7)."""
    require(ctx, "update_payment_state")
    if state not in STATES:
        raise BadInput(_("State is one of {states}.").format(states=', '.join(STATES)), field="state")
    p, inv = _lock_invoice_then_payment(payment_id)
    if p.source != "online":
        raise RuleRefused(_("Only online payments change state; delete a manual payment instead (R11)."))
    if state not in _TRANSITIONS.get(p.state, set()):
        raise RuleRefused(_("Payment #{id} is {state}; it cannot become {state2}.").format(id=p.id,
                                state=state_label(p.state),
                                                                             state2=state_label(state)))
    pbefore = _payment_snapshot(p)
    p.state = state
    if state == "succeeded":
        p.ever_succeeded = True
    if state == "refunded":  # in full: nothing of it counts as paid any more (R18)
        p.amount_refunded_minor = p.amount_minor
    p.save()
    history.record_changes(ctx, "payment", p.id, inv.number if inv else None, pbefore, _payment_snapshot(p))
    if inv is not None:
        before = snapshot(inv)
        if state == "succeeded" and inv.status == "voided":
            raise RuleRefused(_("{number} "
                                "is voided; no payment can be collected on it (R13).").format(number=inv.number),
                              code="invoice.voided", details={"invoice": inv.number})
        _after_payment_change(ctx, inv, before, f"payment_{state}",
                              f"Online payment #{p.id} {state}", p.date)
    return p


def list_payments(applied: bool | None = None, state: str | None = None, search: str = "",
                  limit: int | None = None) -> list[Payment]:
    return list(payments_query(applied, state, search, limit))


def payments_query(applied: bool | None = None, state: str | None = None, search: str = "",
                   limit: int | None = None) -> pw.ModelSelect:
    """Payments (with their contact joined), newest first: the CLI list streams it."""
    q = Payment.select(Payment, Contact).join(Contact, pw.JOIN.LEFT_OUTER)
    if applied is True:
        q = q.where(Payment.invoice.is_null(False))
    elif applied is False:
        q = q.where(Payment.invoice.is_null())
    if state:
        q = q.where(Payment.state == state)
    if search:
        q = q.where(Contact.email.contains(search) | Payment.reference.contains(search))
    q = q.order_by(Payment.id.desc())
    if limit:
        q = q.limit(limit)
    return q


def payment_record(p: Payment, numbers: dict[int, str | None] | None = None,
                   emails: dict[int, str] | None = None) -> dict:
    """A payment as the CLI's JSON. Listing many: pass ``numbers`` (invoice id → number) and
    ``emails`` (contact id → email) read per batch, so no query runs per payment."""
    if numbers is not None:
        number = numbers.get(p.invoice_id) if p.invoice_id else None
    else:
        inv = Invoice.get_or_none(Invoice.id == p.invoice_id) if p.invoice_id else None
        number = inv.number if inv else None
    if emails is not None:
        email = emails.get(p.contact_id) if p.contact_id else None
    else:
        contact = Contact.get_or_none(Contact.id == p.contact_id) if p.contact_id else None
        email = contact.email if contact else None
    rec = {"id": p.id, "amount": plain(from_minor(p.amount_minor, p.currency)), "currency": p.currency,
           "date": p.date.isoformat(), "method": p.method, "reference": p.reference, "note": p.note,
           "source": p.source, "state": p.state, "contact_email": email,
           "invoice_id": p.invoice_id, "invoice_number": number}
    if getattr(p, "provider", None):  # through a payment provider (issue 26)
        rec.update({"provider": p.provider, "provider_ref": p.provider_ref,
                    "refunded": plain(from_minor(p.amount_refunded_minor or 0, p.currency)),
                    "failure_reason": p.failure_reason or None})
    return rec
