"""The invoice editor's form as plain data: the state it starts from and the result of saving.

``load_editor_state`` reads a draft or a finalized invoice (or a new draft's defaults) into an
``EditorState``; ``save_invoice`` creates or edits it in one transaction, then optionally
finalizes it (R2). Both run in a worker thread; nothing lazy from peewee crosses into the UI.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from invoice_tui.domain import invoices as invoice_service
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.reads import company_label, contact_label
from invoice_tui.domain.text import safe
from invoice_tui.i18n import N_, _
from invoice_tui.domain.settings import load_settings
from invoice_tui.domain.totals import AdjustmentSpec, LineCharge, LineSpec, default_category


@dataclass
class EditorState:
    invoice_id: int | None
    status: str
    number: str | None
    version: int | None
    currency: str
    locale: str
    title: str
    invoice_date: dt.date
    due_date: dt.date | None
    contact_id: int | None
    contact_label: str
    company_id: int | None
    company_label: str
    po_number: str
    comments: str
    allow_partial: bool
    payment_terms: int
    preview_number: str
    lines: list[dict] = field(default_factory=list)
    adjustments: list[dict] = field(default_factory=list)
    # the fields a rule forbids changing now, with the rule's sentence (shown beside the field)
    locked: dict[str, str] = field(default_factory=dict)
    # legal data (R43), as the form's fields show them
    legal: dict[str, str] = field(default_factory=dict)
    franchise: bool = False  # the seller's VAT franchise: a 0 % line without a category is exempt (R43)


# The invoice's legal fields (R43) the editor shows, in order: (field, label).
# The labels are English (N_), shown in the reader's language with _().
LEGAL_FIELDS = (("delivery_date", N_("Delivery date (BT-72, YYYY-MM-DD)")),
                ("delivery_address", N_("Delivery address or period")),
                ("operation_category", N_("Operation category: goods, services or both")),
                ("buyer_reference", N_("Buyer reference (BT-10)")),
                ("exemption_reasons", N_("Exemption reasons (E/AE/K/G/O), e.g. AE=Autoliquidation; E=Art. 261")),
                ("eur_rate", N_("EUR rate: 1 unit of the currency in EUR (BT-6/BT-111)")))


# The languages a document (PDF, email, buyer page) is written in (issue 24): the four the
# document labels and the dunning texts know, each with the countries the app is used in. The
# locale also formats the document's amounts and dates; the service checks it (``coerce_setting``).
DOCUMENT_LOCALES = ("en_US", "en_GB", "fr_FR", "fr_BE", "fr_CH", "de_DE", "de_AT", "de_CH", "es_ES", "es_MX")


def locale_choices(current: str | None) -> list[tuple[str, str]]:
    """(label, locale) for the editor's language choice: each named in its own language
    ("fr_FR · français (France)"); an invoice's own locale outside the list is kept first."""
    from babel.core import Locale

    codes = list(DOCUMENT_LOCALES)
    if current and current not in codes:
        codes.insert(0, current)
    out = []
    for code in codes:
        try:
            name = Locale.parse(code).get_display_name(code) or code
        except (ValueError, TypeError):
            name = code
        out.append((f"{code} · {name}", code))
    return out


def parse_exemptions(text: str) -> dict[str, str]:
    """``AE=Autoliquidation; E=Exonération, art. 261`` → {category: reason} (the categories and
    reasons then checked by the service's input)."""
    from invoice_tui.domain.errors import BadInput

    out: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        cat, sep, reason = part.partition("=")
        if not sep:
            raise BadInput(_("exemption reasons are written CATEGORY=reason, separated by ';' (not '{part}').").format(
                part=part.strip()), field="exemption_reasons")
        out[cat.strip().upper()] = reason.strip()
    return out


def exemptions_text(reasons: dict[str, str]) -> str:
    return "; ".join(f"{cat}={reason}" for cat, reason in reasons.items())


def legal_values(values: dict[str, str]) -> dict:
    """The form's legal fields (text) as the service's input takes them."""
    from invoice_tui.domain.bounds import check_date  # noqa: F401 - the date is parsed below
    from invoice_tui.domain.errors import BadInput

    out: dict = {k: values.get(k, "") for k, _label in LEGAL_FIELDS}
    text = out["delivery_date"].strip()
    try:
        out["delivery_date"] = dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise BadInput(_("The delivery date '{text}' is not a date (YYYY-MM-DD).").format(text=text),
                       field="delivery_date") from None
    out["exemption_reasons"] = parse_exemptions(out["exemption_reasons"])
    return out


def check_legal_field(name: str, text: str) -> str | None:
    """The reason the editor's legal field ``name`` would be refused as typed (None: taken), by the
    service's own input checks (R43)."""
    from invoice_tui.domain.errors import BadInput
    from invoice_tui.domain.tx import validate

    try:
        values = legal_values({name: text})
        validate(invoice_service.InvoiceInput, {"currency": "EUR", name: values[name]})
    except BadInput as exc:
        return exc.message
    return None


def load_editor_state(ctx: Context, invoice_id: int | None) -> EditorState:
    """What the editor shows: a new draft's defaults, or the invoice (refused early with the rule's
    sentence when it cannot be edited now)."""
    settings = load_settings()
    preview = invoice_service.preview_number()
    if invoice_id is None:
        return EditorState(None, "draft", None, None, settings.default_currency, settings.locale, "", ctx.today(),
                           None, None, "", None, "", "", "", False, settings.payment_terms_days, preview,
                           franchise=settings.vat_franchise)
    inv = invoice_service.get_invoice(invoice_id)
    invoice_service.check_edit(ctx, inv, settings)  # refuse early with the rule's sentence
    # the form shows stored text through the one sanitizer (R55): a control character written behind
    # the app's back is shown as \x1b, and saving the form stores that visible form
    lines = [{**invoice_service.line_input(s), "name": safe(s.name, line=True), "description": safe(s.description),
              "charges": [{"kind": c.kind, "value": c.value, "is_percent": c.is_percent,
                           "reason": safe(c.reason, line=True)} for c in s.charges]}
             for s in invoice_service.line_specs(inv)]
    adjustments = [{"kind": a.kind, **invoice_service.adjustment_input(a), "label": safe(a.label, line=True)}
                   for a in invoice_service.adjustment_specs(inv)]
    locked = {f.id: f.reason for f in invoice_service.field_states(ctx, inv, settings).values()
              if not f.enabled and f.id in ("contacts", "companies", "currency")}
    legal = {"delivery_date": inv.delivery_date.isoformat() if inv.delivery_date else "",
             "delivery_address": safe(inv.delivery_address or ""), "operation_category": inv.operation_category or "",
             "buyer_reference": safe(inv.buyer_reference or "", line=True),
             "exemption_reasons": safe(exemptions_text(invoice_service.exemption_reasons(inv)), line=True),
             "eur_rate": inv.eur_rate or ""}
    return EditorState(inv.id, inv.status, inv.number, inv.version, inv.currency, inv.locale or settings.locale,
                       safe(inv.title, line=True), inv.invoice_date, inv.due_date, inv.billing_contact_id,
                       contact_label(inv.billing_contact_id), inv.company_id, company_label(inv.company_id),
                       safe(inv.po_number, line=True), safe(inv.comments), inv.allow_partial, settings.payment_terms_days, preview,
                       lines, adjustments, locked, legal, settings.vat_franchise)


# ---- the editor's rows (dicts of ``LineInput``/``AdjustmentInput`` fields, Decimals) ------------
def row_spec(row: dict, franchise: bool = False) -> LineSpec:
    """An editor line as the totals engine reads it (the live totals, R18); without a category,
    the one it will be written with (``franchise``: :func:`default_category`)."""
    rate = row.get("tax_rate") or Decimal(0)
    return LineSpec(name=row["name"], quantity=row["quantity"], unit_price=row["unit_price"], tax_rate=rate,
                    discount_percent=bool(row.get("discount_percent")), discount=row.get("discount"),
                    base_quantity=row.get("base_quantity") or Decimal(1), unit_code=row.get("unit_code") or "C62",
                    tax_category=row.get("tax_category") or default_category(rate, franchise),
                    charges=tuple(LineCharge(c["kind"], c["value"], bool(c.get("is_percent")), c.get("reason", ""))
                                  for c in row.get("charges") or ()))


def adjustment_row_spec(a: dict, franchise: bool = False) -> AdjustmentSpec:
    rate = a.get("tax_rate") or Decimal(0)
    return AdjustmentSpec(kind=a["kind"], value=a["value"], is_percent=a["is_percent"], tax_rate=rate,
                          label=a.get("label", ""), tax_category=(a.get("tax_category") or default_category(
                              rate, franchise)) if a["kind"] != "tax" else "")


def _text(d: Decimal | None) -> str | None:
    return None if d is None else format(d, "f")


def row_input(row: dict) -> dict:
    """An editor line as the service's ``LineInput`` (numbers as exact text)."""
    return {"name": row["name"], "description": row.get("description", ""), "quantity": _text(row["quantity"]),
            "unit_price": _text(row["unit_price"]), "tax_rate": _text(row.get("tax_rate") or Decimal(0)),
            "tax_category": row.get("tax_category") or "", "discount": _text(row.get("discount")),
            "discount_percent": bool(row.get("discount_percent")),
            "base_quantity": _text(row.get("base_quantity") or Decimal(1)), "unit_code": row.get("unit_code") or "C62",
            "charges": [{"kind": c["kind"], "value": _text(c["value"]), "is_percent": bool(c.get("is_percent")),
                         "reason": c.get("reason", "")} for c in row.get("charges") or ()]}


def adjustment_row_input(a: dict) -> dict:
    out = {"value": _text(a["value"]), "is_percent": a["is_percent"], "label": a.get("label", ""),
           "tax_rate": _text(a.get("tax_rate") or Decimal(0))}
    if a["kind"] != "tax":
        out["tax_category"] = a.get("tax_category") or ""
    return out


@dataclass
class SaveResult:
    invoice_id: int
    offer_notify: bool = False
    canceled_payments: list[int] = field(default_factory=list)
    finalized_number: str | None = None
    finalize_error: InvoiceTuiError | None = None  # saved, but refused at finalizing


def save_invoice(ctx: Context, invoice_id: int | None, data: dict, expected_version: int | None,
                 finalize: bool = False) -> SaveResult:
    """Create or edit (one transaction), then optionally finalize (R2) — runs in a worker."""
    if invoice_id is None:
        inv = invoice_service.create_invoice(ctx, data)
        result = SaveResult(inv.id)
        version = inv.version
    else:
        edit = invoice_service.edit_invoice(ctx, invoice_id, data, expected_version=expected_version)
        result = SaveResult(edit.invoice.id, edit.offer_notify, edit.canceled_payments)
        version = edit.invoice.version
    if finalize:
        try:
            inv = invoice_service.finalize_invoice(ctx, result.invoice_id, expected_version=version)
            result.finalized_number = inv.number
        except InvoiceTuiError as exc:
            result.finalize_error = exc
    return result
