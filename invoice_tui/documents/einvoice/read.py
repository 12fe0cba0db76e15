"""Read a CII or UBL e-invoice back into an :class:`EInvoice` (R44's round trip): what the XML says
is compared with what the invoice page shows. Only the terms the writers emit are read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lxml import etree

from invoice_tui.documents.einvoice import cii, ubl
from invoice_tui.documents.einvoice.model import Address, AllowanceCharge, EInvoice, Line, Note, Party, VatGroup

ZERO = Decimal(0)


class _Reader:
    def __init__(self, node, ns: dict[str, str]) -> None:
        self.node, self.ns = node, ns

    def at(self, path: str) -> "_Reader | None":
        found = self.node.find(path, self.ns)
        return None if found is None else _Reader(found, self.ns)

    def all(self, path: str) -> list["_Reader"]:
        return [_Reader(n, self.ns) for n in self.node.findall(path, self.ns)]

    def text(self, path: str = ".") -> str:
        found = self.node.find(path, self.ns) if path != "." else self.node
        return (found.text or "").strip() if found is not None else ""

    def attr(self, path: str, name: str) -> str:
        found = self.node.find(path, self.ns)
        return found.get(name, "") if found is not None else ""

    def dec(self, path: str, default: Decimal | None = ZERO) -> Decimal | None:
        text = self.text(path)
        return Decimal(text) if text else default

    def day(self, path: str) -> dt.date | None:
        text = self.text(path)
        if not text:
            return None
        return dt.datetime.strptime(text, "%Y%m%d" if len(text) == 8 else "%Y-%m-%d").date()


# ---- CII ----------------------------------------------------------------------------------------
_CII = {"rsm": cii.RSM, "ram": cii.RAM, "udt": cii.UDT, "qdt": cii.QDT}


def _cii_address(r: _Reader | None) -> Address:
    if r is None:
        return Address()
    lines = tuple(x for x in (r.text("ram:LineOne"), r.text("ram:LineTwo"), r.text("ram:LineThree")) if x)
    return Address(lines, r.text("ram:PostcodeCode"), r.text("ram:CityName"), r.text("ram:CountryID"))


def _cii_party(r: _Reader) -> Party:
    regs = {x.attr(".", "schemeID"): x.text() for x in r.all("ram:SpecifiedTaxRegistration/ram:ID")}
    return Party(name=r.text("ram:Name"), legal_form=r.text("ram:Description"),
                 address=_cii_address(r.at("ram:PostalTradeAddress")),
                 trading_name=r.text("ram:SpecifiedLegalOrganization/ram:TradingBusinessName"),
                 legal_id=r.text("ram:SpecifiedLegalOrganization/ram:ID"),
                 legal_id_scheme=r.attr("ram:SpecifiedLegalOrganization/ram:ID", "schemeID"),
                 vat_id=regs.get("VA", ""), tax_registration=regs.get("FC", ""),
                 electronic_address=r.text("ram:URIUniversalCommunication/ram:URIID"),
                 electronic_scheme=r.attr("ram:URIUniversalCommunication/ram:URIID", "schemeID"),
                 email=r.text("ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID"))


def _cii_part(r: _Reader, with_tax: bool) -> AllowanceCharge:
    percent = r.dec("ram:CalculationPercent", None)
    return AllowanceCharge(charge=r.text("ram:ChargeIndicator/udt:Indicator") == "true",
                           amount=r.dec("ram:ActualAmount"), reason=r.text("ram:Reason"),
                           category=r.text("ram:CategoryTradeTax/ram:CategoryCode") if with_tax else "S",
                           rate=r.dec("ram:CategoryTradeTax/ram:RateApplicablePercent") if with_tax else ZERO,
                           percent=percent, base=r.dec("ram:BasisAmount", None) if percent is not None else None)


def read_cii(xml: bytes) -> EInvoice:
    root = _Reader(etree.fromstring(xml), _CII)
    head = root.at("rsm:ExchangedDocument")
    trade = root.at("rsm:SupplyChainTradeTransaction")
    agreement = trade.at("ram:ApplicableHeaderTradeAgreement")
    settlement = trade.at("ram:ApplicableHeaderTradeSettlement")
    sums = settlement.at("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    currency = settlement.text("ram:InvoiceCurrencyCode")
    tax_currency = settlement.text("ram:TaxCurrencyCode")
    totals = {t.attr(".", "currencyID"): Decimal(t.text()) for t in sums.all("ram:TaxTotalAmount")}
    lines = []
    for item in trade.all("ram:IncludedSupplyChainTradeLineItem"):
        line_settlement = item.at("ram:SpecifiedLineTradeSettlement")
        price = item.at("ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice")
        lines.append(Line(
            id=item.text("ram:AssociatedDocumentLineDocument/ram:LineID"),
            name=item.text("ram:SpecifiedTradeProduct/ram:Name"),
            description=item.text("ram:SpecifiedTradeProduct/ram:Description"),
            quantity=item.dec("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity"),
            unit_code=item.attr("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", "unitCode"),
            net_price=price.dec("ram:ChargeAmount"), base_quantity=price.dec("ram:BasisQuantity", Decimal(1)),
            net_amount=line_settlement.dec("ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"),
            category=line_settlement.text("ram:ApplicableTradeTax/ram:CategoryCode"),
            rate=line_settlement.dec("ram:ApplicableTradeTax/ram:RateApplicablePercent"),
            allowances_charges=tuple(_cii_part(p, False) for p in line_settlement.all("ram:SpecifiedTradeAllowanceCharge"))))
    groups = tuple(VatGroup(category=g.text("ram:CategoryCode"), rate=g.dec("ram:RateApplicablePercent"),
                            basis=g.dec("ram:BasisAmount"), tax=g.dec("ram:CalculatedAmount"),
                            exemption_reason=g.text("ram:ExemptionReason"),
                            exemption_code=g.text("ram:ExemptionReasonCode"))
                   for g in settlement.all("ram:ApplicableTradeTax"))
    means = settlement.at("ram:SpecifiedTradeSettlementPaymentMeans")
    terms = settlement.at("ram:SpecifiedTradePaymentTerms")
    ref = settlement.at("ram:InvoiceReferencedDocument")
    ship = trade.at("ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty/ram:PostalTradeAddress")
    return EInvoice(
        type_code=head.text("ram:TypeCode"), number=head.text("ram:ID"),
        issue_date=head.day("ram:IssueDateTime/udt:DateTimeString"), currency=currency,
        seller=_cii_party(agreement.at("ram:SellerTradeParty")), buyer=_cii_party(agreement.at("ram:BuyerTradeParty")),
        lines=tuple(lines), vat_groups=groups,
        allowances_charges=tuple(_cii_part(p, True) for p in settlement.all("ram:SpecifiedTradeAllowanceCharge")),
        line_total=sums.dec("ram:LineTotalAmount"), allowance_total=sums.dec("ram:AllowanceTotalAmount"),
        charge_total=sums.dec("ram:ChargeTotalAmount"), tax_basis_total=sums.dec("ram:TaxBasisTotalAmount"),
        tax_total=totals.get(currency, ZERO), grand_total=sums.dec("ram:GrandTotalAmount"),
        prepaid=sums.dec("ram:TotalPrepaidAmount"), due_payable=sums.dec("ram:DuePayableAmount"),
        tax_currency=tax_currency,
        tax_total_in_tax_currency=totals.get(tax_currency) if tax_currency and tax_currency != currency else None,
        business_process=root.text(
            "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"),
        buyer_reference=agreement.text("ram:BuyerReference"),
        order_reference=agreement.text("ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
        preceding_number=ref.text("ram:IssuerAssignedID") if ref else "",
        preceding_date=ref.day("ram:FormattedIssueDateTime/qdt:DateTimeString") if ref else None,
        delivery_date=trade.day(
            "ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString"),
        delivery_address=_cii_address(ship) if ship else None,
        due_date=terms.day("ram:DueDateDateTime/udt:DateTimeString") if terms else None,
        payment_terms=terms.text("ram:Description") if terms else "",
        payment_means_code=means.text("ram:TypeCode") if means else "",
        iban=means.text("ram:PayeePartyCreditorFinancialAccount/ram:IBANID") if means else "",
        bic=means.text("ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID") if means else "",
        notes=tuple(Note(n.text("ram:Content"), n.text("ram:SubjectCode")) for n in head.all("ram:IncludedNote")))


# ---- UBL ----------------------------------------------------------------------------------------
def _ubl_address(r: _Reader | None) -> Address:
    if r is None:
        return Address()
    lines = tuple(x for x in (r.text("cbc:StreetName"), r.text("cbc:AdditionalStreetName"),
                              r.text("cac:AddressLine/cbc:Line")) if x)
    return Address(lines, r.text("cbc:PostalZone"), r.text("cbc:CityName"), r.text("cac:Country/cbc:IdentificationCode"))


def _ubl_party(r: _Reader) -> Party:
    regs = {s.text("cac:TaxScheme/cbc:ID"): s.text("cbc:CompanyID") for s in r.all("cac:PartyTaxScheme")}
    return Party(name=r.text("cac:PartyLegalEntity/cbc:RegistrationName"),
                 legal_form=r.text("cac:PartyLegalEntity/cbc:CompanyLegalForm"),
                 address=_ubl_address(r.at("cac:PostalAddress")), trading_name=r.text("cac:PartyName/cbc:Name"),
                 legal_id=r.text("cac:PartyLegalEntity/cbc:CompanyID"),
                 legal_id_scheme=r.attr("cac:PartyLegalEntity/cbc:CompanyID", "schemeID"),
                 vat_id=regs.get("VAT", ""), tax_registration=regs.get("FC", ""),
                 electronic_address=r.text("cbc:EndpointID"), electronic_scheme=r.attr("cbc:EndpointID", "schemeID"),
                 email=r.text("cac:Contact/cbc:ElectronicMail"))


def _ubl_part(r: _Reader, with_tax: bool) -> AllowanceCharge:
    percent = r.dec("cbc:MultiplierFactorNumeric", None)
    return AllowanceCharge(charge=r.text("cbc:ChargeIndicator") == "true", amount=r.dec("cbc:Amount"),
                           reason=r.text("cbc:AllowanceChargeReason"),
                           category=r.text("cac:TaxCategory/cbc:ID") if with_tax else "S",
                           rate=r.dec("cac:TaxCategory/cbc:Percent") if with_tax else ZERO,
                           percent=percent, base=r.dec("cbc:BaseAmount", None) if percent is not None else None)


def _note(text: str) -> Note:
    if text.startswith("#") and text.count("#") >= 2:
        subject, _, rest = text[1:].partition("#")
        return Note(rest, subject)
    return Note(text)


def read_ubl(xml: bytes) -> EInvoice:
    tree = etree.fromstring(xml)
    credit = etree.QName(tree).localname == "CreditNote"
    root = _Reader(tree, {"r": ubl.ROOTS["CreditNote" if credit else "Invoice"], "cac": ubl.CAC, "cbc": ubl.CBC})
    currency = root.text("cbc:DocumentCurrencyCode")
    tax_currency = root.text("cbc:TaxCurrencyCode")
    totals = {t.attr("cbc:TaxAmount", "currencyID"): t.dec("cbc:TaxAmount") for t in root.all("cac:TaxTotal")}
    main_total = next((t for t in root.all("cac:TaxTotal") if t.attr("cbc:TaxAmount", "currencyID") == currency), None)
    sums = root.at("cac:LegalMonetaryTotal")
    lines = []
    for node in root.all("cac:CreditNoteLine" if credit else "cac:InvoiceLine"):
        qty = "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity"
        lines.append(Line(
            id=node.text("cbc:ID"), name=node.text("cac:Item/cbc:Name"), description=node.text("cac:Item/cbc:Description"),
            quantity=node.dec(qty), unit_code=node.attr(qty, "unitCode"), net_price=node.dec("cac:Price/cbc:PriceAmount"),
            base_quantity=node.dec("cac:Price/cbc:BaseQuantity", Decimal(1)), net_amount=node.dec("cbc:LineExtensionAmount"),
            category=node.text("cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
            rate=node.dec("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
            allowances_charges=tuple(_ubl_part(p, False) for p in node.all("cac:AllowanceCharge"))))
    groups = tuple(VatGroup(category=s.text("cac:TaxCategory/cbc:ID"), rate=s.dec("cac:TaxCategory/cbc:Percent"),
                            basis=s.dec("cbc:TaxableAmount"), tax=s.dec("cbc:TaxAmount"),
                            exemption_reason=s.text("cac:TaxCategory/cbc:TaxExemptionReason"),
                            exemption_code=s.text("cac:TaxCategory/cbc:TaxExemptionReasonCode"))
                   for s in (main_total.all("cac:TaxSubtotal") if main_total else []))
    means = root.at("cac:PaymentMeans")
    ref = root.at("cac:BillingReference/cac:InvoiceDocumentReference")
    ship = root.at("cac:Delivery/cac:DeliveryLocation/cac:Address")
    due = root.day("cbc:DueDate") or (means.day("cbc:PaymentDueDate") if means else None)
    return EInvoice(
        type_code=root.text("cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode"), number=root.text("cbc:ID"),
        issue_date=root.day("cbc:IssueDate"), currency=currency,
        seller=_ubl_party(root.at("cac:AccountingSupplierParty/cac:Party")),
        buyer=_ubl_party(root.at("cac:AccountingCustomerParty/cac:Party")), lines=tuple(lines), vat_groups=groups,
        allowances_charges=tuple(_ubl_part(p, True) for p in root.all("cac:AllowanceCharge")),
        line_total=sums.dec("cbc:LineExtensionAmount"), allowance_total=sums.dec("cbc:AllowanceTotalAmount"),
        charge_total=sums.dec("cbc:ChargeTotalAmount"), tax_basis_total=sums.dec("cbc:TaxExclusiveAmount"),
        tax_total=totals.get(currency, ZERO), grand_total=sums.dec("cbc:TaxInclusiveAmount"),
        prepaid=sums.dec("cbc:PrepaidAmount"), due_payable=sums.dec("cbc:PayableAmount"), tax_currency=tax_currency,
        tax_total_in_tax_currency=totals.get(tax_currency) if tax_currency and tax_currency != currency else None,
        business_process=root.text("cbc:ProfileID"), buyer_reference=root.text("cbc:BuyerReference"),
        order_reference=root.text("cac:OrderReference/cbc:ID"),
        preceding_number=ref.text("cbc:ID") if ref else "", preceding_date=ref.day("cbc:IssueDate") if ref else None,
        delivery_date=root.day("cac:Delivery/cbc:ActualDeliveryDate"),
        delivery_address=_ubl_address(ship) if ship else None, due_date=due,
        payment_terms=root.text("cac:PaymentTerms/cbc:Note"),
        payment_means_code=means.text("cbc:PaymentMeansCode") if means else "",
        iban=means.text("cac:PayeeFinancialAccount/cbc:ID") if means else "",
        bic=means.text("cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID") if means else "",
        notes=tuple(_note(n.text()) for n in root.all("cbc:Note")))
