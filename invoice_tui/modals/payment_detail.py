"""One payment of the invoice's payments card; a manual one can be deleted (R11)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from invoice_tui.domain.invoice_page import PaymentRow
from invoice_tui.widgets.tables import DataTable


class PaymentDetailModal(ModalScreen[str | None]):
    """Returns "delete" when the user asks to delete the (manual) payment, else None."""

    BINDINGS = [Binding("escape", "close", "Close", id="invoice.payment_detail.close"),
                Binding("d", "delete", "Delete payment", id="invoice.payment_detail.delete")]

    def __init__(self, payment: PaymentRow) -> None:
        super().__init__()
        self.payment = payment

    def compose(self) -> ComposeResult:
        p = self.payment
        with Vertical(id="payment-detail-dialog", classes="invoice-modal"):
            yield Label(f"Payment #{p.id}", classes="modal-title")
            yield DataTable(id="payment-detail", cursor_type="none", show_header=False)
            if p.source == "online":
                yield Static("Online payments are never deleted; they are refunded (R11).", classes="modal-hint")
            with Horizontal(classes="modal-buttons"):
                yield Button("Close", id="payment-detail-close")
                if p.source == "manual":
                    yield Button("Delete payment (d)", id="payment-detail-delete", variant="error")

    def on_mount(self) -> None:
        p = self.payment
        table = self.query_one(DataTable)
        table.add_columns("Property", "Value")
        for k, v in (("Amount", p.amount), ("Date", p.date), ("Method", p.method), ("Source", p.source),
                     ("State", p.state), ("Reference", p.reference or "—"), ("Note", p.note or "—"),
                     ("Contact", p.contact or "—")):
            table.add_row(k, v)
        self.query_one("#payment-detail-close", Button).focus()

    @on(Button.Pressed, "#payment-detail-delete")
    def action_delete(self) -> None:
        if self.payment.source == "manual":
            self.dismiss("delete")
        else:
            self.notify("Online payments are never deleted; they are refunded (R11).", severity="warning")

    @on(Button.Pressed, "#payment-detail-close")
    def action_close(self) -> None:
        self.dismiss(None)
