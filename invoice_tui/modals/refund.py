"""R11: refund an online payment from the invoice's Payments card — in full (the amount left
blank) or the amount typed. The service refuses more than was paid, whatever Stripe accepts.
When the money goes back because the sale is cancelled, the dialog offers to issue the matching
credit note in the same step (R36, R39; the whole invoice refunded only)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Button, Input

from invoice_tui.modals.dialogs import Dialog
from invoice_tui.widgets.toggles import Checkbox  # issue 24: its state in a glyph
from invoice_tui.i18n import _


class RefundModal(Dialog, ModalScreen[dict | None]):
    """Returns ``{"amount": typed ("" for what is left), "credit_note": reason or None}``, or None
    when cancelled."""

    cancel_result = None

    def __init__(self, payment_id: int, amount: str) -> None:
        super().__init__(_("Refund payment #{id}").format(id=payment_id),
                         _("Refund the online payment #{id} of {amount} through Stripe. Leave the amount "
                           "empty to refund what is left; a refund reopens a paid invoice (R11).").format(
                             id=payment_id, amount=amount))

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder=_("amount (empty: all that is left)"), id="refund-amount")
        yield Checkbox(_("Sale cancelled: issue the matching credit note too"), id="refund-credit-note")
        yield Input(placeholder=_("reason of the credit note"), id="refund-reason")

    def compose_buttons(self) -> ComposeResult:
        yield Button(_("Cancel"), id="cancel")
        yield Button(_("Refund"), id="refund", variant="error")

    def focus_first(self) -> None:
        self.query_one("#refund-amount", Input).focus()

    @on(Button.Pressed, "#refund")
    @on(Input.Submitted, "#refund-amount")
    def _refund(self) -> None:
        with_note = self.query_one("#refund-credit-note", Checkbox).value
        reason = self.query_one("#refund-reason", Input).value.strip()
        self.dismiss({"amount": self.query_one("#refund-amount", Input).value.strip(),
                      "credit_note": (reason or _("Sale cancelled")) if with_note else None})

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
