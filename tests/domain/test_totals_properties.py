"""R18, R35: properties of the one totals engine over random invoices (hypothesis).

For random lines — negative quantities, prices with up to 6 decimals, base quantities, line
allowances and charges (amounts and percentages), every VAT category the engine models — and
random document discounts and fees (negative ones too), in EUR, JPY and KWD:

- Σ group bases = Σ line nets − Σ discounts + Σ fees, exactly;
- one group per (category, rate) that a line, discount or fee carries, 0 % groups included;
- each group's tax is rate × basis rounded half up once (not a sum of per-line rounded taxes);
- each line net is quantity × price ÷ base − allowances + charges, rounded half up once;
- BT-112 = BT-109 + BT-110 when there are no extra taxes.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from invoice_tui.domain.money import quantum
from invoice_tui.domain.totals import AdjustmentSpec, LineCharge, LineSpec, compute_totals

VAT = [("S", D(20)), ("S", D("5.5")), ("S", D(7)), ("Z", D(0)), ("E", D(0)), ("AE", D(0)), ("K", D(0)),
       ("G", D(0)), ("O", D(0))]


def _dec(lo: int, hi: int, places: int):
    return st.integers(lo * 10 ** places, hi * 10 ** places).map(lambda n: D(n).scaleb(-places))


charges = st.builds(LineCharge, st.sampled_from(["allowance", "charge"]), _dec(0, 500, 2), st.booleans(),
                    st.sampled_from(["", "Loyalty", "Freight"]))


@st.composite
def lines(draw):
    cat, rate = draw(st.sampled_from(VAT))
    qty = draw(_dec(-1000, 1000, 3).filter(bool))
    charge_list = draw(st.lists(charges, max_size=3))
    charge_list = [LineCharge(c.kind, min(c.value, D(100)) if c.is_percent else c.value, c.is_percent, c.reason)
                   for c in charge_list]
    return LineSpec(name="L", quantity=qty, unit_price=draw(_dec(0, 10000, draw(st.integers(0, 6)))),
                    tax_rate=rate, tax_category=cat, base_quantity=draw(st.sampled_from([D(1), D(10), D(1000)])),
                    charges=tuple(charge_list))


@st.composite
def adjustments(draw):
    cat, rate = draw(st.sampled_from(VAT))
    pct = draw(st.booleans())
    value = draw(_dec(-100, 100, 2)) if pct else draw(_dec(-5000, 5000, 2))
    return AdjustmentSpec(draw(st.sampled_from(["discount", "fee"])), value, pct, rate, "A", cat)


def _round(value: D, currency: str) -> D:
    return value.quantize(quantum(currency), rounding=ROUND_HALF_UP)


@settings(max_examples=300, deadline=None)
@given(currency=st.sampled_from(["EUR", "JPY", "KWD"]), ls=st.lists(lines(), min_size=1, max_size=8),
       adjs=st.lists(adjustments(), max_size=4))
def test_r35_group_bases_sum_to_the_lines_less_allowances_plus_charges_and_tax_is_rounded_once(currency, ls, adjs):
    t = compute_totals(currency, ls, adjs)
    for line, net in zip(ls, t.line_nets):  # each line rounded once
        gross = line.quantity * line.unit_price / line.base_quantity
        delta = sum(((gross * c.value / 100 if c.is_percent else c.value) * (1 if c.kind == "charge" else -1)
                     for c in line.charges), D(0))
        assert net == _round(gross + delta, currency)
    bases = sum((g.basis for g in t.tax_breakdown), D(0))
    assert bases == sum(t.line_nets, D(0)) - t.discount_total + t.fee_total == t.net_total
    keys = [(g.category, g.rate) for g in t.tax_breakdown]
    assert len(keys) == len(set(keys))  # one group per category and rate
    used = {(li.tax_category, li.tax_rate) for li in ls} | {(a.tax_category, a.tax_rate) for a in adjs}
    assert set(keys) == used  # 0 % groups included
    for g in t.tax_breakdown:
        assert g.tax == _round(g.rate * g.basis / 100, currency)  # once per group
        if not g.rate:
            assert g.tax == 0 and str(g.tax)[0] != "-"
    assert t.vat_total == sum((g.tax for g in t.tax_breakdown), D(0)) == t.tax_total
    assert t.billed == t.net_total + t.vat_total and t.en16931


@settings(max_examples=100, deadline=None)
@given(ls=st.lists(lines(), min_size=2, max_size=8))
def test_r35_tax_per_group_is_not_the_sum_of_rounded_line_taxes(ls):
    """Rounding once per group: the group's tax is within half a minor unit per line of the sum of
    per-line rounded taxes, and equals the rounded exact tax of the group's basis."""
    t = compute_totals("EUR", ls)
    for g in t.tax_breakdown:
        members = [n for li, n in zip(ls, t.line_nets) if (li.tax_category, li.tax_rate) == (g.category, g.rate)]
        exact = sum((n * g.rate / 100 for n in members), D(0))
        assert g.tax == _round(exact, "EUR")
        assert abs(g.tax - sum((_round(n * g.rate / 100, "EUR") for n in members), D(0))) <= D("0.005") * len(members)
