"""R44/R45: every case of the acceptance, written as CII and UBL, passes the XSD, the EN 16931
schematron and (French seller) the BR-FR rules offline, with no fatal failure; and reads back to
the same document. The validators themselves are proven able to fail (test_r45_validators_fail)."""

from __future__ import annotations

import dataclasses

import pytest

from cases import cases
from invoice_tui.documents.einvoice.cii import write_cii
from invoice_tui.documents.einvoice.model import CREDIT_NOTE
from invoice_tui.documents.einvoice.read import read_cii, read_ubl
from invoice_tui.documents.einvoice.ubl import write_ubl
from invoice_tui.documents.einvoice.validate import validate_xml

CASES = cases()


def _fatal(findings):
    return [f.line() for f in findings if f.fatal]


@pytest.mark.parametrize("name", sorted(CASES))
def test_r44_cii_validates_and_reads_back(name):
    doc = CASES[name]
    xml = write_cii(doc)
    assert _fatal(validate_xml(xml, "cii", french=doc.seller.address.country == "FR")) == []
    back = read_cii(xml)
    assert back == doc, [f.name for f in dataclasses.fields(doc) if getattr(doc, f.name) != getattr(back, f.name)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_r44_ubl_validates_and_reads_back(name):
    doc = CASES[name]
    xml = write_ubl(doc)
    kind = "ubl-creditnote" if doc.type_code == CREDIT_NOTE else "ubl-invoice"
    assert _fatal(validate_xml(xml, kind, french=doc.seller.address.country == "FR")) == []
    back = read_ubl(xml)
    assert back == doc, [f.name for f in dataclasses.fields(doc) if getattr(doc, f.name) != getattr(back, f.name)]


def test_r44_credit_note_refers_to_its_invoice():
    doc = CASES["credit_note"]
    cii = write_cii(doc).decode()
    assert "<ram:TypeCode>381</ram:TypeCode>" in cii and "<ram:IssuerAssignedID>F-2027-00001<" in cii
    ubl = write_ubl(doc).decode()
    assert "<CreditNote" in ubl and "<cbc:CreditNoteTypeCode>381<" in ubl
    assert "<cac:InvoiceDocumentReference>" in ubl and "<cbc:ID>F-2027-00001</cbc:ID>" in ubl


def test_r44_french_mentions_are_coded_notes():
    """BR-FR: the PMT, PMD and AAB notes, the BAR note (B2B, B2BINT, B2C), the billing frame (BT-23)."""
    for name, bar in (("simple", "B2B"), ("b2bint", "B2BINT"), ("b2c", "B2C")):
        doc = read_cii(write_cii(CASES[name]))
        subjects = {n.subject: n.text for n in doc.notes}
        assert {"PMT", "PMD", "AAB"} <= set(subjects) and subjects["BAR"] == bar
        assert doc.business_process
