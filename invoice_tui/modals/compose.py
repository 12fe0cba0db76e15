"""The compose screen (R30–R32): send an invoice by email, or write a custom email.

- To is prefilled with the billing contact; ``ctrl+t`` (or "Pick contact") picks another
  contact; a new address may be typed — a contact is created for it once the server accepts
  the email.
- CC: type an address and press Enter to add it (up to 9; the 10th is refused with a message);
  Delete removes the highlighted one.
- From follows R30: a choice of the allowed addresses when the workspace has a default, else a
  field prefilled with your own address (which then becomes the workspace default).
- Subject and message come from the workspace templates and can be edited for this send.
- The preview pane on the right shows exactly what will be sent (headers, text, attachment),
  rebuilt by the same function that builds the message, after every change.
- "Custom email" (``ctrl+o`` toggles) is a free composer; ``ctrl+i``/"Insert invoice" picks an
  invoice and inserts a link labelled with its number. A custom email has no PDF and never
  changes the invoice's last sent date (R32).

``ctrl+s`` sends: the email is stored in the outbox first, then delivered; the screen closes with
a notification ("accepted by the mail server", or "queued for retry" when the server is down).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import (Button, Footer, Header, Input, Label, OptionList, RadioButton, RadioSet,
                             Select, Static, TextArea)
from textual.widgets.option_list import Option

from invoice_tui.domain import reads
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.invoice_page import email_kind_word, email_state_word
from invoice_tui.domain.reads import Row
from invoice_tui.widgets.error_text import error_content, error_text, show_error
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.tables import DataTable
from invoice_tui.i18n import N_, _

_NO_SELECTION = getattr(Select, "NULL", Select.BLANK)  # Textual 8: Select.NULL

MAX_CC = 9
_STATUSES = ("draft", "open", "paid", "voided", "issued")


@dataclass
class ComposeStart:
    """Plain data to open the screen with (built in a worker)."""

    number: str
    invoice_draft: object  # mail.compose.EmailDraft
    custom_draft: object
    from_allowed: tuple[str, ...]
    can_send_invoice: str  # "" or the reason the invoice email is not possible
    is_draft: bool = False  # a draft's invoice email is refused until it is finalized (the form stays on it)


def load_start(ctx, invoice_id: int) -> ComposeStart:
    from invoice_tui.domain.invoices import get_invoice
    from invoice_tui.domain.settings import load_settings
    from invoice_tui.mail.compose import check_sendable, custom_draft, from_choice, invoice_draft

    settings = load_settings()
    inv = get_invoice(invoice_id)
    reason = ""
    try:
        check_sendable(inv)
    except InvoiceTuiError as exc:
        reason = error_text(exc)
    return ComposeStart(inv.number or _("Draft #{id}").format(id=inv.id), invoice_draft(ctx, inv, settings),
                        custom_draft(ctx, inv, settings), from_choice(ctx, settings).allowed, reason,
                        is_draft=inv.status == "draft")


def preview(ctx, draft) -> tuple[bool, str]:
    """(ok, text): the preview of exactly what will be sent, or the reason it cannot be sent."""
    from invoice_tui.mail.compose import prepare, preview_text

    try:
        return True, preview_text(prepare(ctx, draft, with_attachment=False))
    except InvoiceTuiError as exc:
        return False, error_text(exc)


def send(ctx, draft) -> tuple[bool, str]:
    from invoice_tui.mail.sending import send_draft
    from invoice_tui.mail.transport import transport_for

    res = send_draft(ctx, draft, transport_for(ctx))
    if res.delivered:
        return True, _("Sent to {to}: accepted by the mail server.").format(to=res.email.to_addrs)
    if res.email.state == "failed" and res.email.next_attempt_at:
        return False, _("Queued for retry (outbox email {id}): {message}").format(id=res.email.id, message=res.message)
    if res.email.state == "rejected":
        return False, _("Rejected by the mail server, not retried (outbox email {id}): {message}").format(
            id=res.email.id, message=res.message)
    return False, _("Not sent (outbox email {id} is {state}): {message}").format(
        id=res.email.id, state=email_state_word(res.email.state), message=res.message)



def link_for(invoice_id: int) -> str:
    from invoice_tui.domain.invoices import get_invoice
    from invoice_tui.mail.compose import insert_invoice_link

    return insert_invoice_link(get_invoice(invoice_id))


class InsertInvoiceModal(ServiceCalls, ModalScreen[int | None]):
    """Pick a finalized invoice to insert as a link in a custom email."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="compose.insert.cancel"),
                Binding("down", "focus_table", N_("List"), show=False, id="compose.insert.list")]

    def compose(self) -> ComposeResult:
        with Vertical(id="insert-invoice-dialog", classes="invoice-modal"):
            yield Label(_("Insert invoice"), classes="modal-title")
            yield Input(id="insert-search", placeholder=_("Search number, contact or company…"))
            yield DataTable(id="insert-table", cursor_type="row")
            yield Static(_("Enter inserts · ↓ moves to the list · Escape cancels"), classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(_("Number"), _("Contact"), _("Status"), _("Balance due"))
        self.query_one("#insert-search", Input).focus()
        self._search("")

    @on(Input.Changed, "#insert-search")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value.strip())

    def _search(self, query: str) -> None:
        self.call_service(reads.finalized_invoices, query, done=self._show, group="insert", exclusive=True)

    def _show(self, rows: list[Row]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for row in rows:
            cells = list(row.cells)
            if len(cells) > 2:  # the status, stored in English
                from invoice_tui.domain.invoice_page import status_word

                cells[2] = status_word(cells[2].lower()).lower() if cells[2].lower() in _STATUSES else cells[2]
            table.add_row(*cells, key=str(row.id))

    def action_focus_table(self) -> None:
        self.query_one(DataTable).focus()

    @on(Input.Submitted, "#insert-search")
    def _submitted(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            self.dismiss(int(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value))

    @on(DataTable.RowSelected, "#insert-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(int(event.row_key.value))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ComposeScreen(ServiceCalls, Screen[str | None]):
    """Compose and send the email of one invoice (R30–R32); see the module docstring."""

    BINDINGS = [
        Binding("ctrl+s", "send", N_("Send"), id="compose.send", priority=True),
        Binding("ctrl+t", "pick_contact", N_("Pick contact"), id="compose.pick_contact"),
        Binding("ctrl+o", "toggle_mode", N_("Invoice/custom"), id="compose.toggle_mode"),
        Binding("ctrl+g", "insert_invoice", N_("Insert invoice"), id="compose.insert_invoice"),
        Binding("escape", "cancel", N_("Cancel"), id="compose.cancel"),
    ]

    def __init__(self, invoice_id: int, *, custom: bool = False) -> None:
        super().__init__()
        self.invoice_id = invoice_id
        self.start_custom = custom
        self.start: ComposeStart | None = None
        self.mode = "custom" if custom else "invoice"
        self.cc: list[str] = []
        self.to_name = ""
        self._texts: dict[str, tuple[str, str]] = {}
        self._ready = False
        self.last_preview = ""
        self.preview_ok = False

    # ---- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="compose-body"):
            with VerticalScroll(id="compose-form"):
                yield Label(_("Send invoice"), id="compose-title", classes="modal-title")
                with RadioSet(id="compose-mode"):
                    yield RadioButton(_("Invoice email (details, link, PDF)"), value=not self.start_custom,
                                      id="mode-invoice")
                    yield RadioButton(_("Custom email"), value=self.start_custom, id="mode-custom")
                yield Label(_("From"))
                yield Vertical(id="compose-from-box")
                yield Label(_("To"))
                with Horizontal(classes="compose-row"):
                    yield Input(id="compose-to", placeholder=_("name@example.com"))
                    yield Button(_("Pick contact"), id="compose-pick")
                yield Label(_("CC (Enter adds; up to {n}; Delete removes the highlighted one)").format(n=MAX_CC))
                yield Input(id="compose-cc-input", placeholder=_("cc@example.com"))
                yield OptionList(id="compose-cc")
                yield Static("", id="compose-cc-error", classes="form-error")
                yield Label(_("Subject"))
                yield Input(id="compose-subject")
                with Horizontal(classes="compose-row"):
                    yield Label(_("Message"), id="compose-message-label")
                    yield Button(_("Insert invoice"), id="compose-insert")
                yield TextArea(id="compose-message", soft_wrap=True)
                yield Static("", id="compose-error", classes="form-error")
                with Horizontal(classes="modal-buttons"):
                    yield Button(_("Cancel"), id="compose-cancel")
                    yield Button(_("Send"), id="compose-send", variant="primary")
            with Vertical(id="compose-preview-box"):
                yield Label(_("Preview — exactly what will be sent"), classes="modal-title")
                with VerticalScroll(id="compose-preview-scroll"):
                    yield Static(_("Loading…"), id="compose-preview", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.call_service(load_start, self.app.ctx, self.invoice_id, done=self._loaded, group="compose-load")

    def _loaded(self, start: ComposeStart) -> None:
        self.start = start
        inv_d, cus_d = start.invoice_draft, start.custom_draft
        self._texts = {"invoice": (inv_d.subject, inv_d.body), "custom": (cus_d.subject, cus_d.body)}
        if start.can_send_invoice:
            self.mode = "custom" if not start.is_draft else "invoice"
        self.query_one("#compose-title", Label).update(_("Email — {number}").format(number=start.number))
        box = self.query_one("#compose-from-box", Vertical)
        if start.from_allowed:
            box.mount(Select([(a, a) for a in start.from_allowed], value=start.from_allowed[0], allow_blank=False,
                             id="compose-from"))
        else:
            box.mount(Input(inv_d.from_addr, id="compose-from", placeholder=_("you@example.com")))
        self.query_one("#compose-to", Input).value = inv_d.to
        self.to_name = inv_d.to_name
        self._apply_mode(self.mode, initial=True)
        self._ready = True
        self.query_one("#compose-to", Input).focus()
        self.refresh_preview()

    # ---- reading the form ------------------------------------------------------------------
    def _from_value(self) -> str:
        widget = self.query_one("#compose-from")
        value = widget.value
        return "" if value is None or value is _NO_SELECTION else str(value)

    def current_draft(self):
        from invoice_tui.mail.compose import EmailDraft

        return EmailDraft(kind=self.mode, invoice_id=self.invoice_id,
                          to=self.query_one("#compose-to", Input).value, to_name=self.to_name, cc=list(self.cc),
                          from_addr=self._from_value(), subject=self.query_one("#compose-subject", Input).value,
                          body=self.query_one("#compose-message", TextArea).text)

    def refresh_preview(self) -> None:
        if not self._ready:
            return
        self.call_service(preview, self.app.ctx, self.current_draft(), done=self._show_preview, group="preview",
                          exclusive=True)

    def _show_preview(self, result: tuple[bool, str]) -> None:
        ok, text = result
        self.preview_ok, self.last_preview = ok, text
        self.query_one("#compose-preview", Static).update(text if ok else _("Cannot send yet:\n{reason}").format(
            reason=text))
        self.query_one("#compose-preview-box").set_class(not ok, "-invalid")

    @on(Input.Changed, "#compose-to")
    def _to_changed(self, event: Input.Changed) -> None:
        if self._ready and self.start and event.value != self.start.invoice_draft.to:
            self.to_name = ""  # a typed address has no display name (yet)
        self.refresh_preview()

    @on(Input.Changed, "#compose-subject")
    @on(TextArea.Changed, "#compose-message")
    @on(Input.Changed, "#compose-from")
    @on(Select.Changed, "#compose-from")
    def _changed(self) -> None:
        self.refresh_preview()

    # ---- mode -------------------------------------------------------------------------------
    def _apply_mode(self, mode: str, *, initial: bool = False) -> None:
        if not initial and self._ready:
            self._texts[self.mode] = (self.query_one("#compose-subject", Input).value,
                                      self.query_one("#compose-message", TextArea).text)
        self.mode = mode
        subject, body = self._texts.get(mode, ("", ""))
        self.query_one("#compose-subject", Input).value = subject
        self.query_one("#compose-message", TextArea).text = body
        self.query_one("#compose-insert", Button).display = mode == "custom"
        self.query_one("#mode-invoice", RadioButton).value = mode == "invoice"
        self.query_one("#mode-custom", RadioButton).value = mode == "custom"
        self.query_one("#compose-send", Button).label = _("Send invoice email") if mode == "invoice" else _("Send email")

    @on(RadioSet.Changed, "#compose-mode")
    def _mode_changed(self, event: RadioSet.Changed) -> None:
        mode = "custom" if event.pressed.id == "mode-custom" else "invoice"
        if self._ready and mode != self.mode:
            self._apply_mode(mode)
            self.refresh_preview()

    def action_toggle_mode(self) -> None:
        if self._ready:
            self._apply_mode("invoice" if self.mode == "custom" else "custom")
            self.refresh_preview()

    # ---- To / CC ----------------------------------------------------------------------------
    @on(Button.Pressed, "#compose-pick")
    def action_pick_contact(self) -> None:
        from invoice_tui.modals.pickers import PickerModal

        def picked(contact_id: int | None) -> None:
            if contact_id is not None:
                self.call_service(reads.contact_address, contact_id, done=self._set_to, group="compose-contact")

        self.app.push_screen(PickerModal("contact", _("Send to which contact?")), picked)

    def _set_to(self, pair: tuple[str, str]) -> None:
        email, name = pair
        self.query_one("#compose-to", Input).value = email
        self.to_name = name
        self.refresh_preview()

    @on(Input.Submitted, "#compose-cc-input")
    def _add_cc(self, event: Input.Submitted) -> None:
        self.add_cc(event.value)

    def add_cc(self, value: str) -> bool:
        from invoice_tui.mail.compose import check_address

        error = self.query_one("#compose-cc-error", Static)
        text = value.strip()
        if not text:
            return False
        if len(self.cc) >= MAX_CC:
            error.update(_("An email can have at most {n} CC addresses (R30); remove one before adding another.")
                         .format(n=MAX_CC))
            self.notify(_("At most {n} CC addresses (R30).").format(n=MAX_CC), severity="error", title=_("CC refused"))
            return False
        try:
            addr = check_address(text, "CC")
        except InvoiceTuiError as exc:
            error.update(error_content(exc))
            return False
        if addr not in self.cc:
            self.cc.append(addr)
            self.query_one("#compose-cc", OptionList).add_option(Option(addr, id=addr))
        error.update("")
        self.query_one("#compose-cc-input", Input).value = ""
        self.refresh_preview()
        return True

    def on_key(self, event) -> None:
        cc_list = self.query_one("#compose-cc", OptionList)
        if event.key == "delete" and cc_list.has_focus and cc_list.highlighted is not None:
            option = cc_list.get_option_at_index(cc_list.highlighted)
            self.cc.remove(option.id)
            cc_list.remove_option(option.id)
            self.query_one("#compose-cc-error", Static).update("")
            self.refresh_preview()
            event.stop()

    # ---- insert invoice (custom email) -------------------------------------------------------
    @on(Button.Pressed, "#compose-insert")
    def action_insert_invoice(self) -> None:
        if self.mode != "custom":
            self.notify(_("Insert invoice is for custom emails (ctrl+o switches)."), severity="warning")
            return

        def picked(invoice_id: int | None) -> None:
            if invoice_id is not None:
                self.call_service(link_for, invoice_id, done=self.insert_text, group="compose-link")

        self.app.push_screen(InsertInvoiceModal(), picked)

    def insert_text(self, text: str) -> None:
        area = self.query_one("#compose-message", TextArea)
        area.insert(text)
        area.focus()
        self.refresh_preview()

    # ---- send / cancel ----------------------------------------------------------------------
    @on(Button.Pressed, "#compose-send")
    def action_send(self) -> None:
        if not self._ready:
            return
        error = self.query_one("#compose-error", Static)
        error.update(_("Sending…"))
        self.query_one("#compose-send", Button).disabled = True
        self.call_service(send, self.app.ctx, self.current_draft(),
                          done=self._sent, failed=self._failed, group="compose-send", exclusive=True)

    def _sent(self, result: tuple[bool, str]) -> None:
        delivered, message = result
        self.notify(message, title=_("Email sent") if delivered else _("Email queued"),
                    severity="information" if delivered else "warning", timeout=8)
        self.dismiss("sent" if delivered else "queued")

    def _failed(self, exc: InvoiceTuiError) -> None:
        self.query_one("#compose-send", Button).disabled = False
        show_error(self, exc, title=_("Not sent"), summary="#compose-error", notify=True)

    @on(Button.Pressed, "#compose-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
