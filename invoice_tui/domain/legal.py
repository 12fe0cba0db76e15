"""Legal identifiers of sellers and buyers (R43), checked by libraries, never by hand-written check
digits: SIREN, SIRET and every EU VAT number by python-stdnum, IBAN and BIC by schwifty.

Each checker takes what the user typed and returns the value as stored (compact, upper case), or
raises ``BadInput`` naming the field and why ("SIRET 732 829 320 00075: the check digit is
wrong"). An empty value is always accepted: it clears the field. The libraries are imported when a
value is checked (cold start, issue 16).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import N_, _

# EN 16931 electronic address schemes (EAS code list, BT-34/BT-49) a small business meets; the
# ones whose identifier we can check are checked (0225: SIREN, 0009: SIRET, EM: an email address).
EAS_SCHEMES = {
    "0225": "SIREN (France)", "0009": "SIRET (France)", "0002": "SIRENE (France)", "0088": "GLN",
    "0060": "DUNS", "0007": "Organisationsnummer (Sweden)", "0096": "DANISH CVR", "0106": "KvK (Netherlands)",
    "0130": "EU directorates", "0184": "DIGSTORG (Denmark)", "0190": "OIN (Netherlands)",
    "0192": "Enhetsregisteret (Norway)", "0195": "UEN (Singapore)", "0196": "Kennitala (Iceland)",
    "0198": "ERSTORG (Denmark)", "0204": "Leitweg-ID (Germany)", "0208": "KBO-BCE (Belgium)",
    "0209": "GS1", "0210": "Codice fiscale (Italy)", "0211": "Partita IVA (Italy)", "0212": "Finnish OVT",
    "0213": "Finnish VAT", "0221": "IIN (Japan)", "0230": "National e-Invoicing (Malaysia)",
    "9901": "Danish CVR", "9906": "Partita IVA (Italy)", "9907": "Codice fiscale (Italy)",
    "9910": "Hungary VAT", "9913": "Business Registers Network", "9914": "Austria UID",
    "9915": "Austria VKZ", "9918": "IBAN", "9919": "Kennziffer des Unternehmensregisters",
    "9920": "Agencia Española de Administración Tributaria", "9922": "Andorra VAT", "9923": "Albania VAT",
    "9924": "Bosnia VAT", "9925": "Belgium VAT", "9926": "Bulgaria VAT", "9927": "Switzerland VAT",
    "9928": "Cyprus VAT", "9929": "Czech VAT", "9930": "Germany VAT", "9931": "Estonia VAT",
    "9932": "United Kingdom VAT", "9933": "Greece VAT", "9934": "Croatia VAT", "9935": "Ireland VAT",
    "9936": "Liechtenstein VAT", "9937": "Lithuania VAT", "9938": "Luxembourg VAT", "9939": "Latvia VAT",
    "9940": "Monaco VAT", "9941": "Montenegro VAT", "9942": "Macedonia VAT", "9943": "Malta VAT",
    "9944": "Netherlands VAT", "9945": "Poland VAT", "9946": "Portugal VAT", "9947": "Romania VAT",
    "9948": "Serbia VAT", "9949": "Slovenia VAT", "9950": "Slovakia VAT", "9951": "San Marino VAT",
    "9952": "Turkey VAT", "9953": "Holy See VAT", "9957": "France VAT", "9959": "EIN (USA)",
    "EM": "email address",
}
# BT-81 payment means (UNCL 4461) a small business uses.
PAYMENT_MEANS = {  # marked: translated where a sentence lists them
    "1": N_("not defined"), "10": N_("cash"), "20": N_("cheque"), "30": N_("credit transfer"),
    "31": N_("debit transfer"), "42": N_("payment to bank account"), "48": N_("bank card"),
    "49": N_("direct debit"), "57": N_("standing agreement"), "58": N_("SEPA credit transfer"),
    "59": N_("SEPA direct debit"), "68": N_("online payment service"), "97": N_("clearing between partners"),
    "ZZZ": N_("mutually defined"),
}
EU_COUNTRIES = {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
                "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}
_COUNTRIES: set[str] = set()


def _spaced(text: str) -> str:
    return " ".join(text.split())


def _why(exc: Exception) -> str:
    """stdnum's and schwifty's exception classes, said for a human."""
    name = type(exc).__name__
    if "Checksum" in name:
        return _("the check digit is wrong")
    if "Length" in name:
        return _("it has the wrong number of characters")
    if "Format" in name or "Structure" in name:
        return _("it holds characters that do not belong there")
    if "Component" in name or "Country" in name:
        return _("a part of it (e.g. its country code) is not valid")
    return _("it is not valid")


def check_siren(text: str, field: str = "seller_siren") -> str:
    """SIREN: 9 digits, Luhn key."""
    if not text.strip():
        return ""
    from stdnum.exceptions import ValidationError
    from stdnum.fr import siren

    try:
        return siren.validate(text)
    except ValidationError as exc:
        raise BadInput(_("{field}: SIREN {text}: {reason} (a SIREN is 9 digits with a Luhn key).").format(field=field,
                             text=_spaced(text), reason=_why(exc)),
                       field=field, code="legal.siren") from None


def check_siret(text: str, field: str = "seller_siret") -> str:
    """SIRET: 14 digits (SIREN + establishment number), Luhn key."""
    if not text.strip():
        return ""
    from stdnum.exceptions import ValidationError
    from stdnum.fr import siret

    try:
        return siret.validate(text)
    except ValidationError as exc:
        raise BadInput(_("{field}: SIRET {text}: {reason} (a SIRET is 14 digits with a Luhn key).").format(field=field,
                             text=_spaced(text), reason=_why(exc)),
                       field=field, code="legal.siret") from None


def check_vat_id(text: str, field: str = "seller_vat_id") -> str:
    """A VAT id with its country prefix: every EU country's format and key (FR's key included), and
    the other countries python-stdnum knows (GB, CH, NO…)."""
    if not text.strip():
        return ""
    from stdnum import get_cc_module
    from stdnum.exceptions import ValidationError
    from stdnum.util import clean as stdnum_clean

    compact = stdnum_clean(text, " -./").upper().strip()
    if not re.fullmatch(r"[A-Z]{2}[A-Z0-9+*]{2,13}", compact):
        raise BadInput(_("{field}: VAT id {text}: "
                         "it starts with its two-letter country code, e.g. FR40303265045.").format(field=field,
                             text=_spaced(text)), field=field, code="legal.vat_id")
    cc = compact[:2]
    module = "eu.vat" if cc.lower() in _eu_member_states() or cc == "EL" else None
    try:
        if module:
            from stdnum.eu import vat

            return vat.validate(compact)
        mod = get_cc_module(cc.lower(), "vat")
        if mod is None:
            raise BadInput(_("{field}: VAT id {text}: the country {cc} is not one whose VAT numbers can be checked; "
                             "give an EU, GB, CH or NO VAT number.").format(field=field, text=_spaced(text), cc=cc),
                                 field=field, code="legal.vat_id")
        value = mod.validate(compact[2:])
        return cc + value
    except ValidationError as exc:
        raise BadInput(_("{field}: VAT id {text}: {reason}.").format(field=field, text=_spaced(text),
                             reason=_why(exc)), field=field, code="legal.vat_id") from None


def _eu_member_states() -> set[str]:
    from stdnum.eu import vat

    return set(vat.MEMBER_STATES)


def check_iban(text: str, field: str = "seller_iban") -> str:
    if not text.strip():
        return ""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        return str(IBAN(text).compact)
    except SchwiftyException as exc:
        raise BadInput(_("{field}: IBAN {text}: {reason}.").format(field=field, text=_spaced(text),
                             reason=_iban_why(exc)), field=field, code="legal.iban") from None


def _iban_why(exc: Exception) -> str:
    name = type(exc).__name__
    if "Checksum" in name:
        return _("the check digits are wrong (mod 97)")
    return _why(exc)


def check_bic(text: str, field: str = "seller_bic") -> str:
    if not text.strip():
        return ""
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    try:
        return str(BIC(text.strip().upper()))
    except SchwiftyException as exc:
        raise BadInput(_("{field}: "
                         "BIC {text}: {reason} (a BIC is 8 or 11 characters, e.g. BNPAFRPP).").format(field=field,
                             text=_spaced(text), reason=_why(exc)),
                       field=field, code="legal.bic") from None


def check_country(text: str, field: str = "seller_country") -> str:
    """ISO 3166-1 alpha-2 (upper case)."""
    code = text.strip().upper()
    if not code:
        return ""
    if not _COUNTRIES:
        from babel import Locale

        # babel's territories hold a few groupings and the unknown region: not countries
        _COUNTRIES.update(k for k in Locale("en").territories if len(k) == 2 and k.isalpha()
                          and k not in {"ZZ", "EU", "UN", "EZ", "QO"})
    if code not in _COUNTRIES:
        raise BadInput(_("{field}: '{text}' "
                         "is not an ISO 3166 country code; use two letters, e.g. FR, DE, BE.").format(field=field,
                             text=text),
                       field=field, code="legal.country")
    return code


def check_scheme(text: str, field: str = "seller_electronic_scheme") -> str:
    code = text.strip().upper()
    if not code:
        return ""
    if code not in EAS_SCHEMES:
        raise BadInput(_("{field}: '{text}' is not an EN 16931 electronic address scheme (EAS); e.g. 0225 for a "
                         "SIREN, 0009 for a SIRET, EM for an email address.").format(field=field, text=text),
                             field=field, code="legal.scheme")
    return code


def check_electronic_address(address: str, scheme: str, field: str = "seller_electronic_address") -> str:
    """BT-34/BT-49: the address checked against its scheme where the scheme says what it holds."""
    value = address.strip()
    if not value:
        return ""
    if scheme == "0225":
        return check_siren(value, field)
    if scheme == "0009":
        return check_siret(value, field)
    if scheme == "EM" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise BadInput(_("{field}: '{value}' is not an email address (scheme EM).").format(field=field, value=value),
                             field=field,
                       code="legal.electronic_address")
    if len(value) > 125 or any(c.isspace() for c in value):
        raise BadInput(_("{field}: an electronic address is one word of at most 125 characters.").format(field=field),
                             field=field,
                       code="legal.electronic_address")
    return value


def check_payment_means(text: str, field: str = "payment_means_code") -> str:
    code = text.strip().upper()
    if not code:
        return ""
    if code not in PAYMENT_MEANS:
        known = ", ".join(f"{k} ({_(v)})" for k, v in PAYMENT_MEANS.items())
        raise BadInput(_("{field}: '{text}' "
                         "is not a payment means code (UNCL 4461, BT-81); known: {known}.").format(field=field,
                             text=text, known=known),
                       field=field, code="legal.payment_means")
    return code


def check_decimal(text: str, field: str, *, low: Decimal, high: Decimal, places: int, what: str) -> str:
    """A plain decimal number (dot or comma) within bounds, written back with a dot."""
    t = text.strip().replace(",", ".").replace(" ", "")
    if not t:
        return ""
    try:
        value = Decimal(t)
    except InvalidOperation:
        raise BadInput(_("{field}: '{text}' is not a number; {what}.").format(field=field, text=text, what=_(what)),
                             field=field) from None
    if not value.is_finite() or not low <= value <= high:
        raise BadInput(_("{field}: {text} is outside {low}–{high}; {what}.").format(field=field, text=text, low=low,
                             high=high, what=_(what)), field=field)
    if -value.as_tuple().exponent > places:
        raise BadInput(_("{field}: {text} has more than {places} decimals; {what}.").format(field=field, text=text,
                             places=places, what=_(what)), field=field)
    return format(value, "f")


def siren_of(siret_or_siren: str) -> str:
    return siret_or_siren[:9]
