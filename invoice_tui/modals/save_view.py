"""Save the current view under a name (R21): ``SaveViewModal`` returns ``SaveViewInput`` or None."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.views import check_name
from invoice_tui.i18n import N_, _
from invoice_tui.widgets.error_text import error_content
from invoice_tui.widgets.toggles import Checkbox  # issue 24: its state in a glyph


@dataclass
class SaveViewInput:
    name: str
    shared: bool


class SaveViewModal(ModalScreen[SaveViewInput | None]):
    DEFAULT_CSS = """
    SaveViewModal { align: center middle; }
    SaveViewModal > #save-dialog { width: 56; max-width: 95%; height: auto; border: thick $primary;
        background: $surface; padding: 1 2; }
    SaveViewModal #save-title { text-style: bold; margin-bottom: 1; }
    SaveViewModal #save-error { color: $text-error; height: auto; }
    SaveViewModal #save-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    SaveViewModal #save-buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="save_view.cancel")]

    def __init__(self, title: str = "", name: str = "", shared: bool = False,
                 *, can_share: bool = True, show_shared: bool = True) -> None:
        super().__init__()
        self.title_text = title or _("Save view as")
        self.initial_name = name
        self.initial_shared = shared
        self.can_share = can_share
        self.show_shared = show_shared

    def compose(self) -> ComposeResult:
        with Vertical(id="save-dialog"):
            yield Label(self.title_text, id="save-title", markup=False)
            yield Input(self.initial_name, placeholder=_("View name"), id="save-name")
            yield Static("", id="save-error")
            if self.show_shared:
                yield Checkbox(_("Share with the team"), self.initial_shared, id="save-shared",
                               disabled=not self.can_share)
            with Horizontal(id="save-buttons"):
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("Save"), id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#save-name", Input).focus()

    def _submit(self) -> None:
        name = self.query_one("#save-name", Input).value
        try:
            name = check_name(name)
        except InvoiceTuiError as exc:
            self.query_one("#save-error", Static).update(error_content(exc))
            return
        shared = self.query_one("#save-shared", Checkbox).value if self.show_shared else self.initial_shared
        self.dismiss(SaveViewInput(name, shared))

    @on(Input.Submitted, "#save-name")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        self._submit()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
