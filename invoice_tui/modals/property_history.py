"""View property history (R15): per property, old → new, who, when, source. Also the "all
properties" view of the About card."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from invoice_tui.domain import invoices as invoice_service
from invoice_tui.domain.catalogue import BY_ID, choice_label
from invoice_tui.domain.localize import for_reader
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.tables import DataTable
from invoice_tui.i18n import N_, _, pgettext

ALL = "__all__"


@dataclass(frozen=True)
class ChangeRow:
    property: str
    when: str
    user: str
    source: str
    old: str
    new: str


# The names of the history's own properties (the invoice's properties take the catalogue's
# labels, ``BY_ID[prop].label()``), for the catalog; shown with ``_()``.
PROPERTY_LABELS = {
    "tax_breakdown": N_("Tax breakdown"), "billing_contact": N_("Billing contact"),
    "companies": N_("Companies"), "company": N_("Company"), "contacts": N_("Contacts"),
    "credit_note": N_("Credit note"), "discounts": N_("Discounts"), "fees": N_("Fees"),
    "exemption_reasons": N_("Exemption reasons"), "line_items": N_("Line items"), "link": N_("Link"),
    "taxes": N_("Taxes"), "created": N_("Created"), "locale": N_("Locale"),
    "document_type": N_("Document type"), "reason": N_("Reason"), "refers_to": N_("Corrected invoice"),
}


def property_label(prop: str) -> str:
    if prop in PROPERTY_LABELS:
        return _(PROPERTY_LABELS[prop])
    p = BY_ID.get(prop)
    if p is not None:
        return p.label()
    return prop.replace("_", " ").capitalize()


def choice_word(prop: str, value: str) -> str:
    """A stored choice (status, type, origin) in the reader's language."""
    from invoice_tui.domain.invoice_page import status_word

    return status_word(value) if prop == "status" else choice_label(prop, value)


def _source_word(source: str) -> str:
    """Where a change was made (``tui``, ``cli``, …): stored in English, shown in the reader's language."""
    return {"tui": pgettext("source", "tui"), "cli": pgettext("source", "cli"), "web": pgettext("source", "web"),
            "test": pgettext("source", "test"), "system": pgettext("source", "system"),
            "api": pgettext("source", "api"), "import": pgettext("source", "import"),
            "webhook": pgettext("source", "webhook")}.get(source, source)


def load_changes(invoice_id: int, locale: str = "en_US") -> list[ChangeRow]:
    """The invoice's property changes as rows, as the reader's ``locale`` writes them: times,
    amounts (in the invoice's currency as it stood), dates and stored choices (issue 24: they
    were shown as stored, "3781.14", "2026-03-16", "open")."""
    from invoice_tui.domain.localize import short_datetime

    entries = invoice_service.property_history(invoice_id)
    # the currency as it stood: its creation's (its snapshot's properties come in any order), then
    # each change of it, oldest first
    currency = next((c.new_value for c in entries if c.property == "currency" and c.new_value), None)
    rows = []
    for c in entries:
        if c.property == "currency" and c.new_value and not c.created:
            currency = c.new_value
        rows.append(ChangeRow(c.property, short_datetime(c.created_at, locale), c.user_login, c.source,
                              shown_value(c.property, c.old_value, currency, locale),
                              shown_value(c.property, c.new_value, currency, locale)))
    return rows


def shown_value(prop: str, value: str | None, currency: str | None, locale: str) -> str:
    """A stored old or new value as the reader reads it: "—" for none; an amount ("3781.14") in
    ``currency`` and a date ("2026-03-16") as ``locale`` writes them; a stored choice or yes/no
    in the reader's language; any other (a name, a text, a list) as stored."""
    if value is None or value == "":
        return "—"
    kind = BY_ID[prop].type if prop in BY_ID else None
    try:
        if kind == "money" and currency:
            from invoice_tui.domain.money import format_money

            return format_money(Decimal(value), currency, locale)
        if kind == "date":
            from invoice_tui.domain.localize import short_date

            return short_date(dt.date.fromisoformat(value[:10]), locale)
    except (ArithmeticError, ValueError):  # not what the property stores today: as stored
        return value
    if prop in ("status", "type", "origin", "document_type"):
        return choice_word("type" if prop == "document_type" else prop, value)
    return {"true": pgettext("stored value", "true"), "false": pgettext("stored value", "false")}.get(value, value)


def _head_lines(parts: tuple[str, ...], width: int) -> list[str]:
    """when · who · via on as few lines as ``width`` allows, each line starting with a part (a
    continuation with its "·"), a part longer than the width wrapped on its own."""
    import textwrap

    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + 3 + len(part) <= width:
            lines[-1] += f" · {part}"
            continue
        pieces = textwrap.wrap(f"· {part}" if lines else part, width) or [""]
        lines += pieces
    return lines


class ChangesTable(DataTable):
    """The changes, each wrapped to this table's width: wrapped again when that width changes
    (the first rows may arrive before the dialog is laid out)."""

    def on_resize(self, event) -> None:
        screen = self.screen
        if isinstance(screen, PropertyHistoryModal) and screen.changes and screen.wrapped_at != self.wrap_width():
            screen.call_after_refresh(screen._show, screen.shown)

    def wrap_width(self) -> int:
        """The table's width less a cell's padding and the vertical scrollbar, whether it shows
        yet or not (the rows it wraps may be what brings it): the same width before and after."""
        return max(self.size.width - self.styles.scrollbar_size_vertical - 2, 24)


class PropertyHistoryModal(ServiceCalls, ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", N_("Close"), id="invoice.history.close")]

    def __init__(self, invoice_id: int, label: str) -> None:
        super().__init__()
        self.invoice_id = invoice_id
        self.label = label
        self.changes: list[ChangeRow] = []
        self.shown = ALL
        self.wrapped_at = 0  # the width the rows shown are wrapped to

    def compose(self) -> ComposeResult:
        with Vertical(id="property-history-dialog", classes="invoice-modal wide"):
            yield Label(_("Property history — {label}").format(label=self.label), classes="modal-title", markup=False)
            with Horizontal():
                yield OptionList(id="property-list")
                yield ChangesTable(id="property-changes", cursor_type="row")
            yield Static(_("Pick a property on the left · Escape closes"), classes="modal-hint")

    def on_mount(self) -> None:
        self.shown = ALL
        self.query_one("#property-list", OptionList).focus()
        self.call_service(for_reader, self.app.ctx, load_changes, self.invoice_id, done=self._loaded,
                          group="property-history",
                          exclusive=True)

    def _loaded(self, changes: list[ChangeRow]) -> None:
        self.changes = changes
        counts: dict[str, int] = {}
        for c in changes:
            counts[c.property] = counts.get(c.property, 0) + 1
        options = [Option(_("All properties ({n})").format(n=len(changes)), id=ALL)]
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
        table = self.query_one("#property-changes", ChangesTable)
        table.clear(columns=True)
        width = self.wrapped_at = table.wrap_width()
        table.add_column(_("When · who · via, then old → new"), width=width, key="change")
        for c in self.changes:
            if prop == ALL or c.property == prop:
                change = f"{c.old} → {c.new}"
                if prop == ALL:
                    change = _("{property}: {change}").format(property=property_label(c.property), change=change)
                lines = textwrap.wrap(change.replace("\n", " "), width) or [""]
                if len(lines) > 4:  # a long text (comments) keeps its first lines; the CLI shows it all
                    lines = lines[:3] + [textwrap.shorten(" ".join(lines[3:]), width, placeholder=" …")]
                head = _head_lines((c.when, c.user, _source_word(c.source)), width)
                cell = Text.assemble(("\n".join(head), "dim"), "\n", "\n".join(lines))
                table.add_row(cell, height=len(head) + len(lines))

    def action_close(self) -> None:
        self.dismiss(None)


class AllPropertiesModal(ModalScreen[None]):
    """Every property of the invoice as the CLI's JSON shows it (catalogue labels)."""

    BINDINGS = [Binding("escape", "close", N_("Close"), id="invoice.properties.close")]

    def __init__(self, label: str, record: dict) -> None:
        super().__init__()
        self.label = label
        self.record = record

    def compose(self) -> ComposeResult:
        with Vertical(id="all-properties-dialog", classes="invoice-modal wide"):
            yield Label(_("All properties — {label}").format(label=self.label), classes="modal-title", markup=False)
            yield DataTable(id="all-properties", cursor_type="row")
            yield Static(_("Escape closes"), classes="modal-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Property"), _("Value"))
        for key, value in self.record.items():
            if key == "tax_breakdown":
                value = "; ".join(_("{category} {rate}{percent} of {basis} = {tax}").format(percent="%", **t) for t in value) or None
            if isinstance(value, bool):
                value = _("yes") if value else _("no")
            elif key in ("status", "type", "origin") and isinstance(value, str):
                value = choice_word(key, value)
            table.add_row(property_label(key), "—" if value in (None, "") else str(value)[:80])
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
