"""Download PDF: ask where to write a PDF — an invoice's (``einvoice.document_pdf``) or a statement
of account's (``documents.pdf.statement_pdf``); default: ~/Downloads or the current folder, named
after the document — then write it in a worker, asking before an existing file is replaced."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from invoice_tui.widgets.error_text import error_content
from invoice_tui.widgets.invoice_inputs import FieldError
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.i18n import N_, _


def default_pdf_path(number: str) -> str:
    downloads = Path.home() / "Downloads"
    folder = downloads if downloads.is_dir() else Path(os.getcwd())
    return str(folder / f"{number}.pdf")


def pdf_target(invoice_id: int, path: str) -> Path:
    """The file ``path`` names (a folder: the invoice's number in it)."""
    from invoice_tui.domain.invoices import get_invoice

    return _target(path, lambda: f"{get_invoice(invoice_id).number}.pdf")


def _target(path: str, name: Callable[[], str]) -> Path:
    target = Path(path).expanduser()
    return target / name() if target.is_dir() else target


def _write_new(target: Path, overwrite: bool, write: Callable[[Path], object]) -> str | Path:
    """``write`` the file; an existing file is kept unless ``overwrite`` (issue 24: Download asks
    first): then the existing file's path comes back as a ``Path`` for the dialog to ask."""
    if target.exists() and not overwrite:
        return target
    return str(write(target))


def write_pdf(invoice_id: int, path: str, overwrite: bool = False) -> str | Path:
    """The invoice's PDF as every face hands it out (Factur-X once the seller profile is complete)."""
    from invoice_tui.domain.einvoice import document_pdf
    from invoice_tui.domain.invoices import get_invoice

    return _write_new(pdf_target(invoice_id, path), overwrite,
                      lambda target: document_pdf(get_invoice(invoice_id), target))


def statement_file_name(statements) -> str:
    as_of = statements[0].as_of.isoformat() if statements else "today"
    return f"statement-{as_of}.pdf"


def write_statement_pdf(statements, path: str, overwrite: bool = False) -> str | Path:
    """A statement of account's PDF (issue 27)."""
    from invoice_tui.documents.pdf import statement_pdf

    return _write_new(_target(path, lambda: statement_file_name(statements)), overwrite,
                      lambda target: statement_pdf(statements, target))


class DownloadPdfModal(ServiceCalls, ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="invoice.pdf.cancel")]

    def __init__(self, name: str, writer: Callable[[str, bool], str | Path]) -> None:
        """``name``: the document's (its file is ``name``.pdf by default); ``writer(path, overwrite)``
        writes it (``write_pdf`` or ``write_statement_pdf`` with their document)."""
        super().__init__()
        self.number = name
        self.writer = writer

    def compose(self) -> ComposeResult:
        with Vertical(id="pdf-dialog", classes="invoice-modal"):
            yield Label(_("Download PDF — {name}").format(name=self.number), classes="modal-title", markup=False)
            yield Label(_("Write the PDF to"))
            yield Input(default_pdf_path(self.number), id="pdf-path")
            yield FieldError(id="pdf-error", classes="form-error")
            with Horizontal(classes="modal-buttons"):
                yield Button(_("Cancel"), id="pdf-cancel")
                yield Button(_("Write PDF"), id="pdf-write", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#pdf-path", Input).focus()

    @on(Input.Submitted, "#pdf-path")
    @on(Button.Pressed, "#pdf-write")
    def write(self, overwrite: bool = False) -> None:
        path = self.query_one("#pdf-path", Input).value.strip()
        error = self.query_one("#pdf-error", FieldError)
        if not path:
            error.update(_("Type a file name, e.g. ~/INV-1001.pdf."))
            return
        error.update(_("Writing…"))
        self.call_service(self.writer, path, overwrite, done=self._written,
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
                self.query_one("#pdf-error", FieldError).update(_("Not written: pick another file name."))

        self.app.push_screen(ConfirmDialog(_("Replace the file?"), _("{path} already exists. Replace it?").format(
            path=result), confirm=_("Replace")), answered)

    @on(Button.Pressed, "#pdf-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
