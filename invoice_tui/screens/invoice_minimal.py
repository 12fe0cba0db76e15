"""Fallbacks used by the index while the full invoice screen or editor is not installed:
a read-only view of one invoice and a minimal "new draft" form (currency + billing contact, R1)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from invoice_tui.db import database
from invoice_tui.domain import invoices as invoice_service
from invoice_tui.domain import people
from invoice_tui.domain.errors import InvoiceTuiError


class MinimalInvoiceScreen(Screen[None]):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back", id="invoice_minimal.back")]
    DEFAULT_CSS = """
    MinimalInvoiceScreen #minimal-body { padding: 1 2; }
    """

    def __init__(self, invoice_id: int) -> None:
        super().__init__()
        self.invoice_id = invoice_id

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="minimal-body"):
            yield Static("Loading…", id="minimal-invoice", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False)
    def load(self) -> None:
        ctx = self.app.ctx  # type: ignore[attr-defined]
        try:
            with database.connection_context():
                invoice_service.require(ctx, "view")
                inv = invoice_service.get_invoice(self.invoice_id)
                record = invoice_service.invoice_record(inv, ctx.today())
        except InvoiceTuiError as exc:
            text = exc.message
        else:
            width = max(len(k) for k in record if k != "tax_breakdown")
            text = "\n".join(f"{k.ljust(width)}  {'' if v is None else v}" for k, v in record.items()
                             if k != "tax_breakdown")
        self.app.call_from_thread(self.query_one("#minimal-invoice", Static).update, text)


class NewDraftModal(ModalScreen[int | None]):
    """R1: a draft needs only a currency. Returns the new invoice's id, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="new_draft.cancel")]
    DEFAULT_CSS = """
    NewDraftModal { align: center middle; }
    NewDraftModal > Vertical { width: 60; max-width: 95%; height: auto; border: thick $primary;
        background: $surface; padding: 1 2; }
    NewDraftModal #new-error { color: $text-error; height: auto; }
    NewDraftModal #new-buttons { height: auto; align-horizontal: right; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("New invoice (draft)")
            yield Input(placeholder="Currency, e.g. EUR", id="new-currency")
            yield Select([], prompt="Billing contact (optional)", id="new-contact")
            yield Static("", id="new-error")
            with Horizontal(id="new-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create", id="create", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#new-currency", Input).focus()
        self.load_contacts()

    @work(thread=True, exit_on_error=False)
    def load_contacts(self) -> None:
        try:
            with database.connection_context():
                from invoice_tui.domain.settings import load_settings

                contacts = [(f"{c.display_name} <{c.email}>", c.id) for c in people.list_contacts(limit=200)]
                currency = load_settings().default_currency
        except InvoiceTuiError:
            return
        self.app.call_from_thread(self._fill, contacts, currency)

    def _fill(self, contacts, currency: str) -> None:
        self.query_one("#new-contact", Select).set_options(contacts)
        box = self.query_one("#new-currency", Input)
        if not box.value:
            box.value = currency

    @on(Button.Pressed, "#create")
    @on(Input.Submitted, "#new-currency")
    def _create(self) -> None:
        contact = self.query_one("#new-contact", Select).value
        data = {"currency": self.query_one("#new-currency", Input).value}
        if isinstance(contact, int):
            data["contact_id"] = contact
        self.create(data)

    @work(thread=True, exit_on_error=False)
    def create(self, data: dict) -> None:
        try:
            with database.connection_context():
                inv = invoice_service.create_invoice(self.app.ctx, data)  # type: ignore[attr-defined]
        except InvoiceTuiError as exc:
            self.app.call_from_thread(self.query_one("#new-error", Static).update, exc.message)
            return
        self.app.call_from_thread(self.dismiss, inv.id)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
