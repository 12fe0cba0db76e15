"""R43: the seller profile's identifiers are checked by python-stdnum (SIREN, SIRET, VAT) and
schwifty (IBAN, BIC), each with a valid and an invalid public example value; a refusal names the
field and why, and changes nothing. The older names keep working as aliases."""

from __future__ import annotations

import pytest

from invoice_tui.domain.errors import BadInput
from invoice_tui.domain.settings import load_settings
from invoice_tui.domain.workspace import set_setting

pytestmark = pytest.mark.no_seller  # the tests start from an empty seller profile

# (setting, valid value as typed, stored value, invalid value, words of the refusal)
CASES = [
    ("seller_siren", "732 829 320", "732829320", "732 829 321", "the check digit is wrong"),
    ("seller_siren", "732829320", "732829320", "73282932", "wrong number of characters"),
    ("seller_siret", "732 829 320 00074", "73282932000074", "732 829 320 00075", "the check digit is wrong"),
    ("seller_vat_id", "FR 40 303 265 045", "FR40303265045", "FR41303265045", "the check digit is wrong"),
    ("seller_vat_id", "DE136695976", "DE136695976", "DE136695977", "the check digit is wrong"),
    ("seller_vat_id", "BE0776091951", "BE0776091951", "303265045", "country code"),
    ("seller_iban", "FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606",
     "FR14 2004 1010 0505 0001 3M02 607", "mod 97"),
    ("seller_iban", "DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "DE89 3704", "IBAN"),
    ("seller_bic", "BNPAFRPP", "BNPAFRPP", "BNPAFRP", "8 or 11 characters"),
    ("seller_country", "fr", "FR", "FRA", "ISO 3166"),
    ("seller_country", "DE", "DE", "ZZ", "ISO 3166"),
    ("seller_electronic_scheme", "0225", "0225", "9999", "electronic address scheme"),
    ("payment_means_code", "58", "58", "77", "UNCL 4461"),
    ("late_penalty_rate", "12,15", "12.15", "cent", "not a number"),
    ("seller_share_capital", "10000", "10000", "-5", "outside"),
    ("number_pattern", "F-{year}-{seq:05}", "F-{year}-{seq:05}", "F-{year}", "{seq} exactly once"),
    ("number_pattern", "INV-{seq}", "INV-{seq}", "INV {seq}", "letters, digits"),
    ("credit_note_pattern", "AV-{year}-{seq:4}", "AV-{year}-{seq:4}", "AV-{month}-{seq}", "placeholder"),
]


@pytest.mark.parametrize("key,good,stored,bad,why", CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_r43_seller_identifier_checked_valid_and_invalid(ws, admin, key, good, stored, bad, why):
    old, new = set_setting(admin, key, good)
    assert new == stored and getattr(load_settings(), key) == stored
    with pytest.raises(BadInput) as err:
        set_setting(admin, key, bad)
    assert err.value.field == key and key in err.value.message and why in err.value.message
    assert getattr(load_settings(), key) == stored  # nothing changed


def test_r43_siret_refusal_reads_as_the_issue_says(ws, admin):
    with pytest.raises(BadInput) as err:
        set_setting(admin, "seller_siret", "732 829 320 00075")
    assert "SIRET 732 829 320 00075: the check digit is wrong" in err.value.message


def test_r43_empty_value_clears_an_identifier(ws, admin):
    set_setting(admin, "seller_siren", "732829320")
    assert set_setting(admin, "seller_siren", "") == ("732829320", "")


def test_r43_electronic_address_checked_against_its_scheme(ws, admin):
    set_setting(admin, "seller_electronic_scheme", "0225")
    assert set_setting(admin, "seller_electronic_address", "732829320")[1] == "732829320"
    with pytest.raises(BadInput, match="seller_electronic_address: SIREN 732829321: the check digit is wrong"):
        set_setting(admin, "seller_electronic_address", "732829321")
    set_setting(admin, "seller_electronic_scheme", "EM")
    with pytest.raises(BadInput, match="not an email address"):
        set_setting(admin, "seller_electronic_address", "billing at example")


def test_r43_older_names_are_aliases(ws, admin):
    """seller_name → seller_legal_name, seller_tax_id → seller_vat_id (checked as one),
    number_prefix → number_pattern (prefix + {seq})."""
    assert set_setting(admin, "seller_name", "Atelier Dupré SARL") == ("", "Atelier Dupré SARL")
    assert load_settings().seller_legal_name == "Atelier Dupré SARL" == load_settings().seller_name
    assert set_setting(admin, "seller_tax_id", "FR40303265045")[1] == "FR40303265045"
    assert load_settings().seller_vat_id == "FR40303265045"
    with pytest.raises(BadInput, match="seller_tax_id: VAT id FR41303265045: the check digit is wrong"):
        set_setting(admin, "seller_tax_id", "FR41303265045")
    assert set_setting(admin, "number_prefix", "F-") == ("INV-{seq}", "F-{seq}")
    assert load_settings().number_prefix == "F-"


def test_r43_workspace_that_stored_older_names_reads_them(ws, admin):
    """A workspace from before R43/R46 stored seller_name, seller_tax_id and number_prefix: they are
    read as the new settings until those are set."""
    import json

    from invoice_tui.db.models import Setting

    for key, value in (("seller_name", "Old SARL"), ("seller_tax_id", "FR40303265045"), ("number_prefix", "OLD-")):
        Setting.insert(key=key, value=json.dumps(value)).execute()
    settings = load_settings()
    assert (settings.seller_legal_name, settings.seller_vat_id, settings.number_pattern) == (
        "Old SARL", "FR40303265045", "OLD-{seq}")
    set_setting(admin, "seller_legal_name", "New SAS")
    assert load_settings().seller_legal_name == "New SAS"
