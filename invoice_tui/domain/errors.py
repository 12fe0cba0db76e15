"""Domain errors as values: a stable code, a sentence for humans, the field(s) concerned and
structured details — and the CLI exit code of their class.

The sentence says what is wrong, never how to fix it in one face or another: each face renders
the error with its own remedy, looked up by ``code`` (the CLI in ``cli/_common.py``, the TUI in
``widgets/error_text.py``). Codes are stable identifiers (``invoice.voided``,
``payment.over_balance``); a raise site without a code of its own has its class's code.

Exit codes (README "CLI reference"): 0 ok · 1 refused by a rule or permission · 2 bad input ·
3 not found · 4 the environment failed (database unreachable or busy, mail server down).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from invoice_tui.i18n import _


class InvoiceTuiError(Exception):
    """Base class: ``str(error)`` and ``error.message`` are the sentence shown to the user."""

    exit_code = 1
    code = "error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 fields: Iterable[str] = (), details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields: tuple[str, ...] = tuple(fields) or ((field,) if field else ())
        self.details: dict[str, Any] = dict(details or {})

    @property
    def sentence(self) -> str:
        return self.message

    @property
    def field(self) -> str | None:
        """The first field the error concerns (forms show the sentence beside it)."""
        return self.fields[0] if self.fields else None

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": list(self.fields), "details": self.details,
                "exit_code": self.exit_code}


class RuleRefused(InvoiceTuiError):
    """A product rule (SPEC R1–R34) refuses the action."""

    exit_code = 1
    code = "rule.refused"


class PermissionDenied(RuleRefused):
    """R17: the acting user lacks the permission the action needs."""

    exit_code = 1
    code = "permission.denied"


class Conflict(RuleRefused):
    """The record changed under the editor (optimistic locking, R7)."""

    exit_code = 1
    code = "record.changed"


class BadInput(InvoiceTuiError):
    """The input cannot be understood (a malformed amount, date, currency, …)."""

    exit_code = 2
    code = "input.invalid"


class NotFound(InvoiceTuiError):
    exit_code = 3
    code = "not_found"


class EnvironmentFailure(InvoiceTuiError):
    """The database is unreachable or stays busy, the mail server is down, …"""

    exit_code = 4
    code = "environment.failed"


def with_remedy(error: InvoiceTuiError, remedies: Mapping[str, str]) -> str:
    """The sentence, then a face's remedy for the error's code (``{placeholders}`` filled from its
    details): ``"No payment 7."`` + ``"see: …"`` → ``"No payment 7; see: …"``."""
    remedy = remedies.get(error.code)
    if remedy:
        try:  # a face's table marks its remedies with N_(): they are translated here, as the sentence was
            remedy = _(remedy).format(**error.details)
        except (KeyError, IndexError):
            remedy = None
    if not remedy:
        return error.message
    return _("{sentence}; {remedy}").format(sentence=error.message.rstrip().rstrip("."), remedy=remedy)
