"""The records of customer credit (R39/R40), which the invoice and payment services write too:
whose credit it is, what is available, each movement with its history row, and what an invoice
can still be credited (R37). The services of credit notes, credit applied and refunds are in
:mod:`invoice_tui.domain.credit` (see there for the decisions)."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any

import peewee as pw

from invoice_tui.db import is_postgres
from invoice_tui.db.models import Company, Contact, CreditEntry, Invoice, Payment
from invoice_tui.domain import history
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, NotFound
from invoice_tui.domain.money import from_minor, plain
from invoice_tui.i18n import _

ENTRY_KINDS = ("cn_applied", "cn_remainder", "overpayment", "applied", "refund")
CREDIT_SIGN = {"cn_remainder": 1, "overpayment": 1, "applied": -1, "refund": -1}  # cn_applied: not credit


# ---- the customer ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Customer:
    """Whose credit it is (R40): a company, else a contact."""

    company_id: int | None
    contact_id: int | None

    @property
    def label(self) -> str:
        if self.company_id:
            c = Company.get_or_none(Company.id == self.company_id)
            return c.name if c else f"company #{self.company_id}"
        c = Contact.get_or_none(Contact.id == self.contact_id) if self.contact_id else None
        return c.email if c else f"contact #{self.contact_id}"

    def where(self) -> pw.Expression:
        if self.company_id:
            return (CreditEntry.company_id == self.company_id) & CreditEntry.contact_id.is_null()
        return CreditEntry.company_id.is_null() & (CreditEntry.contact_id == self.contact_id)


def customer_of(inv: Invoice) -> Customer:
    """R40: the invoice's company if it has one, else its billing contact."""
    if inv.company_id:
        return Customer(inv.company_id, None)
    return Customer(None, inv.billing_contact_id)


def customer_by(*, contact: str | None = None, company: str | None = None) -> Customer:
    """A customer named by a contact's email (or id) or a company's name (or id)."""
    if bool(contact) == bool(company):
        raise BadInput(_("Name the customer with a contact's email or a company's name (one of them)."),
                       field="customer")
    if company:
        text = company.strip()
        row = (Company.get_or_none(Company.id == int(text)) if text.isdigit() else None) or \
            Company.select().where(Company.name == text).order_by(Company.id).first()
        if row is None:
            raise NotFound(_("No company '{text}'.").format(text=text), code="company.not_found", details={"ref": text})
        return Customer(row.id, None)
    text = contact.strip()
    row = (Contact.get_or_none(Contact.id == int(text)) if text.isdigit() else None) or \
        Contact.select().where(Contact.email == text).order_by(Contact.id).first()
    if row is None:
        raise NotFound(_("No contact '{text}'.").format(text=text), code="contact.not_found", details={"ref": text})
    return Customer(None, row.id)


def _lock_customer(customer: Customer, currency: str) -> None:
    """Serialize the movements of one customer's credit in one currency (PostgreSQL; SQLite's
    write transaction already holds the database's write lock)."""
    if is_postgres():
        key = zlib.crc32(f"credit:{customer.company_id}:{customer.contact_id}:{currency}".encode())
        Invoice._meta.database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (7419021, key - 2 ** 31))


def credit_available(customer: Customer, currency: str) -> int:
    """R40: the customer's credit in ``currency`` (minor units), derived from the records."""
    total = 0
    for kind, amount in (CreditEntry.select(CreditEntry.kind, pw.fn.SUM(CreditEntry.amount_minor))
                         .where(customer.where() & (CreditEntry.currency == currency))
                         .group_by(CreditEntry.kind).tuples()):
        total += CREDIT_SIGN.get(kind, 0) * int(amount or 0)
    return total


@dataclass(frozen=True)
class CreditBalance:
    customer: Customer
    label: str
    currency: str
    available_minor: int
    credited_minor: int  # Σ remainders + overpayments
    applied_minor: int
    refunded_minor: int

    def record(self) -> dict[str, Any]:
        cur = self.currency
        return {"customer": self.label, "company_id": self.customer.company_id,
                "contact_id": self.customer.contact_id, "currency": cur,
                "available": plain(from_minor(self.available_minor, cur)),
                "credit": plain(from_minor(self.credited_minor, cur)),
                "applied": plain(from_minor(self.applied_minor, cur)),
                "refunded": plain(from_minor(self.refunded_minor, cur))}


def credit_balances(customer: Customer | None = None) -> list[CreditBalance]:
    """Every customer's credit per currency (or one customer's), from the records."""
    q = (CreditEntry.select(CreditEntry.company_id, CreditEntry.contact_id, CreditEntry.currency, CreditEntry.kind,
                            pw.fn.SUM(CreditEntry.amount_minor))
         .where(CreditEntry.kind != "cn_applied"))
    if customer is not None:
        q = q.where(customer.where())
    sums: dict[tuple, dict[str, int]] = {}
    for company_id, contact_id, currency, kind, amount in q.group_by(
            CreditEntry.company_id, CreditEntry.contact_id, CreditEntry.currency, CreditEntry.kind).tuples():
        sums.setdefault((company_id, contact_id, currency), {})[kind] = int(amount or 0)
    out = []
    for (company_id, contact_id, currency), by_kind in sorted(sums.items(), key=lambda kv: (str(kv[0]))):
        who = Customer(company_id, contact_id)
        plus = by_kind.get("cn_remainder", 0) + by_kind.get("overpayment", 0)
        applied, refunded = by_kind.get("applied", 0), by_kind.get("refund", 0)
        out.append(CreditBalance(who, who.label, currency, plus - applied - refunded, plus, applied, refunded))
    return sorted(out, key=lambda b: (b.label.casefold(), b.currency))


# ---- records -----------------------------------------------------------------------------------
def entry_snapshot(e: CreditEntry) -> dict[str, Any]:
    """A credit movement as its history (and the audit's replay) records it."""
    return {"kind": e.kind, "company": e.company_id, "contact": e.contact_id, "currency": e.currency,
            "amount": plain(from_minor(e.amount_minor, e.currency)), "date": e.date, "invoice": e.invoice_id,
            "credit_note": e.credit_note_id, "payment": e.payment_id, "method": e.method, "reference": e.reference}


def _entry(ctx: Context, kind: str, customer: Customer, currency: str, amount_minor: int, day: dt.date, *,
           invoice: Invoice | None = None, credit_note: Invoice | None = None, payment_id: int | None = None,
           method: str = "", reference: str = "", number: str | None = None) -> CreditEntry:
    e = CreditEntry.create(kind=kind, company_id=customer.company_id, contact_id=customer.contact_id,
                           currency=currency, amount_minor=amount_minor, date=day,
                           invoice_id=invoice.id if invoice else None,
                           credit_note_id=credit_note.id if credit_note else None, payment_id=payment_id,
                           method=method, reference=reference, created_by=ctx.login, created_at=ctx.now())
    label = number or (credit_note.number if credit_note else None) or (invoice.number if invoice else None)
    history.record_creation(ctx, "credit_entry", e.id, label, entry_snapshot(e))
    return e


def creditable_minor(inv: Invoice, *, excluding: int | None = None) -> int:
    """R37: what may still be credited on ``inv``: its amount billed less its credit notes (drafts
    included: they reserve what they credit)."""
    q = Invoice.select(pw.fn.COALESCE(pw.fn.SUM(Invoice.billed_minor), 0)).where(
        (Invoice.refers_to == inv.id) & (Invoice.doc_type == "credit_note"))
    if excluding is not None:
        q = q.where(Invoice.id != excluding)
    return max(inv.billed_minor - int(q.scalar() or 0), 0)


def overpayment_entry(ctx: Context, inv: Invoice, payment: Payment, excess_minor: int) -> CreditEntry:
    """R8/R40: the excess of a confirmed overpayment becomes the customer's credit (inside the
    payment's transaction)."""
    customer = customer_of(inv)
    _lock_customer(customer, inv.currency)
    return _entry(ctx, "overpayment", customer, inv.currency, excess_minor, payment.date, invoice=inv,
                  payment_id=payment.id)
