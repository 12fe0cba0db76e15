"""R43: the mandatory mentions on the PDF, in the invoice's language, read back with pdftotext: a
French B2B invoice holds every mention of issue 22 point 5; a German one holds the Leistungsdatum.
The buyer page shows the same document."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest

from invoice_tui.documents.pdf import invoice_pdf
from invoice_tui.domain import invoices, people
from invoice_tui.domain.workspace import open_workspace, set_setting

pytestmark = pytest.mark.no_seller

SELLER = {"seller_legal_name": "Lumière & Co. Studio SAS", "seller_address": "8 boulevard de la Croix-Rousse",
          "seller_postcode": "69004", "seller_city": "Lyon", "seller_siren": "732829320",
          "seller_siret": "73282932000074", "seller_vat_id": "FR40303265045", "seller_electronic_scheme": "0225",
                 "seller_electronic_address": "732829320", "seller_legal_form": "SAS",
          "seller_share_capital": "10000", "seller_registration": "RCS Lyon", "late_penalty_rate": "12.15",
          "vat_on_debits": "on", "vat_franchise": "on", "seller_country": "FR"}


def _text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", out.replace("\u2019", "'"))


@pytest.fixture
def ctx(sqlite_url, clock):
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    ctx = ws.context("alice", source="test", now=clock)
    for key, value in SELLER.items():
        set_setting(ctx, key, value)
    yield ctx
    ws.db.close()


def test_r43_french_b2b_pdf_holds_every_mention(ctx, tmp_path):
    company = people.add_company(ctx, {"name": "Bonnard", "legal_name": "Bonnard Architecture SARL",
                                       "address": "73 rue des Érables", "postcode": "69006", "city": "Lyon",
                                       "country": "FR", "siren": "334175221", "vat_id": "FR23334175221"})
    contact = people.add_contact(ctx, {"email": "compta@bonnard.example", "company_id": company.id})
    draft = invoices.create_invoice(ctx, {
        "currency": "EUR", "locale": "fr_FR", "contact_id": contact.id, "company_id": company.id,
        "operation_category": "services", "buyer_reference": "BON-42",
        "lines": [{"name": "Conseil", "unit_price": "100", "tax_rate": "20"},
                  {"name": "Travaux", "unit_price": "50", "tax_rate": "0", "tax_category": "AE"},
                  {"name": "Formation", "unit_price": "30", "tax_rate": "0", "tax_category": "E"}],
        "exemption_reasons": {"AE": "art. 283-2 nonies du CGI", "E": "Exonération art. 261-4-4° du CGI"}})
    inv = invoices.finalize_invoice(ctx, draft.id)
    text = _text(invoice_pdf(inv), tmp_path)
    for mention in ("Lumière & Co. Studio SAS", "SAS au capital de 10 000 €", "RCS Lyon", "SIREN 732829320",
                    "SIRET 73282932000074", "FR40303265045",  # the seller's
                    "Bonnard Architecture SARL", "SIREN 334175221", "FR23334175221",  # the buyer's
                    "Autoliquidation", "art. 283-2 nonies du CGI", "Exonération art. 261-4-4° du CGI",
                    "TVA non applicable, art. 293 B du CGI", "Catégorie de l'opération : prestation de services",
                    "Option pour le paiement de la taxe d'après les débits",
                    "Pénalités de retard : taux annuel de 12,15 %",
                    "Indemnité forfaitaire pour frais de recouvrement de 40 €",
                    "Pas d'escompte pour paiement anticipé", "BON-42"):
        assert mention in text, mention


def test_r43_consumer_gets_no_business_mentions(ctx, tmp_path):
    contact = people.add_contact(ctx, {"email": "marie@example.fr", "city": "Lyon", "country": "FR"})
    draft = invoices.create_invoice(ctx, {"currency": "EUR", "locale": "fr_FR", "contact_id": contact.id,
                                          "operation_category": "goods",
                                          "lines": [{"name": "Livre", "unit_price": "20", "tax_rate": "5.5"}]})
    text = _text(invoice_pdf(invoices.finalize_invoice(ctx, draft.id)), tmp_path)
    assert "Catégorie de l'opération : livraison de biens" in text
    assert "40 €" not in text and "Pénalités" not in text


def test_r43_german_pdf_holds_the_leistungsdatum(ctx, tmp_path):
    company = people.add_company(ctx, {"name": "Böhm Beratung AG", "country": "DE", "vat_id": "DE136695976"})
    contact = people.add_contact(ctx, {"email": "boehm@example.de", "company_id": company.id})
    draft = invoices.create_invoice(ctx, {"currency": "EUR", "locale": "de_DE", "contact_id": contact.id,
                                          "company_id": company.id, "operation_category": "services",
                                          "delivery_date": dt.date(2026, 3, 10),
                                          "lines": [{"name": "Beratung", "unit_price": "100", "tax_rate": "20"}]})
    text = _text(invoice_pdf(invoices.finalize_invoice(ctx, draft.id)), tmp_path)
    assert "Leistungsdatum" in text and "10. März 2026" in text
    assert "USt-IdNr.: FR40303265045" in text and "USt-IdNr.: DE136695976" in text


def test_r43_reverse_charge_mention_says_autoliquidation_once(ctx, tmp_path):
    """A German buyer's reverse-charged services: the mention in the invoice's language names
    "Autoliquidation", and an invoice whose own reason is that same word does not repeat it
    ("… (Autoliquidation) — Autoliquidation"); a reason of its own still follows the mention."""
    company = people.add_company(ctx, {"name": "Böhm", "legal_name": "Böhm Beratung AG", "address": "Königsallee 1",
                                       "postcode": "40212", "city": "Düsseldorf", "country": "DE",
                                       "vat_id": "DE136695976"})
    contact = people.add_contact(ctx, {"email": "boehm@example.de", "company_id": company.id})
    texts = []
    for reason in ("Autoliquidation", "Art. 196 MwStSystRL"):
        draft = invoices.create_invoice(ctx, {
            "currency": "EUR", "locale": "de_DE", "contact_id": contact.id, "company_id": company.id,
            "operation_category": "services", "exemption_reasons": {"AE": reason},
            "lines": [{"name": "Audit", "unit_price": "100", "tax_rate": "0", "tax_category": "AE"}]})
        texts.append(_text(invoice_pdf(invoices.finalize_invoice(ctx, draft.id)), tmp_path))
    mention = "Steuerschuldnerschaft des Leistungsempfängers (Autoliquidation)"
    assert mention in texts[0] and f"{mention} — Autoliquidation" not in texts[0], texts[0]
    assert f"{mention} — Art. 196 MwStSystRL" in texts[1], texts[1]
