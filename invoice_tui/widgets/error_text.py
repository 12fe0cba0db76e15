"""How the TUI says a domain error: its sentence, then the TUI's own remedy for its code.

The CLI keeps its remedies (``--contact EMAIL``…) in ``cli/_common.py``; the sentence itself names
no face. ``show_error`` is the one way a screen or modal shows an error: beside the field when the
form shows that field (and in the form's summary line), else as a notification. Anything that is
not a domain error is shown by its type and text, never as a traceback. ``error_text`` needs no
textual, so read models built in a worker may use it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from invoice_tui.domain.errors import InvoiceTuiError, with_remedy
from invoice_tui.i18n import N_, _

if TYPE_CHECKING:
    from textual.dom import DOMNode

TUI_REMEDIES: dict[str, str] = {
    "invoice.date_before_latest": N_("edit it (e) and set the invoice date to {today} or later."),
    "invoice.no_billing_contact": N_("pick one in the editor (e, then ctrl+b) or in the Contacts card (3, then n)."),
    "invoice.legal_data_missing": N_("fill in the seller's in Settings (',' on the index, or ctrl+p Settings), the "
                                     "buyer's in Companies and the invoice's in the editor."),
    # the sentence already says to correct it with a credit note: the remedy says where
    "invoice.strict_mode": N_("in the Actions menu (a): Create credit note, or Cancel and replace."),
    "permission.not_a_user": N_("a super admin can add them with: invoice-tui users add {login}"),
    "permission.denied": N_("{grantor} can grant it with: invoice-tui users grant {login} {permission}"),
    "mail.no_from_address": N_("type one in From, or a super admin can set a default with: invoice-tui settings set "
                               "default_from_address billing@example.com"),
    "workspace.no_public_base_url": N_("a super admin can set it with: invoice-tui settings set public_base_url "
                                       "https://invoices.example.com"),
    "reminders.no_from_address": N_("a super admin can set it with: invoice-tui settings set default_from_address "
                                    "billing@example.com"),
}


def error_text(error: BaseException) -> str:
    """The text the TUI shows for ``error``."""
    from invoice_tui.domain.text import safe

    if isinstance(error, InvoiceTuiError):
        remedies = {code: _(text) for code, text in TUI_REMEDIES.items()}  # in the reader's language
        return safe(with_remedy(error, remedies))  # a sentence may echo what was typed (R55)
    return safe(f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)


def show_error(node: "DOMNode", error: BaseException, *, title: str | None = None,
               beside: Mapping[str, str] | None = None, summary: str | None = None, notify: bool = False) -> None:
    """Show ``error`` on ``node``'s screen: beside its field (``beside`` maps a field name to the
    selector of the Static under it) and in ``summary`` when the form has them; as an error
    notification when neither shows it (or ``notify`` asks for both)."""
    from textual.content import Content
    from textual.css.query import NoMatches

    text = error_text(error)
    shown = False
    targets = []
    field = getattr(error, "field", None)
    if beside and field in beside:
        targets.append(beside[field])
    if summary:
        targets.append(summary)
    for selector in targets:
        try:
            node.query_one(selector).update(Content(text))  # type: ignore[attr-defined] # plain, not markup
        except NoMatches:
            continue
        shown = True
    if notify or not shown:
        expected = isinstance(error, InvoiceTuiError)
        node.notify(text, title=(title or _("Not done")) if expected else _("Something went wrong"),  # type: ignore[attr-defined]
                    severity="error", timeout=10 if expected else 12)


def error_content(error: BaseException):
    """``error_text`` as plain Content for a Static: never read as markup (it may echo input)."""
    from textual.content import Content

    return Content(error_text(error))
