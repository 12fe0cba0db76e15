"""Form helpers shared by the invoice screen, the editor and the payment modals.

- numbers typed the way the invoice's locale writes them ("1 234,50" in fr_FR, "1,234.50" in
  en_US) are parsed with babel, and a plain dot-decimal ("1234.50") is always understood too;
- Textual ``Validator``s give instant feedback beside a field; the services still validate the
  whole form on submit (pydantic), so the rules live in one place.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.numbers import NumberFormatError, get_group_symbol, parse_decimal as babel_parse_decimal
from textual.validation import ValidationResult, Validator

from invoice_tui.domain.bounds import check_date
from invoice_tui.domain.errors import BadInput
from invoice_tui.domain.money import exponent, format_money, parse_decimal as dot_decimal
from invoice_tui.i18n import _
from invoice_tui.widgets.error_text import error_text

_SPACES = (" ", "\u00a0", "\u202f", "\u2009")


def parse_local_decimal(text: str, locale: str = "en_US", *, what: str = "number") -> Decimal:
    """``text`` as an exact Decimal, written the way ``locale`` writes numbers (or with a dot).

    Raises :class:`BadInput` with a sentence naming both accepted forms.
    """
    raw = (text or "").strip()
    if not raw:
        raise BadInput(f"The {what} is empty.")
    try:
        group = get_group_symbol(locale)
    except Exception:  # noqa: BLE001 - an unknown locale falls back to en_US
        locale, group = "en_US", ","
    candidate = raw
    if group in _SPACES:
        for sp in _SPACES:
            candidate = candidate.replace(sp, group)
    else:
        for sp in _SPACES:
            candidate = candidate.replace(sp, "")
    try:
        value = babel_parse_decimal(candidate, locale=locale, strict=True)
    except (NumberFormatError, ValueError):
        try:
            value = dot_decimal(raw.replace(" ", ""), what=what)
        except BadInput:
            example = format_number_example(locale)
            raise BadInput(f"'{raw}' is not a {what}; write it like {example} (or 1234.50).") from None
    if not value.is_finite():
        raise BadInput(f"'{raw}' is not a {what}.")
    return value


def format_number_example(locale: str) -> str:
    from babel.numbers import format_decimal

    try:
        return format_decimal(Decimal("1234.50"), format="#,##0.00", locale=locale)
    except Exception:  # noqa: BLE001
        return "1,234.50"


def format_amount_input(amount: Decimal, currency: str, locale: str) -> str:
    """An amount prefilled in an input, in the locale's way, without currency sign or grouping."""
    from babel.numbers import format_decimal

    exp = exponent(currency)
    pattern = "0" if exp == 0 else "0." + "0" * exp
    try:
        return format_decimal(amount, format=pattern, locale=locale)
    except Exception:  # noqa: BLE001
        return format(amount, "f")


def money(amount: Decimal, currency: str, locale: str = "en_US") -> str:
    try:
        return format_money(amount, currency, locale)
    except Exception:  # noqa: BLE001 - a locale babel does not know
        return f"{amount} {currency}"


def parse_date(text: str, *, what: str = "date") -> dt.date:
    raw = (text or "").strip()
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"'{raw}' is not a {what}; write it as YYYY-MM-DD, e.g. 2026-03-16.") from None
    return check_date(day, f"the {what}")  # R56


class LocalAmount(Validator):
    """An amount > 0 with at most the currency's decimals, in the locale's way."""

    def __init__(self, currency: str, locale: str, *, allow_zero: bool = False, optional: bool = False) -> None:
        super().__init__()
        self.currency, self.locale, self.allow_zero, self.optional = currency, locale, allow_zero, optional

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.success() if self.optional else self.failure("Type an amount.")
        try:
            amount = parse_local_decimal(value, self.locale, what="amount")
        except BadInput as exc:
            return self.failure(error_text(exc))
        if amount < 0 or (amount == 0 and not self.allow_zero):
            return self.failure(_("The amount must be greater than zero."))
        exp = exponent(self.currency)
        if amount != amount.quantize(Decimal(1).scaleb(-exp)):
            places = "no decimals" if exp == 0 else f"at most {exp} decimals"
            return self.failure(f"{self.currency} amounts have {places}.")
        return self.success()


class LocalNumber(Validator):
    """A decimal number (quantity, percentage) in the locale's way, within [low, high]."""

    def __init__(self, locale: str, *, what: str = "number", low: Decimal | None = None,
                 high: Decimal | None = None, optional: bool = False, positive: bool = False) -> None:
        super().__init__()
        self.locale, self.what, self.low, self.high = locale, what, low, high
        self.optional, self.positive = optional, positive

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.success() if self.optional else self.failure(f"Type a {self.what}.")
        try:
            number = parse_local_decimal(value, self.locale, what=self.what)
        except BadInput as exc:
            return self.failure(error_text(exc))
        if self.positive and number <= 0:
            return self.failure(f"The {self.what} must be greater than zero.")
        if self.low is not None and number < self.low:
            return self.failure(f"The {self.what} is at least {self.low}.")
        if self.high is not None and number > self.high:
            return self.failure(f"The {self.what} is at most {self.high}.")
        return self.success()


class IsoDate(Validator):
    def __init__(self, *, optional: bool = False) -> None:
        super().__init__()
        self.optional = optional

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.success() if self.optional else self.failure("Type a date as YYYY-MM-DD.")
        try:
            parse_date(value)
        except BadInput as exc:
            return self.failure(error_text(exc))
        return self.success()


class Currency(Validator):
    def validate(self, value: str) -> ValidationResult:
        from invoice_tui.domain.money import check_currency

        try:
            check_currency(value)
        except BadInput as exc:
            return self.failure(error_text(exc))
        return self.success()


class NotBlank(Validator):
    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def validate(self, value: str) -> ValidationResult:
        return self.success() if value.strip() else self.failure(f"{self.what} is required.")


from textual.widgets import Static  # noqa: E402 - the widget half of this module


class FieldError(Static):
    """A message beside a field (or a form): hidden while empty, so forms stay compact."""

    def __init__(self, *, id: str | None = None, classes: str = "field-error") -> None:  # noqa: A002
        super().__init__("", id=id, classes=classes, markup=False)
        self.display = False

    def update(self, content="", *, layout: bool = True) -> None:  # type: ignore[override]
        super().update(content, layout=layout)
        self.display = bool(str(content))
