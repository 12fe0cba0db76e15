"""Cells read in the file's locale (R52): ``--locale fr_FR`` reads "1 234,56" and "31/12/2026".

Without a locale, amounts are dot decimals and dates ISO 8601 (what the export writes). A date
that is not ISO and no locale says how to read it (``01/02/2026``) is reported as ambiguous, never
guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from invoice_tui.exports.objects import choice_table
from invoice_tui.i18n import N_, _, language

_SPACES = re.compile(r"[\s\u00a0\u202f'’]")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+)?$")


class CellError(ValueError):
    """A cell that cannot be read: the sentence says why, in the reader's language (``str``) and in
    English (``english``: the ``--json`` report's, issue 25). ``template`` is marked where it is
    written (``N_()``)."""

    def __init__(self, template: str, english: dict | None = None, **params) -> None:
        super().__init__(_(template).format(**params))
        self.english = template.format(**{**params, **(english or {})})  # ``english``: params said in English


def check_locale(locale: str) -> str:
    if not locale:
        return ""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        raise CellError(N_("'{locale}' is not a locale; use e.g. fr_FR, de_DE, en_US"), locale=locale) from None
    return locale.replace("-", "_")


def _symbols(locale: str) -> tuple[str, str]:
    from babel.numbers import get_decimal_symbol, get_group_symbol

    return get_decimal_symbol(locale), get_group_symbol(locale)


def decimal(text: str, locale: str = "") -> Decimal:
    t = text.strip()
    if locale:
        dec, group = _symbols(locale)
        t = _SPACES.sub("", t)
        if group not in (" ", "\u00a0", "\u202f"):
            t = t.replace(group, "")
        t = t.replace(dec, ".")
    try:
        d = Decimal(t)
    except InvalidOperation:
        if locale:
            raise CellError(N_("'{text}' is not a number in {locale}"), text=text, locale=locale) from None
        raise CellError(N_("'{text}' is not a number (use a dot for decimals, or give the file's --locale)"),
                        text=text) from None
    if not d.is_finite():
        raise CellError(N_("'{text}' is not a number"), text=text)
    return d


def _order(locale: str) -> str:
    from babel.dates import get_date_format

    pattern = get_date_format("short", locale).pattern
    order = ""
    for ch in pattern:
        if ch in "dMy" and ch not in order:
            order += ch
    return order


def date(text: str, locale: str = "") -> dt.date:
    t = text.strip()
    if _ISO.match(t):
        try:
            return dt.date.fromisoformat(t[:10])
        except ValueError:
            raise CellError(N_("'{text}' is not a date"), text=text) from None
    parts = re.split(r"[^\d]+", t)
    if not locale:
        raise CellError(N_("the date '{text}' is ambiguous without the file's locale; give --locale "
                           "(e.g. fr_FR for 31/12/2026) or write it as 2026-12-31"), text=text)
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise CellError(N_("'{text}' is not a date in {locale}"), text=text, locale=locale)
    values = dict(zip(_order(locale), (int(p) for p in parts)))
    year = values.get("y", 0)
    if year < 100:
        year += 2000
    try:
        return dt.date(year, values.get("M", 0), values.get("d", 0))
    except ValueError:
        raise CellError(N_("'{text}' is not a date in {locale}"), text=text, locale=locale) from None


def choice(text: str, table: str, what: tuple[str, str] = ("", "")) -> str:
    """An internal value, or its label in any of the four languages (case and accents as written).
    ``what``: the column's name in English and in the reader's language (the refusal names it)."""
    t = text.strip()
    values = choice_table(table)
    if t in values:
        return t
    folded = t.casefold()
    for value, labels in values.items():
        if value.casefold() == folded or any(lab.casefold() == folded for lab in labels.values()):
            return value
    if table == "bool" and folded in ("1", "0", "y", "n", "x", "true", "false"):
        return "true" if folded in ("1", "y", "x", "true") else "false"
    lang = language() if language() in ("en", "fr", "de", "es") else "en"

    def choices(in_lang: str) -> str:
        return ", ".join(labels.get(in_lang) or labels.get("en", value) for value, labels in values.items())

    if table == "bool":
        raise CellError(N_("'{text}' is neither yes nor no; use one of {choices}"), text=text,
                        english={"choices": choices("en")}, choices=choices(lang))
    raise CellError(N_("'{text}' is not a value of {column}; use one of {choices}"), text=text,
                    english={"column": what[0], "choices": choices("en")}, column=what[1], choices=choices(lang))


def text(value: str) -> str:
    """A text cell as written; an apostrophe the export added before a formula character goes."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value
