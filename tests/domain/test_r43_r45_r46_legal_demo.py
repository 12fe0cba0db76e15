"""The demo is legal (issue 22 point 8, R43/R45/R46): a complete French seller profile whose every
value passes the settings' own checks, strict mode on (cancellations are credit notes), French VAT
rates, French business buyers with valid identifiers and electronic addresses beside consumers and
foreign buyers, no R18 extra taxes on French business buyers' invoices; ``--no-strict`` keeps voided
invoices. And issue 23's acceptance: every open demo invoice of a French buyer validates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoice_tui import demo
from invoice_tui.db.models import Adjustment, Company, Contact, Invoice, LineItem
from invoice_tui.domain import audit, einvoice, invoices
from invoice_tui.domain.einvoice_build import buyer_party, business_buyer
from invoice_tui.domain.errors import RuleRefused
from invoice_tui.domain.settings import coerce_setting, load_settings

pytestmark = pytest.mark.no_seller  # the demo's own seller, not the test seller


def tva_valid(number: str) -> bool:
    from stdnum.eu import vat

    return vat.is_valid(number)


def test_r43_r46_demo_seller_is_french_complete_and_strict(ws, admin):
    from stdnum.fr import siren, siret, tva

    demo.generate(admin, invoices=60, seed=4)
    s = load_settings()
    assert s.french_seller and s.strict_mode and s.strict_locked
    assert not s.allow_edit_finalized and not s.allow_delete_unpaid
    for key in ("seller_legal_name", "seller_address", "seller_postcode", "seller_city", "seller_siren",
                "seller_siret", "seller_vat_id", "seller_legal_form", "seller_share_capital", "seller_registration",
                "seller_electronic_address", "seller_iban", "seller_bic", "payment_means_code", "late_penalty_rate",
                "early_payment_terms"):
        value = getattr(s, key)
        assert value, key
        if key != "seller_electronic_address":  # checked against its scheme below
            assert coerce_setting(key, value) == value, key  # every value passes its own check (R43)
    assert s.seller_electronic_scheme == "0225" and s.seller_electronic_address == s.seller_siren
    assert siren.is_valid(s.seller_siren) and siret.is_valid(s.seller_siret) and tva.is_valid(s.seller_vat_id)

    # buyers: French companies with valid identifiers and their SIREN as electronic address (0225),
    # consumers (contacts without a company), foreign buyers
    french = list(Company.select().where(Company.country == "FR"))
    assert french and Company.select().where(Company.country != "FR").exists()
    for c in french:
        assert siren.is_valid(c.siren) and siret.is_valid(c.siret) and c.siret.startswith(c.siren)
        assert tva.is_valid(c.vat_id) and c.vat_id.endswith(c.siren)
        assert (c.electronic_address, c.electronic_scheme) == (c.siren, "0225")
        assert c.legal_name and c.postcode and c.city
    assert Contact.select().where(Contact.company.is_null() & (Contact.country == "FR")).exists()

    # French VAT rates on EUR invoices; every invoice states its operation category; a French
    # business buyer's invoices carry no R18 extra taxes (each can be an e-invoice)
    charged = {li.tax_rate for li in LineItem.select().join(Invoice).where(
        (Invoice.currency == "EUR") & LineItem.tax_category.is_null())}
    assert charged <= {Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1")} and len(charged) >= 3
    # a business buyer abroad is charged no French VAT, each line saying why (its category, and
    # the invoice's reason for it, BT-120): in the EU reverse charge (AE) or an intra-community
    # supply (K), outside it an export (G); a consumer abroad pays French VAT
    abroad: dict[str, set] = {}
    for li in LineItem.select(LineItem, Invoice).join(Invoice).where(LineItem.tax_category.is_null(False)):
        company = Company.get_by_id(li.invoice.company_id)
        assert li.tax_rate == 0 and company.country != "FR", li.invoice.number
        assert li.tax_category in invoices.exemption_reasons(li.invoice), li.invoice.number
        abroad.setdefault("eu" if company.country in ("DE", "ES") else "export", set()).add(li.tax_category)
        if company.country in ("DE", "ES"):
            assert tva_valid(company.vat_id), company.vat_id  # BT-48 (BR-AE-02, BR-IC-02)
    assert abroad == {"eu": {"AE", "K"}, "export": {"G"}}, abroad
    invs = list(Invoice.select().where(Invoice.doc_type == "invoice"))
    assert all(i.operation_category in ("goods", "services", "both") for i in invs)
    assert all(i.eur_rate for i in invs if i.currency != "EUR") and not any(i.eur_rate for i in invs
                                                                             if i.currency == "EUR")
    fr_b2b = [i for i in invs if i.company_id and Company.get_by_id(i.company_id).country == "FR"]
    assert fr_b2b and all(business_buyer(i) for i in fr_b2b)
    assert not Adjustment.select().where((Adjustment.kind == "tax")
                                         & Adjustment.invoice.in_([i.id for i in fr_b2b])).exists()

    # strict mode: an issued demo invoice is never edited, voided or deleted (R46)
    issued = next(i for i in invs if i.status == "open")
    with pytest.raises(RuleRefused) as err:
        invoices.void_invoice(admin, issued.id)
    assert err.value.code == "invoice.strict_mode"
    assert audit.verify().ok


@pytest.mark.no_seller
def test_r46_demo_keeps_voided_invoices_for_a_non_french_seller(ws, admin):
    from invoice_tui.domain import workspace

    workspace.set_setting(admin, "seller_legal_name", "Acme GmbH")
    workspace.set_setting(admin, "seller_country", "DE")
    summary = demo.generate(admin, invoices=60, seed=4)
    s = load_settings()
    assert s.seller_legal_name == "Acme GmbH" and not s.seller_siren  # its own profile is kept
    assert not s.strict_mode and summary["voided"] >= 1 and summary["credit_notes"] == 0


def test_r46_demo_no_strict_keeps_voided_invoices(ws, admin):
    summary = demo.generate(admin, invoices=120, seed=4, strict=False)
    s = load_settings()
    assert s.french_seller and not s.strict_mode and not s.strict_locked
    assert summary["voided"] >= 1 and summary["credit_notes"] == 0
    assert Invoice.select().where(Invoice.status == "voided").count() == summary["voided"]
    assert not Invoice.select().where(Invoice.doc_type == "credit_note").exists()
    report = audit.verify()
    assert report.ok, [f.sentence() for f in report.findings[:5]]
    issued = Invoice.select().where((Invoice.status == "open") & (Invoice.paid_minor == 0)).first()
    assert invoices.void_invoice(admin, issued.id).status == "voided"  # allowed outside strict mode


def test_r45_every_open_demo_invoice_of_a_french_buyer_validates(ws, admin):
    """And so does every open demo invoice of a business buyer abroad: reverse charge and
    intra-community supplies within the EU, exports outside it (BR-AE, BR-IC, BR-G), and every
    credit note of a cancellation (in the invoice's currency: its EUR rate kept)."""
    demo.generate(admin, invoices=300, seed=7)
    settings, checked, rates, failures = load_settings(), 0, set(), {}
    categories: dict[str, set] = {}
    credit_notes = 0
    for inv in Invoice.select().where(((Invoice.status == "open") & (Invoice.doc_type == "invoice"))
                                      | (Invoice.status == "issued")):  # and the credit notes
        country = buyer_party(inv).address.country
        if country != "FR" and not inv.company_id:
            continue
        try:
            validation = einvoice.validate(inv, "cii", settings)
        except einvoice.NotEn16931:
            continue
        checked += 1
        credit_notes += inv.doc_type == "credit_note"
        groups = einvoice.einvoice_document(inv, settings).vat_groups
        rates |= {g.rate for g in groups}
        categories.setdefault(country, set()).update(g.category for g in groups)
        if validation.fatal:
            failures[inv.number] = [f.line() for f in validation.fatal]
    assert not failures and checked >= 20 and len(rates) >= 2 and credit_notes >= 3, (failures, credit_notes)
    assert {"AE", "K"} <= categories["DE"] | categories["ES"] and categories["US"] == {"G"}, categories
