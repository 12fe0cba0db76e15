"""Edit reminders (R33): the upcoming reminders of an invoice; ``d`` deletes the highlighted one
(with confirmation). Deleted reminders stay deleted even when the due date changes (R6)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.tables import DataTable


@dataclass(frozen=True)
class ReminderRow:
    id: int
    due_on: str
    offset: str
    state: str


def upcoming(invoice_id: int) -> tuple[str, list[ReminderRow]]:
    from invoice_tui.domain.invoices import get_invoice, upcoming_reminders

    inv = get_invoice(invoice_id)

    def offset(days: int) -> str:
        if days == 0:
            return "on the due date"
        return f"{abs(days)} day{'s' if abs(days) != 1 else ''} {'before' if days < 0 else 'after'} the due date"

    rows = [ReminderRow(r.id, r.due_on.isoformat(), offset(r.offset_days), r.state) for r in upcoming_reminders(inv)]
    return inv.number or f"Draft #{inv.id}", rows


def delete(ctx, reminder_id: int) -> int:
    from invoice_tui.domain.invoices import delete_reminder

    return delete_reminder(ctx, reminder_id).id


class RemindersModal(ServiceCalls, ModalScreen[None]):
    BINDINGS = [
        Binding("d", "delete", "Delete reminder", id="reminders.delete"),
        Binding("delete", "delete", "Delete reminder", show=False, id="reminders.delete_key"),
        Binding("escape", "close", "Close", id="reminders.close"),
    ]

    def __init__(self, invoice_id: int) -> None:
        super().__init__()
        self.invoice_id = invoice_id
        self.rows: list[ReminderRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="reminders-dialog", classes="invoice-modal"):
            yield Label("Reminders", id="reminders-title", classes="modal-title")
            yield DataTable(id="reminders-table", cursor_type="row")
            yield Static("", id="reminders-status", classes="modal-hint")
            with Horizontal(classes="modal-buttons"):
                yield Button("Delete reminder", id="reminders-delete", variant="error")
                yield Button("Close", id="reminders-close")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Sends on", "When", "State")
        self.reload()

    def reload(self) -> None:
        self.call_service(upcoming, self.invoice_id, done=self._show, group="reminders", exclusive=True)

    def _show(self, result: tuple[str, list[ReminderRow]]) -> None:
        number, rows = result
        self.rows = rows
        self.query_one("#reminders-title", Label).update(f"Reminders — {number}")
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            table.add_row(r.due_on, r.offset, r.state, key=str(r.id))
        self.query_one("#reminders-status", Static).update(
            "d deletes the highlighted reminder · Escape closes" if rows else
            "No upcoming reminder (paid and voided invoices get none; see reminder_offsets in the settings).")
        self.query_one("#reminders-delete", Button).disabled = not rows
        table.focus()

    @on(Button.Pressed, "#reminders-delete")
    def action_delete(self) -> None:
        from invoice_tui.modals.dialogs import ConfirmDialog

        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return
        row = self.rows[table.cursor_row]

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.call_service(delete, self.app.ctx, row.id, done=lambda _id: self._deleted(row),
                                  group="reminders-delete")

        self.app.push_screen(ConfirmDialog("Delete reminder", f"Delete the reminder of {row.due_on} ({row.offset})? "
                                           "It will not be sent.", confirm="Delete", danger=True), confirmed)

    def _deleted(self, row: ReminderRow) -> None:
        self.notify(f"Reminder of {row.due_on} deleted.", title="Reminders")
        self.reload()

    @on(Button.Pressed, "#reminders-close")
    def action_close(self) -> None:
        self.dismiss(None)
