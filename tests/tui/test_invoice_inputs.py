"""Unit tests of the invoice forms' helpers: numbers typed the locale's way, the browser rule of
"View invoice" (never a text browser taking over the terminal)."""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest

from invoice_tui.domain.errors import BadInput
from invoice_tui.modals.line_item import parse_discount
from invoice_tui.widgets.invoice_inputs import LocalAmount, parse_local_decimal
from invoice_tui.widgets.invoice_view import browser_available


@pytest.mark.parametrize("text, locale, expected", [
    ("1 234,50", "fr_FR", "1234.50"), ("1\u202f234,50", "fr_FR", "1234.50"), ("1234.50", "fr_FR", "1234.50"),
    ("1,234.50", "en_US", "1234.50"), ("1.234,50", "de_DE", "1234.50"), ("2,5", "fr_FR", "2.5"),
    ("12", "en_US", "12"),
])
def test_numbers_typed_the_locale_way(text, locale, expected):
    assert parse_local_decimal(text, locale) == Decimal(expected)


@pytest.mark.parametrize("text", ["abc", "1,2,3,", "NaN", "Infinity", ""])
def test_bad_numbers_are_refused_with_a_sentence(text):
    with pytest.raises(BadInput) as exc:
        parse_local_decimal(text, "fr_FR")
    assert exc.value.message.endswith(".")


def test_amount_validator_uses_the_currency_exponent():
    assert not LocalAmount("EUR", "fr_FR").validate("12,345").is_valid
    assert LocalAmount("EUR", "fr_FR").validate("12,34").is_valid
    assert not LocalAmount("JPY", "en_US").validate("12.5").is_valid
    assert not LocalAmount("EUR", "en_US").validate("0").is_valid


def test_line_discount_percent_or_amount():
    assert parse_discount("10%", "fr_FR") == (Decimal(10), True)
    assert parse_discount("5,50", "fr_FR") == (Decimal("5.50"), False)
    assert parse_discount("", "fr_FR") == (None, False)


def test_view_invoice_opens_a_browser_only_when_graphical_and_not_over_ssh():
    assert browser_available({"BROWSER": "firefox"})
    assert not browser_available({"DISPLAY": ":0", "SSH_CONNECTION": "1.2.3.4 5 6.7.8.9 22"})
    if sys.platform != "darwin":
        assert not browser_available({})  # a bare terminal: show and copy the link instead
    assert browser_available({"WAYLAND_DISPLAY": "wayland-0"})
