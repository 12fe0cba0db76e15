"""R2/R43: no invoice without a seller; with a French seller, what French law requires for the
invoice at hand, each missing field named with its EN 16931 rule or business term. A refused
finalize writes nothing (no number taken)."""

from __future__ import annotations

import pytest

from invoice_tui.domain import invoices, people
from invoice_tui.domain.errors import BadInput, RuleRefused
from invoice_tui.domain.workspace import set_setting
from tests.domain.rulekit import census, line, make_draft, reload

FRENCH_SELLER = {"seller_legal_name": "Lumière & Co. Studio SAS", "seller_address": "8 boulevard de la Croix-Rousse",
                 "seller_postcode": "69004", "seller_city": "Lyon", "seller_country": "FR",
                 "seller_siren": "732829320", "seller_vat_id": "FR40303265045", "seller_electronic_scheme": "0225",
                 "seller_electronic_address": "732829320", "late_penalty_rate": "12.15"}


def _missing(err) -> list[str]:
    return [m["field"] for m in err.value.details["missing"]]


@pytest.mark.no_seller
def test_r2_first_finalize_refused_without_a_seller(ws, admin, buyer):
    draft = make_draft(admin, buyer)
    before = census()
    with pytest.raises(RuleRefused) as err:
        invoices.finalize_invoice(admin, draft.id)
    assert err.value.code == "invoice.legal_data_missing"
    assert _missing(err) == ["seller_legal_name", "seller_address"]
    assert "BR-6" in err.value.message and "BR-8" in err.value.message
    assert census() == before and reload(draft).status == "draft"
    set_setting(admin, "seller_legal_name", "Atelier Dupré SARL")
    with pytest.raises(RuleRefused, match="seller_address"):
        invoices.finalize_invoice(admin, draft.id)
    set_setting(admin, "seller_address", "12 rue des Lilas")
    assert invoices.finalize_invoice(admin, draft.id).number == "INV-1001"  # a non-French seller: that is all


@pytest.mark.no_seller
def test_r2_finalize_action_shows_the_missing_seller_beside_it(ws, admin, buyer):
    draft = make_draft(admin, buyer)
    state = next(a for a in invoices.available_actions(admin, draft) if a.id == "finalize")
    assert not state.enabled and "seller_legal_name" in state.reason and "seller_address" in state.reason


@pytest.mark.no_seller
def test_r43_french_invoice_refused_until_each_missing_field_is_filled(ws, admin):
    for key, value in FRENCH_SELLER.items():
        if key not in ("seller_siren", "seller_vat_id", "late_penalty_rate"):
            set_setting(admin, key, value)
    company = people.add_company(admin, {"name": "Bonnard Architecture", "country": "FR"})
    contact = people.add_contact(admin, {"email": "compta@bonnard.example", "company_id": company.id})
    draft = make_draft(admin, contact, company_id=company.id, lines=[line(tax="20")])
    expected = ["seller_siren", "seller_vat_id", "operation_category", "late_penalty_rate", "buyer_siren",
                "buyer_electronic_address"]
    fills = {
        "seller_siren": lambda: set_setting(admin, "seller_siren", "732829320"),
        "seller_vat_id": lambda: set_setting(admin, "seller_vat_id", "FR40303265045"),
        "operation_category": lambda: invoices.edit_invoice(admin, draft.id, {"operation_category": "services"}),
        "late_penalty_rate": lambda: set_setting(admin, "late_penalty_rate", "12.15"),
        # a French company's electronic address defaults to its SIREN under scheme 0225 (BT-49)
        "buyer_siren": lambda: people.edit_company(admin, company.id, {"siren": "552 100 554"}),
    }
    while expected:
        before = census()
        with pytest.raises(RuleRefused) as err:
            invoices.finalize_invoice(admin, draft.id)
        assert _missing(err) == expected, err.value.message
        for field in expected:
            assert field in err.value.message
        assert census() == before
        field = expected[0]
        fills[field]()
        expected = [f for f in expected if f != field and not (field == "buyer_siren"
                                                              and f == "buyer_electronic_address")]
    inv = invoices.finalize_invoice(admin, draft.id)
    assert inv.status == "open" and inv.number
    company = people.find_company(company.id)
    assert (company.siren, company.electronic_scheme, company.electronic_address) == ("552100554", "0225", "552100554")


@pytest.mark.no_seller
def test_r43_french_consumer_invoice_needs_no_business_mentions(ws, admin, buyer):
    for key, value in FRENCH_SELLER.items():
        set_setting(admin, key, value)
    set_setting(admin, "late_penalty_rate", "")
    draft = make_draft(admin, buyer, operation_category="goods")
    assert invoices.finalize_invoice(admin, draft.id).status == "open"  # a consumer: no penalty rate needed


@pytest.mark.no_seller
def test_r43_french_seller_exempt_and_reverse_charge_groups_need_their_reason(ws, admin):
    for key, value in FRENCH_SELLER.items():
        set_setting(admin, key, value)
    company = people.add_company(admin, {"name": "Böhm Beratung AG", "country": "DE"})
    contact = people.add_contact(admin, {"email": "boehm@example.de", "company_id": company.id})
    draft = make_draft(admin, contact, company_id=company.id, operation_category="services",
                       lines=[{"name": "Audit", "unit_price": "100", "tax_rate": "0", "tax_category": "AE"}])
    with pytest.raises(RuleRefused) as err:
        invoices.finalize_invoice(admin, draft.id)
    assert _missing(err) == ["exemption_reason_AE", "buyer_vat_id"]
    assert "BR-AE-10" in err.value.message and "BR-AE-02" in err.value.message
    invoices.edit_invoice(admin, draft.id, {"exemption_reasons": {"AE": "Autoliquidation"}})
    people.edit_company(admin, company.id, {"vat_id": "DE136695976"})
    assert invoices.finalize_invoice(admin, draft.id).status == "open"


def test_r43_buyer_identifiers_checked(ws, admin):
    with pytest.raises(BadInput, match="SIREN 552100555: the check digit is wrong"):
        people.add_company(admin, {"name": "Bad", "siren": "552100555"})
    with pytest.raises(BadInput, match="VAT id DE136695977: the check digit is wrong"):
        people.add_company(admin, {"name": "Bad", "vat_id": "DE136695977"})
    with pytest.raises(BadInput, match="does not belong to SIREN"):
        people.add_company(admin, {"name": "Bad", "siren": "552100554", "siret": "73282932000074"})
    with pytest.raises(BadInput, match="ISO 3166"):
        people.add_contact(admin, {"email": "x@example.com", "country": "France"})
    with pytest.raises(BadInput, match="operation category"):
        make_draft(admin, None, operation_category="stuff")
    with pytest.raises(BadInput, match="VAT category E, AE, K, G or O"):
        make_draft(admin, None, exemption_reasons={"S": "no"})
    with pytest.raises(BadInput, match="EUR exchange rate"):
        make_draft(admin, None, currency="USD", eur_rate="-1")
    c = people.add_company(admin, {"name": "Good", "siret": "732 829 320 00074", "country": "fr"})
    assert (c.siren, c.siret, c.country, c.electronic_address) == ("732829320", "73282932000074", "FR", "732829320")


@pytest.mark.no_seller
def test_r43_r44_french_seller_in_usd_needs_the_eur_rate_and_states_the_vat_in_eur(ws, admin):
    """#22 point 3 / #23: a French seller billing in another currency is refused until the invoice
    holds its exchange rate to EUR (BR-FR-CO-12, BT-6/BT-111); the stored rate then gives the
    e-invoice's VAT total in EUR, which validates and reads back."""
    from decimal import Decimal

    from invoice_tui.documents.einvoice.read import read_cii
    from invoice_tui.domain import einvoice
    from invoice_tui.domain.einvoice_build import xml_of

    for key, value in FRENCH_SELLER.items():
        set_setting(admin, key, value)
    company = people.add_company(admin, {"name": "Acme Widgets Inc.", "country": "US", "city": "Austin",
                                         "postcode": "TX 78701", "address": "1 Main Street"})
    contact = people.add_contact(admin, {"email": "ap@acme.example", "company_id": company.id})
    draft = make_draft(admin, contact, company_id=company.id, currency="USD",
                       lines=[line(price="1000", tax="20")], operation_category="services")
    before = census()
    with pytest.raises(RuleRefused) as err:
        invoices.finalize_invoice(admin, draft.id)
    assert _missing(err) == ["eur_rate"] and "BR-FR-CO-12" in err.value.message and "1 USD in EUR" in err.value.message
    assert census() == before
    with pytest.raises(BadInput):  # the rate is checked as typed: a positive number
        invoices.edit_invoice(admin, draft.id, {"eur_rate": "-1"})
    invoices.edit_invoice(admin, draft.id, {"eur_rate": "0.9091"})
    inv = invoices.finalize_invoice(admin, draft.id)
    doc = einvoice.einvoice_document(inv)
    assert doc.tax_total == Decimal("200.00")
    assert (doc.tax_currency, doc.tax_total_in_tax_currency) == ("EUR", Decimal("181.82"))  # 200 × 0.9091
    for fmt in ("cii", "ubl"):
        assert not einvoice.validate(inv, fmt).fatal, fmt
    xml, _kind = xml_of(doc, "cii")
    back = read_cii(xml)
    assert (back.tax_currency, back.tax_total_in_tax_currency) == ("EUR", Decimal("181.82"))


@pytest.mark.no_seller
def test_r43_french_seller_issues_an_intra_eu_supply_delivered_to_the_buyer_country(ws, admin):
    """An intra-community supply of goods (VAT category K) states where the goods go (BT-80,
    BR-IC-12): the buyer's address, in its member state. Without it a French seller could not issue
    such an invoice at all (finalize refused on BR-IC-12, the e-invoice being in the mandate's scope)."""
    from invoice_tui.documents.einvoice.read import read_cii, read_ubl
    from invoice_tui.domain import einvoice
    from invoice_tui.domain.einvoice_build import xml_of

    for key, value in FRENCH_SELLER.items():
        set_setting(admin, key, value)
    machine = [{"name": "Machine", "unit_price": "800", "quantity": "2", "tax_rate": "0", "tax_category": "K"}]
    company = people.add_company(admin, {"name": "Böhm Maschinen AG", "country": "DE", "vat_id": "DE136695976",
                                         "address": "Königsallee 1", "postcode": "40212", "city": "Düsseldorf"})
    contact = people.add_contact(admin, {"email": "boehm@example.de", "company_id": company.id})
    draft = make_draft(admin, contact, company_id=company.id, operation_category="goods", lines=machine,
                       exemption_reasons={"K": "Exonération de TVA, art. 262 ter I du CGI"})
    inv = invoices.finalize_invoice(admin, draft.id)
    assert inv.status == "open"
    doc = einvoice.einvoice_document(inv)
    assert doc.delivery_address.country == "DE" and doc.delivery_address.city == "Düsseldorf"
    for fmt, read in (("cii", read_cii), ("ubl", read_ubl)):
        assert not einvoice.validate(inv, fmt).fatal, fmt
        xml, _kind = xml_of(doc, fmt)
        assert read(xml).delivery_address.country == "DE", fmt
    # any other category has no deliver-to party of its own
    other = make_draft(admin, contact, company_id=company.id, operation_category="services",
                       lines=[{"name": "Audit", "unit_price": "100", "tax_rate": "0", "tax_category": "AE"}],
                       exemption_reasons={"AE": "Autoliquidation"})
    assert einvoice.einvoice_document(invoices.finalize_invoice(admin, other.id)).delivery_address is None


@pytest.mark.no_seller
def test_r36_r43_a_credit_note_keeps_the_legal_fields_of_the_invoice_it_corrects(ws, admin):
    """A French seller's export in USD, corrected by a credit note: the credit note is the same
    supply, so it keeps the invoice's EUR rate, operation category and exemption reason — it was
    refused at issue (BR-FR-CO-12: no VAT total in EUR), and its e-invoice said no reason of its own."""
    from invoice_tui.domain import credit, einvoice

    for key, value in FRENCH_SELLER.items():
        set_setting(admin, key, value)
    company = people.add_company(admin, {"name": "Acme Widgets Inc.", "country": "US", "city": "Austin",
                                         "postcode": "TX 78701", "address": "1 Main Street"})
    contact = people.add_contact(admin, {"email": "ap@acme.example", "company_id": company.id})
    reason = "Exportation, art. 262 I du CGI"
    draft = make_draft(admin, contact, company_id=company.id, currency="USD", eur_rate="0.9091",
                       operation_category="services", exemption_reasons={"G": reason},
                       lines=[{"name": "Audit", "unit_price": "1000", "tax_rate": "0", "tax_category": "G"}])
    inv = invoices.finalize_invoice(admin, draft.id)
    cn = credit.create_credit_note(admin, inv.number, reason="Order cancelled", full=True)
    assert (cn.eur_rate, cn.operation_category, invoices.exemption_reasons(cn)) == ("0.9091", "services", {"G": reason})
    cn = credit.issue_credit_note(admin, cn.id)
    assert cn.status == "issued"
    doc = einvoice.einvoice_document(cn)
    assert [g.exemption_reason for g in doc.vat_groups] == [reason] and doc.tax_currency == "EUR"
    for fmt in ("cii", "ubl"):
        assert not einvoice.validate(cn, fmt).fatal, fmt


@pytest.mark.no_seller
def test_r43_a_clone_keeps_the_supply_s_legal_fields_not_its_date_nor_rate(ws, admin):
    """Next month's invoice, cloned from a reverse-charged one in USD: it keeps the operation
    category, the exemption reason, the buyer's reference and the delivery address (finalize
    asked for each again), not the delivery date nor the EUR rate, which are the new invoice's own
    (finalize asks for the day's rate, with its sentence)."""
    for key, value in FRENCH_SELLER.items():
        set_setting(admin, key, value)
    company = people.add_company(admin, {"name": "Böhm Beratung AG", "country": "DE", "vat_id": "DE136695976"})
    contact = people.add_contact(admin, {"email": "boehm@example.de", "company_id": company.id})
    draft = make_draft(admin, contact, company_id=company.id, operation_category="services", currency="USD",
                       eur_rate="0.9091", exemption_reasons={"AE": "Autoliquidation"}, buyer_reference="BÖHM-7",
                       delivery_date="2026-03-01", delivery_address="Königsallee 1, 40212 Düsseldorf",
                       lines=[{"name": "Audit", "unit_price": "100", "tax_rate": "0", "tax_category": "AE"}])
    src = invoices.finalize_invoice(admin, draft.id)
    clone = invoices.clone_invoice(admin, src.number)
    assert (clone.operation_category, invoices.exemption_reasons(clone), clone.buyer_reference,
            clone.delivery_address) == ("services", {"AE": "Autoliquidation"}, "BÖHM-7", "Königsallee 1, 40212 Düsseldorf")
    assert clone.delivery_date is None and not clone.eur_rate
    with pytest.raises(RuleRefused) as err:
        invoices.finalize_invoice(admin, clone.id)
    assert _missing(err) == ["eur_rate"]
    invoices.edit_invoice(admin, clone.id, {"eur_rate": "0.92"})
    assert invoices.finalize_invoice(admin, clone.id).status == "open"


@pytest.mark.no_seller
def test_r41_r43_cancel_and_replace_an_intra_eu_supply_end_to_end(ws, admin):
    """R41 on a French seller's intra-community supply: the credit note is issued (its e-invoice
    valid: the invoice's reasons, the buyer's country as deliver-to), and the replacement draft
    finalizes as it is, its legal data kept from the invoice it replaces."""
    from invoice_tui.domain import credit, einvoice

    for key, value in FRENCH_SELLER.items():
        set_setting(admin, key, value)
    company = people.add_company(admin, {"name": "Böhm Maschinen AG", "country": "DE", "vat_id": "DE136695976",
                                         "address": "Königsallee 1", "postcode": "40212", "city": "Düsseldorf"})
    contact = people.add_contact(admin, {"email": "boehm@example.de", "company_id": company.id})
    draft = make_draft(admin, contact, company_id=company.id, operation_category="both",
                       exemption_reasons={"K": "Exonération de TVA, art. 262 ter I du CGI", "AE": "Autoliquidation"},
                       lines=[{"name": "Machine", "unit_price": "800", "tax_rate": "0", "tax_category": "K"},
                              {"name": "Installation", "unit_price": "300", "tax_rate": "0", "tax_category": "AE"}])
    inv = invoices.finalize_invoice(admin, draft.id)
    cn, replacement = credit.cancel_and_replace(admin, inv.number, reason="Wrong machine model")
    assert cn.status == "issued" and not einvoice.validate(cn, "cii").fatal
    assert einvoice.einvoice_document(cn).delivery_address.country == "DE"
    issued = invoices.finalize_invoice(admin, replacement.id)
    assert issued.status == "open" and issued.operation_category == "both"
    assert not einvoice.validate(issued, "ubl").fatal


def _micro_entreprise_and_buyer(admin):
    """A French seller under the VAT franchise (no VAT id), and a French business buyer (company, contact)."""
    for key, value in FRENCH_SELLER.items():
        if key != "seller_vat_id":
            set_setting(admin, key, value)
    set_setting(admin, "vat_franchise", "on")
    company = people.add_company(admin, {"name": "Bonnard", "legal_name": "Bonnard Architecture SARL",
                                         "address": "73 rue des Érables", "postcode": "69006", "city": "Lyon",
                                         "country": "FR", "siren": "334175221", "vat_id": "FR23334175221"})
    return company, people.add_contact(admin, {"email": "compta@bonnard.example", "company_id": company.id})


@pytest.mark.no_seller
def test_r43_a_micro_entreprise_s_exempt_lines_take_the_franchise_as_their_reason(ws, admin):
    """A seller under the VAT franchise (art. 293 B du CGI) bills exempt lines (E): the franchise,
    stated once in the settings, is their reason — on the PDF and as BT-120 — so finalize does not
    ask for it on every invoice; its e-invoice validates. Known-bad: without the franchise, an E
    line without a reason is refused."""
    from invoice_tui.domain import einvoice

    company, contact = _micro_entreprise_and_buyer(admin)
    exempt = [{"name": "Dépannage", "unit_price": "100", "tax_rate": "0", "tax_category": "E"}]
    inv = invoices.finalize_invoice(admin, make_draft(admin, contact, company_id=company.id,
                                                      operation_category="services", lines=exempt).id)
    groups = einvoice.einvoice_document(inv).vat_groups
    assert [(g.category, g.exemption_reason) for g in groups] == [("E", "TVA non applicable, art. 293 B du CGI")]
    for fmt in ("cii", "ubl"):
        assert not einvoice.validate(inv, fmt).fatal, fmt
    set_setting(admin, "seller_vat_id", FRENCH_SELLER["seller_vat_id"])
    set_setting(admin, "vat_franchise", "off")
    draft = make_draft(admin, contact, company_id=company.id, operation_category="services", lines=exempt)
    with pytest.raises(RuleRefused) as err:
        invoices.finalize_invoice(admin, draft.id)
    assert _missing(err) == ["exemption_reason_E"]


@pytest.mark.no_seller
def test_r43_a_micro_entreprise_s_untaxed_lines_and_fees_are_exempt_not_zero_rated(ws, admin, tmp_path):
    """Under the VAT franchise (art. 293 B du CGI) a sale is exempt: a line or a fee at 0 % whose
    category the user did not give is written E, on create, on edit, on import (R52) and in a
    credit note by amount, so the
    e-invoice states the exemption and its reason; a category given (Z) is kept. Known-bad: the
    same input without the franchise is zero-rated (Z), the default elsewhere."""
    from invoice_tui.db.models import Adjustment, Invoice, LineItem
    from invoice_tui.domain import credit, einvoice
    from invoice_tui.imports.service import run_import

    company, contact = _micro_entreprise_and_buyer(admin)
    untaxed = [{"name": "Cours de guitare", "unit_price": "100"}]
    fee = [{"value": "10", "label": "Déplacement"}]

    def categories(inv_id: int) -> tuple[list[str], list[str]]:
        return ([li.tax_category for li in LineItem.select().where(LineItem.invoice == inv_id).order_by(LineItem.position)],
                [a.tax_category for a in Adjustment.select().where(Adjustment.invoice == inv_id)])

    draft = make_draft(admin, contact, company_id=company.id, operation_category="services", lines=untaxed, fees=fee)
    assert categories(draft.id) == (["E"], ["E"])
    invoices.edit_invoice(admin, draft.id, {"lines": [*untaxed, {"name": "Partition", "unit_price": "5",
                                                                   "tax_category": "Z"}]})
    assert categories(draft.id) == (["E", "Z"], ["E"])  # a category given is the user's
    invoices.edit_invoice(admin, draft.id, {"lines": untaxed})
    inv = invoices.finalize_invoice(admin, draft.id)
    groups = einvoice.einvoice_document(inv).vat_groups
    assert [(g.category, g.exemption_reason) for g in groups] == [("E", "TVA non applicable, art. 293 B du CGI")]
    for fmt in ("cii", "ubl"):
        assert not einvoice.validate(inv, fmt).fatal, fmt
    cn = credit.create_credit_note(admin, inv.id, reason="Cours annulé", amount="45", rate="0")
    assert categories(cn.id) == (["E"], [])

    (tmp_path / "inv.csv").write_text("Status,Currency,Invoice date,Contact email,Line name,Quantity,Unit price\n"
                                      "Draft,EUR,2019-12-31,compta@bonnard.example,Cours,1,50\n", encoding="utf-8")
    report = run_import(admin, "invoices", tmp_path / "inv.csv")
    assert report.ok and report.written, [e.record() for e in report.errors]
    assert categories(Invoice.get(Invoice.origin == "import").id) == (["E"], [])

    set_setting(admin, "seller_vat_id", FRENCH_SELLER["seller_vat_id"])
    set_setting(admin, "vat_franchise", "off")
    other = make_draft(admin, contact, company_id=company.id, operation_category="services", lines=untaxed, fees=fee)
    assert categories(other.id) == (["Z"], ["Z"])
