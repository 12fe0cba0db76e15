"""The audit from the TUI (R54): a super admin runs ``audit verify`` from the palette — both hash
chains walked, every object replayed against its history — with a progress bar, and reads the
findings in a table; ``enter`` opens the affected invoice."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.i18n import N_, _, ngettext
from invoice_tui.widgets.error_text import show_error
from invoice_tui.widgets.palette import OpenScreenCommand
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.tables import DataTable

# the finding's problem (``replay.Finding.problem``) in the table's short words
SHORT = {"differs": N_("differs"), "deleted without history": N_("deleted"),
         "inserted without history": N_("inserted"), "direct write": N_("direct"), "breaks R18": N_("breaks R18")}
# the kinds of object a finding names
OBJECTS = {"invoice": N_("invoice"), "payment": N_("payment"), "credit_entry": N_("credit movement"),
           "contact": N_("contact"), "company": N_("company"), "user": N_("user"), "schedule": N_("schedule"),
           "schedule_run": N_("schedule run"), "scheduled_send": N_("planned send"), "dunning": N_("dunning record")}
# what the progress line says while a stage of the audit runs
STAGE_LABELS = {"property_change": N_("Checking the property-change chain…"),
                "activity": N_("Checking the activity chain…"), "invoice": N_("Checking invoices…"),
                "payment": N_("Checking payments…"), "credit_entry": N_("Checking credit movements…"),
                "contact": N_("Checking contacts…"), "company": N_("Checking companies…"),
                "user": N_("Checking users…"), "schedule": N_("Checking schedules…"),
                "schedule_run": N_("Checking schedule runs…"), "scheduled_send": N_("Checking planned sends…"),
                "dunning": N_("Checking dunning records…"), "workspace": N_("Checking settings…")}


class AuditScreen(ServiceCalls, Screen[None]):
    BINDINGS = [
        Binding("enter", "open", N_("Open invoice"), id="audit.open"),
        Binding("ctrl+r", "run", N_("Run again"), id="audit.run"),
        Binding("escape", "close", N_("Back"), id="audit.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.findings: list = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="audit-status", markup=False)
        yield ProgressBar(id="audit-progress", show_eta=False)
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="audit-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(_("Object"), _("Property"), _("History says"), _("Row holds"),
                                              _("Problem"))
        self.action_run()

    def action_run(self) -> None:
        from invoice_tui.domain import audit

        bar = self.query_one(ProgressBar)
        self.stages = audit.stages()
        bar.update(total=len(self.stages), progress=0)
        self.query_one("#audit-status", Static).update(_("Checking the history…"))
        self.query_one(DataTable).clear()

        def progress(stage: str) -> None:  # from the worker's thread
            self.app.call_from_thread(self._stage, stage)

        self.call_service(audit.run_for, self.app.ctx, progress, done=self._show, failed=self._failed,
                          group="audit", exclusive=True)

    def _stage(self, stage: str) -> None:
        self.query_one(ProgressBar).update(progress=self.stages.index(stage))
        label = STAGE_LABELS.get(stage)
        self.query_one("#audit-status", Static).update(
            _(label) if label else _("Checking {what}…").format(what=stage))

    def _show(self, report) -> None:
        from invoice_tui.domain.text import safe

        self.query_one(ProgressBar).update(progress=self.query_one(ProgressBar).total)
        self.findings = list(report.findings)
        table = self.query_one(DataTable)
        for n, f in enumerate(self.findings):
            kind = _(OBJECTS[f.object_type]) if f.object_type in OBJECTS else f.object_type
            obj = _("setting") if f.object_type == "workspace" else f"{kind} {f.object_id}"
            problem = _(SHORT[f.problem]) if f.problem in SHORT else f.problem
            if f.by:
                problem += " " + _("by {role}").format(role=safe(f.by))
            table.add_row(obj, safe(f.property), safe(f.recorded or "—"), safe(f.current or "—"), problem,
                          key=str(n))
        broken = report.first_problem
        rows = sum(c.rows for c in report.chains)
        if report.ok:
            status = ngettext("Audit passed: {n} history row intact, every row is what its history says.",
                              "Audit passed: {n} history rows intact, every row is what its history says.",
                              rows).format(n=f"{rows:,}")
        elif broken is not None:
            status = _("The audit trail is broken: {problem}.").format(problem=broken.problem)
        else:
            total = report.findings_total
            if len(self.findings) == total:
                # the English says "finding(s)" whatever the count; a translation has its plural forms
                status = ngettext("{n} finding(s): rows that differ from their history. enter opens the invoice.",
                                  "{n} finding(s): rows that differ from their history. enter opens the invoice.",
                                  total).format(n=f"{total:,}")
            else:
                status = ngettext(
                    "{n} finding(s) (the first {shown}): rows that differ from their history. enter opens the "
                    "invoice.",
                    "{n} finding(s) (the first {shown}): rows that differ from their history. enter opens the "
                    "invoice.",
                    total).format(n=f"{total:,}", shown=f"{len(self.findings):,}")
        self.query_one("#audit-status", Static).update(status)
        self._detail()
        table.focus()

    def _current(self):
        table = self.query_one(DataTable)
        if not self.findings or table.cursor_row is None or table.cursor_row >= len(self.findings):
            return None
        return self.findings[table.cursor_row]

    @on(DataTable.RowHighlighted, "#audit-table")
    def _detail(self) -> None:
        f = self._current()
        self.query_one("#audit-detail", Static).update(f.sentence() if f else "")

    @on(DataTable.RowSelected, "#audit-table")
    def action_open(self) -> None:
        f = self._current()
        if f is None:
            return
        if f.invoice_id is None:
            self.notify(_("This finding concerns no invoice."), timeout=4)
            return
        self.app.open_invoice(f.invoice_id)

    def _failed(self, exc: InvoiceTuiError) -> None:
        self.query_one("#audit-status", Static).update("")
        show_error(self, exc, title=_("Audit not run"))

    def action_close(self) -> None:
        self.app.pop_screen()


class AuditCommands(OpenScreenCommand):
    """"Audit: Verify the history" in the command palette."""

    NAME = N_("Audit: Verify the history")
    HELP = N_("Walk the hash chains and replay every row against its history (super admin)")

    def make_screen(self) -> AuditScreen:
        return AuditScreen()
