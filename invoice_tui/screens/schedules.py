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
from invoice_tui.i18n import N_, _, ngettext, pgettext
from invoice_tui.widgets.error_text import show_error
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.live import Live
from invoice_tui.widgets.palette import OpenScreenCommand
from invoice_tui.widgets.tables import DataTable

COLUMNS = (N_("ID"), N_("From"), N_("Every"), N_("Mode"), N_("State"), N_("Next run"), N_("Made"))


def mode_label(mode: str) -> str:
    """A schedule's mode (``recurring.MODES``) as the table shows it."""
    labels = {"draft": pgettext("schedule mode", "draft"), "finalize": pgettext("schedule mode", "finalize"),
              "send": pgettext("schedule mode", "send")}
    return labels.get(mode, mode)


def state_label(state: str) -> str:
    """A schedule's state (``recurring.STATES``) as the table shows it."""
    labels = {"active": pgettext("schedule state", "active"), "paused": pgettext("schedule state", "paused"),
              "ended": pgettext("schedule state", "ended")}
    return labels.get(state, state)


def _state_count(state: str, n: int) -> str:
    """"2 active", "1 paused" (a count agrees with its word in some languages)."""
    if state == "active":
        return ngettext("{n} active", "{n} active", n).format(n=n)
    if state == "paused":
        return ngettext("{n} paused", "{n} paused", n).format(n=n)
    if state == "ended":
        return ngettext("{n} ended", "{n} ended", n).format(n=n)
    return f"{n} {state}"


def describe(r: dict) -> str:
    """A schedule's rule in the reader's language ("every month on the last day, 12 invoices, until
    2027-01-31"), from its record (``recurring.schedule_record``)."""
    every, unit = int(r["every"][:-1]), r["every"][-1]
    words = {"d": ngettext("every day", "every {n} days", every), "w": ngettext("every week", "every {n} weeks", every),
             "m": ngettext("every month", "every {n} months", every), "y": ngettext("every year", "every {n} years", every)}
    text = words.get(unit, r["every"]).format(n=every)
    if unit in ("m", "y") and r["day"]:
        text += " " + (_("on the last day") if r["day"] == "last" else _("on day {day}").format(day=r["day"]))
    if r.get("count") is not None:
        text += ", " + ngettext("{n} invoice", "{n} invoices", r["count"]).format(n=r["count"])
    if r.get("end_on"):
        text += ", " + _("until {date}").format(date=r["end_on"])
    return text


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
    sent = len(res.reminders.sent) if res.reminders and res.reminders.sent else 0
    parts = [ngettext("{n} invoice(s) made", "{n} invoice(s) made", made).format(n=made) if made
             else _("no invoice due"),
             ngettext("{n} planned email(s)", "{n} planned email(s)", len(res.sends)).format(n=len(res.sends))
             if res.sends else "",
             ngettext("{n} dunning level(s)", "{n} dunning level(s)", len(res.dunning)).format(n=len(res.dunning))
             if res.dunning else "",
             ngettext("{n} reminder(s) sent", "{n} reminder(s) sent", sent).format(n=sent) if sent else "",
             ngettext("{n} email(s) wait in the outbox", "{n} email(s) wait in the outbox", res.queued).format(
                 n=res.queued) if res.queued else ""]
    text = _("Run due:") + " " + ", ".join(p for p in parts if p) + "."
    return text + "".join("\n" + _("Not done: {reason}").format(reason=e) for e in res.errors)


def _every(r: dict) -> str:
    if not r["day"]:
        return r["every"]
    if r["day"] == "last":
        return _("{every} on last").format(every=r["every"])
    return _("{every} on {day}").format(every=r["every"], day=r["day"])


class SchedulesScreen(Live, ServiceCalls, Screen[None]):
    BINDINGS = [
        Binding("enter", "open", N_("Open invoice"), id="schedules.open"),
        Binding("p", "toggle", N_("Pause/resume"), id="schedules.toggle"),
        Binding("x", "delete", N_("Delete"), id="schedules.delete"),
        Binding("u", "run_due", N_("Run due"), id="schedules.run_due"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="schedules.reload"),
        Binding("escape", "close", N_("Back"), id="schedules.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Loading the schedules…"), id="schedules-status", markup=False)
        yield DataTable(id="schedules-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="schedules-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*(_(c) for c in COLUMNS))
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
            table.add_row(f"#{r['id']}", r["template"] or _("(deleted)"), _every(r),
                          mode_label(r["mode"]), state_label(r["state"]),
                          r["next_run"] or "—", str(r["issued"]), key=str(r["id"]))
        if rows and keep is not None:
            table.move_cursor(row=min(keep, len(rows) - 1))
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["state"]] = counts.get(r["state"], 0) + 1
        self.query_one("#schedules-status", Static).update(
            _("Schedules:") + " " + ", ".join(_state_count(state, n) for state, n in sorted(counts.items()))
            if rows else _("No schedule yet: open an invoice and press R to repeat it."))
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
            text = f"#{r['id']} {r['customer']}: {describe(r)}, " + _("from {date}.").format(date=r["start"])
            if r["state"] == "paused":
                text += " " + _("Paused (next period was {date}).").format(date=r["paused_next_run"])
            text += "\n" + _("Last result:") + " " + (r["last_result"] or _("none yet"))
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
                          done=lambda s: (self.notify(_("Schedule #{id} paused.").format(id=s.id) if s.state == "paused"
                                                      else _("Schedule #{id} resumed.").format(id=s.id)),
                                          self.action_reload()))

    def action_delete(self) -> None:
        from invoice_tui.modals.dialogs import ConfirmDialog

        r = self._current()
        if r is None:
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.call_service(recurring.delete_schedule, self.app.ctx, r["id"], failed=self._failed,
                                  done=lambda sid: (self.notify(_("Schedule #{id} deleted.").format(id=sid)),
                                                    self.action_reload()))

        message = _("Delete schedule #{id}? The invoices it made stay.").format(id=r["id"])
        self.app.push_screen(ConfirmDialog(_("Delete schedule"), message, confirm=_("Delete"), danger=True), confirmed)

    def action_run_due(self) -> None:
        self.call_service(run_due_now, self.app.ctx, failed=self._failed, group="schedules-run", exclusive=True,
                          done=lambda text: (self.notify(text, title=_("Schedules"), timeout=8), self.action_reload()))

    def _failed(self, exc: InvoiceTuiError) -> None:
        show_error(self, exc, title=_("Not done"))
        self.action_reload()

    def action_close(self) -> None:
        self.app.pop_screen()


class SchedulesCommands(OpenScreenCommand):
    """"Schedules: Open" in the command palette."""

    NAME = N_("Schedules: Open recurring invoices")
    HELP = N_("Recurring schedules with their next run and last result (R49)")

    def make_screen(self) -> SchedulesScreen:
        return SchedulesScreen()
