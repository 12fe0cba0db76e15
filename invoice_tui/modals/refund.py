"""R11: refund an online payment from the invoice's Payments card — in full (the amount left
blank) or the amount typed. The service refuses more than was paid, whatever Stripe accepts."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Button, Input

from invoice_tui.modals.dialogs import Dialog


class RefundModal(Dialog, ModalScreen[str | None]):
    """Returns the amount typed ("" for what is left to refund), or None when cancelled."""

    cancel_result = None

    def __init__(self, payment_id: int, amount: str) -> None:
        super().__init__(f"Refund payment #{payment_id}",
                         f"Refund the online payment #{payment_id} of {amount} through Stripe. Leave the amount "
                         "empty to refund what is left; a refund reopens a paid invoice (R11).")

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="amount (empty: all that is left)", id="refund-amount")

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel", id="cancel")
        yield Button("Refund", id="refund", variant="error")

    def focus_first(self) -> None:
        self.query_one("#refund-amount", Input).focus()

    @on(Button.Pressed, "#refund")
    @on(Input.Submitted, "#refund-amount")
    def _refund(self) -> None:
        self.dismiss(self.query_one("#refund-amount", Input).value.strip())

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
