"""View property history (R15): per property, old → new, who, when, source. Also the "all
properties" view of the About card."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from invoice_tui.domain import invoices as invoice_service
from invoice_tui.domain.catalogue import BY_ID
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.tables import DataTable

ALL = "__all__"


@dataclass(frozen=True)
class ChangeRow:
    property: str
    when: str
    user: str
    source: str
    old: str
    new: str


def property_label(prop: str) -> str:
    p = BY_ID.get(prop)
    if p is not None:
        return p.label()
    return prop.replace("_", " ").capitalize()


def load_changes(invoice_id: int) -> list[ChangeRow]:
    return [ChangeRow(c.property, c.created_at.strftime("%Y-%m-%d %H:%M") if c.created_at else "", c.user_login,
                      c.source, c.old_value if c.old_value is not None else "—",
                      c.new_value if c.new_value is not None else "—")
            for c in invoice_service.property_history(invoice_id)]


class PropertyHistoryModal(ServiceCalls, ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Close", id="invoice.history.close")]

    def __init__(self, invoice_id: int, label: str) -> None:
        super().__init__()
        self.invoice_id = invoice_id
        self.label = label
        self.changes: list[ChangeRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="property-history-dialog", classes="invoice-modal wide"):
            yield Label(f"Property history — {self.label}", classes="modal-title", markup=False)
            with Horizontal():
                yield OptionList(id="property-list")
                yield DataTable(id="property-changes", cursor_type="row")
            yield Static("Pick a property on the left · Escape closes", classes="modal-hint")

    def on_mount(self) -> None:
        self.shown = ALL
        self.query_one("#property-list", OptionList).focus()
        self.call_service(load_changes, self.invoice_id, done=self._loaded, group="property-history",
                          exclusive=True)

    def _loaded(self, changes: list[ChangeRow]) -> None:
        self.changes = changes
        counts: dict[str, int] = {}
        for c in changes:
            counts[c.property] = counts.get(c.property, 0) + 1
        options = [Option(f"All properties ({len(changes)})", id=ALL)]
        options += [Option(f"{property_label(p)} ({n})", id=p) for p, n in sorted(counts.items())]
        ol = self.query_one("#property-list", OptionList)
        ol.clear_options()
        ol.add_options(options)
        ol.highlighted = 0
        self._show(ALL)

    @on(OptionList.OptionHighlighted, "#property-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show(event.option.id or ALL)

    def _show(self, prop: str) -> None:
        """One change a row, read whole at 80×24 (issue 24: the columns stood far apart, old and
        new off screen): when · who · via on its first line, then "old → new" (the property's
        name first in the all-properties list), wrapped to the table's width, nothing cut."""
        import textwrap

        from rich.text import Text

        self.shown = prop
        table = self.query_one("#property-changes", DataTable)
        table.clear(columns=True)
        width = max(table.scrollable_content_region.width - 4, 24)  # a cell's padding, the scrollbar
        table.add_column("When · who · via, then old → new", width=width, key="change")
        for c in self.changes:
            if prop == ALL or c.property == prop:
                change = f"{c.old} → {c.new}"
                if prop == ALL:
                    change = f"{property_label(c.property)}: {change}"
                lines = textwrap.wrap(change.replace("\n", " "), width) or [""]
                if len(lines) > 4:  # a long text (comments) keeps its first lines; the CLI shows it all
                    lines = lines[:3] + [textwrap.shorten(" ".join(lines[3:]), width, placeholder=" …")]
                head = textwrap.wrap(f"{c.when} · {c.user} · {c.source}", width) or [""]  # a long login wraps too
                cell = Text.assemble(("\n".join(head), "dim"), "\n", "\n".join(lines))
                table.add_row(cell, height=len(head) + len(lines))

    def on_resize(self) -> None:
        if self.changes:
            self.call_after_refresh(self._show, getattr(self, "shown", ALL))

    def action_close(self) -> None:
        self.dismiss(None)


class AllPropertiesModal(ModalScreen[None]):
    """Every property of the invoice as the CLI's JSON shows it (catalogue labels)."""

    BINDINGS = [Binding("escape", "close", "Close", id="invoice.properties.close")]

    def __init__(self, label: str, record: dict) -> None:
        super().__init__()
        self.label = label
        self.record = record

    def compose(self) -> ComposeResult:
        with Vertical(id="all-properties-dialog", classes="invoice-modal wide"):
            yield Label(f"All properties — {self.label}", classes="modal-title", markup=False)
            yield DataTable(id="all-properties", cursor_type="row")
            yield Static("Escape closes", classes="modal-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Property", "Value")
        for key, value in self.record.items():
            if key == "tax_breakdown":
                value = "; ".join(f"{t['category']} {t['rate']}% of {t['basis']} = {t['tax']}" for t in value) or None
            if isinstance(value, bool):
                value = "yes" if value else "no"
            table.add_row(property_label(key), "—" if value in (None, "") else str(value)[:80])
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
