"""The decorator every writing service uses: one transaction (history rows included), retried
as a whole while the database is busy."""

from __future__ import annotations

import datetime as dt
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


_PLAIN_CONFIG = {"defer_build", "extra", "title"}  # model settings that change nothing for plain input
_SCALARS = (type(None), str, int, bool)  # defaults a model may share between its instances


class PlainInput:
    """``validate(model, data)`` for many inputs whose values already have the type their field
    takes as it is (a ``str`` for a text, a ``date`` for a date, an ``int`` for an id, a ``bool``,
    lists of these, models of a list's kind or the dicts they are validated from): the same
    model, built with ``model_construct`` after the checks pydantic would run — the type of each
    value, the model's own ``after`` validators of each field given, each list item's model —
    each validator's result remembered per value (they are pure functions of it).

    :meth:`check` gives None when an input is not plain (another type, an unknown key, a field
    this path does not know) or when a check refuses it: the caller validates it then with
    :func:`validate`, which refuses it with the sentence it always gets. A model with model
    validators, settings or field constraints this path does not know is never plain."""

    _MEMO = 10_000  # values remembered per field (cleared when full: memory stays bounded)

    def __init__(self, model: type[M]) -> None:
        import types
        import typing

        from pydantic import BaseModel, ValidationError

        self.model = model
        decorators = model.__pydantic_decorators__
        plain_model = (not decorators.model_validators and not decorators.root_validators
                       and not decorators.validators and set(model.model_config) <= _PLAIN_CONFIG
                       and model.model_config.get("extra") == "forbid")
        checks: dict[str, list] = {}
        for dec in decorators.field_validators.values():
            for name in dec.info.fields:
                if dec.info.mode != "after" or name not in model.model_fields:
                    plain_model = False
                checks.setdefault(name, []).append(dec.func)
        self.fields: dict[str, tuple] = {}  # field → (types taken as they are, list item kind, its checks)
        if not plain_model:
            return
        for name, info in model.model_fields.items():
            if info.metadata or info.alias or info.validation_alias:
                continue
            ann = info.annotation
            args = typing.get_args(ann) if typing.get_origin(ann) in (typing.Union, types.UnionType) else (ann,)
            kinds, item = set(), None
            for arg in args:
                if arg is type(None) or arg in (str, int, bool, dt.date):
                    kinds.add(arg)
                elif typing.get_origin(arg) is list and len(typing.get_args(arg)) == 1:
                    of = typing.get_args(arg)[0]
                    if of not in (str, int, bool, dt.date) and not (
                            isinstance(of, type) and issubclass(of, BaseModel)
                            and of.model_config.get("revalidate_instances", "never") == "never"):
                        kinds = None
                        break
                    kinds.add(list)
                    item = of
                else:
                    kinds = None
                    break
            if kinds:
                self.fields[name] = (frozenset(kinds), item, tuple(checks.get(name, ())))
        self._memo: dict[str, dict] = {name: {} for name in self.fields}
        # ``model_construct``, spelled out for a model whose defaults are plain values (shared,
        # never copied) and which has nothing to run after construction: the values given over
        # every field's default, in the fields' order.
        self._defaults: dict | None = {}
        self._required = frozenset(name for name, info in model.model_fields.items() if info.is_required())
        for name, info in model.model_fields.items():
            if info.is_required():
                continue
            if info.default_factory is not None or type(info.default) not in _SCALARS:
                self._defaults = None
                break
            self._defaults[name] = info.default
        if model.__pydantic_post_init__ or model.__pydantic_root_model__ or model.__private_attributes__:
            self._defaults = None
        self._invalid = ValidationError
        self._base = BaseModel

    def check(self, data: dict) -> M | None:
        BaseModel, ValidationError = self._base, self._invalid  # noqa: N806 - pydantic's names
        fields, values = self.fields, {}
        if not fields:  # (a model that is never plain)
            return None
        for name, value in data.items():
            spec = fields.get(name)
            if spec is None:
                return None
            kinds, item, checks = spec
            kind = type(value)
            if kind not in kinds:
                return None
            if kind is list:
                if isinstance(item, type) and issubclass(item, BaseModel):
                    out = []
                    for v in value:
                        if type(v) is not item:
                            if type(v) is not dict:
                                return None
                            try:
                                v = item.model_validate(v)
                            except ValidationError:
                                return None
                        out.append(v)
                elif all(type(v) is item for v in value):
                    out = list(value)
                else:
                    return None
                try:
                    for fn in checks:
                        out = fn(out)
                except Exception:  # noqa: BLE001 - refused (or not a plain check): validated instead
                    return None
                values[name] = out
                continue
            if not checks:
                values[name] = value
                continue
            memo = self._memo[name]
            found = memo.get(value, memo)
            if found is memo:
                found = value
                try:
                    for fn in checks:
                        found = fn(found)
                except Exception:  # noqa: BLE001 - refused (or not a plain check): validated instead
                    return None
                if len(memo) >= self._MEMO:
                    memo.clear()
                memo[value] = found
            values[name] = found
        if not self._required <= values.keys():
            return None
        if self._defaults is None:
            return self.model.model_construct(_fields_set=set(values), **values)
        made = self.model.__new__(self.model)
        given = dict(self._defaults)
        given.update(values)  # (a key given keeps its field's place)
        object.__setattr__(made, "__dict__", given)
        object.__setattr__(made, "__pydantic_fields_set__", set(values))
        object.__setattr__(made, "__pydantic_extra__", None)
        object.__setattr__(made, "__pydantic_private__", None)
        return made
