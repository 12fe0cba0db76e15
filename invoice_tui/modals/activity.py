"""Create an activity from the history card (R16): a note, or a task with a due date."""

from __future__ import annotations

import datetime as dt

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from invoice_tui.domain import invoices as invoice_service
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.widgets.error_text import error_content
from invoice_tui.widgets.invoice_inputs import IsoDate, parse_date
from invoice_tui.widgets.invoice_inputs import FieldError
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.i18n import N_, _


class ActivityModal(ServiceCalls, ModalScreen[str | None]):
    """``kind`` is "note" or "task". Returns a sentence for the notification, None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="invoice.activity.cancel"),
                Binding("ctrl+s", "save", N_("Save"), id="invoice.activity.save", priority=True)]

    def __init__(self, invoice_id: int, kind: str, today: dt.date) -> None:
        super().__init__()
        self.invoice_id = invoice_id
        self.kind = kind
        self.today = today

    def compose(self) -> ComposeResult:
        with Vertical(id="activity-dialog", classes="invoice-modal"):
            yield Label(_("New note") if self.kind == "note" else _("New task"), classes="modal-title")
            if self.kind == "note":
                yield TextArea(id="activity-text")
            else:
                yield Label(_("Task"))
                yield Input(id="activity-text", placeholder=_("e.g. Call the customer about the PO"))
                yield Label(_("Due date"))
                yield Input((self.today + dt.timedelta(days=7)).isoformat(), id="activity-due",
                            validators=[IsoDate(optional=True)])
            yield FieldError(id="activity-error", classes="form-error")
            with Horizontal(classes="modal-buttons"):
                yield Button(_("Cancel"), id="activity-cancel")
                yield Button(_("Save (ctrl+s)"), id="activity-save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#activity-text").focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#activity-save")
    def action_save(self) -> None:
        error = self.query_one("#activity-error", Static)
        ctx = self.app.ctx
        if self.kind == "note":
            text = self.query_one("#activity-text", TextArea).text
            self.call_service(invoice_service.add_note, ctx, self.invoice_id, text,
                              done=lambda _a: self.dismiss(_("Note added.")), failed=lambda e: error.update(error_content(e)))
            return
        text = self.query_one("#activity-text", Input).value
        due_text = self.query_one("#activity-due", Input).value
        try:
            due = parse_date(due_text, what=_("due date")) if due_text.strip() else None
        except InvoiceTuiError as exc:
            error.update(error_content(exc))
            return
        self.call_service(invoice_service.add_task, ctx, self.invoice_id, text, due,
                          done=lambda _a: self.dismiss(_("Task added.")), failed=lambda e: error.update(error_content(e)))

    @on(Button.Pressed, "#activity-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
