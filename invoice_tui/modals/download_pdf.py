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


def write_pdf(invoice_id: int, path: str) -> str:
    from invoice_tui.domain.einvoice import document_pdf
    from invoice_tui.domain.invoices import get_invoice

    target = Path(path).expanduser()
    if target.is_dir():
        inv = get_invoice(invoice_id)
        target = target / f"{inv.number}.pdf"
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
    def write(self) -> None:
        path = self.query_one("#pdf-path", Input).value.strip()
        error = self.query_one("#pdf-error", FieldError)
        if not path:
            error.update("Type a file name, e.g. ~/INV-1001.pdf.")
            return
        error.update("Writing…")
        self.call_service(write_pdf, self.invoice_id, path, done=self.dismiss,
                          failed=lambda exc: error.update(error_content(exc)))

    @on(Button.Pressed, "#pdf-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
