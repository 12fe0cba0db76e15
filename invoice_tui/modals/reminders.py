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
from invoice_tui.i18n import N_, _, ngettext, pgettext


@dataclass(frozen=True)
class ReminderRow:
    id: int
    due_on: str
    offset: str
    state: str


def upcoming(invoice_id: int, locale: str = "en_US") -> tuple[str, list[ReminderRow]]:
    from invoice_tui.domain.invoices import get_invoice, upcoming_reminders

    inv = get_invoice(invoice_id)

    def offset(days: int) -> str:
        if days == 0:
            return _("on the due date")
        if days < 0:
            return ngettext("{n} day before the due date", "{n} days before the due date", -days).format(n=-days)
        return ngettext("{n} day after the due date", "{n} days after the due date", days).format(n=days)

    from invoice_tui.domain.localize import short_date

    rows = [ReminderRow(r.id, short_date(r.due_on, locale), offset(r.offset_days), _reminder_state(r.state))
            for r in upcoming_reminders(inv)]
    return inv.number or _("Draft #{id}").format(id=inv.id), rows


def _reminder_state(state: str) -> str:
    return {"planned": pgettext("reminder", "planned"), "sent": pgettext("reminder", "sent"),
            "deleted": pgettext("reminder", "deleted"), "skipped": pgettext("reminder", "skipped"),
            "failed": pgettext("reminder", "failed")}.get(state, state)


def delete(ctx, reminder_id: int) -> int:
    from invoice_tui.domain.invoices import delete_reminder

    return delete_reminder(ctx, reminder_id).id


class RemindersModal(ServiceCalls, ModalScreen[None]):
    BINDINGS = [
        Binding("d", "delete", N_("Delete reminder"), id="reminders.delete"),
        Binding("delete", "delete", N_("Delete reminder"), show=False, id="reminders.delete_key"),
        Binding("escape", "close", N_("Close"), id="reminders.close"),
    ]

    def __init__(self, invoice_id: int) -> None:
        super().__init__()
        self.invoice_id = invoice_id
        self.rows: list[ReminderRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="reminders-dialog", classes="invoice-modal"):
            yield Label(_("Reminders"), id="reminders-title", classes="modal-title")
            yield DataTable(id="reminders-table", cursor_type="row")
            yield Static("", id="reminders-status", classes="modal-hint")
            with Horizontal(classes="modal-buttons"):
                yield Button(_("Delete reminder"), id="reminders-delete", variant="error")
                yield Button(_("Close"), id="reminders-close")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(_("Sends on"), _("When"), _("State"))
        self.reload()

    def reload(self) -> None:
        from invoice_tui.domain.localize import for_reader

        self.call_service(for_reader, self.app.ctx, upcoming, self.invoice_id, done=self._show,
                          group="reminders", exclusive=True)

    def _show(self, result: tuple[str, list[ReminderRow]]) -> None:
        number, rows = result
        self.rows = rows
        self.query_one("#reminders-title", Label).update(_("Reminders — {number}").format(number=number))
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            table.add_row(r.due_on, r.offset, r.state, key=str(r.id))
        self.query_one("#reminders-status", Static).update(
            _("d deletes the highlighted reminder · Escape closes") if rows else
            _("No upcoming reminder (paid and voided invoices get none; see reminder_offsets in the settings)."))
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

        self.app.push_screen(ConfirmDialog(_("Delete reminder"), _("Delete the reminder of {date} ({when})? "
                                                                   "It will not be sent.").format(date=row.due_on,
                                                                                                  when=row.offset),
                                           confirm=_("Delete"), danger=True), confirmed)

    def _deleted(self, row: ReminderRow) -> None:
        self.notify(_("Reminder of {date} deleted.").format(date=row.due_on), title=_("Reminders"))
        self.reload()

    @on(Button.Pressed, "#reminders-close")
    def action_close(self) -> None:
        self.dismiss(None)
