"""What finalizing needs of the seller and the buyer (R2, R43): whatever the country, the seller's
legal name and address; with a French seller, what French law requires for the invoice at hand.

Each missing item is named field by field with the EN 16931 rule (or business term) it answers to,
and the French legal text where French law is the source. ``check_finalize_legal`` raises one
``RuleRefused`` listing them all (code ``invoice.legal_data_missing``; the fields in ``fields``, the
items in ``details["missing"]``), so a face can show every one beside the action.
"""

from __future__ import annotations

from dataclasses import dataclass, field as _field
from typing import Any

from invoice_tui.domain.errors import RuleRefused
from invoice_tui.domain.settings import WorkspaceSettings
from invoice_tui.i18n import N_, _


@dataclass(frozen=True)
class Missing:
    field: str  # the setting, or the buyer's / invoice's field
    label: str  # what it is, for a human (English, marked with N_(): translated by ``text``)
    rule: str  # EN 16931 rule / business term, or the French legal text
    params: tuple[tuple[str, str], ...] = _field(default=(), repr=False)  # the label's {placeholders}

    def human_label(self) -> str:
        """The label in the reader's language, its placeholders filled."""
        return _(self.label).format(**dict(self.params))

    def text(self) -> str:
        if self.rule:
            return _("{field} ({label}; {rule})").format(field=self.field, label=self.human_label(), rule=self.rule)
        return _("{field} ({label})").format(field=self.field, label=self.human_label())

    def record(self) -> dict[str, str]:
        """The item as ``details["missing"]`` holds it (English label, placeholders filled)."""
        return {"field": self.field, "label": self.label.format(**dict(self.params)), "rule": self.rule}


def seller_missing(settings: WorkspaceSettings) -> list[Missing]:
    """R2/R43: every finalized invoice names its seller (EN 16931 BR-6, BR-8)."""
    out = []
    if not settings.seller_legal_name.strip():
        out.append(Missing("seller_legal_name", N_("the seller's legal name"), "EN 16931 BR-6, BT-27"))
    if not (settings.seller_address.strip() or settings.seller_city.strip()):
        out.append(Missing("seller_address", N_("the seller's postal address"), "EN 16931 BR-8, BG-5"))
    return out


@dataclass(frozen=True)
class BuyerFacts:
    """What the rules need to know of the invoice's buyer and the invoice itself."""

    business: bool = False  # a company, or a contact marked as a business
    country: str = ""  # ISO 3166 alpha-2; "" when unknown
    siren: str = ""
    electronic_address: str = ""
    vat_id: str = ""
    operation_category: str = ""
    categories: tuple[str, ...] = ()  # the VAT categories of the invoice's lines and adjustments
    exemption_reasons: tuple[str, ...] = ()  # categories with a reason given
    currency: str = "EUR"  # the invoice's currency (BT-5)
    eur_rate: str = ""  # 1 unit of it in EUR, for a French seller billing in another currency


def french_missing(settings: WorkspaceSettings, buyer: BuyerFacts) -> list[Missing]:
    """With a French seller (CGI art. 242 nonies A; Code de commerce L441-9): the seller's SIREN
    and postcode and city, its VAT id unless under franchise, the operation category, for a
    business buyer the penalty rate and, for a French business buyer, its SIREN and electronic
    address (the 2026 reform's mentions)."""
    out = []
    if not settings.seller_siren:
        out.append(Missing("seller_siren", N_("the seller's SIREN"), "EN 16931 BT-30; CGI ann. II art. 242 nonies A"))
    if not settings.seller_postcode.strip() or not settings.seller_city.strip():
        out.append(Missing("seller_postcode" if not settings.seller_postcode.strip() else "seller_city",
                           N_("the seller's postcode and city"), "EN 16931 BT-38, BT-37"))
    if not settings.vat_franchise and not settings.seller_vat_id:
        out.append(Missing("seller_vat_id", N_("the seller's VAT id (or vat_franchise for a micro-entreprise)"),
                           "EN 16931 BR-S-02, BT-31; CGI ann. II art. 242 nonies A"))
    if not buyer.operation_category:
        out.append(Missing("operation_category", N_("the operation category: goods, services or both"),
                           "CGI art. 242 nonies A (2026 reform); BT-23"))
    if buyer.business and not settings.seller_electronic_address:
        out.append(Missing("seller_electronic_address", N_("the seller's electronic address (its SIREN, scheme 0225)"),
                           "BR-FR-13, EN 16931 BT-34"))
    if buyer.business and not settings.late_penalty_rate:
        out.append(Missing("late_penalty_rate", N_("the late-payment penalty rate"), "Code de commerce L441-9 (PMT note)"))
    if buyer.business and buyer.country == "FR":  # a buyer of unknown country: the e-invoice check's BR-11
        if not buyer.siren:
            out.append(Missing("buyer_siren", N_("the French business buyer's SIREN"),
                               "EN 16931 BT-47; CGI art. 242 nonies A (2026 reform)"))
        if not buyer.electronic_address:
            out.append(Missing("buyer_electronic_address", N_("the buyer's electronic address (SIREN, scheme 0225)"),
                               "EN 16931 BR-63, BT-49"))
    for cat, rule in (("AE", "BR-AE-10"), ("E", "BR-E-10"), ("K", "BR-K-10"), ("G", "BR-G-10"), ("O", "BR-O-10")):
        # a micro-entreprise's exempt lines: the franchise is their reason ("TVA non applicable,
        # art. 293 B du CGI", on the PDF and as BT-120), stated once in the settings
        franchise = cat == "E" and settings.vat_franchise
        if cat in buyer.categories and cat not in buyer.exemption_reasons and not franchise:
            out.append(Missing(f"exemption_reason_{cat}",
                               N_("the exemption reason of the VAT category {category} group"),
                               f"EN 16931 {rule}, BT-120", params=(("category", cat),)))
    if buyer.currency != "EUR" and not buyer.eur_rate:
        out.append(Missing("eur_rate", N_("the exchange rate of 1 {currency} in EUR, so that the VAT total is "
                                          "stated in EUR too"), "BR-FR-CO-12, EN 16931 BT-6, BT-111",
                           params=(("currency", buyer.currency),)))
    if "AE" in buyer.categories and not buyer.vat_id:
        out.append(Missing("buyer_vat_id", N_("the buyer's VAT id (reverse charge)"), "EN 16931 BR-AE-02, BT-48"))
    if "K" in buyer.categories and not buyer.vat_id:
        out.append(Missing("buyer_vat_id", N_("the buyer's VAT id (intra-community supply)"), "EN 16931 BR-K-02, BT-48"))
    return out


def finalize_missing(settings: WorkspaceSettings, buyer: BuyerFacts) -> list[Missing]:
    missing = seller_missing(settings)
    if settings.french_seller:
        seen = {m.field for m in missing}
        missing += [m for m in french_missing(settings, buyer) if m.field not in seen]
    return missing


def check_finalize_legal(settings: WorkspaceSettings, buyer: BuyerFacts, label: str) -> None:
    missing = finalize_missing(settings, buyer)
    if not missing:
        return
    seller_only = all(m.field.startswith("seller_") for m in missing) and not settings.seller_legal_name
    sentence = (_("Finalizing {label} needs the seller's legal data first (R2, R43); missing: {missing}.")
                if seller_only else
                _("Finalizing {label} needs what the law requires on this invoice (R2, R43); missing: {missing}."))
    raise RuleRefused(sentence.format(label=label, missing="; ".join(m.text() for m in missing)),
                      code="invoice.legal_data_missing", fields=[m.field for m in missing],
                      details={"missing": [m.record() for m in missing]})


def missing_records(error: Any) -> list[dict[str, str]]:
    return list(getattr(error, "details", {}).get("missing", []))
