"""One payment of the invoice's payments card; a manual one can be deleted (R11)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from invoice_tui.domain.invoice_page import PaymentRow, payment_method_word, payment_source_word, payment_state_word
from invoice_tui.widgets.tables import DataTable
from invoice_tui.i18n import N_, _


class PaymentDetailModal(ModalScreen[str | None]):
    """Returns "delete" when the user asks to delete the (manual) payment, else None."""

    BINDINGS = [Binding("escape", "close", N_("Close"), id="invoice.payment_detail.close"),
                Binding("d", "delete", N_("Delete payment"), id="invoice.payment_detail.delete")]

    def __init__(self, payment: PaymentRow) -> None:
        super().__init__()
        self.payment = payment

    def compose(self) -> ComposeResult:
        p = self.payment
        with Vertical(id="payment-detail-dialog", classes="invoice-modal"):
            yield Label(_("Payment #{id}").format(id=p.id), classes="modal-title")
            yield DataTable(id="payment-detail", cursor_type="none", show_header=False)
            if p.source == "online":
                yield Static(_("Online payments are never deleted; they are refunded (R11)."), classes="modal-hint")
            with Horizontal(classes="modal-buttons"):
                yield Button(_("Close"), id="payment-detail-close")
                if p.source == "manual":
                    yield Button(_("Delete payment (d)"), id="payment-detail-delete", variant="error")

    def on_mount(self) -> None:
        p = self.payment
        table = self.query_one(DataTable)
        table.add_columns(_("Property"), _("Value"))
        for k, v in ((_("Amount"), p.amount), (_("Date"), p.date), (_("Method"), payment_method_word(p.method)),
                     (_("Source"), payment_source_word(p.source)), (_("State"), payment_state_word(p.state)),
                     (_("Reference"), p.reference or "—"), (_("Note"), p.note or "—"),
                     (_("Contact"), p.contact or "—")):
            table.add_row(k, v)
        self.query_one("#payment-detail-close", Button).focus()

    @on(Button.Pressed, "#payment-detail-delete")
    def action_delete(self) -> None:
        if self.payment.source == "manual":
            self.dismiss("delete")
        else:
            self.notify(_("Online payments are never deleted; they are refunded (R11)."), severity="warning")

    @on(Button.Pressed, "#payment-detail-close")
    def action_close(self) -> None:
        self.dismiss(None)
