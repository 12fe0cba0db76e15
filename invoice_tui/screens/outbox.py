"""The Outbox screen: every email invoice-tui stored for sending, newest first — queued,
sending, sent (with the server's answer), failed (with the next attempt), rejected (refused for
good by the server, with its sentence; never retried, R58) or unknown (the process stopped
mid-transaction: it may have arrived; a person decides). ``r`` retries the highlighted
email now, ``x`` drops it, ``p`` delivers everything that is due, ``ctrl+r`` reloads."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from invoice_tui.domain import reads
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.reads import OutboxRow
from invoice_tui.domain.invoice_page import email_kind_word, email_state_word
from invoice_tui.i18n import _
from invoice_tui.widgets.error_text import show_error
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.tables import DataTable
from invoice_tui.i18n import N_, _, ngettext

LIMIT = 500


def retry_one(ctx, email_id: int) -> tuple[bool, str]:
    from invoice_tui.mail.outbox import retry
    from invoice_tui.mail.transport import transport_for

    d = retry(ctx, email_id, transport_for(ctx))
    return d.delivered, d.message


def drop_one(ctx, email_id: int) -> int:
    from invoice_tui.mail.outbox import drop

    return drop(ctx, email_id).id


def process(ctx) -> tuple[int, int]:
    from invoice_tui.mail.outbox import process_due
    from invoice_tui.mail.transport import transport_for

    results = process_due(ctx, transport_for(ctx))
    return sum(1 for d in results if d.delivered), len(results)


class OutboxScreen(ServiceCalls, Screen[None]):
    BINDINGS = [
        Binding("r", "retry", N_("Retry now"), id="outbox.retry"),
        Binding("x", "drop", N_("Drop"), id="outbox.drop"),
        Binding("p", "process", N_("Send due"), id="outbox.process"),
        Binding("ctrl+r", "reload", N_("Reload"), id="outbox.reload"),
        Binding("escape", "close", N_("Back"), id="outbox.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[OutboxRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Loading the outbox…"), id="outbox-status")
        yield DataTable(id="outbox-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="outbox-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(_("ID"), _("State"), _("Kind"), _("Invoice"), _("To"), _("Subject"),
                                              _("Tries"), _("When (UTC)"))
        self.action_reload()

    def action_reload(self) -> None:
        self.call_service(reads.outbox_rows, self.app.ctx, LIMIT, done=self._show, group="outbox", exclusive=True)

    def _show(self, rows: list[OutboxRow]) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            cells = list(r.cells)
            cells[1], cells[2] = email_state_word(cells[1]), email_kind_word(cells[2])
            table.add_row(*cells, key=str(r.id))
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.state] = counts.get(r.state, 0) + 1
        summary = ", ".join(f"{n} {email_state_word(state)}" for state, n in sorted(counts.items()))
        self.query_one("#outbox-status", Static).update(
            _("Outbox: {summary}").format(summary=summary) if rows
            else _("The outbox is empty: emails you send appear here."))
        self._detail()
        table.focus()

    def _current(self) -> OutboxRow | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#outbox-table")
    def _detail(self) -> None:
        row = self._current()
        self.query_one("#outbox-detail", Static).update(row.detail if row else "")

    def action_retry(self) -> None:
        row = self._current()
        if row is None:
            return

        def done(result: tuple[bool, str]) -> None:
            delivered, message = result
            self.notify(message, title=_("Sent") if delivered else _("Not sent"),
                        severity="information" if delivered else "warning", timeout=8)
            self.action_reload()

        self.call_service(retry_one, self.app.ctx, row.id, done=done, failed=self._failed)

    def action_drop(self) -> None:
        from invoice_tui.modals.dialogs import ConfirmDialog

        row = self._current()
        if row is None:
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.call_service(drop_one, self.app.ctx, row.id, failed=self._failed,
                                  done=lambda _i: (self.notify(_("Email {id} dropped.").format(id=row.id)),
                                                   self.action_reload()))

        self.app.push_screen(ConfirmDialog(_("Drop email"), _("Drop email {id}? It will not be sent.").format(id=row.id),
                                           confirm=_("Drop"), danger=True), confirmed)

    def action_process(self) -> None:
        def done(result: tuple[int, int]) -> None:
            sent, total = result
            self.notify(ngettext("{sent} of {total} due email(s) sent.", "{sent} of {total} due email(s) sent.", total)
                        .format(sent=sent, total=total) if total else _("Nothing is due."), title=_("Outbox"))
            self.action_reload()

        self.call_service(process, self.app.ctx, done=done, failed=self._failed)

    def _failed(self, exc: InvoiceTuiError) -> None:
        show_error(self, exc, title=_("Not done"))
        self.action_reload()

    def action_close(self) -> None:
        self.app.pop_screen()


class SendingCommands(Provider):
    """Command palette entries for the sending screens ("Outbox: Open", "Payments: Open")."""

    def _commands(self):
        from invoice_tui.screens.payments import PaymentsScreen

        app = self.app
        return [(_("Outbox: Open"), lambda: app.push_screen(OutboxScreen()), _("Emails queued, sent, failed or unknown")),
                (_("Payments: Open payments index"), lambda: app.push_screen(PaymentsScreen()),
                 _("All payments; send a receipt (R10)"))]

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, text=name, help=help_text)
