"""R18, R35: the one function that computes an invoice's amounts — EN 16931's totals engine.

The screen, the PDF, the export, the CLI, the index's stored totals, the demo and the tests all
call :func:`compute_totals`, so they can never disagree. Everything is ``Decimal``; rounding is
half up (away from zero), to the currency's decimals:

- line gross = quantity × unit price ÷ base quantity (BT-129, BT-146 with up to 6 decimals,
  BT-149); the quantity may be negative (returns, corrections), the price never (BR-27);
- line net (BT-131) = gross − line allowances + line charges (BG-27/BG-28, each an amount or a
  percentage of the gross; the line discount is the first allowance), rounded once per line;
- invoice discounts and fees (document-level allowances and charges, BG-20/BG-21) are fixed
  amounts or a percentage of the line total, each rounded, each with a VAT rate and category;
  they may be negative, as correction invoices carry them;
- the VAT breakdown (BG-23) has one group per VAT category and rate — 0 % groups included; a
  group's basis is its line nets − its discounts + its fees, its tax rate × basis rounded once;
- extra invoice-level taxes (no EN 16931 meaning: such an invoice is "not EN 16931") apply last,
  in their order; a percentage one is a percentage of the running total so far (lines −
  discounts + fees + VAT + earlier extra taxes);
- billed = Σ nets − discounts + fees + Σ taxes (BT-112 when there are no extra taxes); balance =
  billed − Σ succeeded payments. A draft may total below zero; a finalized invoice bills ≥ 0
  (R2, R35: the services refuse the rest).

The order discount → fee → tax is this module's alone: :func:`in_order` puts adjustments in
any shape (stored rows, specs, the editor's dicts) in that order, ``compute_totals`` applies
them through it, ``Totals.applied`` and ``Totals.steps`` give them back in it, and every face
(editor, document, CLI, demo, the services' writes) lists or walks them with these. Exports and
mail read the totals the services stored with ``compute_totals``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from operator import attrgetter
from typing import Any, Callable, Iterable, Sequence, TypeVar

from invoice_tui.domain.money import round_money
from invoice_tui.i18n import N_, _

HUNDRED = Decimal(100)
ZERO = Decimal(0)

ADJUSTMENT_KINDS: tuple[str, ...] = ("discount", "fee", "tax")
"""R18: invoice-level adjustments apply in this order (extra taxes last, on the running total),
and every face lists them in it."""
ADJUSTMENT_LISTS = {"discount": "discounts", "fee": "fees", "tax": "taxes"}  # an invoice input's lists
STEP_KINDS: tuple[str, ...] = ("subtotal", *ADJUSTMENT_KINDS, "billed")  # the rows of the totals (Totals.steps)
_RANK = {kind: i for i, kind in enumerate(ADJUSTMENT_KINDS)}

T = TypeVar("T")


def in_order(items: Iterable[T], kind: Callable[[T], str] = attrgetter("kind"),
             position: Callable[[T], Any] | None = None) -> list[T]:
    """``items`` in the R18 order: discounts, then fees, then extra taxes; within a kind by
    ``position`` when given, else in the order they come (the sort is stable)."""
    if position is None:
        return sorted(items, key=lambda a: _RANK[kind(a)])
    return sorted(items, key=lambda a: (_RANK[kind(a)], position(a)))


VAT_CATEGORIES: tuple[str, ...] = ("S", "Z", "E", "AE", "K", "G", "O")
"""R35: the VAT categories (UNTDID 5305) the engine models, in the order the breakdown lists them."""
VAT_CATEGORY_NAMES = {"S": N_("standard rate"), "Z": N_("zero-rated"), "E": N_("exempt"),  # marked: _() where shown
                      "AE": N_("reverse charge"), "K": N_("intra-EU supply"), "G": N_("export outside the EU"),
                      "O": N_("outside the scope of VAT")}
_CATEGORY_RANK = {c: i for i, c in enumerate(VAT_CATEGORIES)}
LINE_CHARGE_KINDS: tuple[str, ...] = ("allowance", "charge")  # BG-27, BG-28
PRICE_DECIMALS = 6  # BT-146: a unit price has up to 6 decimals, whatever the currency
ONE = Decimal(1)


def default_category(rate: Decimal, franchise: bool = False) -> str:
    """R35: a rate of 0 is zero-rated (Z) unless said otherwise; any other rate is standard (S).
    Under the VAT franchise (``franchise``: a French micro-entreprise, art. 293 B du CGI, R43) a
    rate of 0 is exempt (E): such a seller charges no VAT because its sales are exempt."""
    return ("E" if franchise else "Z") if not rate else "S"


def check_category(rate: Decimal, category: str | None) -> str:
    """The VAT category of a rate (given, or its default), or ``ValueError`` with a sentence:
    EN 16931 gives S a positive rate and every other category a rate of 0 (BR-S-05, BR-Z-05, …)."""
    cat = (category or "").strip().upper() or default_category(rate)
    if cat not in _CATEGORY_RANK:
        raise ValueError(_("'{category}' is not a VAT category invoice-tui knows; use one of {vat_categories} (EN "
                           "16931, UNTDID 5305)").format(category=category, vat_categories=', '.join(VAT_CATEGORIES)))
    if cat == "S" and not rate:
        raise ValueError(_("VAT category S (standard rate) needs a rate above 0; a 0 % rate is Z, E, AE, K, G or O"))
    if cat != "S" and rate:
        raise ValueError(_("VAT category {cat} ({name}) has a rate of 0, not {value:f} %").format(cat=cat,
                               name=_(VAT_CATEGORY_NAMES[cat]), value=rate.normalize()))
    return cat


@dataclass(frozen=True)
class LineCharge:
    """A line-level allowance (BG-27) or charge (BG-28): an amount, or a percentage of the line's
    gross amount (quantity × price ÷ base quantity), with a reason."""

    kind: str  # "allowance" or "charge"
    value: Decimal
    is_percent: bool = False
    reason: str = ""


@dataclass(frozen=True)
class LineSpec:
    """A line as the engine reads it (R35). ``discount`` is the line's first allowance (the
    positional discount of the CLI and the editor); ``charges`` holds any further allowances and
    charges. ``tax_category`` "" is the rate's default (:func:`default_category`)."""

    name: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = ZERO
    discount_percent: bool = False
    discount: Decimal | None = None  # percent (0–100) or fixed amount
    description: str = ""
    base_quantity: Decimal = ONE  # BT-149: the price is per this many units
    unit_code: str = "C62"  # BT-130, UN/ECE rec 20
    tax_category: str = ""
    charges: tuple[LineCharge, ...] = ()

    @property
    def category(self) -> str:
        return self.tax_category or default_category(self.tax_rate)


@dataclass(frozen=True)
class AdjustmentSpec:
    kind: str  # "discount", "fee" or "tax"
    value: Decimal  # percent or fixed amount; discounts and fees may be negative (corrections)
    is_percent: bool = False
    tax_rate: Decimal = ZERO  # discounts and fees
    label: str = ""
    tax_category: str = ""  # discounts and fees; "" is the rate's default

    @property
    def category(self) -> str:
        return self.tax_category or default_category(self.tax_rate)


@dataclass(frozen=True)
class TaxLine:
    """One VAT breakdown group (BG-23): one per category and rate, 0 % groups included."""

    rate: Decimal
    basis: Decimal  # BT-116
    tax: Decimal  # BT-117: rate × basis, rounded once
    category: str = "S"  # BT-118


@dataclass(frozen=True)
class AppliedAdjustment:
    kind: str
    label: str
    is_percent: bool
    value: Decimal
    tax_rate: Decimal
    amount: Decimal
    category: str = ""  # discounts and fees: their VAT category


@dataclass(frozen=True)
class Totals:
    currency: str
    line_nets: tuple[Decimal, ...]
    subtotal: Decimal
    discounts: tuple[AppliedAdjustment, ...]
    fees: tuple[AppliedAdjustment, ...]
    extra_taxes: tuple[AppliedAdjustment, ...]
    discount_total: Decimal
    fee_total: Decimal
    tax_breakdown: tuple[TaxLine, ...]
    tax_total: Decimal
    billed: Decimal
    paid: Decimal
    balance: Decimal
    notes: tuple[str, ...] = field(default=())

    @property
    def net_total(self) -> Decimal:
        """BT-109: the lines − discounts + fees, without VAT."""
        return self.subtotal - self.discount_total + self.fee_total

    @property
    def vat_total(self) -> Decimal:
        """BT-110: the VAT of the breakdown groups (the extra taxes are not VAT)."""
        return sum((t.tax for t in self.tax_breakdown), ZERO)

    @property
    def en16931(self) -> bool:
        """False when extra taxes apply: they have no EN 16931 meaning (shown as "not EN 16931")."""
        return not self.extra_taxes

    @property
    def applied(self) -> tuple[AppliedAdjustment, ...]:
        """Every adjustment with its amount, in the R18 order."""
        return (*self.discounts, *self.fees, *self.extra_taxes)

    def steps(self) -> tuple["Step", ...]:
        """The totals as a face lists them, in the R18 order: the subtotal, then one step per
        adjustment kind (its signed sum and its items: the extra taxes' step also holds the tax
        per rate, first), then the billed amount."""
        by_kind = {"discount": (-self.discount_total, self.discounts), "fee": (self.fee_total, self.fees),
                   "tax": (self.tax_total, (*self.tax_breakdown, *self.extra_taxes))}
        by_kind["subtotal"], by_kind["billed"] = (self.subtotal, ()), (self.billed, ())
        return tuple(Step(kind, *by_kind[kind]) for kind in STEP_KINDS)


@dataclass(frozen=True)
class Step:
    """One row of the totals (``Totals.steps``): ``kind`` is "subtotal", an adjustment kind or
    "billed"; ``amount`` as it enters the total (discounts negative); ``items`` what it sums."""

    kind: str
    amount: Decimal
    items: tuple = ()


@dataclass(frozen=True)
class LineAmounts:
    """A line's parts (R35): gross = quantity × price ÷ base quantity; its allowances (the
    discount included) and charges, each as a positive sum; net = gross − allowances + charges,
    rounded once."""

    gross: Decimal
    allowances: Decimal
    charges: Decimal
    net: Decimal


_EXACT = Context(prec=60, rounding=ROUND_HALF_UP)  # wide enough for 10⁹ × 10¹² with 12 decimals


def line_amounts(line: LineSpec, currency: str) -> LineAmounts:
    """R35: the line's gross, allowances, charges and net (rounded half up to the currency once)."""
    with localcontext(_EXACT):
        gross = line.quantity * line.unit_price / (line.base_quantity or ONE)
        allowances = charges = ZERO
        parts = list(line.charges)
        if line.discount is not None:
            parts.insert(0, LineCharge("allowance", line.discount, line.discount_percent))
        for part in parts:
            amount = gross * part.value / HUNDRED if part.is_percent else part.value
            if part.kind == "allowance":
                allowances += amount
            else:
                charges += amount
        net = gross - allowances + charges
    return LineAmounts(gross, allowances, charges, round_money(net, currency))


def line_net(line: LineSpec, currency: str) -> Decimal:
    return line_amounts(line, currency).net


def _group_key(category: str, rate: Decimal) -> tuple[str, Decimal]:
    return category, (rate.normalize() if rate else ZERO)


def _group_order(key: tuple[str, Decimal]) -> tuple[int, Decimal]:
    return _CATEGORY_RANK.get(key[0], len(_CATEGORY_RANK)), key[1]


def compute_totals(
    currency: str,
    lines: Sequence[LineSpec],
    adjustments: Iterable[AdjustmentSpec] = (),
    paid: Decimal = ZERO,
) -> Totals:
    """Compute every amount of an invoice (R18, R35; EN 16931 BT-106…BT-112 and BG-23).

    One VAT breakdown group per (category, rate) that a line, a discount or a fee carries —
    0 % groups included; a group's basis is its line nets − its discounts + its fees; its tax is
    rate × basis rounded half up once. Extra taxes (no EN 16931 meaning) apply last."""
    nets = tuple(line_net(line, currency) for line in lines)
    subtotal = sum(nets, ZERO)
    bases: dict[tuple[str, Decimal], Decimal] = {}
    for line, net in zip(lines, nets):
        key = _group_key(line.category, line.tax_rate)
        bases[key] = bases.get(key, ZERO) + net

    discounts: list[AppliedAdjustment] = []
    fees: list[AppliedAdjustment] = []
    extra: list[AdjustmentSpec] = []
    for adj in in_order(adjustments):
        if adj.kind == "tax":
            extra.append(adj)
            continue
        amount = round_money(subtotal * adj.value / HUNDRED if adj.is_percent else adj.value, currency)
        key = _group_key(adj.category, adj.tax_rate)
        applied = AppliedAdjustment(adj.kind, adj.label, adj.is_percent, adj.value, key[1], amount, key[0])
        if adj.kind == "discount":
            discounts.append(applied)
            bases[key] = bases.get(key, ZERO) - amount
        else:
            fees.append(applied)
            bases[key] = bases.get(key, ZERO) + amount

    breakdown = tuple(
        TaxLine(rate, basis, round_money(rate * basis / HUNDRED, currency), category)
        for (category, rate), basis in sorted(bases.items(), key=lambda kv: _group_order(kv[0]))
    )
    discount_total = sum((d.amount for d in discounts), ZERO)
    fee_total = sum((f.amount for f in fees), ZERO)
    vat_total = sum((t.tax for t in breakdown), ZERO)
    running = subtotal - discount_total + fee_total + vat_total
    extra_applied: list[AppliedAdjustment] = []
    for adj in extra:
        amount = round_money(running * adj.value / HUNDRED if adj.is_percent else adj.value, currency)
        extra_applied.append(AppliedAdjustment("tax", adj.label, adj.is_percent, adj.value, ZERO, amount))
        running += amount
    tax_total = vat_total + sum((t.amount for t in extra_applied), ZERO)
    billed = subtotal - discount_total + fee_total + tax_total
    paid = round_money(paid, currency)
    return Totals(
        currency=currency,
        line_nets=nets,
        subtotal=round_money(subtotal, currency),
        discounts=tuple(discounts),
        fees=tuple(fees),
        extra_taxes=tuple(extra_applied),
        discount_total=round_money(discount_total, currency),
        fee_total=round_money(fee_total, currency),
        tax_breakdown=breakdown,
        tax_total=round_money(tax_total, currency),
        billed=round_money(billed, currency),
        paid=paid,
        balance=round_money(billed - paid, currency),
    )
