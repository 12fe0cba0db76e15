"""The base of the Contacts and Companies screens: a searchable list of records; add, edit,
delete (with the service's refusal when it applies), see the invoices of a record, open one.

Keys: ``/`` search · ``n`` add · ``e``/enter edit · ``d`` delete · ``i`` invoices · ``escape`` back.
The rows come from the read services (``invoice_tui.domain.reads``) as plain values.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Input, Label, Static

from invoice_tui.domain import people, reads
from invoice_tui.domain.reads import Row
from invoice_tui.domain.text import safe
from invoice_tui.modals.dialogs import ConfirmDialog
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.live import Live
from invoice_tui.widgets.tables import DataTable


class InvoiceListModal(ServiceCalls, ModalScreen[int | None]):
    """The invoices of a contact or company; Enter returns the invoice id to open."""

    BINDINGS = [Binding("escape", "close", "Close", id="people.invoices.close")]

    def __init__(self, kind: str, record_id: int, name: str) -> None:
        super().__init__()
        self.kind, self.record_id, self.record_name = kind, record_id, safe(name, line=True)
        self.rows: list[Row] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="invoice-list-dialog", classes="invoice-modal wide"):
            yield Label(f"Invoices of {self.record_name}", classes="modal-title", markup=False)
            yield DataTable(id="invoice-list", cursor_type="row")
            yield Static("Enter opens the invoice · Escape closes", classes="modal-hint", id="invoice-list-status")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Number", "Status", "Invoice date", "Amount billed", "Balance due")
        table.focus()
        self.call_service(reads.invoices_of, self.kind, self.record_id, done=self._show, group="invoice-list")

    def _show(self, rows: list[Row]) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        for r in rows:
            table.add_row(*r.cells, key=str(r.id))
        if not rows:
            self.query_one("#invoice-list-status", Static).update(f"{self.record_name} has no invoice. Escape closes.")
        from invoice_tui.domain.credit import customer_credit_text

        self.call_service(customer_credit_text, self.kind, self.record_id, done=self._show_credit,
                          group="invoice-list-credit")
        if self.kind == "contact":
            from invoice_tui.domain.online import methods_text

            self.call_service(methods_text, self.record_id, group="invoice-list-methods",
                              done=lambda text: self._say(f"Saved payment methods: {text}" if text else ""))

    def _show_credit(self, text: str) -> None:
        """R42: the customer's page shows the credit available (R40), per currency."""
        self._say(f"Credit available: {text}" if text else "")

    def _say(self, text: str) -> None:
        """A line above the keys' hint (the customer's credit, a contact's saved methods: issue 26)."""
        if text:
            status = self.query_one("#invoice-list-status", Static)
            status.update(f"{text} · " + str(status.render()))

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
        self.rows: list[Row] = []
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
    def list_rows(self, search: str) -> tuple[list[Row], int]:
        return reads.contact_rows(search)

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
        noun = self.KIND if total == 1 else self.TITLE_TEXT.lower()  # "1 contact", "2 contacts"
        status = f"{len(rows)} of {total} {noun}" if self.search_text else f"{total} {noun}"
        if not total:
            status = f"No {self.KIND} yet — press n to add one."
        self.query_one("#people-status", Static).update(status + " · n add · e edit · d delete · i invoices")

    def selected(self) -> Row | None:
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
