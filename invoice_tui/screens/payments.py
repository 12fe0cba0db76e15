"""The Payments index: every payment, newest first, searchable (contact email or reference) and
filtered by state and applied/unapplied; ``s`` sends a receipt for the highlighted payment to its
contact (R10: never automatically, only when asked)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Select, Static

from invoice_tui.domain import reads
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.reads import Row
from invoice_tui.widgets.error_text import show_error
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.tables import DataTable

_NO_SELECTION = getattr(Select, "NULL", Select.BLANK)  # Textual 8: Select.NULL

LIMIT = 1000
STATES = ("processing", "succeeded", "failed", "canceled", "refunded")


def send_receipt(ctx, payment_id: int) -> tuple[bool, str]:
    from invoice_tui.mail.receipts import send_receipt as send
    from invoice_tui.mail.transport import transport_for

    d = send(ctx, payment_id, transport_for(ctx))
    if d.delivered:
        return True, f"Receipt sent to {d.email.to_addrs}."
    return False, f"Receipt queued in the outbox (email {d.email.id}): {d.message}"


class PaymentsScreen(ServiceCalls, Screen[None]):
    BINDINGS = [
        Binding("s", "send_receipt", "Send receipt", id="payments.send_receipt"),
        Binding("slash", "search", "Search", id="payments.search"),
        Binding("ctrl+r", "reload", "Reload", id="payments.reload"),
        Binding("escape", "close", "Back", id="payments.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="payments-filters"):
            yield Input(id="payments-search", placeholder="Search contact email or reference…")
            yield Select([(s, s) for s in STATES], prompt="Any state", id="payments-state")
            yield Select([("applied", "applied"), ("unapplied", "unapplied")], prompt="Applied or not",
                         id="payments-applied")
        yield Static("Loading payments…", id="payments-status")
        yield DataTable(id="payments-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("ID", "Date", "Amount", "Method", "State", "Source", "Contact",
                                              "Invoice", "Reference")
        self.action_reload()
        self.query_one(DataTable).focus()

    @on(Input.Changed, "#payments-search")
    @on(Select.Changed, "#payments-state")
    @on(Select.Changed, "#payments-applied")
    def action_reload(self) -> None:
        search = self.query_one("#payments-search", Input).value.strip()
        state = self.query_one("#payments-state", Select).value
        applied = self.query_one("#payments-applied", Select).value
        state = None if state is _NO_SELECTION else str(state)
        applied_flag = None if applied is _NO_SELECTION else applied == "applied"
        self.call_service(reads.payment_rows, self.app.ctx, search, state, applied_flag, LIMIT, done=self._show,
                          group="payments",
                          exclusive=True)

    def _show(self, result: tuple[list[Row], bool]) -> None:
        rows, more = result
        self.rows = rows
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            table.add_row(*r.cells, key=str(r.id))
        text = f"{len(rows)} payment(s)" + (f" (the newest {LIMIT}; search to narrow)" if more else "")
        self.query_one("#payments-status", Static).update(text + " · s sends a receipt · / searches")

    def action_search(self) -> None:
        self.query_one("#payments-search", Input).focus()

    def action_send_receipt(self) -> None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return
        row = self.rows[table.cursor_row]

        def done(result: tuple[bool, str]) -> None:
            delivered, message = result
            self.notify(message, title="Receipt", severity="information" if delivered else "warning", timeout=8)

        self.call_service(send_receipt, self.app.ctx, row.id, done=done, failed=self._failed)

    def _failed(self, exc: InvoiceTuiError) -> None:
        show_error(self, exc, title="Receipt not sent")

    def action_close(self) -> None:
        self.app.pop_screen()
