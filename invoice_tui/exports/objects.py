"""R52: the exports an import reads back — invoices one row per line item (``--rows lines``) and
the other objects (``--object contacts|companies|payments``).

Each object has a fixed list of fields (:data:`FIELDS`), with a header in every export language;
the import (``invoice_tui.imports``) maps a file's columns back onto the same fields, by header in
any of the four languages. Cells are exact text: amounts as dot decimals in the currency's
decimals, quantities, prices and rates as canonical decimals, dates as ISO 8601, choices as the
header language's label (or the internal value with ``values="internal"``), line allowances and
charges and the invoice's discounts, fees and taxes as JSON. Text starting with a formula
character gets an apostrophe (``columns.neutralise``); numbers and dates never do, so a negative
quantity stays ``-2``.

Rows stream through the export's writers (``writers.CsvSink`` / ``XlsxSink``: a temporary file
renamed at the end, R55's sanitizer on every text cell), one batch of invoices at a time.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable

from invoice_tui.db.models import (Adjustment, Company, Contact, CreditEntry, Invoice, InvoiceContact, LineItem,
                                   Payment)
from invoice_tui.domain.catalogue import CHOICE_LABELS
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, EnvironmentFailure
from invoice_tui.domain.money import exponent as currency_exponent
from invoice_tui.domain.permissions import require
from invoice_tui.domain.totals import default_category
from invoice_tui.exports import labels
from invoice_tui.exports.columns import TEXT, neutralise
from invoice_tui.exports.service import minor_text, read_cursor, read_snapshot, resolve_destination
from invoice_tui.exports.writers import CsvSink, XlsxSink
from invoice_tui.i18n import _

OBJECTS = ("contacts", "companies", "invoices", "payments")

# kinds of field (how the import reads a cell back)
T, MONEY, DEC, DATE, BOOL, JSON, CHOICE = "text", "money", "decimal", "date", "bool", "json", "choice"

BOOL_LABELS = {"true": {"en": "Yes", "fr": "Oui", "de": "Ja", "es": "Sí"},
               "false": {"en": "No", "fr": "Non", "de": "Nein", "es": "No"}}


@dataclass(frozen=True)
class Field:
    id: str
    kind: str
    en: str
    fr: str
    de: str
    es: str
    choices: str = ""  # the label table of a choice field (see :func:`choice_table`)
    required: bool = False

    def label(self, lang: str) -> str:
        return getattr(self, lang, None) or self.en

    def labels(self) -> tuple[str, ...]:
        return (self.en, self.fr, self.de, self.es)


def choice_table(name: str) -> dict[str, dict[str, str]]:
    if name == "method":
        return labels.PAYMENT_METHOD_LABELS
    if name == "state":
        return labels.PAYMENT_STATE_LABELS
    if name == "bool":
        return BOOL_LABELS
    return CHOICE_LABELS[name]


_F = Field
CONTACT_FIELDS = (
    _F("email", T, "Email", "E-mail", "E-Mail", "Correo electrónico", required=True),
    _F("first_name", T, "First name", "Prénom", "Vorname", "Nombre"),
    _F("last_name", T, "Last name", "Nom", "Nachname", "Apellidos"),
    _F("phone", T, "Phone", "Téléphone", "Telefon", "Teléfono"),
    _F("address", T, "Address", "Adresse", "Adresse", "Dirección"),
    _F("postcode", T, "Postcode", "Code postal", "Postleitzahl", "Código postal"),
    _F("city", T, "City", "Ville", "Stadt", "Ciudad"),
    _F("country", T, "Country", "Pays", "Land", "País"),
    _F("is_business", BOOL, "Business buyer", "Acheteur professionnel", "Geschäftskunde", "Comprador empresa",
       choices="bool"),
    _F("company", T, "Company", "Entreprise", "Unternehmen", "Empresa"),
)
COMPANY_FIELDS = (
    _F("name", T, "Company name", "Nom de l'entreprise", "Firmenname", "Nombre de la empresa", required=True),
    _F("legal_name", T, "Legal name", "Raison sociale", "Rechtlicher Name", "Razón social"),
    _F("domain", T, "Domain", "Domaine", "Domain", "Dominio"),
    _F("address", T, "Address", "Adresse", "Adresse", "Dirección"),
    _F("postcode", T, "Postcode", "Code postal", "Postleitzahl", "Código postal"),
    _F("city", T, "City", "Ville", "Stadt", "Ciudad"),
    _F("country", T, "Country", "Pays", "Land", "País"),
    _F("tax_id", T, "Tax id", "Identifiant fiscal", "Steuernummer", "Identificación fiscal"),
    _F("siren", T, "SIREN", "SIREN", "SIREN", "SIREN"),
    _F("siret", T, "SIRET", "SIRET", "SIRET", "SIRET"),
    _F("vat_id", T, "VAT id", "N° TVA intracommunautaire", "USt-IdNr.", "NIF-IVA"),
    _F("electronic_address", T, "Electronic address", "Adresse électronique", "Elektronische Adresse",
       "Dirección electrónica"),
    _F("electronic_scheme", T, "Electronic address scheme", "Schéma de l'adresse électronique",
       "Schema der elektronischen Adresse", "Esquema de la dirección electrónica"),
)
INVOICE_FIELDS = (
    _F("number", T, "Number", "Numéro", "Nummer", "Número"),
    _F("type", CHOICE, "Type", "Type", "Typ", "Tipo", choices="type"),
    _F("refers_to", T, "Corrected invoice", "Facture corrigée", "Korrigierte Rechnung", "Factura corregida"),
    _F("status", CHOICE, "Status", "Statut", "Status", "Estado", choices="status"),
    _F("currency", T, "Currency", "Devise", "Währung", "Moneda", required=True),
    _F("locale", T, "Locale", "Paramètres régionaux", "Gebietsschema", "Configuración regional"),
    _F("invoice_date", DATE, "Invoice date", "Date de facture", "Rechnungsdatum", "Fecha de factura"),
    _F("due_date", DATE, "Due date", "Date d'échéance", "Fälligkeitsdatum", "Fecha de vencimiento"),
    _F("contact_email", T, "Contact email", "E-mail du contact", "Kontakt-E-Mail", "Correo del contacto"),
    _F("contacts", T, "Other contacts", "Autres contacts", "Weitere Kontakte", "Otros contactos"),
    _F("company", T, "Company", "Entreprise", "Unternehmen", "Empresa"),
    _F("title", T, "Title", "Titre", "Titel", "Título"),
    _F("po_number", T, "PO number", "N° de bon de commande", "Bestellnummer", "N.º de pedido"),
    _F("comments", T, "Comments", "Commentaires", "Kommentare", "Comentarios"),
    _F("allow_partial", BOOL, "Partial payments", "Paiements partiels", "Teilzahlungen", "Pagos parciales",
       choices="bool"),
    _F("buyer_reference", T, "Buyer reference", "Référence acheteur", "Käuferreferenz", "Referencia del comprador"),
    _F("delivery_date", DATE, "Delivery date", "Date de livraison", "Lieferdatum", "Fecha de entrega"),
    _F("operation_category", T, "Operation category", "Catégorie d'opération", "Vorgangsart",
       "Categoría de operación"),
    _F("reason", T, "Reason", "Motif", "Grund", "Motivo"),
    _F("discounts", JSON, "Invoice discounts", "Remises de la facture", "Rechnungsrabatte", "Descuentos de la factura"),
    _F("fees", JSON, "Invoice fees", "Frais de la facture", "Rechnungsgebühren", "Cargos de la factura"),
    _F("taxes", JSON, "Extra taxes", "Taxes supplémentaires", "Zusätzliche Steuern", "Impuestos adicionales"),
    _F("amount_billed", MONEY, "Amount billed", "Montant facturé", "Rechnungsbetrag", "Importe facturado"),
    _F("credited", MONEY, "Credited on the invoice", "Imputé sur la facture", "Auf die Rechnung angerechnet",
       "Aplicado a la factura"),
    _F("line_name", T, "Line item", "Ligne", "Position", "Partida"),
    _F("line_description", T, "Line description", "Description de la ligne", "Positionsbeschreibung",
       "Descripción de la partida"),
    _F("quantity", DEC, "Quantity", "Quantité", "Menge", "Cantidad"),
    _F("unit_price", DEC, "Unit price", "Prix unitaire", "Einzelpreis", "Precio unitario"),
    _F("base_quantity", DEC, "Price base quantity", "Quantité de base du prix", "Preisbasismenge",
       "Cantidad base del precio"),
    _F("unit_code", T, "Unit", "Unité", "Einheit", "Unidad"),
    _F("line_discount", DEC, "Line discount", "Remise de la ligne", "Positionsrabatt", "Descuento de la partida"),
    _F("line_discount_percent", BOOL, "Line discount in %", "Remise de la ligne en %", "Positionsrabatt in %",
       "Descuento de la partida en %", choices="bool"),
    _F("line_charges", JSON, "Line allowances and charges", "Remises et frais de la ligne",
       "Positionszu- und -abschläge", "Descuentos y cargos de la partida"),
    _F("tax_rate", DEC, "VAT rate", "Taux de TVA", "USt-Satz", "Tipo de IVA"),
    _F("tax_category", T, "VAT category", "Catégorie de TVA", "USt-Kategorie", "Categoría de IVA"),
)
PAYMENT_FIELDS = (
    _F("date", DATE, "Payment date", "Date du paiement", "Zahlungsdatum", "Fecha de pago", required=True),
    _F("amount", MONEY, "Amount", "Montant", "Betrag", "Importe", required=True),
    _F("currency", T, "Currency", "Devise", "Währung", "Moneda", required=True),
    _F("method", CHOICE, "Method", "Moyen de paiement", "Zahlungsart", "Método", choices="method"),
    _F("reference", T, "Reference", "Référence", "Referenz", "Referencia"),
    _F("note", T, "Note", "Note", "Notiz", "Nota"),
    _F("source", T, "Source", "Source", "Quelle", "Origen"),
    _F("state", CHOICE, "State", "État", "Status", "Estado", choices="state"),
    _F("invoice_number", T, "Invoice number", "Numéro de facture", "Rechnungsnummer", "Número de factura"),
    _F("contact_email", T, "Contact email", "E-mail du contact", "Kontakt-E-Mail", "Correo del contacto"),
)
FIELDS: dict[str, tuple[Field, ...]] = {"contacts": CONTACT_FIELDS, "companies": COMPANY_FIELDS,
                                        "invoices": INVOICE_FIELDS, "payments": PAYMENT_FIELDS}
SHEETS = {"contacts": {"en": "Contacts", "fr": "Contacts", "de": "Kontakte", "es": "Contactos"},
          "companies": {"en": "Companies", "fr": "Entreprises", "de": "Unternehmen", "es": "Empresas"},
          "invoices": {"en": "Line items", "fr": "Lignes", "de": "Positionen", "es": "Partidas"},
          "payments": {"en": "Payments", "fr": "Paiements", "de": "Zahlungen", "es": "Pagos"}}


def fields(obj: str) -> tuple[Field, ...]:
    if obj not in FIELDS:
        raise BadInput(_("'{obj}' is not something to export or import; use {items}.").format(obj=obj, items=', '.join(OBJECTS)), field="object")
    return FIELDS[obj]


# ---- cell text ----------------------------------------------------------------------------------
def dec_text(value) -> str:
    if value is None or value == "":
        return ""
    d = Decimal(value)
    return format(d.normalize(), "f") if d else "0"


def day_text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else value.isoformat()


def _choice(table: str, value: str | None, lang: str | None) -> str:
    return labels.word(choice_table(table), value, lang) if value else ""


def _bool(value, lang: str | None) -> str:
    return _choice("bool", "true" if value else "false", lang)


def _text(value) -> str:
    return neutralise(value or "") or ""


def category(rate, cat: str | None) -> str:
    """The VAT category as the totals read it: the stored one, or the rate's default (0 → Z, else S)."""
    return cat or default_category(Decimal(rate or 0))


def adjustments_json(items: list[tuple], kind: str = "") -> str:
    """An invoice's discounts, fees or taxes as a JSON list (``[]`` cells are left empty)."""
    if not items:
        return ""
    return json.dumps([{"value": dec_text(v), "is_percent": bool(p), "tax_rate": dec_text(r or 0),
                        "tax_category": "" if kind == "tax" else category(r, c), "label": lab or ""} for v, p, r, c, lab in items],
                      ensure_ascii=False, separators=(",", ":"))


# ---- rows ---------------------------------------------------------------------------------------
def _ids_param(n: int) -> str:
    from invoice_tui.db import database

    return ", ".join([database.obj.param] * n)


def _invoice_rows(lang: str | None, types: tuple[str, ...], batch: int):
    from invoice_tui.db import database

    inv = Invoice._meta.table_name
    types_sql = ", ".join(f"'{t}'" for t in types)
    sql = (f'SELECT id, number, doc_type, refers_to_id, status, currency, locale, invoice_date, due_date, '
           f'contact_email, company_name, title, po_number, comments, allow_partial, buyer_reference, '
           f'delivery_date, operation_category, reason, billed_minor, exponent, billing_contact_id '
           f'FROM "{inv}" WHERE doc_type IN ({types_sql}) ORDER BY id')
    cursor = read_cursor(sql, [], batch)
    db = database.obj
    try:
        while rows := cursor.fetchmany(batch):
            ids = [r[0] for r in rows]
            marks = _ids_param(len(ids))
            lines: dict[int, list[tuple]] = {}
            for r in db.execute_sql(
                    f'SELECT invoice_id, name, description, quantity, unit_price_micro, price_base, unit_code, '
                    f'discount_kind, discount_value, charges, tax_rate, tax_category FROM "{LineItem._meta.table_name}" '
                    f'WHERE invoice_id IN ({marks}) ORDER BY invoice_id, position, id', ids):
                lines.setdefault(r[0], []).append(r[1:])
            adjs: dict[tuple[int, str], list[tuple]] = {}
            for r in db.execute_sql(
                    f'SELECT invoice_id, kind, value, is_percent, tax_rate, tax_category, label '
                    f'FROM "{Adjustment._meta.table_name}" WHERE invoice_id IN ({marks}) '
                    f'ORDER BY invoice_id, kind, position, id', ids):
                adjs.setdefault((r[0], r[1]), []).append(r[2:])
            others: dict[int, list[str]] = {}
            for r in db.execute_sql(
                    f'SELECT ic.invoice_id, c.email FROM "{InvoiceContact._meta.table_name}" ic JOIN '
                    f'"{Contact._meta.table_name}" c ON c.id = ic.contact_id JOIN "{inv}" i ON i.id = ic.invoice_id '
                    f'WHERE ic.invoice_id IN ({marks}) AND (i.billing_contact_id IS NULL OR c.id <> '
                    f'i.billing_contact_id) ORDER BY ic.invoice_id, c.email', ids):
                others.setdefault(r[0], []).append(r[1])
            credited: dict[int, int] = {}
            for cn_id, amount in db.execute_sql(
                    f'SELECT credit_note_id, SUM(amount_minor) FROM "{CreditEntry._meta.table_name}" WHERE '
                    f"kind = 'cn_applied' AND credit_note_id IN ({marks}) GROUP BY credit_note_id", ids):
                credited[cn_id] = int(amount)  # PostgreSQL sums to a numeric
            refs = {r[3] for r in rows if r[3]}
            numbers = {}
            if refs:
                numbers = dict(db.execute_sql(f'SELECT id, number FROM "{inv}" WHERE id IN '
                                              f'({_ids_param(len(refs))})', list(refs)).fetchall())
            out = []
            for (iid, number, doc_type, refers, status, cur, locale, day, due, email, company, title, po, comments,
                 partial, buyer_ref, delivery, operation, reason, billed, exp, _bc) in rows:
                head = [_text(number), _choice("type", doc_type, lang), _text(numbers.get(refers)),
                        _choice("status", status, lang), cur, locale or "", day_text(day), day_text(due),
                        email or "", "; ".join(others.get(iid, ())), _text(company), _text(title), _text(po),
                        _text(comments), _bool(partial, lang), _text(buyer_ref), day_text(delivery),
                        operation or "", _text(reason), adjustments_json(adjs.get((iid, "discount"), [])),
                        adjustments_json(adjs.get((iid, "fee"), [])),
                        adjustments_json(adjs.get((iid, "tax"), []), "tax"),
                        minor_text(billed, exp),
                        minor_text(credited.get(iid, 0), exp) if doc_type == "credit_note" else ""]
                items = lines.get(iid) or [None]
                for li in items:
                    if li is None:
                        out.append(tuple(head + [""] * 11))
                        continue
                    name, desc, qty, micro, base, unit, dkind, dvalue, charges, rate, cat = li
                    out.append(tuple(head + [
                        _text(name), _text(desc), dec_text(qty), dec_text(Decimal(micro) / 1_000_000), dec_text(base),
                        unit or "", dec_text(dvalue) if dkind else "",
                        _bool(dkind == "percent", lang) if dkind else "",
                        "" if charges in (None, "", "[]") else charges, dec_text(rate), category(rate, cat)]))
            yield out
    finally:
        cursor.close()


def _simple_rows(sql: str, make: Callable[[tuple], tuple], batch: int):
    cursor = read_cursor(sql, [], batch)
    try:
        while rows := cursor.fetchmany(batch):
            yield [make(r) for r in rows]
    finally:
        cursor.close()


def _contact_rows(lang, batch):
    c, co = Contact._meta.table_name, Company._meta.table_name
    sql = (f'SELECT c.email, c.first_name, c.last_name, c.phone, c.address, c.postcode, c.city, c.country, '
           f'c.is_business, co.name FROM "{c}" c LEFT JOIN "{co}" co ON co.id = c.company_id ORDER BY c.id')
    return _simple_rows(sql, lambda r: (r[0], *(_text(v) for v in r[1:8]), _bool(r[8], lang), _text(r[9])), batch)


def _company_rows(lang, batch):
    sql = (f'SELECT name, legal_name, domain, address, postcode, city, country, tax_id, siren, siret, vat_id, '
           f'electronic_address, electronic_scheme FROM "{Company._meta.table_name}" ORDER BY id')
    return _simple_rows(sql, lambda r: tuple(_text(v) for v in r), batch)


def _payment_rows(lang, batch):
    p, i, c = Payment._meta.table_name, Invoice._meta.table_name, Contact._meta.table_name
    sql = (f'SELECT p.date, p.amount_minor, p.currency, p.method, p.reference, p.note, p.source, p.state, '
           f'i.number, c.email FROM "{p}" p LEFT JOIN "{i}" i ON i.id = p.invoice_id '
           f'LEFT JOIN "{c}" c ON c.id = p.contact_id ORDER BY p.date, p.id')
    exps: dict[str, int] = {}

    def make(r):
        cur = r[2]
        if cur not in exps:
            exps[cur] = currency_exponent(cur)
        return (day_text(r[0]), minor_text(r[1], exps[cur]), cur, _choice("method", r[3], lang), _text(r[4]),
                _text(r[5]), r[6], _choice("state", r[7], lang), _text(r[8]), r[9] or "")

    return _simple_rows(sql, make, batch)


@dataclass
class ObjectExportResult:
    path: Path
    rows: int
    format: str
    seconds: float


def run_object_export(ctx: Context, obj: str, *, fmt: str = "csv", lang: str = "en", values: str = "labels",
                      path: str | None = None, folder: str | None = None, name: str = "",
                      types: tuple[str, ...] = ("invoice",), batch: int = 2000,
                      progress: Callable[[int, int], None] | None = None) -> ObjectExportResult:
    """Export every contact, company or payment, or every invoice one row per line item (R52)."""
    require(ctx, "view")
    from invoice_tui.team_ssh import refuse_files

    refuse_files("an export")
    flds = fields(obj)
    if fmt not in ("csv", "xlsx"):
        raise BadInput(_("The format is csv or xlsx."), field="format")
    if lang not in labels.LANGUAGES:
        raise BadInput(_("The language is one of {items}.").format(items=', '.join(labels.LANGUAGES)), field="lang")
    bad = [t for t in types if t not in ("invoice", "credit_note")]
    if bad:
        raise BadInput(_("'{value}' is not a document type; use invoice or credit_note.").format(value=bad[0]), field="filter")
    started = time.perf_counter()
    value_lang = lang if values == "labels" else None
    final = resolve_destination(name or f"{obj} {ctx.today().isoformat()}", fmt, folder=folder, path=path)
    headers = [f.label(lang) for f in flds]
    kinds = [TEXT] * len(flds)
    sink = None
    try:
        try:
            sink = CsvSink(final, headers, kinds) if fmt == "csv" else XlsxSink(
                final, headers, kinds, sheet_name=SHEETS[obj][lang])
        except OSError as exc:
            raise EnvironmentFailure(_("Cannot write in {parent}: {reason}.").format(parent=final.parent, reason=exc.strerror or exc)) from exc
        with read_snapshot():
            source = {"invoices": lambda: _invoice_rows(value_lang, types, batch),
                      "contacts": lambda: _contact_rows(value_lang, batch),
                      "companies": lambda: _company_rows(value_lang, batch),
                      "payments": lambda: _payment_rows(value_lang, batch)}[obj]()
            for rows in source:
                if rows:
                    sink.write(rows, None, len(flds))
                    if progress:
                        progress(sink.rows, sink.rows)
        path_out = sink.finish()
    except BaseException:
        if sink is not None:
            sink.abort()
        raise
    return ObjectExportResult(path=path_out, rows=sink.rows, format=fmt, seconds=time.perf_counter() - started)


__all__ = ["FIELDS", "OBJECTS", "Field", "fields", "choice_table", "run_object_export", "ObjectExportResult",
           "dec_text", "day_text", "BOOL_LABELS"]
