"""Header and value labels of exports (R22) in every export language.

The invoice properties' labels and their choice values come from the property catalogue
(``domain/catalogue.py``: ``Property.labels`` and ``CHOICE_LABELS``); this module adds what only
an export needs: the association columns, the words used inside association cells (payment
methods and states) and the sheet name.
"""

from __future__ import annotations

from invoice_tui.domain.catalogue import CHOICE_LABELS, LANGUAGES, PROPERTIES

ASSOCIATIONS = ("contacts", "companies", "payments", "line_items")

ASSOCIATION_LABELS: dict[str, dict[str, str]] = {
    "contacts": {"en": "Associated contacts", "fr": "Contacts associés", "de": "Zugeordnete Kontakte",
                 "es": "Contactos asociados"},
    "companies": {"en": "Associated companies", "fr": "Entreprises associées", "de": "Zugeordnete Unternehmen",
                  "es": "Empresas asociadas"},
    "payments": {"en": "Associated payments", "fr": "Paiements associés", "de": "Zugeordnete Zahlungen",
                 "es": "Pagos asociados"},
    "line_items": {"en": "Associated line items", "fr": "Lignes de facture associées",
                   "de": "Zugeordnete Rechnungspositionen", "es": "Partidas asociadas"},
}

PAYMENT_METHOD_LABELS: dict[str, dict[str, str]] = {
    "cash": {"en": "Cash", "fr": "Espèces", "de": "Bargeld", "es": "Efectivo"},
    "check": {"en": "Check", "fr": "Chèque", "de": "Scheck", "es": "Cheque"},
    "bank_transfer": {"en": "Bank transfer", "fr": "Virement", "de": "Überweisung", "es": "Transferencia"},
    "card": {"en": "Card", "fr": "Carte", "de": "Karte", "es": "Tarjeta"},
    "other": {"en": "Other", "fr": "Autre", "de": "Sonstige", "es": "Otro"},
}

PAYMENT_STATE_LABELS: dict[str, dict[str, str]] = {
    "processing": {"en": "Processing", "fr": "En cours", "de": "In Bearbeitung", "es": "En proceso"},
    "succeeded": {"en": "Succeeded", "fr": "Réussi", "de": "Erfolgreich", "es": "Completado"},
    "failed": {"en": "Failed", "fr": "Échoué", "de": "Fehlgeschlagen", "es": "Fallido"},
    "canceled": {"en": "Canceled", "fr": "Annulé", "de": "Abgebrochen", "es": "Cancelado"},
    "refunded": {"en": "Refunded", "fr": "Remboursé", "de": "Erstattet", "es": "Reembolsado"},
    "requires_action": {"en": "Requires action", "fr": "Action requise", "de": "Aktion erforderlich",
                        "es": "Requiere acción"},
    "disputed": {"en": "Disputed", "fr": "Contesté", "de": "Angefochten", "es": "Disputado"},
}

SHEET_LABELS: dict[str, str] = {"en": "Invoices", "fr": "Factures", "de": "Rechnungen", "es": "Facturas"}


def header(column_id: str, lang: str) -> str:
    """The column header of a catalogue property or an association column in ``lang``."""
    if column_id in ASSOCIATION_LABELS:
        labels = ASSOCIATION_LABELS[column_id]
        return labels.get(lang) or labels["en"]
    from invoice_tui.domain.catalogue import get

    return get(column_id).label(lang)


def word(table: dict[str, dict[str, str]], value: str, lang: str | None) -> str:
    """A value's label in ``lang``; ``lang=None`` keeps the internal value."""
    if lang is None:
        return value
    labels = table.get(value)
    return (labels.get(lang) or labels["en"]) if labels else value


def label_tables() -> dict[str, dict[str, dict[str, str]]]:
    """Every label table an export uses, for the completeness test (every language, every entry)."""
    tables: dict[str, dict[str, dict[str, str]]] = {
        "properties": {p.id: p.labels for p in PROPERTIES},
        "associations": ASSOCIATION_LABELS,
        "payment_methods": PAYMENT_METHOD_LABELS,
        "payment_states": PAYMENT_STATE_LABELS,
        "sheet": {"sheet": SHEET_LABELS},
    }
    for prop_id, values in CHOICE_LABELS.items():
        tables[f"choice:{prop_id}"] = values
    return tables


__all__ = ["ASSOCIATIONS", "ASSOCIATION_LABELS", "LANGUAGES", "PAYMENT_METHOD_LABELS", "PAYMENT_STATE_LABELS",
           "SHEET_LABELS", "header", "label_tables", "word"]
