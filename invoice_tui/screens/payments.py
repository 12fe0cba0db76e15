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
from invoice_tui.domain.invoice_page import payment_state_word
from invoice_tui.domain.reads import Row
from invoice_tui.widgets.error_text import show_error
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.tables import DataTable
from invoice_tui.i18n import N_, _, ngettext

_NO_SELECTION = getattr(Select, "NULL", Select.BLANK)  # Textual 8: Select.NULL

LIMIT = 1000
STATES = ("processing", "succeeded", "failed", "canceled", "refunded")


def send_receipt(ctx, payment_id: int) -> tuple[bool, str]:
    from invoice_tui.mail.receipts import send_receipt as send
    from invoice_tui.mail.transport import transport_for

    d = send(ctx, payment_id, transport_for(ctx))
    if d.delivered:
        return True, _("Receipt sent to {to}.").format(to=d.email.to_addrs)
    return False, _("Receipt queued in the outbox (email {id}): {message}").format(id=d.email.id, message=d.message)


def _shown_cells(cells: tuple[str, ...]) -> tuple[str, ...]:
    """A row of ``reads.payment_rows`` with its stored words (method, state, source, "unapplied") in
    the reader's language."""
    from invoice_tui.domain.invoice_page import payment_method_word, payment_source_word

    out = list(cells)
    if len(out) >= 8:
        out[3], out[4], out[5] = payment_method_word(out[3]), payment_state_word(out[4]), payment_source_word(out[5])
        if out[7] == "unapplied":
            out[7] = _("unapplied")
    return tuple(out)


class PaymentsScreen(ServiceCalls, Screen[None]):
    BINDINGS = [
        Binding("s", "send_receipt", N_("Send receipt"), id="payments.send_receipt"),
        Binding("slash", "search", N_("Search"), id="payments.search"),
        Binding("ctrl+r", "reload", N_("Reload"), id="payments.reload"),
        Binding("escape", "close", N_("Back"), id="payments.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="payments-filters"):
            yield Input(id="payments-search", placeholder=_("Search contact email or reference…"))
            yield Select([(payment_state_word(s), s) for s in STATES], prompt=_("Any state"), id="payments-state")
            yield Select([(_("applied"), "applied"), (_("unapplied"), "unapplied")], prompt=_("Applied or not"),
                         id="payments-applied")
        yield Static(_("Loading payments…"), id="payments-status")
        yield DataTable(id="payments-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(_("ID"), _("Date"), _("Amount"), _("Method"), _("State"), _("Source"),
                                              _("Contact"), _("Invoice"), _("Reference"))
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
            table.add_row(*_shown_cells(r.cells), key=str(r.id))
        if more:
            text = _("{n} payments (the newest {limit}; search to narrow) · s sends a receipt · / searches").format(
                n=len(rows), limit=LIMIT)
        else:
            text = ngettext("{n} payment(s) · s sends a receipt · / searches",
                            "{n} payment(s) · s sends a receipt · / searches", len(rows)).format(n=len(rows))
        self.query_one("#payments-status", Static).update(text)

    def action_search(self) -> None:
        self.query_one("#payments-search", Input).focus()

    def action_send_receipt(self) -> None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return
        row = self.rows[table.cursor_row]

        def done(result: tuple[bool, str]) -> None:
            delivered, message = result
            self.notify(message, title=_("Receipt"), severity="information" if delivered else "warning", timeout=8)

        self.call_service(send_receipt, self.app.ctx, row.id, done=done, failed=self._failed)

    def _failed(self, exc: InvoiceTuiError) -> None:
        show_error(self, exc, title=_("Receipt not sent"))

    def action_close(self) -> None:
        self.app.pop_screen()
