"""Record payment (R8–R10, R40): three tabs, *New payment*, *Apply existing* and *Apply credit*
(the customer's credit from credit notes and overpayments, issue 21). An amount above the
balance is recorded as an overpayment once the user confirms it (R8): the excess becomes credit.

Field validators give instant feedback beside each field; on submit the service validates the
whole form (pydantic ``PaymentInput``) and applies R8's limits, and its refusal is shown in the
modal, beside the field it names. Escape cancels. The modal returns a sentence describing what
was done (for the screen's notification), or None when cancelled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TabbedContent, TabPane

from invoice_tui.domain import payments as payment_service
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.localize import short_date
from invoice_tui.domain.money import format_money, from_minor
from invoice_tui.modals.dialogs import ConfirmDialog
from invoice_tui.widgets.invoice_inputs import (IsoDate, LocalAmount, format_amount_input, parse_date,
                                                parse_local_decimal)
from invoice_tui.widgets.error_text import error_content, show_error
from invoice_tui.widgets.invoice_inputs import FieldError
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.tables import DataTable
from invoice_tui.widgets.search_input import SearchInput
from invoice_tui.widgets.toggles import Checkbox  # issue 24: its state in a glyph
from invoice_tui.i18n import N_, _, ngettext

METHOD_LABELS = {"bank_transfer": N_("Bank transfer"), "card": N_("Card"), "cash": N_("Cash"), "check": N_("Check"),
                 "other": N_("Other")}


@dataclass(frozen=True)
class PaymentTarget:
    """What the modal needs to know about the invoice (read before opening it)."""

    invoice_id: int
    label: str
    currency: str
    locale: str
    balance: Decimal
    allow_partial: bool
    today: dt.date
    # why an amount below the balance is refused now (the rule's sentence, R8), or "" when allowed
    partial_reason: str = ""
    credit: Decimal = Decimal(0)  # R40: the customer's credit available in the invoice's currency
    customer: str = ""  # whose credit (the invoice's company, else its billing contact)


@dataclass(frozen=True)
class UnappliedRow:
    id: int
    date: str
    amount: str
    method: str
    contact: str
    reference: str
    state: str


def find_unapplied_rows(currency: str, query: str, locale: str) -> list[UnappliedRow]:
    """R9 search, as plain rows (runs in a worker)."""
    text = query.strip()
    try:  # "1 234,50" in fr_FR becomes 1234.50 for the service's amount match
        if text and not text.lstrip("#").isdigit() and "@" not in text:
            text = str(parse_local_decimal(text, locale))
    except InvoiceTuiError:
        pass
    rows = []
    for p in payment_service.find_unapplied(currency, text):
        email = p.contact.email if p.contact_id and p.contact else ""
        rows.append(UnappliedRow(p.id, short_date(p.date, locale), format_money(from_minor(p.amount_minor, p.currency),
                                                                          p.currency, locale),
                                 _(METHOD_LABELS[p.method]) if p.method in METHOD_LABELS else p.method, email,
                                 p.reference, p.state))
    return rows


class RecordPaymentModal(ServiceCalls, ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="invoice.payment.cancel"),
                Binding("ctrl+t", "switch_tab", N_("New / apply existing / credit"), id="invoice.payment.switch_tab"),
                # issue 24: ctrl+s submits every form, from any field (priority: before the field's own keys)
                Binding("ctrl+s", "submit", N_("Record / apply"), id="invoice.payment.submit", priority=True)]

    def __init__(self, target: PaymentTarget) -> None:
        super().__init__()
        self.target = target
        self.rows: list[UnappliedRow] = []

    # ---- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        t = self.target
        balance = format_money(t.balance, t.currency, t.locale)
        with Vertical(id="payment-dialog", classes="invoice-modal"):
            yield Label(_("Record payment — {label} · balance due {amount}").format(label=t.label, amount=balance),
                        classes="modal-title",
                        markup=False)
            yield Static(_("ctrl+t: new payment, apply existing, apply credit · Escape cancels"), classes="modal-hint")
            with TabbedContent(id="payment-tabs"):
                with TabPane(_("New payment"), id="tab-new"):
                    with VerticalScroll():
                        yield Label(_("Amount"), markup=False)
                        lock = FieldError(id="payment-amount-lock", classes="field-lock")
                        lock.update(t.partial_reason)  # before the user types: the rule, beside the field
                        yield lock
                        yield Input(format_amount_input(t.balance, t.currency, t.locale), id="payment-amount",
                                    validators=[LocalAmount(t.currency, t.locale)])
                        yield FieldError(id="payment-amount-error")
                        with Horizontal(classes="form-row"):
                            with Vertical():
                                yield Label(_("Date"))
                                yield Input(t.today.isoformat(), id="payment-date", validators=[IsoDate()])
                            with Vertical():
                                yield Label(_("Method"))
                                yield Select([(_(label), key) for key, label in METHOD_LABELS.items()],
                                             value="bank_transfer", allow_blank=False, id="payment-method")
                        yield FieldError(id="payment-date-error")
                        yield Label(_("Reference"))
                        yield Input(id="payment-reference", placeholder=_("e.g. bank reference, check number"))
                        yield Label(_("Internal note"))
                        yield Input(id="payment-note")
                        yield Checkbox(_("Send a receipt to the customer"), False, id="payment-receipt")
                        yield FieldError(id="payment-error", classes="form-error")
                        with Horizontal(classes="modal-buttons"):
                            yield Button(_("Cancel"), id="payment-cancel")
                            yield Button(_("Record payment"), id="payment-record", variant="primary")
                with TabPane(_("Apply existing"), id="tab-apply"):
                    yield SearchInput(id="apply-search", placeholder=_("Search by amount, payment ID or contact email"))
                    yield DataTable(id="apply-table", cursor_type="row")
                    yield Static(_("Unapplied payments in {currency}. Enter applies the highlighted one.")
                                 .format(currency=t.currency),
                                 id="apply-status", classes="modal-hint")
                    yield FieldError(id="apply-error", classes="form-error")
                    with Horizontal(classes="modal-buttons"):
                        yield Button(_("Cancel"), id="apply-cancel")
                        yield Button(_("Apply payment"), id="apply-button", variant="primary")
                with TabPane(_("Apply credit"), id="tab-credit"):
                    credit = format_money(t.credit, t.currency, t.locale)
                    yield Static(_("{customer} has {amount} of credit (credit notes and overpayments).").format(
                        customer=t.customer, amount=credit) if t.customer else
                        _("The customer has {amount} of credit (credit notes and overpayments).").format(amount=credit),
                        id="credit-available", classes="modal-hint", markup=False)
                    yield Label(_("Amount to apply") if t.allow_partial
                                else _("Amount to apply (partial payments not allowed)"), markup=False)
                    yield Input(format_amount_input(min(t.credit, t.balance), t.currency, t.locale),
                                id="credit-amount", validators=[LocalAmount(t.currency, t.locale)])
                    yield FieldError(id="credit-amount-error")
                    yield FieldError(id="credit-error", classes="form-error")
                    with Horizontal(classes="modal-buttons"):
                        yield Button(_("Cancel"), id="credit-cancel")
                        yield Button(_("Apply credit"), id="credit-apply", variant="primary", disabled=t.credit <= 0)

    def on_mount(self) -> None:
        table = self.query_one("#apply-table", DataTable)
        table.add_columns(_("ID"), _("Date"), _("Amount"), _("Method"), _("Contact"), _("Reference"))
        self.query_one("#payment-amount", Input).focus()
        self.search("")

    def action_submit(self) -> None:
        """ctrl+s: what the open tab's main button does."""
        active = self.query_one("#payment-tabs", TabbedContent).active
        {"tab-apply": self.apply_selected, "tab-credit": self.apply_credit}.get(active, self.submit_new)()

    def action_switch_tab(self) -> None:
        tabs = self.query_one("#payment-tabs", TabbedContent)
        order = ["tab-new", "tab-apply", "tab-credit"]
        tabs.active = order[(order.index(tabs.active) + 1) % len(order)] if tabs.active in order else "tab-new"
        focus = {"tab-new": "#payment-amount", "tab-apply": "#apply-search", "tab-credit": "#credit-amount"}
        self.query_one(focus[tabs.active], Input).focus()

    # ---- new payment -----------------------------------------------------------------------
    @on(Input.Changed, "#payment-amount")
    @on(Input.Changed, "#payment-date")
    def _field_feedback(self, event: Input.Changed) -> None:
        target = "#payment-amount-error" if event.input.id == "payment-amount" else "#payment-date-error"
        result = event.validation_result
        self.query_one(target, Static).update("" if result is None or result.is_valid
                                              else "; ".join(result.failure_descriptions))

    @on(Input.Submitted, "#payment-amount")
    @on(Input.Submitted, "#payment-date")
    @on(Input.Submitted, "#payment-reference")
    @on(Input.Submitted, "#payment-note")
    @on(Button.Pressed, "#payment-record")
    def submit_new(self) -> None:
        t = self.target
        error = self.query_one("#payment-error", Static)
        error.update("")
        amount_text = self.query_one("#payment-amount", Input).value
        try:
            amount = parse_local_decimal(amount_text, t.locale, what=_("amount"))
            pay_date = parse_date(self.query_one("#payment-date", Input).value)
        except InvoiceTuiError as exc:
            error.update(error_content(exc))
            return
        data = {"amount": str(amount), "date": pay_date, "method": self.query_one("#payment-method", Select).value,
                "reference": self.query_one("#payment-reference", Input).value,
                "note": self.query_one("#payment-note", Input).value,
                "send_receipt": self.query_one("#payment-receipt", Checkbox).value}
        self._record(data, amount)

    def _record(self, data: dict, amount) -> None:
        t = self.target
        self.query_one("#payment-record", Button).disabled = True

        def done(result: payment_service.PaymentResult) -> None:
            shown = format_money(amount, t.currency, t.locale)
            text = _("Payment of {amount} recorded on {label}.").format(amount=shown, label=t.label)
            if data["send_receipt"]:
                text = (_("Payment of {amount} recorded on {label}. The receipt is queued.") if result.receipt_queued
                        else _("Payment of {amount} recorded on {label}. No receipt was sent: sending mail is not "
                               "available yet.")).format(amount=shown, label=t.label)
            self.dismiss(text)

        def failed(exc: InvoiceTuiError) -> None:
            if exc.code == "payment.before_invoice_date" and not data.get("in_advance"):
                self._confirm_in_advance(exc, lambda: self._record({**data, "in_advance": True}, amount))
            elif exc.code == "payment.over_balance" and not data.get("overpay"):
                self._confirm_overpay(exc, lambda: self._record({**data, "overpay": True}, amount))
            else:
                self._new_failed(exc)

        self.call_service(payment_service.record_payment, self.app.ctx, t.invoice_id, data,
                          done=lambda r: done(r), failed=failed)

    def _confirm_in_advance(self, exc: InvoiceTuiError, again) -> None:
        """R57: a payment dated before the invoice is recorded once the user confirms it was
        received in advance (the service's sentence says which dates)."""
        def answered(ok: bool | None) -> None:
            if ok:
                again()
            else:
                self._new_failed(exc)

        self.app.push_screen(ConfirmDialog(_("Received in advance?"), exc.message,
                                           confirm=_("Received in advance")), answered)

    def _confirm_overpay(self, exc: InvoiceTuiError, again) -> None:
        """R8: an amount above the balance is recorded once the user confirms the overpayment; the
        excess becomes the customer's credit (R40)."""
        self.app.push_screen(ConfirmDialog(_("Overpayment?"), exc.message, confirm=_("Record overpayment")),
                             lambda ok: again() if ok else self._new_failed(exc))

    def _new_failed(self, exc: InvoiceTuiError) -> None:
        self.query_one("#payment-record", Button).disabled = False
        show_error(self, exc, beside={"amount": "#payment-amount-error", "date": "#payment-date-error"},
                   summary="#payment-error")

    # ---- apply existing ----------------------------------------------------------------------
    @on(Input.Changed, "#apply-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search(event.value)

    def search(self, query: str) -> None:
        t = self.target
        self.call_service(find_unapplied_rows, t.currency, query, t.locale, done=self._show_rows,
                          group="payment-search", exclusive=True)

    def _show_rows(self, rows: list[UnappliedRow]) -> None:
        self.rows = rows
        table = self.query_one("#apply-table", DataTable)
        table.clear()
        for r in rows:
            table.add_row(f"#{r.id}", r.date, r.amount, r.method, r.contact, r.reference, key=str(r.id))
        status = self.query_one("#apply-status", Static)
        status.update(ngettext("{n} unapplied payment in {currency}. Enter applies the highlighted one.",
                               "{n} unapplied payments in {currency}. Enter applies the highlighted one.", len(rows))
                      .format(n=len(rows), currency=self.target.currency) if rows
                      else _("No unapplied payment in {currency} matches.").format(currency=self.target.currency))

    @on(Input.Submitted, "#apply-search")
    def _search_submitted(self) -> None:
        """Issue 24: Enter in the search picks the first match — applied at once when it is the only
        one, else highlighted in the list (Enter there applies it)."""
        table = self.query_one("#apply-table", DataTable)
        if not self.rows:
            self.query_one("#apply-error", Static).update(_("No payment matches this search."))
            return
        table.move_cursor(row=0)
        if len(self.rows) == 1:
            self.apply_selected()
        else:
            table.focus()

    @on(DataTable.RowSelected, "#apply-table")
    @on(Button.Pressed, "#apply-button")
    def apply_selected(self) -> None:
        table = self.query_one("#apply-table", DataTable)
        error = self.query_one("#apply-error", Static)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            error.update(_("Pick a payment to apply: search, then highlight one in the list."))
            return
        row = self.rows[table.cursor_row]
        error.update("")
        t = self.target

        def done(result: payment_service.PaymentResult) -> None:
            self.dismiss(_("Payment #{id} of {amount} applied to {label}.").format(id=row.id, amount=row.amount,
                                                                                    label=t.label))

        def apply(in_advance: bool = False) -> None:
            self.call_service(payment_service.apply_payment, self.app.ctx, row.id, t.invoice_id,
                              in_advance=in_advance, done=done, failed=failed)

        def failed(exc: InvoiceTuiError) -> None:
            if exc.code == "payment.before_invoice_date":
                self.app.push_screen(ConfirmDialog(_("Received in advance?"), exc.message,
                                                   confirm=_("Received in advance")),
                                     lambda ok: apply(True) if ok else error.update(error_content(exc)))
            else:
                error.update(error_content(exc))

        apply()

    # ---- apply credit (R40) ------------------------------------------------------------------
    @on(Input.Changed, "#credit-amount")
    def _credit_feedback(self, event: Input.Changed) -> None:
        result = event.validation_result
        self.query_one("#credit-amount-error", Static).update(
            "" if result is None or result.is_valid else "; ".join(result.failure_descriptions))

    @on(Input.Submitted, "#credit-amount")
    @on(Button.Pressed, "#credit-apply")
    def apply_credit(self) -> None:
        from invoice_tui.domain import credit as credit_service

        t = self.target
        error = self.query_one("#credit-error", Static)
        error.update("")
        try:
            amount = parse_local_decimal(self.query_one("#credit-amount", Input).value, t.locale, what=_("amount"))
        except InvoiceTuiError as exc:
            error.update(error_content(exc))
            return

        def done(_entry) -> None:
            self.dismiss(_("{amount} of credit applied to {label}.").format(
                amount=format_money(amount, t.currency, t.locale), label=t.label))

        def failed(exc: InvoiceTuiError) -> None:
            show_error(self, exc, beside={"amount": "#credit-amount-error"}, summary="#credit-error")

        self.call_service(credit_service.apply_credit, self.app.ctx, t.invoice_id, str(amount), done=done,
                          failed=failed)

    # ---- leaving -------------------------------------------------------------------------------
    @on(Button.Pressed, "#payment-cancel")
    @on(Button.Pressed, "#apply-cancel")
    @on(Button.Pressed, "#credit-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
