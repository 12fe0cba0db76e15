"""Text checks shared by the input models: no control characters or terminal escapes."""

from __future__ import annotations

import re

from invoice_tui.domain.errors import BadInput

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides and isolates reorder how the text around them is shown: a
# name could display as something other than what it stores ("Trojan source"). Refused on input;
# shown escaped by ``safe``.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def clean(value: str, *, what: str, multiline: bool = False, max_length: int = 300) -> str:
    if value is None:
        return ""
    text = str(value)
    pattern = _CONTROL if multiline else _CONTROL_SINGLE_LINE
    if pattern.search(text):
        raise ValueError(f"{what} contains control characters or line breaks; remove them")
    if _BIDI.search(text):
        raise ValueError(f"{what} contains text-direction control characters (U+202A–U+202E, "
                         "U+2066–U+2069); remove them")
    text = text.strip() if not multiline else text.rstrip()
    if len(text) > max_length:
        raise ValueError(f"{what} is longer than {max_length} characters")
    return text


def check_email(value: str, *, field: str = "email") -> str:
    text = (value or "").strip()
    if len(text) > 254 or not EMAIL_RE.match(text):
        raise BadInput(f"'{value}' is not a valid email address.", field=field)
    return text.lower()


def safe(text: str | None) -> str:
    """Printable form of stored text for terminals (control characters made visible)."""
    if not text:
        return ""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
