"""E-invoices (R44, R45), the rules below the services: the EN 16931 document of an invoice from its
computed amounts, whether it is in the scope of the mandate, and its validation (cached). The
services of :mod:`invoice_tui.domain.einvoice` read the amounts and hand the outputs out; finalize
calls :func:`check_at_finalize` (this module does not import the invoices service).

- **Expressible.** An invoice with R18 extra taxes, or in a currency with 3 decimals, cannot be an
  EN 16931 e-invoice: refused with the reason and the rule (``einvoice.not_en16931``).
- **Scope.** A French seller billing a business buyer, or any invoice when the workspace setting
  ``einvoice_required`` is on, is in the scope of the French mandate: there a fatal finding blocks
  the output (and the finalize); elsewhere findings are warnings, shown but not blocking.
- **Validation** runs the XSD, EN 16931 and (French seller) BR-FR rules, cached by the XML's
  content hash: an unchanged document is not validated twice in a process.

The parties come from the seller profile (workspace settings) and the buyer's record; the amounts
from the totals engine (:func:`invoice_tui.domain.invoices.invoice_totals`), as the PDF's do."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from invoice_tui.db.models import Company, Contact, Invoice
from invoice_tui.documents.einvoice.model import (CREDIT_NOTE, INVOICE, Address, EInvoice, Note, Party, from_totals)
from invoice_tui.documents.einvoice.validate import Finding
from invoice_tui.domain.errors import RuleRefused
from invoice_tui.domain.money import exponent
from invoice_tui.domain.settings import WorkspaceSettings
from invoice_tui.i18n import _, ngettext

FORMATS = ("facturx", "cii", "ubl")
EXEMPTION_TEXTS = {  # BT-120/BT-121 by VAT category, when the invoice states no reason of its own
    "AE": ("Autoliquidation", "VATEX-EU-AE"),
    "K": ("Livraison intracommunautaire exonérée, art. 262 ter I du CGI", "VATEX-EU-IC"),
    "G": ("Exportation exonérée, art. 262 I du CGI", "VATEX-EU-G"),
    "E": ("Exonération de TVA", "VATEX-EU-132"),
    "O": ("Hors du champ d'application de la TVA", "VATEX-EU-O"),
}
FRANCHISE = ("TVA non applicable, art. 293 B du CGI", "VATEX-FR-FRANCHISE")
RECOVERY_INDEMNITY = "Indemnité forfaitaire pour frais de recouvrement : 40 €"


class NotEn16931(RuleRefused):
    code = "einvoice.not_en16931"


@dataclass(frozen=True)
class Validation:
    """What the validators found for one output of one invoice."""

    findings: tuple[Finding, ...]
    in_scope: bool  # fatal findings block
    checked: str = "XSD, EN 16931"  # the rule sets run

    @property
    def fatal(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.fatal)

    @property
    def blocked(self) -> bool:
        return self.in_scope and bool(self.fatal)


# ---- the document ---------------------------------------------------------------------------------
def _address(text: str, country: str = "") -> Address:
    """A free-text address (street lines, then "postcode city", then maybe a country code)."""
    lines = [x.strip() for x in (text or "").splitlines() if x.strip()]
    if lines and len(lines[-1]) == 2 and lines[-1].isalpha():
        country = country or lines.pop().upper()
    postcode = city = ""
    if len(lines) >= 2:  # the last of several lines may be "postcode city"
        head, _, tail = lines[-1].partition(" ")
        if head and any(c.isdigit() for c in head) and tail:
            postcode, city = head, tail
            lines.pop()
    return Address(tuple(lines[:3]), postcode, city, country)


def seller_party(settings: WorkspaceSettings) -> Party:
    form = ", ".join(x for x in (settings.seller_legal_form,
                                 f"capital {settings.seller_share_capital}" if settings.seller_share_capital else "",
                                 settings.seller_registration) if x)
    return Party(name=settings.seller_legal_name,
                 address=Address(tuple(x.strip() for x in settings.seller_address.splitlines() if x.strip())[:3],
                                 settings.seller_postcode, settings.seller_city, settings.seller_country),
                 legal_id=settings.seller_siren, legal_id_scheme="0002" if settings.seller_siren else "",
                 vat_id=settings.seller_vat_id,
                 tax_registration=settings.seller_siren if settings.vat_franchise and not settings.seller_vat_id else "",
                 electronic_address=settings.seller_electronic_address,
                 electronic_scheme=settings.seller_electronic_scheme, legal_form=form,
                 email=settings.default_from_address)


def french_siren(vat_id: str) -> str:
    """The SIREN inside a French VAT number (FR, a 2-character key, the 9-digit SIREN), or ""."""
    if vat_id.startswith("FR") and len(vat_id) == 13 and vat_id[4:].isdigit():
        return vat_id[4:]
    return ""


def buyer_party(inv: Invoice) -> Party:
    """The buyer (BG-7): the invoice's company if it has one, else its billing contact. Its legal
    data (R43: legal name, structured address, SIREN, VAT id, electronic address) where given; a
    company from before them is read from its free-text address and VAT number as before."""
    contact = Contact.get_or_none(Contact.id == inv.billing_contact_id) if inv.billing_contact_id else None
    company = Company.get_or_none(Company.id == inv.company_id) if inv.company_id else None
    email = contact.email if contact else ""
    if company is not None:
        vat = (company.vat_id or company.tax_id).strip().replace(" ", "").upper()
        country = company.country or (vat[:2] if len(vat) > 2 and vat[:2].isalpha() else "")
        address = _structured(company.address, company.postcode, company.city, country)
        siren = company.siren or french_siren(vat)
        if company.electronic_address:
            electronic = (company.electronic_address, company.electronic_scheme)
        elif siren:  # a French business buyer: its SIREN (BT-47) and, as its electronic address, the SIREN (0225)
            electronic = (siren, "0225")
        else:
            electronic = (email, "EM" if email else "")
        return Party(name=company.legal_name or company.name, address=address, vat_id=vat, email=email,
                     legal_id=siren, legal_id_scheme="0002" if siren else "", electronic_address=electronic[0],
                     electronic_scheme=electronic[1])
    if contact is None:
        return Party(name=inv.contact_name or "")
    return Party(name=contact.display_name,
                 address=_structured(contact.address, contact.postcode, contact.city, contact.country),
                 email=email, electronic_address=email, electronic_scheme="EM" if email else "")


def _structured(street: str, postcode: str, city: str, country: str) -> Address:
    """R43's structured address when its postcode or city is given, else the free text read."""
    if postcode or city:
        lines = tuple(x.strip() for x in (street or "").splitlines() if x.strip())[:3]
        return Address(lines, postcode, city, country)
    return _address(street, country)


def business_buyer(inv: Invoice) -> bool:
    """A company, or a contact marked as a business (R43)."""
    if inv.company_id is not None:
        return True
    contact = Contact.get_or_none(Contact.id == inv.billing_contact_id) if inv.billing_contact_id else None
    return bool(contact is not None and contact.is_business)


FRAMES = {"goods": "B1", "services": "S1", "both": "M1"}  # BT-23, the French billing frame (R43)


def _exemption_reasons(inv: Invoice) -> dict:
    import json

    try:
        value = json.loads(getattr(inv, "exemption_reasons", None) or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def in_scope(inv: Invoice, settings: WorkspaceSettings) -> bool:
    """R45: a French seller billing a business buyer, or any invoice when e-invoices are required."""
    return settings.einvoice_required or (settings.french_seller and business_buyer(inv))


def check_expressible(inv: Invoice, totals) -> None:
    if not totals.en16931:
        raise NotEn16931(_("Invoice {value} carries extra taxes (R18), which EN 16931 cannot express (BR-CO-14: the "
                           "VAT total is "
                           "the sum of the VAT breakdown); it has no e-invoice.").format(value=inv.number or inv.id))
    if exponent(inv.currency) > 2:
        raise NotEn16931(_("Invoice {value} is in {currency}, a currency with {value2} decimals; EN 16931 amounts "
                           "have at most 2 (BR-DEC-01…).").format(value=inv.number or inv.id, currency=inv.currency,
                               value2=exponent(inv.currency)))


def _french_notes(inv: Invoice, settings: WorkspaceSettings, buyer: Party) -> tuple[Note, ...]:
    if not settings.french_seller:
        return ()
    rate = settings.late_penalty_rate.strip()
    penalty = (f"Pénalités de retard : taux annuel de {rate} %" if rate
               else "Pénalités de retard : trois fois le taux d'intérêt légal")
    discount = settings.early_payment_terms.strip() or "Pas d'escompte pour paiement anticipé"
    if not business_buyer(inv):
        kind = "B2C"
    else:
        kind = "B2B" if buyer.address.country in ("", "FR") else "B2BINT"
    notes = [Note(penalty, "PMD"), Note(RECOVERY_INDEMNITY, "PMT"), Note(discount, "AAB"), Note(kind, "BAR")]
    if settings.vat_on_debits:
        notes.append(Note("Option pour le paiement de la taxe d'après les débits", "TXD"))
    return tuple(notes)


def build_document(inv: Invoice, settings: WorkspaceSettings, totals, specs, number: str | None = None) -> EInvoice:
    """The EN 16931 document of ``inv`` from its computed ``totals`` and line ``specs`` (the one totals
    function's); ``number`` stands in for a draft's number (finalize validates before numbering)."""
    check_expressible(inv, totals)
    seller, buyer = seller_party(settings), buyer_party(inv)
    if totals.tax_breakdown and all(t.category == "O" for t in totals.tax_breakdown):
        # outside the scope of VAT (a late-fee invoice, R51): such an invoice names no VAT id,
        # the seller's nor the buyer's (BR-O-02); the seller's SIREN identifies it (BR-CO-26)
        seller, buyer = replace(seller, vat_id=""), replace(buyer, vat_id="")
    exemptions = dict(EXEMPTION_TEXTS)
    if settings.vat_franchise:
        exemptions["E"] = FRANCHISE
    for category, reason in _exemption_reasons(inv).items():  # the invoice's own reason (BT-120), R43
        exemptions[category] = (reason, exemptions.get(category, ("", ""))[1])
    # BT-23 from the operation category (goods B1, services S1, both M1), R43
    frame = FRAMES.get(getattr(inv, "operation_category", "") or "", "S1") if settings.french_seller else ""
    type_code, preceding = INVOICE, None
    if inv.doc_type == "credit_note":  # type 381, referring to the invoice it corrects (BT-25, BT-26)
        type_code = CREDIT_NOTE
        preceding = Invoice.get_or_none(Invoice.id == inv.refers_to) if inv.refers_to else None
    return from_totals(
        totals=totals, specs=specs, seller=seller, buyer=buyer,
        number=number or inv.number or "", issue_date=inv.invoice_date, type_code=type_code, exemptions=exemptions,
        preceding_number=preceding.number if preceding else "",
        preceding_date=preceding.invoice_date if preceding else None,
        business_process=frame, order_reference=inv.po_number or "", due_date=inv.due_date,
        buyer_reference=getattr(inv, "buyer_reference", "") or "",
        payment_means_code=settings.payment_means_code or ("30" if settings.seller_iban else ""),
        iban=settings.seller_iban, bic=settings.seller_bic, notes=_french_notes(inv, settings, buyer),
        delivery_date=inv.delivery_date or (inv.invoice_date if settings.french_seller else None),
        delivery_address=intra_eu_destination(totals, buyer), **vat_in_eur(inv, settings, totals))


def intra_eu_destination(totals, buyer: Party) -> Address | None:
    """BG-15, the deliver-to address, of an intra-community supply (a K group): the goods go to the
    buyer in another member state, whose country BT-80 must state (BR-IC-12); the buyer's address
    stands for it. None for any other invoice, or a buyer without a country (the check then says so)."""
    if buyer.address is None or not buyer.address.country:
        return None
    return buyer.address if any(t.category == "K" for t in totals.tax_breakdown) else None


def vat_in_eur(inv: Invoice, settings: WorkspaceSettings, totals) -> dict:
    """BT-6/BT-111 (BR-FR-CO-12): a French seller billing in another currency states the VAT total in
    EUR too, at the invoice's stored exchange rate (1 unit of its currency in EUR), rounded to the
    cent (half up). Nothing for an invoice in EUR, a seller outside France or an invoice without a
    rate (which finalize refuses for a French seller, R43)."""
    from decimal import ROUND_HALF_UP, Decimal

    rate = (getattr(inv, "eur_rate", "") or "").strip()
    if not settings.french_seller or inv.currency == "EUR" or not rate:
        return {}
    eur = (totals.vat_total * Decimal(rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"tax_currency": "EUR", "tax_total_in_tax_currency": eur}


# ---- outputs and validation ------------------------------------------------------------------------
_cache: OrderedDict[str, tuple[Finding, ...]] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 4096


def _validate_xml_cached(xml: bytes, kind: str, french: bool) -> tuple[Finding, ...]:
    from invoice_tui.documents.einvoice.validate import validate_xml

    key = hashlib.sha256(xml).hexdigest() + f":{kind}:{int(french)}"
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    found = tuple(validate_xml(xml, kind, french))
    with _cache_lock:
        _cache[key] = found
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return found


def xml_of(doc: EInvoice, fmt: str) -> tuple[bytes, str]:
    """The XML of ``doc`` for ``fmt`` and the validator kind it is checked as."""
    from invoice_tui.documents.einvoice.cii import write_cii
    from invoice_tui.documents.einvoice.model import CREDIT_NOTE
    from invoice_tui.documents.einvoice.ubl import write_ubl

    if fmt == "ubl":
        return write_ubl(doc), "ubl-creditnote" if doc.type_code == CREDIT_NOTE else "ubl-invoice"
    return write_cii(doc), "cii"


def validate_document(inv: Invoice, doc: EInvoice, fmt: str, settings: WorkspaceSettings) -> Validation:
    """R45: the findings of ``doc`` (``inv``'s) in ``fmt`` (the Factur-X PDF's XML is its CII)."""
    xml, kind = xml_of(doc, fmt)
    checked = "XSD, EN 16931" + (", BR-FR" if settings.french_seller else "")
    return Validation(_validate_xml_cached(xml, kind, settings.french_seller), in_scope(inv, settings), checked)


def refuse_if_blocked(inv: Invoice, validation: Validation, outcome: str = "nothing was written") -> None:
    """R45's refusal; ``outcome`` is "nothing was written" or "it was not issued" (each its own sentence)."""
    if validation.blocked:
        # a finding's rule id and text are the validator's own (EN 16931, BR-FR): data, not translated
        lines = "".join("\n  " + _("{rule} (error): {text}").format(rule=f.rule, text=f.text)
                        for f in validation.fatal[:8])
        extra = len(validation.fatal) - 8
        more = ("\n  " + ngettext("… and {n} more", "… and {n} more", extra).format(n=extra)) if extra > 0 else ""
        count = len(validation.fatal)
        if outcome == "it was not issued":
            head = ngettext("{invoice}'s e-invoice fails {count} rule; it is in the scope of the e-invoicing "
                            "mandate, so it was not issued:",
                            "{invoice}'s e-invoice fails {count} rules; it is in the scope of the e-invoicing "
                            "mandate, so it was not issued:", count)
        else:
            head = ngettext("{invoice}'s e-invoice fails {count} rule; it is in the scope of the e-invoicing "
                            "mandate, so nothing was written:",
                            "{invoice}'s e-invoice fails {count} rules; it is in the scope of the e-invoicing "
                            "mandate, so nothing was written:", count)
        raise RuleRefused(head.format(invoice=_label(inv), count=count) + lines + more,
                          code="einvoice.invalid", details={"rules": [f.rule for f in validation.fatal]})


def _label(inv: Invoice) -> str:
    return inv.number or _("Draft #{id}").format(id=inv.id)


def check_at_finalize(inv: Invoice, settings: WorkspaceSettings, totals, specs, number: str) -> None:
    """R45: an invoice in the scope of the mandate is validated before it is issued, so that an
    invalid one is never issued: refused with each failed rule named (an invoice that cannot be an
    EN 16931 e-invoice at all, with its reason). ``number`` is the number it is about to take."""
    if not in_scope(inv, settings):
        return
    doc = build_document(inv, settings, totals, specs, number)
    refuse_if_blocked(inv, validate_document(inv, doc, "cii", settings), "it was not issued")
