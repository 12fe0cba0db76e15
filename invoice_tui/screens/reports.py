"""The Reports screen (issue 27), from the palette ("Reports: Open reports") and ``R`` on the index:
aging as of any date with a bar per bucket, revenue per month with sparklines of billed and
collected, top customers by billed and by balance, DSO with its formula — one currency at a time
(``c`` next currency), all computed by ``domain.reports`` in one worker.

Every figure drills down with Enter: a figure of today opens the index filtered to exactly the
documents behind it (its totals are the figure: the filters come from ``domain.reports``);
collected opens the payments index; an aging figure as of a past date lists its invoices here,
each with its balance as of that date. ``t`` on a customer shows their statement of account; ``p``
writes it as a PDF and ``m`` emails it, PDF attached, through the outbox.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Sparkline, Static, TabbedContent, TabPane

from invoice_tui.domain import reports
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.localize import display_locale, month_label, month_span, short_date
from invoice_tui.domain.money import format_minor
from invoice_tui.i18n import N_, _, ngettext
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.palette import OpenScreenCommand
from invoice_tui.widgets.tables import DataTable

BAR_WIDTH = 24

# The screen's words for the domain's keys, in the reader's language (``domain.reports``' own labels
# are the statement document's, which follows the customer's language).
BUCKET_TEXT = {"current": N_("Current"), "1_30": "1–30", "31_60": "31–60", "61_90": "61–90", "over_90": "> 90"}
MOVEMENT_TEXT = {"invoice": N_("Invoice"), "credit_note": N_("Credit note"), "payment": N_("Payment"),
                 "refund": N_("Refund"), "credit_applied": N_("Credit applied")}
DSO_FORMULA = N_("DSO = receivables at the period's end ÷ billed over the period × days in the period")


def bucket_text(bucket: str) -> str:
    """An aging bucket's label ("Current" is a word, the others are day ranges)."""
    return _(BUCKET_TEXT[bucket]) if bucket in BUCKET_TEXT else reports.BUCKET_LABELS.get(bucket, bucket)


def movement_text(kind: str) -> str:
    return _(MOVEMENT_TEXT[kind]) if kind in MOVEMENT_TEXT else reports.MOVEMENT_LABELS.get(kind, kind)


def bar(value: int, top: int, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``value`` against ``top`` (eighths of a cell, never empty when above 0)."""
    if value <= 0 or top <= 0:
        return ""
    eighths = max(1, round(value * width * 8 / top))
    full, part = divmod(eighths, 8)
    return "█" * full + ("" if not part else " ▏▎▍▌▋▊▉"[part])


class ReportsScreen(ServiceCalls, Screen[None]):
    AUTO_FOCUS = "#aging-table"
    BINDINGS = [
        Binding("c", "next_currency", N_("Currency"), id="reports.currency"),
        Binding("a", "as_of", N_("As of"), id="reports.as_of"),
        Binding("b", "toggle_rank", N_("Rank by"), id="reports.rank"),
        Binding("t", "statement", N_("Statement"), id="reports.statement"),
        Binding("p", "statement_pdf", N_("Statement PDF"), id="reports.statement_pdf"),
        Binding("m", "statement_email", N_("Email statement"), id="reports.statement_email"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="reports.reload"),
        Binding("escape", "close", N_("Back"), id="reports.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: reports.Overview | None = None
        self.currency: str | None = None
        self.as_of = None
        self.rank = "billed"
        self.items: list[reports.OpenItem] = []
        self.statements: list[reports.Statement] = []  # the statement shown (one per currency)
        self.statement_of = None  # its customer
        self.locale = "en_US"  # the reader's, read with the figures: amounts and dates as it writes them

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Loading reports…"), id="reports-status", markup=False)
        with TabbedContent(id="reports-tabs"):
            with TabPane(_("Aging"), id="tab-aging"):
                with Horizontal(id="aging-bar"):
                    yield Static(_("As of"), classes="reports-label")
                    yield Input(id="reports-as-of", placeholder=_("YYYY-MM-DD"))
                    yield Static("", id="aging-note", markup=False)
                yield DataTable(id="aging-table", cursor_type="row")
                yield DataTable(id="aging-items", cursor_type="row")
            with TabPane(_("Revenue"), id="tab-revenue"):
                with Horizontal(classes="spark-row"):
                    yield Static(_("Billed"), classes="reports-label")
                    yield Sparkline([], id="spark-billed")
                    yield Static("", id="peak-billed", classes="spark-peak", markup=False)
                with Horizontal(classes="spark-row"):
                    yield Static(_("Collected"), classes="reports-label")
                    yield Sparkline([], id="spark-collected")
                    yield Static("", id="peak-collected", classes="spark-peak", markup=False)
                yield DataTable(id="revenue-table", cursor_type="cell")
            with TabPane(_("Customers"), id="tab-customers"):
                yield DataTable(id="customers-table", cursor_type="cell")
            with TabPane(_("Statement"), id="tab-statement"):
                yield Static(_("t on a customer (Customers tab) shows their statement of account here"),
                             id="statement-head", markup=False)
                yield DataTable(id="statement-table", cursor_type="row")
                yield Static("", id="statement-aging", markup=False)
            with TabPane(_("DSO"), id="tab-dso"):
                yield Static(_(DSO_FORMULA).replace(" × ", "\n      × "), id="dso-formula", markup=False)
                yield DataTable(id="dso-table", cursor_type="cell")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#aging-items", DataTable).display = False
        self.action_reload()

    # ---- loading ---------------------------------------------------------------------------------
    def action_reload(self) -> None:
        self.query_one("#reports-status", Static).update(_("Loading reports…"))
        self.call_service(_overview, self.app.ctx, self.as_of, done=self._loaded, failed=self._failed,
                          group="reports", exclusive=True)

    def _failed(self, exc: InvoiceTuiError) -> None:
        self.query_one("#reports-status", Static).update(exc.message)

    def _loaded(self, loaded: tuple[reports.Overview, str]) -> None:
        data, self.locale = loaded
        self.data = data
        if self.currency not in data.currencies:
            self.currency = data.currencies[0] if data.currencies else None
        as_of = self.query_one("#reports-as-of", Input)
        if not as_of.value:
            as_of.value = data.as_of.isoformat()
        self._show()

    def _money(self, minor: int) -> str:
        return format_minor(minor, self.currency or "EUR", self.locale)

    def _date(self, day) -> str:
        return short_date(day, self.locale)

    def _show(self) -> None:
        data, cur = self.data, self.currency
        if data is None:
            return
        n = len(data.currencies)
        where = (_("{currency} ({i} of {n})").format(currency=cur, i=data.currencies.index(cur) + 1, n=n) if cur
                 else _("nothing billed yet"))
        period = _("{start} to {end}").format(start=self._date(data.start), end=self._date(data.end))
        self.query_one("#reports-status", Static).update(
            f"{where} · {period} · " + _("c currency · Enter drills down"))
        self._show_aging()
        self._show_revenue()
        self._show_customers()
        self._show_dso()

    def _show_aging(self) -> None:
        data, cur = self.data, self.currency
        table = self.query_one("#aging-table", DataTable)
        table.clear(columns=True)
        table.add_column(_("Bucket"), key="bucket")
        table.add_column(_("Invoices"), key="count")
        table.add_column(_("Balance"), key="balance")
        table.add_column("", key="bar", width=BAR_WIDTH + 1)  # a fixed width: drawn whole at once
        row = next((r for r in data.aging if r.currency == cur), None) or reports.AgingRow(cur or "EUR")
        top = max(row.buckets.values(), default=0)
        for b in reports.BUCKETS:
            table.add_row(bucket_text(b), _right(str(row.counts[b])), _right(self._money(row.buckets[b])),
                          bar(row.buckets[b], top), key=b)
        table.add_row(_("Total"), _right(str(sum(row.counts.values()))), _right(self._money(row.total)), "",
                      key="total")
        past = data.as_of < data.today
        self.query_one("#aging-note", Static).update(
            _("past date: Enter lists its invoices") if past else _("Enter opens the invoices"))
        self.query_one("#aging-items", DataTable).display = False

    def _show_revenue(self) -> None:
        rows = [r for r in self.data.revenue if r.currency == self.currency]
        self.query_one("#spark-billed", Sparkline).data = [max(r.billed_minor, 0) for r in rows] or [0]
        self.query_one("#spark-collected", Sparkline).data = [max(r.collected_minor, 0) for r in rows] or [0]
        for what, values in (("billed", [r.billed_minor for r in rows]), ("collected", [r.collected_minor for r in rows])):
            top = max(values, default=0)  # the plot's scale: its highest month, and the months it spans
            self.query_one(f"#peak-{what}", Static).update(
                _("max {amount}").format(amount=self._money(top))
                + "\n" + month_span(rows[0].month, rows[-1].month, self.locale)
                if rows else "")
        table = self.query_one("#revenue-table", DataTable)
        table.clear(columns=True)
        for label, key in ((_("Month"), "month"), (_("Billed"), "billed"), (_("Net"), "net"), (_("Tax"), "tax"),
                           (_("Collected"), "collected")):
            table.add_column(label, key=key)
        for r in rows:
            table.add_row(month_label(r.month, self.locale), *(_right(self._money(v)) for v in (r.billed_minor, r.net_minor, r.tax_minor,
                                                                      r.collected_minor)), key=r.month)

    def _figures(self) -> list[reports.CustomerFigure]:
        figs = self.data.top_billed if self.rank == "billed" else self.data.top_balance
        return [f for f in figs if f.currency == self.currency]

    def _show_customers(self) -> None:
        table = self.query_one("#customers-table", DataTable)
        table.clear(columns=True)
        table.add_column("#", key="rank")
        table.add_column(_("Customer"), key="customer")
        table.add_column(_("Billed") + (" ▼" if self.rank == "billed" else ""), key="billed")
        table.add_column(_("Balance") + (" ▼" if self.rank == "balance" else ""), key="balance")
        for n, f in enumerate(self._figures(), 1):
            table.add_row(str(n), f.name[:34], _right(self._money(f.billed_minor)),
                          _right(self._money(f.balance_minor)), key=str(n))

    def _show_dso(self) -> None:
        table = self.query_one("#dso-table", DataTable)
        table.clear(columns=True)
        for label, key in ((_("Currency"), "currency"), (_("Receivables"), "receivables"), (_("Billed"), "billed"),
                           (_("Days"), "days"), (_("DSO"), "dso")):
            table.add_column(label, key=key)
        for r in self.data.dso:
            table.add_row(r.currency, _right(format_minor(r.receivables_minor, r.currency, self.locale)),
                          _right(format_minor(r.billed_minor, r.currency, self.locale)), _right(str(r.days)),
                          "—" if r.dso is None else ngettext("{n} day", "{n} days", int(r.dso)).format(n=r.dso),
                          key=r.currency)

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        tables = [t for t in event.pane.query(DataTable) if t.display]
        if tables:
            tables[0].focus()

    # ---- keys ------------------------------------------------------------------------------------
    def action_next_currency(self) -> None:
        if self.data and self.data.currencies:
            cs = self.data.currencies
            self.currency = cs[(cs.index(self.currency) + 1) % len(cs)] if self.currency in cs else cs[0]
            self._show()

    def action_as_of(self) -> None:
        self.query_one(TabbedContent).active = "tab-aging"
        self.query_one("#reports-as-of", Input).focus()

    def action_toggle_rank(self) -> None:
        self.rank = "balance" if self.rank == "billed" else "billed"
        if self.data:
            self._show_customers()

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_statement(self) -> None:
        """The statement of account of the customer under the cursor on the Customers tab."""
        table = self.query_one("#customers-table", DataTable)
        figs = self._figures() if self.data else []
        if not figs or table.cursor_row is None or not 0 <= table.cursor_row < len(figs):
            self.notify(_("Pick a customer on the Customers tab first."), severity="warning")
            return
        fig = figs[table.cursor_row]
        from invoice_tui.domain.credit_records import Customer

        self.statement_of = Customer(fig.company_id, None if fig.company_id else fig.contact_id)
        self.call_service(reports.statement, self.app.ctx, self.statement_of, self.data.as_of,
                          done=self._show_statement, failed=self._failed, group="reports-statement", exclusive=True)

    def _shown_statement(self) -> list[reports.Statement] | None:
        if not self.statements:
            self.notify(_("Open a customer's statement first: t on the Customers tab."), severity="warning")
            return None
        return self.statements

    def action_statement_pdf(self) -> None:
        """The statement shown, as a PDF (issue 27), written where the user says."""
        from functools import partial

        from invoice_tui.modals.download_pdf import DownloadPdfModal, statement_file_name, write_statement_pdf

        statements = self._shown_statement()
        if statements is None:
            return

        def done(path: str | None) -> None:
            if path:
                self.notify(_("Statement written to {path}").format(path=path), title=_("Statement PDF"))

        name = statement_file_name(statements).removesuffix(".pdf")
        self.app.push_screen(DownloadPdfModal(name, partial(write_statement_pdf, statements)), done)

    def action_statement_email(self) -> None:
        """The statement shown, emailed to the customer with its PDF through the outbox (issue 27)."""
        from invoice_tui.modals.dialogs import ConfirmDialog

        statements = self._shown_statement()
        if statements is None:
            return

        def answered(ok: bool | None) -> None:
            if ok:
                self.call_service(_email_statement, self.app.ctx, statements, self.statement_of,
                                  done=lambda message: self.notify(message, title=_("Statement")), failed=self._failed,
                                  group="reports-statement-email")

        message = _("{customer}'s statement of account as of {date}, with its PDF, goes to their address through "
                    "the outbox.").format(customer=statements[0].customer_label, date=self._date(statements[0].as_of))
        self.app.push_screen(ConfirmDialog(_("Email the statement?"), message, confirm=_("Send")), answered)

    def _show_statement(self, statements: list[reports.Statement]) -> None:
        self.statements = statements
        st = next((s for s in statements if s.currency == self.currency), statements[0] if statements else None)
        table = self.query_one("#statement-table", DataTable)
        table.clear(columns=True)
        for label in (_("Date"), _("Document"), _("Reference"), _("Amount"), _("Balance")):
            table.add_column(label)
        if st is None:
            return
        m = lambda minor: format_minor(minor, st.currency, self.locale)  # noqa: E731
        self.query_one("#statement-head", Static).update(
            _("{customer} · {currency} · {start} to {end}").format(
                customer=st.customer_label, currency=st.currency, start=self._date(st.start), end=self._date(st.as_of)))
        table.add_row(self._date(st.start), _("Opening balance"), "", "", _right(m(st.opening_minor)))
        for mv in st.movements:
            amount = m(mv.amount_minor) if mv.kind != "credit_applied" else f"({m(mv.shown_minor)})"
            table.add_row(self._date(mv.day), movement_text(mv.kind), mv.reference, _right(amount),
                          _right(m(mv.balance_minor)))
        table.add_row(self._date(st.as_of), _("Closing balance"), "", "", _right(m(st.closing_minor)))
        open_buckets = "  ".join(f"{bucket_text(b)} {m(st.aging.buckets[b])}" for b in reports.BUCKETS
                                 if st.aging.buckets[b])
        self.query_one("#statement-aging", Static).update(
            _("Aging") + "  " + open_buckets if open_buckets else _("Aging  nothing open"))
        self.query_one(TabbedContent).active = "tab-statement"
        table.focus()

    @on(Input.Submitted, "#reports-as-of")
    def _as_of_typed(self, event: Input.Submitted) -> None:
        try:
            day = reports.parse_as_of(event.value, self.app.ctx)
        except InvoiceTuiError as exc:
            self.query_one("#aging-note", Static).update(exc.message)
            return
        self.as_of = day
        self.query_one("#aging-table", DataTable).focus()
        self.action_reload()

    # ---- drill-down ------------------------------------------------------------------------------
    def open_index(self, filters) -> None:
        """The index below, filtered to the documents behind a figure (its own filter machinery)."""
        self.app.show_index_filtered(filters)

    @on(DataTable.RowSelected, "#aging-table")
    def _aging_selected(self, event: DataTable.RowSelected) -> None:
        data, cur = self.data, self.currency
        if data is None or cur is None:
            return
        bucket = None if event.row_key.value == "total" else event.row_key.value
        if data.as_of >= data.today:
            self.open_index(reports.aging_filters(data.today, cur, bucket))
            return
        self.call_service(reports.aging_items, self.app.ctx, data.as_of, cur, bucket, done=self._items,
                          failed=self._failed, group="reports-items", exclusive=True)

    def _items(self, items: list[reports.OpenItem]) -> None:
        self.items = items
        table = self.query_one("#aging-items", DataTable)
        table.clear(columns=True)
        for label in (_("Invoice"), _("Customer"), _("Due"), _("Late"),
                      _("Balance {date}").format(date=self._date(self.data.as_of))):
            table.add_column(label)
        for i in items:
            table.add_row(i.number, i.customer[:24], self._date(i.due_date) if i.due_date else "—",
                          _right(str(i.days_overdue)), _right(self._money(i.balance_minor)), key=str(i.invoice_id))
        table.display = True
        table.focus()

    @on(DataTable.RowSelected, "#aging-items")
    def _item_selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_invoice(int(event.row_key.value))

    @on(DataTable.CellSelected, "#revenue-table")
    def _revenue_selected(self, event: DataTable.CellSelected) -> None:
        month, column = event.cell_key.row_key.value, event.cell_key.column_key.value
        if column == "collected":
            from invoice_tui.screens.payments import PaymentsScreen

            self.app.push_screen(PaymentsScreen())
            return
        self.open_index(reports.revenue_filters(month, self.currency, self.data.start, self.data.end))

    @on(DataTable.CellSelected, "#customers-table")
    def _customer_selected(self, event: DataTable.CellSelected) -> None:
        figs = self._figures()
        n = int(event.cell_key.row_key.value) - 1
        if not 0 <= n < len(figs):
            return
        by = "balance" if event.cell_key.column_key.value == "balance" else "billed"
        # ranked by billed, both figures are of the period's documents; by balance, of all of them
        start, end = (self.data.start, self.data.end) if self.rank == "billed" else (None, None)
        self.open_index(reports.customer_filters(figs[n], by, start, end))

    @on(DataTable.CellSelected, "#dso-table")
    def _dso_selected(self, event: DataTable.CellSelected) -> None:
        cur, column = event.cell_key.row_key.value, event.cell_key.column_key.value
        if column == "billed":
            self.open_index(reports.billed_filters(cur, self.data.start, self.data.end))
        elif column == "receivables" and self.data.end >= self.data.today:
            self.open_index(reports.aging_filters(self.data.today, cur))


def _right(text: str) -> Text:
    """An amount or a count in a table: right-aligned, so that its digits line up."""
    return Text(text, justify="right")


def _overview(ctx, as_of) -> tuple[reports.Overview, str]:
    """The figures, and the reader's locale (issue 24: amounts and dates as it writes them)."""
    return reports.overview(ctx, as_of), display_locale(ctx)


def _email_statement(ctx, statements, customer) -> str:
    """Queue the statement's email and deliver it with the workspace's transport (one worker)."""
    from invoice_tui.domain.errors import EnvironmentFailure
    from invoice_tui.mail.statements import send_statement
    from invoice_tui.mail.transport import transport_for

    try:
        transport = transport_for(ctx)
    except EnvironmentFailure:
        transport = None  # kept in the outbox: sent once a transport is configured
    result = send_statement(ctx, statements, customer=customer, transport=transport)
    to = result.email.to_addrs
    if result.delivered:
        return _("Statement sent to {address}.").format(address=to)
    return _("Statement to {address}: {message}.").format(address=to, message=result.message)


class ReportsCommands(OpenScreenCommand):
    NAME = N_("Reports: Open reports")
    HELP = N_("R — aging, revenue, top customers, DSO, statements")

    def make_screen(self) -> Screen:
        return ReportsScreen()
