"""The invoice screen's right-hand panel: collapsible cards, each reachable by a digit key.

Each card renders its part of an ``InvoiceView`` and binds its own keys (shown in the footer
while the focus is inside it). The keys run the screen's actions (``screen.…``): the cards
display, the screen calls the services.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Collapsible, DataTable, Input, Static

from invoice_tui.widgets.invoice_view import InvoiceView


def _columns(table: DataTable, *columns: tuple[str, int]) -> None:
    """Fixed column widths: the panel never reflows as rows arrive (stable snapshots too)."""
    for label, width in columns:
        table.add_column(label, width=width)


class Card(Collapsible):
    """A collapsible card of the invoice panel."""

    def __init__(self, title: str, *children, id: str) -> None:  # noqa: A002 - Textual's naming
        super().__init__(*children, title=title, collapsed=False, id=id)
        self.add_class("card")

    def focus_card(self) -> None:
        self.collapsed = False
        tables = [t for t in self.query(DataTable) if t.display]
        (tables[0] if tables else self.query_one("CollapsibleTitle")).focus()
        self.scroll_visible()

    def show(self, view: InvoiceView) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class AboutCard(Card):
    BINDINGS = [Binding("o", "screen.change_owner", "Owner", id="invoice.about.owner"),
                Binding("v", "screen.all_properties", "All properties", id="invoice.about.all")]

    def __init__(self) -> None:
        super().__init__("About this invoice (1)",
                         DataTable(id="about-table", cursor_type="row", show_header=False),
                         Static("o owner · v all properties", classes="card-hint"), id="card-about")

    def on_mount(self) -> None:
        _columns(self.query_one(DataTable), ("Property", 16), ("Value", 40))

    def show(self, view: InvoiceView) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for label, value in view.about:
            table.add_row(label, value)


class PaymentsCard(Card):
    BINDINGS = [Binding("d", "screen.delete_payment", "Delete payment", id="invoice.payments.delete")]

    def __init__(self) -> None:
        super().__init__("Payments (2)", DataTable(id="payments-table", cursor_type="row"),
                         Static("", id="payments-empty", classes="card-hint"), id="card-payments")

    def on_mount(self) -> None:
        _columns(self.query_one(DataTable), ("#", 3), ("Amount", 12), ("Date", 10), ("Method", 13), ("Source", 6),
                 ("State", 9))

    def show(self, view: InvoiceView) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for p in view.payments:
            table.add_row(str(p.id), p.amount, p.date, p.method, p.source, p.state, key=str(p.id))
        table.display = bool(view.payments)
        self.title = f"Payments ({len(view.payments)}) (2)"
        self.query_one("#payments-empty", Static).update(
            "No payment yet." if not view.payments else "enter open · d delete a manual payment")


class ContactsCard(Card):
    BINDINGS = [Binding("n", "screen.add_contact", "Add contact", id="invoice.contacts.add"),
                Binding("x", "screen.remove_contact", "Remove", id="invoice.contacts.remove"),
                Binding("b", "screen.make_billing", "Make billing", id="invoice.contacts.billing")]

    def __init__(self) -> None:
        super().__init__("Contacts (3)", DataTable(id="contacts-table", cursor_type="row", show_header=False),
                         Static("n add · x remove · b make billing contact", classes="card-hint"),
                         id="card-contacts")

    def on_mount(self) -> None:
        _columns(self.query_one(DataTable), ("Contact", 18), ("Email", 26), ("", 7))

    def show(self, view: InvoiceView) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for c in view.contacts:
            table.add_row(c.name, c.email, "billing" if c.billing else "", key=str(c.id))
        self.title = f"Contacts ({len(view.contacts)}) (3)"


class CompaniesCard(Card):
    BINDINGS = [Binding("n", "screen.add_company", "Add company", id="invoice.companies.add"),
                Binding("x", "screen.remove_company", "Remove", id="invoice.companies.remove"),
                Binding("b", "screen.make_main_company", "Make main", id="invoice.companies.main")]

    def __init__(self) -> None:
        super().__init__("Companies (4)", DataTable(id="companies-table", cursor_type="row", show_header=False),
                         Static("n add · x remove · b make the invoice's company", classes="card-hint"),
                         id="card-companies")

    def on_mount(self) -> None:
        _columns(self.query_one(DataTable), ("Company", 30), ("", 4))

    def show(self, view: InvoiceView) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for c in view.companies:
            table.add_row(c.name, "main" if c.main else "", key=str(c.id))
        self.title = f"Companies ({len(view.companies)}) (4)"


class HistoryCard(Card):
    BINDINGS = [Binding("n", "screen.add_note", "Note", id="invoice.history.note"),
                Binding("t", "screen.add_task", "Task", id="invoice.history.task"),
                Binding("D", "screen.complete_task", "Task done", id="invoice.history.done"),
                Binding("slash", "screen.search_history", "Search", id="invoice.history.search")]

    def __init__(self) -> None:
        super().__init__("History (5)", Input(id="history-search", placeholder="Search history…"),
                         DataTable(id="history-table", cursor_type="row", show_header=False),
                         Static("n note · t task · enter/D marks a task done · / search", classes="card-hint"),
                         id="card-history")

    def on_mount(self) -> None:
        _columns(self.query_one(DataTable), ("When", 16), ("Who", 8), ("What", 60))

    def show_activities(self, activities) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for a in activities:
            text = a.text.replace("\n", " ")
            if a.kind == "task":
                text = ("☑ " if a.done else "☐ ") + text + (f" (due {a.due})" if a.due else "")
            elif a.kind == "note":
                text = "✎ " + text
            table.add_row(a.when, a.user, text[:200], key=str(a.id))

    def show(self, view: InvoiceView) -> None:
        self.show_activities(view.activities)
