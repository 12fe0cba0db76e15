"""The invoice's actions menu (`a`): exactly R4's actions for a draft and R5's for the status,
each enabled or shown disabled with the reason (R6, R12, R13, R17, or "not available yet")."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from invoice_tui.domain.invoices import ActionState
from invoice_tui.i18n import N_, _

# The actions' names (``domain.invoices.ACTION_LABELS`` holds them in English), for the catalog.
ACTION_TITLES = {
    "edit": N_("Edit"), "finalize": N_("Finalize"), "record_payment": N_("Record payment"),
    "view_invoice": N_("View invoice"), "property_history": N_("View property history"),
    "copy_link": N_("Copy link"), "send_email": N_("Send by email"), "download_pdf": N_("Download PDF"),
    "edit_reminders": N_("Edit reminders"), "charge": N_("Charge saved payment method"), "clone": N_("Clone"),
    "delete": N_("Delete"), "void": N_("Void"), "credit_note": N_("Create credit note"),
    "cancel_replace": N_("Cancel and replace"), "issue": N_("Issue credit note"),
}


def action_title(action_id: str, label: str = "") -> str:
    """An action's name in the reader's language."""
    return _(ACTION_TITLES.get(action_id) or label or action_id)

# The keys the invoice screen binds directly (shown beside the action in the menu).
ACTION_KEYS = {"edit": "e", "record_payment": "p", "send_email": "s"}


def _choosable(a: ActionState) -> bool:
    """Enabled, or a finalize refused for missing legal data (R2, R43): choosing it opens the seller
    profile (the first finalize walks the user through it) or says what is missing."""
    return a.enabled or (a.id == "finalize" and getattr(a.error, "code", "") == "invoice.legal_data_missing")


class ActionsModal(ModalScreen[str | None]):
    """Pick an action; returns its id (only enabled ones can be chosen) or None on Escape."""

    BINDINGS = [Binding("escape", "dismiss_none", N_("Close"), id="invoice.actions.close")]

    def __init__(self, title: str, actions: list[ActionState]) -> None:
        super().__init__()
        self.menu_title = title
        self.actions = actions

    def compose(self) -> ComposeResult:
        with Vertical(id="actions-dialog", classes="invoice-modal"):
            yield Label(_("Actions — {label}").format(label=self.menu_title), classes="modal-title", markup=False)
            yield OptionList(*self._options(), id="actions-list")
            yield Static(_("Enter runs the action · Escape closes"), classes="modal-hint")

    def _options(self) -> list[Option]:
        options = []
        for a in self.actions:
            prompt = Text(action_title(a.id, a.label), style="bold" if a.enabled else "")
            key = ACTION_KEYS.get(a.id)
            if key:
                prompt.append(f"  ({key})", style="dim")
            if not a.enabled:
                prompt.append(f"\n  {a.reason}", style="italic")
            options.append(Option(prompt, id=a.id, disabled=not _choosable(a)))
        return options

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self._highlight_first()

    def _highlight_first(self, keep: str | None = None) -> None:
        option_list = self.query_one(OptionList)
        ids = [a.id for a in self.actions if _choosable(a)]
        if ids:
            option_list.highlighted = option_list.get_option_index(keep if keep in ids else ids[0])

    def set_actions(self, actions: list[ActionState]) -> None:
        """The invoice changed while the menu is open (e.g. voided elsewhere): show its actions now."""
        if [(a.id, a.enabled, a.reason) for a in actions] == [(a.id, a.enabled, a.reason) for a in self.actions]:
            return
        option_list = self.query_one(OptionList)
        highlighted = option_list.highlighted
        keep = option_list.get_option_at_index(highlighted).id if highlighted is not None else None
        self.actions = actions
        option_list.clear_options()
        option_list.add_options(self._options())
        self._highlight_first(keep)

    @on(OptionList.OptionSelected, "#actions-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
