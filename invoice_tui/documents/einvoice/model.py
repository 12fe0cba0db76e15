"""The e-invoice as EN 16931 describes it (R44): one value, from which the CII and the UBL writers,
the Factur-X PDF and the round-trip checks all read.

It holds the parties and references the invoice's legal data gives, and the amounts the totals
engine computed (:func:`invoice_tui.domain.totals.compute_totals`): the writers never compute an
amount of their own, so the structured data and the visible PDF cannot disagree. Business terms
(BT-…) and groups (BG-…) are named beside each field."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from invoice_tui.domain.money import exponent
from invoice_tui.domain.totals import LineCharge, LineSpec, Totals, line_amounts

INVOICE = "380"  # UNTDID 1001: commercial invoice
CREDIT_NOTE = "381"  # credit note
EN16931 = "urn:cen.eu:en16931:2017"  # BT-24, the specification identifier
EXEMPT_CATEGORIES = ("E", "AE", "K", "G", "O")  # BR-E-10, BR-AE-10, …: an exemption reason is required


@dataclass(frozen=True)
class Address:
    """BG-5 / BG-8 / BG-15: street lines, postcode, city and ISO 3166 alpha-2 country."""

    lines: tuple[str, ...] = ()
    postcode: str = ""
    city: str = ""
    country: str = ""


@dataclass(frozen=True)
class Party:
    """The seller (BG-4) or the buyer (BG-7)."""

    name: str  # BT-27 / BT-44: the legal name
    address: Address = field(default_factory=Address)
    trading_name: str = ""  # BT-28 / BT-45
    legal_id: str = ""  # BT-30 / BT-47: SIREN in France
    legal_id_scheme: str = ""  # ISO 6523: 0002 for a SIREN
    vat_id: str = ""  # BT-31 / BT-48
    tax_registration: str = ""  # BT-32: a local tax number (Steuernummer), the seller only
    electronic_address: str = ""  # BT-34 / BT-49
    electronic_scheme: str = ""  # its scheme: 0225 for a SIREN in France, EM for an email
    email: str = ""  # BT-43 / BT-58, the contact's email
    legal_form: str = ""  # BT-33: legal form, share capital, register (French mentions)


@dataclass(frozen=True)
class VatGroup:
    """BG-23: one per VAT category and rate."""

    category: str  # BT-118, UNTDID 5305
    rate: Decimal  # BT-119
    basis: Decimal  # BT-116
    tax: Decimal  # BT-117
    exemption_reason: str = ""  # BT-120
    exemption_code: str = ""  # BT-121 (VATEX)


@dataclass(frozen=True)
class AllowanceCharge:
    """A document-level allowance (BG-20) or charge (BG-21), or a line's (BG-27, BG-28)."""

    charge: bool
    amount: Decimal
    reason: str
    category: str = "S"  # document level only: BT-95 / BT-102
    rate: Decimal = Decimal(0)
    percent: Decimal | None = None  # BT-94 / BT-101 with its base amount
    base: Decimal | None = None


@dataclass(frozen=True)
class Line:
    """BG-25."""

    id: str  # BT-126
    name: str  # BT-153
    quantity: Decimal  # BT-129
    unit_code: str  # BT-130
    net_price: Decimal  # BT-146
    base_quantity: Decimal  # BT-149
    net_amount: Decimal  # BT-131
    category: str  # BT-151
    rate: Decimal  # BT-152
    description: str = ""  # BT-154
    allowances_charges: tuple[AllowanceCharge, ...] = ()


@dataclass(frozen=True)
class Note:
    """BG-1: a free text with its subject code (UNTDID 4451): PMT, PMD and AAB for the French
    payment mentions, BAR for the French buyer kind (B2B, B2BINT, B2C)."""

    text: str
    subject: str = ""


@dataclass(frozen=True)
class EInvoice:
    type_code: str  # BT-3: 380 or 381
    number: str  # BT-1
    issue_date: dt.date  # BT-2
    currency: str  # BT-5
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    vat_groups: tuple[VatGroup, ...]
    allowances_charges: tuple[AllowanceCharge, ...] = ()
    line_total: Decimal = Decimal(0)  # BT-106
    allowance_total: Decimal = Decimal(0)  # BT-107
    charge_total: Decimal = Decimal(0)  # BT-108
    tax_basis_total: Decimal = Decimal(0)  # BT-109
    tax_total: Decimal = Decimal(0)  # BT-110
    grand_total: Decimal = Decimal(0)  # BT-112
    prepaid: Decimal = Decimal(0)  # BT-113
    due_payable: Decimal = Decimal(0)  # BT-115
    tax_currency: str = ""  # BT-6: EUR for a French seller billing in another currency
    tax_total_in_tax_currency: Decimal | None = None  # BT-111
    business_process: str = ""  # BT-23: the French billing frame (B1, S1, M1, …)
    buyer_reference: str = ""  # BT-10
    order_reference: str = ""  # BT-13
    preceding_number: str = ""  # BT-25: the invoice a credit note corrects
    preceding_date: dt.date | None = None  # BT-26
    delivery_date: dt.date | None = None  # BT-72
    delivery_address: Address | None = None  # BG-15 (its country BT-80: required for an intra-EU supply)
    due_date: dt.date | None = None  # BT-9
    payment_terms: str = ""  # BT-20
    payment_means_code: str = ""  # BT-81 (UNTDID 4461): 30 credit transfer, 58 SEPA, 48 card…
    iban: str = ""  # BT-84
    bic: str = ""  # BT-86
    notes: tuple[Note, ...] = ()

    @property
    def decimals(self) -> int:
        return exponent(self.currency)


def _amount(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places))


def lines_from_specs(specs: list[LineSpec] | tuple[LineSpec, ...], currency: str) -> tuple[Line, ...]:
    """BG-25 from the engine's lines: each net is the engine's (rounded once); each allowance and
    charge is its amount at the currency's decimals, the line discount first."""
    places = exponent(currency)
    out = []
    for i, spec in enumerate(specs, start=1):
        parts = []
        amounts = line_amounts(spec, currency)
        gross = amounts.gross
        pieces = list(spec.charges)
        if spec.discount is not None:
            pieces.insert(0, LineCharge("allowance", spec.discount, spec.discount_percent, "Discount"))
        for piece in pieces:
            value = gross * piece.value / 100 if piece.is_percent else piece.value
            parts.append(AllowanceCharge(charge=piece.kind == "charge", amount=_amount(value, places),
                                         reason=piece.reason or ("Charge" if piece.kind == "charge" else "Discount"),
                                         percent=piece.value if piece.is_percent else None,
                                         base=_amount(gross, places) if piece.is_percent else None))
        out.append(Line(id=str(i), name=spec.name, description=spec.description, quantity=spec.quantity,
                        unit_code=spec.unit_code or "C62", net_price=spec.unit_price,
                        base_quantity=spec.base_quantity, net_amount=amounts.net, category=spec.category,
                        rate=spec.tax_rate, allowances_charges=tuple(parts)))
    return tuple(out)


def from_totals(*, totals: Totals, specs: list[LineSpec] | tuple[LineSpec, ...], seller: Party, buyer: Party,
                number: str, issue_date: dt.date, type_code: str = INVOICE,
                exemptions: dict[str, tuple[str, str]] | None = None, **extra) -> EInvoice:
    """The e-invoice of an invoice whose amounts ``totals`` holds (computed from ``specs``).
    ``exemptions`` maps a VAT category to its (reason, VATEX code). The sums of BG-22 are the
    engine's: BT-106 the line nets, BT-107/108 the discounts and fees, BT-112 the billed amount."""
    exemptions = exemptions or {}
    groups = tuple(VatGroup(category=t.category, rate=t.rate, basis=t.basis, tax=t.tax,
                            exemption_reason=exemptions.get(t.category, ("", ""))[0],
                            exemption_code=exemptions.get(t.category, ("", ""))[1])
                   for t in totals.tax_breakdown)
    doc_parts = tuple(
        AllowanceCharge(charge=a.kind == "fee", amount=a.amount,
                        reason=a.label or ("Fee" if a.kind == "fee" else "Discount"), category=a.category or "S",
                        rate=a.tax_rate, percent=a.value if a.is_percent else None,
                        base=totals.subtotal if a.is_percent else None)
        for a in (*totals.discounts, *totals.fees))
    paid = totals.paid
    return EInvoice(type_code=type_code, number=number, issue_date=issue_date, currency=totals.currency,
                    seller=seller, buyer=buyer, lines=lines_from_specs(specs, totals.currency), vat_groups=groups,
                    allowances_charges=doc_parts, line_total=totals.subtotal, allowance_total=totals.discount_total,
                    charge_total=totals.fee_total, tax_basis_total=totals.net_total, tax_total=totals.vat_total,
                    grand_total=totals.billed, prepaid=paid, due_payable=totals.billed - paid, **extra)
