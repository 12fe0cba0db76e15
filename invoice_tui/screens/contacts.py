"""The Contacts screen (and the base of the Companies screen): a searchable list; add, edit,
delete (refused for a billing contact, with the reason), see the invoices of a record, open one.

Keys: ``/`` search · ``n`` add · ``e``/enter edit · ``d`` delete · ``i`` invoices · ``escape`` back.
``PeopleCommands`` puts "Contacts: Open contacts", "Companies: Open companies" and "Invoices: New
invoice" in the ctrl+p palette of any screen that lists it in ``COMMANDS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from invoice_tui.db.models import Contact, Invoice, InvoiceCompany, InvoiceContact
from invoice_tui.domain import people
from invoice_tui.domain.catalogue import choice_label
from invoice_tui.domain.money import format_money, from_minor
from invoice_tui.modals.dialogs import ConfirmDialog
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.live import Live

LIMIT = 500


@dataclass(frozen=True)
class PersonRow:
    id: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    cells: tuple[str, ...]


def invoices_of(kind: str, record_id: int) -> list[InvoiceRow]:
    """Invoices a contact (billing or associated) or a company is associated with, newest first."""
    if kind == "contact":
        linked = InvoiceContact.select(InvoiceContact.invoice).where(InvoiceContact.contact == record_id)
        cond = (Invoice.billing_contact == record_id) | Invoice.id.in_(linked)
    else:
        linked = InvoiceCompany.select(InvoiceCompany.invoice).where(InvoiceCompany.company == record_id)
        cond = (Invoice.company == record_id) | Invoice.id.in_(linked)
    rows = []
    for inv in Invoice.select().where(cond).order_by(Invoice.id.desc()).limit(LIMIT):
        rows.append(InvoiceRow(inv.id, (inv.number or f"Draft #{inv.id}", choice_label("status", inv.status),
                                        inv.invoice_date.isoformat() if inv.invoice_date else "",
                                        format_money(from_minor(inv.billed_minor, inv.currency), inv.currency),
                                        format_money(from_minor(inv.balance_minor, inv.currency), inv.currency))))
    return rows


def list_contact_rows(search: str) -> tuple[list[PersonRow], int]:
    counts = dict(Invoice.select(Invoice.billing_contact, pw.fn.COUNT(Invoice.id))
                  .where(Invoice.billing_contact.is_null(False)).group_by(Invoice.billing_contact).tuples())
    rows = []
    for c in people.list_contacts(search, LIMIT):
        company = c.company.name if c.company_id else ""
        rows.append(PersonRow(c.id, (c.display_name, c.email, c.phone, company, str(counts.get(c.id, 0)))))
    total = Contact.select().count()
    return rows, total


class InvoiceListModal(ServiceCalls, ModalScreen[int | None]):
    """The invoices of a contact or company; Enter returns the invoice id to open."""

    BINDINGS = [Binding("escape", "close", "Close", id="people.invoices.close")]

    def __init__(self, kind: str, record_id: int, name: str) -> None:
        super().__init__()
        self.kind, self.record_id, self.record_name = kind, record_id, name
        self.rows: list[InvoiceRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="invoice-list-dialog", classes="invoice-modal wide"):
            yield Label(f"Invoices of {self.record_name}", classes="modal-title", markup=False)
            yield DataTable(id="invoice-list", cursor_type="row")
            yield Static("Enter opens the invoice · Escape closes", classes="modal-hint", id="invoice-list-status")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Number", "Status", "Invoice date", "Amount billed", "Balance due")
        table.focus()
        self.call_service(invoices_of, self.kind, self.record_id, done=self._show, group="invoice-list")

    def _show(self, rows: list[InvoiceRow]) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        for r in rows:
            table.add_row(*r.cells, key=str(r.id))
        if not rows:
            self.query_one("#invoice-list-status", Static).update(f"{self.record_name} has no invoice. Escape closes.")

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        self.dismiss(int(event.row_key.value))

    def action_close(self) -> None:
        self.dismiss(None)


class PeopleScreen(Live, ServiceCalls, Screen[None]):
    """A searchable list of records (subclassed for contacts and companies)."""

    KIND = "contact"
    DELETE_NOTE = "Invoices keep their history."
    TITLE_TEXT = "Contacts"
    COLUMNS: tuple[str, ...] = ("Name", "Email", "Phone", "Company", "Billing of")
    BINDINGS = [
        Binding("escape", "back", "Back", id="people.back"),
        Binding("slash", "search", "Search", id="people.search"),
        Binding("n", "add", "Add", id="people.add"),
        Binding("e", "edit", "Edit", id="people.edit"),
        Binding("d", "delete", "Delete", id="people.delete"),
        Binding("i", "invoices", "Invoices", id="people.invoices"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[PersonRow] = []
        self.search_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(id="people-search", placeholder=f"Search {self.TITLE_TEXT.lower()}… (/)")
        yield DataTable(id="people-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="people-status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.TITLE_TEXT
        self.query_one(DataTable).add_columns(*self.COLUMNS)
        self.query_one(DataTable).focus()
        self.reload()

    # ---- data ---------------------------------------------------------------------------------
    def list_rows(self, search: str):
        return list_contact_rows(search)

    def reload(self, select_id: int | None = None) -> None:
        self.call_service(self.list_rows, self.search_text, done=lambda res: self._show(res, select_id),
                          group="people-load", exclusive=True)

    def changed_elsewhere(self, change) -> None:
        """Records (and the invoice counts) changed by another user or the CLI: the list follows,
        the cursor stays on its record."""
        if change.concerns("contact", "company", "invoice"):
            row = self.selected()
            self.reload(select_id=row.id if row else None)

    def _show(self, result, select_id: int | None) -> None:
        rows, total = result
        self.rows = rows
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            table.add_row(*r.cells, key=str(r.id))
        if select_id is not None:
            for i, r in enumerate(rows):
                if r.id == select_id:
                    table.move_cursor(row=i)
        noun = self.TITLE_TEXT.lower()
        status = f"{len(rows)} of {total} {noun}" if self.search_text else f"{total} {noun}"
        if not total:
            status = f"No {self.KIND} yet — press n to add one."
        self.query_one("#people-status", Static).update(status + " · n add · e edit · d delete · i invoices")

    def selected(self) -> PersonRow | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # ---- actions --------------------------------------------------------------------------------
    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def action_search(self) -> None:
        self.query_one("#people-search", Input).focus()

    @on(Input.Changed, "#people-search")
    def _search(self, event: Input.Changed) -> None:
        self.search_text = event.value.strip()
        self.reload()

    @on(Input.Submitted, "#people-search")
    def _search_done(self) -> None:
        self.query_one(DataTable).focus()

    def form(self, record_id: int | None):
        from invoice_tui.modals.pickers import ContactFormModal

        return ContactFormModal(record_id)

    def action_add(self) -> None:
        def saved(new_id: int | None) -> None:
            if new_id is not None:
                self.notify(f"{self.KIND.capitalize()} added.")
                self.reload(select_id=new_id)

        self.app.push_screen(self.form(None), saved)

    @on(DataTable.RowSelected, "#people-table")
    def action_edit(self) -> None:
        row = self.selected()
        if row is None:
            return

        def saved(rid: int | None) -> None:
            if rid is not None:
                self.notify(f"{self.KIND.capitalize()} saved.")
                self.reload(select_id=rid)

        self.app.push_screen(self.form(row.id), saved)

    def action_delete(self) -> None:
        row = self.selected()
        if row is None:
            return

        def done(_r) -> None:
            self.notify(f"{row.cells[0]} deleted.")
            self.reload()

        def confirmed(ok: bool) -> None:
            if ok:
                self.call_service(self.delete_service(), self.app.ctx, row.id, done=done)

        self.app.push_screen(ConfirmDialog(f"Delete {self.KIND}", f"Delete {row.cells[0]}? {self.DELETE_NOTE}",
                                           confirm="Delete", danger=True), confirmed)

    def delete_service(self):
        return people.delete_contact

    def action_invoices(self) -> None:
        row = self.selected()
        if row is None:
            return

        def chosen(invoice_id: int | None) -> None:
            if invoice_id is not None:
                from invoice_tui.screens.invoice import InvoiceScreen

                self.app.push_screen(InvoiceScreen(invoice_id))

        self.app.push_screen(InvoiceListModal(self.KIND, row.id, row.cells[0]), chosen)


class ContactsScreen(PeopleScreen):
    """Contacts: list with search, add, edit, delete (refused for a billing contact), invoices."""


class PeopleCommands(Provider):
    """ctrl+p: open the Contacts and Companies screens, start a new invoice."""

    def _commands(self):
        from invoice_tui.screens.companies import CompaniesScreen
        from invoice_tui.screens.editor import EditorScreen

        from invoice_tui.screens.index import IndexScreen

        app = self.app
        commands = [
            ("Contacts: Open contacts", lambda: app.push_screen(ContactsScreen()), "Search, add and edit contacts"),
            ("Companies: Open companies", lambda: app.push_screen(CompaniesScreen()),
             "Search, add and edit companies"),
        ]
        if not isinstance(self.screen, IndexScreen):  # the index offers its own "New invoice"
            commands.append(("Invoices: New invoice", lambda: app.push_screen(EditorScreen(None)),
                             "Create a draft invoice"))
        return commands

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, text=text, help=help_text)


