"""R18: the one function that computes an invoice's amounts.

The screen, the PDF, the export, the CLI and the tests all call :func:`compute_totals`, so they
can never disagree. Everything is ``Decimal``; rounding is half up, to the currency's decimals:

- line net = quantity × unit price − line discount (percent of quantity × price, or fixed),
  rounded once per line;
- invoice discounts and fees (EN 16931 document-level allowances and charges) are fixed amounts
  or a percentage of the line total, each rounded, each with a tax rate;
- tax per rate = rate × (line nets at that rate − discounts at that rate + fees at that rate),
  rounded once per rate;
- extra invoice-level taxes apply last, in their order; a percentage one is a percentage of the
  running total so far (lines − discounts + fees + rate taxes + earlier extra taxes);
- billed = Σ nets − discounts + fees + Σ taxes; balance = billed − Σ succeeded payments.

The order discount → fee → tax is this module's alone: :func:`in_order` puts adjustments in
any shape (stored rows, specs, the editor's dicts) in that order, ``compute_totals`` applies
them through it, ``Totals.applied`` and ``Totals.steps`` give them back in it, and every face
(editor, document, CLI, demo, the services' writes) lists or walks them with these. Exports and
mail read the totals the services stored with ``compute_totals``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Any, Callable, Iterable, Sequence, TypeVar

from invoice_tui.domain.money import round_money

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


@dataclass(frozen=True)
class LineSpec:
    name: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = ZERO
    discount_percent: bool = False
    discount: Decimal | None = None  # percent (0–100) or fixed amount
    description: str = ""


@dataclass(frozen=True)
class AdjustmentSpec:
    kind: str  # "discount", "fee" or "tax"
    value: Decimal  # percent or fixed amount
    is_percent: bool = False
    tax_rate: Decimal = ZERO  # discounts and fees
    label: str = ""


@dataclass(frozen=True)
class TaxLine:
    rate: Decimal
    basis: Decimal
    tax: Decimal


@dataclass(frozen=True)
class AppliedAdjustment:
    kind: str
    label: str
    is_percent: bool
    value: Decimal
    tax_rate: Decimal
    amount: Decimal


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


def line_net(line: LineSpec, currency: str) -> Decimal:
    gross = line.quantity * line.unit_price
    if line.discount is None:
        reduction = ZERO
    elif line.discount_percent:
        reduction = gross * line.discount / HUNDRED
    else:
        reduction = line.discount
    return round_money(gross - reduction, currency)


def compute_totals(
    currency: str,
    lines: Sequence[LineSpec],
    adjustments: Iterable[AdjustmentSpec] = (),
    paid: Decimal = ZERO,
) -> Totals:
    """Compute every amount of an invoice (R18)."""
    nets = tuple(line_net(line, currency) for line in lines)
    subtotal = sum(nets, ZERO)
    bases: dict[Decimal, Decimal] = {}
    for line, net in zip(lines, nets):
        rate = line.tax_rate.normalize() if line.tax_rate else ZERO
        bases[rate] = bases.get(rate, ZERO) + net

    discounts: list[AppliedAdjustment] = []
    fees: list[AppliedAdjustment] = []
    extra: list[AdjustmentSpec] = []
    for adj in in_order(adjustments):
        if adj.kind == "tax":
            extra.append(adj)
            continue
        amount = round_money(subtotal * adj.value / HUNDRED if adj.is_percent else adj.value, currency)
        rate = adj.tax_rate.normalize() if adj.tax_rate else ZERO
        applied = AppliedAdjustment(adj.kind, adj.label, adj.is_percent, adj.value, rate, amount)
        if adj.kind == "discount":
            discounts.append(applied)
            bases[rate] = bases.get(rate, ZERO) - amount
        else:
            fees.append(applied)
            bases[rate] = bases.get(rate, ZERO) + amount

    breakdown = tuple(
        TaxLine(rate, basis, round_money(rate * basis / HUNDRED, currency))
        for rate, basis in sorted(bases.items())
        if rate != 0
    )
    discount_total = sum((d.amount for d in discounts), ZERO)
    fee_total = sum((f.amount for f in fees), ZERO)
    running = subtotal - discount_total + fee_total + sum((t.tax for t in breakdown), ZERO)
    extra_applied: list[AppliedAdjustment] = []
    for adj in extra:
        amount = round_money(running * adj.value / HUNDRED if adj.is_percent else adj.value, currency)
        extra_applied.append(AppliedAdjustment("tax", adj.label, adj.is_percent, adj.value, ZERO, amount))
        running += amount
    tax_total = sum((t.tax for t in breakdown), ZERO) + sum((t.amount for t in extra_applied), ZERO)
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
