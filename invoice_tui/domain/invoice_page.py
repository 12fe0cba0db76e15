"""The invoice page as plain data: the document, the panel's cards (about, payments, contacts,
companies, history) and the actions allowed now, read in one go in a worker thread.

``load_invoice_view`` calls the services' read functions (``get_invoice``, ``available_actions``,
``invoice_record``, ``activities``, …) and the document Markdown; each related table is read once
(the payments with their contacts in one query, never one query per payment).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw

from invoice_tui.db.models import (Company, Contact, CreditEntry, Invoice, InvoiceCompany, InvoiceContact, Payment,
                                   User)
from invoice_tui.documents.markdown import invoice_markdown
from invoice_tui.domain import invoices as invoice_service
from invoice_tui.domain.catalogue import choice_label
from invoice_tui.domain.context import Context
from invoice_tui.domain.invoices import ActionState, FieldState
from invoice_tui.domain.money import format_money, from_minor
from invoice_tui.domain.settings import load_settings
from invoice_tui.domain.text import safe
from invoice_tui.i18n import N_, _, ngettext, pgettext


def status_word(status: str) -> str:
    """An invoice's or credit note's status in the reader's language (the stored value is English)."""
    return pgettext("status", "Credited") if status == "Credited" else choice_label("status", status)


def payment_state_word(state: str) -> str:
    """A payment's state as the page shows it (stored in English: ``succeeded``, …)."""
    return {"succeeded": pgettext("payment state", "succeeded"),
            "processing": pgettext("payment state", "processing"),
            "failed": pgettext("payment state", "failed"), "canceled": pgettext("payment state", "canceled"),
            "refunded": pgettext("payment state", "refunded"),
            "requires_action": pgettext("payment state", "requires action")}.get(state, state)


def payment_source_word(source: str) -> str:
    return {"manual": pgettext("payment source", "manual"),
            "online": pgettext("payment source", "online")}.get(source, source)


def payment_method_word(method: str) -> str:
    """A payment's method as the payments card shows it ("bank transfer")."""
    return {"bank_transfer": pgettext("payment method", "bank transfer"), "card": pgettext("payment method", "card"),
            "cash": pgettext("payment method", "cash"), "check": pgettext("payment method", "check"),
            "other": pgettext("payment method", "other"),
            "sepa_debit": pgettext("payment method", "SEPA debit")}.get((method or "").replace(" ", "_"),
                                                                        (method or "").replace("_", " "))


def email_state_word(state: str) -> str:
    """An outbox email's state (stored in English) in the reader's language."""
    return {"queued": pgettext("email state", "queued"), "sending": pgettext("email state", "sending"),
            "sent": pgettext("email state", "sent"), "failed": pgettext("email state", "failed"),
            "rejected": pgettext("email state", "rejected"), "unknown": pgettext("email state", "unknown"),
            "dropped": pgettext("email state", "dropped")}.get(state, state)


def email_kind_word(kind: str) -> str:
    """An outbox email's kind (stored in English) in the reader's language."""
    return {"invoice": pgettext("email kind", "invoice"), "custom": pgettext("email kind", "custom"),
            "reminder": pgettext("email kind", "reminder"), "receipt": pgettext("email kind", "receipt"),
            "statement": pgettext("email kind", "statement"),
            "credit_note": pgettext("email kind", "credit note")}.get(kind, kind)


@dataclass(frozen=True)
class PaymentRow:
    id: int
    amount: str
    date: str
    method: str
    source: str
    state: str
    reference: str
    note: str
    contact: str


@dataclass(frozen=True)
class MethodRow:
    """A saved payment method of the billing contact (issue 26): what identifies it to a person,
    never a card number."""

    method_ref: str
    label: str  # "Visa •••• 4242"
    expiry: str  # "12/2030", or "" (a SEPA debit has none)


@dataclass(frozen=True)
class ContactRow:
    id: int
    name: str
    email: str
    billing: bool


@dataclass(frozen=True)
class CompanyRow:
    id: int
    name: str
    main: bool


@dataclass(frozen=True)
class ActivityRow:
    id: int
    when: str
    user: str
    kind: str
    text: str
    due: str
    done: bool


@dataclass
class InvoiceView:
    id: int
    label: str  # the number, or "Draft #12"
    number: str | None
    status: str
    overdue: bool
    days_overdue: int
    currency: str
    locale: str
    version: int
    allow_partial: bool
    balance: Decimal
    balance_text: str
    billed_text: str
    paid_text: str
    link_token: str | None
    public_base_url: str
    owner_id: int | None
    contact_id: int | None
    company_id: int | None
    markdown: str
    about: list[tuple[str, str]]
    record: dict
    actions: list[ActionState]
    payments: list[PaymentRow] = field(default_factory=list)
    contacts: list[ContactRow] = field(default_factory=list)
    companies: list[CompanyRow] = field(default_factory=list)
    activities: list[ActivityRow] = field(default_factory=list)
    payment_methods: list[MethodRow] = field(default_factory=list)  # the billing contact's saved ones
    # which fields may change now, and why not (owner, contacts, companies, currency, partial_amount)
    fields: dict[str, FieldState] = field(default_factory=dict)
    # credit notes and customer credit (R36–R42)
    doc_type: str = "invoice"
    settled_as: str = ""  # "Credited" when its credit notes settled it wholly (R39)
    corrects: str = ""  # a credit note's invoice: "INV-1001 of 2026-03-16" (BT-25/BT-26)
    credit_notes: list[tuple[int, str, str]] = field(default_factory=list)  # (id, label, amount) of an invoice's
    credit: Decimal = Decimal(0)  # the customer's credit available in this currency (R40)
    customer: str = ""
    lines: list[tuple[str, str]] = field(default_factory=list)  # (name, quantity): what a credit note may credit
    creditable_text: str = ""
    credit_rate: str = "20"  # a credit note by amount: its first line's VAT rate[:category] ("0:AE")
    corrects_number: str = ""  # a credit note's invoice number alone

    @property
    def status_label(self) -> str:
        return status_word(self.settled_as or self.status)

    @property
    def is_credit_note(self) -> bool:
        return self.doc_type == "credit_note"

    @property
    def link(self) -> str | None:
        if not self.link_token or not self.public_base_url or self.status == "draft":
            return None
        return self.public_base_url.rstrip("/") + "/i/" + self.link_token


def _money(minor: int, currency: str, locale: str) -> str:
    try:
        return format_money(from_minor(minor, currency), currency, locale)
    except Exception:  # noqa: BLE001 - a locale babel does not know
        return f"{from_minor(minor, currency)} {currency}"


_AMOUNT = r"(?P<amount>\S+ [A-Z]{3})"
# The fixed English texts the services store in an activity (kept as stored: the audit chain hashes
# them), each with the sentence it reads as: (kind, pattern of the stored text, msgid). A text no
# pattern matches (a note, a task, what an older version wrote) is shown as stored.
HISTORY_TEXTS: tuple[tuple[str, str, str], ...] = (
    ("created", r"Draft created", N_("Draft created")),
    ("edited", r"Invoice edited", N_("Invoice edited")),
    ("finalized", r"Finalized as (?P<number>.+)", N_("Finalized as {number}")),
    ("voided", r"(?P<number>.+) voided", N_("{number} voided")),
    ("deleted", r"(?P<label>.+) deleted", N_("{label} deleted")),
    ("cloned", r"Cloned from (?P<label>.+)", N_("Cloned from {label}")),
    ("cloned_to", r"Cloned to draft #(?P<id>\d+)", N_("Cloned to draft #{id}")),
    ("payment_recorded", rf"Payment #(?P<id>\d+) of {_AMOUNT} recorded \((?P<method>[a-z_]+)\); overpaid by "
     r"(?P<excess>\S+ [A-Z]{3}), kept as customer credit",
     N_("Payment #{id} of {amount} recorded ({method}); overpaid by {excess}, kept as customer credit")),
    ("payment_recorded", rf"Payment #(?P<id>\d+) of {_AMOUNT} recorded \((?P<method>[a-z_]+)\)",
     N_("Payment #{id} of {amount} recorded ({method})")),
    ("payment_applied", rf"Payment #(?P<id>\d+) of {_AMOUNT} applied", N_("Payment #{id} of {amount} applied")),
    ("payment_deleted", rf"Payment #(?P<id>\d+) of {_AMOUNT} deleted", N_("Payment #{id} of {amount} deleted")),
    ("email_sent", r"Invoice email sent to (?P<to>.+)", N_("Invoice email sent to {to}")),
    ("reminder_sent", r"Reminder sent to (?P<to>.+)", N_("Reminder sent to {to}")),
    ("send_planned", r"Invoice email planned for (?P<date>.+)", N_("Invoice email planned for {date}")),
    ("issued", r"Issued as (?P<number>.+), crediting (?P<invoice>.+)", N_("Issued as {number}, crediting {invoice}")),
    ("offset", r"Offset by draft #(?P<id>\d+)", N_("Offset by draft #{id}")),
    ("credit_note_created", rf"Draft credit note #(?P<id>\d+) of (?P<amount>.+?) created: (?P<reason>.*)",
     N_("Draft credit note #{id} of {amount} created: {reason}")),
    ("task_done", r"Done: (?P<text>.*)", N_("Done: {text}")),
)


def history_sentence(kind: str, text: str) -> str:
    """An activity's stored English text in the reader's language (its data kept as stored)."""
    import re

    for k, pattern, msgid in HISTORY_TEXTS:
        if k != kind:
            continue
        m = re.fullmatch(pattern, text, re.S)
        if m is not None:
            values = m.groupdict()
            sentence = _(msgid)
            if "method" in values and sentence != msgid:  # English shows the method as stored
                values["method"] = payment_method_word(values["method"])
            return sentence.format(**values)
    return text


def load_activities(invoice_id: int, search: str = "", locale: str | None = None) -> list[ActivityRow]:
    """The history card's events; with ``locale``, their times, due dates and the amounts their
    texts hold read in it (the stored text, part of the hash chain, is not changed:
    ``localize.history_text``). ``search``
    finds an event by the words the reader sees ("Facture envoyée" in French) as well as by its
    stored text, kind and user, in any case."""
    from invoice_tui.domain.localize import history_text, short_date, short_datetime

    done = invoice_service.done_task_ids(invoice_id)
    needle = search.strip().casefold()
    rows = []
    for a in invoice_service.activities(invoice_id):
        shown = (history_text(a.kind, history_sentence(a.kind, a.text), locale) if locale
                 else history_sentence(a.kind, a.text))
        if needle and needle not in f"{shown}\n{a.text}\n{a.kind}\n{a.user_login}".casefold():
            continue
        if locale:  # as the reader writes dates (issue 24), like the property history
            when, due = short_datetime(a.created_at, locale), short_date(a.due_date, locale)
        else:
            when = a.created_at.strftime("%Y-%m-%d %H:%M") if a.created_at else ""
            due = a.due_date.isoformat() if a.due_date else ""
        rows.append(ActivityRow(a.id, when, a.user_login, a.kind, shown, due, a.id in done))
    return rows


def invoice_payments(inv: Invoice) -> list[Payment]:
    """The invoice's payments, oldest first, each with its contact (one query)."""
    return list(Payment.select(Payment, Contact).join(Contact, pw.JOIN.LEFT_OUTER)
                .where(Payment.invoice == inv).order_by(Payment.date, Payment.id))


def _schedule_rows(invoice_id: int) -> list[tuple[str, str]]:
    """R49: "Schedule #3 2024-02-29" for an invoice a schedule made (its period), "Repeats" for a
    template (short values: the panel's value column is 13 wide at 80×24)."""
    from invoice_tui.domain.recurring import schedule_of_invoice, schedules_from

    rows = []
    made = schedule_of_invoice(invoice_id)
    if made is not None:
        s, run = made
        period = run.period.isoformat() if hasattr(run.period, "isoformat") else str(run.period)[:10]
        rows.append((_("Schedule #{id}").format(id=s.id), period))
    for s in schedules_from(invoice_id):
        rows.append((_("Repeats"), f"#{s.id} {_schedule_state(s.state)}"))
    return rows


def _schedule_state(state: str) -> str:
    return {"active": pgettext("schedule", "active"), "paused": pgettext("schedule", "paused"),
            "ended": pgettext("schedule", "ended")}.get(state, state)


def load_invoice_view(ctx: Context, invoice_id: int, search: str = "") -> InvoiceView:
    inv = invoice_service.get_invoice(invoice_id)
    settings = load_settings()
    today = ctx.today()
    record = invoice_service.invoice_record(inv, today)
    from invoice_tui.domain.localize import display_locale, short_date

    # issue 24: the page reads in the reader's locale (numbers, amounts, dates), as the index does
    cur, loc = inv.currency, display_locale(ctx)

    def day(d) -> str:
        return short_date(d, loc)

    owner = User.get_or_none(User.id == inv.owner_id) if inv.owner_id else None
    overdue = invoice_service.is_overdue(inv, today)
    days = invoice_service.days_overdue(inv, today)
    billed, paid, balance = (_money(inv.billed_minor, cur, loc), _money(inv.paid_minor, cur, loc),
                             _money(inv.balance_minor, cur, loc))
    status = (ngettext("{status} · overdue {days} d", "{status} · overdue {days} d", days)
              .format(status=status_word(inv.status), days=days) if overdue else status_word(inv.status))
    balance_label = pgettext("about", "Balance due")
    about = [
        (pgettext("about", "Status"), status),
        (pgettext("about", "Number"), inv.number or _("— (given at finalization)")),
        (pgettext("about", "Owner"), (owner.name or owner.login) if owner else "—"),
        (pgettext("about", "Billing contact"), f"{inv.contact_name} <{inv.contact_email}>" if inv.contact_email else "—"),
        (pgettext("about", "Company"), inv.company_name or "—"),
        (pgettext("about", "Invoice date"), day(inv.invoice_date) if inv.invoice_date else "—"),
        (pgettext("about", "Due date"), day(inv.due_date) if inv.due_date else "—"),
        (pgettext("about", "Amount billed"), billed),
        (pgettext("about", "Amount paid"), paid),
        (balance_label, balance),
        (pgettext("about", "Partial payments"), _("allowed") if inv.allow_partial else _("not allowed")),
        (pgettext("about", "Last sent"), day(inv.last_sent_date) if inv.last_sent_date else _("never")),
        (pgettext("about", "Payment date"), day(inv.payment_date) if inv.payment_date else "—"),
        (pgettext("about", "PO number"), inv.po_number or "—"),
    ]
    from invoice_tui.domain import credit as credit_service

    extra: dict = {}
    if inv.doc_type == "credit_note":  # R42: the credit note's page, the same panel
        corrected = Invoice.get_or_none(Invoice.id == inv.refers_to) if inv.refers_to else None
        corrects = (_("{number} of {date}").format(number=corrected.number, date=day(corrected.invoice_date))
                    if corrected else "—")
        extra["corrects_number"] = corrected.number if corrected else "—"
        parts = dict(CreditEntry.select(CreditEntry.kind, CreditEntry.amount_minor)
                     .where(CreditEntry.credit_note_id == inv.id).tuples())
        # short values: the panel's value column is 13 wide at 80×24 (the reason is in the document)
        about = [(pgettext("about", "Type"), pgettext("type", "Credit note")), (pgettext("about", "Status"), status_word(inv.status)),
                 (pgettext("about", "Number"), inv.number or _("— (at issue)")),
                 (pgettext("about", "Credits invoice"), corrected.number if corrected else "—"),
                 (pgettext("about", "Invoice date"), day(corrected.invoice_date) if corrected else "—"),
                 (pgettext("about", "Billing contact"), inv.contact_name or "—"), (pgettext("about", "Company"), inv.company_name or "—"),
                 (pgettext("about", "Date"), day(inv.invoice_date) if inv.invoice_date else "—"),
                 (pgettext("about", "Total credited"), billed)]
        if inv.status == "issued":
            about += [(pgettext("about", "On the invoice"), _money(parts.get("cn_applied", 0), cur, loc)),
                      (pgettext("about", "To credit"), _money(parts.get("cn_remainder", 0), cur, loc))]
        extra["corrects"] = corrects
    else:
        notes = credit_service.credit_notes_of(inv)
        extra["credit_notes"] = [(c.id, c.number or _("draft #{id}").format(id=c.id), _money(-c.billed_minor, cur, loc))
                                 for c in notes]
        if inv.credited_minor:
            about.insert(about.index((balance_label, balance)), (pgettext("about", "Amount credited"),
                                                                 _money(inv.credited_minor, cur, loc)))
        if notes:
            about.append((pgettext("about", "Credit notes"), ", ".join(f"{label} {amount}" for _, label, amount in
                                                    extra["credit_notes"])))
        customer = credit_service.customer_of(inv)
        if inv.status != "draft" and (customer.company_id or customer.contact_id):
            available = credit_service.credit_available(customer, cur)
            extra["credit"], extra["customer"] = from_minor(available, cur), customer.label
            if available:
                about.append((pgettext("about", "Customer credit"), _money(available, cur, loc)))
        label = credit_service.settlement_label(inv)
        if label == "Credited":
            extra["settled_as"] = label
            about[0] = (pgettext("about", "Status"), status_word(label))
        about[2:2] = _schedule_rows(inv.id)  # R49: the schedule that made it, or that repeats it (under the number)
        items = list(inv.lines.order_by(invoice_service.LineItem.position))
        extra["lines"] = [(li.name, str(li.quantity)) for li in items]
        if items:  # a credit note by amount starts at the invoice's own VAT (an export's 0:G, not 20)
            from invoice_tui.domain.money import plain
            from invoice_tui.domain.totals import default_category

            rate, category = items[0].tax_rate, items[0].tax_category
            extra["credit_rate"] = plain(rate) + (f":{category}" if category and category != default_category(rate)
                                                 else "")
        if inv.status in ("open", "paid"):
            extra["creditable_text"] = _money(credit_service.creditable_minor(inv), cur, loc)
    markdown = invoice_markdown(inv, settings=settings, today=today, compact=True,  # no figure cut at 80×24
                                figures_locale=loc)
    actions = invoice_service.available_actions(ctx, inv)
    payments = [PaymentRow(p.id, _money(p.amount_minor, p.currency, loc), day(p.date),
                           (p.method or "").replace("_", " "), p.source, p.state, p.reference, p.note,
                           p.contact.email if p.contact_id else "")
                for p in invoice_payments(inv)]
    from invoice_tui.domain.online import method_brand, method_record, methods_for_invoice

    methods = [MethodRow(m.method_ref, f"{method_brand(m)} •••• {m.last4}", method_record(m)["expiry"])
               for m in methods_for_invoice(inv)] if inv.doc_type != "credit_note" else []
    contacts = []
    linked = (Contact.select().join(InvoiceContact).where(InvoiceContact.invoice == inv)
              .order_by(Contact.last_name, Contact.first_name, Contact.id))
    for c in linked:
        contacts.append(ContactRow(c.id, c.display_name, c.email, c.id == inv.billing_contact_id))
    companies = []
    for c in (Company.select().join(InvoiceCompany).where(InvoiceCompany.invoice == inv)
              .order_by(Company.name, Company.id)):
        companies.append(CompanyRow(c.id, c.name, c.id == inv.company_id))

    return InvoiceView(
        id=inv.id, number=inv.number, status=inv.status,
        label=safe(inv.number, line=True) or (_("Draft credit note #{id}").format(id=inv.id)
                                              if inv.doc_type == "credit_note" else _("Draft #{id}").format(id=inv.id)),
        overdue=overdue, days_overdue=days, currency=cur, locale=loc, version=inv.version,
        allow_partial=inv.allow_partial, balance=from_minor(inv.balance_minor, cur), balance_text=balance,
        billed_text=billed, paid_text=paid, link_token=inv.link_token, public_base_url=settings.public_base_url,
        owner_id=inv.owner_id, contact_id=inv.billing_contact_id, company_id=inv.company_id,
        markdown=markdown, about=about, record=record, actions=actions, payments=payments,
        contacts=contacts, companies=companies, payment_methods=methods, activities=load_activities(inv.id, search, loc),
        fields=invoice_service.field_states(ctx, inv, settings),
        doc_type=inv.doc_type, **extra,
    )
