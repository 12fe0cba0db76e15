"""The full-screen invoice editor: a new draft (``EditorScreen(None)``), a draft, or (R6/R7) an
open invoice.

- billing contact and company pickers with search and "create new" (ctrl+b, ctrl+o);
- currency, invoice date, due date (empty = invoice date + the workspace's payment terms);
- line items grid: ``+``/insert add · enter edit · ctrl+d duplicate · delete remove ·
  ``[``/``]`` (or alt+↑/↓) reorder; quantities and prices typed the way the invoice's locale writes
  them ("1 234,50" in fr_FR) — or with a dot;
- invoice-level discounts, fees and extra taxes (same keys on their grid);
- PO number, comments (ctrl+g opens ``$EDITOR``), allow partial payments;
- totals recomputed live with the one R18 function (``compute_totals``);
- ctrl+s saves, ctrl+f saves and finalizes a draft (the confirmation shows the number it will
  get); a finalized edit sends the version it started from, so a payment that succeeded meanwhile
  makes the save fail with the Conflict sentence (R7) instead of overwriting; after saving a
  finalized edit the user is offered to notify the customer (R6).
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import subprocess
import tempfile
from decimal import Decimal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.content import Content
from textual.widgets import Button, Collapsible, Footer, Header, Input, Label, Select, Static, TextArea

from invoice_tui.domain import invoices as invoice_service
from invoice_tui.domain import reads
from invoice_tui.domain.errors import BadInput, InvoiceTuiError
from invoice_tui.domain.invoice_form import (LEGAL_FIELDS, EditorState, SaveResult, adjustment_row_input,
                                            adjustment_row_spec, check_legal_field, legal_values, load_editor_state,
                                            locale_choices,
                                            row_input, row_spec, save_invoice)
from invoice_tui.domain.money import check_currency, format_price
from invoice_tui.domain.totals import (ADJUSTMENT_KINDS, ADJUSTMENT_LISTS, TaxLine, compute_totals,
                                        default_category, in_order)
from invoice_tui.i18n import N_, _, ngettext
from invoice_tui.modals.dialogs import ConfirmDialog
from invoice_tui.modals.line_item import KIND_LABELS
from invoice_tui.widgets.error_text import error_content, error_text, show_error
from invoice_tui.widgets.invoice_inputs import Currency, IsoDate, money, parse_date
from invoice_tui.widgets.invoice_inputs import FieldError
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.tables import DataTable
from invoice_tui.widgets.toggles import Checkbox  # issue 24: its state in a glyph


# ---- grids ----------------------------------------------------------------------------------------
class LinesTable(DataTable):
    """The line items grid (keys shown in the footer while it has the focus)."""

    BINDINGS = [
        Binding("plus,insert,a", "screen.add_row('lines')", N_("Add line"), id="editor.lines.add"),
        Binding("ctrl+d", "screen.duplicate_row('lines')", N_("Duplicate"), id="editor.lines.duplicate"),
        Binding("delete,x", "screen.remove_row('lines')", N_("Remove"), id="editor.lines.remove"),
        Binding("left_square_bracket,alt+up", "screen.move_row('lines', -1)", N_("Move up"), id="editor.lines.up"),
        Binding("right_square_bracket,alt+down", "screen.move_row('lines', 1)", N_("Move down"),
                id="editor.lines.down"),
    ]


class AdjustmentsTable(DataTable):
    BINDINGS = [
        Binding("plus,insert,a", "screen.add_row('adjustments')", N_("Add"), id="editor.adjustments.add"),
        Binding("ctrl+d", "screen.duplicate_row('adjustments')", N_("Duplicate"), id="editor.adjustments.duplicate"),
        Binding("delete,x", "screen.remove_row('adjustments')", N_("Remove"), id="editor.adjustments.remove"),
        Binding("left_square_bracket,alt+up", "screen.move_row('adjustments', -1)", N_("Move up"),
                id="editor.adjustments.up"),
        Binding("right_square_bracket,alt+down", "screen.move_row('adjustments', 1)", N_("Move down"),
                id="editor.adjustments.down"),
    ]


class EditorScreen(ServiceCalls, Screen[int | None]):
    """Returns the saved invoice's id (None when left without saving)."""

    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), id="editor.save", priority=True),
        Binding("ctrl+f", "finalize", N_("Save & finalize"), id="editor.finalize", priority=True),
        Binding("escape", "leave", N_("Cancel"), id="editor.cancel"),
        Binding("ctrl+b", "pick_contact", N_("Billing contact"), id="editor.contact"),
        Binding("ctrl+o", "pick_company", N_("Company"), id="editor.company"),
        Binding("ctrl+l", "add_row('lines')", N_("Add line"), id="editor.add_line"),
        Binding("ctrl+g", "external_editor", N_("$EDITOR"), show=False, id="editor.external"),
        Binding("ctrl+t", "legal", N_("Legal data"), id="editor.legal"),
    ]

    def __init__(self, invoice_id: int | None = None) -> None:
        super().__init__()
        self.invoice_id = invoice_id
        self.state: EditorState | None = None
        self.lines: list[dict] = []
        self.adjustments: list[dict] = []
        self.dirty = False
        self.saving = False

    # ---- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Loading…"), id="editor-heading")
        with VerticalScroll(id="editor-form"):
            with Horizontal(classes="editor-row"):
                with Vertical(classes="editor-field wide"):
                    yield Label(_("Title (optional)"))
                    yield Input(id="editor-title")
                with Vertical(classes="editor-field narrow"):
                    yield Label(_("Currency"))
                    yield Input(id="editor-currency", validators=[Currency()], max_length=3)
                    yield FieldError(id="error-currency")
                    yield FieldError(id="lock-currency", classes="field-lock")
            with Horizontal(classes="editor-row"):
                with Vertical(classes="editor-field"):
                    yield Label(_("Billing contact (ctrl+b)"))
                    yield Button(_("Pick a contact…"), id="editor-contact", classes="picker-button")
                    yield FieldError(id="lock-contacts", classes="field-lock")
                with Vertical(classes="editor-field"):
                    yield Label(_("Company (ctrl+o)"))
                    yield Button(_("Pick a company…"), id="editor-company", classes="picker-button")
                    yield FieldError(id="lock-companies", classes="field-lock")
            with Horizontal(classes="editor-row"):
                with Vertical(classes="editor-field"):
                    yield Label(_("Invoice date"))
                    yield Input(id="editor-invoice-date", validators=[IsoDate()], placeholder=_("YYYY-MM-DD"))
                    yield FieldError(id="error-invoice_date")
                with Vertical(classes="editor-field"):
                    yield Label(_("Due date"))
                    yield Input(id="editor-due-date", validators=[IsoDate(optional=True)])
                    yield FieldError(id="error-due_date")
                with Vertical(classes="editor-field"):
                    yield Label(_("PO number"))
                    yield Input(id="editor-po")
            # R43: the invoice's legal data, folded away (ctrl+t) so that 80×24 stays readable
            with Collapsible(title=_("Legal data: language, delivery, operation, references (ctrl+t)"),
                             collapsed=True, id="editor-legal"):
                # issue 24: the language the documents (PDF, email, buyer page) are written in
                yield Label(_("Document language (PDF, email, buyer page)"))
                yield Select(locale_choices(None), allow_blank=False, id="editor-locale")
                for name, label in LEGAL_FIELDS:
                    yield Label(_(label))
                    yield Input(id=f"legal-{name}")
                    yield FieldError(id=f"error-{name}")
            yield Label(_("Line items  (+ add · enter edit · ctrl+d duplicate · del remove · [ ] reorder)"),
                        classes="editor-section")
            yield LinesTable(id="lines-table", cursor_type="row")
            yield Label(_("Discounts, fees and taxes  (+ add · enter edit · del remove)"), classes="editor-section")
            yield AdjustmentsTable(id="adjustments-table", cursor_type="row")
            yield Label(_("Comments shown to the buyer (ctrl+g opens $EDITOR)"), classes="editor-section")
            yield TextArea(id="editor-comments")
            yield Checkbox(_("Allow partial payments"), id="editor-partial")
            yield Static("", id="editor-totals")
            yield FieldError(id="editor-error", classes="form-error")
            with Horizontal(classes="modal-buttons"):
                yield Button(_("Cancel"), id="editor-cancel")
                yield Button(_("Save (ctrl+s)"), id="editor-save", variant="primary")
                yield Button(_("Save & finalize (ctrl+f)"), id="editor-finalize", variant="success")
        yield Footer()

    def _add_columns(self) -> None:
        self.query_one("#lines-table", DataTable).add_columns(
            "#", _("Item"), _("Qty"), _("Unit price"), _("Discount"), _("Tax"), _("Net"))
        self.query_one("#adjustments-table", DataTable).add_columns(
            _("Kind"), _("Label"), _("Value"), _("Tax"), _("Amount"))

    async def language_changed(self) -> None:
        """Issue 25 (``widgets.language.apply_language``): the form composed again in the language
        now in use, keeping what the user typed and has not saved (nothing is read again)."""
        if self.state is None:  # still loading: load again
            await self.compose_again()
            self.on_mount()
            return
        typed = {w.id: self._value_of(w) for w in self.query("Input, TextArea, Checkbox, Select") if w.id}
        baseline, dirty = dict(self.__dict__.get("_loaded", {})), self.dirty
        self.state.lines = [dict(x) for x in self.lines]
        self.state.adjustments = [dict(x) for x in self.adjustments]
        await self.compose_again()
        self._add_columns()
        EditorScreen._loaded(self, self.state)  # the widgets filled from the state (the method, not the dict)
        for widget_id, value in typed.items():
            found = self.query(f"#{widget_id}")
            if not found:
                continue
            widget = found.first()
            if isinstance(widget, TextArea):
                widget.load_text(value)  # type: ignore[arg-type]
            else:
                widget.value = value  # type: ignore[attr-defined]
        self._loaded = baseline  # type: ignore[assignment] # what was loaded: the form stays dirty
        self.dirty = dirty

    def on_mount(self) -> None:
        self._add_columns()
        self.call_service(load_editor_state, self.app.ctx, self.invoice_id, done=self._loaded,
                          failed=self._load_failed, group="editor-load", exclusive=True)

    def _load_failed(self, exc: InvoiceTuiError) -> None:
        show_error(self, exc, title=_("Cannot edit"))
        self.dismiss(None)

    def _loaded(self, state: EditorState) -> None:
        self.state = state
        self.lines = [dict(x) for x in state.lines]
        self.adjustments = [dict(x) for x in state.adjustments]
        finalized = state.status != "draft"
        heading = (_("Editing {number} (finalized: currency and number are frozen)").format(number=state.number)
                   if finalized else (_("Editing draft #{id}").format(id=state.invoice_id) if state.invoice_id
                                      else _("New draft invoice")))
        self.query_one("#editor-heading", Static).update(heading)
        self.sub_title = heading
        self.query_one("#editor-title", Input).value = state.title
        currency = self.query_one("#editor-currency", Input)
        currency.value = state.currency
        # a field a rule forbids changing now is disabled, the rule's sentence beside it (issue 19)
        for fid, widget in (("currency", currency), ("contacts", self.query_one("#editor-contact", Button)),
                            ("companies", self.query_one("#editor-company", Button))):
            reason = state.locked.get(fid, "")
            widget.disabled = bool(reason)
            widget.tooltip = reason or None
            self.query_one(f"#lock-{fid}", FieldError).update(reason)
        self.query_one("#editor-invoice-date", Input).value = state.invoice_date.isoformat()
        self.query_one("#editor-due-date", Input).value = state.due_date.isoformat() if state.due_date else ""
        self.query_one("#editor-po", Input).value = state.po_number
        for name, _label in LEGAL_FIELDS:
            self.query_one(f"#legal-{name}", Input).value = state.legal.get(name, "")
        language = self.query_one("#editor-locale", Select)
        language.set_options(locale_choices(state.locale))
        language.value = state.locale
        self.query_one("#editor-legal", Collapsible).collapsed = not any(state.legal.values())
        self.query_one("#editor-comments", TextArea).load_text(state.comments)
        self.query_one("#editor-partial", Checkbox).value = state.allow_partial
        self._set_contact(state.contact_id, state.contact_label)
        self._set_company(state.company_id, state.company_label)
        fin = self.query_one("#editor-finalize", Button)
        fin.display = not finalized
        fin.label = _("Save & finalize as {number} (ctrl+f)").format(number=state.preview_number)
        self._due_placeholder()
        self._refresh_tables()
        self.dirty = False
        # The Changed messages of the values just loaded arrive after this method: a value equal
        # to the one loaded does not make the form dirty.
        self._loaded = {w.id: self._value_of(w) for w in self.query("Input, TextArea, Checkbox, Select") if w.id}
        self.query_one("#editor-title", Input).focus()

    # ---- fields --------------------------------------------------------------------------------
    def _set_contact(self, contact_id: int | None, label: str) -> None:
        assert self.state is not None
        self.state.contact_id, self.state.contact_label = contact_id, label
        self.query_one("#editor-contact", Button).label = Content(label or _("Pick a contact…"))  # not markup

    def _set_company(self, company_id: int | None, label: str) -> None:
        assert self.state is not None
        self.state.company_id, self.state.company_label = company_id, label
        self.query_one("#editor-company", Button).label = Content(label or _("Pick a company…"))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        errors = {"editor-currency": "#error-currency", "editor-invoice-date": "#error-invoice_date",
                  "editor-due-date": "#error-due_date"}
        target = errors.get(event.input.id or "")
        if (event.input.id or "").startswith("legal-"):  # R43: checked as typed by the service's checks
            name = (event.input.id or "").removeprefix("legal-")
            self.query_one(f"#error-{name}", Static).update(check_legal_field(name, event.value) or "")
        if target:
            result = event.validation_result
            self.query_one(target, Static).update("" if result is None or result.is_valid
                                                  else "; ".join(result.failure_descriptions))
        if self.state is not None:
            if self._user_changed(event.input):
                self.dirty = True
            if event.input.id == "editor-invoice-date":
                self._due_placeholder()
            if event.input.id == "editor-currency":
                self._refresh_tables()

    @on(TextArea.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed, "#editor-locale")
    def _touched(self, event: TextArea.Changed | Checkbox.Changed | Select.Changed) -> None:
        widget = (event.text_area if isinstance(event, TextArea.Changed)
                  else event.select if isinstance(event, Select.Changed) else event.checkbox)
        if self.state is not None and self._user_changed(widget):
            self.dirty = True

    def _due_placeholder(self) -> None:
        if self.state is None:
            return
        try:
            start = parse_date(self.query_one("#editor-invoice-date", Input).value)
        except BadInput:
            return
        due = start + dt.timedelta(days=self.state.payment_terms)
        self.query_one("#editor-due-date", Input).placeholder = (
            ngettext("empty = {date} ({n} day)", "empty = {date} ({n} days)", self.state.payment_terms).format(
                date=due.isoformat(), n=self.state.payment_terms))

    def _currency(self) -> str | None:
        try:
            return check_currency(self.query_one("#editor-currency", Input).value)
        except BadInput:
            return None

    # ---- contact & company --------------------------------------------------------------------
    @on(Button.Pressed, "#editor-contact")
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # a locked field's key is shown disabled (its reason is beside the field)
        locked = self.state.locked if self.state is not None else {}
        if (action == "pick_contact" and "contacts" in locked) or (action == "pick_company" and "companies" in locked):
            return None
        return True

    def action_pick_contact(self) -> None:
        from invoice_tui.modals.pickers import PickerModal

        def picked(contact_id: int | None) -> None:
            if contact_id is not None:
                self.call_service(reads.contact_label, contact_id,
                                  done=lambda label: (self._set_contact(contact_id, label), self._mark_dirty()))

        self.app.push_screen(PickerModal("contact", _("Billing contact")), picked)

    @on(Button.Pressed, "#editor-company")
    def action_pick_company(self) -> None:
        from invoice_tui.modals.pickers import PickerModal

        def picked(company_id: int | None) -> None:
            if company_id is not None:
                self.call_service(reads.company_label, company_id,
                                  done=lambda label: (self._set_company(company_id, label), self._mark_dirty()))

        self.app.push_screen(PickerModal("company", _("Company")), picked)

    def _mark_dirty(self) -> None:
        self.dirty = True

    @staticmethod
    def _value_of(widget) -> object:
        return widget.text if isinstance(widget, TextArea) else widget.value

    def _user_changed(self, widget) -> bool:
        loaded = getattr(self, "_loaded", {})
        return widget.id not in loaded or loaded[widget.id] != self._value_of(widget)

    # ---- grids --------------------------------------------------------------------------------
    def _rows(self, which: str) -> list[dict]:
        return self.lines if which == "lines" else self.adjustments

    def _table(self, which: str) -> DataTable:
        return self.query_one(f"#{which}-table", DataTable)

    def _refresh_tables(self, focus: tuple[str, int] | None = None) -> None:
        if self.state is None:
            return
        currency = self._currency() or self.state.currency
        loc = self.state.locale
        totals = self._totals(currency)
        table = self._table("lines")
        table.clear()
        for i, line in enumerate(self.lines):
            spec = row_spec(line, self.state.franchise)
            parts = [("allowance", spec.discount, spec.discount_percent)] if spec.discount is not None else []
            parts += [(c.kind, c.value, c.is_percent) for c in spec.charges]
            disc_text = " ".join(("−" if kind == "allowance" and (len(parts) > 1 or spec.charges) else
                                  "+" if kind == "charge" else "")
                                 + (f"{value.normalize():f}%" if pct else money(value, currency, loc))
                                 for kind, value, pct in parts)
            net = money(totals.line_nets[i], currency, loc) if totals else ""
            qty = f"{spec.quantity.normalize():f}" + ("" if spec.unit_code == "C62" else f" {spec.unit_code}")
            price = format_price(spec.unit_price, currency, loc) if currency else f"{spec.unit_price:f}"
            if spec.base_quantity != 1:
                price += f" / {spec.base_quantity.normalize():f}"
            rate = f"{spec.tax_rate.normalize():f}%" if spec.tax_rate or spec.category != "Z" else ""
            if spec.category != default_category(spec.tax_rate):
                rate = f"{rate or '0%'} {spec.category}"
            table.add_row(str(i + 1), line["name"], qty, price, disc_text, rate, net)
        atable = self._table("adjustments")
        atable.clear()
        applied = []
        if totals:
            applied = list(totals.applied)
        for i, a in enumerate(self._ordered_adjustments()):
            value = f"{a['value'].normalize():f}%" if a["is_percent"] else money(a["value"], currency, loc)
            amount = money(applied[i].amount, currency, loc) if i < len(applied) else ""
            rate = f"{a['tax_rate'].normalize():f}%" if a.get("tax_rate") else ""
            category = adjustment_row_spec(a, self.state.franchise).tax_category
            if category and category != default_category(a.get("tax_rate") or Decimal(0)):
                rate = f"{rate or '0%'} {category}"
            atable.add_row(_(KIND_LABELS[a["kind"]]), a.get("label", ""), value, rate, amount)
        if focus:
            which, row = focus
            t = self._table(which)
            if t.row_count:
                t.move_cursor(row=max(0, min(row, t.row_count - 1)))
        self._show_totals(totals, currency)

    def _ordered_adjustments(self) -> list[dict]:
        self.adjustments[:] = in_order(self.adjustments, kind=lambda a: a["kind"])  # keeps order within a kind
        return self.adjustments

    def _totals(self, currency: str):
        try:
            franchise = self.state is not None and self.state.franchise
            lines = [row_spec(x, franchise) for x in self.lines]
            adjustments = [adjustment_row_spec(a, franchise) for a in self._ordered_adjustments()]
            return compute_totals(currency, lines, adjustments)
        except Exception:  # noqa: BLE001 - a half-typed form; the service validates on save
            return None

    def _show_totals(self, totals, currency: str) -> None:
        out = Text()
        if totals is None:
            out.append(_("Totals appear when the currency is valid."), style="italic")
        else:
            loc = self.state.locale if self.state else "en_US"
            for step in totals.steps():  # R18's order
                if step.kind == "subtotal":
                    out.append(_("Subtotal {amount}").format(amount=money(step.amount, currency, loc)))
                elif step.kind == "discount" and step.amount:
                    out.append("  − " + _("Discounts {amount}").format(amount=money(-step.amount, currency, loc)))
                elif step.kind == "fee" and step.amount:
                    out.append("  + " + _("Fees {amount}").format(amount=money(step.amount, currency, loc)))
                elif step.kind == "tax":
                    for t in step.items:  # the tax per rate, then the extra taxes
                        out.append("  + " + (
                            _("VAT {category} {rate}% {amount}").format(
                                category=t.category, rate=f"{t.rate.normalize():f}", amount=money(t.tax, currency, loc))
                            if isinstance(t, TaxLine) else
                            f"{t.label or _('Tax')} {money(t.amount, currency, loc)}"))
                elif step.kind == "billed":
                    out.append("   " + _("Total") + " ")
                    out.append(money(step.amount, currency, loc), style="bold")
            if not totals.en16931:
                out.append("  " + _("(not EN 16931: extra taxes)"), style="italic")
        self.query_one("#editor-totals", Static).update(out)
        if self.state is not None:
            heading = self.sub_title or ""
            total = (" · " + _("total {amount}").format(amount=money(totals.billed, currency, self.state.locale))
                     if totals else "")
            self.query_one("#editor-heading", Static).update(heading + total)

    def _cursor(self, which: str) -> int | None:
        table = self._table(which)
        rows = self._rows(which)
        if not rows or table.cursor_row is None or table.cursor_row >= len(rows):
            return None
        return table.cursor_row

    def _edit_modal(self, which: str, row: dict | None):
        from invoice_tui.modals.line_item import AdjustmentModal, LineItemModal

        assert self.state is not None
        currency = self._currency() or self.state.currency
        cls = LineItemModal if which == "lines" else AdjustmentModal
        return cls(row, currency, self.state.locale)

    def action_add_row(self, which: str) -> None:
        if self.state is None:
            return

        def added(row: dict | None) -> None:
            if row:
                rows = self._rows(which)
                rows.append(row)
                self.dirty = True
                index = rows.index(row) if which == "lines" else self._ordered_adjustments().index(row)
                self._refresh_tables(focus=(which, index))
                self.call_after_refresh(self._table(which).focus)

        self.app.push_screen(self._edit_modal(which, None), added)

    @on(DataTable.RowSelected, "#lines-table")
    @on(DataTable.RowSelected, "#adjustments-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        which = "lines" if event.data_table.id == "lines-table" else "adjustments"
        index = self._cursor(which)
        if index is None:
            return
        rows = self._rows(which)

        def edited(row: dict | None) -> None:
            if row:
                rows[index] = row
                self.dirty = True
                self._refresh_tables(focus=(which, index))

        self.app.push_screen(self._edit_modal(which, rows[index]), edited)

    def action_duplicate_row(self, which: str) -> None:
        index = self._cursor(which)
        if index is None:
            return
        rows = self._rows(which)
        rows.insert(index + 1, dict(rows[index]))
        self.dirty = True
        self._refresh_tables(focus=(which, index + 1))

    def action_remove_row(self, which: str) -> None:
        index = self._cursor(which)
        if index is None:
            return
        del self._rows(which)[index]
        self.dirty = True
        self._refresh_tables(focus=(which, index))

    def action_move_row(self, which: str, delta: int) -> None:
        index = self._cursor(which)
        rows = self._rows(which)
        if index is None:
            return
        other = index + delta
        if not 0 <= other < len(rows):
            return
        if which == "adjustments" and rows[other]["kind"] != rows[index]["kind"]:
            self.notify(_("Discounts come first, then fees, then extra taxes; reorder within a kind."))
            return
        rows[index], rows[other] = rows[other], rows[index]
        self.dirty = True
        self._refresh_tables(focus=(which, other))

    # ---- comments in $EDITOR ------------------------------------------------------------------
    def action_external_editor(self) -> None:
        area = self.query_one("#editor-comments", TextArea)
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            self.notify(_("Set $EDITOR (e.g. export EDITOR=vim) to write comments in your editor."),
                        severity="warning")
            return
        with tempfile.NamedTemporaryFile("w+", suffix=".md", delete=False, encoding="utf-8") as fh:
            fh.write(area.text)
            path = fh.name
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(editor), path], check=False)
            with open(path, encoding="utf-8") as fh:
                area.load_text(fh.read().rstrip("\n"))
            self.dirty = True
        except Exception as exc:  # noqa: BLE001 - the editor could not run; keep the text
            self.notify(_("Could not run {editor}: {error}").format(editor=editor, error=exc), severity="error")
        finally:
            os.unlink(path)

    # ---- saving ---------------------------------------------------------------------------------
    def collect(self) -> dict:
        """The form as the service's ``InvoiceInput`` (validated by the service on save)."""
        assert self.state is not None
        errors = []
        currency_text = self.query_one("#editor-currency", Input).value.strip().upper()
        try:
            invoice_date = parse_date(self.query_one("#editor-invoice-date", Input).value, what=_("invoice date"))
        except BadInput as exc:
            self.query_one("#error-invoice_date", Static).update(error_content(exc))
            errors.append(error_text(exc))
            invoice_date = None
        due_text = self.query_one("#editor-due-date", Input).value.strip()
        due_date = None
        if due_text:
            try:
                due_date = parse_date(due_text, what=_("due date"))
            except BadInput as exc:
                self.query_one("#error-due_date", Static).update(error_content(exc))
                errors.append(error_text(exc))
        elif invoice_date is not None:
            due_date = invoice_date + dt.timedelta(days=self.state.payment_terms)
        if errors:
            raise BadInput(errors[0])

        data = {
            "title": self.query_one("#editor-title", Input).value,
            "invoice_date": invoice_date, "due_date": due_date,
            "contact_id": self.state.contact_id, "company_id": self.state.company_id,
            "po_number": self.query_one("#editor-po", Input).value,
            "comments": self.query_one("#editor-comments", TextArea).text,
            "allow_partial": self.query_one("#editor-partial", Checkbox).value,
            "lines": [row_input(x) for x in self.lines],
            **legal_values({name: self.query_one(f"#legal-{name}", Input).value for name, _label in LEGAL_FIELDS}),
        }
        language = self.query_one("#editor-locale", Select).value
        if isinstance(language, str) and language != self.state.locale:  # checked by the service (issue 24)
            data["locale"] = language
        for kind in ADJUSTMENT_KINDS:
            data[ADJUSTMENT_LISTS[kind]] = [adjustment_row_input(a) for a in self.adjustments if a["kind"] == kind]
        if self.state.status == "draft":
            data["currency"] = currency_text
        return data

    def action_legal(self) -> None:
        """Open (or fold) the legal data section, its first field focused."""
        section = self.query_one("#editor-legal", Collapsible)
        section.collapsed = not section.collapsed
        if not section.collapsed:
            self.query_one(f"#legal-{LEGAL_FIELDS[0][0]}", Input).focus()

    @on(Button.Pressed, "#editor-save")
    def action_save(self) -> None:
        self._save(finalize=False)

    @on(Button.Pressed, "#editor-finalize")
    def action_finalize(self) -> None:
        if self.state is None:
            return
        if self.state.status != "draft":
            self.notify(_("{number} is already finalized.").format(number=self.state.number), severity="warning")
            return

        def ask(number: str) -> None:
            message = _("Save this draft and finalize it? It will get the number {number}. The currency and number "
                        "are then frozen and a buyer link is created (R2, R3).").format(number=number)
            self.app.push_screen(ConfirmDialog(_("Finalize invoice"), message,
                                               confirm=_("Finalize as {number}").format(number=number)),
                                 lambda ok: ok and self._save(finalize=True))

        self.call_service(invoice_service.preview_number, done=ask)

    def _save(self, *, finalize: bool) -> None:
        if self.state is None or self.saving:
            return
        error = self.query_one("#editor-error", Static)
        error.update("")
        try:
            data = self.collect()
        except InvoiceTuiError as exc:
            error.update(error_content(exc))
            return
        self.saving = True
        self.call_service(save_invoice, self.app.ctx, self.state.invoice_id, data, self.state.version, finalize,
                          done=self._saved, failed=self._save_failed)

    def _save_failed(self, exc: InvoiceTuiError) -> None:
        self.saving = False
        show_error(self, exc, title=_("Not saved"), summary="#editor-error", notify=True,
                   beside={"currency": "#error-currency", "due_date": "#error-due_date",
                           "invoice_date": "#error-invoice_date"})

    def _saved(self, result: SaveResult) -> None:
        self.saving = False
        self.dirty = False
        assert self.state is not None
        if result.finalized_number:
            self.notify(_("Saved and finalized as {number}.").format(number=result.finalized_number),
                        title=_("Finalized"))
        elif result.finalize_error:
            self.notify(_("Saved as a draft, but not finalized: {reason}").format(
                reason=error_text(result.finalize_error)), title=_("Not finalized"), severity="warning", timeout=10)
        else:
            self.notify(_("Invoice saved."), title=_("Saved"))
        for pid in result.canceled_payments:
            self.notify(_("The online payment #{id} that was processing was canceled by this edit (R7).").format(
                id=pid), severity="warning", timeout=10)
        # R2/R43: a finalize refused for the seller's legal data goes on from the invoice page, which
        # walks the user through the seller profile
        walk = getattr(result.finalize_error, "code", "") == "invoice.legal_data_missing"
        if self.state.invoice_id is None:  # a new draft: its invoice page replaces the editor
            self.dismiss(result.invoice_id)
            self.app.open_invoice(result.invoice_id, finalize=walk)  # type: ignore[attr-defined]
            return
        if walk:
            below = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
            if getattr(below, "invoice_id", None) == result.invoice_id and hasattr(below, "finalize_on_load"):
                below.finalize_on_load = True  # its reload, when the editor closes, goes on to Finalize
        if result.offer_notify:
            self._offer_notify(result.invoice_id)
        else:
            self.dismiss(result.invoice_id)

    def _offer_notify(self, invoice_id: int) -> None:
        """R6: after saving a finalized edit, offer to notify the customer."""
        number = self.state.number if self.state else ""

        def answer(yes: bool) -> None:
            self.dismiss(invoice_id)
            if yes:
                from invoice_tui.modals.compose import ComposeScreen

                self.app.push_screen(ComposeScreen(invoice_id))

        message = _("{number} was changed. Send the updated invoice to the customer now?").format(number=number)
        self.app.push_screen(ConfirmDialog(_("Notify the customer?"), message, confirm=_("Compose email"),
                                           cancel=_("Not now")), answer)

    # ---- leaving --------------------------------------------------------------------------------
    @on(Button.Pressed, "#editor-cancel")
    def action_leave(self) -> None:
        if not self.dirty:
            self._close()
            return
        self.app.push_screen(ConfirmDialog(_("Discard changes?"), _("Leave the editor without saving your changes?"),
                                           confirm=_("Discard"), danger=True), lambda ok: ok and self._close())

    def _close(self) -> None:
        self.dismiss(None)
