"""The demo's reference data: countries (names with accents, addresses, phones, tax ids, tax
rates), currencies, catalogue items, titles, comments, notes, tasks, colleagues and the seller."""

from __future__ import annotations

import functools
import random
import unicodedata
from decimal import Decimal
from typing import Any

# country → (locale, currency, first names, last names, cities, street pattern, phone prefix, tax id)
_COUNTRIES: dict[str, dict[str, Any]] = {
    "FR": dict(eu=True, locale="fr_FR", currency="EUR", weight=24,
               first=["Zoé", "Élodie", "Hélène", "Jérôme", "François", "Amélie", "Théo", "Anaïs", "Benoît",
                      "Cécile", "Gaëlle", "Léa", "Noël", "Raphaël", "Inès", "Maëlys", "Loïc", "Chloé"],
               last=["Lefèvre", "Dupré", "Bérenger", "Moreau", "Lemaître", "Girard", "Côté", "Faure",
                     "Rivière", "Mercier", "Bonnard", "Chevalier", "Garçon", "Lévêque", "Thérond"],
               cities=[("75011", "Paris"), ("69006", "Lyon"), ("13001", "Marseille"), ("33000", "Bordeaux"),
                       ("59000", "Lille"), ("44000", "Nantes"), ("31000", "Toulouse")],
               street="{n} rue des {w}", words=["Lilas", "Érables", "Tanneurs", "Prés", "Écoles"],
               addr="{street}\n{zip} {city}\nFrance", phone="+33 {a} {b} {c} {d} {e}",
               legal=["SARL", "SAS", "SA"], acts=["Conseil", "Études", "Menuiserie", "Boulangerie", "Éditions",
                                                  "Architecture", "Informatique"],
               tax="FR{n11}", tld="fr", tax_rates=[Decimal("20"), Decimal("10"), Decimal("5.5")]),
    "DE": dict(eu=True, locale="de_DE", currency="EUR", weight=20,
               first=["Jürgen", "Jörg", "Günther", "Björn", "Sören", "Käthe", "Lena", "Maximilian", "Anja",
                      "Jonas", "Mareike", "Uwe", "Dörte", "Lukas"],
               last=["Müller", "Schäfer", "Böhm", "Krüger", "Weiß", "Groß", "Köhler", "Schröder", "Hoffmann",
                     "Fischer", "Wagner", "Becker", "Schulz", "Jäger"],
               cities=[("10115", "Berlin"), ("80331", "München"), ("20095", "Hamburg"), ("50667", "Köln"),
                       ("60311", "Frankfurt am Main"), ("04109", "Leipzig")],
               street="{w}straße {n}", words=["Haupt", "Linden", "Garten", "Schiller", "Goethe", "Bahnhof"],
               addr="{street}\n{zip} {city}\nDeutschland", phone="+49 {a}{b} {c}{d}{e}",
               legal=["GmbH", "AG", "KG"], acts=["Maschinenbau", "Beratung", "Logistik", "Bäckerei", "Software",
                                                 "Druckerei"],
               tax="DE{n9}", tld="de", tax_rates=[Decimal("19"), Decimal("7")]),
    "ES": dict(eu=True, locale="es_ES", currency="EUR", weight=10,
               first=["José", "María", "Sofía", "Andrés", "Lucía", "Íñigo", "Begoña", "Ramón", "Martín",
                      "Inés", "Álvaro", "Nuria"],
               last=["García", "Peña", "Núñez", "Fernández", "López", "Martínez", "Sánchez", "Gómez",
                     "Ibáñez", "Muñoz", "Jiménez", "Ortíz"],
               cities=[("28013", "Madrid"), ("08002", "Barcelona"), ("46001", "Valencia"), ("41001", "Sevilla"),
                       ("48001", "Bilbao")],
               street="Calle de {w}, {n}", words=["Alcalá", "Serrano", "Goya", "la Paz", "Colón"],
               addr="{street}\n{zip} {city}\nEspaña", phone="+34 {a}{b} {c} {d}{e}",
               legal=["S.L.", "S.A."], acts=["Consultoría", "Diseño", "Construcciones", "Panadería", "Tecnología"],
               tld="es", tax_rates=[Decimal("21"), Decimal("10")]),
    "US": dict(locale="en_US", currency="USD", weight=24,
               first=["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
                      "Elizabeth", "Chloë", "Renée", "José", "André"],
               last=["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
                     "Taylor", "O'Neil", "Thompson", "Martinez"],
               cities=[("NY 10001", "New York"), ("CA 94103", "San Francisco"), ("IL 60601", "Chicago"),
                       ("TX 78701", "Austin"), ("WA 98101", "Seattle"), ("MA 02108", "Boston")],
               street="{n} {w} Street", words=["Main", "Oak", "Pine", "Maple", "Cedar", "Elm"],
               addr="{street}\n{city}, {zip}\nUSA", phone="+1 ({a}{b}) {c}{d}-{e}",
               legal=["Inc.", "LLC", "Corp."], acts=["Consulting", "Widgets", "Software", "Design", "Logistics",
                                                     "Labs"],
               tax="EIN {n2}-{n7}", tld="com",
               tax_rates=[Decimal("0"), Decimal("8.875"), Decimal("7.25"), Decimal("6")]),
    "GB": dict(locale="en_GB", currency="GBP", weight=13,
               first=["Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Siobhán", "Niamh", "Rhys",
                      "Ffion", "Seán"],
               last=["Smith", "Jones", "Taylor", "Brown", "Evans", "Walker", "Wright", "Robinson", "Hughes",
                     "Ó Briain", "Llewellyn"],
               cities=[("EC1A 1BB", "London"), ("M1 1AE", "Manchester"), ("B1 1BB", "Birmingham"),
                       ("EH1 1YZ", "Edinburgh"), ("BS1 4DJ", "Bristol")],
               street="{n} {w} Road", words=["High", "Station", "Church", "Victoria", "Mill"],
               addr="{street}\n{city} {zip}\nUnited Kingdom", phone="+44 {a}{b} {c}{d} {e}",
               legal=["Ltd", "PLC", "LLP"], acts=["Consulting", "Joinery", "Publishing", "Engineering", "Bakery"],
               tax="GB{n9}", tld="co.uk", tax_rates=[Decimal("20"), Decimal("5")]),
    "JP": dict(locale="ja_JP", currency="JPY", weight=9,
               first=["Haruto", "Yui", "Sōta", "Yūki", "Kenji", "Aoi", "Ren", "Sakura", "Kōhei", "Hina"],
               last=["Satō", "Suzuki", "Takahashi", "Tanaka", "Itō", "Watanabe", "Yamamoto", "Nakamura",
                     "Kobayashi", "Katō"],
               cities=[("100-0001", "Tokyo"), ("530-0001", "Osaka"), ("450-0002", "Nagoya"), ("060-0001", "Sapporo"),
                       ("810-0001", "Fukuoka")],
               street="{n}-{n2} {w}", words=["Marunouchi", "Umeda", "Sakae", "Tenjin", "Shibuya"],
               addr="{street}\n{city} {zip}\nJapan", phone="+81 {a}{b}-{c}{d}-{e}",
               legal=["K.K.", "G.K."], acts=["Trading", "Robotics", "Design", "Foods", "Systems"],
               tax="T{n13}", tld="co.jp", tax_rates=[Decimal("10"), Decimal("8")]),
}
_RATES = {"EUR": Decimal(1), "USD": Decimal("1.1"), "GBP": Decimal("0.85"), "JPY": Decimal(160)}
_CURRENCY_TAX = {"EUR": [Decimal("20"), Decimal("19"), Decimal("21"), Decimal("10"), Decimal("7"),
                         Decimal("5.5"), Decimal("0")],
                 "USD": [Decimal("0"), Decimal("8.875"), Decimal("7.25"), Decimal("6")],
                 "GBP": [Decimal("20"), Decimal("5"), Decimal("0")],
                 "JPY": [Decimal("10"), Decimal("8")]}
# (name, description, price in EUR (low, high), quantities)
_ITEMS = [
    ("Consulting", "Senior consultant, on site", (90, 180), ["7.5", "15", "22.5", "3", "1.5"]),
    ("Development", "Backend and frontend work", (60, 140), ["8", "16", "40", "12.5", "80"]),
    ("Design workshop", "Half-day workshop with the team", (450, 1200), ["1", "2"]),
    ("Hosting", "Managed hosting, monthly", (25, 400), ["1", "3", "12"]),
    ("Support plan", "Business hours, response within 4 h", (150, 900), ["1", "3", "6", "12"]),
    ("Software licence", "Per seat, yearly", (40, 300), ["5", "10", "25", "50"]),
    ("Training", "Per participant", (200, 650), ["1", "4", "8", "12"]),
    ("Audit", "Security and performance audit", (1500, 6000), ["1"]),
    ("Translation", "Per 1,000 words — Français ↔ Deutsch", (60, 120), ["3.2", "12.75", "40"]),
    ("Photography", "Product shots, retouched", (35, 90), ["20", "45", "120"]),
    ("Printing", "Brochures A4, 16 pages", (0.85, 2.4), ["500", "1000", "2500"]),
    ("Travel expenses", "Train and hotel", (120, 900), ["1"]),
    ("Domain renewal", "Yearly", (12, 45), ["1", "2", "5"]),
    ("Hardware", "Refurbished laptop", (480, 1400), ["1", "2", "5"]),
    ("Maintenance", "Quarterly visit", (250, 700), ["1", "4"]),
    ("Data migration", "Import of legacy records", (900, 4000), ["1"]),
    ("Café & croissants", "Catering for the kick-off", (4.5, 12), ["12", "25", "40"]),
]
_TITLES = ["Website redesign — phase 2", "Q1 retainer", "Annual support renewal", "Kick-off workshop",
           "Migration project", "Monthly services", "Training programme", "Hardware order", "", "", "", ""]
_COMMENTS = {
    "fr": ["Merci pour votre confiance !", "Paiement à réception de facture.", "TVA acquittée sur les débits."],
    "de": ["Vielen Dank für Ihren Auftrag!", "Zahlbar ohne Abzug.", "Leistungszeitraum: laufender Monat."],
    "es": ["¡Gracias por su confianza!", "Pago mediante transferencia bancaria."],
    "en": ["Thank you for your business!", "Please quote the invoice number with your payment.",
           "Net 30 — late payments may incur a fee."],
    "ja": ["Thank you for your continued business.", "Please pay by bank transfer."],
}
_NOTES = ["Customer asked for a copy with the PO number.", "Called the customer — payment promised this week.",
          "Discount agreed with the account manager.", "Sent the signed delivery note separately.",
          "Customer's accounts payable: ask for Mélanie."]
_TASKS = ["Follow up on payment", "Send the delivery note", "Check the VAT number", "Call about the PO number"]
_DEMO_USERS = [  # login, name, permissions
    ("marie.curie", "Marie Curie", "view,create,edit,delete"),
    ("jorg.muller", "Jörg Müller", "view,create,edit"),
    ("sofia.nunez", "Sofía Núñez", "view,create"),
    ("kenji.sato", "Kenji Satō", "view,create,edit"),
    ("auditor", "Ana Auditor", "view"),
]
# The seller: a complete French profile (R43), every identifier a valid public example (the SIREN and
# SIRET of python-stdnum's documentation, the VAT key computed from that SIREN, the IBAN of the French
# banks' documentation). Applied through the settings' own checks, in this order (the electronic
# address is checked against the scheme stored before it).
_SELLER = {
    "seller_legal_name": "Lumière & Co. Studio SAS",
    "seller_address": "8 boulevard de la Croix-Rousse",
    "seller_postcode": "69004",
    "seller_city": "Lyon",
    "seller_country": "FR",
    "seller_siren": "732829320",
    "seller_siret": "73282932000074",
    "seller_vat_id": "FR44732829320",
    "seller_legal_form": "SAS",
    "seller_share_capital": "10000",
    "seller_registration": "RCS Lyon",
    "seller_electronic_scheme": "0225",
    "seller_electronic_address": "732829320",
    "seller_iban": "FR7630006000011234567890189",
    "seller_bic": "AGRIFRPP",
    "payment_means_code": "58",
    "late_penalty_rate": "12.15",
    "early_payment_terms": "Pas d'escompte pour paiement anticipé",
    "payment_instructions": "Bank transfer to IBAN FR76 3000 6000 0112 3456 7890 189 (BIC AGRIFRPP), "
                            "quoting the invoice number.",
}
# A French seller's EUR invoices carry the French VAT rates (CGI art. 278 ff.), R43.
_FRENCH_EUR_TAX = [Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1")]
# 1 unit of each demo currency in EUR (BT-6/BT-111: a French seller states its VAT total in EUR).
_EUR_RATES = {"USD": "0.9091", "GBP": "1.1765", "JPY": "0.00625"}
# Catalogue items that are goods (the rest are services): an invoice's operation category (R43).
_GOODS = {"Software licence", "Printing", "Hardware", "Café & croissants"}
_METHODS = ("bank_transfer", "bank_transfer", "bank_transfer", "check", "card", "cash", "other")


@functools.lru_cache(maxsize=4096)
def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randrange(10 ** n)).zfill(n)


