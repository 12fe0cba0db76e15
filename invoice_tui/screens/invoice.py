"""The invoice screen: the document as the buyer sees it on the left, the cards on the right,
the actions menu (`a`) with exactly R4's/R5's actions, each also in the ctrl+p palette.

Keys: ``a`` actions · ``e`` edit · ``p`` record payment · ``s`` send · ``1``–``5`` jump to a card
(About, Payments, Contacts, Companies, History) · ``escape`` back · ``ctrl+r`` reload.
Every action calls the same service as the CLI, in a worker thread; a refusal is shown with the
service's sentence and nothing changes. The page follows changes made elsewhere (another user,
the CLI): the document, the cards and the actions (the open menu too) reload; an action started
on what the page showed before is re-checked by its service, which refuses it with the reason.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Markdown, Static

from invoice_tui.domain import invoices as invoice_service
from invoice_tui.domain import payments as payment_service
from invoice_tui.domain.errors import InvoiceTuiError, NotFound
from invoice_tui.domain.invoice_page import InvoiceView, PaymentRow, load_activities, load_invoice_view
from invoice_tui.domain.invoices import ActionState
from invoice_tui.i18n import N_, _, ngettext
from invoice_tui.modals.dialogs import ConfirmDialog, InfoDialog, ReasonDialog, TypedConfirmDialog
from invoice_tui.widgets.cards import AboutCard, CompaniesCard, ContactsCard, HistoryCard, PaymentsCard
from invoice_tui.widgets.error_text import error_text, show_error
from invoice_tui.widgets.invoice_view import open_in_browser
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.live import Live
from invoice_tui.widgets.tables import DataTable

SET_BASE_URL = N_("No public base URL is set for this workspace, so the invoice has no buyer link yet. "
                  "A super admin can set it with: invoice-tui settings set public_base_url https://…")


def action_label(action_id: str) -> str:
    """An action's name in the reader's language ("Record payment")."""
    from invoice_tui.modals.actions import action_title

    return action_title(action_id, invoice_service.ACTION_LABELS.get(action_id, action_id))


class InvoiceCommands(Provider):
    """The invoice's actions in the ctrl+p palette ("Invoices: Record payment", …)."""

    def _commands(self) -> list[tuple[str, ActionState]]:
        screen = self.screen
        if not isinstance(screen, InvoiceScreen) or screen.view is None:
            return []
        return [(_("Invoices: {action}").format(action=action_label(a.id)), a) for a in screen.view.actions]

    async def discover(self) -> Hits:
        screen = self.screen
        for text, action in self._commands():
            yield DiscoveryHit(text, partial(screen.run_action_id, action.id),
                               help=action.reason if not action.enabled else "")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        screen = self.screen
        for text, action in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(screen.run_action_id, action.id), text=text,
                          help=_("Not available: {reason}").format(reason=action.reason) if not action.enabled else "")


class InvoiceScreen(Live, ServiceCalls, Screen[None]):
    """One invoice, by id."""

    COMMANDS = {InvoiceCommands}
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="invoices.back"),
        Binding("a", "actions", N_("Actions"), id="invoices.actions"),
        Binding("e", "run('edit')", N_("Edit"), id="invoices.edit"),
        Binding("p", "run('record_payment')", N_("Record payment"), id="invoices.record_payment"),
        Binding("s", "run('send_email')", N_("Send"), id="invoices.send"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="invoices.reload"),
        Binding("1", "card('card-about')", N_("About"), show=False, id="invoices.card_about"),
        Binding("2", "card('card-payments')", N_("Payments"), show=False, id="invoices.card_payments"),
        Binding("3", "card('card-contacts')", N_("Contacts"), show=False, id="invoices.card_contacts"),
        Binding("4", "card('card-companies')", N_("Companies"), show=False, id="invoices.card_companies"),
        Binding("5", "card('card-history')", N_("History"), show=False, id="invoices.card_history"),
        Binding("0", "focus_document", N_("Document"), show=False, id="invoices.document"),
        Binding("R", "repeat", N_("Repeat"), show=False, id="invoices.repeat"),
    ]

    def __init__(self, invoice_id: int, *, finalize: bool = False) -> None:
        """``finalize``: run Finalize once the page is loaded (the editor's Save & finalize refused
        for the seller's legal data: the page walks through the seller profile, R2/R43)."""
        super().__init__()
        self.invoice_id = int(invoice_id)
        self.finalize_on_load = finalize
        self.view: InvoiceView | None = None
        self.history_search = ""
        self._menu = None  # the actions menu while it is open (it follows the invoice)

    # ---- layout & loading ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="invoice-heading"):
            yield Static(_("Loading…"), id="invoice-label", markup=False)
            yield Static("", id="invoice-status-badge", markup=False)
            yield Static("", id="invoice-overdue-badge", markup=False)
            yield Static("", id="invoice-amounts", markup=False)
        with Horizontal(id="invoice-body"):
            with VerticalScroll(id="invoice-document"):
                yield Markdown("", id="invoice-markdown")
            with VerticalScroll(id="invoice-panel"):
                yield AboutCard()
                yield PaymentsCard()
                yield ContactsCard()
                yield CompaniesCard()
                yield HistoryCard()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#invoice-document").focus()
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    def changed_elsewhere(self, change) -> None:
        """Another user, the CLI or another screen changed this invoice (its payments, history),
        a name it shows, or a setting: the document, cards and actions follow."""
        if change.concerns_invoice(self.invoice_id) or change.concerns("contact", "company", "user", "settings"):
            self.reload()

    def reload(self) -> None:
        self.call_service(load_invoice_view, self.app.ctx, self.invoice_id, self.history_search,
                          done=self._show, failed=self._load_failed, group="invoice-load", exclusive=True)

    def _load_failed(self, exc: InvoiceTuiError) -> None:
        show_error(self, exc, title=_("Cannot show this invoice"))
        if isinstance(exc, NotFound) and len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def _show(self, view: InvoiceView) -> None:
        view.actions = [a if a.enabled or a.error is None else replace(a, reason=error_text(a.error))
                        for a in view.actions]  # a rule's refusal, with the TUI's remedy
        self.view = view
        if self.finalize_on_load:
            self.finalize_on_load = False
            self.call_after_refresh(self.run_action_id, "finalize")
        elif getattr(self, "_finalize_when_loaded", False):  # back from the seller profile (R43)
            self._finalize_when_loaded = False
            state = next((a for a in view.actions if a.id == "finalize"), None)
            if state is not None and state.enabled:
                self.call_after_refresh(self.do_finalize, view)
            elif state is not None:  # still missing: said beside the action, no second walk
                self.notify(state.reason, title=_("{action}: not available").format(action=action_label("finalize")), severity="warning", timeout=8)
        self.sub_title = view.label
        self.query_one("#invoice-label", Static).update(view.label)
        badge = self.query_one("#invoice-status-badge", Static)
        badge.update(f" {view.status_label} ")
        badge.set_classes(f"badge -{view.status}")
        overdue = self.query_one("#invoice-overdue-badge", Static)
        overdue.update(" " + ngettext("Overdue {days} d", "Overdue {days} d", view.days_overdue)
                       .format(days=view.days_overdue) + " " if view.overdue else "")
        overdue.display = view.overdue
        amounts = Text()
        if view.is_credit_note:  # R42: what it does to a balance is subtracted
            amounts.append(_("Credits {number}:").format(number=view.corrects_number) + " ", style="bold")
            amounts.append(f"−{view.billed_text}")
        elif view.settled_as == "Credited":
            amounts.append(_("Credited in full {amount}").format(amount=view.billed_text), style="bold")
        elif view.status == "open":
            amounts.append(_("Balance {amount}").format(amount=view.balance_text), style="bold")
            amounts.append(" " + _("of {amount}").format(amount=view.billed_text))
        elif view.status == "paid":
            amounts.append(_("Paid in full {amount}").format(amount=view.billed_text), style="bold")
        elif view.status == "voided":
            amounts.append(_("Voided · billed {amount}").format(amount=view.billed_text))
        else:
            amounts.append(_("Billed {amount}").format(amount=view.billed_text))
        self.query_one("#invoice-amounts", Static).update(amounts)
        document = self.query_one("#invoice-markdown", Markdown)
        if document.source != view.markdown:  # rebuilding the document is the costly part of a reload
            document.update(view.markdown)
        for card in (AboutCard, PaymentsCard, ContactsCard, CompaniesCard, HistoryCard):
            self.query_one(card).show(view)
        self.refresh_bindings()
        if self._menu is not None and self._menu.is_attached:
            self._menu.set_actions(view.actions)

    # the footer shows e/p/s only when the action is one of this invoice's (R4/R5); a disabled one
    # stays bound so that pressing it says why it is not allowed now
    _ACTION_KEYS = {"edit", "record_payment", "send_email"}

    # the cards' edits of a field (owner, contacts, companies): shown disabled while a rule forbids
    # the change, the rule's sentence in the card (issue 19: the refusal comes before the choice)
    _FIELD_ACTIONS = {"change_owner": "owner", "add_contact": "contacts", "remove_contact": "contacts",
                      "make_billing": "contacts", "add_company": "companies", "remove_company": "companies",
                      "make_main_company": "companies"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "run" and parameters and parameters[0] in self._ACTION_KEYS:
            if self.view is None:
                return False
            return any(a.id == parameters[0] for a in self.view.actions)
        if action in self._FIELD_ACTIONS:
            if self.view is None:
                return None
            state = self.view.fields.get(self._FIELD_ACTIONS[action])
            return True if state is None or state.enabled else None
        return True

    # ---- navigation ---------------------------------------------------------------------------
    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def action_card(self, card_id: str) -> None:
        self.query_one(f"#{card_id}").focus_card()  # type: ignore[attr-defined]

    def action_focus_document(self) -> None:
        self.query_one("#invoice-document").focus()

    # ---- the actions menu ---------------------------------------------------------------------
    def action_actions(self) -> None:
        if self.view is None:
            return
        from invoice_tui.modals.actions import ActionsModal

        def chosen(action_id: str | None) -> None:
            self._menu = None
            if action_id:
                self.run_action_id(action_id)

        self._menu = ActionsModal(self.view.label, self.view.actions)
        self.app.push_screen(self._menu, chosen)

    def action_repeat(self) -> None:
        """R49: make a recurring schedule from this invoice."""
        from invoice_tui.domain.recurring import make_from_texts
        from invoice_tui.modals.schedule_form import ScheduleForm

        view = self.view
        if view is None:
            return

        def chosen(form: dict | None) -> None:
            if form:
                self.call_service(make_from_texts, self.app.ctx, view.id, **form, failed=self._repeat_failed,
                                  done=lambda s: (self.notify(_("Schedule #{id} made; first invoice on {date}.")
                                                              .format(id=s.id, date=s.next_run), title=_("Repeat")),
                                                  self.reload()))

        self.app.push_screen(ScheduleForm(view.label, self.app.ctx.today().isoformat()), chosen)

    def _repeat_failed(self, exc: InvoiceTuiError) -> None:
        show_error(self, exc, title=_("Not repeated"))

    def action_run(self, action_id: str) -> None:
        self.run_action_id(action_id)

    def run_action_id(self, action_id: str) -> None:
        """Run one of R4/R5's actions if it is allowed now, else say why."""
        view = self.view
        if view is None:
            return
        state = next((a for a in view.actions if a.id == action_id), None)
        label = action_label(action_id)
        if state is None:
            self.notify(_("{action} is not an action of a {status} invoice (R4/R5).")
                        .format(action=label, status=view.status_label.lower()), title=label, severity="warning")
            return
        if not state.enabled:
            if action_id == "finalize" and self._walk_seller_profile(state):
                return
            self.notify(state.reason, title=_("{action}: not available").format(action=label), severity="warning",
                        timeout=8)
            return
        getattr(self, f"do_{action_id}")(view)

    def _walk_seller_profile(self, state) -> bool:
        """R2/R43: a finalize refused for the seller's legal data (the first finalize in a workspace)
        opens the seller profile as a focused form, the missing settings named; back from it, the
        finalize goes on when nothing is missing any more. False when the refusal is not about
        settings this user may change."""
        from invoice_tui.domain.permissions import has
        from invoice_tui.domain.settings import SETTING_KEYS
        from invoice_tui.screens.settings import SettingsScreen

        error = state.error
        if error is None or getattr(error, "code", "") != "invoice.legal_data_missing" \
                or not has(self.app.ctx, "settings"):
            return False
        keys = tuple(f for f in (getattr(error, "fields", None) or []) if f in SETTING_KEYS)
        if not keys:
            return False
        purpose = _("Finalizing needs the seller's legal data first (R2, R43). Fill in each field marked "
                    "below and press Enter to save it; Escape returns to the invoice to finalize it.")

        def back(_result=None) -> None:
            self._finalize_when_loaded = True
            self.reload()

        self.app.push_screen(SettingsScreen(focus=keys, purpose=purpose), back)
        return True

    # each do_* runs an enabled action
    def do_edit(self, view: InvoiceView) -> None:
        from invoice_tui.screens.editor import EditorScreen

        self.app.push_screen(EditorScreen(view.id), lambda _saved=None: self.reload())

    def do_finalize(self, view: InvoiceView) -> None:
        def ask(number: str) -> None:
            message = _("Finalize {label}? It will get the number {number}. The currency and number are "
                        "then frozen, a buyer link is created and reminders are planned (R2, R3).").format(
                label=view.label, number=number)
            self.app.push_screen(ConfirmDialog(_("Finalize invoice"), message,
                                               confirm=_("Finalize as {number}").format(number=number)),
                                 lambda ok: ok and self._finalize(view))

        self.call_service(invoice_service.preview_number, done=ask)

    def _finalize(self, view: InvoiceView) -> None:
        def done(inv) -> None:
            self.notify(_("Finalized as {number}.").format(number=inv.number), title=_("Finalized"))
            self.reload()

        self.call_service(invoice_service.finalize_invoice, self.app.ctx, view.id, expected_version=view.version,
                          done=done, failed=self._refused)

    def do_record_payment(self, view: InvoiceView) -> None:
        from invoice_tui.modals.record_payment import PaymentTarget, RecordPaymentModal

        partial = view.fields.get("partial_amount")
        target = PaymentTarget(view.id, view.label, view.currency, view.locale, view.balance, view.allow_partial,
                               self.app.ctx.today(), partial.reason if partial is not None else "",
                               credit=view.credit, customer=view.customer)

        def after(text: str | None) -> None:
            if text:
                self.notify(text, title=_("Payment"))
            self.reload()

        self.app.push_screen(RecordPaymentModal(target), after)

    def do_charge(self, view: InvoiceView) -> None:
        """R5/R34: charge the billing contact's saved payment method for the balance. The attempt
        is recorded before Stripe is called, so the Payments card shows it (processing) while the
        charge runs, then its outcome, without a reload (the page follows the workspace's changes)."""
        from invoice_tui.domain import online

        def ask(methods) -> None:
            if not methods:
                self.notify(_("The billing contact has no saved payment method."), severity="warning")
                return
            label = online.method_label(methods[0])
            message = _("Charge {amount} to {method} for {label}? The customer is not present "
                        "(an off-session charge); a card that needs the buyer's authentication is not charged. "
                        "The receipt goes to the buyer and to you.").format(amount=view.balance_text, method=label,
                                                                             label=view.label)
            self.app.push_screen(ConfirmDialog(action_label("charge"), message,
                                               confirm=_("Charge {method}").format(method=label)),
                                 lambda ok: ok and self._charge(view, methods[0].method_ref))

        self.call_service(online.methods_for_invoice_id, view.id, done=ask, failed=self._refused)

    def _charge(self, view: InvoiceView, method_ref: str) -> None:
        from invoice_tui.domain import online

        def done(res) -> None:
            if res.state == "succeeded":
                self.notify(_("Payment #{id} succeeded.").format(id=res.payment.id), title=_("Charged"))
            elif res.state == "processing":
                self.notify(_("Payment #{id} is processing; the invoice is settled when it succeeds.")
                            .format(id=res.payment.id), title=_("Charging"))
            elif res.state == "requires_action":
                self.notify(_("The card needs the buyer's authentication (3-D Secure); it cannot be charged with "
                              "the buyer away. Send them the invoice so that they pay it themselves."),
                            title=_("Requires action"), severity="warning", timeout=10)
            else:
                self.notify(_("Declined: {reason}").format(reason=res.reason or _("no reason given")),
                            title=_("Charge declined"),
                            severity="error", timeout=10)
            self.reload()

        self.notify(_("Charging… the attempt is recorded; Stripe is being asked."), title=_("Charge"))
        self.call_service(online.charge_invoice, self.app.ctx, view.id, method_ref=method_ref, done=done,
                          failed=self._refused)

    def do_property_history(self, view: InvoiceView) -> None:
        from invoice_tui.modals.property_history import PropertyHistoryModal

        self.app.push_screen(PropertyHistoryModal(view.id, view.label))

    def do_copy_link(self, view: InvoiceView) -> None:
        link = view.link
        if link is None:
            self.app.push_screen(InfoDialog(action_label("copy_link"), _(SET_BASE_URL)))
            return
        self.app.copy_to_clipboard(link)
        self.app.push_screen(InfoDialog(_("Link copied"), _("{link}\n\nCopied to the clipboard through the terminal "
                                                            "(OSC 52; works over SSH in most terminals).")
                                        .format(link=link)))

    def do_view_invoice(self, view: InvoiceView) -> None:
        link = view.link
        if link is None:
            self.app.push_screen(InfoDialog(action_label("view_invoice"), _(SET_BASE_URL)))
            return
        if open_in_browser(link):
            self.notify(_("Opened {link} in your browser.").format(link=link), title=action_label("view_invoice"))
            return
        self.app.copy_to_clipboard(link)
        self.app.push_screen(InfoDialog(action_label("view_invoice"),
                                        _("No graphical browser here (SSH or no display). "
                                          "Open this link on your computer:\n\n{link}\n\n"
                                          "It was also copied to the clipboard (OSC 52).").format(link=link)))

    def do_clone(self, view: InvoiceView) -> None:
        def done(inv) -> None:
            self.notify(_("Cloned {label} into draft #{id}.").format(label=view.label, id=inv.id), title=_("Cloned"))
            self.reload()
            self.app.push_screen(InvoiceScreen(inv.id))

        self.call_service(invoice_service.clone_invoice, self.app.ctx, view.id, done=done, failed=self._refused)

    def do_delete(self, view: InvoiceView) -> None:
        if view.status == "draft":
            dialog = ConfirmDialog(_("Delete draft"), _("Delete {label}? This cannot be undone; its history is "
                                                        "kept.").format(label=view.label),
                                   confirm=_("Delete draft"), danger=True)
        else:
            dialog = TypedConfirmDialog(
                _("Delete invoice"),
                _("Deleting {label} is permanent. The number {number} will never be given again: it "
                  "leaves a permanent gap in the numbering (R3, R12). Its history is kept.").format(
                    label=view.label, number=view.number),
                expected_text=view.number or view.label, confirm=_("Delete invoice"))

        def done(label: str) -> None:
            self.notify(_("{label} deleted.").format(label=label), title=_("Deleted"))
            self.action_back()

        self.app.push_screen(dialog, lambda ok: ok and self.call_service(
            invoice_service.delete_invoice, self.app.ctx, view.id, done=done, failed=self._refused))

    def do_void(self, view: InvoiceView) -> None:
        dialog = TypedConfirmDialog(
            _("Void invoice"),
            _("Voiding {label} is irreversible: no payment can be collected on it afterwards and it cannot be "
              "un-voided (R13). The number stays used.").format(label=view.label),
            expected_text=view.number or view.label, confirm=_("Void invoice"))

        def done(inv) -> None:
            self.notify(_("{number} voided.").format(number=inv.number), title=_("Voided"))
            self.reload()

        self.app.push_screen(dialog, lambda ok: ok and self.call_service(
            invoice_service.void_invoice, self.app.ctx, view.id, done=done, failed=self._refused))

    def do_send_email(self, view: InvoiceView) -> None:
        from invoice_tui.modals.compose import ComposeScreen

        self.app.push_screen(ComposeScreen(view.id), lambda _sent=None: self.reload())

    def do_download_pdf(self, view: InvoiceView) -> None:
        from functools import partial

        from invoice_tui.modals.download_pdf import DownloadPdfModal, write_pdf

        def done(path: str | None) -> None:
            if path:
                self.notify(_("PDF written to {path}").format(path=path), title=action_label("download_pdf"))

        self.app.push_screen(DownloadPdfModal(view.number or f"invoice-{view.id}", partial(write_pdf, view.id)), done)

    def do_edit_reminders(self, view: InvoiceView) -> None:
        from invoice_tui.modals.reminders import RemindersModal

        self.app.push_screen(RemindersModal(view.id), lambda _changed=None: self.reload())

    # ---- credit notes (R36–R42) ----------------------------------------------------------------
    def do_credit_note(self, view: InvoiceView) -> None:
        from invoice_tui.modals.credit_note import CreditNoteModal, CreditTarget

        target = CreditTarget(view.id, view.label, view.currency, view.locale, view.creditable_text,
                              tuple(view.lines), view.credit_rate)

        def after(text: str | None) -> None:
            if text:
                self.notify(text, title=_("Credit note"))
            self.reload()

        self.app.push_screen(CreditNoteModal(target), after)

    def do_issue(self, view: InvoiceView) -> None:
        from invoice_tui.domain import credit as credit_service

        message = _("Issue {label}? It gets the next CN- number, is applied to the balance of {invoice} "
                    "first, and the rest becomes the customer's credit. An issued credit note never changes (R38)."
                    ).format(label=view.label, invoice=view.corrects)

        def done(cn) -> None:
            self.notify(_("Issued as {number}.").format(number=cn.number), title=_("Credit note issued"))
            self.reload()

        self.app.push_screen(ConfirmDialog(action_label("issue"), message, confirm=action_label("issue")),
                             lambda ok: ok and self.call_service(credit_service.issue_credit_note, self.app.ctx,
                                                                 view.id, done=done, failed=self._refused))

    def do_cancel_replace(self, view: InvoiceView) -> None:
        from invoice_tui.domain import credit as credit_service

        dialog = ReasonDialog(
            action_label("cancel_replace"),
            _("Issue a full credit note for {label} and open a draft copy to correct (R41). The credit note "
              "is final. Type the reason for the credit note below.").format(label=view.label),
            confirm=action_label("cancel_replace"), placeholder=_("Reason, e.g. wrong address"))

        def done(result) -> None:
            cn, draft = result
            self.notify(_("{label} cancelled by {number}; draft #{id} opened to correct.").format(
                label=view.label, number=cn.number, id=draft.id), title=action_label("cancel_replace"))
            self.reload()
            self.app.push_screen(InvoiceScreen(draft.id))

        def run(reason) -> None:
            if reason:
                self.call_service(credit_service.cancel_and_replace, self.app.ctx, view.id, reason=str(reason),
                                  done=done, failed=self._refused)

        self.app.push_screen(dialog, run)

    def _refused(self, exc: InvoiceTuiError) -> None:
        show_error(self, exc, title=_("Not done"))
        self.reload()

    # ---- payments card ------------------------------------------------------------------------
    def _selected_key(self, table_id: str) -> str | None:
        table = self.query_one(f"#{table_id}", DataTable)
        if table.row_count == 0 or table.cursor_row is None:
            return None
        try:
            return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        except Exception:  # noqa: BLE001 - an empty or refreshing table
            return None

    def _selected_payment(self) -> PaymentRow | None:
        key = self._selected_key("payments-table")
        if key is None or self.view is None:
            return None
        return next((p for p in self.view.payments if str(p.id) == key), None)

    @on(DataTable.RowSelected, "#payments-table")
    def action_open_payment(self) -> None:
        payment = self._selected_payment()
        if payment is None:
            return
        from invoice_tui.modals.payment_detail import PaymentDetailModal

        self.app.push_screen(PaymentDetailModal(payment), lambda choice: choice == "delete" and
                             self._confirm_delete_payment(payment))

    def action_delete_payment(self) -> None:
        payment = self._selected_payment()
        if payment is None:
            self.notify(_("Highlight a payment in the Payments card first."), severity="warning")
            return
        self._confirm_delete_payment(payment)

    def action_refund_payment(self) -> None:
        """R11: an online payment is refunded from the Payments card (in full, or the amount typed)."""
        payment = self._selected_payment()
        if payment is None:
            self.notify(_("Highlight a payment in the Payments card first."), severity="warning")
            return
        if payment.source != "online":
            self.notify(_("A manual payment is deleted (d), not refunded (R11)."), severity="warning")
            return
        from invoice_tui.modals.refund import RefundModal

        def chosen(choice: dict | None) -> None:
            if choice is None:
                return

            def done(res) -> None:
                from invoice_tui.domain.invoice_page import payment_state_word

                state = payment_state_word(res.payment.state)
                self.notify(_("Refunded payment #{id} (now {state}). The credit note is issued.").format(
                    id=payment.id, state=state) if choice["credit_note"] else
                    _("Refunded payment #{id} (now {state}).").format(id=payment.id, state=state), title=_("Refund"))
                self.reload()

            self.call_service(self._refund_service(), self.app.ctx, payment.id, choice["amount"] or None,
                              credit_note_reason=choice["credit_note"], done=done, failed=self._refused)

        self.app.push_screen(RefundModal(payment.id, payment.amount), chosen)

    @staticmethod
    def _refund_service():
        from invoice_tui.domain import online

        return online.refund_payment

    def _confirm_delete_payment(self, payment: PaymentRow) -> None:
        if payment.source == "online":
            self.notify(_("Online payments are never deleted; they are refunded (R11)."), severity="warning")
            return
        message = _("Delete payment #{id} of {amount}? The payment record is deleted, the balance "
                    "is restored and a paid invoice is reopened (R11).").format(id=payment.id, amount=payment.amount)

        def done(_inv) -> None:
            self.notify(_("Payment #{id} deleted.").format(id=payment.id), title=_("Payment deleted"))
            self.reload()

        self.app.push_screen(ConfirmDialog(_("Delete payment"), message, confirm=_("Delete payment"), danger=True),
                             lambda ok: ok and self.call_service(payment_service.delete_payment, self.app.ctx,
                                                                 payment.id, done=done, failed=self._refused))

    # ---- associations (contacts, companies, owner): edits of the invoice ----------------------
    def _edit(self, data: dict, message: str) -> None:
        view = self.view
        if view is None:
            return

        def done(_result) -> None:
            self.notify(message)
            self.reload()

        self.call_service(invoice_service.edit_invoice, self.app.ctx, view.id, data, expected_version=view.version,
                          done=done, failed=self._refused)

    def _pick(self, kind: str, title: str, then) -> None:
        from invoice_tui.modals.pickers import PickerModal

        self.app.push_screen(PickerModal(kind, title), lambda picked: picked is not None and then(picked))

    def action_add_contact(self) -> None:
        if self._field_locked("add_contact"):
            return
        if self.view is None:
            return
        ids = [c.id for c in self.view.contacts]

        def add(cid: int) -> None:
            data = {"contact_ids": ids + [cid]}
            if self.view and self.view.contact_id is None:
                data["contact_id"] = cid
            self._edit(data, _("Contact associated."))

        self._pick("contact", _("Associate a contact"), add)

    def action_remove_contact(self) -> None:
        if self._field_locked("remove_contact"):
            return
        key = self._selected_key("contacts-table")
        if key is None or self.view is None:
            self.notify(_("Highlight a contact in the Contacts card first."), severity="warning")
            return
        cid = int(key)
        if cid == self.view.contact_id:
            self.notify(_("This is the billing contact; make another contact the billing one first (b)."),
                        severity="warning")
            return
        self._edit({"contact_ids": [c.id for c in self.view.contacts if c.id != cid]}, _("Contact removed."))

    def action_make_billing(self) -> None:
        if self._field_locked("make_billing"):
            return
        key = self._selected_key("contacts-table")
        if key is None:
            self.notify(_("Highlight a contact in the Contacts card first."), severity="warning")
            return
        self._edit({"contact_id": int(key)}, _("Billing contact changed."))

    def action_add_company(self) -> None:
        if self._field_locked("add_company"):
            return
        if self.view is None:
            return
        ids = [c.id for c in self.view.companies]

        def add(cid: int) -> None:
            data = {"company_ids": ids + [cid]}
            if self.view and self.view.company_id is None:
                data["company_id"] = cid
            self._edit(data, _("Company associated."))

        self._pick("company", _("Associate a company"), add)

    def action_remove_company(self) -> None:
        if self._field_locked("remove_company"):
            return
        key = self._selected_key("companies-table")
        if key is None or self.view is None:
            self.notify(_("Highlight a company in the Companies card first."), severity="warning")
            return
        cid = int(key)
        data: dict = {"company_ids": [c.id for c in self.view.companies if c.id != cid]}
        if cid == self.view.company_id:
            data["company_id"] = None
        self._edit(data, _("Company removed."))

    def action_make_main_company(self) -> None:
        if self._field_locked("make_main_company"):
            return
        key = self._selected_key("companies-table")
        if key is None:
            self.notify(_("Highlight a company in the Companies card first."), severity="warning")
            return
        self._edit({"company_id": int(key)}, _("Company of the invoice changed."))

    def _field_locked(self, action: str) -> bool:
        """A locked field's edit reached by another road (the command palette): say why, pick nothing."""
        state = self.view.fields.get(self._FIELD_ACTIONS[action]) if self.view is not None else None
        if state is None or state.enabled:
            return False
        self.notify(state.reason, title=_("Not allowed now"), severity="warning", timeout=8)
        return True

    def action_change_owner(self) -> None:
        if self._field_locked("change_owner"):
            return
        self._pick("user", _("Invoice owner"), lambda uid: self._edit({"owner_id": uid}, _("Owner changed.")))

    def action_all_properties(self) -> None:
        if self.view is None:
            return
        from invoice_tui.modals.property_history import AllPropertiesModal

        self.app.push_screen(AllPropertiesModal(self.view.label, self.view.record))

    # ---- history card -------------------------------------------------------------------------
    def action_search_history(self) -> None:
        self.query_one("#card-history").collapsed = False  # type: ignore[attr-defined]
        self.query_one("#history-search", Input).focus()

    @on(Input.Changed, "#history-search")
    def _history_search(self, event: Input.Changed) -> None:
        self.history_search = event.value.strip()
        locale = self.view.locale if getattr(self, "view", None) is not None else None
        self.call_service(load_activities, self.invoice_id, self.history_search, locale,
                          done=self.query_one(HistoryCard).show_activities, group="history-search", exclusive=True)

    @on(Input.Submitted, "#history-search")
    def _history_submitted(self) -> None:
        self.query_one("#history-table", DataTable).focus()

    def _activity(self, kind: str) -> None:
        from invoice_tui.modals.activity import ActivityModal

        def after(text: str | None) -> None:
            if text:
                self.notify(text)
                self.reload()

        self.app.push_screen(ActivityModal(self.invoice_id, kind, self.app.ctx.today()), after)

    def action_add_note(self) -> None:
        self._activity("note")

    def action_add_task(self) -> None:
        self._activity("task")

    @on(DataTable.RowSelected, "#history-table")
    def action_complete_task(self) -> None:
        key = self._selected_key("history-table")
        if key is None or self.view is None:
            return
        card = self.query_one(HistoryCard)
        activity = card.activity(key)
        text = card.event_text(activity) if activity is not None else ""
        if not text.startswith("☐"):
            if text.startswith("☑"):
                self.notify(_("This task is already done."))
            return

        def done(_a) -> None:
            self.notify(_("Task marked done."))
            self.reload()

        self.call_service(invoice_service.complete_task, self.app.ctx, int(key), done=done, failed=self._refused)
