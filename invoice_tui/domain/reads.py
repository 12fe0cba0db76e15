"""Read models for the faces: the lists and pickers of the TUI (people, pickers, payments, outbox)
as plain typed values.

Each function runs in a worker thread inside one connection and returns dataclasses, tuples
and strings — nothing lazy from peewee, so the screens never import ``db`` or a model. A list
reads each related table once (never one query per row).
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from invoice_tui.db.models import Company, Contact, Invoice, InvoiceCompany, InvoiceContact
from invoice_tui.domain import people
from invoice_tui.domain.catalogue import choice_label
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import NotFound
from invoice_tui.domain.money import format_money, from_minor
from invoice_tui.domain.permissions import has, require
from invoice_tui.domain.text import safe
from invoice_tui.i18n import _

LIMIT = 500  # rows a people list or an invoice list shows


@dataclass(frozen=True)
class Row:
    """One row of a list: the record's id and its cells, already formatted (stored text through
    the one sanitizer, R55: a cell may go into a title, a dialog or a notification as it is)."""

    id: int
    cells: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "cells", tuple(safe(c, line=True) for c in self.cells))


@dataclass(frozen=True)
class Choice:
    """One choice of a picker (its label sanitized, R55)."""

    id: int
    label: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", safe(self.label, line=True))


def _amount(minor: int, currency: str) -> str:
    return format_money(from_minor(minor, currency), currency)


def _counts(column: pw.ForeignKeyField, count_of: pw.Field) -> dict[int, int]:
    """How many rows refer to each record through ``column`` (one grouped query)."""
    model = column.model
    return dict(model.select(column, pw.fn.COUNT(count_of)).where(column.is_null(False)).group_by(column).tuples())


# ---- contacts and companies -------------------------------------------------------------------
def contact_rows(search: str = "") -> tuple[list[Row], int]:
    """The Contacts screen: (name, email, phone, company, invoices billed to) and the total count."""
    contacts = people.list_contacts(search, LIMIT)
    billed = _counts(Invoice.billing_contact, Invoice.id)
    company_ids = {c.company_id for c in contacts if c.company_id}
    names = dict(Company.select(Company.id, Company.name).where(Company.id.in_(company_ids)).tuples()) \
        if company_ids else {}
    rows = [Row(c.id, (c.display_name, c.email, c.phone, names.get(c.company_id, ""), str(billed.get(c.id, 0))))
            for c in contacts]
    return rows, Contact.select().count()


def company_rows(search: str = "") -> tuple[list[Row], int]:
    """The Companies screen: (name, domain, tax id, contacts, invoices) and the total count."""
    invoices = _counts(Invoice.company, Invoice.id)
    contacts = _counts(Contact.company, Contact.id)
    rows = [Row(c.id, (c.name, c.domain, c.tax_id, str(contacts.get(c.id, 0)), str(invoices.get(c.id, 0))))
            for c in people.list_companies(search, LIMIT)]
    return rows, Company.select().count()


def invoices_of(kind: str, record_id: int) -> list[Row]:
    """Invoices a contact (billing or associated) or a company is associated with, newest first:
    (number, status, invoice date, billed, balance)."""
    if kind == "contact":
        linked = InvoiceContact.select(InvoiceContact.invoice).where(InvoiceContact.contact == record_id)
        cond = (Invoice.billing_contact == record_id) | Invoice.id.in_(linked)
    else:
        linked = InvoiceCompany.select(InvoiceCompany.invoice).where(InvoiceCompany.company == record_id)
        cond = (Invoice.company == record_id) | Invoice.id.in_(linked)
    return [Row(inv.id, (inv.number or _("Draft #{id}").format(id=inv.id), choice_label("status", inv.status),
                         inv.invoice_date.isoformat() if inv.invoice_date else "",
                         _amount(inv.billed_minor, inv.currency), _amount(inv.balance_minor, inv.currency)))
            for inv in Invoice.select().where(cond).order_by(Invoice.id.desc()).limit(LIMIT)]


def contact_values(contact_id: int) -> dict[str, str]:
    """A contact's fields as its form shows them."""
    c = people.get_contact(contact_id)
    out = _shown({"email": c.email, "first_name": c.first_name, "last_name": c.last_name, "phone": c.phone,
                  "address": c.address, "postcode": c.postcode, "city": c.city, "country": c.country})
    return {**out, "is_business": bool(c.is_business)}  # R43: a contact marked as a business


def company_values(company_id: int) -> dict[str, str]:
    """A company's fields as its form shows them."""
    c = Company.get_or_none(Company.id == company_id)
    if c is None:
        raise NotFound(_("No company with id {company_id}.").format(company_id=company_id))
    return _shown({"name": c.name, "domain": c.domain, "address": c.address, "tax_id": c.tax_id,
                   "legal_name": c.legal_name, "postcode": c.postcode, "city": c.city, "country": c.country,
                   "siren": c.siren, "siret": c.siret, "vat_id": c.vat_id, "electronic_address": c.electronic_address,
                   "electronic_scheme": c.electronic_scheme})


def _shown(values: dict[str, str]) -> dict[str, str]:
    """A form's values as its fields show them (R55; an address keeps its lines)."""
    return {k: safe(v, line=k != "address") for k, v in values.items()}


def contact_label(contact_id: int | None) -> str:
    """"Name <email>" of a contact ('' for none)."""
    c = Contact.get_or_none(Contact.id == contact_id) if contact_id else None
    return safe(f"{c.display_name} <{c.email}>", line=True) if c else ""


def company_label(company_id: int | None) -> str:
    c = Company.get_or_none(Company.id == company_id) if company_id else None
    return safe(c.name, line=True) if c else ""


def contact_address(contact_id: int) -> tuple[str, str]:
    """(email, display name) of a contact; the name is '' when it is only the email."""
    c = people.get_contact(contact_id)
    return c.email, (safe(c.display_name, line=True) if c.display_name != c.email else "")


# ---- pickers ----------------------------------------------------------------------------------
def search_choices(kind: str, query: str, limit: int = 50) -> list[Choice]:
    """A picker's choices: contacts, companies or users matching ``query``."""
    if kind == "contact":
        return [Choice(c.id, f"{c.display_name} <{c.email}>") for c in people.list_contacts(query, limit)]
    if kind == "company":
        return [Choice(c.id, c.name + (f" ({c.domain})" if c.domain else ""))
                for c in people.list_companies(query, limit)]
    q = query.lower()
    return [Choice(u.id, f"{u.name or u.login} ({u.login})") for u in people.list_users()
            if not q or q in u.login.lower() or q in (u.name or "").lower()][:limit]


def finalized_invoices(query: str, limit: int = 50) -> list[Row]:
    """Finalized invoices matching a number, contact or company: (number, contact, status, balance)."""
    q = Invoice.select().where(Invoice.status.in_(["open", "paid", "voided"]))
    if query:
        q = q.where(Invoice.number.contains(query) | Invoice.contact_name.contains(query)
                    | Invoice.company_name.contains(query))
    return [Row(i.id, (i.number, i.contact_name or "", i.status, _amount(i.balance_minor, i.currency)))
            for i in q.order_by(Invoice.number_seq.desc()).limit(limit)]


# ---- payments ---------------------------------------------------------------------------------
def payment_rows(ctx: Context, search: str, state: str | None, applied: bool | None,
                 limit: int = 1000) -> tuple[list[Row], bool]:
    """The Payments screen, newest first: (id, date, amount, method, state, source, contact,
    invoice, reference); True when more than ``limit`` match."""
    from invoice_tui.domain.payments import list_payments

    require(ctx, "view")
    items = list_payments(applied=applied, state=state, search=search, limit=limit + 1)  # contacts joined
    invoice_ids = {p.invoice_id for p in items if p.invoice_id}
    numbers = dict(Invoice.select(Invoice.id, Invoice.number).where(Invoice.id.in_(invoice_ids)).tuples()) \
        if invoice_ids else {}
    rows = [Row(p.id, (str(p.id), p.date.isoformat(), _amount(p.amount_minor, p.currency), p.method.replace("_", " "),
                       p.state, p.source, p.contact.email if p.contact_id and p.contact else "",
                       (numbers.get(p.invoice_id) or "") if p.invoice_id else "unapplied", p.reference))
            for p in items[:limit]]
    return rows, len(items) > limit


# ---- the outbox ------------------------------------------------------------------------------
@dataclass(frozen=True)
class OutboxRow:
    """An email of the outbox: its row, the detail shown under the list, its state."""

    id: int
    cells: tuple[str, ...]
    detail: str
    state: str

    def __post_init__(self) -> None:  # subjects, addresses, server replies: through the sanitizer (R55)
        object.__setattr__(self, "cells", tuple(safe(c, line=True) for c in self.cells))
        object.__setattr__(self, "detail", safe(self.detail))


def outbox_rows(ctx: Context, limit: int = 500) -> list[OutboxRow]:
    """The Outbox screen, newest first: (id, state, kind, invoice, to, subject, attempts, when), and
    each email's detail; first, emails stuck in "sending" by a stopped process become "unknown"."""
    from invoice_tui.mail.outbox import kind_label, list_emails, recover_stale, state_label

    require(ctx, "view")
    if has(ctx, "edit"):
        recover_stale(ctx)
    rows = []
    for e in list_emails(limit=limit):
        when = e.sent_at or e.next_attempt_at or e.created_at
        state, kind = state_label(e.state), kind_label(e.kind)
        detail = [_("Email {id} · {kind} · {state} · {n} attempt(s)").format(id=e.id, kind=kind, state=state,
                                                                            n=e.attempts),
                  (_("From {sender} to {to}, cc {cc}") if e.cc_addrs else _("From {sender} to {to}")).format(
                      sender=e.from_addr, to=e.to_addrs, cc=e.cc_addrs.replace(",", ", ")),
                  _("Subject: {subject}").format(subject=e.subject)]
        if e.server_reply:
            detail.append(_("Server: {reply}").format(reply=e.server_reply))
        if e.last_error:
            detail.append(_("Problem: {error}").format(error=e.last_error))
        if e.state == "failed" and e.next_attempt_at:
            detail.append(_("Next attempt: {when} UTC").format(when=e.next_attempt_at.isoformat(sep=" ")))
        if e.state == "rejected":
            detail.append(_("Rejected by the mail server for good: it is not retried. Correct the address and send "
                            "a new email."))
        if e.state == "unknown":
            detail.append(_("It may or may not have arrived: check with the recipient, then retry (r) or drop (x)."))
        rows.append(OutboxRow(e.id, (str(e.id), state, kind, e.invoice_number or "", e.to_addrs, e.subject,
                                     str(e.attempts), when.isoformat(sep=" ") if when else ""),
                              "\n".join(detail), e.state))
    return rows
