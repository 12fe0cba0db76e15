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
from invoice_tui.i18n import N_, _, ngettext
from invoice_tui.modals.dialogs import ConfirmDialog
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.live import Live
from invoice_tui.widgets.tables import DataTable


class InvoiceListModal(ServiceCalls, ModalScreen[int | None]):
    """The invoices of a contact or company; Enter returns the invoice id to open."""

    BINDINGS = [Binding("escape", "close", N_("Close"), id="people.invoices.close")]

    def __init__(self, kind: str, record_id: int, name: str) -> None:
        super().__init__()
        self.kind, self.record_id, self.record_name = kind, record_id, safe(name, line=True)
        self.rows: list[Row] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="invoice-list-dialog", classes="invoice-modal wide"):
            yield Label(_("Invoices of {name}").format(name=self.record_name), classes="modal-title", markup=False)
            yield DataTable(id="invoice-list", cursor_type="row")
            yield Static(_("Enter opens the invoice · Escape closes"), classes="modal-hint", id="invoice-list-status")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Number"), _("Status"), _("Invoice date"), _("Amount billed"), _("Balance due"))
        table.focus()
        self.call_service(reads.invoices_of, self.kind, self.record_id, done=self._show, group="invoice-list")

    def _show(self, rows: list[Row]) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        for r in rows:
            table.add_row(*r.cells, key=str(r.id))
        if not rows:
            self.query_one("#invoice-list-status", Static).update(
                _("{name} has no invoice. Escape closes.").format(name=self.record_name))
        from invoice_tui.domain.credit import customer_credit_text

        self.call_service(customer_credit_text, self.kind, self.record_id, done=self._show_credit,
                          group="invoice-list-credit")
        if self.kind == "contact":
            from invoice_tui.domain.online import methods_text

            self.call_service(methods_text, self.record_id, group="invoice-list-methods",
                              done=lambda text: self._say(_("Saved payment methods: {methods}").format(methods=text)
                                                          if text else ""))

    def _show_credit(self, text: str) -> None:
        """R42: the customer's page shows the credit available (R40), per currency."""
        self._say(_("Credit available: {amounts}").format(amounts=text) if text else "")

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
    DELETE_NOTE = N_("Invoices keep their history.")
    TITLE_TEXT = N_("Contacts")
    COLUMNS: tuple[str, ...] = (N_("Name"), N_("Email"), N_("Phone"), N_("Company"), N_("Billing of"))
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="people.back"),
        Binding("slash", "search", N_("Search"), id="people.search"),
        Binding("n", "add", N_("Add"), id="people.add"),
        Binding("e", "edit", N_("Edit"), id="people.edit"),
        Binding("d", "delete", N_("Delete"), id="people.delete"),
        Binding("i", "invoices", N_("Invoices"), id="people.invoices"),
    ]

    # the sentences that name the kind of record (word order and gender differ between languages)
    def search_placeholder(self) -> str:
        return _("Search contacts… (/)")

    def count_text(self, shown: int, total: int) -> str:
        if self.search_text:
            return ngettext("{shown} of {total} contact", "{shown} of {total} contacts", total).format(
                shown=shown, total=total)
        return ngettext("{total} contact", "{total} contacts", total).format(total=total)

    def none_yet(self) -> str:
        return _("No contact yet — press n to add one.")

    def added_text(self) -> str:
        return _("Contact added.")

    def saved_text(self) -> str:
        return _("Contact saved.")

    def delete_title(self) -> str:
        return _("Delete contact")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []
        self.search_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(id="people-search", placeholder=self.search_placeholder())
        yield DataTable(id="people-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="people-status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _(self.TITLE_TEXT)
        self.query_one(DataTable).add_columns(*(_(c) for c in self.COLUMNS))
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
        status = self.count_text(len(rows), total) if total else self.none_yet()
        self.query_one("#people-status", Static).update(status + " · " + _("n add · e edit · d delete · i invoices"))

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
                self.notify(self.added_text())
                self.reload(select_id=new_id)

        self.app.push_screen(self.form(None), saved)

    @on(DataTable.RowSelected, "#people-table")
    def action_edit(self) -> None:
        row = self.selected()
        if row is None:
            return

        def saved(rid: int | None) -> None:
            if rid is not None:
                self.notify(self.saved_text())
                self.reload(select_id=rid)

        self.app.push_screen(self.form(row.id), saved)

    def action_delete(self) -> None:
        row = self.selected()
        if row is None:
            return

        def done(_r) -> None:
            self.notify(_("{name} deleted.").format(name=row.cells[0]))
            self.reload()

        def confirmed(ok: bool) -> None:
            if ok:
                self.call_service(self.delete_service(), self.app.ctx, row.id, done=done)

        message = _("Delete {name}?").format(name=row.cells[0]) + " " + _(self.DELETE_NOTE)
        self.app.push_screen(ConfirmDialog(self.delete_title(), message, confirm=_("Delete"), danger=True), confirmed)

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
