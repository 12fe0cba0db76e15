"""The property catalogue: one list of invoice properties (id, type, labels in each language,
SQL expression, sortable) that serves filters, columns, views, export headers and the CLI's
JSON keys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import peewee as pw

from invoice_tui.db import is_postgres
from invoice_tui.db.models import Invoice, User
from invoice_tui.i18n import N_, _, language, pgettext

LANGUAGES = ("en", "fr", "de", "es")
TYPES = ("text", "number", "money", "date", "choice")


@dataclass(frozen=True)
class SqlContext:
    """What an SQL expression may depend on: "today" in the workspace zone and the acting user."""

    today: dt.date
    user_id: int | None = None
    login: str | None = None


@dataclass(frozen=True)
class Property:
    id: str
    type: str
    labels: dict[str, str]
    sql: Callable[[SqlContext], pw.Node]
    sortable: bool = True
    indexed: bool = False
    choices: tuple[str, ...] = ()
    minor: bool = False  # money: the SQL value is in minor units of the row's currency

    def label(self, lang: str | None = None) -> str:
        """The label in ``lang`` from the table (exports' headers, the CLI); without ``lang``, in the
        reader's language through the catalog (the screens: columns, filters, sort)."""
        if lang is None:
            return _(self.labels["en"])
        return self.labels.get(lang) or self.labels["en"]


def _col(column: pw.Field) -> Callable[[SqlContext], pw.Node]:
    return lambda ctx: column


def _days_overdue(ctx: SqlContext) -> pw.Node:
    today = ctx.today.isoformat()
    if is_postgres():
        diff = pw.Cast(pw.Value(today), "date") - Invoice.due_date
    else:
        diff = pw.Cast(pw.fn.julianday(today) - pw.fn.julianday(Invoice.due_date), "INTEGER")
    return pw.Case(None, [(overdue_condition(ctx), diff)], 0)


def overdue_condition(ctx: SqlContext) -> pw.Expression:
    """Derived overdue: open and the due date before today (in the workspace time zone)."""
    return (Invoice.status == "open") & (Invoice.due_date < ctx.today)


STATUS_CHOICES = ("draft", "open", "paid", "voided", "issued")  # issued: a credit note (R36)
TYPE_CHOICES = ("invoice", "credit_note")  # R42: EN 16931 380 / 381
ORIGIN_CHOICES = ("manual", "clone", "subscription", "import")
BOOLEAN_CHOICES = ("true", "false")

CHOICE_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "status": {
        "draft": {"en": "Draft", "fr": "Brouillon", "de": "Entwurf", "es": "Borrador"},
        "open": {"en": "Open", "fr": "Ouverte", "de": "Offen", "es": "Abierta"},
        "paid": {"en": "Paid", "fr": "Payée", "de": "Bezahlt", "es": "Pagada"},
        "voided": {"en": "Voided", "fr": "Annulée", "de": "Storniert", "es": "Anulada"},
        "issued": {"en": "Issued", "fr": "Émis", "de": "Ausgestellt", "es": "Emitida"},
        "overdue": {"en": "Overdue", "fr": "En retard", "de": "Überfällig", "es": "Vencida"},
    },
    "type": {
        "invoice": {"en": "Invoice", "fr": "Facture", "de": "Rechnung", "es": "Factura"},
        "credit_note": {"en": "Credit note", "fr": "Avoir", "de": "Gutschrift", "es": "Nota de crédito"},
    },
    "overdue": {
        "true": {"en": "Yes", "fr": "Oui", "de": "Ja", "es": "Sí"},
        "false": {"en": "No", "fr": "Non", "de": "Nein", "es": "No"},
    },
    "allow_partial": {
        "true": {"en": "Yes", "fr": "Oui", "de": "Ja", "es": "Sí"},
        "false": {"en": "No", "fr": "Non", "de": "Nein", "es": "No"},
    },
    "origin": {
        "manual": {"en": "Manual", "fr": "Manuelle", "de": "Manuell", "es": "Manual"},
        "clone": {"en": "Clone", "fr": "Copie", "de": "Kopie", "es": "Copia"},
        "subscription": {"en": "Subscription", "fr": "Abonnement", "de": "Abonnement", "es": "Suscripción"},
        "import": {"en": "Import", "fr": "Import", "de": "Import", "es": "Importación"},
    },
}


def _p(id_, type_, en, fr, de, es, sql, **kw) -> Property:
    return Property(id_, type_, {"en": en, "fr": fr, "de": de, "es": es}, sql, **kw)


PROPERTIES: tuple[Property, ...] = (
    _p("id", "number", N_("Record ID"), "ID de l'enregistrement", "Datensatz-ID", "ID del registro",
       _col(Invoice.id), indexed=True),
    _p("number", "text", N_("Number"), "Numéro", "Nummer", "Número", _col(Invoice.number), indexed=True),
    _p("type", "choice", N_("Type"), "Type", "Typ", "Tipo", _col(Invoice.doc_type), indexed=True,
       choices=TYPE_CHOICES),
    _p("title", "text", N_("Title"), "Titre", "Titel", "Título", _col(Invoice.title)),
    _p("status", "choice", N_("Status"), "Statut", "Status", "Estado", _col(Invoice.status), indexed=True,
       choices=STATUS_CHOICES),
    _p("overdue", "choice", N_("Overdue"), "En retard", "Überfällig", "Vencida",
       lambda ctx: pw.Case(None, [(overdue_condition(ctx), True)], False), choices=BOOLEAN_CHOICES),
    _p("days_overdue", "number", N_("Days overdue"), "Jours de retard", "Tage überfällig", "Días de retraso",
       _days_overdue),
    _p("currency", "choice", N_("Currency"), "Devise", "Währung", "Moneda", _col(Invoice.currency), indexed=True),
    _p("invoice_date", "date", N_("Invoice date"), "Date de facture", "Rechnungsdatum", "Fecha de factura",
       _col(Invoice.invoice_date), indexed=True),
    _p("due_date", "date", N_("Due date"), "Date d'échéance", "Fälligkeitsdatum", "Fecha de vencimiento",
       _col(Invoice.due_date), indexed=True),
    _p("last_sent_date", "date", N_("Last sent date"), "Date du dernier envoi", "Zuletzt gesendet",
       "Fecha del último envío", _col(Invoice.last_sent_date), indexed=True),
    _p("payment_date", "date", N_("Payment date"), "Date de paiement", "Zahlungsdatum", "Fecha de pago",
       _col(Invoice.payment_date)),
    _p("subtotal", "money", N_("Subtotal"), "Sous-total", "Zwischensumme", "Subtotal",
       _col(Invoice.subtotal_minor), minor=True),
    _p("discount_total", "money", N_("Discounts"), "Remises", "Rabatte", "Descuentos",
       _col(Invoice.discount_minor), minor=True),
    _p("fee_total", "money", N_("Fees"), "Frais", "Gebühren", "Cargos", _col(Invoice.fee_minor), minor=True),
    _p("tax_total", "money", N_("Tax"), "Taxes", "Steuern", "Impuestos", _col(Invoice.tax_minor), minor=True),
    _p("amount_billed", "money", N_("Amount billed"), "Montant facturé", "Rechnungsbetrag", "Importe facturado",
       _col(Invoice.billed_minor), minor=True, indexed=True),
    _p("amount_paid", "money", N_("Amount paid"), "Montant payé", "Bezahlter Betrag", "Importe pagado",
       _col(Invoice.paid_minor), minor=True),
    _p("amount_credited", "money", N_("Amount credited"), "Montant crédité", "Gutgeschriebener Betrag",
       "Importe acreditado", _col(Invoice.credited_minor), minor=True),
    _p("balance_due", "money", N_("Balance due"), "Solde dû", "Offener Betrag", "Saldo pendiente",
       _col(Invoice.balance_minor), minor=True, indexed=True),
    _p("contact_name", "text", N_("Billing contact"), "Contact de facturation", "Rechnungskontakt",
       "Contacto de facturación", _col(Invoice.contact_name), indexed=True),
    _p("contact_email", "text", N_("Contact email"), "E-mail du contact", "Kontakt-E-Mail",
       "Correo del contacto", _col(Invoice.contact_email), indexed=True),
    _p("company_name", "text", N_("Company"), "Entreprise", "Unternehmen", "Empresa",
       _col(Invoice.company_name), indexed=True),
    _p("owner", "choice", N_("Invoice owner"), "Propriétaire", "Verantwortlich", "Propietario",
       _col(Invoice.owner_name), indexed=True),
    _p("po_number", "text", N_("PO number"), "N° de bon de commande", "Bestellnummer", "N.º de orden de compra",
       _col(Invoice.po_number)),
    _p("origin", "choice", N_("Origin"), "Origine", "Herkunft", "Origen", _col(Invoice.origin), choices=ORIGIN_CHOICES),
    _p("allow_partial", "choice", N_("Partial payments allowed"), "Paiements partiels autorisés",
       "Teilzahlungen erlaubt", "Pagos parciales permitidos", _col(Invoice.allow_partial),
       choices=BOOLEAN_CHOICES),
    _p("comments", "text", N_("Comments"), "Commentaires", "Kommentare", "Comentarios", _col(Invoice.comments),
       sortable=False),
    _p("created_at", "date", N_("Create date"), "Date de création", "Erstellungsdatum", "Fecha de creación",
       _col(Invoice.created_at)),
)

BY_ID: dict[str, Property] = {p.id: p for p in PROPERTIES}
DEFAULT_COLUMNS = ("number", "contact_name", "company_name", "amount_billed", "balance_due", "status",
                   "due_date", "owner", "last_sent_date")


def get(prop_id: str) -> Property:
    from invoice_tui.domain.errors import BadInput

    try:
        return BY_ID[prop_id]
    except KeyError:
        raise BadInput(_("Unknown property '{property}'; known properties: {properties}.").format(
                           property=prop_id, properties=", ".join(BY_ID)),
                       field="property") from None


def _headers() -> dict[str, str]:
    """Column headers where the reader's language needs a shorter word than the property's label
    (the index at 80 columns: "Montant facturé" is wider than its amounts, "Facturé" is not). In
    English they are the labels."""
    return {
        "contact_name": pgettext("column header", "Billing contact"),
        "amount_billed": pgettext("column header", "Amount billed"),
        "amount_paid": pgettext("column header", "Amount paid"),
        "amount_credited": pgettext("column header", "Amount credited"),
        "due_date": pgettext("column header", "Due date"),
        "invoice_date": pgettext("column header", "Invoice date"),
        "last_sent_date": pgettext("column header", "Last sent date"),
        "payment_date": pgettext("column header", "Payment date"),
        "created_at": pgettext("column header", "Create date"),
        "po_number": pgettext("column header", "PO number"),
        "days_overdue": pgettext("column header", "Days overdue"),
        "allow_partial": pgettext("column header", "Partial payments allowed"),
        "owner": pgettext("column header", "Invoice owner"),
    }


def header(prop_id: str) -> str:
    """A column's header in the reader's language (the index's table)."""
    return _headers().get(prop_id) or get(prop_id).label()


def short_header(prop_id: str) -> str | None:
    """A shorter header for a column narrowed below its header's width (the index at 80 columns:
    "Billed" instead of "Amount bil…"); None where there is none."""
    return {
        "contact_name": pgettext("short column header", "Contact"),
        "amount_billed": pgettext("short column header", "Billed"),
        "amount_paid": pgettext("short column header", "Paid"),
        "amount_credited": pgettext("short column header", "Credited"),
        "owner": pgettext("short column header", "Owner"),
        "company_name": pgettext("short column header", "Company"),
    }.get(prop_id)


def _shown_choices() -> dict[str, dict[str, str]]:
    key = (language(), pgettext("status", "Open"))  # the language in use, as its catalog says
    if _SHOWN.get("key") != key:
        _SHOWN.clear()
        _SHOWN.update(key=key, labels=_shown_choices_now())
    return _SHOWN["labels"]  # type: ignore[return-value]


_SHOWN: dict[str, object] = {}


def _shown_choices_now() -> dict[str, dict[str, str]]:
    """The choices' labels in the reader's language (the catalog; one context per property, since
    the same English word may need two French ones: an "Open" invoice is "à payer")."""
    yes, no = pgettext("boolean", "Yes"), pgettext("boolean", "No")
    return {
        "status": {"draft": pgettext("status", "Draft"), "open": pgettext("status", "Open"),
                   "paid": pgettext("status", "Paid"), "voided": pgettext("status", "Voided"),
                   "issued": pgettext("status", "Issued"), "overdue": pgettext("status", "Overdue")},
        "type": {"invoice": pgettext("type", "Invoice"), "credit_note": pgettext("type", "Credit note")},
        "overdue": {"true": yes, "false": no},
        "allow_partial": {"true": yes, "false": no},
        "origin": {"manual": pgettext("origin", "Manual"), "clone": pgettext("origin", "Clone"),
                   "subscription": pgettext("origin", "Subscription"), "import": pgettext("origin", "Import")},
    }


def choice_label(prop_id: str, value: str, lang: str | None = None) -> str:
    """A choice's label in ``lang`` from the table (exports, documents); without ``lang``, in the
    reader's language (the screens). An unknown value is shown as it is (data)."""
    if lang is None:
        return _shown_choices().get(prop_id, {}).get(value, value)
    labels = CHOICE_LABELS.get(prop_id, {}).get(value)
    return (labels.get(lang) or labels["en"]) if labels else value


def owner_filter_ids(logins: list[str]) -> pw.Node:
    return User.select(User.id).where(User.login.in_(logins))
