"""The decorator every writing service uses: one transaction (history rows included), retried
as a whole while the database is busy."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Callable, TypeVar

from invoice_tui.db import retry_busy, write_tx
from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import N_, _, pgettext

if TYPE_CHECKING:  # pydantic loads with the first validation, not with every module that writes
    from pydantic import BaseModel

T = TypeVar("T")
M = TypeVar("M", bound="BaseModel")


def mutation(fn: Callable[..., T]) -> Callable[..., T]:
    @retry_busy
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with write_tx():
            return fn(*args, **kwargs)

    return wrapper


# pydantic's own problems (its sentences are English only), said in the reader's language by type
_PROBLEMS = {
    "missing": N_("a value is needed"),
    "int_parsing": N_("must be a whole number"), "int_type": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "decimal_parsing": N_("must be a number"), "decimal_type": N_("must be a number"),
    "float_parsing": N_("must be a number"), "float_type": N_("must be a number"),
    "finite_number": N_("must be a number"),
    "date_parsing": N_("must be a date as YYYY-MM-DD"), "date_type": N_("must be a date as YYYY-MM-DD"),
    "date_from_datetime_parsing": N_("must be a date as YYYY-MM-DD"),
    "date_from_datetime_inexact": N_("must be a date as YYYY-MM-DD"),
    "string_type": N_("must be text"), "bool_parsing": N_("must be yes or no"), "bool_type": N_("must be yes or no"),
    "string_too_long": N_("must be at most {max_length} characters"),
    "string_too_short": N_("must be at least {min_length} characters"),
    "greater_than_equal": N_("must be {ge} or more"), "greater_than": N_("must be more than {gt}"),
    "less_than_equal": N_("must be {le} or less"), "less_than": N_("must be less than {lt}"),
    "list_type": N_("must be a list"), "literal_error": N_("must be one of {expected}"),
}
def _field_names() -> dict[str, str]:
    """The input models' fields, as a sentence names them (``validate``'s "unit price: …"), in the
    reader's language."""
    return {
        "name": pgettext("field", "name"), "quantity": pgettext("field", "quantity"),
        "unit_price": pgettext("field", "unit price"), "tax_rate": pgettext("field", "tax rate"),
        "tax_category": pgettext("field", "VAT category"), "discount": pgettext("field", "discount"),
        "discount_percent": pgettext("field", "discount percent"), "description": pgettext("field", "description"),
        "base_quantity": pgettext("field", "price base quantity"), "unit_code": pgettext("field", "unit code"),
        "charges": pgettext("field", "allowances and charges"), "kind": pgettext("field", "kind"),
        "value": pgettext("field", "value"), "is_percent": pgettext("field", "percent"),
        "reason": pgettext("field", "reason"), "label": pgettext("field", "label"),
        "currency": pgettext("field", "currency"), "title": pgettext("field", "title"),
        "locale": pgettext("field", "language"), "invoice_date": pgettext("field", "invoice date"),
        "due_date": pgettext("field", "due date"), "owner_id": pgettext("field", "owner"),
        "contact_id": pgettext("field", "contact"), "company_id": pgettext("field", "company"),
        "contact_ids": pgettext("field", "contacts"), "company_ids": pgettext("field", "companies"),
        "lines": pgettext("field", "lines"), "discounts": pgettext("field", "discounts"),
        "fees": pgettext("field", "fees"), "taxes": pgettext("field", "taxes"),
        "po_number": pgettext("field", "PO number"), "comments": pgettext("field", "comments"),
        "allow_partial": pgettext("field", "allow partial payments"), "origin": pgettext("field", "origin"),
        "delivery_date": pgettext("field", "delivery date"),
        "delivery_address": pgettext("field", "delivery address"),
        "operation_category": pgettext("field", "operation category"),
        "buyer_reference": pgettext("field", "buyer reference"),
        "exemption_reasons": pgettext("field", "exemption reasons"), "eur_rate": pgettext("field", "EUR exchange rate"),
        "amount": pgettext("field", "amount"), "date": pgettext("field", "date"), "method": pgettext("field", "method"),
        "reference": pgettext("field", "reference"), "note": pgettext("field", "note"),
        "send_receipt": pgettext("field", "send a receipt"), "in_advance": pgettext("field", "received in advance"),
        "overpay": pgettext("field", "overpayment"), "source": pgettext("field", "source"),
        "state": pgettext("field", "state"),
    }


def field_name(loc: str) -> str:
    """A field's name for a sentence: "unit price", "line 2, unit price" (``loc`` as pydantic gives it,
    ``lines.1.unit_price``); a field without a name of its own is named as it is spelled."""
    parts = loc.split(".")
    last = parts[-1]
    names = _field_names()
    named = names[last] if last in names else last.replace("_", " ")
    if len(parts) >= 3 and parts[0] == "lines" and parts[1].isdigit():
        return _("line {n}, {field}").format(n=int(parts[1]) + 1, field=named)
    return named if len(parts) == 1 or last in names else loc.replace("_", " ")


def validate(model: type[M], data: dict | M) -> M:
    """pydantic validation with the first problem turned into one clear sentence."""
    from pydantic import ValidationError

    if isinstance(data, model):
        data = data.model_dump(exclude_unset=True)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        kind = err.get("type")
        if kind == "extra_forbidden":
            raise BadInput(_("'{loc}' is not something that can be set here; check the spelling.").format(loc=loc),
                           field=loc or None) from None
        if kind == "value_error":  # our own checks: their sentence is marked where it is raised
            error = (err.get("ctx") or {}).get("error")
            msg = str(error) if error is not None else err.get("msg", "").removeprefix("Value error, ")
        elif kind in _PROBLEMS:
            msg = _(_PROBLEMS[kind]).format(**{k: v for k, v in (err.get("ctx") or {}).items()})
        else:
            msg = err.get("msg", "") or _("this value is not valid")
        named = loc.replace("_", " ")
        if loc and not msg.startswith((f"{loc}: ", f"{named}: ")):  # a check that names its field already
            msg = _("{field}: {problem}").format(field=field_name(loc), problem=msg)
        raise BadInput(msg, field=loc or None) from None

