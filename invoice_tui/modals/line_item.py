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
    """A form over one row of the editor (a dict in, a dict out); each field is checked as it is
    typed, and all of them again on OK."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="editor.form.cancel"),
                Binding("ctrl+s", "save", "OK", id="editor.form.ok")]
    FIELD_IDS: tuple[str, ...] = ()

    def __init__(self, row: dict | None, currency: str, locale: str) -> None:
        super().__init__()
        self.row = row or {}
        self.currency = currency
        self.locale = locale

    # ---- the fields both forms have ------------------------------------------------------------
    def percent_or_amount(self, label: str, field_id: str, value: Decimal | None, is_percent: bool,
                          *validators: Validator) -> ComposeResult:
        """"10%" or an amount, as the locale writes it."""
        with Vertical():
            yield Label(label)
            text = "" if value is None else show_number(value, self.locale) + ("%" if is_percent else "")
            yield Input(text, id=field_id, validators=[DiscountValidator(self.locale), *validators])
            yield FieldError(id=f"error-{field_id}")

    def tax_rate_field(self, label: str, field_id: str) -> ComposeResult:
        with Vertical():
            yield Label(label)
            yield Input(show_number(self.row.get("tax_rate", Decimal(0)), self.locale), id=field_id,
                        validators=[LocalNumber(self.locale, what="tax rate", low=Decimal(0), high=HUNDRED,
                                                optional=True)])
            yield FieldError(id=f"error-{field_id}")

    def buttons(self) -> ComposeResult:
        with Horizontal(classes="modal-buttons"):
            yield Button("Cancel", id="form-cancel")
            yield Button("OK (ctrl+s)", id="form-ok", variant="primary")

    def value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    def tax_rate(self, field_id: str) -> Decimal:
        text = self.value(field_id).strip()
        return parse_local_decimal(text, self.locale) if text else Decimal(0)

    # ---- checking -------------------------------------------------------------------------------
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

    @on(Input.Submitted)
    @on(Button.Pressed, "#form-ok")
    def action_save(self) -> None:
        if self._all_valid():
            self.dismiss(self.collect())

    def collect(self) -> dict:  # pragma: no cover - each form's
        raise NotImplementedError

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class LineItemModal(_FormModal):
    FIELD_IDS = ("line-name", "line-quantity", "line-price", "line-discount", "line-tax")

    def compose(self) -> ComposeResult:
        line, loc = self.row, self.locale
        with Vertical(id="line-dialog", classes="invoice-modal"):
            yield Label("Edit line" if self.row else "New line", classes="modal-title")
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
                yield from self.percent_or_amount("Discount (10% or an amount)", "line-discount", line.get("discount"),
                                                  bool(line.get("discount_percent")))
                yield from self.tax_rate_field("Tax rate %", "line-tax")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#line-name", Input).focus()

    def collect(self) -> dict:
        loc = self.locale
        discount, pct = parse_discount(self.value("line-discount"), loc)
        return {
            "name": self.value("line-name").strip(), "description": self.value("line-description"),
            "quantity": parse_local_decimal(self.value("line-quantity"), loc),
            "unit_price": parse_local_decimal(self.value("line-price"), loc),
            "discount": discount, "discount_percent": pct, "tax_rate": self.tax_rate("line-tax"),
        }


KIND_LABELS = {"discount": "Discount", "fee": "Fee", "tax": "Extra tax"}
KINDS = tuple((KIND_LABELS[kind], kind) for kind in ADJUSTMENT_KINDS)  # offered in R18's order


class AdjustmentModal(_FormModal):
    """An invoice-level discount, fee (each with a tax rate) or extra tax; fixed or percent."""

    FIELD_IDS = ("adj-value", "adj-tax")

    def compose(self) -> ComposeResult:
        a = self.row
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
                yield from self.percent_or_amount(f"Value (10% or an amount in {self.currency})", "adj-value",
                                                  a.get("value"), bool(a.get("is_percent")), NotBlank("A value"))
                yield from self.tax_rate_field("Tax rate % (discounts and fees)", "adj-tax")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#adj-kind", Select).focus()

    def collect(self) -> dict:
        value, pct = parse_discount(self.value("adj-value"), self.locale)
        kind = self.query_one("#adj-kind", Select).value
        return {"kind": kind, "label": self.value("adj-label").strip(), "value": value, "is_percent": pct,
                "tax_rate": Decimal(0) if kind == "tax" else self.tax_rate("adj-tax")}
