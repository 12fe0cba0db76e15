"""R18: the one totals function, with worked examples computed by hand (rounding half up per
line and once per rate, percent/fixed discounts and fees with tax rates, extra taxes last in
their order, JPY with 0 decimals, KWD with 3), and the same figures stored by the services on
SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from invoice_tui.db.models import Invoice
from invoice_tui.domain import invoices, payments
from invoice_tui.domain.errors import BadInput, RuleRefused
from invoice_tui.domain.money import from_minor, round_money, to_minor
from invoice_tui.domain.totals import AdjustmentSpec, LineSpec, compute_totals
from rulekit import census, line, make_draft, reload


def _adj(kind, value, rate="0", label=""):
    pct = value.endswith("%")
    return {"value": value.rstrip("%"), "is_percent": pct, "tax_rate": rate, "label": label, "_kind": kind}


# Each example: currency, lines (service input), adjustments, expected figures.
EXAMPLES = {
    "eur_everything": dict(
        currency="EUR",
        lines=[
            line("Design", "3", "19.99", "20", "10", True),  # 59.97 − 5.997 = 53.973 → 53.97
            line("Hosting", "2.5", "3.33", "5.5"),  # 8.325 → 8.33 (half up, not to even)
            line("Support", "1", "100", "20", "15.50"),  # 100 − 15.50 = 84.50
        ],
        adjustments=[
            _adj("discount", "5%", "20", "Loyalty"),  # 5% of 146.80 = 7.34, at 20%
            _adj("fee", "4.99", "20", "Shipping"),
            _adj("tax", "1%", label="Eco"),  # 1% of 172.13 = 1.7213 → 1.72
            _adj("tax", "0.50", label="Stamp"),
        ],
        nets=["53.97", "8.33", "84.50"], subtotal="146.80", discount="7.34", fee="4.99",
        breakdown=[("5.5", "8.33", "0.46"), ("20", "136.12", "27.22")],  # 0.45815 → 0.46; 27.224 → 27.22
        extras=["1.72", "0.50"], tax="29.90", billed="174.35",
    ),
    "fixed_discount_percent_fee": dict(
        currency="EUR",
        lines=[line("Licence", "1", "200", "20"), line("Book", "1", "50", "0")],
        adjustments=[_adj("discount", "20", "20"), _adj("fee", "2.5%", "0")],  # fee 2.5% of 250 = 6.25
        nets=["200.00", "50.00"], subtotal="250.00", discount="20.00", fee="6.25",
        # R35: the 0 % group is listed too (the book at 0 % and the fee at 0 %: 50 + 6.25)
        breakdown=[("20", "180.00", "36.00"), ("0", "56.25", "0.00")], extras=[], tax="36.00", billed="272.25",
    ),
    "rounded_once_per_rate": dict(
        currency="EUR",
        # per line 0.105 → 0.11 three times would be 0.33; once per rate: 3.15 × 10% = 0.315 → 0.32
        lines=[line("A", "1", "1.05", "10"), line("B", "1", "1.05", "10"), line("C", "1", "1.05", "10")],
        adjustments=[],
        nets=["1.05", "1.05", "1.05"], subtotal="3.15", discount="0.00", fee="0.00",
        breakdown=[("10", "3.15", "0.32")], extras=[], tax="0.32", billed="3.47",
    ),
    "jpy_no_decimals": dict(
        currency="JPY",
        lines=[line("Tea", "3", "333", "10")],
        adjustments=[_adj("discount", "5%", "10")],  # 49.95 → 50
        nets=["999"], subtotal="999", discount="50", fee="0",
        breakdown=[("10", "949", "95")], extras=[], tax="95", billed="1044",  # 94.9 → 95
    ),
    "kwd_three_decimals": dict(
        currency="KWD",
        lines=[line("Dates", "3", "1.234", "5"), line("Figs", "0.5", "0.999", "5")],  # 0.4995 → 0.500
        adjustments=[_adj("tax", "0.125")],
        nets=["3.702", "0.500"], subtotal="4.202", discount="0.000", fee="0.000",
        breakdown=[("5", "4.202", "0.210")], extras=["0.125"], tax="0.335", billed="4.537",  # 0.2101 → 0.210
    ),
}


def _specs(ex):
    lines = [LineSpec(name=li["name"], quantity=D(li["quantity"]), unit_price=D(li["unit_price"]),
                      tax_rate=D(li["tax_rate"]), discount_percent=li.get("discount_percent", False),
                      discount=D(li["discount"]) if "discount" in li else None) for li in ex["lines"]]
    adjs = [AdjustmentSpec(kind=a["_kind"], value=D(a["value"]), is_percent=a["is_percent"], tax_rate=D(a["tax_rate"]),
                           label=a["label"]) for a in ex["adjustments"]]
    return lines, adjs


def _service_input(ex):
    data = {"currency": ex["currency"], "lines": ex["lines"]}
    for kind in ("discount", "fee", "tax"):
        items = [{k: v for k, v in a.items() if k != "_kind"} for a in ex["adjustments"] if a["_kind"] == kind]
        if items:
            data[{"discount": "discounts", "fee": "fees", "tax": "taxes"}[kind]] = items
    return data


@pytest.mark.parametrize("name", EXAMPLES)
def test_r18_totals_worked_examples(name):
    ex = EXAMPLES[name]
    lines, adjs = _specs(ex)
    t = compute_totals(ex["currency"], lines, adjs, paid=D(0))
    assert [str(n) for n in t.line_nets] == ex["nets"]
    assert (str(t.subtotal), str(t.discount_total), str(t.fee_total)) == (ex["subtotal"], ex["discount"], ex["fee"])
    assert [(format(b.rate, "f"), str(b.basis), str(b.tax)) for b in t.tax_breakdown] == ex["breakdown"]
    assert [str(e.amount) for e in t.extra_taxes] == ex["extras"]
    assert (str(t.tax_total), str(t.billed), str(t.balance)) == (ex["tax"], ex["billed"], ex["billed"])


@pytest.mark.parametrize("name", EXAMPLES)
def test_r18_totals_stored_by_the_services(ws, admin, buyer, name):
    ex = EXAMPLES[name]
    inv = reload(invoices.create_invoice(admin, {**_service_input(ex), "contact_id": buyer.id}))
    cur = ex["currency"]
    assert from_minor(inv.subtotal_minor, cur) == D(ex["subtotal"])
    assert from_minor(inv.discount_minor, cur) == D(ex["discount"])
    assert from_minor(inv.fee_minor, cur) == D(ex["fee"])
    assert from_minor(inv.tax_minor, cur) == D(ex["tax"])
    assert from_minor(inv.billed_minor, cur) == from_minor(inv.balance_minor, cur) == D(ex["billed"])
    rec = invoices.invoice_record(inv, admin.today())
    assert (rec["amount_billed"], rec["balance_due"], rec["tax_total"]) == (ex["billed"], ex["billed"], ex["tax"])
    assert [(b["rate"], b["basis"], b["tax"]) for b in rec["tax_breakdown"]] == ex["breakdown"]
    # Paying the exact balance leaves nothing: the stored figure is what the buyer owes.
    invoices.finalize_invoice(admin, inv.id)
    payments.record_payment(admin, inv.id, {"amount": ex["billed"]})
    inv = reload(inv)
    assert (inv.status, inv.balance_minor) == ("paid", 0)
    assert invoices.invoice_totals(inv).balance == 0


def test_r18_extra_taxes_apply_last_in_their_order():
    lines = [LineSpec(name="A", quantity=D(1), unit_price=D(100))]
    pct, fixed = AdjustmentSpec("tax", D(10), True), AdjustmentSpec("tax", D(5), False)
    assert compute_totals("EUR", lines, [pct, fixed]).billed == D("115.00")
    assert compute_totals("EUR", lines, [fixed, pct]).billed == D("115.50")  # 10% of 105
    with_rate = [LineSpec(name="A", quantity=D(1), unit_price=D(100), tax_rate=D(20))]
    t = compute_totals("EUR", with_rate, [AdjustmentSpec("fee", D(10), False, D(20)), pct])
    assert (t.tax_breakdown[0].tax, t.extra_taxes[0].amount, t.billed) == (D("22.00"), D("13.20"), D("145.20"))


def test_r18_rounding_half_up_away_from_zero():
    assert round_money(D("0.125"), "EUR") == D("0.13")  # not banker's 0.12
    assert round_money(D("-0.125"), "EUR") == D("-0.13")
    assert round_money(D("2.5"), "JPY") == D("3")
    assert round_money(D("0.0005"), "KWD") == D("0.001")
    assert to_minor(D("1.005"), "EUR") == 101
    half = [LineSpec(name="A", quantity=D("0.5"), unit_price=D("0.25"))]  # 0.125
    assert compute_totals("EUR", half).billed == D("0.13")


def test_r18_balance_is_billed_minus_succeeded_payments(ws, admin, buyer):
    inv = make_draft(admin, buyer, lines=[line(price="100", tax="20")], allow_partial=True)
    invoices.finalize_invoice(admin, inv.id)
    payments.record_payment(admin, inv.id, {"amount": "20.01"})
    failed = payments.add_payment(admin, {"amount": "50", "currency": "EUR", "source": "online",
                                          "state": "processing"})
    payments.apply_payment(admin, failed.id, inv.id)
    payments.set_payment_state(admin, failed.id, "failed")
    inv = reload(inv)
    assert (inv.billed_minor, inv.paid_minor, inv.balance_minor) == (12000, 2001, 9999)
    t = invoices.invoice_totals(inv)
    assert (t.billed, t.paid, t.balance) == (D("120.00"), D("20.01"), D("99.99"))


def test_r18_amounts_beyond_the_storable_range_are_refused(ws, admin, buyer):
    before = census()
    with pytest.raises(BadInput, match="too large"):
        make_draft(admin, buyer, lines=[line(qty="999999999", price="999999999999")])
    assert census() == before
    assert Invoice.select().count() == 0


def test_r35_a_draft_may_total_below_zero_but_finalizing_refuses_it(ws, admin, buyer):
    """R2, R35: discounts larger than the lines make a negative draft (a correction being
    written); finalizing it is refused with a sentence pointing to credit notes, nothing written.
    An amount billed of exactly 0 may be finalized."""
    inv = make_draft(admin, buyer, lines=[line(price="10")], discounts=[{"value": "10"}])
    assert reload(inv).billed_minor == 0
    zero = invoices.finalize_invoice(admin, inv.id)
    assert (zero.status, zero.payment_date, reload(zero).balance_minor) == ("paid", admin.today(), 0)  # nothing due
    neg = make_draft(admin, buyer, lines=[line(price="1", tax="20")], discounts=[{"value": "3.50", "tax_rate": "20"}])
    assert (reload(neg).billed_minor, reload(neg).tax_minor) == (-300, -50)
    ret = make_draft(admin, buyer, lines=[line(qty="-2", price="9.99", tax="20")])
    assert reload(ret).billed_minor == -2398
    before = census()
    for draft in (neg, ret):
        with pytest.raises(RuleRefused, match="credit note") as exc:
            invoices.finalize_invoice(admin, draft.id)
        assert exc.value.code == "invoice.negative_total"
    assert census() == before
    # An open invoice edited down to exactly 0 is settled too; below 0 it is refused (R6, R35).
    from invoice_tui.domain.workspace import set_setting

    set_setting(admin, "allow_edit_finalized", "true")
    opened = invoices.finalize_invoice(admin, make_draft(admin, buyer, lines=[line(price="10")]).id)
    with pytest.raises(RuleRefused, match="credit note"):
        invoices.edit_invoice(admin, opened.id, {"lines": [line(qty="-1", price="10")]})
    edited = invoices.edit_invoice(admin, opened.id, {"lines": [line(price="0")]}).invoice
    assert (edited.status, reload(edited).billed_minor, invoices.upcoming_reminders(edited)) == ("paid", 0, [])
