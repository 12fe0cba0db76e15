"""R44/R45 from the command line: ``invoices validate`` and ``invoices einvoice`` on a stored invoice
of a French seller to a French business buyer, on SQLite and PostgreSQL; an invoice in scope that
misses a mandatory element is refused with the rule named, and nothing is written."""

from __future__ import annotations

import io

import pikepdf
import pytest

from invoice_tui.documents.einvoice.preflight import preflight
from invoice_tui.documents.einvoice.read import read_cii, read_ubl

SELLER = {"seller_legal_name": "Atelier Dupont SARL", "seller_address": "12 rue de la Paix",
          "seller_postcode": "75002", "seller_city": "Paris", "seller_country": "FR", "seller_siren": "732829320",
          "seller_vat_id": "FR44732829320", "seller_legal_form": "SARL", "seller_share_capital": "10000",
          "seller_registration": "RCS Paris", "seller_electronic_scheme": "0225",
          "seller_electronic_address": "732829320", "seller_iban": "FR7630006000011234567890189",
          "payment_means_code": "30", "late_penalty_rate": "10"}


def _issued(cli, *, address="3 place du Marché\n69001 Lyon\nFR", tax_id="FR40552100554") -> str:
    for key, value in SELLER.items():
        cli.ok("settings", "set", key, value)
    cli.ok("companies", "add", "--name", "Boulangerie Martin SAS", "--address", address, "--tax-id", tax_id)
    cli.ok("contacts", "add", "--email", "compta@martin.example", "--first-name", "Paul",
           "--company", "Boulangerie Martin SAS")
    inv = cli.ok("invoices", "create", "--currency", "EUR", "--contact", "compta@martin.example", "--company",
                 "Boulangerie Martin SAS", "--line", "Conseil;3;450;20", "--line", "Livre;2;25.50;5.5",
                 "--operation", "both")  # R43: the operation category, a French seller's mention
    done = cli.ok("invoices", "finalize", str(inv["id"]))
    return done["number"]


def test_r45_validate_and_write_each_format(any_cli, tmp_path):
    number = _issued(any_cli)
    report = any_cli.ok("invoices", "validate", number)
    assert report["valid"] and report["in_scope"] and report["findings"] == []
    for fmt in ("facturx", "cii", "ubl"):
        target = tmp_path / f"out.{fmt}"
        written = any_cli.ok("invoices", "einvoice", number, "--format", fmt, "--out", str(target))
        data = target.read_bytes()
        assert written["path"] == str(target) and data
        if fmt == "facturx":
            with pikepdf.open(io.BytesIO(data)) as pdf:
                xml = pdf.attachments["factur-x.xml"].get_file().read_bytes()
            assert preflight(data, xml) == []
            doc = read_cii(xml)
        else:
            doc = read_cii(data) if fmt == "cii" else read_ubl(data)
        # what the invoice page shows: the number, the parties, the totals and each VAT group
        shown = any_cli.ok("invoices", "show", number)
        assert doc.number == number and doc.seller.name == "Atelier Dupont SARL"
        assert doc.buyer.name == "Boulangerie Martin SAS" and doc.buyer.vat_id == "FR40552100554"
        assert str(doc.grand_total) == shown["amount_billed"]
        assert {(f"{g.rate.normalize():f}", str(g.tax)) for g in doc.vat_groups} == {("20", "270.00"), ("5.5", "2.81")}


def test_r45_an_issued_invoice_that_comes_into_scope_is_refused_and_nothing_written(cli, tmp_path):
    """A consumer invoice (no address) issued out of scope; once every invoice is in scope
    (einvoice_required), validate names BR-11 and exits 1, and einvoice writes nothing."""
    _issued(cli)
    cli.ok("contacts", "add", "--email", "jo@example.com", "--first-name", "Jo")
    draft = cli.ok("invoices", "create", "--operation", "services", "--currency", "EUR", "--contact", "jo@example.com", "--line", "Cours;1;40;20")
    number = cli.ok("invoices", "finalize", str(draft["id"]))["number"]
    bad = cli("invoices", "validate", number)  # validate exits 1 on any error, in scope or not
    assert bad.code == 1 and not bad.data["in_scope"]
    assert "BR-11" in {f["rule"] for f in bad.data["findings"] if f["fatal"]}  # the buyer's country is mandatory
    target = tmp_path / "x.pdf"
    written = cli("invoices", "einvoice", number, "--out", str(target))  # out of scope: written, with warnings
    assert written.code == 0 and "BR-11" in written.err and target.exists()
    target.unlink()
    cli.ok("settings", "set", "einvoice_required", "true")
    assert cli("invoices", "validate", number).data["in_scope"]
    refused = cli("invoices", "einvoice", number, "--out", str(target))
    assert refused.code == 1 and "BR-11" in refused.err and not target.exists()


def test_r44_credit_note_einvoice_refers_to_its_invoice(any_cli, tmp_path):
    number = _issued(any_cli)
    draft = any_cli.ok("credit-notes", "create", number, "--line-of", "1:1", "--reason", "Une journée non réalisée")
    cn = any_cli.ok("credit-notes", "issue", str(draft["id"]))["number"]
    assert any_cli.ok("credit-notes", "validate", cn)["valid"]
    for fmt, read in (("ubl", read_ubl), ("cii", read_cii)):
        target = tmp_path / f"{cn}.{fmt}.xml"
        any_cli.ok("credit-notes", "einvoice", cn, "--format", fmt, "--out", str(target))
        doc = read(target.read_bytes())
        assert (doc.type_code, doc.number, doc.preceding_number) == ("381", cn, number)
        assert str(doc.grand_total) == "540.00" and doc.lines[0].quantity == 1
    assert any_cli("credit-notes", "validate", number).code == 2  # an invoice is not a credit note


def _attachments(data: bytes) -> list[str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return list(pdf.attachments)


def test_r44_invoices_pdf_is_factur_x_with_a_complete_seller_profile(cli, tmp_path):
    """With a complete seller profile the PDF every face hands out is the Factur-X PDF; an invoice
    that cannot be an EN 16931 e-invoice (an R18 extra tax) keeps the plain PDF."""
    number = _issued(cli)
    plain = cli.ok("invoices", "create", "--operation", "services", "--currency", "EUR", "--contact", "compta@martin.example",
                   "--line", "Cours;1;40;20", "--tax", "2%;Taxe de séjour")
    cli.ok("invoices", "finalize", str(plain["id"]))
    cli.ok("invoices", "pdf", str(plain["id"]), "--out", str(tmp_path / "plain.pdf"))
    assert _attachments((tmp_path / "plain.pdf").read_bytes()) == []
    cli.ok("invoices", "pdf", number, "--out", str(tmp_path / "fx.pdf"))
    data = (tmp_path / "fx.pdf").read_bytes()
    assert _attachments(data) == ["factur-x.xml"] and preflight(data) == []


def test_r45_an_invoice_in_scope_that_fails_a_rule_is_not_issued(any_cli):
    """Finalize validates an invoice in the mandate's scope before it takes a number: a business
    buyer without a country (BR-11) and without a SIREN (BR-FR-11) is refused, nothing issued."""
    _issued(any_cli)  # the seller profile and a first, valid invoice
    any_cli.ok("companies", "add", "--name", "Garage Petit", "--address", "8 rue Basse")
    draft = any_cli.ok("invoices", "create", "--operation", "services", "--currency", "EUR", "--contact", "compta@martin.example",
                       "--company", "Garage Petit", "--line", "Vidange;1;90;20")
    refused = any_cli("invoices", "finalize", str(draft["id"]))
    assert refused.code == 1 and "BR-11" in refused.err and "BR-FR-11" in refused.err, refused.err
    assert any_cli.ok("invoices", "show", str(draft["id"]))["status"] == "draft"
    # outside the scope (no company: a consumer), the same buyer data is no obstacle
    fine = any_cli.ok("invoices", "create", "--operation", "services", "--currency", "EUR", "--contact", "compta@martin.example",
                      "--line", "Vidange;1;90;20")
    assert any_cli.ok("invoices", "finalize", str(fine["id"]))["status"] == "open"


def test_r45_einvoice_required_puts_every_invoice_in_scope(cli):
    _issued(cli)
    cli.ok("settings", "set", "einvoice_required", "true")
    cli.ok("contacts", "add", "--email", "jo@example.com", "--first-name", "Jo")  # no address at all
    draft = cli.ok("invoices", "create", "--operation", "services", "--currency", "EUR", "--contact", "jo@example.com", "--line", "Cours;1;40;20")
    refused = cli("invoices", "finalize", str(draft["id"]))
    assert refused.code == 1 and "BR-11" in refused.err
def test_r43_buyer_legal_data_and_invoice_fields_reach_the_einvoice(cli, tmp_path):
    """Issue 22: the company's legal name, structured address and SIREN, and the invoice's buyer
    reference (BT-10), delivery date (BT-72) and operation category (BT-23 billing frame) are what
    the e-invoice says; it validates with no finding."""
    for key, value in SELLER.items():
        cli.ok("settings", "set", key, value)
    cli.ok("companies", "add", "--name", "Martin", "--legal-name", "Boulangerie Martin SAS", "--address",
           "3 place du Marché", "--postcode", "69001", "--city", "Lyon", "--country", "FR", "--siren", "334175221",
           "--vat-id", "FR23334175221")
    cli.ok("contacts", "add", "--email", "compta@martin.example", "--company", "Martin")
    inv = cli.ok("invoices", "create", "--currency", "EUR", "--contact", "compta@martin.example", "--company",
                 "Martin", "--line", "Pain;10;2;5.5", "--operation", "goods", "--buyer-reference", "BM-7",
                 "--delivery-date", "2026-03-12")
    number = cli.ok("invoices", "finalize", str(inv["id"]))["number"]
    report = cli.ok("invoices", "validate", number)
    assert report["valid"] and report["findings"] == [], report
    target = tmp_path / "out.cii"
    cli.ok("invoices", "einvoice", number, "--format", "cii", "--out", str(target))
    doc = read_cii(target.read_bytes())
    assert doc.buyer.name == "Boulangerie Martin SAS" and doc.buyer.legal_id == "334175221"
    assert (doc.buyer.address.postcode, doc.buyer.address.city, doc.buyer.address.country) == ("69001", "Lyon", "FR")
    assert (doc.buyer.electronic_address, doc.buyer.electronic_scheme) == ("334175221", "0225")
    assert (doc.buyer_reference, doc.business_process, str(doc.delivery_date)) == ("BM-7", "B1", "2026-03-12")
