"""Create credit note (R36, R37): full, chosen lines and quantities, or an amount with a VAT rate
and category; a reason is required. The service checks everything (the cap: what can still be
credited) and its refusal is shown in the modal beside the field it names; nothing is written.

The modal creates the draft and, with "Create and issue", issues it at once (R39: applied to the
invoice's balance first, the rest to the customer's credit). It returns a sentence for the
screen's notification, or None when cancelled. Escape cancels.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from invoice_tui.domain.errors import BadInput, InvoiceTuiError
from invoice_tui.widgets.error_text import show_error
from invoice_tui.widgets.invoice_inputs import FieldError, parse_local_decimal
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.i18n import N_, _

MODES = ((N_("Full: every line"), "full"), (N_("Chosen lines and quantities"), "lines"),
         (N_("An amount with a VAT rate"), "amount"))


@dataclass(frozen=True)
class CreditTarget:
    invoice_id: int
    label: str
    currency: str
    locale: str
    creditable: str  # what can still be credited, formatted
    lines: tuple[tuple[str, str], ...]  # (name, quantity) in the invoice's order
    rate: str  # the amount's VAT rate[:category] to start from: the invoice's (``InvoiceView.credit_rate``)


def parse_lines(text: str, locale: str) -> list[tuple[int, str]]:
    """``2:1, 3:0.5`` → [(2, "1"), (3, "0.5")] (positions as the document lists the lines)."""
    out = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        pos, sep, qty = part.partition(":")
        if not sep or not pos.strip().isdigit():
            raise BadInput(_("Write the lines as LINE:QUANTITY, e.g. 2:1, 3:0.5 (not '{part}').").format(part=part),
                           field="lines")
        out.append((int(pos), str(parse_local_decimal(qty.strip(), locale, what=_("quantity")))))
    if not out:
        raise BadInput(_("Give the lines to credit as LINE:QUANTITY, e.g. 2:1."), field="lines")
    return out


class CreditNoteModal(ServiceCalls, ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="invoice.credit_note.cancel")]

    def __init__(self, target: CreditTarget) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        t = self.target
        lines = " · ".join(f"{i}: {name[:18]} ×{qty}" for i, (name, qty) in enumerate(t.lines, 1))
        with Vertical(id="credit-note-dialog", classes="invoice-modal"):
            yield Label(_("Create credit note — {label} · creditable {amount}").format(label=t.label,
                                                                                         amount=t.creditable),
                        classes="modal-title", markup=False)
            yield Label(_("Reason (required)"))
            yield Input(id="cn-reason", placeholder=_("e.g. Goods returned, price corrected"))
            yield FieldError(id="cn-reason-error")
            yield Select([(_(label), mode) for label, mode in MODES], value="full", allow_blank=False, id="cn-mode")
            yield Label(_("Lines LINE:QTY (e.g. 2:1)"), id="cn-lines-label")
            yield Input(id="cn-lines", placeholder=lines[:70] or _("no lines"))
            yield Label(_("Net amount before VAT, and VAT rate[:category]"), id="cn-amount-label")
            with Horizontal(classes="form-row", id="cn-amount-row"):
                yield Input(id="cn-amount", placeholder=_("amount"))
                yield Input(t.rate, id="cn-rate", placeholder=_("20 or 0:E"))
            yield FieldError(id="cn-error", classes="form-error")
            with Horizontal(classes="modal-buttons"):
                yield Button(_("Cancel"), id="cn-cancel")
                yield Button(_("Save draft"), id="cn-draft")
                yield Button(_("Create and issue"), id="cn-issue", variant="primary")

    def on_mount(self) -> None:
        self._show_mode("full")
        self.query_one("#cn-reason", Input).focus()

    @on(Select.Changed, "#cn-mode")
    def _mode_changed(self, event: Select.Changed) -> None:
        self._show_mode(str(event.value))

    def _show_mode(self, mode: str) -> None:
        for wid, shown in (("#cn-lines-label", mode == "lines"), ("#cn-lines", mode == "lines"),
                           ("#cn-amount-label", mode == "amount"), ("#cn-amount-row", mode == "amount")):
            self.query_one(wid).display = shown

    @on(Button.Pressed, "#cn-draft")
    def save_draft(self) -> None:
        self._submit(issue=False)

    @on(Input.Submitted)
    @on(Button.Pressed, "#cn-issue")
    def create_and_issue(self) -> None:
        self._submit(issue=True)

    def _submit(self, *, issue: bool) -> None:
        t = self.target
        error = self.query_one("#cn-error", Static)
        error.update("")
        mode = str(self.query_one("#cn-mode", Select).value)
        kwargs: dict = {"reason": self.query_one("#cn-reason", Input).value}
        try:
            if mode == "full":
                kwargs["full"] = True
            elif mode == "lines":
                kwargs["lines"] = parse_lines(self.query_one("#cn-lines", Input).value, t.locale)
            else:
                kwargs["amount"] = str(parse_local_decimal(self.query_one("#cn-amount", Input).value, t.locale,
                                                           what=_("amount")))
                rate, _sep, category = self.query_one("#cn-rate", Input).value.partition(":")
                kwargs["rate"], kwargs["category"] = rate.strip() or "0", category.strip()
        except InvoiceTuiError as exc:
            show_error(self, exc, beside={}, summary="#cn-error")
            return
        for b in self.query(Button):
            b.disabled = True

        def done(cn) -> None:
            if cn.status == "issued":
                self.dismiss(_("{number} issued for {label}.").format(number=cn.number, label=t.label))
            else:
                self.dismiss(_("Draft credit note #{id} saved for {label}; issue it from its page.").format(
                    id=cn.id, label=t.label))

        def failed(exc: InvoiceTuiError) -> None:
            for b in self.query(Button):
                b.disabled = False
            show_error(self, exc, beside={"reason": "#cn-reason-error"}, summary="#cn-error")

        from invoice_tui.domain.credit import create_credit_note_and_issue

        self.call_service(create_credit_note_and_issue, self.app.ctx, t.invoice_id, issue=issue, done=done,
                          failed=failed, **kwargs)

    @on(Button.Pressed, "#cn-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
