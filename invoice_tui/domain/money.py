"""Money (R18): integer minor units in the database, ``Decimal`` in the domain.

The number of decimals of a currency is its ISO 4217 exponent; rounding is half up (away from
zero). Nothing here ever uses binary floating point.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, list_currencies

from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import N_, _, ngettext

# ISO 4217 exponents where CLDR's (babel's) display precision differs from the standard.
_ISO_EXPONENT_OVERRIDES = {
    "IDR": 2, "HUF": 2, "TWD": 2, "PKR": 2, "IRR": 2, "RSD": 2, "LBP": 2, "IQD": 3,
    "ALL": 2, "AMD": 2, "COP": 2, "CRC": 2, "KPW": 2, "LAK": 2, "MGA": 2, "MMK": 2,
    "SLL": 2, "SOS": 2, "SYP": 2, "YER": 2, "UZS": 2, "AFN": 2, "MRU": 2,
}
_NOT_ISO = {"XXX", "XTS"}


@lru_cache(maxsize=None)
def known_currencies() -> frozenset[str]:
    return frozenset(c for c in list_currencies() if re.fullmatch(r"[A-Z]{3}", c)) - _NOT_ISO


def check_currency(code: str) -> str:
    """Return the upper-case ISO 4217 code or raise :class:`BadInput`."""
    c = (code or "").strip().upper()
    if c not in known_currencies():
        raise BadInput(
            _("'{code}' is not an ISO 4217 currency code; use a code such as EUR, USD, GBP or JPY.").format(code=code),
            field="currency",
        )
    return c


@lru_cache(maxsize=None)
def exponent(currency: str) -> int:
    """Number of decimals of ``currency`` (ISO 4217): 2 for EUR, 0 for JPY, 3 for KWD."""
    if currency in _ISO_EXPONENT_OVERRIDES:
        return _ISO_EXPONENT_OVERRIDES[currency]
    return int(get_currency_precision(currency))


@lru_cache(maxsize=None)
def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def round_money(value: Decimal, currency: str) -> Decimal:
    """Round half up (away from zero) to the currency's decimals (a zero is never "-0.00")."""
    q = value.quantize(quantum(currency), rounding=ROUND_HALF_UP)
    return q if q else q.copy_abs()


def to_minor(amount: Decimal, currency: str) -> int:
    """Exact conversion of an amount already at the currency's precision to minor units."""
    q = round_money(amount, currency)
    return int(q.scaleb(exponent(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(int(minor)).scaleb(-exponent(currency)).quantize(quantum(currency))


MICRO = 6  # BT-146: unit prices have up to 6 decimals whatever the currency (R35)


def to_micro(price: Decimal) -> int:
    """A unit price as stored: an exact integer of millionths (``ValueError`` beyond 6 decimals)."""
    scaled = Decimal(price).scaleb(MICRO)
    if scaled != scaled.to_integral_value():
        raise ValueError(_("a unit price has at most {micro} decimals, not {price}").format(micro=MICRO, price=price))
    return int(scaled)


def from_micro(micro: int, currency: str) -> Decimal:
    """A stored unit price back as a Decimal with at least the currency's decimals ("12.50",
    "0.1212" in EUR; "1200" in JPY)."""
    value = Decimal(int(micro)).scaleb(-MICRO).normalize()
    return value if value.as_tuple().exponent <= -exponent(currency) else value.quantize(quantum(currency))


_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_decimal(text: str | int | Decimal, *, what: str = N_("number"), field: str | None = None) -> Decimal:
    """Parse a dot-decimal number (``"1234.50"``) exactly; refuse NaN, infinities and words.
    ``what`` names the value in the sentences (English, marked with ``N_()``: it is translated here)."""
    what = _(what)
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, int) and not isinstance(text, bool):
        value = Decimal(text)
    elif isinstance(text, str):
        s = text.strip().replace("_", "")
        if not _NUMBER_RE.match(s):
            raise BadInput(_("'{text}' is "
                             "not a valid {what}; write it with a dot for decimals, e.g. 1234.50.").format(text=text,
                                 what=what), field=field)
        try:
            value = Decimal(s)
        except InvalidOperation:  # pragma: no cover - the regex already guarantees the form
            raise BadInput(_("'{text}' is not a valid {what}.").format(text=text, what=what), field=field) from None
    else:
        raise BadInput(_("{text!r} is not a valid {what}.").format(text=text, what=what), field=field)
    if not value.is_finite():
        raise BadInput(_("'{text}' is not a valid {what}.").format(text=text, what=what), field=field)
    if abs(value) >= Decimal("1e15"):
        raise BadInput(_("{What} '{text}' is too large.").format(What=what[:1].upper() + what[1:], what=what,
                                                                  text=text), field=field)
    return value


def parse_amount(text: str | int | Decimal, currency: str, *, field: str = "amount", positive: bool = False) -> Decimal:
    """Parse a money amount with at most the currency's decimals (R8)."""
    value = parse_decimal(text, what=N_("amount"), field=field)
    exp = exponent(currency)
    if value != value.quantize(quantum(currency), rounding=ROUND_HALF_UP):
        sentence = (_("{currency} amounts have no decimals; '{text}' has more.") if exp == 0 else
                    ngettext("{currency} amounts have at most {places} decimal; '{text}' has more.",
                             "{currency} amounts have at most {places} decimals; '{text}' has more.", exp))
        raise BadInput(sentence.format(currency=currency, places=exp, text=text), field=field)
    if positive and value <= 0:
        raise BadInput(_("The amount must be greater than zero."), field=field)
    return value.quantize(quantum(currency))


def format_money(amount: Decimal, currency: str, locale: str = "en_US") -> str:
    """Human display (babel), e.g. ``€1,234.50`` or ``1 234,50 €``."""
    return format_currency(round_money(amount, currency), currency, locale=locale)


def format_price(price: Decimal, currency: str, locale: str = "en_US") -> str:
    """A unit price for humans: as ``format_money`` when it has the currency's decimals, else with
    all of its own (R35: ``€0.1212``), never rounded."""
    if price == round_money(price, currency):
        return format_money(price, currency, locale)
    return format_currency(price, currency, locale=locale, decimal_quantization=False)


def format_minor(minor: int, currency: str, locale: str = "en_US") -> str:
    """``format_money(from_minor(minor, currency), currency, locale)``, about 30× faster: the
    index formats two amounts per row it draws (issue 7). The locale's pattern is applied with
    integer arithmetic; the result is checked against babel on probe values once per
    (currency, locale), and babel itself is used where they would differ."""
    fmt = _minor_formatter(currency, locale)
    if fmt is None:
        return format_money(from_minor(minor, currency), currency, locale)
    return fmt(int(minor))


_PROBES = (0, 1, -1, 7, -9, 99, 100, 101, 999, 1000, 12345, -12345, 100000, 1000007, -1000000001, 123456789012,
           -99999999999999, 10 ** 15 - 1)


@lru_cache(maxsize=512)
def _minor_formatter(currency: str, locale: str):
    from babel.core import Locale
    from babel.numbers import get_decimal_symbol, get_group_symbol

    try:
        exp = exponent(currency)
        loc = Locale.parse(locale)
        pattern = loc.currency_formats["standard"]
        if int(get_currency_precision(currency)) != exp or pattern.exp_prec or "@" in pattern.pattern \
                or pattern.scale or pattern.int_prec[0] != 1:
            return None
        group, dec = get_group_symbol(loc), get_decimal_symbol(loc)
        first, later = pattern.grouping
        unit = 10 ** exp

        def affixes(sign: int) -> tuple[str, str]:
            text = format_money(from_minor(sign * unit, currency), currency, locale)
            number = "1" + (dec + "0" * exp if exp else "")
            i = text.index(number)
            return text[:i], text[i + len(number):]

        (pos_pre, pos_suf), (neg_pre, neg_suf) = affixes(1), affixes(-1)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None

    def fmt(minor: int) -> str:
        neg = minor < 0
        whole, frac = divmod(-minor if neg else minor, unit)
        if first == later == 3:  # the common grouping: Python's own, then the locale's symbol
            s = format(whole, ",")
            if group != ",":
                s = s.replace(",", group)
        else:
            s = str(whole)
            if len(s) > first:
                tail = [s[-first:]]
                s = s[:-first]
                while len(s) > later:
                    tail.append(s[-later:])
                    s = s[:-later]
                s = group.join([s, *reversed(tail)])
        if exp:
            s = f"{s}{dec}{frac:0{exp}d}"
        return f"{neg_pre}{s}{neg_suf}" if neg else f"{pos_pre}{s}{pos_suf}"

    for probe in _PROBES:
        if fmt(probe) != format_money(from_minor(probe, currency), currency, locale):
            return None
    return fmt


def plain(amount: Decimal) -> str:
    """Decimal string for JSON and CSV (dot, no grouping)."""
    return format(amount, "f")
