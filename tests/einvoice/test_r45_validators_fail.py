"""R45: a check that cannot fail proves nothing. Each validator is given a known-bad document and
must name the exact rule it breaks: the XSD, the EN 16931 schematron for CII and for UBL, and the
French BR-FR rules for both."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from cases import BUYER_FR, cases
from invoice_tui.documents.einvoice.cii import write_cii
from invoice_tui.documents.einvoice.ubl import write_ubl
from invoice_tui.documents.einvoice.validate import check_schematron, check_xsd, validate_xml

CASES = cases()
SIMPLE = CASES["simple"]


def _rules(findings, source=None):
    return {f.rule for f in findings if f.fatal and (source is None or f.source == source)}


@pytest.mark.parametrize("write,kind", [(write_cii, "cii"), (write_ubl, "ubl-invoice")])
def test_r45_xsd_refuses_an_element_out_of_place(write, kind):
    xml = write(SIMPLE)
    bad = xml.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:Bogus>380</ram:Bogus>") if kind == "cii" else \
        xml.replace(b"<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>", b"<cbc:Bogus>380</cbc:Bogus>")
    assert check_xsd(xml, kind) == []
    found = check_xsd(bad, kind)
    assert found and found[0].rule == "XSD" and "Bogus" in found[0].text


def test_r45_xsd_refuses_what_is_not_xml():
    assert _rules(check_xsd(b"<rsm:Cross", "cii")) == {"XML"}


@pytest.mark.parametrize("write,kind", [(write_cii, "cii"), (write_ubl, "ubl")])
def test_r45_en16931_refuses_a_grand_total_that_is_not_the_sum(write, kind):
    doc = dataclasses.replace(SIMPLE, grand_total=SIMPLE.grand_total + Decimal("1.00"),
                              due_payable=SIMPLE.due_payable + Decimal("1.00"))
    assert _rules(check_schematron(write(SIMPLE), kind, "en16931")) == set()
    assert "BR-CO-15" in _rules(check_schematron(write(doc), kind, "en16931"), "en16931")


@pytest.mark.parametrize("write,kind", [(write_cii, "cii"), (write_ubl, "ubl")])
def test_r45_en16931_refuses_reverse_charge_without_the_buyer_vat_id(write, kind):
    doc = CASES["reverse_charge"]
    bad = dataclasses.replace(doc, buyer=dataclasses.replace(doc.buyer, vat_id="", legal_id=""))
    assert "BR-AE-02" in _rules(check_schematron(write(bad), kind, "en16931"))


@pytest.mark.parametrize("write,kind", [(write_cii, "cii"), (write_ubl, "ubl")])
def test_r45_br_fr_refuses_a_french_business_buyer_without_electronic_address(write, kind):
    bad = dataclasses.replace(SIMPLE, buyer=dataclasses.replace(BUYER_FR, electronic_address="", electronic_scheme=""))
    assert not _rules(check_schematron(write(SIMPLE), kind, "br-fr"))
    rules = _rules(check_schematron(write(bad), kind, "br-fr"), "br-fr")
    assert any(r.startswith("BR-FR-12") for r in rules), rules


@pytest.mark.parametrize("write,kind", [(write_cii, "cii"), (write_ubl, "ubl")])
def test_r45_br_fr_refuses_more_than_four_decimals_on_a_quantity(write, kind):
    line = dataclasses.replace(SIMPLE.lines[0], quantity=Decimal("3.00001"))
    bad = dataclasses.replace(SIMPLE, lines=(line,))
    rules = _rules(check_schematron(write(bad), kind, "br-fr"), "br-fr")
    assert any(r.startswith("BR-FR-DEC-02") for r in rules), rules


@pytest.mark.parametrize("write,kind", [(write_cii, "cii"), (write_ubl, "ubl")])
def test_r45_br_fr_refuses_a_missing_late_penalty_note(write, kind):
    """BR-FR-05: the late-payment penalties (PMD) are a mandatory note; the EN 16931 rules alone
    do not ask for them (the French rules are what fails)."""
    bad = dataclasses.replace(SIMPLE, notes=tuple(n for n in SIMPLE.notes if n.subject != "PMD"))
    assert not _rules(check_schematron(write(bad), kind, "en16931"))
    rules = _rules(validate_xml(write(bad), kind if kind == "cii" else "ubl-invoice", french=True), "br-fr")
    assert rules and all(r.startswith("BR-FR-05") for r in rules), rules  # the ids differ between CII and UBL
