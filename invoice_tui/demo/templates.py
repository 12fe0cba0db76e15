"""Invoice templates: a few hundred sets of lines and adjustments per currency, their totals
computed once by the one R18 function (:func:`compute_totals`); every demo invoice reuses one
template's lines and totals, so the stored totals always equal a recomputation."""

from __future__ import annotations

import json
import random
from decimal import Decimal

from invoice_tui.demo.reference import _CURRENCY_TAX, _FRENCH_EUR_TAX, _GOODS, _ITEMS, _RATES, _TITLES
from invoice_tui.domain.money import exponent, from_minor, plain, to_micro, to_minor
from invoice_tui.domain.totals import ADJUSTMENT_KINDS, AdjustmentSpec, LineSpec, compute_totals

def _dec_text(value: Decimal | None) -> str | None:
    """As ``DecimalTextField`` stores it."""
    return None if value is None else format(Decimal(value).normalize(), "f")



class _Template:
    __slots__ = ("lines", "adjustments", "subtotal", "discount", "fee", "tax", "billed", "billed_text", "title",
                 "gid", "operation", "extra_tax", "reasons")

    def __init__(self, lines, adjustments, totals, currency, title) -> None:
        self.lines = lines  # tuples: (position, name, description, qty text, unit price micro, kind, value, rate,
        # VAT category or None: the rate's default)
        self.adjustments = adjustments  # tuples: (kind, position, label, is_percent, value text, rate text, category)
        self.subtotal = to_minor(totals.subtotal, currency)
        self.discount = to_minor(totals.discount_total, currency)
        self.fee = to_minor(totals.fee_total, currency)
        self.tax = to_minor(totals.tax_total, currency)
        self.billed = to_minor(totals.billed, currency)
        self.billed_text = plain(from_minor(self.billed, currency))
        self.title = title
        self.gid = 0  # its number in the temporary template tables
        goods = {ln[1] in _GOODS for ln in lines}
        self.operation = "both" if len(goods) == 2 else "goods" if True in goods else "services"  # R43
        self.extra_tax = any(a[0] == "tax" for a in adjustments)  # R18 extra taxes: no EN 16931 e-invoice
        categories = {ln[8] for ln in lines} | {a[6] for a in adjustments}  # BT-120: why no VAT is charged
        self.reasons = json.dumps({c: EXEMPTION_REASONS[c] for c in categories - {None}},
                                  sort_keys=True) if categories - {None} else "{}"  # as the services store them


def _nice_price(rng: random.Random, low: float, high: float, currency: str) -> Decimal:
    eur = Decimal(str(round(rng.uniform(low, high), 2)))
    value = eur * _RATES[currency]
    exp = exponent(currency)
    if value >= 100:
        step = Decimal(5) if currency != "JPY" else Decimal(100)
        return (value / step).quantize(Decimal(1)) * step
    return value.quantize(Decimal(1).scaleb(-exp))


# A French seller's invoices to a business abroad charge no French VAT; each line states why by
# its VAT category (its reason on the invoice, BT-120, R43): within the EU, goods are an
# intra-community supply (K) and services reverse-charged to the buyer (AE); outside it, an export (G).
ABROAD = {"eu": {True: "K", False: "AE"}, "export": {True: "G", False: "G"}}
EXEMPTION_REASONS = {"K": "Exonération de TVA, art. 262 ter I du CGI", "AE": "Autoliquidation",
                     "G": "Exonération de TVA, art. 262 I du CGI"}  # the mentions the CGI asks for


def _make_templates(rng: random.Random, currency: str, count: int, french: bool = False,
                    abroad: str = "") -> list[_Template]:
    """``french``: the seller is French (its EUR invoices at the French VAT rates). ``abroad``
    ("eu", "export"): a French seller's templates for business buyers abroad (:data:`ABROAD`: no
    French VAT, each line's category; no R18 extra taxes, so each can be an e-invoice)."""
    out = []
    rates = _FRENCH_EUR_TAX if french else _CURRENCY_TAX[currency]  # a French seller charges French VAT
    if abroad:
        rates = [Decimal(0)]
    for _ in range(count):
        n = rng.choices((1, 2, 3, 4, 5), weights=(34, 30, 18, 12, 6))[0]
        main_rate = rng.choice(rates)
        specs: list[LineSpec] = []
        for item in rng.sample(_ITEMS, n):
            name, desc, (low, high), qtys = item
            qty = Decimal(rng.choice(qtys))
            price = _nice_price(rng, low, high, currency)
            rate = main_rate if rng.random() < 0.75 else rng.choice(rates)
            disc, pct = None, False
            r = rng.random()
            if r < 0.10:
                disc, pct = Decimal(rng.choice(("5", "10", "15", "12.5"))), True
            elif r < 0.15:
                gross = qty * price
                disc = (gross * Decimal("0.08")).quantize(Decimal(1).scaleb(-exponent(currency)))
                if disc <= 0:
                    disc = None
            specs.append(LineSpec(name=name, quantity=qty, unit_price=price, tax_rate=rate,
                                  discount_percent=pct, discount=disc, description=desc if rng.random() < 0.7 else "",
                                  tax_category=ABROAD[abroad][name in _GOODS] if abroad else ""))
        adjs: list[AdjustmentSpec] = []
        category = specs[0].tax_category  # a discount or fee in the first line's VAT group
        r = rng.random()
        if r < 0.10:
            adjs.append(AdjustmentSpec("discount", Decimal(rng.choice(("5", "10", "3"))), True, main_rate,
                                       rng.choice(("Loyalty discount", "Early payment", "Volume discount")), category))
        elif r < 0.14:
            amount = _nice_price(rng, 20, 80, currency)
            adjs.append(AdjustmentSpec("discount", amount, False, main_rate, "Goodwill gesture", category))
        if rng.random() < 0.08:
            adjs.append(AdjustmentSpec("fee", _nice_price(rng, 8, 45, currency), False, main_rate,
                                       rng.choice(("Shipping", "Handling", "Rush delivery")), category))
        if rng.random() < 0.02:
            adjs.append(AdjustmentSpec("fee", Decimal("2"), True, main_rate, "Card processing", category))
        if abroad:  # no R18 extra tax on a buyer abroad's invoice
            pass
        elif currency == "EUR" and rng.random() < 0.03:
            adjs.append(AdjustmentSpec("tax", Decimal("1.5"), False, Decimal(0), "Eco-contribution"))
        elif currency == "USD" and rng.random() < 0.03:
            adjs.append(AdjustmentSpec("tax", Decimal("0.5"), True, Decimal(0), "City surcharge"))
        totals = compute_totals(currency, specs, adjs)
        if totals.billed <= 0:  # pragma: no cover - the discounts above never exceed the lines
            continue
        lines = tuple((pos, s.name, s.description, _dec_text(s.quantity), to_micro(s.unit_price),
                       None if s.discount is None else ("percent" if s.discount_percent else "fixed"),
                       _dec_text(s.discount), _dec_text(s.tax_rate), s.tax_category or None) for pos, s in enumerate(specs))
        positions = dict.fromkeys(ADJUSTMENT_KINDS, 0)
        adjustments = []
        for a in adjs:
            adjustments.append((a.kind, positions[a.kind], a.label, a.is_percent, _dec_text(a.value),
                                _dec_text(a.tax_rate if a.kind != "tax" else Decimal(0)), a.tax_category or None))
            positions[a.kind] += 1
        title = rng.choice(_TITLES)
        out.append(_Template(lines, tuple(adjustments), totals, currency, title))
    return out


