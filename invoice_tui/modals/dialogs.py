"""The one dialog family of invoice-tui: confirm, typed-confirm, error, info.

Every dialog is a ``ModalScreen``; Escape cancels (a confirm returns ``False``, the others
``None``). Use them with ``push_screen(dialog, callback)`` or, inside a worker,
``await push_screen_wait(dialog)``::

    from invoice_tui.modals.dialogs import ConfirmDialog, TypedConfirmDialog, ErrorDialog, InfoDialog

    def after(ok: bool | None) -> None:
        if ok:
            ...
    self.app.push_screen(ConfirmDialog("Delete view", "Delete the view 'Overdue'?", confirm="Delete",
                                       danger=True), after)
    self.app.push_screen(TypedConfirmDialog("Void invoice", "Voiding is irreversible (R13).",
                                            expected_text="INV-1001"), after)
    self.app.push_screen(error_dialog(exc, "Cannot void"))
    self.app.push_screen(InfoDialog("Exported", "Wrote 12 invoices to invoices.csv"))

``error_dialog(exc)`` builds an ErrorDialog from a domain exception (its sentence and the TUI's remedy,
``widgets.error_text``; no traceback).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from invoice_tui.i18n import N_, _

__all__ = ["ConfirmDialog", "TypedConfirmDialog", "ReasonDialog", "ErrorDialog", "InfoDialog", "error_dialog"]

_DIALOG_CSS = """
Dialog {
    align: center middle;
}
Dialog > #dialog {
    width: 64;
    max-width: 95%;
    height: auto;
    max-height: 90%;
    padding: 1 2;
    border: thick $primary;
    background: $surface;
}
Dialog.-danger > #dialog, Dialog.-error > #dialog {
    border: thick $error;
}
Dialog #dialog-title {
    text-style: bold;
    width: 1fr;
    margin-bottom: 1;
}
Dialog #dialog-message {
    width: 1fr;
    height: auto;
    max-height: 20;
    overflow-y: auto;
}
Dialog #dialog-input {
    margin-top: 1;
}
Dialog #dialog-hint {
    color: $text-muted;
    width: 1fr;  /* issue 24: a long refusal wraps inside the dialog instead of being cut */
    height: auto;
}
Dialog #dialog-buttons {
    height: auto;
    margin-top: 1;
    align-horizontal: right;
}
Dialog #dialog-buttons Button {
    margin-left: 1;
}
"""


class Dialog(ModalScreen):
    """Base of the family: a title, a message, buttons; Escape cancels."""

    DEFAULT_CSS = _DIALOG_CSS
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="dialog.cancel")]
    cancel_result: object = None

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.dialog_title = title
        self.message = message

    def compose_body(self) -> ComposeResult:
        yield from ()

    def compose_buttons(self) -> ComposeResult:
        yield Button(_("OK"), id="ok", variant="primary")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.dialog_title, id="dialog-title", markup=False)
            yield Static(self.message, id="dialog-message", markup=False)
            yield from self.compose_body()
            with Horizontal(id="dialog-buttons"):
                yield from self.compose_buttons()

    def on_mount(self) -> None:
        self.focus_first()

    def focus_first(self) -> None:
        self.query_one("#dialog-buttons Button").focus()

    def action_cancel(self) -> None:
        self.dismiss(self.cancel_result)


class ConfirmDialog(Dialog, ModalScreen[bool]):
    """Ask yes/no. Returns True when confirmed, False when cancelled (button or Escape)."""

    cancel_result = False

    def __init__(self, title: str, message: str, *, confirm: str | None = None, cancel: str | None = None,
                 danger: bool = False) -> None:
        """``confirm`` and ``cancel``: the buttons' words, already in the reader's language ("Yes" and
        "Cancel" when not given)."""
        super().__init__(title, message)
        self.confirm_label = confirm or _("Yes")
        self.cancel_label = cancel or _("Cancel")
        if danger:
            self.add_class("-danger")

    def compose_buttons(self) -> ComposeResult:
        yield Button(self.cancel_label, id="cancel")
        yield Button(self.confirm_label, id="confirm", variant="error" if self.has_class("-danger") else "primary")

    def focus_first(self) -> None:
        # the safe choice has the focus: Enter right away does nothing harmful
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)


class TypedConfirmDialog(Dialog, ModalScreen[bool]):
    """For irreversible actions: the user types ``expected_text`` (e.g. the invoice number)
    before the confirm button is enabled. Returns True only when confirmed with the exact text."""

    cancel_result = False

    def __init__(self, title: str, message: str, expected_text: str, *, confirm: str | None = None,
                 cancel: str | None = None) -> None:
        super().__init__(title, message)
        self.expected_text = expected_text
        self.confirm_label = confirm or _("Confirm")
        self.cancel_label = cancel or _("Cancel")
        self.add_class("-danger")

    def compose_body(self) -> ComposeResult:
        yield Label(self._hint(), id="dialog-hint", markup=False)
        yield Input(placeholder=self.expected_text, id="dialog-input")

    def _hint(self) -> str:
        return _("Type {text} to confirm:").format(text=self.expected_text)

    def compose_buttons(self) -> ComposeResult:
        yield Button(self.cancel_label, id="cancel")
        yield Button(self.confirm_label, id="confirm", variant="error", disabled=True)

    def focus_first(self) -> None:
        self.query_one("#dialog-input", Input).focus()

    @on(Input.Changed, "#dialog-input")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value.strip() != self.expected_text
        # issue 24: the refusal was about what was typed before; the hint comes back
        self.query_one("#dialog-hint", Label).update(self._hint())

    @on(Input.Submitted, "#dialog-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.expected_text:
            self.dismiss(True)
        else:
            self.query_one("#dialog-hint", Label).update(
                _("That is not {text}; type it exactly to confirm, or press Escape.").format(text=self.expected_text))

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        if self.query_one("#dialog-input", Input).value.strip() == self.expected_text:
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)


class ReasonDialog(Dialog, ModalScreen[str | None]):
    """For an irreversible action that needs a reason (a credit note's, R36): the confirm button is
    enabled once a reason is typed. Returns the reason, or None when cancelled."""

    cancel_result = None

    def __init__(self, title: str, message: str, *, confirm: str | None = None, cancel: str | None = None,
                 placeholder: str | None = None) -> None:
        super().__init__(title, message)
        self.confirm_label = confirm or _("Confirm")
        self.cancel_label = cancel or _("Cancel")
        self.placeholder = placeholder or _("Reason")
        self.add_class("-danger")

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder=self.placeholder, id="dialog-input")

    def compose_buttons(self) -> ComposeResult:
        yield Button(self.cancel_label, id="cancel")
        yield Button(self.confirm_label, id="confirm", variant="error", disabled=True)

    def focus_first(self) -> None:
        self.query_one("#dialog-input", Input).focus()

    @on(Input.Changed, "#dialog-input")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = not event.value.strip()

    @on(Input.Submitted, "#dialog-input")
    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        reason = self.query_one("#dialog-input", Input).value.strip()
        if reason:
            self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class ErrorDialog(Dialog, ModalScreen[None]):
    """Show why something failed (a sentence the user can act on). Returns None."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(title, message)
        self.add_class("-error")

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(None)


class InfoDialog(Dialog, ModalScreen[None]):
    """Tell the user something that needs acknowledging. Returns None."""

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(None)


def error_dialog(exc: BaseException, title: str | None = None) -> ErrorDialog:
    """An ErrorDialog for a domain exception (its sentence and the TUI's remedy) or any other error."""
    from invoice_tui.widgets.error_text import error_text

    return ErrorDialog(title or _("Cannot do that"), error_text(exc))
