"""Text checks shared by the input models: no control characters or terminal escapes."""

from __future__ import annotations

import re

from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import _

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides and isolates reorder how the text around them is shown: a
# name could display as something other than what it stores ("Trojan source"). Refused on input;
# shown escaped by ``safe``.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def clean(value: str, *, what: str, multiline: bool = False, max_length: int = 300) -> str:
    """``value`` checked and trimmed; ``what`` names it in the sentences (marked: translated here)."""
    if value is None:
        return ""
    what = _(what)
    text = str(value)
    pattern = _CONTROL if multiline else _CONTROL_SINGLE_LINE
    if pattern.search(text):
        raise ValueError(_("{what} contains control characters or line breaks; remove them").format(what=what))
    if _BIDI.search(text):
        raise ValueError(_("{what} contains text-direction control characters (U+202A–U+202E, U+2066–U+2069); "
                           "remove them").format(what=what))
    text = text.strip() if not multiline else text.rstrip()
    if len(text) > max_length:
        raise ValueError(_("{what} is longer than {max_length} characters").format(what=what, max_length=max_length))
    return text


def check_email(value: str, *, field: str = "email") -> str:
    text = (value or "").strip()
    if len(text) > 254 or not EMAIL_RE.match(text):
        raise BadInput(_("'{value}' is not a valid email address.").format(value=value), field=field)
    return text.lower()


_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]+")


def safe(text: object, *, line: bool = False) -> str:
    """The one sanitizer (R55): stored or typed text made harmless for a terminal or a file.

    C0/C1 control characters (ESC, so every CSI/OSC escape sequence, among them OSC 52's
    clipboard write; BEL, DEL, ``\\x9b``…) are shown as visible ``\\x1b``; bidirectional controls
    as visible ``\\u202e``; nothing is removed silently, so the user sees that something odd is
    stored. Tabs and newlines stay (addresses, comments, a CSV field or an XLSX cell), except
    with ``line=True`` (a table cell, a title), where each run of them becomes one space.

    Every screen, widget, notification, the CLI's human output and the CSV/XLSX exports pass
    their text through here; ``--json`` escapes instead (``cli._base.json_text``)."""
    if text is None or text == "":
        return ""
    text = text if type(text) is str else str(text)
    if line:
        text = _LINE_BREAKS.sub(" ", text)
    if text.isprintable() and not _BIDI.search(text):
        return text  # the common case: one C-level scan, no copy
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# JSON text that still holds what a terminal obeys or reorders: DEL and C1 controls (``json``
# escapes C0 itself) and the bidi controls, written as JSON escapes so the data is whole.
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def json_escape(text: str) -> str:
    """``--json`` output made safe for a terminal by escaping, never stripping (R55): the JSON
    reads back to exactly the stored text."""
    return text if text.isprintable() else text.translate(_JSON_ESCAPES)


def has_control(text: str) -> bool:
    """Whether ``text`` still holds a character ``safe`` would show escaped (tests, exports)."""
    return bool(_CONTROL.search(text) or _BIDI.search(text))
