"""Invoice services: R1–R7, R12–R16, R33 planning. Every rule lives in exactly one function
here (or in ``payments``); the TUI, the CLI and the tests call these.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import operator
import re
import secrets
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Callable, Iterable, NamedTuple

import peewee as pw
from pydantic import BaseModel, field_validator, model_validator

from invoice_tui.db import database, in_transaction, is_postgres, read_tx, retry_busy, write_tx
from invoice_tui.db.models import (Activity, Adjustment, Company, Contact, Counter, CreditEntry, Invoice,
                                   InvoiceCompany, InvoiceContact, LineItem, Payment, Reminder, User, person_name)
from invoice_tui.domain import history
from invoice_tui.domain.context import Context
from invoice_tui.domain.invoice_query import query_invoices, sql_context  # noqa: F401 - its home
from invoice_tui.domain.invoice_query import settings_ctx as _settings_ctx
from invoice_tui.domain.errors import BadInput, Conflict, InvoiceTuiError, NotFound, RuleRefused
from invoice_tui.domain.money import (check_currency, exponent, from_micro, from_minor, parse_amount, plain, to_micro,
                                      to_minor)
from invoice_tui.domain.payment_snapshot import payment_snapshot as _payment_snapshot
from invoice_tui.domain.pending_payments import cancel_for_edit, check_charge
from invoice_tui.domain.permissions import has, require
from invoice_tui.domain.settings import NUMBER_COUNTER, WorkspaceSettings, load_settings
from invoice_tui.domain.bounds import check_date, in_range
from invoice_tui.domain.text import clean
from invoice_tui.domain.totals import (ADJUSTMENT_KINDS, ADJUSTMENT_LISTS, LINE_CHARGE_KINDS, PRICE_DECIMALS,
                                        AdjustmentSpec, LineCharge, LineSpec, Totals, check_category,
                                        compute_totals, default_category, in_order)
from invoice_tui.domain.tx import mutation, validate
from invoice_tui.i18n import N_, _, pgettext

FINALIZED = ("open", "paid", "voided")
MAX_TOTAL = Decimal(10) ** 15  # major units; the same bound as any amount typed (money.parse_decimal)


# ---- inputs ----------------------------------------------------------------------------------
class LineChargeInput(BaseModel, defer_build=True, extra="forbid"):  # built on first use; unknown keys refused
    """A line allowance (BG-27) or charge (BG-28): an amount or a percentage of the line's gross,
    with a reason (R35); negative only as correction invoices carry them (on a negative line)."""

    kind: str
    value: Decimal
    is_percent: bool = False
    reason: str = ""

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in LINE_CHARGE_KINDS:
            raise ValueError(_("a line adjustment is an allowance or a charge"))
        return v

    @field_validator("value")
    @classmethod
    def _value(cls, v: Decimal) -> Decimal:
        if not v.is_finite() or abs(v) >= Decimal("1e12"):
            raise ValueError(_("a line allowance or charge is below 10^12 (negative only in a correction)"))
        return v

    @field_validator("reason")
    @classmethod
    def _reason(cls, v: str) -> str:
        return clean(v, what=pgettext("subject", "Reason"), max_length=200)

    @model_validator(mode="after")
    def _pct(self) -> "LineChargeInput":
        if self.is_percent and abs(self.value) > 100:
            raise ValueError(_("a percentage is at most 100%"))
        return self


def _six_decimals(v: Decimal) -> bool:
    return v.as_tuple().exponent >= -PRICE_DECIMALS


class LineInput(BaseModel, defer_build=True, extra="forbid"):  # built on first use; unknown keys refused
    """One line as R35 allows it: a negative quantity (returns, corrections) at a price that is
    never negative (BR-27), up to 6 decimals (BT-146), per a base quantity (BT-149), with a unit
    code (BT-130), line allowances and charges (BG-27/28) and a VAT rate and category."""

    name: str
    quantity: Decimal = Decimal(1)
    unit_price: Decimal
    tax_rate: Decimal = Decimal(0)
    tax_category: str = ""  # "" → the rate's default (0 → Z, else S; E under the VAT franchise: written_category)
    discount: Decimal | None = None
    discount_percent: bool = False
    description: str = ""
    base_quantity: Decimal = Decimal(1)
    unit_code: str = "C62"
    charges: list[LineChargeInput] = []

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = clean(v, what=pgettext("subject", "Line name"), max_length=300)
        if not v:
            raise ValueError(_("every line needs a name"))
        return v

    @field_validator("description")
    @classmethod
    def _desc(cls, v: str) -> str:
        return clean(v, what=pgettext("subject", "Line description"), multiline=True, max_length=2000)

    @field_validator("quantity")
    @classmethod
    def _qty(cls, v: Decimal) -> Decimal:
        if not v.is_finite() or not v or abs(v) >= Decimal("1e9") or not _six_decimals(v):
            raise ValueError(_("quantity must not be 0, below one billion (negative for returns and corrections), "
                               "with at most 6 decimals"))
        return v

    @field_validator("unit_price")
    @classmethod
    def _price(cls, v: Decimal) -> Decimal:
        if not v.is_finite() or v < 0 or v >= Decimal("1e12"):
            raise ValueError(_("unit price must be 0 or more and below 10^12 (a negative amount is a negative "
                               "quantity at a positive price, EN 16931 BR-27)"))
        if not _six_decimals(v):
            raise ValueError(_("a unit price has at most "
                               "{price_decimals} decimals (EN 16931 BT-146)").format(price_decimals=PRICE_DECIMALS))
        return v

    @field_validator("base_quantity")
    @classmethod
    def _base(cls, v: Decimal) -> Decimal:
        if not v.is_finite() or v <= 0 or v >= Decimal("1e9") or not _six_decimals(v):
            raise ValueError(_("the price base quantity is above 0 and below one billion, e.g. 1000 for a price per "
                               "1,000 units"))
        return v

    @field_validator("unit_code")
    @classmethod
    def _unit(cls, v: str) -> str:
        v = (v or "").strip().upper() or "C62"
        if not re.fullmatch(r"[A-Z0-9]{2,3}", v):
            raise ValueError(_("'{v}' is not a unit code; use a UN/ECE rec 20 code such as C62 (one), HUR (hour) or "
                               "KWH (kilowatt hour)").format(v=v))
        return v

    @field_validator("tax_rate")
    @classmethod
    def _rate(cls, v: Decimal) -> Decimal:
        if not v.is_finite() or v < 0 or v > 100 or v.as_tuple().exponent < -4:
            raise ValueError(_("tax rate is a percentage between 0 and 100"))
        return v

    @field_validator("charges")
    @classmethod
    def _charges(cls, v):
        if len(v) > 20:
            raise ValueError(_("a line has at most 20 allowances and charges"))
        return v

    @model_validator(mode="after")
    def _discount(self) -> "LineInput":
        self.tax_category = given_category(self.tax_rate, self.tax_category)
        if self.discount is not None:
            if not self.discount.is_finite() or self.discount < 0:
                raise ValueError(_("a line discount cannot be negative"))
            if self.discount_percent and self.discount > 100:
                raise ValueError(_("a percentage discount is at most 100%"))
            gross = self.quantity * self.unit_price / self.base_quantity
            if not self.discount_percent and gross >= 0 and self.discount > gross:
                raise ValueError(_("the discount of line '{name}' is larger than the line").format(name=self.name))
        return self


class AdjustmentInput(BaseModel, defer_build=True, extra="forbid"):  # built on first use; unknown keys refused
    """An invoice discount or fee (EN 16931 document allowance/charge; negative in a correction)
    with its VAT rate and category, or an extra tax (never negative)."""

    value: Decimal
    is_percent: bool = False
    tax_rate: Decimal = Decimal(0)
    tax_category: str = ""  # "" → the rate's default (0 → Z, else S; E under the VAT franchise: written_category)
    label: str = ""

    @field_validator("value")
    @classmethod
    def _value(cls, v: Decimal) -> Decimal:
        if not v.is_finite() or abs(v) >= Decimal("1e12"):
            raise ValueError(_("a discount, fee or tax is below 10^12"))
        return v

    @field_validator("tax_rate")
    @classmethod
    def _rate(cls, v: Decimal) -> Decimal:
        if not v.is_finite() or v < 0 or v > 100:
            raise ValueError(_("tax rate is a percentage between 0 and 100"))
        return v

    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        return clean(v, what=pgettext("subject", "Label"), max_length=200)

    @model_validator(mode="after")
    def _pct(self) -> "AdjustmentInput":
        if self.is_percent and abs(self.value) > 100:
            raise ValueError(_("a percentage is at most 100%"))
        self.tax_category = given_category(self.tax_rate, self.tax_category)
        return self


class InvoiceInput(BaseModel, defer_build=True, extra="forbid"):  # built on first use; unknown keys refused
    """The editable properties of an invoice. On edit, only the fields that are set change."""

    currency: str | None = None
    title: str = ""
    locale: str | None = None
    invoice_date: dt.date | None = None
    due_date: dt.date | None = None
    owner_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    contact_ids: list[int] | None = None  # further associated contacts
    company_ids: list[int] | None = None
    lines: list[LineInput] | None = None
    discounts: list[AdjustmentInput] | None = None
    fees: list[AdjustmentInput] | None = None
    taxes: list[AdjustmentInput] | None = None
    po_number: str = ""
    comments: str = ""
    allow_partial: bool = False
    origin: str = "manual"
    # legal data (R43)
    delivery_date: dt.date | None = None  # BT-72
    delivery_address: str = ""  # or period
    operation_category: str = ""  # goods, services, both
    buyer_reference: str = ""  # BT-10
    exemption_reasons: dict[str, str] | None = None  # VAT category (E, AE, K, G, O) → reason (BT-120)
    eur_rate: str = ""  # 1 unit of the invoice's currency in EUR (French seller, BT-6/BT-111)

    @field_validator("delivery_date")
    @classmethod
    def _delivery_date(cls, v: dt.date | None) -> dt.date | None:
        return in_range(v, N_("the delivery date"))

    @field_validator("delivery_address")
    @classmethod
    def _delivery_address(cls, v: str) -> str:
        return clean(v, what=pgettext("subject", "Delivery address"), multiline=True, max_length=1000)

    @field_validator("operation_category")
    @classmethod
    def _operation(cls, v: str) -> str:
        v = v.strip().lower()
        if v not in OPERATION_CATEGORIES:
            raise ValueError(_("the operation category is goods, services or both"))
        return v

    @field_validator("buyer_reference")
    @classmethod
    def _buyer_reference(cls, v: str) -> str:
        return clean(v, what=pgettext("subject", "Buyer reference"), max_length=100)

    @field_validator("exemption_reasons")
    @classmethod
    def _exemptions(cls, v):
        if v is None:
            return v
        out = {}
        for cat, reason in v.items():
            cat = cat.strip().upper()
            if cat not in EXEMPT_CATEGORIES:
                raise ValueError(_("an exemption "
                                   "reason belongs to a VAT category E, AE, K, G or O, not '{cat}'").format(cat=cat))
            reason = clean(reason, what=pgettext("subject", "The exemption reason of {category}").format(category=cat),
                                              max_length=300).strip()
            if reason:
                out[cat] = reason
        return out

    @field_validator("eur_rate")
    @classmethod
    def _eur_rate(cls, v: str) -> str:
        t = v.strip().replace(",", ".")
        if not t:
            return ""
        try:
            rate = Decimal(t)
        except ArithmeticError:
            raise ValueError(_("the EUR exchange rate '{v}' is not a number").format(v=v)) from None
        if not rate.is_finite() or rate <= 0 or rate > Decimal("1e9") or -rate.as_tuple().exponent > 10:
            raise ValueError(_("the EUR exchange rate {v} is a positive number with at most 10 decimals").format(v=v))
        return format(rate, "f")

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        return clean(v, what=pgettext("subject", "Title"), max_length=300)

    @field_validator("po_number")
    @classmethod
    def _po(cls, v: str) -> str:
        return clean(v, what=pgettext("subject", "PO number"), max_length=100)

    @field_validator("comments")
    @classmethod
    def _comments(cls, v: str) -> str:
        return clean(v, what=pgettext("subject", "Comments"), multiline=True, max_length=5000)

    @field_validator("invoice_date")
    @classmethod
    def _invoice_date(cls, v: dt.date | None) -> dt.date | None:
        return in_range(v, N_("the invoice date"))  # R56

    @field_validator("due_date")
    @classmethod
    def _due_date(cls, v: dt.date | None) -> dt.date | None:
        return in_range(v, N_("the due date"))

    @field_validator("origin")
    @classmethod
    def _origin(cls, v: str) -> str:
        if v not in ("manual", "clone", "subscription", "import"):
            raise ValueError(_("origin is manual, clone, subscription or import"))
        return v

    @field_validator("lines")
    @classmethod
    def _lines(cls, v):
        if v is not None and len(v) > 500:
            raise ValueError(_("an invoice has at most 500 lines"))
        return v

    @field_validator("taxes")
    @classmethod
    def _taxes(cls, v):
        if v is not None and any(t.value < 0 for t in v):
            raise ValueError(_("an extra tax is 0 or more (a negative one would be a discount)"))
        return v


OPERATION_CATEGORIES = {"": "", "goods": "B1", "services": "S1", "both": "M1"}  # → the billing-frame code
EXEMPT_CATEGORIES = ("E", "AE", "K", "G", "O")
_LEGAL_HEAD = ("delivery_date", "delivery_address", "operation_category", "buyer_reference", "exemption_reasons",
               "eur_rate")


def exemption_reasons(inv: Invoice) -> dict[str, str]:
    try:
        value = json.loads(getattr(inv, "exemption_reasons", None) or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ---- reading ---------------------------------------------------------------------------------
def get_invoice(ref: str | int, *, for_update: bool = False) -> Invoice:
    """An invoice (or a credit note, R42: same table) by id or number (``INV-1001``, ``CN-1``)."""
    text = str(ref).strip()
    q = Invoice.select()
    if text.isdigit():
        cond = Invoice.id == int(text)
    else:
        cond = Invoice.number == text
    q = q.where(cond)
    if for_update and is_postgres():
        q = q.for_update()
    inv = q.first()
    if inv is None and text.isdigit():
        inv = Invoice.select().where(Invoice.number == text).first()
    if inv is None:
        raise NotFound(_("No invoice '{text}'; give an invoice id or a number such as INV-1001.").format(text=text),
                       code="invoice.not_found", details={"ref": text})
    return inv


def line_charges(text: str | None) -> tuple[LineCharge, ...]:
    """A line's stored further allowances and charges (``line_item.charges``, JSON)."""
    if not text or text == "[]":
        return ()
    return tuple(LineCharge(c["kind"], Decimal(c["value"]), bool(c.get("percent")), c.get("reason", ""))
                 for c in json.loads(text))


def charges_text(charges: Iterable[LineCharge | LineChargeInput]) -> str:
    """``line_item.charges`` of a line's further allowances and charges (canonical JSON)."""
    if isinstance(charges, (list, tuple)) and not charges:
        return "[]"  # what json.dumps writes of none
    return json.dumps([{"kind": c.kind, "value": plain(c.value.normalize()), "percent": c.is_percent,
                        "reason": c.reason} for c in charges], ensure_ascii=False, sort_keys=True)


def _dec(value, default: Decimal | None = None) -> Decimal | None:
    if value is None or value == "":
        return default
    return value if isinstance(value, Decimal) else Decimal(value)


STORED_LINE_FIELDS = ("name", "description", "quantity", "unit_price_micro", "price_base", "unit_code",
                      "discount_kind", "discount_value", "charges", "tax_rate", "tax_category")
"""What the totals engine reads of a stored line (a ``LineItem``, or a raw row with these names)."""


def line_spec(li, currency: str) -> LineSpec:
    """A stored line (a ``LineItem``, or any row with ``STORED_LINE_FIELDS``, decimals as text or
    ``Decimal``) as the totals engine reads it."""
    return LineSpec(name=li.name, quantity=_dec(li.quantity), unit_price=from_micro(li.unit_price_micro, currency),
                    tax_rate=_dec(li.tax_rate, Decimal(0)), discount_percent=li.discount_kind == "percent",
                    discount=_dec(li.discount_value), description=li.description,
                    base_quantity=_dec(li.price_base, Decimal(1)), unit_code=li.unit_code or "C62",
                    tax_category=li.tax_category or "", charges=line_charges(li.charges))


def line_specs(inv: Invoice, lines: Iterable[LineItem] | None = None) -> list[LineSpec]:
    lines = lines if lines is not None else inv.lines.order_by(LineItem.position)
    return [line_spec(li, inv.currency) for li in lines]


def adjustment_specs(inv: Invoice, adjustments: Iterable[Adjustment] | None = None) -> list[AdjustmentSpec]:
    adjustments = adjustments if adjustments is not None else inv.adjustments.order_by(Adjustment.position)
    return [AdjustmentSpec(kind=a.kind, value=a.value, is_percent=a.is_percent, tax_rate=a.tax_rate,
                           label=a.label, tax_category=(a.tax_category or "") if a.kind != "tax" else "")
            for a in in_order(adjustments, position=operator.attrgetter("position"))]


def line_input(s: LineSpec) -> dict[str, Any]:
    """A line spec as a ``LineInput``'s fields (the editor's rows, a currency change)."""
    return {"name": s.name, "description": s.description, "quantity": s.quantity, "unit_price": s.unit_price,
            "tax_rate": s.tax_rate, "tax_category": s.category, "discount": s.discount,
            "discount_percent": s.discount_percent, "base_quantity": s.base_quantity, "unit_code": s.unit_code,
            "charges": [{"kind": c.kind, "value": c.value, "is_percent": c.is_percent, "reason": c.reason}
                        for c in s.charges]}


def adjustment_input(a: AdjustmentSpec) -> dict[str, Any]:
    """An adjustment spec as an ``AdjustmentInput``'s fields."""
    out = {"value": a.value, "is_percent": a.is_percent, "tax_rate": a.tax_rate, "label": a.label}
    if a.kind != "tax":
        out["tax_category"] = a.category
    return out


def paid_minor(inv: Invoice) -> int:
    """R18: succeeded payments less their refunded amounts (issue 26: an open dispute still counts
    as paid until it is lost; a lost one counts as a refund), less the excess of a confirmed
    overpayment (R8: it became the customer's credit, a ``credit_entry`` of kind ``overpayment``
    on this invoice)."""
    paid = (Payment.select(pw.fn.COALESCE(pw.fn.SUM(Payment.amount_minor - Payment.amount_refunded_minor), 0))
            .where((Payment.invoice == inv) & Payment.state.in_(["succeeded", "disputed"])).scalar() or 0)
    if paid:
        paid -= (CreditEntry.select(pw.fn.COALESCE(pw.fn.SUM(CreditEntry.amount_minor), 0))
                 .where((CreditEntry.invoice_id == inv.id) & (CreditEntry.kind == "overpayment")).scalar() or 0)
    return paid


def is_credit_note(inv: Invoice) -> bool:
    return inv.doc_type == "credit_note"


# R38's refusal, one whole sentence per action (``refuse_credit_note``'s ``what``)
_CREDIT_NOTE_REFUSALS = {
    "edited": N_("{label} is a credit note; a credit note cannot be edited (R38). A mistaken credit note is offset "
                 "by a new invoice that refers to it."),
    "finalized as an invoice; issue it instead": N_(
        "{label} is a credit note; a credit note cannot be finalized as an invoice; issue it instead (R38). "
        "A mistaken credit note is offset by a new invoice that refers to it."),
    "cloned": N_("{label} is a credit note; a credit note cannot be cloned (R38). A mistaken credit note is offset "
                 "by a new invoice that refers to it."),
    "voided": N_("{label} is a credit note; a credit note cannot be voided (R38). A mistaken credit note is offset "
                 "by a new invoice that refers to it."),
    "deleted once issued": N_("{label} is a credit note; a credit note cannot be deleted once issued (R38). A "
                              "mistaken credit note is offset by a new invoice that refers to it."),
}


def draft_label(inv: Invoice, *, credit_note: bool = False) -> str:
    """The invoice's number, or "draft #7" / "draft credit note #7" in the reader's language."""
    if inv.number:
        return inv.number
    if credit_note:
        return _("draft credit note #{id}").format(id=inv.id)
    return _("draft #{id}").format(id=inv.id)


def refuse_credit_note(inv: Invoice, what: str) -> None:
    """R38: an issued credit note is never edited, deleted or voided; a draft one is only issued or
    deleted. The invoice services call this before acting on a row of the invoice table."""
    if inv.doc_type == "credit_note":
        label = inv.number or f"draft credit note #{inv.id}"  # the details' key stays English
        raise RuleRefused(_(_CREDIT_NOTE_REFUSALS[what]).format(label=draft_label(inv, credit_note=True)),
                          code="credit_note.immutable", details={"credit_note": label})


def invoice_totals(inv: Invoice, *, lines=None, adjustments=None, paid: int | None = None,
                   engine: Totals | None = None) -> Totals:
    """R18 for a stored invoice (the one totals function over its lines and adjustments).
    ``engine``: :func:`compute_totals` of these lines, adjustments and paid amount in the
    invoice's currency, when the caller has it (the bulk import computes it once for every
    invoice holding the same ones, whatever their status)."""
    paid = inv.paid_minor if paid is None else paid
    totals = engine if engine is not None else totals_engine(inv, lines, adjustments, paid)
    if inv.status == "voided" or inv.doc_type == "credit_note":  # R18/R13: a voided invoice owes nothing
        totals = replace(totals, balance=Decimal(0))
    elif inv.credited_minor:  # R39: balance = billed − paid − credited
        totals = replace(totals, balance=totals.balance - from_minor(inv.credited_minor, inv.currency))
    return totals


def totals_engine(inv: Invoice, lines, adjustments, paid: int) -> Totals:
    """:func:`compute_totals` of an invoice's lines and adjustments (read when None) and ``paid``
    (minor units): what :func:`invoice_totals` gives before the invoice's status and credit."""
    return compute_totals(inv.currency, line_specs(inv, lines), adjustment_specs(inv, adjustments),
                          from_minor(paid, inv.currency))


def is_overdue(inv: Invoice, today: dt.date) -> bool:
    return inv.status == "open" and inv.due_date is not None and inv.due_date < today


def days_overdue(inv: Invoice, today: dt.date) -> int:
    return (today - inv.due_date).days if is_overdue(inv, today) else 0


class PartyContact(NamedTuple):
    """A contact as a snapshot reads it (a plain row, no model)."""

    id: int
    first_name: str
    last_name: str
    email: str

    @property
    def display_name(self) -> str:
        return person_name(self.first_name, self.last_name, self.email)


class PartyCompany(NamedTuple):
    id: int
    name: str


class PartyUser(NamedTuple):
    id: int
    login: str
    name: str


class StoredLine(NamedTuple):
    """A line item as a snapshot and the totals read it (``STORED_LINE_FIELDS``, decimals as
    ``Decimal``, as ``LineItem`` gives them)."""

    invoice_id: int
    position: int
    name: str
    description: str
    quantity: Decimal
    unit_price_micro: int
    price_base: Decimal | None
    unit_code: str
    discount_kind: str | None
    discount_value: Decimal | None
    charges: str
    tax_rate: Decimal | None
    tax_category: str | None


class StoredAdjustment(NamedTuple):
    invoice_id: int
    kind: str
    position: int
    label: str
    is_percent: bool
    value: Decimal
    tax_rate: Decimal | None
    tax_category: str | None


@dataclass
class SnapshotParts:
    """What ``snapshot()`` reads besides the invoice row, read once (finalize reuses it for the
    snapshot after the change without reading again): plain rows, no model objects."""

    contact: PartyContact | None
    company: PartyCompany | None
    owner: PartyUser | User | None
    contact_emails: list[str]
    company_names: list[str]
    lines: list[StoredLine]
    adjustments: list[StoredAdjustment]

    @classmethod
    def load(cls, inv: Invoice, acting: User | None = None) -> "SnapshotParts":
        """``acting``: the acting user, reused when they own the invoice (saves a read)."""
        return load_snapshot_parts([inv], acting)[inv.id]


def _dec_or_none(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _ids_in(column: pw.Field, ids: Iterable[int]) -> pw.Expression:
    """``column IN (…)`` for ids read from the database, written as integer literals (a
    peewee parameter per id costs more than the read: 6 ms for 1,000), or ``BETWEEN`` when they
    are about consecutive (the caller keeps only the wanted rows)."""
    ids = sorted({int(i) for i in ids})
    if ids[-1] - ids[0] < 2 * len(ids):
        return column.between(ids[0], ids[-1])
    return column.in_(pw.SQL(f"({','.join(map(str, ids))})"))


def _rows(query: pw.Select) -> list[tuple]:
    """A query's rows as the driver gives them (one fetch, no conversion per column)."""
    return database.obj.execute_sql(*query.sql()).fetchall()


def load_snapshot_parts(invoices: list[Invoice], acting: User | None = None) -> dict[int, SnapshotParts]:
    """:meth:`SnapshotParts.load` for many invoices in a few queries (finalize, the audit's replay):
    plain rows, read with one fetch each. ``acting``: the acting user, reused as the owner of the
    invoices they own."""
    ids = {inv.id for inv in invoices}
    if not ids:
        return {}

    def by_id(model, columns, make, wanted):
        wanted = {i for i in wanted if i}
        if not wanted:
            return {}
        return {row[0]: make(*row) for row in _rows(model.select(*columns).where(_ids_in(model.id, wanted)))
                if row[0] in wanted}

    contacts = by_id(Contact, (Contact.id, Contact.first_name, Contact.last_name, Contact.email), PartyContact,
                     (inv.billing_contact_id for inv in invoices))
    companies = by_id(Company, (Company.id, Company.name), PartyCompany, (inv.company_id for inv in invoices))
    owners: dict[int, Any] = {acting.id: acting} if acting is not None else {}
    owners.update(by_id(User, (User.id, User.login, User.name), PartyUser,
                        (inv.owner_id for inv in invoices if inv.owner_id not in owners)))
    emails: dict[int, list[str]] = {i: [] for i in ids}
    for invoice_id, email in _rows(Contact.select(InvoiceContact.invoice, Contact.email).join(InvoiceContact)
                                   .where(_ids_in(InvoiceContact.invoice, ids)).order_by(Contact.email)):
        if invoice_id in emails:
            emails[invoice_id].append(email)
    names: dict[int, list[str]] = {i: [] for i in ids}
    for invoice_id, name in _rows(Company.select(InvoiceCompany.invoice, Company.name).join(InvoiceCompany)
                                  .where(_ids_in(InvoiceCompany.invoice, ids)).order_by(Company.name)):
        if invoice_id in names:
            names[invoice_id].append(name)
    lines: dict[int, list[StoredLine]] = {i: [] for i in ids}
    for (invoice_id, position, name, description, quantity, unit_price_micro, price_base, unit_code, discount_kind,
         discount_value, charges, tax_rate, tax_category) in _rows(
            LineItem.select(LineItem.invoice, LineItem.position, LineItem.name, LineItem.description,
                            LineItem.quantity, LineItem.unit_price_micro, LineItem.price_base, LineItem.unit_code,
                            LineItem.discount_kind, LineItem.discount_value, LineItem.charges, LineItem.tax_rate,
                            LineItem.tax_category)
            .where(_ids_in(LineItem.invoice, ids)).order_by(LineItem.invoice, LineItem.position)):
        if invoice_id in lines:
            lines[invoice_id].append(StoredLine(
                invoice_id, position, name, description, _dec_or_none(quantity), unit_price_micro,
                _dec_or_none(price_base), unit_code, discount_kind, _dec_or_none(discount_value), charges,
                _dec_or_none(tax_rate), tax_category))
    adjustments: dict[int, list[StoredAdjustment]] = {i: [] for i in ids}
    for invoice_id, kind, position, label, is_percent, value, tax_rate, tax_category in _rows(
            Adjustment.select(Adjustment.invoice, Adjustment.kind, Adjustment.position, Adjustment.label,
                              Adjustment.is_percent, Adjustment.value, Adjustment.tax_rate, Adjustment.tax_category)
            .where(_ids_in(Adjustment.invoice, ids)).order_by(Adjustment.invoice, Adjustment.position)):
        if invoice_id in adjustments:
            adjustments[invoice_id].append(StoredAdjustment(
                invoice_id, kind, position, label, bool(is_percent), _dec_or_none(value), _dec_or_none(tax_rate),
                tax_category))
    return {inv.id: SnapshotParts(contact=contacts.get(inv.billing_contact_id), company=companies.get(inv.company_id),
                                  owner=owners.get(inv.owner_id), contact_emails=emails[inv.id],
                                  company_names=names[inv.id], lines=lines[inv.id], adjustments=adjustments[inv.id])
            for inv in invoices}


def _lines_text(currency: str, lines: Iterable[LineItem]) -> str:
    """The lines as history records them; what R35 added is written only where it is not the
    default (so an older line reads as it always did)."""
    parts = []
    for li in lines:
        s = f"{li.name} × {plain(li.quantity)} @ {plain(from_micro(li.unit_price_micro, currency))}"
        if li.price_base is not None and li.price_base != 1:
            s += f" per {plain(li.price_base)}"
        if li.unit_code and li.unit_code != "C62":
            s += f" {li.unit_code}"
        if li.discount_value is not None:
            s += f" − {plain(li.discount_value)}{'%' if li.discount_kind == 'percent' else ''}"
        for c in line_charges(li.charges):
            s += f" {'−' if c.kind == 'allowance' else '+'} {plain(c.value)}{'%' if c.is_percent else ''}"
            s += f" ({c.reason})" if c.reason else ""
        if li.tax_rate:
            s += f" tax {plain(li.tax_rate)}%"
        if li.tax_category and li.tax_category != default_category(li.tax_rate):
            s += f" VAT {li.tax_category}"
        parts.append(s)
    return "; ".join(parts)


def _adjustments_text(adjustments: Iterable[Adjustment], kind: str) -> str:
    parts = []
    for a in sorted((a for a in adjustments if a.kind == kind), key=lambda a: a.position):
        s = f"{plain(a.value)}{'%' if a.is_percent else ''}"
        if a.label:
            s = f"{a.label} {s}"
        if kind != "tax" and a.tax_rate:
            s += f" tax {plain(a.tax_rate)}%"
        if kind != "tax" and a.tax_category and a.tax_category != default_category(a.tax_rate):
            s += f" VAT {a.tax_category}"
        parts.append(s)
    return "; ".join(parts)


def _contact_display(c: Contact | None) -> str | None:
    return f"{c.display_name} <{c.email}>" if c else None


def snapshot(inv: Invoice, parts: SnapshotParts | None = None,
             contents: dict[str, Any] | None = None, amounts: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every tracked property of an invoice as history shows it (R15). ``contents``:
    :func:`snapshot_contents` of ``parts``, when the caller has it already (the bulk import
    computes it once for every invoice holding the same lines and adjustments); ``amounts``:
    :func:`snapshot_amounts` of ``inv``, the same (once per currency and amounts)."""
    parts = parts or SnapshotParts.load(inv)
    if contents is None:
        contents = snapshot_contents(inv.currency, parts.lines, parts.adjustments)
    return {**snapshot_head(inv, parts), **contents,
            **(snapshot_amounts(inv) if amounts is None else amounts), **snapshot_credit(inv)}


def snapshot_credit(inv: Invoice) -> dict[str, Any]:
    """What R36–R41 add to a snapshot, only where it is not an invoice's default (so invoices
    written before credit notes existed replay as they always did): a credit note's type, reason
    and invoice (id), a replacement's credit note, an invoice's credited amount."""
    out: dict[str, Any] = {}
    if inv.doc_type == "credit_note":
        out["document_type"] = inv.doc_type
        out["reason"] = inv.reason
    if inv.refers_to is not None:
        out["refers_to"] = inv.refers_to
    if inv.credited_minor:
        out["amount_credited"] = plain(from_minor(inv.credited_minor, inv.currency))
    return out


def snapshot_head(inv: Invoice, parts: SnapshotParts) -> dict[str, Any]:
    """The part of :func:`snapshot` read from the invoice row and the people it names."""
    return {
        "title": inv.title, "currency": inv.currency, "locale": inv.locale, "invoice_date": inv.invoice_date,
        "due_date": inv.due_date, "owner": parts.owner.login if parts.owner else None,
        "billing_contact": _contact_display(parts.contact), "company": parts.company.name if parts.company else None,
        "contacts": ", ".join(parts.contact_emails) or None, "companies": ", ".join(parts.company_names) or None,
        "po_number": inv.po_number, "comments": inv.comments, "allow_partial": inv.allow_partial,
        "origin": inv.origin, "number": inv.number, "status": inv.status,
        "last_sent_date": inv.last_sent_date, "payment_date": inv.payment_date,
        "link": "created" if inv.link_token else None,
        **_legal_head(inv),
    }


def _legal_head(inv: Invoice) -> dict[str, Any]:
    """R43's invoice fields, where given: an invoice from before them replays as it was recorded
    (a field once given stays in the snapshot, so its clearing is recorded: empty, not absent)."""
    out: dict[str, Any] = {}
    for name in _LEGAL_HEAD:
        value = getattr(inv, name, None)
        if name == "exemption_reasons":
            value = value if value not in (None, "", "{}") else None
        if value:
            out[name] = value
    return out


def snapshot_contents(currency: str, lines: Iterable[LineItem], adjustments: Iterable[Adjustment]) -> dict[str, Any]:
    """The part of :func:`snapshot` given by the lines and adjustments (the same for every invoice
    holding the same ones: a bulk writer computes it once for them all)."""
    adjustments = list(adjustments)
    return {"line_items": _lines_text(currency, lines), "discounts": _adjustments_text(adjustments, "discount"),
            "fees": _adjustments_text(adjustments, "fee"), "taxes": _adjustments_text(adjustments, "tax")}


def snapshot_amounts(inv: Invoice) -> dict[str, Any]:
    """The part of :func:`snapshot` given by the stored totals."""
    cur = inv.currency
    return {"amount_billed": plain(from_minor(inv.billed_minor, cur)),
            "amount_paid": plain(from_minor(inv.paid_minor, cur)),
            "balance_due": plain(from_minor(inv.balance_minor, cur))}


def breakdown_records(totals: Totals) -> list[dict[str, str]]:
    """The VAT breakdown as JSON gives it: ``{category, rate, basis, tax}``, decimal strings."""
    return [{"category": t.category, "rate": plain(t.rate), "basis": plain(t.basis), "tax": plain(t.tax)}
            for t in totals.tax_breakdown]


def invoice_record(inv: Invoice, today: dt.date, totals: Totals | None = None,
                   owners: dict[int, str] | None = None) -> dict[str, Any]:
    """The invoice as the CLI's JSON: keys are the catalogue ids (plus tax_breakdown).

    Listing many invoices: pass ``totals`` (from lines/adjustments read per batch) and ``owners``
    (user id → login) so no query runs per invoice."""
    totals = totals or invoice_totals(inv)
    cur = inv.currency

    def iso(d):
        return d.isoformat() if d else None

    if owners is not None:
        owner_login = owners.get(inv.owner_id) if inv.owner_id else None
    else:
        owner = User.get_or_none(User.id == inv.owner_id) if inv.owner_id else None
        owner_login = owner.login if owner else None
    return {
        "id": inv.id, "number": inv.number, "title": inv.title, "status": inv.status,
        "overdue": is_overdue(inv, today), "days_overdue": days_overdue(inv, today),
        "currency": cur, "locale": inv.locale,
        "subtotal": plain(totals.subtotal), "discount_total": plain(totals.discount_total),
        "fee_total": plain(totals.fee_total), "tax_total": plain(totals.tax_total),
        "amount_billed": plain(from_minor(inv.billed_minor, cur)),
        "amount_paid": plain(from_minor(inv.paid_minor, cur)),
        "balance_due": plain(from_minor(inv.balance_minor, cur)),
        "tax_breakdown": breakdown_records(totals),
        "invoice_date": iso(inv.invoice_date), "due_date": iso(inv.due_date),
        "last_sent_date": iso(inv.last_sent_date), "payment_date": iso(inv.payment_date),
        "contact_name": inv.contact_name or None, "contact_email": inv.contact_email or None,
        "company_name": inv.company_name or None, "owner": owner_login,
        "po_number": inv.po_number, "origin": inv.origin, "allow_partial": inv.allow_partial,
        "comments": inv.comments, "created_at": inv.created_at.isoformat() if inv.created_at else None,
        "version": inv.version, "type": inv.doc_type,
        "amount_credited": plain(from_minor(inv.credited_minor or 0, cur)),
    }


# ---- writing helpers -------------------------------------------------------------------------
def _store_totals(inv: Invoice, parts: SnapshotParts | None = None,
                  computed: Callable[[Invoice], Totals] | None = None) -> Totals:
    """Recompute with R18 and store totals and paid/balance on the row (caller saves). A draft
    holds no payment (payments are recorded and applied on finalized invoices only). A draft may
    total below zero (R35: returns, corrections); finalizing refuses it (``_check_finalizable``).
    ``computed(inv)``: :func:`invoice_totals` of ``parts`` with ``inv``'s paid amount, when the
    caller remembers it (the bulk import, for invoices holding the same lines: the engine is pure)."""
    inv.paid_minor = paid_minor(inv) if inv.id and inv.status != "draft" else 0
    if computed is not None:
        totals = computed(inv)
    else:
        totals = invoice_totals(inv, paid=inv.paid_minor, lines=parts.lines if parts else None,
                                adjustments=parts.adjustments if parts else None)
    cur = inv.currency
    # Minor units are stored as 64-bit integers: refuse (BadInput, nothing written) long before that.
    if any(abs(x) >= MAX_TOTAL for x in (totals.subtotal, totals.discount_total, totals.fee_total,
                                          totals.tax_total, totals.billed)):
        raise BadInput(_("The amounts of this invoice are too large (each total must stay below {max_total:,}); "
                         "check the quantities and prices.").format(max_total=MAX_TOTAL), field="lines")
    inv.subtotal_minor = to_minor(totals.subtotal, cur)
    inv.discount_minor = to_minor(totals.discount_total, cur)
    inv.fee_minor = to_minor(totals.fee_total, cur)
    inv.tax_minor = to_minor(totals.tax_total, cur)
    inv.billed_minor = to_minor(totals.billed, cur)
    if inv.status == "voided" or inv.doc_type == "credit_note":  # R18: a voided invoice owes nothing
        inv.balance_minor = 0
    else:  # R39: balance = billed − paid − credited
        inv.balance_minor = inv.billed_minor - inv.paid_minor - (inv.credited_minor or 0)
    return totals


def _refresh_names(inv: Invoice) -> None:
    contact = Contact.get_or_none(Contact.id == inv.billing_contact_id) if inv.billing_contact_id else None
    company = Company.get_or_none(Company.id == inv.company_id) if inv.company_id else None
    owner = User.get_or_none(User.id == inv.owner_id) if inv.owner_id else None
    inv.contact_name = contact.display_name if contact else ""
    inv.contact_email = contact.email if contact else ""
    inv.company_name = company.name if company else ""
    inv.owner_name = (owner.name or owner.login) if owner else ""


def given_category(rate: Decimal, category: str | None) -> str:
    """An input's VAT category checked against its rate (:func:`check_category`), kept as given:
    "" when none was, so that the default is the writer's (:func:`written_category`) also when
    the input is dumped and checked again (R52's import)."""
    checked = check_category(rate, category)
    return checked if (category or "").strip() else ""


def written_category(item: LineInput | AdjustmentInput, franchise: bool) -> str:
    """A line's or a discount's/fee's VAT category as written: the one given, else the rate's
    default (:func:`default_category`: E, not Z, under the VAT franchise)."""
    return item.tax_category or default_category(item.tax_rate, franchise)


def _line_values(currency: str, lines: list[LineInput], franchise: bool = False) -> list[dict[str, Any]]:
    """The line items' column values (by field name, but the invoice), amounts checked against
    the currency: what :func:`_write_lines` and the bulk import (R52) write (``franchise``: the
    seller's VAT franchise, :func:`written_category`)."""
    out = []
    for pos, line in enumerate(lines):
        disc = line.discount
        if disc is not None and not line.discount_percent:
            disc = parse_amount(disc, currency, field=f"lines.{pos}.discount")
        for c in line.charges:  # an amount has the currency's decimals; a percentage any
            if not c.is_percent:
                parse_amount(c.value, currency, field=f"lines.{pos}.charges")
        out.append(dict(position=pos, name=line.name, description=line.description,
                        quantity=line.quantity, unit_price_micro=to_micro(line.unit_price),
                        price_base=line.base_quantity, unit_code=line.unit_code,
                        discount_kind=None if disc is None else ("percent" if line.discount_percent else "fixed"),
                        discount_value=disc, charges=charges_text(line.charges), tax_rate=line.tax_rate,
                        tax_category=written_category(line, franchise)))
    return out


def _adjustment_values(currency: str, kind: str, items: list[AdjustmentInput],
                       franchise: bool = False) -> list[dict[str, Any]]:
    """The adjustments' column values (by field name, but the invoice), amounts checked."""
    out = []
    for pos, a in enumerate(items):
        value = a.value if a.is_percent else parse_amount(a.value, currency, field=f"{kind}s.{pos}.value")
        out.append(dict(kind=kind, position=pos, label=a.label, is_percent=a.is_percent,
                        value=value, tax_rate=Decimal(0) if kind == "tax" else a.tax_rate,
                        tax_category=None if kind == "tax" else written_category(a, franchise)))
    return out


def _write_lines(inv: Invoice, lines: list[LineInput], franchise: bool) -> None:
    LineItem.delete().where(LineItem.invoice == inv).execute()
    for values in _line_values(inv.currency, lines, franchise):
        LineItem.create(invoice=inv, **values)


def _write_adjustments(inv: Invoice, kind: str, items: list[AdjustmentInput], franchise: bool) -> None:
    Adjustment.delete().where((Adjustment.invoice == inv) & (Adjustment.kind == kind)).execute()
    for values in _adjustment_values(inv.currency, kind, items, franchise):
        Adjustment.create(invoice=inv, **values)


def _set_links(model, field_name: str, inv: Invoice, ids: list[int]) -> None:
    model.delete().where(model.invoice == inv).execute()
    for i in dict.fromkeys(ids):
        model.create(invoice=inv, **{field_name: i})


def _check_refs(data: InvoiceInput, fields: set[str]) -> None:
    if "contact_id" in fields and data.contact_id is not None and not Contact.get_or_none(Contact.id == data.contact_id):
        raise NotFound(_("No contact with id {contact_id}.").format(contact_id=data.contact_id))
    if "company_id" in fields and data.company_id is not None and not Company.get_or_none(Company.id == data.company_id):
        raise NotFound(_("No company with id {company_id}.").format(company_id=data.company_id))
    if "owner_id" in fields and data.owner_id is not None and not User.get_or_none(User.id == data.owner_id):
        raise NotFound(_("No user with id {owner_id}.").format(owner_id=data.owner_id))
    for cid in data.contact_ids or []:
        if not Contact.get_or_none(Contact.id == cid):
            raise NotFound(_("No contact with id {cid}.").format(cid=cid))
    for cid in data.company_ids or []:
        if not Company.get_or_none(Company.id == cid):
            raise NotFound(_("No company with id {cid}.").format(cid=cid))


@functools.lru_cache(maxsize=256)
def _locale(code: str) -> str:
    """A locale as the ``locale`` setting takes it (or BadInput), read once per code (an import
    gives every invoice of a file the same few)."""
    from invoice_tui.domain.settings import coerce_setting

    return coerce_setting("locale", code)


def _apply_input(inv: Invoice, data: InvoiceInput, fields: set[str], settings: WorkspaceSettings) -> None:
    simple = ("title", "invoice_date", "due_date", "po_number", "comments", "allow_partial", "origin",
              "delivery_address", "operation_category", "buyer_reference", "eur_rate")
    if "delivery_date" in fields:
        inv.delivery_date = data.delivery_date
    if "exemption_reasons" in fields and data.exemption_reasons is not None:
        inv.exemption_reasons = json.dumps(data.exemption_reasons, sort_keys=True)
    for name in simple:
        if name in fields and getattr(data, name) is not None:
            setattr(inv, name, getattr(data, name))
    if "due_date" in fields and data.due_date is None:
        inv.due_date = None
    if "locale" in fields and data.locale:
        inv.locale = _locale(data.locale)
    if "owner_id" in fields:
        inv.owner = data.owner_id
    if "contact_id" in fields:
        inv.billing_contact = data.contact_id
    if "company_id" in fields:
        inv.company = data.company_id
    if inv.due_date is not None and inv.invoice_date is not None and inv.due_date < inv.invoice_date:
        raise BadInput(_("The due "
                         "date {due_date} is before the invoice date {invoice_date}.").format(due_date=inv.due_date,
                             invoice_date=inv.invoice_date),
                       field="due_date")


def _write_children(inv: Invoice, data: InvoiceInput, fields: set[str], settings: WorkspaceSettings) -> None:
    franchise = settings.vat_franchise
    if "lines" in fields and data.lines is not None:
        _write_lines(inv, data.lines, franchise)
    for kind in ADJUSTMENT_KINDS:
        attr = ADJUSTMENT_LISTS[kind]
        if attr in fields and getattr(data, attr) is not None:
            _write_adjustments(inv, kind, getattr(data, attr), franchise)
    if "contact_ids" in fields and data.contact_ids is not None:
        _set_links(InvoiceContact, "contact", inv, data.contact_ids)
    if "company_ids" in fields and data.company_ids is not None:
        _set_links(InvoiceCompany, "company", inv, data.company_ids)
    if inv.billing_contact_id and not InvoiceContact.select().where(
            (InvoiceContact.invoice == inv) & (InvoiceContact.contact == inv.billing_contact_id)).exists():
        InvoiceContact.create(invoice=inv, contact=inv.billing_contact_id)
    if inv.company_id and not InvoiceCompany.select().where(
            (InvoiceCompany.invoice == inv) & (InvoiceCompany.company == inv.company_id)).exists():
        InvoiceCompany.create(invoice=inv, company=inv.company_id)


def _save(inv: Invoice, ctx: Context, *, bump: bool = True, refresh: bool = True) -> None:
    if refresh:
        _refresh_names(inv)
    if bump:
        inv.version = (inv.version or 0) + 1
    inv.updated_at = ctx.now()
    inv.save()


def _history(ctx: Context, inv: Invoice, before: dict | None, kind: str | None, text: str = "") -> list[str]:
    """R15/R16: the property changes since ``before`` (None: the invoice was just created, and its
    whole snapshot is one creation row) and the activity ``kind``."""
    if before is None:
        history.record_creation(ctx, "invoice", inv.id, inv.number, snapshot(inv))
        changed = [history.CREATED]
    else:
        changed = history.record_changes(ctx, "invoice", inv.id, inv.number, before, snapshot(inv))
    if kind:
        history.add_activity(ctx, inv.id, inv.number, kind, text)
    return changed


# ---- R1: create ------------------------------------------------------------------------------
@mutation
def create_invoice(ctx: Context, data: InvoiceInput | dict) -> Invoice:
    """R1: a draft needs only a currency."""
    inv = _new_document(ctx, data)
    _history(ctx, inv, None, "created", "Draft created" if inv.origin == "manual" else f"Created ({inv.origin})")
    return inv


def _new_document(ctx: Context, data: InvoiceInput | dict, imported: Callable[[Invoice], None] | None = None
                  ) -> Invoice:
    """The one way an invoice row is created from input (R1), with its lines, adjustments, links
    and R18 totals; ``imported`` (R52) gives an imported document its number and status before the
    totals are stored. The caller writes the history (one creation row of the whole snapshot)."""
    require(ctx, "create_draft")
    settings = _settings_ctx(ctx)
    data, fields, currency = _document_input(data)
    _check_refs(data, fields)
    inv = _document_row(ctx, data, fields, currency, settings)
    _save(inv, ctx, refresh=False)  # an id for the children; the names are set by the last save
    _write_children(inv, data, fields, settings)
    if imported is not None:
        imported(inv)
    _store_totals(inv)
    if imported is not None:
        _imported_status(inv)
    _save(inv, ctx, bump=False)
    return inv


def _document_input(data: InvoiceInput | dict) -> tuple[InvoiceInput, set[str], str]:
    """A new document's input checked (R1): the validated input, the fields given, the currency."""
    raw = data.model_dump(exclude_unset=True) if isinstance(data, BaseModel) else dict(data)
    data = validate(InvoiceInput, raw)
    if not data.currency:
        raise BadInput(_("A draft needs a currency (R1), e.g. EUR."), field="currency")
    return data, set(raw), check_currency(data.currency)


def _document_row(ctx: Context, data: InvoiceInput, fields: set[str], currency: str,
                  settings: WorkspaceSettings, make: Callable[..., Invoice] = Invoice) -> Invoice:
    """A new document's row (not saved) with its input applied and its dates checked. ``make``:
    the row from its fields' values (``Invoice``; the bulk import's plain row of the same values)."""
    today = ctx.today()
    now = ctx.now()
    inv = make(currency=currency, exponent=exponent(currency), locale=settings.locale, invoice_date=today,
                  owner=ctx.user.id if ctx.user else None, created_at=now, updated_at=now, status="draft",
                  version=0)
    _apply_input(inv, data, fields, settings)
    if inv.due_date is None:
        inv.due_date = inv.invoice_date + dt.timedelta(days=settings.payment_terms_days)
    if inv.due_date < inv.invoice_date:
        raise BadInput(_("The due "
                         "date {due_date} is before the invoice date {invoice_date}.").format(due_date=inv.due_date,
                             invoice_date=inv.invoice_date),
                       field="due_date")
    return inv


def _imported_status(inv: Invoice) -> None:
    """R52: an imported document's status once its totals are known."""
    if inv.status == "open" and inv.doc_type == "invoice" and inv.balance_minor == 0:
        inv.status = "paid"  # nothing is due on it
        inv.payment_date = inv.invoice_date
    elif inv.status == "voided":
        inv.balance_minor = 0


# ---- R46: strict mode ------------------------------------------------------------------------
def check_strict(settings: WorkspaceSettings, inv: Invoice, done: str) -> None:
    """R46: in strict mode an issued invoice is never edited, voided or deleted."""
    if settings.strict_mode and inv.status != "draft":
        from invoice_tui.domain.settings import STRICT_REASON

        raise RuleRefused(_(_STRICT_REFUSALS[done]).format(number=inv.number, strict_reason=_(STRICT_REASON)),
                          code="invoice.strict_mode", details={"invoice": inv.number, "action": done})


# R46's refusal, one whole sentence per action (``check_strict``'s ``done``)
_STRICT_REFUSALS = {
    "edited": N_("{number} is issued and this workspace is in strict mode (R46): an issued invoice is never edited. "
                 "{strict_reason}. Correct it with a credit note instead."),
    "voided": N_("{number} is issued and this workspace is in strict mode (R46): an issued invoice is never voided. "
                 "{strict_reason}. Correct it with a credit note instead."),
    "deleted": N_("{number} is issued and this workspace is in strict mode (R46): an issued invoice is never "
                  "deleted. {strict_reason}. Correct it with a credit note instead."),
}


def _lock_strict(ctx: Context, settings: WorkspaceSettings) -> None:
    """R46: the first document issued under strict mode keeps it on for good."""
    if settings.strict_mode and not settings.strict_locked and not load_settings().strict_locked:  # under the lock
        from invoice_tui.domain.settings import store_setting

        store_setting("strict_locked", True)
        history.record_changes(ctx, "workspace", 0, None, {"strict_locked": False}, {"strict_locked": True})
        settings.strict_locked = True


# ---- R6/R7: edit -----------------------------------------------------------------------------
_NOT_EDITABLE = {"paid": N_("A paid invoice cannot be edited."), "voided": N_("A voided invoice cannot be edited.")}


def check_edit(ctx: Context, inv: Invoice, settings: WorkspaceSettings) -> None:
    """Raise unless ``ctx`` may edit ``inv`` now (R4, R6, R17)."""
    require(ctx, "edit")
    refuse_credit_note(inv, "edited")
    if inv.status == "draft":
        return
    check_strict(settings, inv, "edited")
    if inv.status != "open":
        raise RuleRefused(_(_NOT_EDITABLE.get(inv.status, N_("An invoice in this state cannot be edited."))))
    if not settings.allow_edit_finalized:
        raise RuleRefused(_("Editing finalized invoices is off for this workspace; a super admin can turn on the "
                            "setting allow_edit_finalized."))
    if inv.origin == "subscription":
        raise RuleRefused(_("Invoices created by a subscription cannot be edited (R6)."))
    if inv.credited_minor or Invoice.select().where((Invoice.refers_to == inv.id)
                                                    & (Invoice.doc_type == "credit_note")).exists():
        raise RuleRefused(_("{number} has a credit note or credit applied; it is corrected by credit notes, not "
                            "edited (R38, R41: cancel and replace it).").format(number=inv.number),
                                code="invoice.has_credit_note",
                          details={"invoice": inv.number})
    if Payment.select().where((Payment.invoice == inv) & (Payment.state.in_(["succeeded", "refunded"]))).exists():
        raise RuleRefused(_("This invoice has a payment; invoices with a succeeded or refunded payment cannot be "
                            "edited (R6)."))


def check_currency_change(inv: Invoice) -> None:
    """Raise unless the invoice's currency may change now (R2: frozen once finalized)."""
    if inv.status != "draft":
        raise RuleRefused(_("The currency of a finalized invoice never changes (R2)."), code="invoice.currency_frozen",
                          field="currency")
    if Payment.select().where(Payment.invoice == inv).exists():
        raise RuleRefused(_("This draft has payments; the currency cannot change."), code="invoice.currency_frozen",
                          field="currency")


@dataclass
class EditResult:
    invoice: Invoice
    changed: list[str]
    canceled_payments: list[int]
    offer_notify: bool


def _settles_refused_r7(fn):
    """R7: when an edit was refused because the provider says a pending payment succeeded first,
    that success is applied right after, in its own transaction (``ctx.services.payment_settler``,
    wired to ``online.settle_refused_edit``): the invoice's version changes under the editor."""
    @functools.wraps(fn)
    def wrapper(ctx: Context, *args, **kwargs):
        try:
            return fn(ctx, *args, **kwargs)
        except Conflict as exc:
            settle = ctx.services.payment_settler
            if exc.code == "invoice.payment_not_canceled" and settle is not None:
                with contextlib.suppress(InvoiceTuiError):
                    settle(ctx, exc)
            raise

    return wrapper


@_settles_refused_r7
@mutation
def edit_invoice(ctx: Context, ref: str | int, data: InvoiceInput | dict,
                 expected_version: int | None = None) -> EditResult:
    """Edit a draft, or (R6/R7) an open invoice. Only the fields given change."""
    raw = data.model_dump(exclude_unset=True) if isinstance(data, BaseModel) else dict(data)
    data = validate(InvoiceInput, raw)
    fields = set(raw)
    inv = get_invoice(ref, for_update=True)
    settings = _settings_ctx(ctx)
    require(ctx, "edit")
    # R7: a stale editor hears first that the invoice changed under it (e.g. a payment succeeded),
    # before the rule that now forbids the edit; either way nothing is written.
    if expected_version is not None and inv.version != expected_version:
        raise Conflict(_("This invoice changed while you were editing it (a payment or another user); reload it and "
                         "make your change again (R7)."))
    check_edit(ctx, inv, settings)
    finalized = inv.status != "draft"
    before = snapshot(inv)  # before anything changes, the currency included (R15)
    if "currency" in fields and data.currency:
        currency = check_currency(data.currency)
        if currency != inv.currency:
            check_currency_change(inv)
            # Fixed discounts and fees are amounts of the old currency: read them before switching,
            # then re-express the same figures in the new currency (too many decimals for it: BadInput).
            old_lines, old_adjustments = line_specs(inv), adjustment_specs(inv)
            inv.currency, inv.exponent = currency, exponent(currency)
            if "lines" not in fields:
                data.lines = [LineInput(**line_input(s)) for s in old_lines]
                fields.add("lines")
            for kind in ADJUSTMENT_KINDS:
                attr = ADJUSTMENT_LISTS[kind]
                if attr not in fields:
                    setattr(data, attr, [AdjustmentInput(**adjustment_input(a))
                                         for a in old_adjustments if a.kind == kind])
                    fields.add(attr)
    if "origin" in fields and data.origin != inv.origin:
        raise BadInput(_("The origin of an invoice cannot be changed."), field="origin")
    _check_refs(data, fields)
    old_due = inv.due_date
    _apply_input(inv, data, fields, settings)
    _write_children(inv, data, fields, settings)
    _store_totals(inv)
    canceled: list[int] = []
    if finalized:
        if inv.due_date is None:  # overdue and reminders (R33) are reckoned from it
            raise BadInput(_("A finalized invoice keeps a due date; give the new one as YYYY-MM-DD."), field="due_date")
        _check_finalizable(inv)
        # R7: saving the edit cancels an online payment that is still pending, at the provider
        # too; if the provider refuses (the payment succeeded first), the save is refused.
        canceled = cancel_for_edit(ctx, inv)
        if inv.balance_minor == 0:  # edited down to 0 (R35): nothing is due, settled as at finalizing
            inv.status, inv.payment_date = "paid", ctx.today()
            drop_reminders(inv)
        elif inv.due_date != old_due:
            replan_reminders(inv, ctx)
    _save(inv, ctx)
    changed = _history(ctx, inv, before, "edited", "Invoice edited")
    return EditResult(inv, changed, canceled, offer_notify=finalized and bool(changed))


# ---- R2/R3: finalize -------------------------------------------------------------------------
def _check_finalizable(inv: Invoice, lines: list[LineItem] | None = None) -> None:
    if not inv.billing_contact_id:
        raise RuleRefused(_("Finalizing needs a billing contact (R2)."), code="invoice.no_billing_contact",
                          field="billing_contact")
    if not (lines if lines is not None else LineItem.select().where(LineItem.invoice == inv).exists()):
        raise RuleRefused(_("Finalizing needs at least one line item (R2)."))
    if inv.billed_minor < 0:
        cur = inv.currency
        raise RuleRefused(_("The amount billed is {amount} {cur}; a finalized invoice bills 0 or more (R2, R35). A "
                            "negative amount is a credit note's job: keep the returns on a credit note against the "
                            "invoice they correct.").format(amount=plain(from_minor(inv.billed_minor, cur)), cur=cur),
                          code="invoice.negative_total", field="lines")
    # R56: a date stored before the range was enforced (or behind the app's back) is refused with a
    # sentence here, before any date arithmetic (the due date from the payment terms) could overflow
    check_date(inv.invoice_date, N_("the invoice date"), field="invoice_date")
    check_date(inv.due_date, N_("the due date"), field="due_date")


def buyer_facts(inv: Invoice, parts: SnapshotParts | None = None) -> "BuyerFacts":
    """What the legal rules (R43) need of the invoice's buyer and lines."""
    from invoice_tui.domain.legal_rules import BuyerFacts

    contact = Contact.get_or_none(Contact.id == inv.billing_contact_id) if inv.billing_contact_id else None
    company = Company.get_or_none(Company.id == inv.company_id) if inv.company_id else None
    if parts is not None:
        lines, adjustments = parts.lines, parts.adjustments
    else:
        lines, adjustments = list(inv.lines), list(inv.adjustments)
    categories = {s.category for s in line_specs(inv, lines)} | {a.category for a in adjustment_specs(inv, adjustments)}
    business = company is not None or bool(contact and contact.is_business)
    siren = address = vat = country = ""
    if company is not None:
        vat = (company.vat_id or company.tax_id or "").replace(" ", "").upper()
        # the country given, else the VAT id's prefix; a French VAT id holds the SIREN (FR, key, SIREN)
        country = company.country or (vat[:2] if len(vat) > 2 and vat[:2].isalpha() else "")
        siren = company.siren or (vat[4:] if vat.startswith("FR") and len(vat) == 13 and vat[4:].isdigit() else "")
        address = company.electronic_address or siren  # BT-49: a French company's SIREN under scheme 0225
    elif contact is not None:
        country = contact.country or ""
    return BuyerFacts(business=business, country=country, siren=siren, electronic_address=address, vat_id=vat,
                      operation_category=inv.operation_category or "",
                      categories=tuple(sorted(categories)), exemption_reasons=tuple(sorted(exemption_reasons(inv))),
                      currency=inv.currency, eur_rate=inv.eur_rate or "")


def check_legal(inv: Invoice, settings: WorkspaceSettings, parts: SnapshotParts | None = None) -> None:
    """R2/R43: the seller's legal name and address; with a French seller, what French law requires."""
    from invoice_tui.domain.legal_rules import check_finalize_legal

    check_finalize_legal(settings, buyer_facts(inv, parts), draft_label(inv))


def check_chronological(ctx: Context, inv: Invoice) -> None:
    """R57: numbers follow the invoice dates (French law requires it). A draft dated before the
    invoice holding the series' highest number is refused; the sentence offers today's date.
    Checked under the write lock, so two concurrent finalizations cannot cross; the highest number
    is read through its unique index (one row, whatever the workspace's size)."""
    latest = (Invoice.select(Invoice.number, Invoice.invoice_date).where(Invoice.number_seq.is_null(False))
              .order_by(Invoice.number_seq.desc()).limit(1).first())
    if latest is None or latest.invoice_date is None:
        return
    latest_date = latest.invoice_date
    if isinstance(latest_date, str):  # SQLite hands back the stored text for a DateField on some paths
        latest_date = dt.date.fromisoformat(latest_date[:10])
    if inv.invoice_date < latest_date:
        today = ctx.today()
        raise RuleRefused(
            _("Draft #{id} is dated {invoice_date}, before {number} dated {latest_date}: numbers must follow the "
              "invoice "
              "dates (R57). Date it today ({today}) or on or after {latest_date}, then finalize.").format(id=inv.id,
                  invoice_date=inv.invoice_date.isoformat(), number=latest.number,
                  latest_date=latest_date.isoformat(), today=today.isoformat()),
            field="invoice_date", code="invoice.date_before_latest",
            details={"invoice": inv.id, "latest": latest.number, "latest_date": latest_date.isoformat(),
                     "today": today.isoformat()})


def preview_number(on: dt.date | None = None) -> str:
    """The number the next finalized invoice will get (shown before finalizing); ``on``: its date
    (a yearly series, R46), today's year when not given."""
    from invoice_tui.domain.settings import next_number, render_number, yearly

    settings = load_settings()
    year = (on or dt.date.today()).year
    if yearly(settings.number_pattern):
        row = Counter.get_or_none(Counter.name == series_counter(year))
        return render_number(settings.number_pattern, (row.value if row else 1), year)
    return render_number(settings.number_pattern, next_number(), year)


def series_counter(year: int) -> str:
    """The counter of a yearly series (R46): one per year, from 1."""
    return f"{NUMBER_COUNTER}:{year:04d}"


def number_text(prefix: str, seq: int) -> str:
    """R3: how the number ``seq`` is written with the workspace's prefix."""
    return f"{prefix}{seq}"


def take_numbers(prefix: str, count: int) -> int:
    """R3: ``count`` consecutive numbers from the workspace counter, inside the caller's write
    transaction; returns the first (the numbers are ``number_text(prefix, first + k)``).

    ``UPDATE … RETURNING`` reads and advances the counter in one statement (on PostgreSQL it also
    locks the counter row until the transaction ends, so numbers are handed out one block at a
    time); a rolled-back transaction gives its numbers back, so numbers stay consecutive."""
    row = (Counter.update(value=Counter.value + count).where(Counter.name == NUMBER_COUNTER)
           .returning(Counter.value).execute())
    taken = [r.value - count for r in row]
    if not taken:
        Counter.insert(name=NUMBER_COUNTER, value=1001 + count).execute()
        taken = [1001]
    seq = taken[0]
    # A changed prefix could spell a number that already exists (INV-1 + 001 vs INV- + 1001):
    # skip forward, leaving a gap, rather than ever giving one number twice (R3).
    taken_seq = seq
    while count and _any_number_exists(prefix, seq, count):
        seq += 1
    if seq != taken_seq:
        Counter.update(value=seq + count).where(Counter.name == NUMBER_COUNTER).execute()
    return seq


def _any_number_exists(prefix: str, first: int, count: int) -> bool:
    if count > 1 and not Invoice.select().exists():
        return False  # nothing to collide with (a bulk load into an empty workspace)
    for lo in range(first, first + count, 500):
        numbers = [number_text(prefix, s) for s in range(lo, min(first + count, lo + 500))]
        if Invoice.select().where(Invoice.number.in_(numbers)).exists():
            return True
    return False


def _advance(name: str, first: int) -> int:
    """Take the next value of a counter (created at ``first``), under its row lock until the
    transaction ends (PostgreSQL) or inside BEGIN IMMEDIATE (SQLite)."""
    Counter.insert(name=name, value=first).on_conflict_ignore().execute()
    rows = Counter.update(value=Counter.value + 1).where(Counter.name == name).returning(Counter.value).execute()
    return [r.value - 1 for r in rows][0]


def _take_number(settings: WorkspaceSettings, invoice_date: dt.date) -> tuple[str, int]:
    """R3/R46: the next number of the invoice series, inside the caller's write transaction: the
    workspace counter gives ``number_seq`` (the order of all numbers); a pattern with ``{year}``
    numbers from its own yearly counter, restarting at 1 each year (of the invoice date). A
    rolled-back transaction gives both back, so a series has no gap."""
    from invoice_tui.domain.settings import render_number, yearly

    pattern = settings.number_pattern
    if pattern == settings.number_prefix + "{seq}":  # the plain prefix + counter of R3
        seq = take_numbers(settings.number_prefix, 1)
        return number_text(settings.number_prefix, seq), seq
    seq = _advance(NUMBER_COUNTER, 1001)  # the order of all numbers
    year = invoice_date.year
    shown = seq
    if yearly(pattern):
        shown = _advance(series_counter(year), 1)
    number = render_number(pattern, shown, year)
    if Invoice.select().where(Invoice.number == number).exists():
        raise RuleRefused(_("The number {number} of the series {pattern} is already given (the pattern changed back "
                            "to an "
                            "earlier one); choose a pattern that does not repeat numbers (R3).").format(number=number,
                                pattern=pattern),
                          code="invoice.number_taken", field="number_pattern")
    return number, seq


CREDIT_NOTE_COUNTER = "credit_note_number"
CREDIT_NOTE_PREFIX = "CN-"


def _take_credit_note_number(prefix: str = CREDIT_NOTE_PREFIX, on: dt.date | None = None) -> tuple[str, int]:
    """R36: a credit note's number from its own series — prefix ``CN-`` and the counter
    ``credit_note_number`` — with R3's guarantees: taken inside the issuing write transaction by
    one ``UPDATE … RETURNING`` (PostgreSQL: the counter row stays locked until the transaction
    ends; SQLite: the write lock is held), so concurrent issuers never share a number and a
    rolled-back issue gives its number back (no gap). Written with :func:`number_text`, as an
    invoice's number is (one place for the series' patterns).

    The workspace setting ``credit_note_pattern`` (R46; default ``CN-{seq}``) may give another
    form, e.g. ``AV-{year}-{seq:05}``: then ``cn_seq`` is the series' counter (the order of all
    credit notes) and a yearly pattern numbers from a counter of its own per year (``on``'s year)."""
    from invoice_tui.domain.settings import render_number, yearly

    pattern = load_settings().credit_note_pattern
    if pattern != prefix + "{seq}":
        seq = _advance(CREDIT_NOTE_COUNTER, 1)
        year = (on or dt.date.today()).year
        shown = _advance(f"{CREDIT_NOTE_COUNTER}:{year:04d}", 1) if yearly(pattern) else seq
        number = render_number(pattern, shown, year)
        if Invoice.select().where(Invoice.number == number).exists():
            raise RuleRefused(_("The number {number} of the series {pattern} is already given (the pattern changed "
                                "back to an earlier "
                                "one); choose a pattern that does not repeat numbers (R36).").format(number=number,
                                    pattern=pattern),
                              code="invoice.number_taken", field="credit_note_pattern")
        return number, seq
    rows = (Counter.update(value=Counter.value + 1).where(Counter.name == CREDIT_NOTE_COUNTER)
            .returning(Counter.value).execute())
    taken = [r.value - 1 for r in rows]
    if not taken:  # a workspace whose counter row is missing (seeded by migration 0016)
        Counter.insert(name=CREDIT_NOTE_COUNTER, value=1).on_conflict_ignore().execute()
        rows = (Counter.update(value=Counter.value + 1).where(Counter.name == CREDIT_NOTE_COUNTER)
                .returning(Counter.value).execute())
        taken = [r.value - 1 for r in rows]
    seq = taken[0]
    while Invoice.select().where(Invoice.number == number_text(prefix, seq)).exists():
        seq += 1  # never give a number twice (an imported or renamed series), leaving a gap
        Counter.update(value=seq + 1).where(Counter.name == CREDIT_NOTE_COUNTER).execute()
    return number_text(prefix, seq), seq


@dataclass
class _FinalizePlan:
    """Everything finalize reads and checks, prepared outside the write lock."""

    inv: Invoice  # the draft as read, its totals recomputed (R18)
    version: int
    parts: SnapshotParts
    before: dict[str, Any]
    settings: WorkspaceSettings


class _DraftChanged(Exception):
    """The draft changed between reading it and writing (its version moved on)."""


def _plan_finalize(ctx: Context, ref: str | int, expected_version: int | None) -> _FinalizePlan:
    inv = get_invoice(ref)
    settings = _settings_ctx(ctx)
    refuse_credit_note(inv, "finalized as an invoice; issue it instead")
    if inv.status != "draft":
        raise RuleRefused(_("{number} is already finalized.").format(number=inv.number))
    if expected_version is not None and inv.version != expected_version:
        raise Conflict(_("This draft changed since you opened it; reload it and try again."))
    parts = SnapshotParts.load(inv, ctx.user)
    before = snapshot(inv, parts)
    totals = _store_totals(inv, parts)
    _check_finalizable(inv, parts.lines)
    check_legal(inv, settings, parts)
    from invoice_tui.domain.einvoice_build import check_at_finalize  # R45: an invalid e-invoice is never issued

    check_at_finalize(inv, settings, totals, line_specs(inv, parts.lines), preview_number())
    return _FinalizePlan(inv=inv, version=inv.version, parts=parts, before=before, settings=settings)


def _write_finalize(ctx: Context, plan: _FinalizePlan) -> Invoice:
    """The write: a handful of statements under the lock. The draft is updated only if its version
    is still the one planned from (else ``_DraftChanged`` rolls everything back, number included)."""
    inv, parts, settings = plan.inv, plan.parts, plan.settings
    check_chronological(ctx, inv)
    inv.number, inv.number_seq = _take_number(settings, inv.invoice_date)
    _lock_strict(ctx, settings)
    inv.link_token = secrets.token_urlsafe(24)
    # R2 as R35 amends it: an invoice billing exactly 0 may be finalized; nothing is due on it, so
    # it is settled at once (paid today), never open and later "overdue".
    inv.status = "open" if inv.balance_minor > 0 else "paid"
    if inv.status == "paid":
        inv.payment_date = ctx.today()
    inv.finalized_at = inv.updated_at = ctx.now()
    if inv.due_date is None:
        inv.due_date = inv.invoice_date + dt.timedelta(days=settings.payment_terms_days)
    inv.contact_name = parts.contact.display_name if parts.contact else ""
    inv.contact_email = parts.contact.email if parts.contact else ""
    inv.company_name = parts.company.name if parts.company else ""
    inv.owner_name = (parts.owner.name or parts.owner.login) if parts.owner else ""
    inv.version = plan.version + 1
    written = (Invoice.update(
        number=inv.number, number_seq=inv.number_seq, link_token=inv.link_token, status=inv.status,
        payment_date=inv.payment_date,
        finalized_at=inv.finalized_at, updated_at=inv.updated_at, due_date=inv.due_date, version=inv.version,
        paid_minor=inv.paid_minor, subtotal_minor=inv.subtotal_minor, discount_minor=inv.discount_minor,
        fee_minor=inv.fee_minor, tax_minor=inv.tax_minor, billed_minor=inv.billed_minor,
        balance_minor=inv.balance_minor, contact_name=inv.contact_name, contact_email=inv.contact_email,
        company_name=inv.company_name, owner_name=inv.owner_name)
        .where((Invoice.id == inv.id) & (Invoice.version == plan.version) & (Invoice.status == "draft"))
        .execute())
    if written != 1:
        raise _DraftChanged
    plan_reminders(inv, ctx, settings, existing={})
    history.append(
        property_change=history.change_rows(ctx, "invoice", inv.id, inv.number, plan.before, snapshot(inv, parts)),
        activity=[history.activity_row(ctx, inv.id, inv.number, "finalized", f"Finalized as {inv.number}")])
    if settings.send_on_finalize and inv.status == "open":  # R50: the email goes through the outbox
        from invoice_tui.domain.sends import plan_send

        plan_send(ctx, inv, ctx.today())
    return inv


@retry_busy
def finalize_invoice(ctx: Context, ref: str | int, expected_version: int | None = None) -> Invoice:
    """R2: needs a billing contact, a line and billed ≥ 0 (R35); freezes currency and number (R3) and
    creates the link token; plans reminders (R33).

    Reading and checking happen before the write lock is taken, and the write is a conditional
    update on the draft's version (R7's optimistic check), so concurrent finalizations hold the
    lock for a few statements each. A draft edited in between is read again (or, when the caller
    gave ``expected_version``, refused with a conflict)."""
    require(ctx, "finalize")
    if in_transaction():  # called inside a larger write: one transaction, no retry
        return _write_finalize(ctx, _plan_finalize(ctx, ref, expected_version))
    for _attempt in range(5):
        with read_tx():
            plan = _plan_finalize(ctx, ref, expected_version)
        try:
            with write_tx():
                return _write_finalize(ctx, plan)
        except _DraftChanged:
            if expected_version is not None:
                raise Conflict(_("This draft changed since you opened it; reload it and try again.")) from None
    raise Conflict(_("This draft keeps changing while it is being finalized; try again in a moment."))


# ---- R14: clone ------------------------------------------------------------------------------
_LINE_COPY = [f for f in LineItem._meta.sorted_field_names if f not in ("id", "invoice")]
_ADJUSTMENT_COPY = [f for f in Adjustment._meta.sorted_field_names if f not in ("id", "invoice")]

def copy_contents(src: Invoice, inv: Invoice) -> None:
    """Copy ``src``'s lines, adjustments, contacts and companies onto the new draft ``inv`` (a clone,
    or the invoice that offsets a credit note)."""
    for li in src.lines.order_by(LineItem.position):
        LineItem.create(invoice=inv, **{f: getattr(li, f) for f in _LINE_COPY})
    for a in src.adjustments:
        Adjustment.create(invoice=inv, **{f: getattr(a, f) for f in _ADJUSTMENT_COPY})
    for link in src.contact_links:
        InvoiceContact.create(invoice=inv, contact=link.contact_id)
    for link in src.company_links:
        InvoiceCompany.create(invoice=inv, company=link.company_id)


# R43's fields a clone keeps (the same customer relationship: what kind of supply, why no VAT, the
# buyer's reference, where it is delivered); not the delivery date nor the EUR rate, the new
# invoice's own (finalize asks for the rate of a French seller's invoice in another currency).
CLONED_LEGAL = ("operation_category", "exemption_reasons", "buyer_reference", "delivery_address")


def legal_fields(source: Invoice, names: tuple[str, ...] = _LEGAL_HEAD) -> dict[str, Any]:
    """R43's fields of ``source`` (all of them by default), for a document made from it: a credit
    note or an offsetting draft is the same supply and keeps them all — without the EUR rate a
    French seller's credit note in another currency could not be issued (BR-FR-CO-12), nor say
    why its VAT is not charged (BT-120); a clone keeps :data:`CLONED_LEGAL`."""
    return {name: getattr(source, name) for name in names}


@mutation
def clone_invoice(ctx: Context, ref: str | int) -> Invoice:
    require(ctx, "clone")
    src = get_invoice(ref)
    refuse_credit_note(src, "cloned")
    settings = _settings_ctx(ctx)
    today = ctx.today()
    now = ctx.now()
    inv = Invoice.create(
        currency=src.currency, exponent=src.exponent, locale=src.locale, invoice_date=today,
        due_date=today + dt.timedelta(days=settings.payment_terms_days), owner=ctx.user.id if ctx.user else None,
        billing_contact=src.billing_contact_id, company=src.company_id, po_number=src.po_number,
        title=src.title, comments=src.comments, allow_partial=src.allow_partial, origin="clone",  # issue 24: title
        cloned_from=src.id, status="draft", version=1, created_at=now, updated_at=now,
        **legal_fields(src, CLONED_LEGAL))
    copy_contents(src, inv)
    _store_totals(inv)
    _save(inv, ctx, bump=False)
    label = src.number or f"draft #{src.id}"
    _history(ctx, inv, None, "cloned", f"Cloned from {label}")
    history.add_activity(ctx, src.id, src.number, "cloned_to", f"Cloned to draft #{inv.id}")
    return inv


# ---- R13: void -------------------------------------------------------------------------------
def check_void(ctx: Context, inv: Invoice) -> None:
    require(ctx, "void")
    refuse_credit_note(inv, "voided")
    check_strict(_settings_ctx(ctx), inv, "voided")
    credit_notes = [n for (n,) in Invoice.select(Invoice.number).where(
        (Invoice.refers_to == inv.id) & (Invoice.doc_type == "credit_note")).order_by(Invoice.id).tuples()]
    if credit_notes:  # R37: an invoice with a credit note is not voided
        names = ", ".join(n or _("a draft credit note") for n in credit_notes)
        raise RuleRefused(_("{number} has a credit note ({names}); an invoice with a credit note cannot be voided "
                            "(R37).").format(number=inv.number, names=names), code="invoice.has_credit_note",
                                details={"invoice": inv.number})
    if inv.status == "voided":
        raise RuleRefused(_("{number} is already "
                            "voided; voiding is irreversible and happens once (R13).").format(number=inv.number),
                          code="invoice.voided", details={"invoice": inv.number})
    if inv.status == "draft":
        raise RuleRefused(_("A draft cannot be voided; delete it instead (R4)."))
    if inv.status == "paid":
        raise RuleRefused(_("{number} is paid; a paid invoice cannot be voided (R5).").format(number=inv.number))
    online = Payment.select().where((Payment.invoice == inv) & (Payment.source == "online"))
    if online.where(Payment.ever_succeeded | Payment.state.in_(["succeeded", "refunded"])).exists():
        raise RuleRefused(_("An online payment succeeded on this invoice (even if refunded); it cannot be voided "
                            "(R13)."))
    if online.where(Payment.state.in_(["processing", "requires_action"])).exists():
        raise RuleRefused(_("An online payment is processing on this invoice; wait until it completes (R13)."))
    if Payment.select().where((Payment.invoice == inv) & (Payment.source == "manual")).exists():
        raise RuleRefused(_("This invoice has a payment; delete the payment before voiding (R13)."))


@mutation
def void_invoice(ctx: Context, ref: str | int) -> Invoice:
    inv = get_invoice(ref, for_update=True)
    check_void(ctx, inv)
    before = snapshot(inv)
    inv.status = "voided"
    inv.balance_minor = 0  # R18: a voided invoice's balance is 0 (index, page, export, JSON, PDF)
    drop_reminders(inv)
    _save(inv, ctx)
    _history(ctx, inv, before, "voided", f"{inv.number} voided")
    return inv


# ---- R12: delete -----------------------------------------------------------------------------
def check_delete(ctx: Context, inv: Invoice, settings: WorkspaceSettings) -> None:
    if inv.doc_type == "credit_note" and inv.status != "draft":
        refuse_credit_note(inv, "deleted once issued")
    if inv.status == "draft":
        require(ctx, "delete_draft")
        return
    check_strict(settings, inv, "deleted")
    if inv.status == "paid":
        raise RuleRefused(_("{number} is paid; paid invoices can never be deleted (R12).").format(number=inv.number))
    if inv.status == "voided":
        raise RuleRefused(_("{number} is voided; voided invoices are kept (R5).").format(number=inv.number),
                                code="invoice.voided",
                          details={"invoice": inv.number})
    if not settings.allow_delete_unpaid:
        raise RuleRefused(_("Deleting finalized invoices is off for this workspace; a super admin can turn on the "
                            "setting allow_delete_unpaid."))
    require(ctx, "delete_finalized")
    if Payment.select().where(Payment.invoice == inv).exists():
        raise RuleRefused(_("This invoice has a payment; invoices with payments cannot be deleted (R12)."))
    if inv.credited_minor or Invoice.select().where(Invoice.refers_to == inv.id).exists():
        raise RuleRefused(_("{number} has a credit "
                            "note or credit applied; it cannot be deleted (R12, R37).").format(number=inv.number),
                          code="invoice.has_credit_note", details={"invoice": inv.number})


@mutation
def delete_invoice(ctx: Context, ref: str | int) -> str:
    """R12: permanent; the number (if any) leaves a gap that is never filled (R3). History stays."""
    inv = get_invoice(ref, for_update=True)
    settings = _settings_ctx(ctx)
    check_delete(ctx, inv, settings)
    before = snapshot(inv)
    label = inv.number or f"draft #{inv.id}"
    after = {k: None for k in before}
    history.record_changes(ctx, "invoice", inv.id, inv.number, before, after)
    history.add_activity(ctx, inv.id, inv.number, "deleted", f"{label} deleted")
    Payment.update(invoice=None).where(Payment.invoice == inv).execute()  # drafts may hold none; be safe
    inv.delete_instance(recursive=False)
    return label


# ---- R33: reminders (planning; sending lives in mail/) ---------------------------------------
def _offsets(settings: WorkspaceSettings) -> list[int]:
    out = []
    for part in settings.reminder_offsets.split(","):
        part = part.strip()
        if part:
            out.append(int(part))
    return sorted({o for o in out if abs(o) <= 3650})  # R56: a stored offset beyond the bound plans nothing


def plan_reminders(inv: Invoice, ctx: Context, settings: WorkspaceSettings | None = None,
                   existing: dict[int, Reminder] | None = None) -> None:
    """Plan upcoming reminders for an open invoice with a balance; deleted ones stay deleted.

    ``existing`` (offset → reminder) saves the read when the caller knows them (none, when
    finalizing: a draft never has reminders)."""
    settings = settings or load_settings()
    if inv.status != "open" or inv.balance_minor <= 0 or inv.due_date is None:
        return
    today = ctx.today()
    if existing is None:
        existing = {r.offset_days: r for r in Reminder.select().where(Reminder.invoice == inv)}
    new = []
    for off in _offsets(settings):
        due_on = inv.due_date + dt.timedelta(days=off)
        known = existing.get(off)
        if known is None:
            if due_on >= today:
                new.append({"invoice": inv.id, "offset_days": off, "due_on": due_on, "state": "planned"})
        elif known.state in ("planned", "dropped") and due_on >= today:
            known.due_on, known.state = due_on, "planned"
            known.save()
    if new:
        Reminder.insert_many(new).execute()


def replan_reminders(inv: Invoice, ctx: Context) -> None:
    """R6: a changed due date moves the upcoming reminders (deleted ones stay deleted)."""
    Reminder.update(state="dropped").where((Reminder.invoice == inv) & (Reminder.state == "planned")).execute()
    plan_reminders(inv, ctx)


def drop_reminders(inv: Invoice) -> None:
    """R8/R13: a paid or voided invoice gets no reminder."""
    Reminder.update(state="dropped").where((Reminder.invoice == inv) & (Reminder.state == "planned")).execute()


_REMINDER_NOT_UPCOMING = {
    "sending": N_("Reminder {reminder_id} is being sent; only upcoming reminders can be deleted."),
    "sent": N_("Reminder {reminder_id} is sent; only upcoming reminders can be deleted."),
    "deleted": N_("Reminder {reminder_id} is deleted; only upcoming reminders can be deleted."),
    "dropped": N_("Reminder {reminder_id} is dropped; only upcoming reminders can be deleted."),
}


@mutation
def delete_reminder(ctx: Context, reminder_id: int) -> Reminder:
    require(ctx, "reminders")
    r = Reminder.get_or_none(Reminder.id == reminder_id)
    if r is None:
        raise NotFound(_("No reminder {reminder_id}.").format(reminder_id=reminder_id))
    if r.state != "planned":
        sentence = _REMINDER_NOT_UPCOMING.get(r.state, N_("Reminder {reminder_id} is {state}; only upcoming "
                                                          "reminders can be deleted."))
        raise RuleRefused(_(sentence).format(reminder_id=reminder_id, state=r.state))
    r.state = "deleted"
    r.save()
    inv = r.invoice
    history.add_activity(ctx, inv.id, inv.number, "reminder_deleted",
                         f"Reminder of {r.due_on.isoformat()} ({r.offset_days:+d} days) deleted")
    return r


def upcoming_reminders(inv: Invoice) -> list[Reminder]:
    return list(Reminder.select().where((Reminder.invoice == inv) & (Reminder.state == "planned"))
                .order_by(Reminder.due_on))


# ---- R16: activities -------------------------------------------------------------------------
@mutation
def add_note(ctx: Context, ref: str | int, text: str) -> Activity:
    require(ctx, "activity")
    inv = get_invoice(ref)
    try:
        text = clean(text, what=pgettext("subject", "Note"), multiline=True, max_length=5000)
    except ValueError as exc:
        raise BadInput(str(exc) + ".", field="text") from None
    if not text.strip():
        raise BadInput(_("A note needs some text."), field="text")
    return history.add_activity(ctx, inv.id, inv.number, "note", text)


@mutation
def add_task(ctx: Context, ref: str | int, text: str, due: dt.date | None = None) -> Activity:
    require(ctx, "activity")
    inv = get_invoice(ref)
    try:
        text = clean(text, what=pgettext("subject", "Task"), max_length=500)
    except ValueError as exc:
        raise BadInput(str(exc) + ".", field="text") from None
    if not text:
        raise BadInput(_("A task needs some text."), field="text")
    check_date(due, N_("a task's due date"), field="due")  # R56
    return history.add_activity(ctx, inv.id, inv.number, "task", text, due_date=due)


@mutation
def complete_task(ctx: Context, task_id: int) -> Activity:
    require(ctx, "activity")
    task = Activity.get_or_none((Activity.id == task_id) & (Activity.kind == "task"))
    if task is None:
        raise NotFound(_("No task {task_id}.").format(task_id=task_id))
    if Activity.select().where((Activity.kind == "task_done") & (Activity.ref_id == task_id)).exists():
        raise RuleRefused(_("This task is already done."))
    return history.add_activity(ctx, task.invoice_id, task.invoice_number, "task_done",
                                f"Done: {task.text}", ref_id=task_id)


def activities(invoice_id: int, search: str = "") -> list[Activity]:
    """R16: the history card, newest first; ``search`` matches text, kind and user in any case.

    One invoice's history is short, so the search runs in Python: full Unicode case folding
    ("ÉCHÉANCE" finds "échéance"), the same on SQLite (whose LIKE folds ASCII only) and PostgreSQL."""
    rows = list(Activity.select().where(Activity.invoice_id == invoice_id).order_by(Activity.id.desc()))
    needle = search.strip().casefold()
    if needle:
        rows = [a for a in rows if needle in f"{a.text}\n{a.kind}\n{a.user_login}".casefold()]
    return rows


def done_task_ids(invoice_id: int) -> set[int]:
    return {a.ref_id for a in Activity.select(Activity.ref_id).where(
        (Activity.invoice_id == invoice_id) & (Activity.kind == "task_done"))}


def property_history(invoice_id: int, prop: str | None = None) -> list[history.Entry]:
    """R15: property changes of an invoice, oldest first, optionally of one property; its
    creation shown property by property (``Entry.created``)."""
    return history.entries("invoice", invoice_id, prop)


# ---- R8/R13: may a payment be collected now ---------------------------------------------------
def check_collectable(inv: Invoice) -> None:
    """Raise unless a payment may be recorded or applied on ``inv`` now (R8, R13): a finalized,
    open invoice with something due. The record-payment action of the menu and the payment
    services refuse with these same sentences."""
    if inv.doc_type == "credit_note":
        raise RuleRefused(_("{value} is "
                            "a credit note; payments are recorded on invoices (R42).").format(value=draft_label(inv,
                                credit_note=True)), code="credit_note.no_payment")
    if inv.status == "voided":
        raise RuleRefused(_("{number} is voided; no payment can be collected on it (R13).").format(number=inv.number),
                          code="invoice.voided", details={"invoice": inv.number})
    if inv.status == "paid":
        raise RuleRefused(_("{number} is already paid.").format(number=inv.number), code="invoice.paid",
                                details={"invoice": inv.number})
    if inv.status != "open":
        raise RuleRefused(_("Payments are recorded on finalized invoices; finalize the draft first."),
                          code="invoice.draft")
    if inv.balance_minor <= 0:
        raise RuleRefused(_("Nothing is due on this invoice."), code="invoice.nothing_due",
                          details={"invoice": inv.number})


def check_record_payment(ctx: Context, inv: Invoice) -> None:
    """R8/R17: may ``ctx`` record a payment on ``inv`` now."""
    require(ctx, "record_payment")
    check_collectable(inv)


def check_partial_payment(inv: Invoice) -> None:
    """R8: an amount below the balance due only when the invoice allows partial payments."""
    if not inv.allow_partial:
        cur = inv.currency
        raise RuleRefused(_("This invoice does not allow partial payments; the amount must be the balance due, "
                            "{amount} {cur} (R8).").format(amount=plain(from_minor(inv.balance_minor, cur)), cur=cur),
                                field="amount",
                          code="payment.partial_not_allowed",
                          details={"balance_minor": inv.balance_minor, "currency": cur})


# ---- refusals before the choice: which fields may change now, and why not (issue 19) ----------
@dataclass(frozen=True)
class FieldState:
    """Whether a field of the invoice may be changed now; if not, the rule's sentence. The editor,
    the invoice's cards and the record-payment form show a disabled field with this reason before
    the user picks anything; the write services refuse with the same checks (one home per rule)."""

    id: str
    enabled: bool
    reason: str = ""
    error: InvoiceTuiError | None = None


# owner, contacts, companies: the associations (cards of the invoice screen, pickers of the editor);
# currency (R2); partial_amount: an amount below the balance in the record-payment form (R8)
FIELDS = ("owner", "contacts", "companies", "currency", "partial_amount")


def field_states(ctx: Context, inv: Invoice, settings: WorkspaceSettings | None = None) -> dict[str, FieldState]:
    """Each of ``FIELDS``: enabled, or disabled with the reason the write service would give."""
    settings = settings or _settings_ctx(ctx)

    def state(fid: str, *checks) -> FieldState:
        try:
            for check in checks:
                check()
        except (RuleRefused, BadInput) as exc:
            return FieldState(fid, False, exc.message, exc)
        return FieldState(fid, True)

    def edit() -> None:
        check_edit(ctx, inv, settings)

    out = {f: state(f, edit) for f in ("owner", "contacts", "companies")}
    out["currency"] = state("currency", edit, lambda: check_currency_change(inv))
    out["partial_amount"] = state("partial_amount", lambda: check_collectable(inv), lambda: check_partial_payment(inv))
    return out


# ---- R4/R5: the actions menu -----------------------------------------------------------------
@dataclass(frozen=True)
class ActionState:
    id: str
    label: str
    enabled: bool
    reason: str = ""
    error: InvoiceTuiError | None = None  # the refusal as a value (code, fields, details), when a rule gave it


_DRAFT_ACTIONS = ("edit", "finalize", "property_history", "clone", "delete")
_STATUS_ACTIONS = {
    "open": ("edit", "record_payment", "view_invoice", "property_history", "copy_link", "send_email",
             "download_pdf", "edit_reminders", "charge", "clone", "delete", "void"),
    "paid": ("view_invoice", "property_history", "copy_link", "send_email", "download_pdf", "clone"),
    "voided": ("view_invoice", "property_history", "copy_link", "download_pdf", "clone"),
}
# R36–R42: a finalized invoice is corrected by a credit note (open and paid invoices); a credit note
# is issued or deleted while a draft, and only viewed, sent and downloaded once issued (R38).
_CORRECTION_ACTIONS = ("credit_note", "cancel_replace")
_CREDIT_NOTE_ACTIONS = {
    "draft": ("issue", "property_history", "delete"),
    "issued": ("view_invoice", "property_history", "copy_link", "send_email", "download_pdf"),
}
ACTION_LABELS = {  # marked here, translated where shown by ``action_label`` ("Void" in the sense "action")
    "edit": N_("Edit"), "finalize": N_("Finalize"), "record_payment": N_("Record payment"),
    "view_invoice": N_("View invoice"), "property_history": N_("View property history"),
    "copy_link": N_("Copy link"), "send_email": N_("Send by email"), "download_pdf": N_("Download PDF"),
    "edit_reminders": N_("Edit reminders"), "charge": N_("Charge saved payment method"), "clone": N_("Clone"),
    "delete": N_("Delete"), "void": "Void", "credit_note": N_("Create credit note"),
    "cancel_replace": N_("Cancel and replace"), "issue": N_("Issue credit note"),
}
# Actions whose machinery is built elsewhere register themselves here (id → reason it is missing).
UNAVAILABLE: dict[str, str] = {}


def action_label(action: str) -> str:
    """An action's label in the reader's language."""
    label = ACTION_LABELS.get(action, action)
    return pgettext("action", "Void") if action == "void" else _(label)


def available_actions(ctx: Context, inv: Invoice) -> list[ActionState]:
    """Exactly R4's actions for a draft and R5's for the status, each enabled or with the reason."""
    settings = _settings_ctx(ctx)
    if inv.doc_type == "credit_note":
        ids = _CREDIT_NOTE_ACTIONS.get(inv.status, ())
    else:
        ids = _DRAFT_ACTIONS if inv.status == "draft" else _STATUS_ACTIONS[inv.status]
        if inv.status in ("open", "paid"):
            ids = ids + _CORRECTION_ACTIONS
    out = []
    for action in ids:
        reason = ""
        error = None
        try:
            if action in UNAVAILABLE:
                reason = UNAVAILABLE[action]
            elif action == "edit":
                check_edit(ctx, inv, settings)
            elif action == "finalize":
                require(ctx, "finalize")
                _check_finalizable(inv)
                check_legal(inv, settings)
            elif action == "record_payment":
                check_record_payment(ctx, inv)
            elif action == "charge":
                check_charge(ctx, inv)
            elif action in ("send_email", "edit_reminders"):
                require(ctx, "send" if action == "send_email" else "reminders")
            elif action == "clone":
                require(ctx, "clone")
            elif action == "delete":
                check_delete(ctx, inv, settings)
            elif action == "void":
                check_void(ctx, inv)
            elif action in ("credit_note", "cancel_replace", "issue"):
                require(ctx, "credit_note")
                if action == "cancel_replace":
                    require(ctx, "clone")
                if action != "issue":
                    from invoice_tui.domain.credit_records import creditable_minor

                    if creditable_minor(inv) <= 0:
                        reason = _("{number} is credited in full already (R37).").format(number=inv.number)
                    elif action == "cancel_replace" and creditable_minor(inv) < inv.billed_minor:
                        reason = _("{number} has a credit note already; cancel and replace needs a full one "
                                   "(R41).").format(number=inv.number)
        except (RuleRefused, BadInput) as exc:
            reason, error = exc.message, exc
        out.append(ActionState(action, action_label(action), not reason, reason, error))
    return out


# ---- listing ---------------------------------------------------------------------------------
def invoice_payments(inv: Invoice) -> list[Payment]:
    return list(Payment.select().where(Payment.invoice == inv).order_by(Payment.date, Payment.id))


def may(ctx: Context, permission: str) -> bool:
    return has(ctx, permission)


# ---- R52: an invoice or credit note issued elsewhere ----------------------------------------------
IMPORT_STATUSES = ("draft", "open", "paid", "voided", "issued")


@mutation
def import_document(ctx: Context, data: InvoiceInput | dict, *, number: str = "", status: str = "draft",
                    doc_type: str = "invoice", refers_to: str = "", reason: str = "", source: str = "") -> Invoice:
    """R52: a document issued by another tool, created by :func:`_new_document` as
    :func:`create_invoice` creates a draft (the same checks, children and R18 totals; origin
    ``import``), with its original number and status, and one creation row of its whole snapshot
    plus an ``imported`` activity saying where it came from.

    Decisions: an imported number is kept as it was, outside the workspace series (``number_seq``
    stays NULL: the counter is not moved, R57's chronology check reads the series only, and the
    series skips any number an import already holds, R3). An imported document is a record of
    what was issued: it is not re-checked against the finalize rules (R2, R43, R45), and no
    reminder is planned for it (an old open invoice would otherwise send its overdue reminders at
    once). A ``paid`` invoice is open until its payments are imported (they settle it through
    ``payments.apply_payment``), unless nothing is due on it."""
    status, number, ref_id, reason = _import_checks(
        doc_type, status, number, refers_to, reason,
        taken=lambda n: Invoice.select().where(Invoice.number == n).exists(),
        find=lambda n: getattr(Invoice.get_or_none(Invoice.number == n), "id", None))
    raw = data.model_dump(exclude_unset=True) if isinstance(data, BaseModel) else dict(data)
    raw["origin"] = "import"

    def issued(inv: Invoice) -> None:
        _mark_imported(ctx, inv, raw, doc_type, status, number, ref_id, reason)

    inv = _new_document(ctx, raw, issued)
    _history(ctx, inv, None, "imported", imported_text(number, source))
    return inv


def imported_text(number: str, source: str) -> str:
    """R52: the text of an imported document's ``imported`` activity."""
    text = f"Imported as {number}" if number else "Imported as a draft"
    return text + (f" from {source}" if source else "")


def _import_checks(doc_type: str, status: str, number: str, refers_to: str, reason: str, *,
                   taken: Callable[[str], bool], find: Callable[[str], int | None]
                   ) -> tuple[str, str, int | None, str]:
    """R52: an imported document's type, status and number checked, in this order, for one
    document (:func:`import_document`) or many (:class:`invoice_tui.domain.import_bulk.Batch`):
    (status, number, id of the invoice a credit note corrects, reason). ``taken``: whether a
    number is held already; ``find``: an invoice's id by its number."""
    if doc_type not in ("invoice", "credit_note"):
        raise BadInput(_("'{doc_type}' is not a document type; use invoice or credit note.").format(doc_type=doc_type),
                             field="type")
    if doc_type == "credit_note" and status == "open":
        status = "issued"  # a credit note is issued (R36); another tool may call it open
    allowed = ("draft", "issued") if doc_type == "credit_note" else ("draft", "open", "paid", "voided")
    if status not in allowed:
        sentence = (_("'{status}' is not a status of a credit note; use {allowed}.") if doc_type == "credit_note"
                    else _("'{status}' is not a status of an invoice; use {allowed}."))
        raise BadInput(sentence.format(status=status, allowed=", ".join(allowed)), field="status")
    number = (number or "").strip()
    if status == "draft" and number:
        raise BadInput(_("A draft has no number; {number} is given for a draft.").format(number=number), field="number")
    if status != "draft" and not number:
        raise BadInput(_("An issued document ({status}) needs its number.").format(status=status), field="number")
    if number and taken(number):
        raise RuleRefused(_("The number {number} "
                            "already exists in this workspace; a number is given once (R3).").format(number=number),
                          field="number", code="import.number_taken", details={"number": number})
    ref_id = None
    if doc_type == "credit_note":
        ref_id = find((refers_to or "").strip()) if refers_to else None
        if ref_id is None:
            raise NotFound(_("A credit note corrects an invoice; no invoice numbered '{refers_to}' is in the "
                             "workspace or earlier in the file.").format(refers_to=refers_to), field="refers_to")
    reason = clean(reason or "", what=pgettext("subject", "Reason"), multiline=True, max_length=2000)
    return status, number, ref_id, reason


def _mark_imported(ctx: Context, inv: Invoice, raw: dict, doc_type: str, status: str, number: str,
                   ref_id: int | None, reason: str, token: Callable[[], str] | None = None) -> None:
    """R52: an imported document's type, number and status, before its totals are stored.
    ``token``: a new link token, as ``secrets.token_urlsafe(24)`` makes it (the bulk import draws
    them from one pool of random bytes)."""
    if doc_type == "credit_note" and raw.get("due_date") is None:
        inv.due_date = None  # a credit note is not due
    inv.doc_type = doc_type
    inv.refers_to = ref_id
    inv.reason = reason
    if number:
        inv.number = number
        inv.link_token = secrets.token_urlsafe(24) if token is None else token()
        inv.finalized_at = ctx.now()
    inv.status = "open" if status == "paid" else status
