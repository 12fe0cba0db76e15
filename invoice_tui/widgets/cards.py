"""The invoice screen's right-hand panel: collapsible cards, each reachable by a digit key.

Each card renders its part of an ``InvoiceView`` and binds its own keys (shown in the footer
while the focus is inside it). The keys run the screen's actions (``screen.…``): the cards
display, the screen calls the services.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Collapsible, Input, Static

from invoice_tui.domain.invoice_page import InvoiceView, payment_method_word, payment_source_word, payment_state_word
from invoice_tui.i18n import N_, _
from invoice_tui.widgets.search_input import SearchInput
from invoice_tui.widgets.tables import DataTable


def card_title(key: int, text: str) -> Content:
    """"[2] Payments (3)": the digit that jumps to the card, then what it holds (a count in
    parentheses would read as the key)."""
    return Content.assemble((f"[{key}]", "bold"), " ", text)


FILL_MIN = 8  # the narrowest a filling column gets
FILL_DEFAULT = 40  # before the card knows its width


class Card(Collapsible):
    """A collapsible card of the invoice panel. ``COLUMNS`` are its table's (label, width); a
    width of ``None`` takes what the others leave of the card's width, so that values are not
    cut at the panel's edge (the panel is 34 columns wide in an 80-column terminal). Fixed
    widths: the panel never reflows as rows arrive (stable snapshots too)."""

    COLUMNS: tuple[tuple[str, int | None], ...] = ()
    # issue 24: a value longer than its column wraps onto more lines of its row instead of being
    # cut at the panel's edge (Textual's auto-height rows: ``add_row(height=None)``)
    WRAP = False
    # issue 24: fixed columns that do not fit the card's width are left out (whole) rather than cut
    # ("Sta" for State); the row's detail (enter) shows every field
    DROP = False

    def __init__(self, title: str | Content, *children, id: str) -> None:  # noqa: A002 - Textual's naming
        super().__init__(*children, title=title, collapsed=False, id=id)
        self.add_class("card")
        self._built: tuple[int, ...] | None = None  # the column widths the table has

    def on_mount(self) -> None:
        if self.COLUMNS:
            self._build_columns()

    def _widths(self) -> tuple[int, ...]:
        """The columns' widths for the card's width now (only a ``None`` column depends on it)."""
        fill = FILL_DEFAULT
        width = self.size.width - 1  # the cards' contents have one column of padding on the left
        if width > 1:
            width -= 2  # the table's own scrollbar, when its rows pass its max-height
            pad = 2 * self.query_one(DataTable).cell_padding  # a cell's padding, both sides
            fill = max(FILL_MIN, width - sum(w + pad for _, w in self.COLUMNS if w is not None) - pad)
        widths = tuple(fill if w is None else w for _, w in self.COLUMNS)
        if self.DROP and width > 1:
            pad = 2 * self.query_one(DataTable).cell_padding
            kept, used = [], 0
            for w in widths:
                if kept and used + w + pad > width:
                    break
                kept.append(w)
                used += w + pad
            widths = tuple(kept)
        return widths

    def add_row(self, table: DataTable, *cells, key: str | None = None) -> None:
        """A row of the card's table: only the columns it shows, wrapped when ``WRAP``."""
        count = len(self._built) if self._built is not None else len(cells)
        cells = cells[:count]
        height = 1
        if self.WRAP and self._built is not None:
            # the row as tall as its longest value wrapped to its column (measured here: Textual's
            # auto-height rows are measured when drawn, and a table sized to its rows draws none)
            console = self.app.console
            for cell, width in zip(cells, self._built):
                text = cell if isinstance(cell, Text) else Text(str(cell))
                height = max(height, len(text.wrap(console, max(width, 1))))
        table.add_row(*cells, key=key, height=height)

    def _build_columns(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        self._built = self._widths()
        for (label, _width), width in zip(self.COLUMNS, self._built):  # DROP: the first that fit
            table.add_column(_(label) if label else label, width=width)

    def on_resize(self) -> None:
        if self._built is not None and self._widths() != self._built:
            self._build_columns()
            self.refill()

    def refill(self) -> None:
        """Add the rows again (after the columns were rebuilt for a new width)."""

    def focus_card(self) -> None:
        self.collapsed = False
        tables = [t for t in self.query(DataTable) if t.display]
        (tables[0] if tables else self.query_one("CollapsibleTitle")).focus()
        self.scroll_visible()

    def show(self, view: InvoiceView) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class ViewCard(Card):
    """A card that shows part of an ``InvoiceView`` (kept to fill its table again on a resize)."""

    def __init__(self, title: str | Content, *children, id: str) -> None:  # noqa: A002 - Textual's naming
        super().__init__(title, *children, id=id)
        self._view: InvoiceView | None = None

    def show(self, view: InvoiceView) -> None:
        self._view = view
        self.fill(view)

    def refill(self) -> None:
        if self._view is not None:
            self.fill(self._view)

    def fill(self, view: InvoiceView) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


def lock_hint(view: InvoiceView, field_id: str, keys: str, locked: str) -> Text:
    """A card's hint: its keys, or, when a rule forbids changing the field now, the rule's sentence
    (the keys are shown disabled in the footer): the refusal before the choice (issue 19)."""
    state = view.fields.get(field_id)
    if state is None or state.enabled:
        return Text(keys)
    return Text.assemble((locked, "bold"), state.reason)


class AboutCard(ViewCard):
    BINDINGS = [Binding("o", "screen.change_owner", N_("Owner"), id="invoice.about.owner"),
                Binding("v", "screen.all_properties", N_("All properties"), id="invoice.about.all")]

    COLUMNS = ((N_("Property"), 17), (N_("Value"), None))  # no cell padding: the label's width has its space
    WRAP = True

    def __init__(self) -> None:
        super().__init__(card_title(1, _("About this invoice")),
                         DataTable(id="about-table", cursor_type="row", show_header=False, cell_padding=0),
                         Static(_("o owner · v all properties"), classes="card-hint"), id="card-about")

    def fill(self, view: InvoiceView) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for label, value in view.about:
            self.add_row(table, label, value)
        self.query_one(".card-hint", Static).update(lock_hint(view, "owner", _("o owner · v all properties"),
                                                              _("v all properties · owner locked: ")))


class PaymentsCard(ViewCard):
    BINDINGS = [Binding("d", "screen.delete_payment", N_("Delete payment"), id="invoice.payments.delete"),
                Binding("r", "screen.refund_payment", N_("Refund"), id="invoice.payments.refund")]

    # what matters most first: the panel shows the first three in an 80-column terminal
    # issue 24: amount, state and date fit 80×24's panel whole (the rest in the row's detail)
    COLUMNS = ((N_("Amount"), 11), (N_("State"), 9), (N_("Date"), 10), (N_("Method"), 13), (N_("Source"), 6),
               ("#", 4))
    DROP = True

    def __init__(self) -> None:
        super().__init__(card_title(2, _("Payments")), DataTable(id="payments-table", cursor_type="row"),
                         Static("", id="payments-empty", classes="card-hint"),
                         Static("", id="payments-methods", classes="card-methods", markup=False),
                         id="card-payments")

    def fill(self, view: InvoiceView) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for p in view.payments:
            self.add_row(table, p.amount, payment_state_word(p.state), p.date, payment_method_word(p.method),
                         payment_source_word(p.source), str(p.id), key=str(p.id))
        table.display = bool(view.payments)
        self.title = card_title(2, _("Payments ({n})").format(n=len(view.payments)))
        self.query_one("#payments-empty", Static).update(
            _("No payment yet.") if not view.payments else _("enter open · d delete manual · r refund online"))
        # issue 26: the billing contact's saved payment methods (what "Charge saved payment method"
        # charges, the first one unless another is chosen): brand, last four digits, expiry
        methods = self.query_one("#payments-methods", Static)
        # (two lines each: the panel is 30 columns wide at 80×24, and a line is never cut)
        lines = [_("Saved payment methods:")]
        for m in view.payment_methods:
            lines += [f" {m.label}"] + (["   " + _("expires {date}").format(date=m.expiry)] if m.expiry else [])
        methods.update("\n".join(lines))
        methods.display = bool(view.payment_methods)


class ContactsCard(ViewCard):
    BINDINGS = [Binding("n", "screen.add_contact", N_("Add contact"), id="invoice.contacts.add"),
                Binding("x", "screen.remove_contact", N_("Remove"), id="invoice.contacts.remove"),
                Binding("b", "screen.make_billing", N_("Make billing"), id="invoice.contacts.billing")]

    # issue 24: a contact a row, its name (and "billing") then its email below, wrapped: three
    # columns left the email a few characters at 80×24
    COLUMNS = ((N_("Contact"), None),)
    WRAP = True

    def __init__(self) -> None:
        super().__init__(card_title(3, _("Contacts")),
                         DataTable(id="contacts-table", cursor_type="row", show_header=False),
                         Static(_("n add · x remove · b make billing contact"), classes="card-hint"),
                         id="card-contacts")

    def fill(self, view: InvoiceView) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for c in view.contacts:
            from invoice_tui.domain.text import safe

            cell = Text.assemble(safe(c.name, line=True), (" · " + _("billing") if c.billing else "", "bold"), "\n",
                                 (safe(c.email, line=True), "dim"))
            self.add_row(table, cell, key=str(c.id))
        self.query_one(".card-hint", Static).update(lock_hint(view, "contacts", _("n add · x remove · b make billing "
                                                                                "contact"), _("contacts locked: ")))
        self.title = card_title(3, _("Contacts ({n})").format(n=len(view.contacts)))


class CompaniesCard(ViewCard):
    BINDINGS = [Binding("n", "screen.add_company", N_("Add company"), id="invoice.companies.add"),
                Binding("x", "screen.remove_company", N_("Remove"), id="invoice.companies.remove"),
                Binding("b", "screen.make_main_company", N_("Make main"), id="invoice.companies.main")]

    COLUMNS = (("", 4), (N_("Company"), None))
    WRAP = True

    def __init__(self) -> None:
        super().__init__(card_title(4, _("Companies")),
                         DataTable(id="companies-table", cursor_type="row", show_header=False),
                         Static(_("n add · x remove · b make the invoice's company"), classes="card-hint"),
                         id="card-companies")

    def fill(self, view: InvoiceView) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for c in view.companies:
            self.add_row(table, _("main") if c.main else "", c.name, key=str(c.id))
        self.query_one(".card-hint", Static).update(lock_hint(view, "companies", _("n add · x remove · b make the "
                                                                                 "invoice's company"),
                                                              _("companies locked: ")))
        self.title = card_title(4, _("Companies ({n})").format(n=len(view.companies)))


class HistoryCard(Card):
    # issue 24: one event a row, read whole: when and who on its first line, what happened wrapped
    # below (three columns left the text a few characters at 80×24, cut at the panel's edge)
    COLUMNS = ((N_("Event"), None),)
    WRAP = True
    BINDINGS = [Binding("n", "screen.add_note", N_("Note"), id="invoice.history.note"),
                Binding("t", "screen.add_task", N_("Task"), id="invoice.history.task"),
                Binding("D", "screen.complete_task", N_("Task done"), id="invoice.history.done"),
                Binding("slash", "screen.search_history", N_("Search"), id="invoice.history.search")]

    def __init__(self) -> None:
        super().__init__(card_title(5, _("History")), SearchInput(id="history-search",
                                                                   placeholder=_("Search history…")),
                         DataTable(id="history-table", cursor_type="row", show_header=False),
                         Static(_("n note · t task · enter/D marks a task done · / search"), classes="card-hint"),
                         id="card-history")


    def refill(self) -> None:
        self.show_activities(getattr(self, "_activities", []))

    @staticmethod
    def event_text(a) -> str:
        """What an activity says ("☐ Call Bob (due …)" for an open task, "✎ …" for a note)."""
        text = a.text.replace("\n", " ")
        if a.kind == "task":
            return ("☑ " if a.done else "☐ ") + text + (" " + _("(due {date})").format(date=a.due) if a.due else "")
        if a.kind == "note":
            return "✎ " + text
        return text

    def activity(self, key: str):
        return next((a for a in getattr(self, "_activities", []) if str(a.id) == key), None)

    def show_activities(self, activities) -> None:
        from invoice_tui.domain.text import safe

        self._activities = activities
        table = self.query_one(DataTable)
        table.clear()
        for a in activities:
            cell = Text.assemble((f"{a.when} · {safe(a.user, line=True)}", "dim"), "\n",
                                 safe(self.event_text(a)[:200], line=True))
            self.add_row(table, cell, key=str(a.id))

    def show(self, view: InvoiceView) -> None:
        self.show_activities(view.activities)
