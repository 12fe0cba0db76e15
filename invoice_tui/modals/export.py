"""The export dialog (R22): ``x`` on the index, or "Invoices: Export…" in the palette.

It exports what the index shows — the current filters, quick search and sort, and either the
view's columns or every property — as CSV or XLSX, with column headers (and choice values) in
English, French, German or Spanish, optionally with lists of associated contacts, companies,
payments and line items. The export runs in a thread worker (the UI stays responsive); a
progress bar shows rows done / total; Escape or the Cancel button stops it, and a cancelled export
leaves no file behind. At the end a notification gives the file's full path, and the folder is
remembered for the user's next export.

The dialog returns the :class:`ExportResult`, or None when closed or cancelled.
"""

from __future__ import annotations

import contextlib

import sys
import threading
import time

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static
from textual.widgets.select import InvalidSelectValueError

from invoice_tui.domain import catalogue
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.filters import FilterSet
from invoice_tui.i18n import N_, _, language, ngettext
from invoice_tui.exports.service import (DEFAULT_ASSOCIATION_LIMIT, ExportCancelled, ExportOptions, ExportResult,
                                         default_folder, default_name, last_choices, remember_choices,
                                         remember_folder, run_export)
from invoice_tui.widgets.error_text import error_content
from invoice_tui.widgets.invoice_inputs import FieldError
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.toggles import Checkbox  # issue 24: its state in a glyph

LANGUAGE_NAMES = {"en": "English", "fr": "Français", "de": "Deutsch", "es": "Español"}
ASSOCIATION_NAMES = {"contacts": N_("Contacts"), "companies": N_("Companies"), "payments": N_("Payments"),
                     "line_items": N_("Line items")}


PROGRESS_EVERY = 0.25  # seconds between progress updates: each one repaints the dialog
EXPORT_SWITCH_INTERVAL = 0.02


def progress_text(done: int, total: int, seconds: float) -> str:
    """``12,000 / 100,000 rows · 41,000 rows/s · 3 s left``."""
    text = _("{done} / {total} rows").format(done=f"{done:,}", total=f"{total:,}")
    if done and seconds > 0:
        rate = done / seconds
        text += " · " + _("{rate} rows/s").format(rate=f"{rate:,.0f}")
        if total > done:
            left = (total - done) / rate
            text += " · " + (_("{seconds} s left").format(seconds=f"{left:.0f}") if left < 120
                             else _("{minutes} min left").format(minutes=f"{left / 60:.0f}"))
    return text


def _count(n: int) -> str:
    """``n`` grouped as the reader's language writes it ("1,000", "1 000")."""
    from babel.numbers import format_decimal

    try:
        return format_decimal(n, locale=language())
    except Exception:  # noqa: BLE001 - a language babel does not know (the tests' pseudo-locale)
        return f"{n:,}"


class LongerSwitches:
    """While an export runs, Python switches threads every 20 ms instead of 5 ms.

    The export's worker thread gives up the GIL at every row it reads (sqlite3 does, around each
    step); whenever the UI thread is busy (repainting the progress), the worker then waited up to
    5 ms per row to get it back — a 100k-row export took 1.9× as long as the same export from
    the CLI. With longer slices the UI still repaints the dialog several times a second."""

    def __init__(self) -> None:
        self.previous: float | None = None

    def hold(self) -> None:
        if self.previous is None:
            self.previous = sys.getswitchinterval()
            sys.setswitchinterval(max(self.previous, EXPORT_SWITCH_INTERVAL))

    def release(self) -> None:
        if self.previous is not None:
            sys.setswitchinterval(self.previous)
            self.previous = None


class ExportDialog(ServiceCalls, ModalScreen[ExportResult | None]):
    """Export the current view (R22)."""

    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="export.cancel"),
        # priority: the shortcut works from every field (an Input takes ctrl+e as "end of line", issue 24)
        Binding("ctrl+e", "start", N_("Export"), id="export.start", priority=True),
    ]

    class Progress(Message):
        """Rows done / total, posted by the export worker."""

        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

    def __init__(self, filters: FilterSet | None = None, sort: str | None = None, columns: list[str] | None = None,
                 view_name: str | None = None, search: str = "", *, folder: str | None = None,
                 sheet_row_limit: int | None = None, batch_size: int | None = None) -> None:
        super().__init__()
        self.filters = filters.copy() if filters is not None else FilterSet()
        self.sort = sort
        self.columns = list(columns) if columns else list(catalogue.DEFAULT_COLUMNS)
        self.view_name = view_name
        self.search = search or ""
        self.initial_folder = folder
        self.tuning = {k: v for k, v in (("sheet_row_limit", sheet_row_limit), ("batch_size", batch_size)) if v}
        self.cancel_event = threading.Event()
        self.running = False
        self._last_progress = self._started = 0.0
        self._switch = LongerSwitches()

    # ---- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        ctx = self.app.ctx  # type: ignore[attr-defined]
        what = self.view_name or _("All invoices")
        summary = self.filters.summary() if self.filters.count else _("no filters")
        if self.search:
            summary = _("{filters}, search “{search}”").format(filters=summary, search=self.search)
        with Vertical(id="export-dialog"):
            yield Label(_("Export — {view} ({filters})").format(view=what, filters=summary), id="export-title",
                        markup=False)
            with VerticalScroll(id="export-form"):
                yield Label(_("Export name (the file name)"))
                yield Input(default_name(self.view_name, ctx.today()), id="export-name", compact=True)
                with Horizontal(classes="export-row"):
                    with Vertical():
                        yield Label(_("Format"))
                        yield Select([(_("CSV"), "csv"), (_("Excel (XLSX)"), "xlsx")], value="csv", allow_blank=False, compact=True,
                                     id="export-format")
                    with Vertical():
                        yield Label(_("Column headers"))
                        # each language by its own name; the reader's language first chosen
                        yield Select([(name, code) for code, name in LANGUAGE_NAMES.items()],
                                     value=language() if language() in LANGUAGE_NAMES else "en",
                                     allow_blank=False, compact=True, id="export-lang")
                    with Vertical():
                        yield Label(_("Status and other choices"))
                        yield Select([(_("Translated labels"), "labels"), (_("Internal values"), "internal")],
                                     value="labels", allow_blank=False, compact=True, id="export-values")
                with Horizontal(classes="export-row"):
                    with Vertical():
                        yield Label(_("Properties"))
                        yield Select([(_("This view's columns ({n})").format(n=len(self.columns)), "view"),
                                      (_("All properties ({n})").format(n=len(catalogue.PROPERTIES)), "all")],
                                     value="view", allow_blank=False, compact=True, id="export-properties")
                    with Vertical():
                        yield Label(_("Associated records per invoice"))
                        yield Select([(_("Up to {n}").format(n=_count(DEFAULT_ASSOCIATION_LIMIT)), "capped"),
                                      (_("All"), "all")],
                                     value="capped", allow_blank=False, compact=True, id="export-assoc-limit")
                yield Label(_("Include the names of associated"))
                with Horizontal(classes="export-row", id="export-assocs"):
                    for key, name in ASSOCIATION_NAMES.items():
                        yield Checkbox(_(name), False, id=f"export-assoc-{key}", compact=True)
                yield Label(_("Destination folder"))
                yield Input(self.initial_folder or "", id="export-folder", placeholder=_("the current directory"),
                            compact=True)
                yield FieldError(id="export-folder-error")
            yield ProgressBar(total=None, show_eta=False, id="export-progress")
            yield Static("", id="export-status", markup=False)
            yield FieldError(id="export-error", classes="form-error")
            with Horizontal(id="export-buttons"):
                yield Button(_("Cancel"), id="export-cancel", compact=True)
                yield Button(_("Export ctrl+e"), id="export-start", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#export-progress", ProgressBar).display = False
        self.query_one("#export-name", Input).focus()
        ctx = self.app.ctx  # type: ignore[attr-defined]
        if not self.initial_folder:
            self.call_service(default_folder, ctx, done=self._folder_loaded, group="export-folder")
        self.call_service(last_choices, ctx, done=self._choices_loaded, group="export-choices")

    def _choices_loaded(self, choices: dict) -> None:
        """The user's last choices (issue 24), where they are still among the options."""
        for key in ("format", "lang", "values", "properties"):
            value = choices.get(key)
            select = self.query_one(f"#export-{key}", Select)
            if value is not None:
                with contextlib.suppress(InvalidSelectValueError):  # no longer an option: the default
                    select.value = value
        if choices.get("association_limit") in ("capped", "all"):
            self.query_one("#export-assoc-limit", Select).value = choices["association_limit"]
        for key in ASSOCIATION_NAMES:
            if "associations" in choices:
                self.query_one(f"#export-assoc-{key}", Checkbox).value = key in choices["associations"]

    def _folder_loaded(self, folder: str) -> None:
        field = self.query_one("#export-folder", Input)
        if not field.value:
            field.value = folder

    # ---- the form ------------------------------------------------------------------------------
    def options(self) -> ExportOptions:
        assocs = [key for key in ASSOCIATION_NAMES if self.query_one(f"#export-assoc-{key}", Checkbox).value]
        return ExportOptions(
            format=self.query_one("#export-format", Select).value,
            name=self.query_one("#export-name", Input).value,
            lang=self.query_one("#export-lang", Select).value,
            values=self.query_one("#export-values", Select).value,
            properties=self.query_one("#export-properties", Select).value,
            view_name=self.view_name, columns=self.columns, filters=self.filters, sort=self.sort,
            search=self.search, associations=assocs,
            association_limit=None if self.query_one("#export-assoc-limit", Select).value == "all"
            else DEFAULT_ASSOCIATION_LIMIT,
            folder=self.query_one("#export-folder", Input).value.strip() or None, **self.tuning)

    @on(Button.Pressed, "#export-start")
    @on(Input.Submitted)
    def action_start(self) -> None:
        if self.running:
            return
        for error in ("#export-error", "#export-folder-error"):
            self.query_one(error, FieldError).update("")
        try:
            options = self.options()
        except InvoiceTuiError as exc:
            self.query_one("#export-error", FieldError).update(error_content(exc))
            return
        except ValueError as exc:
            self.query_one("#export-error", FieldError).update(str(exc))
            return
        self.running = True
        self.cancel_event.clear()
        self._started = time.monotonic()
        self._set_busy(True)
        self._switch.hold()
        self.query_one("#export-status", Static).update(_("Counting invoices…"))
        ctx = self.app.ctx  # type: ignore[attr-defined]
        self.call_service(self._export, ctx, options, done=self._exported, failed=self._failed,
                          group="export", exclusive=True)

    def _export(self, ctx, options: ExportOptions) -> ExportResult | None:
        """Runs in the worker thread; None when the user cancelled (a normal outcome)."""
        try:
            result = run_export(ctx, options, progress=self._post_progress, cancel=self.cancel_event)
        except ExportCancelled:
            return None
        remember_folder(ctx, result.path.parent)
        remember_choices(ctx, {"format": options.format, "lang": options.lang, "values": options.values,
                               "properties": options.properties, "associations": list(options.associations),
                               "association_limit": "all" if options.association_limit is None else "capped"})
        return result

    def _post_progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == 0 or done >= total or now - self._last_progress >= PROGRESS_EVERY:
            self._last_progress = now
            self.post_message(self.Progress(done, total))

    def on_export_dialog_progress(self, message: Progress) -> None:
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=max(message.total, 1), progress=message.done)
        self.query_one("#export-status", Static).update(
            progress_text(message.done, message.total, time.monotonic() - self._started)
            + (" — " + _("Escape cancels") if self.running else ""))

    def _exported(self, result: ExportResult | None) -> None:
        self.running = False
        self._switch.release()
        if result is None:
            self.app.notify(ExportCancelled().message, title=_("Export cancelled"), severity="warning")
            self.dismiss(None)
            return
        rows = f"{result.rows:,}"
        if result.sheets > 1:
            done = ngettext("Exported {n} invoice on {sheets} sheets to {path}",
                            "Exported {n} invoices on {sheets} sheets to {path}", result.rows)
        else:
            done = ngettext("Exported {n} invoice to {path}", "Exported {n} invoices to {path}", result.rows)
        self.app.notify(done.format(n=rows, sheets=result.sheets, path=result.path), title=_("Export done"),
                        timeout=12)
        if result.truncated_cells:
            self.app.notify(ngettext("{n} association cell was longer than Excel's 32,767 characters and was cut; "
                                     "export CSV for the full lists.",
                                     "{n} association cells were longer than Excel's 32,767 characters and were cut; "
                                     "export CSV for the full lists.", result.truncated_cells).format(
                                n=result.truncated_cells), severity="warning", timeout=12)
        self.dismiss(result)

    def _failed(self, error: InvoiceTuiError) -> None:
        self.running = False
        self._switch.release()
        self._set_busy(False)
        self.query_one("#export-status", Static).update("")
        target = "#export-folder-error" if error.field in ("folder", "out") else "#export-error"
        self.query_one(target, FieldError).update(error_content(error))

    def _set_busy(self, busy: bool) -> None:
        self.query_one("#export-form").disabled = busy
        self.query_one("#export-start", Button).disabled = busy
        bar = self.query_one("#export-progress", ProgressBar)
        bar.display = busy
        if busy:
            bar.update(total=None, progress=0)

    def on_unmount(self) -> None:
        self._switch.release()

    # ---- cancel --------------------------------------------------------------------------------
    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        if self.running:
            self.cancel_event.set()
            self.query_one("#export-status", Static).update(_("Cancelling…"))
            return
        self.dismiss(None)


__all__ = ["ExportDialog", "LANGUAGE_NAMES"]
