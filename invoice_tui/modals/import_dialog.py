"""The Import dialog (R52): "Import: Bring in contacts, companies, invoices or payments" in the palette.

1. Choose what the file holds, its path and (optionally) its locale and a saved mapping; "Read
   file" reads the header and the first rows.
2. Each field shows the column it is mapped to (matched by header in any of the export's four
   languages, or from the saved mapping) and can be changed by hand; the preview shows the first
   rows as mapped.
3. "Dry run" checks every row and lists each bad one (row, column, sentence), writing nothing;
   "Import" writes all rows in one transaction, or nothing when a row is bad. A progress bar
   follows the rows read. "Save mapping" keeps the mapping under a name for the next file.

Keys: ctrl+r reads the file, ctrl+t runs the dry run, ctrl+e imports, Escape closes (or cancels a
running import). Every step calls the import service (``invoice_tui.imports.service``) in a worker thread.
"""

from __future__ import annotations

import threading
import time

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from rich.text import Text
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from invoice_tui.domain.errors import BadInput, InvoiceTuiError
from invoice_tui.domain.text import safe
from invoice_tui.exports.objects import FIELDS, OBJECTS
from invoice_tui.imports import reader
from invoice_tui.imports.service import (ImportCancelled, ImportReport, auto_map, get_mapping, list_mappings,
                                         run_import, save_mapping)
from invoice_tui.i18n import N_, _, language, ngettext
from invoice_tui.widgets.error_text import error_content
from invoice_tui.widgets.invoice_inputs import FieldError
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.palette import OpenScreenCommand
from invoice_tui.widgets.tables import DataTable

OBJECT_NAMES = {"contacts": N_("Contacts"), "companies": N_("Companies"), "invoices": N_("Invoices (one row per line)"),
                "payments": N_("Payments")}
# what an import made, in a sentence ("3 contacts, 1 matched")
OBJECT_WORDS = {"contacts": N_("contacts"), "companies": N_("companies"), "invoices": N_("invoices"),
                "payments": N_("payments")}
NOT_MAPPED = ""
PREVIEW_ROWS = 3


def _read(path: str, obj: str, profile: str | None):
    """Worker: the file's header and first rows, and the mapping to start from."""
    header, rows = reader.preview(path, PREVIEW_ROWS)
    if profile:
        import json

        saved = get_mapping(obj, profile)
        return header, rows, json.loads(saved.columns), saved.locale
    return header, rows, auto_map(obj, header), None


class ImportDialog(ServiceCalls, ModalScreen[ImportReport | None]):
    """Import a CSV or XLSX file (R52)."""

    DEFAULT_CSS = """
    ImportDialog { align: center middle; }
    #import-dialog { width: 80; max-width: 100%; height: 100%; max-height: 24; border: thick $primary;
                     background: $surface; padding: 0 1; }
    #import-form { height: 1fr; }
    #import-form Label { color: $text-muted; }
    .import-row { height: 3; }
    .import-row > * { width: 1fr; }
    #import-object { width: 34; }
    #import-mapping { height: auto; }
    .import-map { height: 3; }
    .import-map > Label { width: 26; padding: 1 1 0 0; }
    .import-map > Select { width: 1fr; }
    #import-preview { height: auto; max-height: 6; }
    #import-errors { height: auto; max-height: 6; }
    #import-progress { height: 1; }
    #import-status { height: auto; max-height: 2; }
    #import-buttons { height: 3; align-horizontal: right; }
    #import-buttons Button { min-width: 10; margin: 0 0 0 1; }
    #import-mapping-name { width: 18; }
    """

    # issue 24: the shortcuts work from every field; priority, so that the focused Input does
    # not take ctrl+e as "end of line" first
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="import.cancel"),
                Binding("ctrl+r", "read", N_("Read the file"), id="import.read", priority=True),
                Binding("ctrl+t", "dry_run", N_("Dry run"), id="import.dry_run", priority=True),
                Binding("ctrl+e", "start", N_("Import"), id="import.start", priority=True)]

    class Progress(Message):
        def __init__(self, rows: int, fraction: float) -> None:
            super().__init__()
            self.rows = rows
            self.fraction = fraction

    def __init__(self, obj: str = "contacts", path: str = "") -> None:
        super().__init__()
        self.obj = obj
        self.initial_path = path
        self.header: list[str] = []
        self.cancel_event = threading.Event()
        self.running = False
        self._last = 0.0

    def compose(self) -> ComposeResult:
        with Vertical(id="import-dialog"):
            yield Label(_("Import — CSV or XLSX, all rows or none (R52)"), id="import-title")
            with Horizontal(classes="import-row import-top"):
                yield Select([(_(OBJECT_NAMES[o]), o) for o in OBJECTS], value=self.obj, allow_blank=False,
                             id="import-object")
                yield Input(self.initial_path, id="import-file", placeholder=_("file: /path/to/file.csv or .xlsx"))
            with Horizontal(classes="import-row import-top"):
                yield Input("", id="import-locale", placeholder=_("locale, e.g. fr_FR (default ISO)"))
                yield Select([], prompt=_("saved mapping: none"), id="import-profile")
            yield FieldError(id="import-file-error")
            with VerticalScroll(id="import-form"):
                yield Label(_("Preview (first rows as mapped)"), id="import-preview-label")
                yield DataTable(id="import-preview", cursor_type="none", zebra_stripes=True)
                yield Vertical(id="import-mapping")
            yield DataTable(id="import-errors", cursor_type="row")
            yield ProgressBar(total=1.0, show_eta=False, id="import-progress")
            yield Static("", id="import-status", markup=False)
            yield FieldError(id="import-error", classes="form-error")
            with Horizontal(id="import-buttons"):
                yield Input("", id="import-mapping-name", placeholder=_("mapping name"))
                yield Button(_("Save"), id="import-save")
                yield Button(_("Read"), id="import-read")
                yield Button(_("Dry run"), id="import-dry-run")
                yield Button(_("Import"), id="import-start", variant="primary")
                yield Button(_("Close"), id="import-cancel")

    def on_mount(self) -> None:
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-errors", DataTable).display = False
        self.query_one("#import-preview", DataTable).display = False
        self.query_one("#import-preview-label").display = False
        self.query_one("#import-file", Input).focus()
        self._load_profiles()

    # ---- saved mappings ------------------------------------------------------------------------
    def _load_profiles(self) -> None:
        self.call_service(lambda obj: [m.name for m in list_mappings(obj)], self.obj, done=self._profiles,
                          group="import-profiles", exclusive=True)

    def _profiles(self, names: list[str]) -> None:
        self.query_one("#import-profile", Select).set_options([(n, n) for n in names])

    @on(Select.Changed, "#import-object")
    def _object_changed(self, event: Select.Changed) -> None:
        if event.value != self.obj:
            self.obj = str(event.value)
            self._load_profiles()
            if self.header:
                self.action_read()

    @on(Select.Changed, "#import-profile")
    def _profile_changed(self) -> None:
        if self.header:
            self.action_read()

    # ---- reading the file ----------------------------------------------------------------------
    @on(Button.Pressed, "#import-read")
    @on(Input.Submitted, "#import-file")
    @on(Input.Submitted, "#import-locale")
    def action_read(self) -> None:
        self.query_one("#import-file-error", FieldError).update("")
        path = self.query_one("#import-file", Input).value.strip()
        if not path:
            self.query_one("#import-file-error", FieldError).update(_("Give the path of a .csv or .xlsx file."))
            return
        profile = self.query_one("#import-profile", Select).value
        profile = None if profile is Select.NULL else str(profile)
        self.call_service(_read, path, self.obj, profile, done=self._file_read, failed=self._file_failed,
                          group="import-read", exclusive=True)

    def _file_failed(self, error: InvoiceTuiError) -> None:
        self.query_one("#import-file-error", FieldError).update(error_content(error))

    def _file_read(self, result) -> None:
        header, rows, mapping, locale = result
        self.header = header
        self.rows = rows
        if locale:
            self.query_one("#import-locale", Input).value = locale
        box = self.query_one("#import-mapping", Vertical)
        box.remove_children()
        options = [(Text(safe(h, line=True)), h) for h in dict.fromkeys(header) if h]  # R55: never markup
        widgets = []
        for f in FIELDS[self.obj]:
            value = mapping.get(f.id)
            sel = Select(options, value=value if value in header else Select.NULL, prompt=_("— not imported —"),
                         id=f"import-map-{f.id}")
            widgets.append(Horizontal(Label(f.label(language()) + (" *" if f.required else ""), markup=False), sel,
                                      classes="import-map"))
        box.mount_all(widgets)
        mapped = sum(1 for f in FIELDS[self.obj] if mapping.get(f.id) in header)
        self.query_one("#import-status", Static).update(
            ngettext("{n} column; {mapped} mapped. Change any field's column, then Dry run.",
                     "{n} columns; {mapped} mapped. Change any field's column, then Dry run.", len(header)).format(
                n=len(header), mapped=mapped))
        self.call_after_refresh(self._show_preview)

    def mapping(self) -> dict[str, str]:
        out = {}
        for f in FIELDS[self.obj]:
            try:
                value = self.query_one(f"#import-map-{f.id}", Select).value
            except Exception:  # noqa: BLE001 - not read yet
                continue
            if value is not Select.NULL and value:
                out[f.id] = str(value)
        return out

    @on(Select.Changed, ".import-map Select")
    def _show_preview(self) -> None:
        if not self.header:
            return
        table = self.query_one("#import-preview", DataTable)
        table.clear(columns=True)
        mapping = self.mapping()
        index = {h: i for i, h in reversed(list(enumerate(self.header)))}
        fields = [f for f in FIELDS[self.obj] if f.id in mapping]
        for f in fields:
            table.add_column(f.en, key=f.id)
        for n, cells in self.rows:
            table.add_row(*[(cells[index[mapping[f.id]]] if index[mapping[f.id]] < len(cells) else "")[:30]
                            for f in fields], label=str(n))
        table.display = bool(fields)
        self.query_one("#import-preview-label").display = bool(fields)

    # ---- dry run and import --------------------------------------------------------------------
    @on(Button.Pressed, "#import-dry-run")
    def action_dry_run(self) -> None:
        self._run(dry_run=True)

    @on(Button.Pressed, "#import-start")
    def action_start(self) -> None:
        self._run(dry_run=False)

    def _run(self, dry_run: bool) -> None:
        if self.running:
            return
        self.query_one("#import-error", FieldError).update("")
        if not self.header:
            self.query_one("#import-file-error", FieldError).update(_("Read the file first."))
            return
        self.running = True
        self.cancel_event.clear()
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=1.0, progress=0)
        self._busy(True)
        self.query_one("#import-status", Static).update(_("Checking every row…") if dry_run else _("Importing…"))
        ctx = self.app.ctx  # type: ignore[attr-defined]
        path = self.query_one("#import-file", Input).value.strip()
        locale = self.query_one("#import-locale", Input).value.strip()
        self.call_service(self._import, ctx, path, self.mapping(), locale, dry_run, done=self._done,
                          failed=self._failed, group="import", exclusive=True)

    def _busy(self, busy: bool) -> None:
        self.query_one("#import-form").disabled = busy
        for row in self.query(".import-top"):
            row.disabled = busy

    def _import(self, ctx, path, mapping, locale, dry_run) -> ImportReport | None:
        try:
            return run_import(ctx, self.obj, path, mapping=mapping, locale=locale, dry_run=dry_run,
                              progress=self._post_progress, cancel=self.cancel_event)
        except ImportCancelled:
            return None

    def _post_progress(self, rows: int, fraction: float) -> None:
        now = time.monotonic()
        if fraction >= 1.0 or now - self._last >= 0.25:
            self._last = now
            self.post_message(self.Progress(rows, fraction))

    def on_import_dialog_progress(self, message: Progress) -> None:
        self.query_one("#import-progress", ProgressBar).update(total=1.0, progress=message.fraction)
        self.query_one("#import-status", Static).update(_("{n} rows read — Escape cancels").format(n=f"{message.rows:,}"))

    def _done(self, report: ImportReport | None) -> None:
        self.running = False
        self._busy(False)
        status = self.query_one("#import-status", Static)
        if report is None:
            status.update(_("Cancelled; nothing was written."))
            return
        self.report = report
        errors = self.query_one("#import-errors", DataTable)
        errors.clear(columns=True)
        if not report.ok:
            errors.add_columns(_("Row"), _("Column"), _("Problem"))
            for e in report.errors[:500]:
                errors.add_row(str(e.row), e.column, e.message)
            errors.display = True
            status.update(ngettext("{n} bad row(s) in {rows}; nothing was written. Fix the file and try again.",
                                   "{n} bad row(s) in {rows}; nothing was written. Fix the file and try again.",
                                   report.error_count).format(n=f"{report.error_count:,}", rows=f"{report.rows:,}"))
            return
        errors.display = False
        what = f"{report.created:,} {_(OBJECT_WORDS.get(report.object, report.object))}" + (
            ", " + _("{n} matched").format(n=f"{report.matched:,}") if report.matched else "")
        if report.dry_run:
            status.update(_("Dry run: all {rows} rows are good; Import would add {what}.").format(
                rows=f"{report.rows:,}", what=what))
            return
        status.update(_("Imported {what} from {rows} rows.").format(what=what, rows=f"{report.rows:,}"))
        self.app.notify(_("Imported {what}.").format(what=what), title=_("Import done"), timeout=10)

    def _failed(self, error: InvoiceTuiError) -> None:
        self.running = False
        self._busy(False)
        self.query_one("#import-status", Static).update("")
        self.query_one("#import-error", FieldError).update(error_content(error))

    # ---- saving the mapping --------------------------------------------------------------------
    @on(Button.Pressed, "#import-save")
    def action_save(self) -> None:
        name = self.query_one("#import-mapping-name", Input).value.strip()
        if not name:
            self._failed(BadInput(_("Give the mapping a name first."), field="name"))
            return
        ctx = self.app.ctx  # type: ignore[attr-defined]
        self.call_service(save_mapping, ctx, name, self.obj, self.mapping(),
                          self.query_one("#import-locale", Input).value.strip(),
                          done=lambda m: (self.query_one("#import-status", Static).update(
                              _("Mapping '{name}' saved for {object}.").format(name=m.name, object=_(OBJECT_WORDS.get(m.object, m.object)))), self._load_profiles()),
                          failed=self._failed, group="import-save")

    # ---- closing -------------------------------------------------------------------------------
    @on(Button.Pressed, "#import-cancel")
    def action_cancel(self) -> None:
        if self.running:
            self.cancel_event.set()
            self.query_one("#import-status", Static).update(_("Cancelling…"))
            return
        self.dismiss(getattr(self, "report", None))


class ImportCommands(OpenScreenCommand):
    """"Import: Bring in contacts, companies, invoices or payments" in the command palette."""

    NAME = N_("Import: Bring in contacts, companies, invoices or payments")
    HELP = N_("From a CSV or XLSX file: columns matched by header, a dry run, all rows or none (R52)")

    def make_screen(self) -> ImportDialog:
        return ImportDialog()


__all__ = ["ImportDialog", "ImportCommands"]
