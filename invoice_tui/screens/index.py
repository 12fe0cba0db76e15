"""The invoice index (minimal: the first rows of the default view, newest first)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from invoice_tui.db import database
from invoice_tui.domain import invoices as invoice_service
from invoice_tui.domain.catalogue import choice_label
from invoice_tui.domain.money import format_money, from_minor

PAGE = 500


class IndexScreen(Screen):
    BINDINGS = [
        Binding("q", "app.quit", "Quit", id="index.quit"),
        Binding("r", "reload", "Reload", id="index.reload"),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[tuple], total: int) -> None:
            super().__init__()
            self.rows = rows
            self.total = total

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading invoices…", id="index-status")
        yield DataTable(id="invoice-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Number", "Billing contact", "Company", "Amount billed", "Balance due", "Status", "Due date")
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="index")
    def load(self) -> None:
        ctx = self.app.ctx
        with database.connection_context():
            q = invoice_service.query_invoices(ctx, sort="-id")
            total = q.count()
            today = ctx.today()
            rows = []
            for inv in q.limit(PAGE):
                status = "overdue" if invoice_service.is_overdue(inv, today) else inv.status
                rows.append((inv.number or f"Draft #{inv.id}", inv.title or inv.contact_name, inv.company_name,
                             format_money(from_minor(inv.billed_minor, inv.currency), inv.currency),
                             format_money(from_minor(inv.balance_minor, inv.currency), inv.currency),
                             choice_label("status", status), inv.due_date.isoformat() if inv.due_date else ""))
        self.post_message(self.Loaded(rows, total))

    def on_index_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows(message.rows)
        shown = len(message.rows)
        self.query_one("#index-status", Static).update(
            f"{message.total} invoices" + (f" (first {shown} shown)" if shown < message.total else ""))
