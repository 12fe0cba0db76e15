"""Editor modals: one line item, one invoice-level discount/fee/tax.

Numbers are typed the way the invoice's locale writes them ("1 234,50" in fr_FR) or with a dot.
A line discount is a percentage when it ends with "%" ("10%"), else an amount ("5,00"). The modal
checks each field as it is typed; the service validates the whole invoice on save.

R35's further line fields — VAT category, unit code, price base quantity, line allowances and
charges — sit behind ctrl+o ("More"), so the form stays within 80×24; they open by themselves when
the line already uses one. A quantity may be negative (a return); a unit price has up to 6
decimals whatever the currency.
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

from invoice_tui.domain.errors import BadInput, InvoiceTuiError
from invoice_tui.domain.totals import ADJUSTMENT_KINDS, PRICE_DECIMALS, VAT_CATEGORIES, check_category
from invoice_tui.i18n import N_, _
from invoice_tui.widgets.error_text import error_text
from invoice_tui.widgets.invoice_inputs import FieldError, LocalNumber, NotBlank, parse_local_decimal

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
        return parse_local_decimal(raw[:-1], locale, what=_("percentage")), True
    return parse_local_decimal(raw, locale, what=_("discount")), False


class DiscountValidator(Validator):
    """A line discount: 0 or more. An invoice discount or fee may be negative (a correction, R35)."""

    def __init__(self, locale: str, *, allow_negative: bool = False) -> None:
        super().__init__()
        self.locale, self.allow_negative = locale, allow_negative

    def validate(self, value: str) -> ValidationResult:
        try:
            amount, pct = parse_discount(value, self.locale)
        except InvoiceTuiError as exc:
            return self.failure(error_text(exc))
        if amount is None:
            return self.success()
        if self.allow_negative:
            if pct and abs(amount) > HUNDRED:
                return self.failure(_("A percentage is at most 100%."))
        elif amount < 0 or (pct and amount > HUNDRED):
            return self.failure(_("A discount is 0 or more; a percentage at most 100%."))
        return self.success()


def parse_line_charges(text: str, locale: str) -> list[dict]:
    """"-5%:Loyalty; +2,00:Freight" → line allowances ("-") and charges ("+"), each an amount or
    a percentage, with an optional reason after ":" (R35)."""
    out = []
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        value, _sep, reason = part.partition(":")
        value = value.strip()
        if not value or value[0] not in "-−+":
            raise BadInput(_("'{part}': start an allowance with - and a charge with +, e.g. -5%:Loyalty or "
                             "+2.00:Freight.").format(part=part))
        amount, pct = parse_discount(value[1:], locale)
        if amount is None:
            raise BadInput(_("'{part}' has no amount.").format(part=part))
        out.append({"kind": "charge" if value[0] == "+" else "allowance", "value": amount, "is_percent": pct,
                    "reason": reason.strip()})
    return out


def show_line_charges(charges, locale: str) -> str:
    return "; ".join(("+" if c["kind"] == "charge" else "-") + show_number(c["value"], locale)
                     + ("%" if c.get("is_percent") else "") + (f":{c['reason']}" if c.get("reason") else "")
                     for c in charges or ())


class LineChargesValidator(Validator):
    def __init__(self, locale: str) -> None:
        super().__init__()
        self.locale = locale

    def validate(self, value: str) -> ValidationResult:
        try:
            parse_line_charges(value, self.locale)
        except InvoiceTuiError as exc:
            return self.failure(error_text(exc))
        return self.success()


class LocalCheck(Validator):
    """A number typed the locale's way, then ``check(number)``: a sentence when it is refused."""

    def __init__(self, locale: str, what: str, check) -> None:
        super().__init__()
        self.locale, self.what, self.check = locale, what, check

    def validate(self, value: str) -> ValidationResult:
        try:
            number = parse_local_decimal(value, self.locale, what=self.what)
        except InvoiceTuiError as exc:
            return self.failure(error_text(exc))
        refusal = self.check(number)
        return self.failure(refusal) if refusal else self.success()


def _price_refusal(price: Decimal) -> str | None:
    """R35: 0 or more (BR-27), up to 6 decimals whatever the currency (BT-146)."""
    if price < 0:
        return _("A unit price is 0 or more; a return is a negative quantity.")
    if price.as_tuple().exponent < -PRICE_DECIMALS:
        return _("A unit price has at most {n} decimals.").format(n=PRICE_DECIMALS)
    return None


def _quantity_refusal(qty: Decimal) -> str | None:
    return None if qty else _("The quantity is not 0 (negative for a return).")


_SHORT_NAMES = {"S": N_("standard"), "Z": N_("zero-rated"), "E": N_("exempt"), "AE": N_("reverse charge"),
                "K": N_("intra-EU"), "G": N_("export"), "O": N_("outside VAT")}
CATEGORY_CHOICES = ((N_("By rate"), ""), *((f"{c} {_SHORT_NAMES[c]}", c) for c in VAT_CATEGORIES))  # fit 80×24


def category_choices() -> list[tuple[str, str]]:
    """The VAT categories offered, in the reader's language (the code stays: it is the standard's)."""
    return [(_("By rate"), ""), *((f"{c} {_(_SHORT_NAMES[c])}", c) for c in VAT_CATEGORIES)]


class _FormModal(ModalScreen[dict | None]):
    """A form over one row of the editor (a dict in, a dict out); each field is checked as it is
    typed, and all of them again on OK."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="editor.form.cancel"),
                Binding("ctrl+s", "save", N_("OK"), id="editor.form.ok", priority=True)]
    FIELD_IDS: tuple[str, ...] = ()

    def __init__(self, row: dict | None, currency: str, locale: str) -> None:
        super().__init__()
        self.row = row or {}
        self.currency = currency
        self.locale = locale

    # ---- the fields both forms have ------------------------------------------------------------
    def percent_or_amount(self, label: str, field_id: str, value: Decimal | None, is_percent: bool,
                          *validators: Validator, allow_negative: bool = False) -> ComposeResult:
        """"10%" or an amount, as the locale writes it."""
        with Vertical():
            yield Label(label)
            text = "" if value is None else show_number(value, self.locale) + ("%" if is_percent else "")
            yield Input(text, id=field_id, validators=[DiscountValidator(self.locale, allow_negative=allow_negative),
                                                       *validators])
            yield FieldError(id=f"error-{field_id}")

    def tax_rate_field(self, label: str, field_id: str) -> ComposeResult:
        with Vertical():
            yield Label(label)
            yield Input(show_number(self.row.get("tax_rate", Decimal(0)), self.locale), id=field_id,
                        validators=[LocalNumber(self.locale, what=_("tax rate"), low=Decimal(0), high=HUNDRED,
                                                optional=True)])
            yield FieldError(id=f"error-{field_id}")

    def buttons(self) -> ComposeResult:
        with Horizontal(classes="modal-buttons"):
            yield Button(_("Cancel"), id="form-cancel")
            yield Button(_("OK (ctrl+s)"), id="form-ok", variant="primary")

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
    FIELD_IDS = ("line-name", "line-quantity", "line-price", "line-discount", "line-tax", "line-base", "line-unit",
                 "line-charges")
    BINDINGS = [Binding("ctrl+o", "more", N_("More fields"), id="editor.line.more")]

    def compose(self) -> ComposeResult:
        line, loc = self.row, self.locale
        with Vertical(id="line-dialog", classes="invoice-modal"):
            yield Label(_("Edit line") if self.row else _("New line"), classes="modal-title")
            yield Label(_("Name"))
            yield Input(line.get("name", ""), id="line-name", validators=[NotBlank(_("A line name"))])
            yield FieldError(id="error-line-name")
            yield Label(_("Description (optional)"))
            yield Input(line.get("description", ""), id="line-description")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label(_("Quantity (− for a return)"))
                    yield Input(show_number(line.get("quantity", Decimal(1)), loc), id="line-quantity",
                                validators=[LocalCheck(loc, _("quantity"), _quantity_refusal)])
                    yield FieldError(id="error-line-quantity")
                with Vertical():
                    yield Label(_("Unit price ({currency})").format(currency=self.currency))
                    yield Input(show_number(line.get("unit_price"), loc), id="line-price",
                                validators=[LocalCheck(loc, _("unit price"), _price_refusal)])
                    yield FieldError(id="error-line-price")
            with Horizontal(classes="form-row"):
                yield from self.percent_or_amount(_("Discount (10% or an amount)"), "line-discount",
                                                  line.get("discount"), bool(line.get("discount_percent")))
                yield from self.tax_rate_field(_("Tax rate %"), "line-tax")
            with Vertical(id="line-more"):
                with Horizontal(classes="form-row"):
                    with Vertical():
                        yield Label(_("VAT category"))
                        yield Select(category_choices(), value=self._category(), allow_blank=False,
                                     id="line-category")
                    with Vertical():
                        yield Label(_("Unit (C62, HUR, KWH…)"))
                        yield Input(line.get("unit_code") or "C62", id="line-unit",
                                    validators=[NotBlank(_("A unit code"))])
                        yield FieldError(id="error-line-unit")
                    with Vertical():
                        yield Label(_("Price per (units)"))
                        yield Input(show_number(line.get("base_quantity") or Decimal(1), loc), id="line-base",
                                    validators=[LocalNumber(loc, what=_("base quantity"), positive=True)])
                        yield FieldError(id="error-line-base")
                yield Label(_("Allowances (-) and charges (+): -5%:Loyalty; +2.00:Freight"))
                yield Input(show_line_charges(line.get("charges"), loc), id="line-charges",
                            validators=[LineChargesValidator(loc)])
                yield FieldError(id="error-line-charges")
            yield Label(_("ctrl+o: VAT category, unit, price per, allowances and charges"), id="line-more-hint",
                        classes="field-hint")
            yield from self.buttons()

    def _category(self) -> str:
        rate = self.row.get("tax_rate") or Decimal(0)
        cat = self.row.get("tax_category") or ""
        return "" if not cat or cat == ("Z" if not rate else "S") else cat

    def _advanced(self) -> bool:
        line = self.row
        return bool(self._category() or (line.get("unit_code") or "C62") != "C62"
                    or (line.get("base_quantity") or 1) != 1 or line.get("charges"))

    def action_more(self) -> None:
        more = self.query_one("#line-more")
        more.display = not more.display
        self.query_one("#line-more-hint").display = not more.display
        if more.display:
            self.query_one("#line-category", Select).focus()

    def on_mount(self) -> None:
        advanced = self._advanced()
        self.query_one("#line-more").display = advanced
        self.query_one("#line-more-hint").display = not advanced
        self.query_one("#line-name", Input).focus()

    def _all_valid(self) -> bool:
        ok = super()._all_valid()
        rate_text = self.value("line-tax").strip()
        try:
            rate = parse_local_decimal(rate_text, self.locale) if rate_text else Decimal(0)
            check_category(rate, self.query_one("#line-category", Select).value or "")
        except (ValueError, InvoiceTuiError) as exc:
            message = exc.message if isinstance(exc, InvoiceTuiError) else str(exc) + "."
            self.query_one("#error-line-tax", Static).update(message)
            self.query_one("#line-more").display = True
            return False
        return ok

    def collect(self) -> dict:
        loc = self.locale
        discount, pct = parse_discount(self.value("line-discount"), loc)
        return {
            "name": self.value("line-name").strip(), "description": self.value("line-description"),
            "quantity": parse_local_decimal(self.value("line-quantity"), loc),
            "unit_price": parse_local_decimal(self.value("line-price"), loc),
            "discount": discount, "discount_percent": pct, "tax_rate": self.tax_rate("line-tax"),
            "tax_category": self.query_one("#line-category", Select).value or "",
            "unit_code": self.value("line-unit").strip().upper() or "C62",
            "base_quantity": parse_local_decimal(self.value("line-base"), loc),
            "charges": parse_line_charges(self.value("line-charges"), loc),
        }


KIND_LABELS = {"discount": N_("Discount"), "fee": N_("Fee"), "tax": N_("Extra tax")}  # shown with _()
KINDS = tuple((KIND_LABELS[kind], kind) for kind in ADJUSTMENT_KINDS)  # offered in R18's order


class AdjustmentModal(_FormModal):
    """An invoice-level discount, fee (each with a tax rate) or extra tax; fixed or percent."""

    FIELD_IDS = ("adj-value", "adj-tax")

    def compose(self) -> ComposeResult:
        a = self.row
        with Vertical(id="adjustment-dialog", classes="invoice-modal"):
            yield Label(_("Discount, fee or tax"), classes="modal-title")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label(_("Kind"))
                    yield Select([(_(label), kind) for label, kind in KINDS], value=a.get("kind", "discount"),
                                 allow_blank=False, id="adj-kind")
                with Vertical():
                    yield Label(_("Label"))
                    yield Input(a.get("label", ""), id="adj-label", placeholder=_("e.g. Loyalty discount"))
            with Horizontal(classes="form-row"):
                yield from self.percent_or_amount(_("Value (10% or an amount in {currency})").format(
                                                      currency=self.currency), "adj-value",
                                                  a.get("value"), bool(a.get("is_percent")), NotBlank(_("A value")),
                                                  allow_negative=True)
                yield from self.tax_rate_field(_("Tax rate % (discounts and fees)"), "adj-tax")
                with Vertical():
                    yield Label(_("VAT category"))
                    rate, cat = a.get("tax_rate") or Decimal(0), a.get("tax_category") or ""
                    yield Select(category_choices(), value="" if cat == ("Z" if not rate else "S") else cat,
                                 allow_blank=False, id="adj-category")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#adj-kind", Select).focus()

    def collect(self) -> dict:
        value, pct = parse_discount(self.value("adj-value"), self.locale)
        kind = self.query_one("#adj-kind", Select).value
        return {"kind": kind, "label": self.value("adj-label").strip(), "value": value, "is_percent": pct,
                "tax_rate": Decimal(0) if kind == "tax" else self.tax_rate("adj-tax"),
                "tax_category": "" if kind == "tax" else self.query_one("#adj-category", Select).value or ""}
