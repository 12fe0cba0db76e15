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

DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2199, 12, 31)
MAX_DAYS = (DATE_MAX - DATE_MIN).days  # 109,572: any day count beyond it leaves the range
MAX_AMOUNT = Decimal(10) ** 12
MAX_QUANTITY = Decimal(10) ** 9
MAX_TERMS_DAYS = 3650


def date_error(what: str) -> str:
    return f"{what} must be between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}"


def in_range(day: dt.date | None, what: str) -> dt.date | None:
    """``day`` if it lies in the supported range; a ``ValueError`` naming ``what`` otherwise (the
    input models turn it into ``BadInput`` with the field)."""
    if day is not None and not DATE_MIN <= (day.date() if isinstance(day, dt.datetime) else day) <= DATE_MAX:
        raise ValueError(f"{date_error(what)}; {day.isoformat()} is outside")
    return day


def check_date(day: dt.date | None, what: str, *, field: str | None = None) -> dt.date | None:
    """``in_range`` for the services and the faces: a ``BadInput`` naming the field."""
    try:
        return in_range(day, what)
    except ValueError as exc:
        raise BadInput(f"{str(exc)[0].upper()}{str(exc)[1:]}.", field=field, code="date.out_of_range") from None


def add_days(day: dt.date, days: int, what: str, *, field: str | None = None) -> dt.date:
    """``day + days`` that never overflows: a result outside the range is a ``BadInput``."""
    if abs(days) > MAX_DAYS:
        raise BadInput(f"{date_error(what).capitalize()}; {days:+,} days from {day.isoformat()} is outside.",
                       field=field, code="date.out_of_range")
    return check_date(day + dt.timedelta(days=days), what, field=field)
