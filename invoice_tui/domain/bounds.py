"""The bounds of every input (R56), in one place, each with the sentence that names the field.

- Dates: 1900-01-01 to 2199-12-31 (invoice, due, payment, task dates, dates in filters and on the
  command line). Outside, a refusal naming the field; no date arithmetic can then overflow.
- Money: any amount typed (a payment, a discount, a fee, a unit price) is below 10^12 in major
  units (``MAX_AMOUNT``); an invoice's totals below 10^15 (``invoices.MAX_TOTAL``), checked once
  computed. Quantities: below 10^9 in magnitude (``MAX_QUANTITY``; their sign and decimals are the
  lines' rules). Rates: 0 to 100 %. Payment terms: 0 to 3,650 days. A day count typed in a filter
  or as ``today+N``: at most the range's span.
- Text: each field's longest length is given by its input model (``text.clean``'s ``max_length``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import _

DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2199, 12, 31)
MAX_DAYS = (DATE_MAX - DATE_MIN).days  # 109,572: any day count beyond it leaves the range
MAX_AMOUNT = Decimal(10) ** 12
MAX_QUANTITY = Decimal(10) ** 9
MAX_TERMS_DAYS = 3650


def date_error(what: str) -> str:
    """"{what} must be between 1900-01-01 and 2199-12-31" in the reader's language; ``what`` is an
    English phrase marked with ``N_()`` ("the invoice date"), translated here."""
    return _("{what} must be between {low} and {high}").format(what=_(what), low=DATE_MIN.isoformat(),
                                                               high=DATE_MAX.isoformat())


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def in_range(day: dt.date | None, what: str) -> dt.date | None:
    """``day`` if it lies in the supported range; a ``ValueError`` naming ``what`` otherwise (the
    input models turn it into ``BadInput`` with the field)."""
    if day is not None and not DATE_MIN <= (day.date() if isinstance(day, dt.datetime) else day) <= DATE_MAX:
        raise ValueError(_("{what} must be between {low} and {high}; {day} is outside").format(
            what=_(what), low=DATE_MIN.isoformat(), high=DATE_MAX.isoformat(), day=day.isoformat()))
    return day


def check_date(day: dt.date | None, what: str, *, field: str | None = None) -> dt.date | None:
    """``in_range`` for the services and the faces: a ``BadInput`` naming the field."""
    try:
        return in_range(day, what)
    except ValueError as exc:
        sentence = _upper_first(str(exc)) + "."  # the marked sentence of ``in_range``, as a sentence
        raise BadInput(sentence, field=field, code="date.out_of_range") from None


def add_days(day: dt.date, days: int, what: str, *, field: str | None = None) -> dt.date:
    """``day + days`` that never overflows: a result outside the range is a ``BadInput``."""
    if abs(days) > MAX_DAYS:
        raise BadInput(_("{What} must be between {low} and {high}; {days:+,} days from {day} is outside.").format(
            What=_upper_first(_(what)), what=_(what), low=DATE_MIN.isoformat(), high=DATE_MAX.isoformat(),
            days=days, day=day.isoformat()), field=field, code="date.out_of_range")
    return check_date(day + dt.timedelta(days=days), what, field=field)
