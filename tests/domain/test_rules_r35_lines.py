"""R35 (and R18 as it amends it) through the services, on SQLite and on PostgreSQL: negative
quantities, unit prices with up to 6 decimals and a base quantity, unit codes, line allowances and
charges with reasons, VAT categories with one breakdown group per category and rate (0 % groups
included), negative document allowances and charges, and what every face shows of them."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from invoice_tui.db.models import LineItem
from invoice_tui.documents.markdown import invoice_markdown
from invoice_tui.domain import invoices
from invoice_tui.domain.errors import BadInput
from rulekit import census, make_draft, reload


def _line(name="Work", qty="1", price="100", tax="0", **extra) -> dict:
    return {"name": name, "quantity": qty, "unit_price": price, "tax_rate": tax, **extra}


def _groups(inv) -> list[tuple]:
    return [(g.category, f"{g.rate:f}", str(g.basis), str(g.tax)) for g in invoices.invoice_totals(inv).tax_breakdown]


def test_r35_returns_sub_cent_prices_and_base_quantities_are_stored_exactly(ws, admin, buyer):
    inv = make_draft(admin, buyer, lines=[
        _line("Energy", "1200", "8.8", "20", base_quantity="1000", unit_code="kwh"),  # 10.56
        _line("Usage", "1234.5", "0.0088", "20"),  # 10.8636 → 10.86
        _line("Returned cable", "-5", "0.1212", "20"),  # −0.606 → −0.61 (half up, away from zero)
    ])
    rows = list(LineItem.select().where(LineItem.invoice == inv).order_by(LineItem.position))
    assert [(r.quantity, r.unit_price_micro, r.price_base, r.unit_code) for r in rows] == [
        (D(1200), 8_800_000, D(1000), "KWH"), (D("1234.5"), 8_800, D(1), "C62"), (D(-5), 121_200, D(1), "C62")]
    t = invoices.invoice_totals(reload(inv))
    assert [str(n) for n in t.line_nets] == ["10.56", "10.86", "-0.61"]
    assert (t.subtotal, t.tax_total, t.billed) == (D("20.81"), D("4.16"), D("24.97"))
    assert reload(inv).billed_minor == 2497


@pytest.mark.parametrize("line, message", [
    (_line(price="-1"), "BR-27"),
    (_line(price="0.0000001"), "6 decimals"),
    (_line(qty="0"), "not be 0"),
    (_line(tax="0", tax_category="S"), "needs a rate above 0"),
    (_line(tax="20", tax_category="AE"), "has a rate of 0"),
    (_line(tax="0", tax_category="L"), "not a VAT category"),
    (_line(base_quantity="0"), "base quantity"),
    (_line(unit_code="kilowatt"), "UN/ECE rec 20"),
    (_line(charges=[{"kind": "bonus", "value": "1"}]), "allowance or a charge"),
])
def test_r35_bad_lines_are_refused_with_a_sentence_and_nothing_written(ws, admin, buyer, line, message):
    before = census()
    with pytest.raises(BadInput, match=message):
        make_draft(admin, buyer, lines=[line])
    assert census() == before


def test_r35_one_vat_group_per_category_and_rate_zero_groups_included(ws, admin, buyer):
    inv = make_draft(admin, buyer, lines=[
        _line("Standard", "1", "100", "20"), _line("Reduced", "2", "10", "5.5"), _line("Book", "1", "30", "0"),
        _line("Export", "1", "50", "0", tax_category="G"), _line("Service abroad", "1", "70", "0", tax_category="AE"),
        _line("Intra-EU", "1", "40", "0", tax_category="K"), _line("Exempt", "1", "15", "0", tax_category="E"),
        _line("Outside scope", "1", "5", "0", tax_category="O")],
        discounts=[{"value": "10", "tax_rate": "20"}, {"value": "5", "tax_rate": "0", "tax_category": "AE"}],
        fees=[{"value": "4", "tax_rate": "0"}])
    assert _groups(reload(inv)) == [
        ("S", "5.5", "20.00", "1.10"), ("S", "20", "90.00", "18.00"), ("Z", "0", "34.00", "0.00"),
        ("E", "0", "15.00", "0.00"), ("AE", "0", "65.00", "0.00"), ("K", "0", "40.00", "0.00"),
        ("G", "0", "50.00", "0.00"), ("O", "0", "5.00", "0.00")]
    rec = invoices.invoice_record(reload(inv), admin.today())
    assert rec["tax_breakdown"][2] == {"category": "Z", "rate": "0", "basis": "34.00", "tax": "0.00"}
    assert rec["amount_billed"] == "338.10"  # 330 − 15 + 4 + 19.10


def test_r35_line_allowances_and_charges_with_reasons(ws, admin, buyer):
    inv = make_draft(admin, buyer, lines=[_line("Desk", "2", "150", "20", discount="10", discount_percent=True,
                                                charges=[{"kind": "allowance", "value": "5", "reason": "Damaged box"},
                                                         {"kind": "charge", "value": "2", "is_percent": True,
                                                          "reason": "Assembly"}])])
    t = invoices.invoice_totals(reload(inv))
    assert t.line_nets == (D("271.00"),)  # 300 − 30 − 5 + 6
    spec = invoices.line_specs(reload(inv))[0]
    assert [(c.kind, c.value, c.is_percent, c.reason) for c in spec.charges] == [
        ("allowance", D(5), False, "Damaged box"), ("charge", D(2), True, "Assembly")]
    history = invoices.snapshot(reload(inv))["line_items"]
    assert "− 10%" in history and "− 5 (Damaged box)" in history and "+ 2% (Assembly)" in history


def test_r35_corrections_carry_negative_document_allowances_and_charges(ws, admin, buyer):
    inv = make_draft(admin, buyer, lines=[_line("Correction", "-1", "100", "20")],
                     discounts=[{"value": "-10", "tax_rate": "20", "label": "Discount reversed"}],
                     fees=[{"value": "-5", "tax_rate": "20", "label": "Freight reversed"}])
    t = invoices.invoice_totals(reload(inv))
    assert (t.subtotal, t.discount_total, t.fee_total) == (D("-100.00"), D("-10.00"), D("-5.00"))
    assert _groups(reload(inv)) == [("S", "20", "-95.00", "-19.00")]
    assert t.billed == D("-114.00") and reload(inv).status == "draft"
    with pytest.raises(BadInput, match="extra tax is 0 or more"):
        make_draft(admin, buyer, taxes=[{"value": "-1"}])


def test_r35_clone_and_currency_change_keep_every_line_field(ws, admin, buyer):
    inv = make_draft(admin, buyer, lines=[_line("Energy", "-1200", "0.0088", "0", tax_category="AE",
                                                base_quantity="10", unit_code="KWH",
                                                charges=[{"kind": "charge", "value": "1.50", "reason": "Meter"}])])
    clone = invoices.clone_invoice(admin, inv.id)
    assert invoices.line_specs(reload(clone)) == invoices.line_specs(reload(inv))
    edited = invoices.edit_invoice(admin, inv.id, {"currency": "USD"}).invoice
    spec = invoices.line_specs(reload(edited))[0]
    assert (spec.unit_price, spec.base_quantity, spec.unit_code, spec.category) == (D("0.0088"), D(10), "KWH", "AE")
    assert reload(edited).billed_minor == reload(clone).billed_minor == 44  # −1.056 + 1.50 = 0.444 → 0.44


def test_r35_the_document_shows_sub_cent_prices_base_quantities_units_and_categories(ws, admin, buyer):
    inv = make_draft(admin, buyer, lines=[_line("Energy", "1200", "8.8", "20", base_quantity="1000", unit_code="KWH"),
                                          _line("Usage", "3", "0.0088", "0", tax_category="AE")],
                     taxes=[{"value": "1", "label": "Stamp"}])
    for compact in (False, True):
        doc = invoice_markdown(reload(inv), compact=compact)
        assert "€8.80 / 1,000" in doc and "1,200 KWH" in doc and "€0.0088" in doc
        assert "0% AE" in doc and "not EN 16931" in doc
    assert "| AE | 0% | €0.03 | €0.00 |" in invoice_markdown(reload(inv))
    assert not invoices.invoice_totals(reload(inv)).en16931
