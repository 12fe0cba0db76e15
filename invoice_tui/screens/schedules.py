"""The Schedules screen (R49; ctrl+p "Schedules", or U on the index): every recurring schedule with its
next run and last result.

Keys: ``enter`` opens the invoice the schedule repeats · ``p`` pauses or resumes · ``x`` deletes
(the invoices it made stay) · ``u`` runs what is due now (the same job as ``invoice-tui run-due``)
· ``ctrl+r`` reloads · ``escape`` back. A schedule is made from an invoice's page (``R``).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from invoice_tui.domain import recurring
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.widgets.error_text import show_error
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.live import Live
from invoice_tui.widgets.palette import OpenScreenCommand
from invoice_tui.widgets.tables import DataTable

COLUMNS = ("ID", "From", "Every", "Mode", "State", "Next run", "Made")


def run_due_now(ctx) -> str:
    """``run-due`` from the screen: its report in one sentence."""
    from invoice_tui.domain.errors import EnvironmentFailure
    from invoice_tui.mail.automation import run_due
    from invoice_tui.mail.transport import transport_for

    try:
        transport = transport_for(ctx)
    except EnvironmentFailure:
        transport = None  # the invoices are made; emails wait in the outbox
    res = run_due(ctx, transport)
    made = len(res.schedules)
    parts = [f"{made} invoice(s) made" if made else "no invoice due",
             f"{len(res.sends)} planned email(s)" if res.sends else "",
             f"{len(res.dunning)} dunning level(s)" if res.dunning else "",
             f"{len(res.reminders.sent)} reminder(s) sent" if res.reminders and res.reminders.sent else "",
             f"{res.queued} email(s) wait in the outbox" if res.queued else ""]
    text = "Run due: " + ", ".join(p for p in parts if p) + "."
    return text + "".join(f"\nNot done: {e}" for e in res.errors)


def _every(r: dict) -> str:
    text = r["every"]
    if r["day"]:
        text += f" on {r['day']}"
    return text


class SchedulesScreen(Live, ServiceCalls, Screen[None]):
    BINDINGS = [
        Binding("enter", "open", "Open invoice", id="schedules.open"),
        Binding("p", "toggle", "Pause/resume", id="schedules.toggle"),
        Binding("x", "delete", "Delete", id="schedules.delete"),
        Binding("u", "run_due", "Run due", id="schedules.run_due"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="schedules.reload"),
        Binding("escape", "close", "Back", id="schedules.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the schedules…", id="schedules-status", markup=False)
        yield DataTable(id="schedules-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="schedules-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.action_reload()

    def changed_elsewhere(self, change) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.call_service(recurring.schedule_rows, self.app.ctx, done=self._show, group="schedules",
                          exclusive=True)

    def _show(self, rows: list[dict]) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for r in rows:
            table.add_row(f"#{r['id']}", r["template"] or "(deleted)", _every(r), r["mode"], r["state"],
                          r["next_run"] or "—", str(r["issued"]), key=str(r["id"]))
        if rows and keep is not None:
            table.move_cursor(row=min(keep, len(rows) - 1))
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["state"]] = counts.get(r["state"], 0) + 1
        self.query_one("#schedules-status", Static).update(
            "Schedules: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) if rows else
            "No schedule yet: open an invoice and press R to repeat it.")
        self._detail()
        table.focus()

    def _current(self) -> dict | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#schedules-table")
    def _detail(self) -> None:
        r = self._current()
        text = ""
        if r is not None:
            text = f"#{r['id']} {r['customer']}: {r['rule']}, from {r['start']}."
            if r["state"] == "paused":
                text += f" Paused (next period was {r['paused_next_run']})."
            text += f"\nLast result: {r['last_result'] or 'none yet'}"
        self.query_one("#schedules-detail", Static).update(text)

    @on(DataTable.RowSelected, "#schedules-table")
    def action_open(self) -> None:
        r = self._current()
        if r is not None and r["template"]:
            self.app.open_invoice(r["template_id"])

    def action_toggle(self) -> None:
        r = self._current()
        if r is None or r["state"] == "ended":
            return
        self.call_service(recurring.toggle_pause, self.app.ctx, r["id"], failed=self._failed,
                          done=lambda s: (self.notify(f"Schedule #{s.id} {'paused' if s.state == 'paused' else 'resumed'}."),
                                          self.action_reload()))

    def action_delete(self) -> None:
        from invoice_tui.modals.dialogs import ConfirmDialog

        r = self._current()
        if r is None:
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.call_service(recurring.delete_schedule, self.app.ctx, r["id"], failed=self._failed,
                                  done=lambda sid: (self.notify(f"Schedule #{sid} deleted."), self.action_reload()))

        self.app.push_screen(ConfirmDialog("Delete schedule", f"Delete schedule #{r['id']}? The invoices it made "
                                           "stay.", confirm="Delete", danger=True), confirmed)

    def action_run_due(self) -> None:
        self.call_service(run_due_now, self.app.ctx, failed=self._failed, group="schedules-run", exclusive=True,
                          done=lambda text: (self.notify(text, title="Schedules", timeout=8), self.action_reload()))

    def _failed(self, exc: InvoiceTuiError) -> None:
        show_error(self, exc, title="Not done")
        self.action_reload()

    def action_close(self) -> None:
        self.app.pop_screen()


class SchedulesCommands(OpenScreenCommand):
    """"Schedules: Open" in the command palette."""

    NAME = "Schedules: Open recurring invoices"
    HELP = "Recurring schedules with their next run and last result (R49)"

    def make_screen(self) -> SchedulesScreen:
        return SchedulesScreen()
