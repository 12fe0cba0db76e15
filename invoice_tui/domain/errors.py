"""Domain exceptions: each carries a sentence a person can act on and the CLI exit code.

Exit codes (README "CLI reference"): 0 ok · 1 refused by a rule or permission · 2 bad input ·
3 not found · 4 the environment failed (database unreachable or busy, mail server down).
"""

from __future__ import annotations


class InvoiceTuiError(Exception):
    """Base class: ``str(error)`` is the message shown to the user."""

    exit_code = 1

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RuleRefused(InvoiceTuiError):
    """A product rule (SPEC R1–R34) refuses the action."""

    exit_code = 1


class PermissionDenied(RuleRefused):
    """R17: the acting user lacks the permission the action needs."""

    exit_code = 1


class Conflict(RuleRefused):
    """The record changed under the editor (optimistic locking, R7)."""

    exit_code = 1


class BadInput(InvoiceTuiError):
    """The input cannot be understood (a malformed amount, date, currency, …)."""

    exit_code = 2


class NotFound(InvoiceTuiError):
    exit_code = 3


class EnvironmentFailure(InvoiceTuiError):
    """The database is unreachable or stays busy, the mail server is down, …"""

    exit_code = 4
