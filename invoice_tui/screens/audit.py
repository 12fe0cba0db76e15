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
from invoice_tui.widgets.error_text import show_error
from invoice_tui.widgets.palette import OpenScreenCommand
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.tables import DataTable

SHORT = {"deleted without history": "deleted", "inserted without history": "inserted", "direct write": "direct"}
STAGE_LABELS = {"property_change": "property-change chain", "activity": "activity chain", "workspace": "settings",
                "credit_entry": "credit movements", "company": "companies", "schedule_run": "schedule runs",
                "scheduled_send": "planned sends", "dunning": "dunning records"}


class AuditScreen(ServiceCalls, Screen[None]):
    BINDINGS = [
        Binding("enter", "open", "Open invoice", id="audit.open"),
        Binding("ctrl+r", "run", "Run again", id="audit.run"),
        Binding("escape", "close", "Back", id="audit.close"),
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
        self.query_one(DataTable).add_columns("Object", "Property", "History says", "Row holds", "Problem")
        self.action_run()

    def action_run(self) -> None:
        from invoice_tui.domain import audit

        bar = self.query_one(ProgressBar)
        self.stages = audit.stages()
        bar.update(total=len(self.stages), progress=0)
        self.query_one("#audit-status", Static).update("Checking the history…")
        self.query_one(DataTable).clear()

        def progress(stage: str) -> None:  # from the worker's thread
            self.app.call_from_thread(self._stage, stage)

        self.call_service(audit.run_for, self.app.ctx, progress, done=self._show, failed=self._failed,
                          group="audit", exclusive=True)

    def _stage(self, stage: str) -> None:
        self.query_one(ProgressBar).update(progress=self.stages.index(stage))
        self.query_one("#audit-status", Static).update(f"Checking {STAGE_LABELS.get(stage, stage + 's')}…")

    def _show(self, report) -> None:
        from invoice_tui.domain.text import safe

        self.query_one(ProgressBar).update(progress=self.query_one(ProgressBar).total)
        self.findings = list(report.findings)
        table = self.query_one(DataTable)
        for n, f in enumerate(self.findings):
            obj = "setting" if f.object_type == "workspace" else f"{f.object_type} {f.object_id}"
            problem = SHORT.get(f.problem, f.problem) + (f" by {safe(f.by)}" if f.by else "")
            table.add_row(obj, safe(f.property), safe(f.recorded or "—"), safe(f.current or "—"), problem,
                          key=str(n))
        broken = report.first_problem
        rows = sum(c.rows for c in report.chains)
        if report.ok:
            status = f"Audit passed: {rows:,} history rows intact, every row is what its history says."
        elif broken is not None:
            status = f"The audit trail is broken: {broken.problem}."
        else:
            shown = "" if len(self.findings) == report.findings_total else f" (the first {len(self.findings):,})"
            status = (f"{report.findings_total:,} finding(s){shown}: rows that differ from their history. "
                      "enter opens the invoice.")
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
            self.notify("This finding concerns no invoice.", timeout=4)
            return
        self.app.open_invoice(f.invoice_id)

    def _failed(self, exc: InvoiceTuiError) -> None:
        self.query_one("#audit-status", Static).update("")
        show_error(self, exc, title="Audit not run")

    def action_close(self) -> None:
        self.app.pop_screen()


class AuditCommands(OpenScreenCommand):
    """"Audit: Verify the history" in the command palette."""

    NAME = "Audit: Verify the history"
    HELP = "Walk the hash chains and replay every row against its history (super admin)"

    def make_screen(self) -> AuditScreen:
        return AuditScreen()
