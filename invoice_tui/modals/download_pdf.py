"""Download PDF: ask where to write the invoice's PDF (default: ~/Downloads or the current folder,
named after the number), then write it with ``documents.pdf.invoice_pdf`` in a worker."""

from __future__ import annotations

import os
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from invoice_tui.widgets.error_text import error_content
from invoice_tui.widgets.invoice_inputs import FieldError
from invoice_tui.widgets.invoice_worker import ServiceCalls


def default_pdf_path(number: str) -> str:
    downloads = Path.home() / "Downloads"
    folder = downloads if downloads.is_dir() else Path(os.getcwd())
    return str(folder / f"{number}.pdf")


def pdf_target(invoice_id: int, path: str) -> Path:
    """The file ``path`` names (a folder: the invoice's number in it)."""
    from invoice_tui.domain.invoices import get_invoice

    target = Path(path).expanduser()
    if target.is_dir():
        target = target / f"{get_invoice(invoice_id).number}.pdf"
    return target


def write_pdf(invoice_id: int, path: str, overwrite: bool = False) -> str | Path:
    """Write the PDF; an existing file is kept unless ``overwrite`` (issue 24: Download asks
    first): then the existing file's path comes back as a ``Path`` for the dialog to ask."""
    from invoice_tui.domain.einvoice import document_pdf
    from invoice_tui.domain.invoices import get_invoice

    target = pdf_target(invoice_id, path)
    if target.exists() and not overwrite:
        return target
    return str(document_pdf(get_invoice(invoice_id), target))


class DownloadPdfModal(ServiceCalls, ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="invoice.pdf.cancel")]

    def __init__(self, invoice_id: int, number: str) -> None:
        super().__init__()
        self.invoice_id = invoice_id
        self.number = number

    def compose(self) -> ComposeResult:
        with Vertical(id="pdf-dialog", classes="invoice-modal"):
            yield Label(f"Download PDF — {self.number}", classes="modal-title", markup=False)
            yield Label("Write the PDF to")
            yield Input(default_pdf_path(self.number), id="pdf-path")
            yield FieldError(id="pdf-error", classes="form-error")
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel", id="pdf-cancel")
                yield Button("Write PDF", id="pdf-write", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#pdf-path", Input).focus()

    @on(Input.Submitted, "#pdf-path")
    @on(Button.Pressed, "#pdf-write")
    def write(self, overwrite: bool = False) -> None:
        path = self.query_one("#pdf-path", Input).value.strip()
        error = self.query_one("#pdf-error", FieldError)
        if not path:
            error.update("Type a file name, e.g. ~/INV-1001.pdf.")
            return
        error.update("Writing…")
        self.call_service(write_pdf, self.invoice_id, path, overwrite, done=self._written,
                          failed=lambda exc: error.update(error_content(exc)))

    def _written(self, result: str | Path) -> None:
        if isinstance(result, str):
            self.dismiss(result)
            return
        from invoice_tui.modals.dialogs import ConfirmDialog

        self.query_one("#pdf-error", FieldError).update("")

        def answered(ok: bool | None) -> None:
            if ok:
                self.write(overwrite=True)
            else:
                self.query_one("#pdf-error", FieldError).update("Not written: pick another file name.")

        self.app.push_screen(ConfirmDialog("Replace the file?", f"{result} already exists. Replace it?",
                                           confirm="Replace"), answered)

    @on(Button.Pressed, "#pdf-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
