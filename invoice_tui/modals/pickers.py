"""Pickers (search an existing contact, company or user, or create a new one) and the contact and
company forms, used by the editor, the invoice screen's cards and the Contacts/Companies screens."""

from __future__ import annotations

from typing import Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from invoice_tui.domain import people, reads
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.reads import Choice
from invoice_tui.domain.text import safe
from invoice_tui.i18n import N_, _
from invoice_tui.widgets.error_text import show_error
from invoice_tui.widgets.invoice_inputs import FieldError
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.toggles import Checkbox  # issue 24: its state in a glyph

CREATE = "__create__"
# the sentences that name the kind of record, each whole (word order and gender differ between languages)
PICK_TITLES = {"company": N_("Pick a company"), "contact": N_("Pick a contact"), "user": N_("Pick a user")}
SEARCH_PLACEHOLDERS = {"company": N_("Search companies…"), "contact": N_("Search contacts…"),
                       "user": N_("Search users…")}
CREATE_HINTS = {"company": N_("ctrl+n creates a new company"), "contact": N_("ctrl+n creates a new contact")}
CREATE_OPTIONS = {"company": N_("+ Create a new company"), "contact": N_("+ Create a new contact")}
CREATE_NAMED = {"company": N_("+ Create a new company “{name}”"), "contact": N_("+ Create a new contact “{name}”")}


class PickerModal(ServiceCalls, ModalScreen[int | None]):
    """Search and pick a contact, company or user; contacts and companies can be created here."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="picker.cancel"),
                Binding("ctrl+n", "create", N_("Create new"), id="picker.create"),
                Binding("down", "focus_list", N_("List"), show=False, id="picker.list")]

    def __init__(self, kind: str, title: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.title_text = title  # in the reader's language; None: "Pick a contact"…
        self.choices: list[Choice] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog", classes="invoice-modal"):
            yield Label(self.title_text or _(PICK_TITLES[self.kind]), classes="modal-title", markup=False)
            yield Input(id="picker-search", placeholder=_(SEARCH_PLACEHOLDERS[self.kind]))
            yield OptionList(id="picker-list", markup=False)  # names are text, never markup (R55)
            hint = _("Enter picks · ↓ moves to the list · Escape cancels")
            if self.kind in CREATE_HINTS:
                hint += " · " + _(CREATE_HINTS[self.kind])
            yield Static(hint, classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one("#picker-search", Input).focus()
        self._search("")

    @on(Input.Changed, "#picker-search")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    def _search(self, query: str) -> None:
        self.call_service(reads.search_choices, self.kind, query.strip(), done=self._show, group="picker", exclusive=True)

    def _show(self, choices: list[Choice]) -> None:
        self.choices = choices
        ol = self.query_one("#picker-list", OptionList)
        ol.clear_options()
        options = [Option(c.label, id=str(c.id)) for c in choices]
        if self.kind != "user":
            query = self.query_one("#picker-search", Input).value.strip()
            text = (_(CREATE_NAMED[self.kind]).format(name=safe(query, line=True)) if query
                    else _(CREATE_OPTIONS[self.kind]))
            options.append(Option(text, id=CREATE))
        ol.add_options(options)
        if options:
            ol.highlighted = 0

    def action_focus_list(self) -> None:
        self.query_one("#picker-list", OptionList).focus()

    @on(Input.Submitted, "#picker-search")
    def _submitted(self) -> None:
        ol = self.query_one("#picker-list", OptionList)
        if ol.highlighted is not None and ol.option_count:
            self._pick(ol.get_option_at_index(ol.highlighted).id)

    @on(OptionList.OptionSelected, "#picker-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option.id)

    def _pick(self, option_id: str | None) -> None:
        if option_id == CREATE:
            self.action_create()
        elif option_id:
            self.dismiss(int(option_id))

    def action_create(self) -> None:
        if self.kind == "user":
            self.notify(_("Users are added by a super admin: invoice-tui users add LOGIN"), severity="warning")
            return
        query = self.query_one("#picker-search", Input).value.strip()
        form = ContactFormModal(initial_query=query) if self.kind == "contact" else CompanyFormModal(initial_query=query)

        def created(new_id: int | None) -> None:
            if new_id is not None:
                self.dismiss(new_id)

        self.app.push_screen(form, created)

    def action_cancel(self) -> None:
        self.dismiss(None)


# ---- forms ---------------------------------------------------------------------------------------
class _RecordForm(ServiceCalls, ModalScreen[int | None]):
    """A small form whose fields map 1:1 to a service's pydantic input; returns the record id."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="form.cancel"),
                Binding("ctrl+s", "save", N_("Save"), id="form.save", priority=True)]
    # (name, label, multiline; "check": a checkbox); the labels in English (N_), shown translated
    FIELDS: tuple[tuple[str, str, bool | str], ...] = ()
    TITLES = (N_("New record"), N_("Edit record"))  # each form's own
    LEGAL_FROM = ""  # the first field of the legal data (R43), shown under its own heading
    NOUN = "record"

    def __init__(self, record_id: int | None = None, *, initial_query: str = "") -> None:
        super().__init__()
        self.record_id = record_id
        self.initial_query = initial_query

    def compose(self) -> ComposeResult:
        title = _(self.TITLES[1] if self.record_id else self.TITLES[0])
        with Vertical(id=f"{self.NOUN}-form", classes="invoice-modal"):
            yield Label(title, classes="modal-title")
            with VerticalScroll(classes="form-fields"):
                for name, label, multiline in self.FIELDS:
                    if name == self.LEGAL_FROM:
                        yield Label(_("Legal data (R43): checked as typed"), classes="form-section")
                    if multiline == "check":
                        yield Checkbox(_(label), id=f"field-{name}")
                        yield FieldError(id=f"error-{name}")
                        continue
                    yield Label(_(label))
                    if multiline:
                        yield TextArea(id=f"field-{name}", classes="short-area")
                    else:
                        yield Input(id=f"field-{name}")
                    yield FieldError(id=f"error-{name}")
            yield FieldError(id="form-error", classes="form-error")
            with Horizontal(classes="modal-buttons"):
                yield Button(_("Cancel"), id="form-cancel")
                yield Button(_("Save (ctrl+s)"), id="form-save", variant="primary")

    def on_mount(self) -> None:
        self.query_one(f"#field-{self.FIELDS[0][0]}").focus()
        if self.record_id:
            self.call_service(self.load_values, self.record_id, done=self._fill, group="form-load")
        elif self.initial_query:
            self.prefill(self.initial_query)

    def prefill(self, query: str) -> None:
        pass

    def _fill(self, values: dict) -> None:
        for name, _label, multiline in self.FIELDS:
            widget = self.query_one(f"#field-{name}")
            if multiline == "check":
                widget.value = bool(values.get(name))  # type: ignore[attr-defined]
            elif multiline:
                widget.load_text(values.get(name) or "")  # type: ignore[attr-defined]
            else:
                widget.value = values.get(name) or ""  # type: ignore[attr-defined]

    def values(self) -> dict:
        out = {}
        for name, _label, multiline in self.FIELDS:
            widget = self.query_one(f"#field-{name}")
            out[name] = widget.text if multiline is True else widget.value  # type: ignore[attr-defined]
        return out

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        """R43: a legal field is checked as it is typed, the reason beside it (the services' checks)."""
        name = (event.input.id or "").removeprefix("field-")
        if name not in {n for n, _l, _m in self.FIELDS}:
            return
        scheme = ""
        if name == "electronic_address" and self.query("#field-electronic_scheme"):
            scheme = self.query_one("#field-electronic_scheme", Input).value
        reason = people.check_buyer_field(name, event.value, scheme)
        self.query_one(f"#error-{name}", Static).update(reason or "")

    # the read of the record's values, and the services that add or edit it (given by each form)
    load_values: Callable[[int], dict[str, str]]
    add: Callable[..., Any]
    edit: Callable[..., Any]

    def save(self, values: dict) -> int:  # runs in a worker
        ctx = self.app.ctx  # type: ignore[attr-defined]
        if self.record_id:
            return self.edit(ctx, self.record_id, values).id
        return self.add(ctx, values).id

    @on(Input.Submitted)
    @on(Button.Pressed, "#form-save")
    def action_save(self) -> None:
        for name, _label, _m in self.FIELDS:
            self.query_one(f"#error-{name}", Static).update("")
        self.query_one("#form-error", Static).update("")
        self.call_service(self.save, self.values(), done=self.dismiss, failed=self._failed)

    def _failed(self, exc: InvoiceTuiError) -> None:
        show_error(self, exc, beside={n: f"#error-{n}" for n, _l, _m in self.FIELDS}, summary="#form-error")

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ContactFormModal(_RecordForm):
    NOUN = "contact"
    TITLES = (N_("New contact"), N_("Edit contact"))
    FIELDS = (("email", N_("Email"), False), ("first_name", N_("First name"), False),
              ("last_name", N_("Last name"), False), ("phone", N_("Phone"), False),
              ("address", N_("Street (lines)"), True), ("postcode", N_("Postcode"), False),
              ("city", N_("City"), False), ("country", N_("Country (ISO 3166, e.g. FR)"), False),
              ("is_business", N_("A business buyer (not a consumer)"), "check"))
    LEGAL_FROM = "postcode"
    load_values = staticmethod(reads.contact_values)
    add, edit = staticmethod(people.add_contact), staticmethod(people.edit_contact)

    def prefill(self, query: str) -> None:
        if "@" in query:
            self.query_one("#field-email", Input).value = query
        else:
            first, _sep, last = query.partition(" ")
            self.query_one("#field-first_name", Input).value = first
            self.query_one("#field-last_name", Input).value = last


class CompanyFormModal(_RecordForm):
    NOUN = "company"
    TITLES = (N_("New company"), N_("Edit company"))
    FIELDS = (("name", N_("Name"), False), ("domain", N_("Domain"), False), ("tax_id", N_("Tax ID"), False),
              ("address", N_("Street (lines)"), True), ("postcode", N_("Postcode"), False), ("city", N_("City"), False),
              ("country", N_("Country (ISO 3166, e.g. FR)"), False), ("legal_name", N_("Legal name"), False),
              ("siren", N_("SIREN"), False), ("siret", N_("SIRET"), False), ("vat_id", N_("VAT id"), False),
              ("electronic_scheme", N_("Electronic address scheme (0225: SIREN)"), False),
              ("electronic_address", N_("Electronic address (BT-49)"), False))
    LEGAL_FROM = "postcode"
    load_values = staticmethod(reads.company_values)
    add, edit = staticmethod(people.add_company), staticmethod(people.edit_company)

    def prefill(self, query: str) -> None:
        self.query_one("#field-name", Input).value = query
