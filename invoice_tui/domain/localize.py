"""One locale for every number, amount, date and percentage a person reads (issue 24).

The reader's locale (``display_locale``) is, first found:
1. the user's own preference (Settings → Language, the ``language`` preference);
2. the configuration file's ``locale`` key (or ``INVOICE_TUI_LOCALE``);
3. ``LC_ALL``, then ``LANG`` (``fr_FR.UTF-8``; ``C`` and ``POSIX`` say nothing);
4. the workspace's locale (``settings.locale``).

Every screen, widget, notification and the CLI's human output format with it. Documents a buyer
reads (PDF, email, the buyer page) use the invoice's own language instead (``invoice.locale``);
``--json`` stays locale-free (ISO dates, decimal strings).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from decimal import Decimal
from typing import Any, Callable, Mapping, TypeVar

LANGUAGE_PREFERENCE = "language"


@functools.lru_cache(maxsize=64)
def known_locale(text: str | None) -> str | None:
    """``text`` as a babel locale name (``fr_FR``), or None when it names none. Accepts the POSIX
    form of ``LANG`` (``fr_FR.UTF-8``, ``de_DE@euro``) and ``fr-FR``."""
    if not text:
        return None
    name = text.split(".")[0].split("@")[0].strip().replace("-", "_")
    if not name or name in ("C", "POSIX"):
        return None
    from babel.core import Locale, UnknownLocaleError

    try:
        loc = Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    return str(loc)


def resolve_locale(preference: str | None, configured: str | None, env: Mapping[str, str],
                   workspace: str | None) -> str:
    """The precedence above, over plain values (the first that names a locale)."""
    for candidate in (preference, configured, env.get("LC_ALL"), env.get("LANG"), workspace):
        found = known_locale(candidate)
        if found:
            return found
    return "en_US"


def display_locale(ctx, env: Mapping[str, str] | None = None) -> str:
    """The locale the acting user reads numbers and dates in (the precedence above)."""
    import json

    from invoice_tui.domain.settings import load_settings

    pref = None
    user = getattr(ctx, "user", None)
    if user is not None:
        try:
            pref = json.loads(user.preferences or "{}").get(LANGUAGE_PREFERENCE)
        except (ValueError, AttributeError):
            pref = None
    config = getattr(getattr(ctx, "services", None), "config", None)
    return resolve_locale(pref if isinstance(pref, str) else None, getattr(config, "locale", None),
                          os.environ if env is None else env, load_settings().locale)


T = TypeVar("T")


def for_reader(ctx, read: Callable[..., T], *args: Any) -> T:
    """``read(*args, locale)`` in the acting user's locale (:func:`display_locale`, which reads the
    workspace settings: in the caller's worker with the rows, not on the UI thread)."""
    return read(*args, display_locale(ctx))


def short_date(value: dt.date | None, locale: str) -> str:
    """A date in the locale's short form (``12/31/26``, ``31/12/2026``); "" for none."""
    if value is None:
        return ""
    return _short_date(value, locale)


@functools.lru_cache(maxsize=8192)
def _short_date(value: dt.date, locale: str) -> str:
    from babel.dates import format_date

    return format_date(value, format="short", locale=locale)


def short_datetime(value: dt.datetime | None, locale: str) -> str:
    """A moment of a history: the locale's short date and the time on 24 hours (``12/31/26 16:05``,
    ``31/12/2026 16:05``: the same width all day, no AM/PM word to translate); "" for none."""
    if value is None:
        return ""
    return f"{_short_date(value.date(), locale)} {value:%H:%M}"


def medium_date(value: dt.date | None, locale: str) -> str:
    """A date in the locale's medium form (``Dec 31, 2026``, ``31 déc. 2026``); "" for none."""
    if value is None:
        return ""
    from babel.dates import format_date

    return format_date(value, format="medium", locale=locale)


@functools.lru_cache(maxsize=1024)
def month_label(month: str, locale: str) -> str:
    """A month stored as ``YYYY-MM`` as the locale names it (``Mar 2026``, ``mars 2026``); as
    stored when it is not one."""
    return month_span(month, month, locale)


def month_span(first: str, last: str, locale: str) -> str:
    """The months from ``first`` to ``last`` (``YYYY-MM``) as the locale writes the span, its year
    once when shared (``Jan – Mar 2026``, ``janv.–mars 2026``, ``sept. 2025 – janv. 2026``; one
    month alone: ``Jan 2026``)."""
    from babel.dates import format_interval

    try:
        start, end = (dt.date(int(m[:4]), int(m[5:7]), 1) for m in (first, last))
    except ValueError:
        return first if first == last else f"{first} – {last}"
    return format_interval(start, end, "yMMM", locale=locale)


def number(value, locale: str) -> str:
    """A count or quantity as the locale writes it (``2,000``, ``2 000``)."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=locale)


def percent(value: Decimal, locale: str) -> str:
    """A rate given in percent (``20`` → ``20%``, ``20 %`` in fr_FR)."""
    from babel.numbers import format_percent

    return format_percent(Decimal(value) / 100, locale=locale, decimal_quantization=False)


# The history's event texts write amounts in one machine-readable form, "1590.50 EUR" (a plain
# decimal, a space, the ISO 4217 code: ``plain(amount)`` then the currency). The stored text is
# part of the hash chain and never changes; only what a person reads is formatted (issue 24).
_STORED_AMOUNT = re.compile(r"(?<![\w.,])(-?\d+(?:\.\d+)?) ([A-Z]{3})(?![\w])")
# what a person typed (a note, a task): shown as written
TYPED_KINDS = frozenset({"note", "task", "task_done"})


@functools.lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def history_text(kind: str, text: str, locale: str) -> str:
    """An event's stored text as the reader reads it: each "1590.50 EUR" it holds formatted in
    ``locale`` ("€1,590.50", "1 590,50 €"); notes and tasks are left as typed."""
    if kind in TYPED_KINDS or not text:
        return text
    from invoice_tui.domain.money import format_money

    def one(m: re.Match) -> str:
        amount, code = m.group(1), m.group(2)
        if code not in _currencies():
            return m.group(0)
        try:
            return format_money(Decimal(amount), code, locale)
        except Exception:  # noqa: BLE001 - a locale babel does not know: the stored form
            return m.group(0)

    return _STORED_AMOUNT.sub(one, text)
