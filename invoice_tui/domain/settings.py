"""Workspace settings (in the database, shared by the team).

``WorkspaceSettings`` is a plain dataclass: every screen reads the settings, the index before its
first paint, and pydantic costs ~0.1 s to import (issue 16). What users type is checked by
``coerce_setting`` (a clear sentence per setting) before ``store_setting`` writes it; what is read
back is checked by ``load_settings`` — values of the field's own type and range are taken as they
are, anything else is validated by pydantic, loaded then, as strictly as when this was a pydantic
model.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from invoice_tui.db.models import Counter, Invoice, Setting
from invoice_tui.domain import dunning_texts
from invoice_tui.domain.dunning_texts import default as _dunning_text
from invoice_tui.domain.errors import BadInput, EnvironmentFailure, RuleRefused
from invoice_tui.domain.money import check_currency
from invoice_tui.domain.text import clean
from invoice_tui.i18n import N_, _

NUMBER_COUNTER = "invoice_number"
RANGES = {"payment_terms_days": (0, 3650)}  # whole-number settings' bounds, inclusive


@dataclass(kw_only=True)
class WorkspaceSettings:
    allow_edit_finalized: bool = False
    allow_delete_unpaid: bool = False
    number_pattern: str = "INV-{seq}"  # R3/R46: {seq}, {seq:05}, {year}; replaces number_prefix
    credit_note_pattern: str = "CN-{seq}"
    strict_mode: bool = False  # R46
    strict_locked: bool = False  # set by the first document issued under strict mode: it stays on
    payment_terms_days: int = 30
    default_currency: str = "EUR"
    locale: str = "en_US"
    timezone: str = "UTC"
    # the seller profile (R43); seller_name and seller_tax_id are aliases of the first and the VAT id
    seller_legal_name: str = ""
    seller_address: str = ""  # street lines
    seller_postcode: str = ""
    seller_city: str = ""
    seller_country: str = ""  # ISO 3166-1 alpha-2
    seller_siren: str = ""
    seller_siret: str = ""
    seller_vat_id: str = ""
    seller_legal_form: str = ""
    seller_share_capital: str = ""
    seller_registration: str = ""
    seller_electronic_address: str = ""  # BT-34
    seller_electronic_scheme: str = ""
    seller_iban: str = ""
    seller_bic: str = ""
    payment_means_code: str = ""  # BT-81
    late_penalty_rate: str = ""  # % a year
    early_payment_terms: str = ""
    vat_franchise: bool = False  # "TVA non applicable, art. 293 B du CGI"
    vat_on_debits: bool = False
    einvoice_required: bool = False  # R45: every invoice is validated as in the mandate's scope
    payment_instructions: str = ""
    public_base_url: str = ""
    default_from_address: str = ""
    allow_personal_from: bool = False
    reminder_offsets: str = "-3,0,7"
    # automation (R50, R51)
    send_on_finalize: bool = False  # R50: finalizing plans the invoice email for the same day
    dunning_levels: str = "7,15,30"  # R51: days overdue of each dunning level
    late_fee_rate: str = ""  # R51: late-payment interest, % a year (e.g. the ECB rate + 10 points)
    late_fee_fixed: str = ""  # R51: a fixed recovery indemnity per invoice, in its currency (e.g. 40)
    # R51: each dunning level's subject and body per language (domain.dunning_texts; "" = the built-in text)
    dunning_1_subject_en: str = _dunning_text(1, "subject", "en")
    dunning_1_body_en: str = _dunning_text(1, "body", "en")
    dunning_1_subject_fr: str = _dunning_text(1, "subject", "fr")
    dunning_1_body_fr: str = _dunning_text(1, "body", "fr")
    dunning_1_subject_de: str = _dunning_text(1, "subject", "de")
    dunning_1_body_de: str = _dunning_text(1, "body", "de")
    dunning_1_subject_es: str = _dunning_text(1, "subject", "es")
    dunning_1_body_es: str = _dunning_text(1, "body", "es")
    dunning_2_subject_en: str = _dunning_text(2, "subject", "en")
    dunning_2_body_en: str = _dunning_text(2, "body", "en")
    dunning_2_subject_fr: str = _dunning_text(2, "subject", "fr")
    dunning_2_body_fr: str = _dunning_text(2, "body", "fr")
    dunning_2_subject_de: str = _dunning_text(2, "subject", "de")
    dunning_2_body_de: str = _dunning_text(2, "body", "de")
    dunning_2_subject_es: str = _dunning_text(2, "subject", "es")
    dunning_2_body_es: str = _dunning_text(2, "body", "es")
    dunning_3_subject_en: str = _dunning_text(3, "subject", "en")
    dunning_3_body_en: str = _dunning_text(3, "body", "en")
    dunning_3_subject_fr: str = _dunning_text(3, "subject", "fr")
    dunning_3_body_fr: str = _dunning_text(3, "body", "fr")
    dunning_3_subject_de: str = _dunning_text(3, "subject", "de")
    dunning_3_body_de: str = _dunning_text(3, "body", "de")
    dunning_3_subject_es: str = _dunning_text(3, "subject", "es")
    dunning_3_body_es: str = _dunning_text(3, "body", "es")
    email_subject_template: str = "Invoice {number} from {seller_name}"
    email_body_template: str = (  # issue 24: the balance, what a part-paid invoice still asks for
        "Hello {contact_name},\n\nPlease find attached invoice {number} for {balance_due}, "
        "due on {due_date}.\nYou can also view it online: {link}\n\nThank you,\n{seller_name}"
    )
    paper_size: str = "A4"
    logo_path: str = ""


    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    # the names before the seller profile (R43) and the series patterns (R46), still read
    @property
    def seller_name(self) -> str:
        return self.seller_legal_name

    @property
    def seller_tax_id(self) -> str:
        return self.seller_vat_id

    @property
    def number_prefix(self) -> str:
        """The pattern's text before its first placeholder (what a number typed without it lacks)."""
        return self.number_pattern.split("{", 1)[0]

    @property
    def french_seller(self) -> bool:
        return self.seller_country == "FR"

    def seller_postal_lines(self) -> list[str]:
        """The seller's address as printed: street lines, postcode and city, country."""
        lines = [x.strip() for x in self.seller_address.splitlines() if x.strip()]
        town = " ".join(x for x in (self.seller_postcode.strip(), self.seller_city.strip()) if x)
        if town:
            lines.append(town)
        if self.seller_country:
            lines.append(self.seller_country)
        return lines


TYPES: dict[str, type] = typing.get_type_hints(WorkspaceSettings)  # each setting's type: bool, int or str
SETTING_KEYS = tuple(TYPES) + ("next_number",)
# Older names, still accepted by ``settings set`` and read from workspaces that stored them.
ALIASES = {"seller_name": "seller_legal_name", "seller_tax_id": "seller_vat_id", "number_prefix": "number_pattern"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_ADAPTER = None  # pydantic's validator of WorkspaceSettings, built when a stored value needs it


def _as_stored(key: str, value: Any) -> bool:
    """Is ``value`` what ``store_setting`` writes for ``key``: of the setting's type, in its range?"""
    if type(value) is not TYPES[key]:
        return False
    low, high = RANGES.get(key, (value, value))
    return low <= value <= high


def _validated(known: dict[str, Any]) -> WorkspaceSettings:
    """Stored values of another type (an older or hand-edited workspace) coerced by pydantic as
    before; EnvironmentFailure with a clear sentence when one cannot be read."""
    from pydantic import TypeAdapter, ValidationError

    global _ADAPTER
    if _ADAPTER is None:
        _ADAPTER = TypeAdapter(WorkspaceSettings)
    try:
        settings = _ADAPTER.validate_python(known)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err.get("loc", ()))
        raise EnvironmentFailure(_("The workspace setting {key} holds {value}, which cannot be read: {reason}.").format(
            key=key, value=json.dumps(known.get(key)), reason=err.get("msg", "invalid value")), field=key or None) from None
    for key, (low, high) in RANGES.items():
        value = getattr(settings, key)
        if not low <= value <= high:
            raise EnvironmentFailure(_("The workspace setting {key} holds {value}, outside {low}–{high}.").format(
                key=key, value=value, low=low, high=high), field=key)
    return settings


def load_settings() -> WorkspaceSettings:
    stored = {row.key: json.loads(row.value) for row in Setting.select()}
    known = {k: v for k, v in stored.items() if k in TYPES}
    for old, new in ALIASES.items():  # a workspace from before R43/R46 keeps what it stored
        if old in stored and new not in known and isinstance(stored[old], str):
            known[new] = stored[old] + "{seq}" if old == "number_prefix" else stored[old]
    if all(_as_stored(k, v) for k, v in known.items()):
        return WorkspaceSettings(**known)
    return _validated(known)


def next_number() -> int:
    row = Counter.get_or_none(Counter.name == NUMBER_COUNTER)
    return row.value if row else 1001


def coerce_setting(key: str, text: str) -> Any:
    """Turn the CLI's text into the setting's typed value, or raise BadInput. An alias (an older
    name) is checked as the setting it names: see ``canonical_key``."""
    typed = key
    if key == "number_prefix":
        if len(text) > 20 or not re.fullmatch(r"[A-Za-z0-9_./-]*", text):
            raise BadInput(_("number_prefix is at most 20 letters, digits and - _ / . (it becomes number_pattern "
                             "{text} + '{{seq}}').").format(text=repr(text)), field=key)
        key, text = "number_pattern", text + "{seq}"
    if key in ALIASES:
        try:  # the older name is named in a refusal of its text
            clean(text, what=key, multiline=False, max_length=300)
        except ValueError as exc:
            raise BadInput(f"{exc}.", field=key) from None
    key = ALIASES.get(key, key)
    if key == "strict_locked":
        raise BadInput(_("strict_locked is set by invoice-tui when a document is issued under strict mode (R46); "
                         "it cannot be set by hand."), field=key)
    if key not in SETTING_KEYS:
        raise BadInput(_("Unknown setting '{key}'; known settings: {known}.").format(
            key=key, known=", ".join(SETTING_KEYS)), field=key)
    if key == "next_number":
        if not re.fullmatch(r"\d{1,15}", text.strip()) or int(text) < 1:
            raise BadInput(_("next_number must be a whole number of at least 1."), field=key)
        return int(text)
    annotation = TYPES[key]
    if annotation is bool:
        t = text.strip().lower()
        if t in _TRUE:
            return True
        if t in _FALSE:
            return False
        raise BadInput(_("{key} takes true or false, not '{text}'.").format(key=key, text=text), field=key)
    if annotation is int:
        if not re.fullmatch(r"-?\d{1,9}", text.strip()):
            raise BadInput(_("{key} takes a whole number, not '{text}'.").format(key=key, text=text), field=key)
        value = int(text)
        low, high = RANGES.get(key, (value, value))
        if not low <= value <= high:
            raise BadInput(_("{key} must be between {low} and {high}.").format(key=key, low=low, high=high), field=key)
        return value
    multiline = key in {"seller_address", "payment_instructions", "email_body_template"} or (
        dunning_texts.is_template_key(key) and "_body_" in key)
    if "\r" in text or (not multiline and "\n" in text):
        raise BadInput(_("{key} may not contain line breaks or control characters.").format(key=key), field=key)
    try:  # R55: control and bidi characters refused, lengths bounded (R56); the text is kept as typed
        clean(text, what=key, multiline=multiline, max_length=5000 if multiline else 300)
    except ValueError as exc:
        raise BadInput(f"{exc}.", field=key) from None
    if key == "default_currency":
        return check_currency(text)
    if key == "locale":
        from babel import Locale, UnknownLocaleError

        try:
            return str(Locale.parse(text.strip().replace("-", "_")))
        except (UnknownLocaleError, ValueError):
            raise BadInput(_("'{text}' is not a known locale; use e.g. en_US, fr_FR, de_DE.").format(text=text),
                           field=key) from None
    if key == "timezone":
        try:
            ZoneInfo(text.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise BadInput(_("'{text}' is not a known time zone; use e.g. Europe/Paris or UTC.").format(text=text),
                           field=key) from None
        return text.strip()
    if key in LEGAL_CHECKS:
        return LEGAL_CHECKS[key](text, typed)
    if key in ("number_pattern", "credit_note_pattern"):
        return check_pattern(text, key)
    if key == "reminder_offsets" and text.strip():
        try:
            offsets = [int(p) for p in text.split(",")]
        except ValueError:
            raise BadInput(_("reminder_offsets takes whole days separated by commas, e.g. -3,0,7."), field=key) from None
        if any(abs(o) > 3650 for o in offsets):  # R56: a reminder is planned within ten years of the due date
            raise BadInput(_("reminder_offsets are between -3650 and 3650 days."), field=key)
    if key == "dunning_levels":
        return check_dunning_levels(text)
    if key in ("late_fee_rate", "late_fee_fixed"):
        return check_fee(key, text)
    if dunning_texts.is_template_key(key):
        problem = dunning_texts.template_problem(key, text)
        if problem:
            raise BadInput(problem, field=key)
    if key == "paper_size" and text not in ("A4", "Letter"):
        raise BadInput(_("paper_size is A4 or Letter."), field=key)
    return text


def check_dunning_levels(text: str) -> str:
    """R51: whole days overdue, increasing, separated by commas (empty: no dunning)."""
    if not text.strip():
        return ""
    try:
        days = [int(p) for p in text.split(",")]
    except ValueError:
        raise BadInput(_("dunning_levels takes whole days overdue separated by commas, e.g. 7,15,30."),
                       field="dunning_levels") from None
    if any(d < 1 or d > 3650 for d in days) or days != sorted(set(days)) or len(days) > 10:
        raise BadInput(_("dunning_levels are up to 10 increasing days between 1 and 3650, e.g. 7,15,30."),
                       field="dunning_levels")
    return ",".join(str(d) for d in days)


def check_fee(key: str, text: str) -> str:
    """R51: a yearly rate in percent (late_fee_rate) or an amount (late_fee_fixed); empty: none."""
    from decimal import Decimal, InvalidOperation

    t = text.strip()
    if not t:
        return ""
    high = Decimal(100) if key == "late_fee_rate" else Decimal(100000)
    try:
        value = Decimal(t)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or value > high or -value.as_tuple().exponent > 4:
        raise BadInput((_("late_fee_rate is a yearly percentage, e.g. 13.15 (at most 4 decimals), not '{text}'.")
                        if key == "late_fee_rate" else
                        _("late_fee_fixed is an amount in the invoice's currency, e.g. 40 (at most 4 decimals), "
                          "not '{text}'.")).format(text=text), field=key)
    return t


STRICT_REASON = N_("French law keeps an issued invoice as it was issued, in one continuous series of numbers "
                   "(CGI art. 289 and 242 nonies A)")  # marked: translated where a sentence gives it


def canonical_key(key: str) -> str:
    """The setting an alias names (seller_name → seller_legal_name, …)."""
    return ALIASES.get(key, key)


_PATTERN_TOKEN = re.compile(r"\{(year|seq(?::0?([1-9]|1[0-2]))?)\}")


def check_pattern(text: str, key: str) -> str:
    """R3/R46: a series pattern holds ``{seq}`` (or ``{seq:05}``) once, ``{year}`` at most once, and
    otherwise letters, digits and - _ / . (a number is printed, filed and typed in a search)."""
    value = text.strip()
    rest = _PATTERN_TOKEN.sub("", value)
    tokens = [m.group(1).split(":")[0] for m in _PATTERN_TOKEN.finditer(value)]
    if tokens.count("seq") != 1:
        raise BadInput(_("{key}: '{text}' needs {{seq}} exactly once (e.g. INV-{{seq}} or F-{{year}}-{{seq:05}}).")
                       .format(key=key, text=text), field=key)
    if tokens.count("year") > 1:
        raise BadInput(_("{key}: '{text}' holds {{year}} more than once.").format(key=key, text=text), field=key)
    if "{" in rest or "}" in rest:
        raise BadInput(_("{key}: '{text}' holds a placeholder other than {{seq}}, {{seq:05}} or {{year}}.")
                       .format(key=key, text=text), field=key)
    if not re.fullmatch(r"[A-Za-z0-9_./-]*", rest) or len(value) > 40:
        raise BadInput(_("{key}: '{text}' may hold letters, digits and - _ / . besides its placeholders, "
                         "40 characters at most.").format(key=key, text=text), field=key)
    return value


def render_number(pattern: str, seq: int, year: int) -> str:
    """The number ``seq`` of ``year`` written with a series pattern (``F-{year}-{seq:05}``)."""
    def one(m: re.Match) -> str:
        token = m.group(1)
        if token == "year":
            return f"{year:04d}"
        width = m.group(2)
        return f"{seq:0{int(width)}d}" if width else str(seq)

    return _PATTERN_TOKEN.sub(one, pattern)


def yearly(pattern: str) -> bool:
    return "{year}" in pattern


def _legal_checks() -> dict[str, Any]:
    from decimal import Decimal

    from invoice_tui.domain import legal

    def electronic(text: str, key: str) -> str:
        return legal.check_electronic_address(text, load_settings().seller_electronic_scheme, key)

    def capital(text: str, key: str) -> str:
        return legal.check_decimal(text, key, low=Decimal(0), high=Decimal("1e15"), places=2,
                                   what="the share capital is an amount in euros, e.g. 10000")

    def rate(text: str, key: str) -> str:
        return legal.check_decimal(text, key, low=Decimal(0), high=Decimal(100), places=4,
                                   what="the late-payment penalty rate is a yearly percentage, e.g. 12.15")

    return {"seller_siren": legal.check_siren, "seller_siret": legal.check_siret, "seller_vat_id": legal.check_vat_id,
            "seller_iban": legal.check_iban, "seller_bic": legal.check_bic, "seller_country": legal.check_country,
            "seller_electronic_scheme": legal.check_scheme, "seller_electronic_address": electronic,
            "payment_means_code": legal.check_payment_means, "seller_share_capital": capital,
            "late_penalty_rate": rate}


class _LazyChecks(dict):
    """The legal checkers, imported when a setting is first checked (cold start)."""

    def _load(self) -> None:
        if not dict.__len__(self):
            self.update(_legal_checks())

    def __contains__(self, key: object) -> bool:
        self._load()
        return dict.__contains__(self, key)

    def __getitem__(self, key: str):
        self._load()
        return dict.__getitem__(self, key)


LEGAL_CHECKS = _LazyChecks()


def store_setting(key: str, value: Any) -> Any:
    """Write one setting (inside the caller's transaction); returns the old value."""
    if key == "next_number":
        old = next_number()
        if Invoice.select().exists():
            raise RuleRefused(_(
                "The number counter can only be reset while the workspace has no invoice at all (R3); "
                "numbers already given must never be reused."))
        Counter.insert(name=NUMBER_COUNTER, value=value).on_conflict(
            conflict_target=[Counter.name], update={Counter.value: value}).execute()
        return old
    old = getattr(load_settings(), key)
    Setting.insert(key=key, value=json.dumps(value)).on_conflict(
        conflict_target=[Setting.key], update={Setting.value: json.dumps(value)}).execute()
    return old


# ---- the Settings screen's groups (issue 22) and labels (issue 25) ----------------------------------
SETTING_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Seller profile"), ("seller_legal_name", "seller_address", "seller_postcode", "seller_city", "seller_country",
                            "seller_siren", "seller_siret", "seller_vat_id", "seller_legal_form",
                            "seller_share_capital", "seller_registration", "seller_electronic_scheme",
                            "seller_electronic_address", "seller_iban", "seller_bic", "payment_means_code",
                            "late_penalty_rate", "early_payment_terms", "vat_franchise", "vat_on_debits")),
    (N_("Numbering"), ("number_pattern", "credit_note_pattern", "strict_mode", "allow_edit_finalized",
                       "allow_delete_unpaid")),
    (N_("Sending"), ("default_from_address", "allow_personal_from", "email_subject_template", "public_base_url",
                     "payment_instructions", "paper_size", "default_currency", "locale", "timezone",
                     "payment_terms_days")),
    (N_("Reminders"), ("reminder_offsets", "dunning_levels", "late_fee_rate", "late_fee_fixed", "send_on_finalize")
     + dunning_texts.KEYS),
)

# Each setting's label as people read it (the Settings screen); the key stays what ``settings set``
# takes. Kept short: the screen gives a label 25 columns, in French too.
SETTING_LABELS: dict[str, str] = {
    "allow_edit_finalized": N_("Edit finalized invoices"),
    "allow_delete_unpaid": N_("Delete unpaid invoices"),
    "number_pattern": N_("Invoice number pattern"),
    "credit_note_pattern": N_("Credit note pattern"),
    "strict_mode": N_("Strict mode"),
    "strict_locked": N_("Strict mode locked"),
    "payment_terms_days": N_("Payment terms (days)"),
    "default_currency": N_("Default currency"),
    "locale": N_("Locale"),
    "timezone": N_("Time zone"),
    "seller_legal_name": N_("Legal name"),
    "seller_address": N_("Address"),
    "seller_postcode": N_("Postcode"),
    "seller_city": N_("City"),
    "seller_country": N_("Country"),
    "seller_siren": N_("SIREN"),
    "seller_siret": N_("SIRET"),
    "seller_vat_id": N_("VAT number"),
    "seller_legal_form": N_("Legal form"),
    "seller_share_capital": N_("Share capital"),
    "seller_registration": N_("Registration (RCS/RM)"),
    "seller_electronic_address": N_("Electronic address"),
    "seller_electronic_scheme": N_("Electronic address scheme"),
    "seller_iban": N_("IBAN"),
    "seller_bic": N_("BIC"),
    "payment_means_code": N_("Payment means code"),
    "late_penalty_rate": N_("Late penalty rate (%)"),
    "early_payment_terms": N_("Early payment terms"),
    "vat_franchise": N_("VAT franchise (293 B)"),
    "vat_on_debits": N_("VAT on debits"),
    "einvoice_required": N_("E-invoicing required"),
    "payment_instructions": N_("Payment instructions"),
    "public_base_url": N_("Public base URL"),
    "default_from_address": N_("Default From address"),
    "allow_personal_from": N_("Send from own address"),
    "reminder_offsets": N_("Reminder days"),
    "send_on_finalize": N_("Send on finalize"),
    "dunning_levels": N_("Dunning levels (days)"),
    "late_fee_rate": N_("Late fee rate (%/year)"),
    "late_fee_fixed": N_("Recovery indemnity"),
    "email_subject_template": N_("Email subject"),
    "email_body_template": N_("Email body"),
    "paper_size": N_("Paper size"),
    "logo_path": N_("Logo file"),
    "next_number": N_("Next number"),
}
_DUNNING_LABELS = {"subject": N_("Dunning {n}: subject ({language})"),
                   "body": N_("Dunning {n}: body ({language})")}


def setting_label(key: str) -> str:
    """A setting's label in the reader's language (its key when it has none)."""
    m = re.fullmatch(r"dunning_([1-3])_(subject|body)_([a-z]{2})", key)
    if m:
        return _(_DUNNING_LABELS[m.group(2)]).format(n=m.group(1), language=m.group(3))
    label = SETTING_LABELS.get(canonical_key(key))
    return _(label) if label else key


def group_title(title: str) -> str:
    """A group's title (``SETTING_GROUPS``) in the reader's language."""
    return _(title)


def check_setting_text(key: str, text: str, *, scheme: str | None = None) -> str | None:
    """The reason ``text`` would be refused for ``key`` as typed (None: it would be taken), without
    reading the database: the Settings screen checks each field on every keystroke. ``scheme``: the
    electronic address scheme the form holds (a 0225 address is checked as a SIREN)."""
    try:
        if key == "seller_electronic_address":
            from invoice_tui.domain import legal

            legal.check_electronic_address(text, (scheme or "").strip().upper(), key)
            return None
        coerce_setting(key, text)
    except BadInput as exc:
        return exc.message
    return None
