"""The words of invoice-tui in the reader's language (issue 25): gettext catalogs made with babel.

Every string a person reads is written in English in the code and marked:

- ``_("Record payment")`` where it is shown (a label, a notification, an error sentence);
- ``N_("Record payment")`` where it is defined before a language is known (a binding's
  description, a class-level table of labels, the palette's commands): it is returned as it is,
  for ``pybabel extract`` to find, and passed through ``_()`` where it is shown;
- ``ngettext("{n} invoice", "{n} invoices", n).format(n=n)`` for a count (French has its own
  plural rule);
- placeholders stay inside the one marked sentence (``_("Invoice {number} is voided.")
  .format(number=…)``): a sentence is never assembled from translated fragments, since word order
  differs between languages.

The catalogs live in ``invoice_tui/locale/<language>/LC_MESSAGES/invoice_tui.po`` (the template
``invoice_tui/locale/invoice_tui.pot`` is English, the source); the compiled ``.mo`` files ship in
the package and ``tests/test_i18n_catalogs.py`` fails when they or the template are out of date.
The README's "Adding a language" gives a translator's commands.

One language is in use per process at a time (``use_language``): the CLI picks it before parsing
its arguments, the TUI at start and again whenever the reader's language preference changes.
Documents a buyer reads (PDF, email, the buyer page) do not use it: they speak the invoice's own
language (``documents.markdown``'s labels).
"""

from __future__ import annotations

import functools
import gettext as _gettext
from pathlib import Path

DOMAIN = "invoice_tui"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE_LANGUAGE = "en"


class _State:
    """The translations in use and their language (this module's own; changed only through
    :func:`use_language` and :func:`use_translations`)."""

    translations: _gettext.NullTranslations = _gettext.NullTranslations()
    language: str = SOURCE_LANGUAGE


def gettext(message: str) -> str:
    """``message`` in the language in use (itself when the catalog has no translation)."""
    return _State.translations.gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, by the rule of the language in use."""
    return _State.translations.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the sense ``context`` gives it (the same English word may need two French
    ones: "Open" an invoice, an "Open" invoice)."""
    return _State.translations.pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown, with ``_()``."""
    return message


def language() -> str:
    """The language in use (``en``, ``fr``, or a test's pseudo-locale)."""
    return _State.language


def available_languages() -> tuple[str, ...]:
    """English and every language with a compiled catalog."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return (SOURCE_LANGUAGE, *found)


@functools.lru_cache(maxsize=8)
def _catalog(language_code: str) -> _gettext.NullTranslations:
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[language_code], fallback=True)


def language_of(locale_name: str | None) -> str:
    """The catalog's language for a locale name (``fr_FR`` → ``fr``, ``fr_CA`` → ``fr``); English
    when no catalog speaks it."""
    if not locale_name:
        return SOURCE_LANGUAGE
    code = locale_name.split(".")[0].split("@")[0].replace("-", "_")
    for candidate in (code, code.split("_")[0]):
        if candidate in available_languages():
            return candidate
    return SOURCE_LANGUAGE


def use_language(locale_name: str | None) -> str:
    """Speak the language of ``locale_name`` (a locale as ``domain.localize`` resolves it) from now
    on; returns the catalog's language."""
    code = language_of(locale_name)
    _State.translations = _gettext.NullTranslations() if code == SOURCE_LANGUAGE else _catalog(code)
    _State.language = code
    return code


def use_translations(translations: _gettext.NullTranslations, name: str) -> None:
    """Speak from ``translations`` (the tests' pseudo-locale, a catalog built in memory)."""
    _State.translations = translations
    _State.language = name
