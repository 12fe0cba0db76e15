"""The e-invoices the acceptance of R44/R45 names, each built through the totals engine, as
invoice-tui builds them: a French seller and the cases around it (several rates, reverse charge,
intra-EU supply, export, exemption, B2C, B2BINT, franchise, document allowances and charges, a
negative line, a sub-cent price per 1,000 units, a credit note, USD and JPY)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

from invoice_tui.documents.einvoice.model import CREDIT_NOTE, Address, EInvoice, Note, Party, from_totals
from invoice_tui.domain.totals import AdjustmentSpec, LineCharge, LineSpec, compute_totals

SELLER_FR = Party("Atelier Dupont SARL", Address(("12 rue de la Paix",), "75002", "Paris", "FR"),
                  legal_id="732829320", legal_id_scheme="0002", vat_id="FR44732829320",
                  electronic_address="732829320", electronic_scheme="0225",
                  legal_form="SARL au capital de 10 000 €, RCS Paris 732 829 320")
SELLER_FRANCHISE = dataclasses.replace(SELLER_FR, name="Marie Curie EI", vat_id="", tax_registration="732829320",
                                       legal_form="Entrepreneur individuel")
SELLER_DE = Party("Müller Software GmbH", Address(("Hauptstraße 5",), "10115", "Berlin", "DE"),
                  vat_id="DE136695976", tax_registration="30/123/45678", electronic_address="billing@mueller.example",
                  electronic_scheme="EM")
BUYER_FR = Party("Boulangerie Martin SAS", Address(("3 place du Marché",), "69001", "Lyon", "FR"),
                 legal_id="552100554", legal_id_scheme="0002", vat_id="FR40552100554",
                 electronic_address="552100554", electronic_scheme="0225")
BUYER_DE = Party("Schmidt Handel GmbH", Address(("Königsallee 1",), "40212", "Düsseldorf", "DE"),
                 vat_id="DE811569869", electronic_address="rechnung@schmidt.example", electronic_scheme="EM")
BUYER_US = Party("Acme Corp.", Address(("1 Market St",), "94105", "San Francisco", "US"),
                 electronic_address="ap@acme.example", electronic_scheme="EM")
BUYER_CONSUMER = Party("Jeanne Leroy", Address(("8 rue Victor Hugo",), "33000", "Bordeaux", "FR"),
                       electronic_address="jeanne.leroy@example.fr", electronic_scheme="EM")

FR_NOTES = (Note("Pénalités de retard : 3 fois le taux d'intérêt légal", "PMD"),
            Note("Indemnité forfaitaire pour frais de recouvrement : 40 €", "PMT"),
            Note("Pas d'escompte pour paiement anticipé", "AAB"))
EXEMPTIONS = {"AE": ("Autoliquidation", "VATEX-EU-AE"), "K": ("Livraison intracommunautaire exonérée", "VATEX-EU-IC"),
              "G": ("Exportation hors UE exonérée", "VATEX-EU-G"), "E": ("Exonération art. 261 du CGI", "VATEX-EU-132"),
              "O": ("Hors champ de la TVA", "VATEX-EU-O")}
FRANCHISE = {"E": ("TVA non applicable, art. 293 B du CGI", "VATEX-FR-FRANCHISE")}


def build(specs, *, adjustments=(), seller=SELLER_FR, buyer=BUYER_FR, currency="EUR", bar="B2B", frame="S1",
          exemptions=EXEMPTIONS, number="F-2027-00001", **extra) -> EInvoice:
    totals = compute_totals(currency, specs, adjustments)
    notes = (*FR_NOTES, Note(bar, "BAR")) if seller.address.country == "FR" else ()
    fields = dict(business_process=frame, due_date=dt.date(2027, 2, 14), payment_means_code="30",
                  iban="FR7630006000011234567890189", delivery_date=dt.date(2027, 1, 10), notes=notes)
    fields.update(extra)
    return from_totals(totals=totals, specs=specs, seller=seller, buyer=buyer, number=number,
                       issue_date=dt.date(2027, 1, 15), exemptions=exemptions, **fields)


def cases() -> dict[str, EInvoice]:
    consulting = LineSpec("Conseil", D(3), D("450"), D(20))
    out = {
        "simple": build([consulting]),
        "several_rates": build([consulting, LineSpec("Repas", D(2), D("18.50"), D(10)),
                                LineSpec("Livre", D(1), D("25"), D("5.5")), LineSpec("Presse", D(4), D("2.20"), D("2.1"))]),
        "reverse_charge": build([LineSpec("Travaux", D(1), D("1200"), D(0), tax_category="AE")], frame="S1"),
        "intra_eu": build([LineSpec("Machine", D(2), D("800"), D(0), tax_category="K")], buyer=BUYER_DE, bar="B2BINT",
                          frame="B1", delivery_address=Address(("Königsallee 1",), "40212", "Düsseldorf", "DE")),
        "export": build([LineSpec("Machine", D(1), D("5000"), D(0), tax_category="G")], buyer=BUYER_US, bar="B2BINT",
                        frame="B1"),
        "exempt_line": build([consulting, LineSpec("Formation", D(1), D("700"), D(0), tax_category="E")], frame="M1"),
        "b2c": build([LineSpec("Cours", D(5), D("40"), D(20))], buyer=BUYER_CONSUMER, bar="B2C"),
        "b2bint": build([consulting], buyer=BUYER_US, bar="B2BINT",
                        exemptions=EXEMPTIONS),
        "franchise": build([LineSpec("Dépannage", D(2), D("60"), D(0), tax_category="E")], seller=SELLER_FRANCHISE,
                           exemptions=FRANCHISE),
        "allowances_charges": build(
            [consulting, LineSpec("Licence", D(10), D("15"), D(20), discount=D(10), discount_percent=True,
                                  charges=(LineCharge("charge", D("5"), False, "Installation"),))],
            adjustments=[AdjustmentSpec("discount", D(5), True, D(20), "Remise fidélité"),
                         AdjustmentSpec("fee", D("25"), False, D(20), "Frais de port")]),
        "negative_line": build([consulting, LineSpec("Avoir retour", D(-1), D("450"), D(20))]),
        "sub_cent_base_quantity": build([LineSpec("Électricité", D("12345"), D("0.1212"), D(20), base_quantity=D(1),
                                                  unit_code="KWH"),
                                         LineSpec("Vis", D(2500), D("8.75"), D(20), base_quantity=D(1000))]),
        "usd_from_france": build([consulting], currency="USD", tax_currency="EUR"),
        "jpy_from_germany": build([LineSpec("Lizenz", D(3), D("15000"), D(19))], seller=SELLER_DE, buyer=BUYER_DE,
                                  currency="JPY", frame="", iban="DE89370400440532013000"),
    }
    usd = out["usd_from_france"]
    out["usd_from_france"] = dataclasses.replace(usd, tax_total_in_tax_currency=(usd.tax_total * D("0.92")).quantize(D("0.01")))
    original = out["simple"]
    out["credit_note"] = dataclasses.replace(build([LineSpec("Conseil", D(1), D("450"), D(20))], number="CN-2027-00001"),
                                             type_code=CREDIT_NOTE, preceding_number=original.number,
                                             preceding_date=original.issue_date)
    return out
