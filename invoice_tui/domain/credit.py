"""Credit notes, customer credit and refunds (SPEC R8 amended, R36–R42).

A **credit note** (EN 16931 type 381) is a row of the invoice table (``doc_type = 'credit_note'``)
so that it shares the invoice's index, page, history, PDF, email, link, export and permissions
(R42). It references one finalized invoice (``refers_to``: BT-25 its number, BT-26 its date), has a
required reason, positive lines and totals computed by the one totals function (R18, R37), and
goes ``draft`` → ``issued``; its number comes from its own series at issue
(:func:`invoices._take_credit_note_number`, R36). Once issued it is never edited, deleted or voided
(R38; the invoice services refuse through :func:`invoices.refuse_credit_note`).

Decisions written down (where the SPEC is silent):

- The cap (R37) counts draft and issued credit notes: a draft reserves what it credits, so the
  total of an invoice's credit notes never exceeds its amount billed whatever is issued later.
  Creating and issuing lock the invoice row (PostgreSQL ``FOR UPDATE``; SQLite's write lock), so
  of two concurrent credit notes that together exceed the cap one is refused with the amount still
  creditable.
- A partial credit note by lines copies the chosen lines with the quantities given (same sign,
  at most the invoice line's) and the invoice's *percentage* discounts, fees and extra taxes (they
  apply to the credited lines as they did on the invoice); fixed ones are left out. A full one
  copies everything, so it credits exactly the amount billed. An amount credit note is one line
  "Credit: <reason>" at the net amount with the VAT rate and category given.
- The credit note's date is its issue date (today, the workspace's time zone).
- Customer credit (R40) is per customer — the invoice's company if it has one, else its billing
  contact — and currency, the sum of the ``credit_entry`` records: + credit-note remainders and
  overpayments, − credit applied and refunds. Records are never updated or deleted.
- Credit applied to an invoice counts, with its credit notes' applied parts, in the invoice's
  ``credited`` amount (balance = billed − paid − credited); the status reads "Credited" only when
  the invoice's own credit notes settled it wholly (:func:`settlement_label`).
- A payment whose overpayment made credit cannot be deleted: credit once created never changes
  (R39); the credit can be refunded instead.
- Concurrent movements of one customer's credit are serialized by a transaction-level advisory
  lock on PostgreSQL (SQLite's write lock serializes every writer), always taken after the
  invoice's row lock, so no two writers wait on each other in a circle.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any, Iterable

import peewee as pw

from invoice_tui.db.models import Adjustment, CreditEntry, Invoice, InvoiceCompany, InvoiceContact, LineItem, Payment
from invoice_tui.domain import history
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, RuleRefused
from invoice_tui.domain.invoices import (_ADJUSTMENT_COPY, _LINE_COPY, _history, _lock_strict, _save,
                                         _store_totals, _take_credit_note_number, clone_invoice, copy_contents, drop_reminders,
                                         draft_label, get_invoice, legal_fields, line_specs, snapshot)
from invoice_tui.domain.invoice_query import settings_ctx
from invoice_tui.domain.settings import load_settings
from invoice_tui.domain.money import check_currency, from_minor, parse_amount, plain, to_micro, to_minor
from invoice_tui.domain.permissions import require
from invoice_tui.domain.text import clean
from invoice_tui.domain.totals import check_category, default_category
from invoice_tui.domain.credit_records import (CREDIT_SIGN, ENTRY_KINDS, CreditBalance, Customer,  # noqa: F401
                                               _entry, _lock_customer, credit_available, credit_balances,
                                               creditable_minor, customer_by, customer_of, entry_snapshot,
                                               overpayment_entry)
from invoice_tui.domain.tx import mutation
from invoice_tui.i18n import N_, _, pgettext

REFUND_METHODS = ("cash", "check", "bank_transfer", "card", "other")


def _money(minor: int, currency: str) -> str:
    return f"{plain(from_minor(minor, currency))} {currency}"


def entries_of_invoice(inv: Invoice) -> list[CreditEntry]:
    return list(CreditEntry.select().where((CreditEntry.invoice_id == inv.id) | (CreditEntry.credit_note_id == inv.id))
                .order_by(CreditEntry.id))


def movements(customer: Customer, currency: str | None = None) -> list[CreditEntry]:
    """A customer's credit movements, oldest first (ready for a statement of account)."""
    q = CreditEntry.select().where(customer.where() & (CreditEntry.kind != "cn_applied"))
    if currency:
        q = q.where(CreditEntry.currency == currency)
    return list(q.order_by(CreditEntry.date, CreditEntry.id))


# ---- credit notes ------------------------------------------------------------------------------
def credit_notes_of(inv: Invoice) -> list[Invoice]:
    """R42: an invoice's credit notes, oldest first."""
    return list(Invoice.select().where((Invoice.refers_to == inv.id) & (Invoice.doc_type == "credit_note"))
                .order_by(Invoice.id))


def get_credit_note(ref: str | int, *, for_update: bool = False) -> Invoice:
    cn = get_invoice(ref, for_update=for_update)
    if cn.doc_type != "credit_note":
        raise BadInput(_("{value} is an invoice, not a credit note.").format(value=draft_label(cn)),
                             field="credit_note",
                       code="credit_note.not_a_credit_note", details={"ref": str(ref)})
    return cn


def _check_correctable(inv: Invoice) -> None:
    if inv.doc_type != "invoice":
        raise RuleRefused(_("{value} is a credit note; a credit note is credited by no other credit note (offset a "
                            "mistaken one with a new invoice, R38).").format(value=draft_label(inv)),
                          code="credit_note.of_credit_note")
    if inv.status == "draft":
        raise RuleRefused(_("Draft #{id} "
                            "is not finalized; a draft is edited or deleted, not credited (R36).").format(id=inv.id),
                          code="credit_note.of_draft")
    if inv.status == "voided":
        raise RuleRefused(_("{number} "
                            "is voided; a voided invoice gets no credit note (R37).").format(number=inv.number),
                          code="invoice.voided", details={"invoice": inv.number})


def _reason(text: str) -> str:
    try:
        text = clean(text or "", what=pgettext("subject", "Reason"), multiline=True, max_length=1000).strip()
    except ValueError as exc:
        raise BadInput(str(exc) + ".", field="reason") from None
    if not text:
        raise BadInput(_("A credit note needs a reason (R36), e.g. 'Goods returned' or 'Price corrected'."),
                       field="reason", code="credit_note.no_reason")
    return text


def _decimal(value, what: str, field: str) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except Exception:  # noqa: BLE001 - any unparsable text
        raise BadInput(_("{what} '{value}' is not a number.").format(what=_(what), value=value), field=field) from None
    if not d.is_finite() or abs(d) >= Decimal("1e9") or d.as_tuple().exponent < -6:
        raise BadInput(_("{what} '{value}' "
                         "is not a usable number (below one billion, at most 6 decimals).").format(what=_(what),
                             value=value),
                       field=field)
    return d


@mutation
def create_credit_note(ctx: Context, ref: str | int, *, reason: str, full: bool = False,
                       lines: Iterable[tuple[int, Any]] | None = None, amount: Any = None, rate: Any = None,
                       category: str = "") -> Invoice:
    """R36/R37: a draft credit note against one finalized invoice — ``full`` (every line), ``lines``
    (``(position, quantity)`` pairs, positions from 1 as the invoice shows them) or ``amount`` (net,
    before VAT) at ``rate`` % and ``category``. Refused beyond what can still be credited."""
    require(ctx, "credit_note")
    reason = _reason(reason)
    lines = list(lines or [])
    modes = [full, bool(lines), amount is not None]
    if sum(bool(m) for m in modes) != 1:
        raise BadInput(_("A credit note is full, or chosen lines and quantities, or an amount with a VAT rate "
                         "(exactly one of them, R37)."), field="mode", code="credit_note.mode")
    inv = get_invoice(ref, for_update=True)  # R37's cap: concurrent credit notes of one invoice wait here
    _check_correctable(inv)
    cur = inv.currency
    today, now = ctx.today(), ctx.now()
    cn = Invoice.create(
        doc_type="credit_note", refers_to=inv.id, reason=reason, currency=cur, exponent=inv.exponent,
        locale=inv.locale, invoice_date=today, due_date=None, owner=ctx.user.id if ctx.user else None,
        billing_contact=inv.billing_contact_id, company=inv.company_id, po_number=inv.po_number,
        origin="manual", status="draft", version=1, created_at=now, updated_at=now, title="",
        **legal_fields(inv))
    for link in inv.contact_links:  # the same contacts and companies as its invoice (R42: the same panel)
        InvoiceContact.create(invoice=cn, contact=link.contact_id)
    for link in inv.company_links:
        InvoiceCompany.create(invoice=cn, company=link.company_id)
    src_lines = list(inv.lines.order_by(LineItem.position))
    src_adjustments = list(inv.adjustments.order_by(Adjustment.kind, Adjustment.position))
    if full:
        for li in src_lines:
            LineItem.create(invoice=cn, **{f: getattr(li, f) for f in _LINE_COPY})
        for a in src_adjustments:
            Adjustment.create(invoice=cn, **{f: getattr(a, f) for f in _ADJUSTMENT_COPY})
    elif lines:
        seen: set[int] = set()
        for pos, (position, qty) in enumerate(lines):
            try:
                position = int(position)
            except (TypeError, ValueError):
                raise BadInput(_("'{position}' is not a line position (1 to {count}).").format(position=position,
                                     count=len(src_lines)), field="lines") from None
            if not 1 <= position <= len(src_lines):
                raise BadInput(_("{number} "
                                 "has no line {position}; its lines are 1 to {count}.").format(number=inv.number,
                                     position=position, count=len(src_lines)),
                               field="lines", code="credit_note.no_such_line")
            if position in seen:
                raise BadInput(_("Line {position} is given twice.").format(position=position), field="lines")
            seen.add(position)
            li = src_lines[position - 1]
            q = _decimal(qty, N_("The quantity"), "lines")
            if not q or (q > 0) != (li.quantity > 0) or abs(q) > abs(li.quantity):
                raise BadInput(_("Line {position} ('{name}') has quantity {amount}; a credit note credits between 0 "
                                 "and {amount} of it (not {amount2}).").format(position=position, name=li.name,
                                     amount=plain(li.quantity), amount2=plain(q)),
                               field="lines", code="credit_note.bad_quantity")
            values = {f: getattr(li, f) for f in _LINE_COPY}
            values.update(position=pos, quantity=q)
            if li.discount_kind == "fixed" and li.discount_value is not None and q != li.quantity:
                values["discount_value"] = (li.discount_value * q / li.quantity).quantize(
                    Decimal(1).scaleb(-inv.exponent))  # a fixed line discount in proportion to the quantity
            LineItem.create(invoice=cn, **values)
        for a in src_adjustments:
            if a.is_percent:
                Adjustment.create(invoice=cn, **{f: getattr(a, f) for f in _ADJUSTMENT_COPY})
    else:
        net = parse_amount(amount, cur, positive=True, field="amount")
        r = _decimal(rate if rate is not None else "0", N_("The VAT rate"), "rate")
        if r < 0 or r > 100:
            raise BadInput(_("The VAT rate is a percentage between 0 and 100."), field="rate")
        try:
            # no category given: the rate's default (E at 0 % under the VAT franchise, R43)
            cat = check_category(r, category or default_category(r, load_settings().vat_franchise))
        except ValueError as exc:
            raise BadInput(str(exc) + ".", field="rate") from None
        LineItem.create(invoice=cn, position=0, name=f"Credit: {reason[:280]}", description="", quantity=Decimal(1),
                        unit_price_micro=to_micro(net), price_base=Decimal(1), unit_code="C62", discount_kind=None,
                        discount_value=None, charges="[]", tax_rate=r, tax_category=cat)
    _store_totals(cn)
    if cn.billed_minor <= 0:
        raise RuleRefused(_("This credit note would credit {amount}; "
                            "a credit note credits more than 0 (R37).").format(amount=_money(cn.billed_minor,
                                cur)), code="credit_note.not_positive", field="lines")
    room = creditable_minor(inv, excluding=cn.id)
    if cn.billed_minor > room:
        raise RuleRefused(
            _("This credit note of {amount} is more than can still be credited on {number}: {amount2} of its "
              "{amount3} billed (R37).").format(amount=_money(cn.billed_minor,
                  cur), number=inv.number, amount2=_money(room, cur), amount3=_money(inv.billed_minor, cur)),
            field="amount", code="credit_note.over_cap",
            details={"invoice": inv.number, "creditable": plain(from_minor(room, cur)), "currency": cur,
                     "creditable_minor": room})
    _save(cn, ctx, bump=False)
    _history(ctx, cn, None, "created", f"Draft credit note for {inv.number} created: {reason}")
    history.add_activity(ctx, inv.id, inv.number, "credit_note_created",
                         f"Draft credit note #{cn.id} of {_money(cn.billed_minor, cur)} created: {reason}")
    return cn


@mutation
def issue_credit_note(ctx: Context, ref: str | int) -> Invoice:
    """R36/R39: number the draft credit note from its series, and apply it to its invoice's balance
    first (up to that balance: "credited"); the remainder becomes the customer's credit."""
    require(ctx, "credit_note")
    cn = get_credit_note(ref)
    inv = get_invoice(cn.refers_to, for_update=True)  # the invoice first, then its credit note
    cn = get_credit_note(cn.id, for_update=True)
    if cn.status != "draft":
        raise RuleRefused(_("{number} "
                            "is already issued; an issued credit note never changes (R38).").format(number=cn.number),
                          code="credit_note.issued", details={"credit_note": cn.number})
    _check_correctable(inv)
    cur = cn.currency
    room = creditable_minor(inv, excluding=cn.id)
    if cn.billed_minor > room:  # a credit note created before the cap existed, or behind the app's back
        raise RuleRefused(_("This credit note of {amount} is more than can still be credited on {number}: {amount2} "
                            "(R37).").format(amount=_money(cn.billed_minor,
                                cur), number=inv.number, amount2=_money(room, cur)), code="credit_note.over_cap",
                          field="amount", details={"creditable": plain(from_minor(room, cur)), "currency": cur,
                                                   "creditable_minor": room})
    today = ctx.today()
    cn_before, inv_before = snapshot(cn), snapshot(inv)
    cn.number, cn.cn_seq = _take_credit_note_number(on=today)
    _lock_strict(ctx, load_settings())  # R46: a document issued under strict mode keeps it on
    cn.status = "issued"
    cn.invoice_date = today
    cn.link_token = secrets.token_urlsafe(24)
    cn.finalized_at = ctx.now()
    totals = _store_totals(cn)
    from invoice_tui.domain.einvoice_build import check_at_finalize  # R45: an invalid e-invoice is never issued

    check_at_finalize(cn, settings_ctx(ctx), totals, line_specs(cn), cn.number)
    _save(cn, ctx)
    # R39: applied to the invoice's balance first; an online payment still processing keeps its part
    processing = (Payment.select(pw.fn.COALESCE(pw.fn.SUM(Payment.amount_minor), 0))
                  .where((Payment.invoice == inv) & (Payment.state == "processing")).scalar() or 0)
    open_balance = max(inv.balance_minor - processing, 0) if inv.status == "open" else 0
    applied = min(cn.billed_minor, open_balance)
    remainder = cn.billed_minor - applied
    customer = _settle(ctx, cn, inv, applied, today)
    _history(ctx, cn, cn_before, "issued", f"Issued as {cn.number}, crediting {inv.number}")
    text = f"{cn.number} of {_money(cn.billed_minor, cur)} issued"
    if applied:
        text += f"; {_money(applied, cur)} credited on this invoice"
    if remainder:
        text += f"; {_money(remainder, cur)} to {customer.label}'s credit"
    _history(ctx, inv, inv_before, "credit_note_issued", text)
    return cn


@mutation
def create_credit_note_and_issue(ctx: Context, ref: str | int, *, issue: bool = True, **kwargs) -> Invoice:
    """The TUI's "Create and issue": both in one transaction (a refused issue leaves no draft)."""
    cn = create_credit_note(ctx, ref, **kwargs)
    return issue_credit_note(ctx, cn.id) if issue else cn


@mutation
def cancel_and_replace(ctx: Context, ref: str | int, *, reason: str) -> tuple[Invoice, Invoice]:
    """R41: issue a full credit note for the invoice and open a draft copy referencing it (the way to
    change an issued invoice when editing finalized invoices is off). Returns (credit note, draft)."""
    require(ctx, "credit_note")
    require(ctx, "clone")
    cn = create_credit_note(ctx, ref, reason=reason, full=True)
    cn = issue_credit_note(ctx, cn.id)
    draft = clone_invoice(ctx, ref)
    before = snapshot(draft)
    draft.refers_to = cn.id
    _save(draft, ctx, bump=False)
    _history(ctx, draft, before, "replaces", f"Replaces {get_invoice(cn.refers_to).number}, cancelled by {cn.number}")
    return cn, draft


@mutation
def offset_credit_note(ctx: Context, ref: str | int) -> Invoice:
    """R38: a mistaken credit note is never edited, deleted or voided; it is offset by a new invoice
    that refers to it. This opens that invoice as a draft (the credit note's lines, adjustments,
    contacts and company; today's date and the payment terms), to finalize as any invoice."""
    from invoice_tui.domain.invoice_query import settings_ctx

    require(ctx, "create_draft")
    cn = get_credit_note(ref)
    if cn.status != "issued":
        raise RuleRefused(_("Draft credit "
                            "note #{id} is not issued; delete it instead of offsetting it (R38).").format(id=cn.id),
                          code="credit_note.draft")
    settings = settings_ctx(ctx)
    today, now = ctx.today(), ctx.now()
    inv = Invoice.create(
        doc_type="invoice", refers_to=cn.id, currency=cn.currency, exponent=cn.exponent, locale=cn.locale,
        invoice_date=today, due_date=today + dt.timedelta(days=settings.payment_terms_days),
        owner=ctx.user.id if ctx.user else None, billing_contact=cn.billing_contact_id, company=cn.company_id,
        po_number=cn.po_number, title=f"Offsets credit note {cn.number}"[:300], origin="manual", status="draft",
        version=1, created_at=now, updated_at=now, **legal_fields(cn))
    copy_contents(cn, inv)
    _store_totals(inv)
    _save(inv, ctx, bump=False)
    _history(ctx, inv, None, "created", f"Draft offsetting credit note {cn.number}")
    history.add_activity(ctx, cn.id, cn.number, "offset", f"Offset by draft #{inv.id}")
    return inv


def customer_credit_text(kind: str, record_id: int) -> str:
    """A contact's or company's credit available, per currency ("€40.00, $5.00"), or "" (R40, R42:
    the customer's page shows it)."""
    from invoice_tui.domain.money import format_money

    who = Customer(record_id, None) if kind == "company" else Customer(None, record_id)
    return ", ".join(format_money(from_minor(b.available_minor, b.currency), b.currency)
                     for b in credit_balances(who) if b.available_minor)


def settlement_label(inv: Invoice) -> str:
    """R39: a paid invoice settled wholly by its credit notes reads "Credited"."""
    if inv.doc_type == "credit_note":
        return "Issued" if inv.status == "issued" else "Draft"
    if inv.status == "paid" and inv.credited_minor and not inv.paid_minor and not CreditEntry.select().where(
            (CreditEntry.invoice_id == inv.id) & (CreditEntry.kind == "applied")).exists():
        return "Credited"
    return inv.status.capitalize()


def credit_note_record(cn: Invoice, today: dt.date) -> dict[str, Any]:
    """A credit note as the CLI's JSON: the invoice record's keys, with its reason and the invoice it
    corrects (BT-25 number, BT-26 date)."""
    from invoice_tui.domain.invoices import invoice_record

    rec = invoice_record(cn, today)
    inv = Invoice.get_or_none(Invoice.id == cn.refers_to) if cn.refers_to else None
    rec.update({"reason": cn.reason, "invoice_number": inv.number if inv else None,
                "invoice_issue_date": inv.invoice_date.isoformat() if inv and inv.invoice_date else None})
    if cn.status == "issued":
        applied = (CreditEntry.select(CreditEntry.kind, CreditEntry.amount_minor)
                   .where(CreditEntry.credit_note_id == cn.id).tuples())
        parts = dict(applied)
        rec["credited_on_invoice"] = plain(from_minor(parts.get("cn_applied", 0), cn.currency))
        rec["to_customer_credit"] = plain(from_minor(parts.get("cn_remainder", 0), cn.currency))
    return rec


# ---- customer credit: apply, refund ------------------------------------------------------------
@mutation
def apply_credit(ctx: Context, ref: str | int, amount: Any) -> CreditEntry:
    """R40: apply the invoice's customer's credit to it (an open invoice of the same currency),
    under R8's limits; never more than the credit available."""
    from invoice_tui.domain.payments import _check_amount_against

    require(ctx, "apply_credit")
    inv = get_invoice(ref, for_update=True)
    if inv.doc_type != "invoice":
        raise RuleRefused(_("{value} "
                            "is a credit note; credit is applied to an invoice.").format(value=draft_label(inv)),
                          code="credit.not_an_invoice")
    cur = inv.currency
    minor = to_minor(parse_amount(amount, cur, positive=True, field="amount"), cur)
    customer = customer_of(inv)
    _lock_customer(customer, cur)
    available = credit_available(customer, cur)
    if minor > available:
        raise RuleRefused(_("{label} has {amount} "
                            "of credit available; {amount2} cannot be applied (R40).").format(label=customer.label,
                                amount=_money(available,
                                cur), amount2=_money(minor, cur)), field="amount",
                          code="credit.over_available",
                          details={"available": plain(from_minor(available, cur)), "currency": cur,
                                   "available_minor": available})
    _check_amount_against(inv, minor)  # R8: open, ≤ balance, below it only with partial payments
    before = snapshot(inv)
    today = ctx.today()
    e = _entry(ctx, "applied", customer, cur, minor, today, invoice=inv)
    inv.credited_minor = (inv.credited_minor or 0) + minor
    _store_totals(inv)
    if inv.status == "open" and inv.balance_minor == 0:
        inv.status, inv.payment_date = "paid", today
        drop_reminders(inv)
    _save(inv, ctx)
    _history(ctx, inv, before, "credit_applied", f"{_money(minor, cur)} of {customer.label}'s credit applied")
    return e


@mutation
def refund_credit(ctx: Context, customer: Customer, currency: str, amount: Any, *, method: str = "other",
                  reference: str = "", day: dt.date | None = None) -> CreditEntry:
    """R40: a refund (amount, date, method, reference) reduces the customer's credit; never more
    than the credit available."""
    from invoice_tui.domain.payments import check_payment_date

    require(ctx, "refund")
    cur = check_currency(currency)
    minor = to_minor(parse_amount(amount, cur, positive=True, field="amount"), cur)
    m = (method or "other").strip().lower().replace("-", "_").replace(" ", "_")
    if m not in REFUND_METHODS:
        raise BadInput(_("The method is one of {refund_methods}.").format(refund_methods=', '.join(REFUND_METHODS)),
                             field="method")
    try:
        reference = clean(reference or "", what=pgettext("subject", "Reference"), max_length=200)
    except ValueError as exc:
        raise BadInput(str(exc) + ".", field="reference") from None
    day = day or ctx.today()
    check_payment_date(ctx, day)  # R57: not after today
    _lock_customer(customer, cur)
    available = credit_available(customer, cur)
    if minor > available:
        raise RuleRefused(_("{label} has {amount} of credit available; a refund of {amount2} is more than that "
                            "(R40).").format(label=customer.label, amount=_money(available,
                                cur), amount2=_money(minor, cur)), field="amount",
                          code="credit.over_available",
                          details={"available": plain(from_minor(available, cur)), "currency": cur,
                                   "available_minor": available})
    return _entry(ctx, "refund", customer, cur, minor, day, method=m, reference=reference)




def _settle(ctx: Context, cn: Invoice, inv: Invoice, applied: int, day) -> Customer:
    """R39: ``applied`` of credit note ``cn`` credited on invoice ``inv``'s balance (settling it when
    nothing is left: paid on the credit note's date) and the remainder to the customer's credit, each a
    dated credit record; the customer, whose credit is locked for the rest of the transaction."""
    cur = cn.currency
    customer = customer_of(inv)
    _lock_customer(customer, cur)
    if applied:
        _entry(ctx, "cn_applied", customer, cur, applied, day, invoice=inv, credit_note=cn)
        inv.credited_minor = (inv.credited_minor or 0) + applied
        _store_totals(inv)
        if inv.status == "open" and inv.balance_minor == 0:
            inv.status, inv.payment_date = "paid", day  # R39: the payment date is the credit note's date
            drop_reminders(inv)
        _save(inv, ctx)
    if cn.billed_minor - applied:
        _entry(ctx, "cn_remainder", customer, cur, cn.billed_minor - applied, day, invoice=inv, credit_note=cn)
    return customer


@mutation
def settle_imported_credit_note(ctx: Context, cn_id: int, applied_minor: int | None = None) -> Invoice:
    """R52: an imported issued credit note settles its invoice as issuing it did (R39): the part
    credited on the invoice's balance — ``applied_minor``, what the file says was credited, else as
    much as the open balance takes — and the remainder to the customer's credit, both dated the
    credit note's date, with their credit records and history rows."""
    require(ctx, "credit_note")
    cn = get_credit_note(cn_id)
    inv = get_invoice(cn.refers_to, for_update=True)
    cur = cn.currency
    day = cn.invoice_date
    open_balance = inv.balance_minor if inv.status == "open" else 0
    applied = min(cn.billed_minor, open_balance) if applied_minor is None else applied_minor
    if not 0 <= applied <= min(cn.billed_minor, open_balance):
        raise RuleRefused(_("{number} credits {amount} on {number2}, whose open balance is {amount2} (R39); check "
                            "the amount credited.").format(number=cn.number, amount=_money(applied,
                                cur), number2=inv.number, amount2=_money(open_balance, cur)), field="credited",
                          code="credit_note.over_balance")
    inv_before = snapshot(inv)
    _settle(ctx, cn, inv, applied, day)
    _history(ctx, inv, inv_before, "credit_note_issued",
             f"{cn.number} of {_money(cn.billed_minor, cur)} imported" +
             (f"; {_money(applied, cur)} credited on this invoice" if applied else ""))
    return cn
