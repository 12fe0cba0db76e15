"""Editor modals: one line item, one invoice-level discount/fee/tax.

Numbers are typed the way the invoice's locale writes them ("1 234,50" in fr_FR) or with a dot.
A line discount is a percentage when it ends with "%" ("10%"), else an amount ("5,00"). The modal
checks each field as it is typed; the service validates the whole invoice on save.
"""

from __future__ import annotations

from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Label, Select, Static

from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.totals import ADJUSTMENT_KINDS
from invoice_tui.widgets.error_text import error_text
from invoice_tui.widgets.invoice_inputs import FieldError, LocalAmount, LocalNumber, NotBlank, parse_local_decimal

HUNDRED = Decimal(100)


def show_number(value: Decimal | None, locale: str) -> str:
    """A Decimal as the locale writes it, without grouping (for prefilling inputs)."""
    if value is None:
        return ""
    from babel.numbers import format_decimal

    text = format(value.normalize(), "f")
    decimals = len(text.split(".")[1]) if "." in text else 0
    pattern = "0" if decimals == 0 else "0." + "0" * decimals
    try:
        return format_decimal(value, format=pattern, locale=locale)
    except Exception:  # noqa: BLE001
        return text


def parse_discount(text: str, locale: str) -> tuple[Decimal | None, bool]:
    """'' → (None, False); '10%' → (10, True); '5,00' → (5.00, False)."""
    raw = (text or "").strip()
    if not raw:
        return None, False
    if raw.endswith("%"):
        return parse_local_decimal(raw[:-1], locale, what="percentage"), True
    return parse_local_decimal(raw, locale, what="discount"), False


class DiscountValidator(Validator):
    def __init__(self, locale: str) -> None:
        super().__init__()
        self.locale = locale

    def validate(self, value: str) -> ValidationResult:
        try:
            amount, pct = parse_discount(value, self.locale)
        except InvoiceTuiError as exc:
            return self.failure(error_text(exc))
        if amount is not None and (amount < 0 or (pct and amount > HUNDRED)):
            return self.failure("A discount is 0 or more; a percentage at most 100%.")
        return self.success()


class _FormModal(ModalScreen[dict | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="editor.form.cancel"),
                Binding("ctrl+s", "save", "OK", id="editor.form.ok")]
    FIELD_IDS: tuple[str, ...] = ()

    @on(Input.Changed)
    def _feedback(self, event: Input.Changed) -> None:
        error = self.query(f"#error-{event.input.id}")
        if error:
            result = event.validation_result
            error.first(Static).update("" if result is None or result.is_valid
                                       else "; ".join(result.failure_descriptions))

    def _all_valid(self) -> bool:
        ok = True
        for field_id in self.FIELD_IDS:
            widget = self.query_one(f"#{field_id}", Input)
            result = widget.validate(widget.value)
            if result is not None and not result.is_valid:
                self.query_one(f"#error-{field_id}", Static).update("; ".join(result.failure_descriptions))
                ok = False
        return ok

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class LineItemModal(_FormModal):
    FIELD_IDS = ("line-name", "line-quantity", "line-price", "line-discount", "line-tax")

    def __init__(self, line: dict | None, currency: str, locale: str) -> None:
        super().__init__()
        self.line = line or {}
        self.currency = currency
        self.locale = locale

    def compose(self) -> ComposeResult:
        line, loc = self.line, self.locale
        with Vertical(id="line-dialog", classes="invoice-modal"):
            yield Label("Edit line" if self.line else "New line", classes="modal-title")
            yield Label("Name")
            yield Input(line.get("name", ""), id="line-name", validators=[NotBlank("A line name")])
            yield FieldError(id="error-line-name")
            yield Label("Description (optional)")
            yield Input(line.get("description", ""), id="line-description")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label("Quantity")
                    yield Input(show_number(line.get("quantity", Decimal(1)), loc), id="line-quantity",
                                validators=[LocalNumber(loc, what="quantity", positive=True)])
                    yield FieldError(id="error-line-quantity")
                with Vertical():
                    yield Label(f"Unit price ({self.currency})")
                    yield Input(show_number(line.get("unit_price"), loc), id="line-price",
                                validators=[LocalAmount(self.currency, loc, allow_zero=True)])
                    yield FieldError(id="error-line-price")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label("Discount (10% or an amount)")
                    disc = line.get("discount")
                    text = "" if disc is None else show_number(disc, loc) + ("%" if line.get("discount_percent") else "")
                    yield Input(text, id="line-discount", validators=[DiscountValidator(loc)])
                    yield FieldError(id="error-line-discount")
                with Vertical():
                    yield Label("Tax rate %")
                    yield Input(show_number(line.get("tax_rate", Decimal(0)), loc), id="line-tax",
                                validators=[LocalNumber(loc, what="tax rate", low=Decimal(0), high=HUNDRED,
                                                        optional=True)])
                    yield FieldError(id="error-line-tax")
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel", id="form-cancel")
                yield Button("OK (ctrl+s)", id="form-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#line-name", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#form-ok")
    def action_save(self) -> None:
        if not self._all_valid():
            return
        loc = self.locale
        value = lambda i: self.query_one(f"#{i}", Input).value  # noqa: E731
        discount, pct = parse_discount(value("line-discount"), loc)
        tax_text = value("line-tax").strip()
        self.dismiss({
            "name": value("line-name").strip(), "description": value("line-description"),
            "quantity": parse_local_decimal(value("line-quantity"), loc),
            "unit_price": parse_local_decimal(value("line-price"), loc),
            "discount": discount, "discount_percent": pct,
            "tax_rate": parse_local_decimal(tax_text, loc) if tax_text else Decimal(0),
        })


KIND_LABELS = {"discount": "Discount", "fee": "Fee", "tax": "Extra tax"}
KINDS = tuple((KIND_LABELS[kind], kind) for kind in ADJUSTMENT_KINDS)  # offered in R18's order


class AdjustmentModal(_FormModal):
    """An invoice-level discount, fee (each with a tax rate) or extra tax; fixed or percent."""

    FIELD_IDS = ("adj-value", "adj-tax")

    def __init__(self, adjustment: dict | None, currency: str, locale: str) -> None:
        super().__init__()
        self.adjustment = adjustment or {}
        self.currency = currency
        self.locale = locale

    def compose(self) -> ComposeResult:
        a, loc = self.adjustment, self.locale
        with Vertical(id="adjustment-dialog", classes="invoice-modal"):
            yield Label("Discount, fee or tax", classes="modal-title")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label("Kind")
                    yield Select(KINDS, value=a.get("kind", "discount"), allow_blank=False, id="adj-kind")
                with Vertical():
                    yield Label("Label")
                    yield Input(a.get("label", ""), id="adj-label", placeholder="e.g. Loyalty discount")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label(f"Value (10% or an amount in {self.currency})")
                    text = "" if a.get("value") is None else show_number(a["value"], loc) + ("%" if a.get("is_percent") else "")
                    yield Input(text, id="adj-value", validators=[DiscountValidator(loc), NotBlank("A value")])
                    yield FieldError(id="error-adj-value")
                with Vertical():
                    yield Label("Tax rate % (discounts and fees)")
                    yield Input(show_number(a.get("tax_rate", Decimal(0)), loc), id="adj-tax",
                                validators=[LocalNumber(loc, what="tax rate", low=Decimal(0), high=HUNDRED,
                                                        optional=True)])
                    yield FieldError(id="error-adj-tax")
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel", id="form-cancel")
                yield Button("OK (ctrl+s)", id="form-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#adj-kind", Select).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#form-ok")
    def action_save(self) -> None:
        if not self._all_valid():
            return
        loc = self.locale
        value, pct = parse_discount(self.query_one("#adj-value", Input).value, loc)
        tax_text = self.query_one("#adj-tax", Input).value.strip()
        kind = self.query_one("#adj-kind", Select).value
        self.dismiss({"kind": kind, "label": self.query_one("#adj-label", Input).value.strip(),
                      "value": value, "is_percent": pct,
                      "tax_rate": Decimal(0) if kind == "tax" or not tax_text else parse_local_decimal(tax_text, loc)})
