"""UBL 2.1 Invoice and CreditNote under EN 16931 (the CEN syntax binding). Validated against the
UBL 2.1 XSD, the EN 16931 UBL rules and, for a French seller, BR-FR; PEPPOL BIS rules are not
checked. Element order follows the UBL 2.1 schemas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lxml import etree

from invoice_tui.documents.einvoice.cii import ElementWriter, money, plain
from invoice_tui.documents.einvoice.model import CREDIT_NOTE, EN16931, Address, AllowanceCharge, EInvoice, Party

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ROOTS = {"Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
         "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"}


_WRITER = ElementWriter({"cac": CAC, "cbc": CBC})
_el, _opt = _WRITER.el, _WRITER.opt


def _day(value: dt.date) -> str:
    return value.isoformat()


def _tax_category(parent, tag: str, category: str, rate: Decimal, reason: str = "", code: str = "") -> None:
    node = _el(parent, tag)
    _el(node, "cbc:ID", category)
    if category != "O":
        _el(node, "cbc:Percent", plain(rate))
    _opt(node, "cbc:TaxExemptionReasonCode", code)
    _opt(node, "cbc:TaxExemptionReason", reason)
    _el(_el(node, "cac:TaxScheme"), "cbc:ID", "VAT")


def _address(parent, tag: str, addr: Address) -> None:
    post = _el(parent, tag)
    for tag_, line in zip(("cbc:StreetName", "cbc:AdditionalStreetName"), addr.lines):
        _opt(post, tag_, line)
    _opt(post, "cbc:CityName", addr.city)
    _opt(post, "cbc:PostalZone", addr.postcode)
    if len(addr.lines) > 2:
        _el(_el(post, "cac:AddressLine"), "cbc:Line", addr.lines[2])
    _el(_el(post, "cac:Country"), "cbc:IdentificationCode", addr.country)  # even empty: BR-9/BR-11 name it


def _party(parent, tag: str, party: Party) -> None:
    node = _el(_el(parent, tag), "cac:Party")
    if party.electronic_address:
        _el(node, "cbc:EndpointID", party.electronic_address, schemeID=party.electronic_scheme)
    if party.trading_name:
        _el(_el(node, "cac:PartyName"), "cbc:Name", party.trading_name)
    _address(node, "cac:PostalAddress", party.address)
    if party.vat_id:
        scheme = _el(node, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party.vat_id)
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    if party.tax_registration:
        scheme = _el(node, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party.tax_registration)
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "FC")
    legal = _el(node, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", party.name)
    _opt(legal, "cbc:CompanyID", party.legal_id, schemeID=party.legal_id_scheme)
    _opt(legal, "cbc:CompanyLegalForm", party.legal_form)
    if party.email:
        _el(_el(node, "cac:Contact"), "cbc:ElectronicMail", party.email)


def _allowance(parent, part: AllowanceCharge, currency: str, places: int, with_tax: bool) -> None:
    node = _el(parent, "cac:AllowanceCharge")
    _el(node, "cbc:ChargeIndicator", "true" if part.charge else "false")
    _opt(node, "cbc:AllowanceChargeReason", part.reason)
    if part.percent is not None:
        _el(node, "cbc:MultiplierFactorNumeric", plain(part.percent))
    _el(node, "cbc:Amount", money(part.amount, places), currencyID=currency)
    if part.percent is not None:
        _el(node, "cbc:BaseAmount", money(part.base or Decimal(0), places), currencyID=currency)
    if with_tax:
        _tax_category(node, "cac:TaxCategory", part.category, part.rate)


def write_ubl(doc: EInvoice) -> bytes:
    """The UBL XML of ``doc``: an Invoice, or a CreditNote for type 381."""
    credit = doc.type_code == CREDIT_NOTE
    root_name = "CreditNote" if credit else "Invoice"
    places, cur = doc.decimals, doc.currency
    root = etree.Element(f"{{{ROOTS[root_name]}}}{root_name}", nsmap={None: ROOTS[root_name], "cac": CAC, "cbc": CBC})
    _el(root, "cbc:CustomizationID", EN16931)
    _opt(root, "cbc:ProfileID", doc.business_process)
    _el(root, "cbc:ID", doc.number)
    _el(root, "cbc:IssueDate", _day(doc.issue_date))
    if doc.due_date and not credit:
        _el(root, "cbc:DueDate", _day(doc.due_date))
    _el(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", doc.type_code)
    for note in doc.notes:
        _el(root, "cbc:Note", f"#{note.subject}#{note.text}" if note.subject else note.text)
    _el(root, "cbc:DocumentCurrencyCode", cur)
    _opt(root, "cbc:TaxCurrencyCode", doc.tax_currency)
    _opt(root, "cbc:BuyerReference", doc.buyer_reference)
    if doc.order_reference:
        _el(_el(root, "cac:OrderReference"), "cbc:ID", doc.order_reference)
    if doc.preceding_number:
        ref = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(ref, "cbc:ID", doc.preceding_number)
        if doc.preceding_date:
            _el(ref, "cbc:IssueDate", _day(doc.preceding_date))
    _party(root, "cac:AccountingSupplierParty", doc.seller)
    _party(root, "cac:AccountingCustomerParty", doc.buyer)
    if doc.delivery_date or doc.delivery_address:
        delivery = _el(root, "cac:Delivery")
        if doc.delivery_date:
            _el(delivery, "cbc:ActualDeliveryDate", _day(doc.delivery_date))
        if doc.delivery_address:
            _address(_el(delivery, "cac:DeliveryLocation"), "cac:Address", doc.delivery_address)
    if doc.payment_means_code:
        means = _el(root, "cac:PaymentMeans")
        _el(means, "cbc:PaymentMeansCode", doc.payment_means_code)
        if credit and doc.due_date:
            _el(means, "cbc:PaymentDueDate", _day(doc.due_date))
        if doc.iban:
            account = _el(means, "cac:PayeeFinancialAccount")
            _el(account, "cbc:ID", doc.iban)
            if doc.bic:
                _el(_el(account, "cac:FinancialInstitutionBranch"), "cbc:ID", doc.bic)
    if doc.payment_terms:
        _el(_el(root, "cac:PaymentTerms"), "cbc:Note", doc.payment_terms)
    for part in doc.allowances_charges:
        _allowance(root, part, cur, places, with_tax=True)
    total = _el(root, "cac:TaxTotal")
    _el(total, "cbc:TaxAmount", money(doc.tax_total, places), currencyID=cur)
    for group in doc.vat_groups:
        sub = _el(total, "cac:TaxSubtotal")
        _el(sub, "cbc:TaxableAmount", money(group.basis, places), currencyID=cur)
        _el(sub, "cbc:TaxAmount", money(group.tax, places), currencyID=cur)
        _tax_category(sub, "cac:TaxCategory", group.category, group.rate, group.exemption_reason, group.exemption_code)
    if doc.tax_currency and doc.tax_currency != cur and doc.tax_total_in_tax_currency is not None:
        _el(_el(root, "cac:TaxTotal"), "cbc:TaxAmount", money(doc.tax_total_in_tax_currency, 2),
            currencyID=doc.tax_currency)
    sums = _el(root, "cac:LegalMonetaryTotal")
    _el(sums, "cbc:LineExtensionAmount", money(doc.line_total, places), currencyID=cur)
    _el(sums, "cbc:TaxExclusiveAmount", money(doc.tax_basis_total, places), currencyID=cur)
    _el(sums, "cbc:TaxInclusiveAmount", money(doc.grand_total, places), currencyID=cur)
    _el(sums, "cbc:AllowanceTotalAmount", money(doc.allowance_total, places), currencyID=cur)
    _el(sums, "cbc:ChargeTotalAmount", money(doc.charge_total, places), currencyID=cur)
    _el(sums, "cbc:PrepaidAmount", money(doc.prepaid, places), currencyID=cur)
    _el(sums, "cbc:PayableAmount", money(doc.due_payable, places), currencyID=cur)
    for line in doc.lines:
        node = _el(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
        _el(node, "cbc:ID", line.id)
        _el(node, "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity", plain(line.quantity),
            unitCode=line.unit_code)
        _el(node, "cbc:LineExtensionAmount", money(line.net_amount, places), currencyID=cur)
        for part in line.allowances_charges:
            _allowance(node, part, cur, places, with_tax=False)
        item = _el(node, "cac:Item")
        _opt(item, "cbc:Description", line.description)
        _el(item, "cbc:Name", line.name)
        _tax_category(item, "cac:ClassifiedTaxCategory", line.category, line.rate)
        price = _el(node, "cac:Price")
        _el(price, "cbc:PriceAmount", plain(line.net_price), currencyID=cur)
        if line.base_quantity != 1:
            _el(price, "cbc:BaseQuantity", plain(line.base_quantity), unitCode=line.unit_code)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
