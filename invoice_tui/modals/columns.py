"""Edit the index's columns (any catalogue property; reorder; remove) and pick the sort.

``ColumnsModal(columns)`` returns the new ordered list of catalogue ids, or None (Escape).
``SortModal(columns, sort)`` returns a sort such as ``"-due_date"``, or None.
Columns without a database index are marked: sorting on them is slower on large workspaces.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from invoice_tui.domain import catalogue
from invoice_tui.i18n import N_, _

_CSS = """
ColumnsModal, SortModal { align: center middle; }
ColumnsModal > #columns-dialog { width: 90; max-width: 98%; height: 90%; max-height: 30;
    border: thick $primary; background: $surface; padding: 0 1; }
SortModal > #sort-dialog { width: 50; max-width: 95%; height: 80%; max-height: 30;
    border: thick $primary; background: $surface; padding: 0 1; }
ColumnsModal .dialog-title, SortModal .dialog-title { text-style: bold; height: 1; }
ColumnsModal #columns-lists { height: 1fr; }
ColumnsModal #columns-lists > Vertical { width: 1fr; }
ColumnsModal OptionList, SortModal OptionList { height: 1fr; }
ColumnsModal .hint, SortModal .hint { color: $text-muted; height: auto; }
ColumnsModal #columns-buttons { height: auto; align-horizontal: right; }
ColumnsModal #columns-buttons Button { margin-left: 1; }
"""


def _note(prop: catalogue.Property) -> str:
    if not prop.sortable:
        return " " + _("(not sortable)")
    if not prop.indexed:
        return " " + _("(no index: sorts slower)")
    return ""


class ColumnsModal(ModalScreen[list[str] | None]):
    DEFAULT_CSS = _CSS
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="columns.cancel"),
        Binding("ctrl+s", "apply", N_("Apply"), id="columns.apply", priority=True),
        Binding("shift+up,K", "move(-1)", N_("Move up"), id="columns.up"),
        Binding("shift+down,J", "move(1)", N_("Move down"), id="columns.down"),
        Binding("delete,x,minus", "remove", N_("Remove"), id="columns.remove"),
        Binding("ctrl+r", "reset", N_("Defaults"), id="columns.reset"),
    ]

    def __init__(self, columns: list[str]) -> None:
        super().__init__()
        self.columns = [c for c in columns if c in catalogue.BY_ID]

    def compose(self) -> ComposeResult:
        with Vertical(id="columns-dialog"):
            yield Label(_("Edit columns"), classes="dialog-title")
            with Horizontal(id="columns-lists"):
                with Vertical():
                    yield Label(_("Shown, in order"))
                    yield OptionList(id="shown")
                with Vertical():
                    yield Label(_("Add (Enter)"))
                    yield OptionList(id="available")
            yield Static(_("Shown: shift+↑/↓ or K/J move · x or Delete remove · Available: Enter adds · "
                           "ctrl+s applies · Escape cancels"), classes="hint")
            with Horizontal(id="columns-buttons"):
                yield Button(_("Defaults"), id="reset")
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("Apply"), id="apply", variant="primary")

    def on_mount(self) -> None:
        self._fill()
        self.query_one("#shown", OptionList).focus()

    def _fill(self, highlight: int | None = None) -> None:
        shown = self.query_one("#shown", OptionList)
        avail = self.query_one("#available", OptionList)
        shown.clear_options()
        shown.add_options([Option(Content(catalogue.get(c).label() + _note(catalogue.get(c))), id=c)
                           for c in self.columns])
        avail.clear_options()
        avail.add_options([Option(Content(p.label() + _note(p)), id=p.id) for p in catalogue.PROPERTIES
                           if p.id not in self.columns])
        if highlight is not None and self.columns:
            shown.highlighted = max(0, min(highlight, len(self.columns) - 1))

    def action_move(self, delta: int) -> None:
        shown = self.query_one("#shown", OptionList)
        i = shown.highlighted
        if i is None:
            return
        j = i + delta
        if 0 <= j < len(self.columns):
            self.columns[i], self.columns[j] = self.columns[j], self.columns[i]
            self._fill(highlight=j)

    def action_remove(self) -> None:
        shown = self.query_one("#shown", OptionList)
        i = shown.highlighted
        if i is None or not self.columns:
            return
        if len(self.columns) == 1:
            self.notify(_("A view shows at least one column."), severity="warning")
            return
        del self.columns[i]
        self._fill(highlight=i)

    def add(self, column: str) -> None:
        if column not in self.columns:
            self.columns.append(column)
            self._fill(highlight=len(self.columns) - 1)

    def action_reset(self) -> None:
        self.columns = list(catalogue.DEFAULT_COLUMNS)
        self._fill(highlight=0)

    @on(OptionList.OptionSelected, "#available")
    def _added(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.add(event.option.id)

    @on(OptionList.OptionSelected, "#shown")
    def _shown_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_apply(self) -> None:
        self.dismiss(list(self.columns))

    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#reset")
    def _reset(self) -> None:
        self.action_reset()


class SortModal(ModalScreen[str | None]):
    """Pick the sort column; picking the current one reverses the order."""

    DEFAULT_CSS = _CSS
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="sort.cancel")]

    def __init__(self, columns: list[str], sort: str) -> None:
        super().__init__()
        self.columns = columns
        self.sort = sort

    def compose(self) -> ComposeResult:
        current = self.sort.lstrip("-")
        desc = self.sort.startswith("-")
        shown = [c for c in self.columns if catalogue.get(c).sortable]
        others = [p.id for p in catalogue.PROPERTIES if p.sortable and p.id not in shown]
        reverse = _("Reverse: {column} ascending") if desc else _("Reverse: {column} descending")
        options: list[Option | None] = [Option(Content(reverse.format(column=catalogue.get(current).label())),
                                               id="~reverse")]
        for cid in shown + others:
            prop = catalogue.get(cid)
            mark = (" ▼" if desc else " ▲") if cid == current else ""
            options.append(Option(Content(prop.label() + mark + _note(prop)), id=cid))
        with Vertical(id="sort-dialog"):
            yield Label(_("Sort by"), classes="dialog-title")
            yield OptionList(*options, id="sort-options")
            yield Static(_("Enter picks · the current column again reverses · Escape cancels"), classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(next_sort(self.sort, event.option.id or ""))

    def action_cancel(self) -> None:
        self.dismiss(None)


def next_sort(sort: str, column: str) -> str:
    """Sorting by ``column``: the current column flips its direction; a new one starts ascending
    (dates and amounts too; the user flips with a second pick)."""
    current, desc = sort.lstrip("-"), sort.startswith("-")
    if column == "~reverse" or column == current:
        return current if desc else f"-{current}"
    return column
