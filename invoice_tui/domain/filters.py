"""R20: advanced filters. A filter is (property, operator, value); filters in a group are ANDed;
groups are ORed. The model always compiles to one SQL WHERE expression.

Values are kept as the user wrote them (``"today-30"`` stays relative), so a saved view means
the same thing tomorrow. Money values are in each invoice's own currency and compared exactly in
minor units (one integer bound per currency exponent).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from typing import Any, Literal

import peewee as pw

from invoice_tui.db import text_contains, text_startswith
from invoice_tui.db.models import Invoice
from invoice_tui.domain import catalogue
from invoice_tui.domain.bounds import DATE_MAX, DATE_MIN, MAX_DAYS, add_days, check_date
from invoice_tui.domain.catalogue import SqlContext, overdue_condition
from invoice_tui.domain.errors import BadInput
from invoice_tui.domain.money import parse_decimal
from invoice_tui.i18n import N_, _, ngettext

MAX_GROUPS = 5
MAX_PER_GROUP = 10
MAX_FILTERS = 25

OPERATORS: dict[str, tuple[str, ...]] = {
    "text": ("any_of", "none_of", "contains", "not_contains", "starts_with", "known", "unknown"),
    "number": ("eq", "ne", "gt", "gte", "lt", "lte", "between", "known", "unknown"),
    "money": ("eq", "ne", "gt", "gte", "lt", "lte", "between", "known", "unknown"),
    "date": ("on", "before", "after", "between", "more_than_days_ago", "less_than_days_ago",
             "more_than_days_from_now", "less_than_days_from_now", "known", "unknown"),
    "choice": ("any_of", "none_of"),
}

OPERATOR_LABELS = {
    "any_of": N_("is any of"), "none_of": N_("is none of"), "contains": N_("contains"),
    "not_contains": N_("doesn't contain"), "starts_with": N_("starts with"), "known": N_("is known"),
    "unknown": N_("is unknown"), "eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤",
    "between": N_("is between"), "on": N_("is on"), "before": N_("is before"), "after": N_("is after"),
    "more_than_days_ago": N_("more than N days ago"), "less_than_days_ago": N_("less than N days ago"),
    "more_than_days_from_now": N_("more than N days from now"),
    "less_than_days_from_now": N_("less than N days from now"),
}
NO_VALUE = {"known", "unknown"}
EXPONENTS = (0, 2, 3, 4)  # ISO 4217 exponents in use


# The filter model is plain dataclasses, not pydantic: the index's first paint builds and reads
# them (the views' tabs, the query's cache key), and pydantic costs ~0.1 s to import (issue 16).
# Input from outside — a dict given to a writing service — is validated by pydantic, loaded then,
# in ``FilterSet.validate``; what the services stored is read back by ``FilterSet.from_stored``.
@dataclass(kw_only=True)
class Filter:
    property: str
    operator: str
    values: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.values = list(self.values)  # never shared with the caller's list

    def describe(self) -> str:
        prop = catalogue.get(self.property)
        text = f"{prop.label()} {OPERATOR_LABELS.get(self.operator, self.operator)}"
        return f"{text} {', '.join(self.values)}" if self.values else text


@dataclass(kw_only=True)
class FilterGroup:
    filters: list[Filter] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.filters = list(self.filters)


@dataclass(kw_only=True)
class FilterSet:
    groups: list[FilterGroup] = field(default_factory=list)
    combine: Literal["or"] = "or"

    def __post_init__(self) -> None:
        self.groups = list(self.groups)

    @property
    def count(self) -> int:
        return sum(len(g.filters) for g in self.groups)

    def summary(self) -> str:
        groups = [g for g in self.groups if g.filters]
        if not groups:
            return _("No filters")
        n = self.count
        return ngettext("{groups} group, {filters}", "{groups} groups, {filters}", len(groups)).format(
            groups=len(groups), filters=ngettext("{n} filter", "{n} filters", n).format(n=n))

    def copy(self) -> "FilterSet":
        """A deep copy: editing it leaves this one as it was."""
        return FilterSet(groups=[FilterGroup(filters=[Filter(property=f.property, operator=f.operator, values=f.values)
                                                      for f in g.filters]) for g in self.groups],
                         combine=self.combine)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """What a saved view stores (compact JSON, as pydantic wrote it before)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    def key(self) -> tuple:
        """A hashable value equal for equal filter sets (the compiled queries' cache key)."""
        return self.combine, tuple(tuple((f.property, f.operator, tuple(f.values)) for f in g.filters)
                                   for g in self.groups)

    @classmethod
    def validate(cls, data: "FilterSet | dict") -> "FilterSet":
        """``data`` from outside (a dict as JSON gives it, or a ``FilterSet``) checked by pydantic,
        as strictly as when these were pydantic models; a clear sentence (BadInput) when it
        cannot be read."""
        from pydantic import TypeAdapter, ValidationError

        global _ADAPTER
        if _ADAPTER is None:
            _ADAPTER = TypeAdapter(FilterSet)
        try:
            return _ADAPTER.validate_python(data.to_dict() if isinstance(data, FilterSet) else data)
        except ValidationError as exc:
            raise BadInput(f"The filters cannot be read: {exc.errors()[0].get('msg')}.", field="filters") from None

    @classmethod
    def from_stored(cls, text: str | None) -> "FilterSet":
        """The filters a view stored (``to_json``); ValueError when the text is not such a filter set."""
        data = json.loads(text or "{}")
        if not isinstance(data, dict) or data.get("combine", "or") != "or":
            raise ValueError("not a filter set")
        groups = []
        for g in _list(data.get("groups", [])):
            if not isinstance(g, dict):
                raise ValueError("not a filter group")
            filters = []
            for f in _list(g.get("filters", [])):
                if not (isinstance(f, dict) and isinstance(f.get("property"), str)
                        and isinstance(f.get("operator"), str)):
                    raise ValueError("not a filter")
                values = _list(f.get("values", []))
                if not all(isinstance(v, str) for v in values):
                    raise ValueError("not a filter value")
                filters.append(Filter(property=f["property"], operator=f["operator"], values=values))
            groups.append(FilterGroup(filters=filters))
        return cls(groups=groups)


_ADAPTER = None  # pydantic's validator of FilterSet, built on first use


def _list(value: Any) -> list:
    if not isinstance(value, list):
        raise ValueError("not a list")
    return value


def check_limits(fs: FilterSet) -> None:
    """R20 limits: 5 groups, 10 filters per group, 25 in all."""
    if len(fs.groups) > MAX_GROUPS:
        raise BadInput(_("At most {n} filter groups; remove a group to add another.").format(n=MAX_GROUPS),
                       field="filters")
    for i, g in enumerate(fs.groups, 1):
        if len(g.filters) > MAX_PER_GROUP:
            raise BadInput(_("At most {n} filters in a group (group {group} has {count}).").format(
                n=MAX_PER_GROUP, group=i, count=len(g.filters)), field="filters")
    if fs.count > MAX_FILTERS:
        raise BadInput(_("At most {n} filters in all ({count} given).").format(n=MAX_FILTERS, count=fs.count),
                       field="filters")


_REL_DATE = re.compile(r"^today(?:([+-])(\d{1,5}))?$")


def parse_date_value(text: str, today: dt.date) -> dt.date:
    t = text.strip().lower()
    m = _REL_DATE.match(t)
    if m:
        days = int(m.group(2) or 0)
        return add_days(today, -days if m.group(1) == "-" else days, "a date", field="value")  # R56
    try:
        day = dt.date.fromisoformat(t)
    except ValueError:
        raise BadInput(_("'{text}' is not a date; write YYYY-MM-DD, today, today-30 or today+7.").format(text=text),
                       field="value") from None
    return check_date(day, "a date", field="value")


def _int_value(text: str) -> int:
    if not re.fullmatch(r"\d{1,6}", text.strip()):
        raise BadInput(_("'{text}' is not a number of days.").format(text=text), field="value")
    if int(text) > MAX_DAYS:  # R56: beyond it, "N days ago" would leave the calendar
        raise BadInput(_("A number of days is at most {max}; '{text}' is more.").format(
            max=f"{MAX_DAYS:,}", text=text.strip()), field="value")
    return int(text)


def _money_bound(column: pw.Node, op: str, value: Decimal) -> pw.Node:
    """Exact comparison of a minor-units column with a major-units value, per exponent."""
    parts = []
    for e in EXPONENTS:
        scaled = value.scaleb(e)
        floor, ceil = math.floor(scaled), math.ceil(scaled)
        if op == "eq":
            cond = (column == int(scaled)) if scaled == floor else None
        elif op == "ne":
            cond = (column != int(scaled)) if scaled == floor else True
        elif op == "gt":
            cond = column > floor
        elif op == "gte":
            cond = column >= ceil
        elif op == "lt":
            cond = column < ceil
        else:  # lte
            cond = column <= floor
        if cond is None:
            continue
        exp_match = Invoice.exponent == e
        parts.append(exp_match if cond is True else (exp_match & cond))
    if not parts:
        return pw.SQL("1 = 0")
    return reduce(lambda a, b: a | b, parts)


def _as_date(column: pw.Node) -> pw.Node:
    """A moment (``created_at``) filters as its day (in UTC, as stored), so "on today" matches a row
    created at 09:30 today and "after today" does not."""
    if isinstance(column, pw.DateTimeField):
        from invoice_tui.db import is_postgres

        return pw.Cast(column, "date") if is_postgres() else pw.fn.DATE(column)
    return column


def _compare(column: pw.Node, op: str, value) -> pw.Node:
    return {"eq": column == value, "ne": column != value, "gt": column > value, "gte": column >= value,
            "lt": column < value, "lte": column <= value}[op]


def _need(values: list[str], n: int, f: Filter) -> list[str]:
    vals = [v for v in values if v.strip() != ""]
    if len(vals) < n:
        sentence = (_("The filter '{filter}' needs two values (from and to).") if n == 2
                    else _("The filter '{filter}' needs a value."))
        raise BadInput(sentence.format(filter=f.describe()), field="value")
    return vals


def compile_filter(f: Filter, ctx: SqlContext) -> pw.Node:
    prop = catalogue.get(f.property)
    if f.operator not in OPERATORS[prop.type]:
        raise BadInput(_("'{operator}' does not apply to {property} ({type}); use one of: {operators}.").format(
            operator=_(OPERATOR_LABELS.get(f.operator, f.operator)), property=prop.label(), type=prop.type,
            operators=", ".join(_(OPERATOR_LABELS[o]) for o in OPERATORS[prop.type])), field="operator")
    col = prop.sql(ctx)
    op = f.operator
    if op in ("known", "unknown"):
        known = col.is_null(False)
        if prop.type == "text":
            known = known & (col != "")
        return known if op == "known" else ~known

    if prop.type == "choice":
        vals = _need(f.values, 1, f)
        if f.property == "overdue":
            wanted = {v.lower() for v in vals}
            bad = wanted - {"true", "false"}
            if bad:
                raise BadInput(_("Overdue takes true or false."), field="value")
            cond = (overdue_condition(ctx) if wanted == {"true"} else ~overdue_condition(ctx)
                    if wanted == {"false"} else pw.SQL("1 = 1"))
        elif f.property == "owner":
            logins = [(ctx.login or "") if v.lower() == "me" else v for v in vals]
            cond = Invoice.owner.in_(catalogue.owner_filter_ids(logins))
        elif f.property == "allow_partial":
            flags = {v.lower() for v in vals}
            if flags - {"true", "false"}:
                raise BadInput(_("Partial payments allowed takes true or false."), field="value")
            cond = Invoice.allow_partial.in_([v == "true" for v in flags])
        else:
            norm = [v.upper() for v in vals] if f.property == "currency" else [v.lower() for v in vals]
            if prop.choices:
                bad = [v for v in norm if v not in prop.choices]
                if bad:
                    raise BadInput(_("'{value}' is not a {property} value; use any of {choices}.").format(
                        value=bad[0], property=prop.label(), choices=", ".join(prop.choices)), field="value")
            cond = col.in_(norm)
        return cond if op == "any_of" else ~cond

    if prop.type == "text":
        vals = _need(f.values, 1, f)
        if op == "any_of":
            return col.in_(vals)
        if op == "none_of":
            return col.is_null() | col.not_in(vals)
        if op == "contains":
            return reduce(lambda a, b: a | b, [text_contains(col, v) for v in vals])
        if op == "not_contains":
            return col.is_null() | reduce(lambda a, b: a & b, [~text_contains(col, v) for v in vals])
        return reduce(lambda a, b: a | b, [text_startswith(col, v) for v in vals])

    if prop.type in ("number", "money"):
        n = 2 if op == "between" else 1
        nums = [parse_decimal(v, what="number", field="value") for v in _need(f.values, n, f)[:n]]
        if prop.type == "money":
            if op == "between":
                lo, hi = sorted(nums)
                return _money_bound(col, "gte", lo) & _money_bound(col, "lte", hi)
            return _money_bound(col, op, nums[0])
        ints = []
        for v in nums:
            if v != v.to_integral_value():
                raise BadInput(_("{property} takes whole numbers, not {value}.").format(property=prop.label(), value=v),
                               field="value")
            ints.append(int(v))
        if op == "between":
            lo, hi = sorted(ints)
            return col.between(lo, hi)
        return _compare(col, op, ints[0])

    # dates
    col = _as_date(col)
    today = ctx.today
    if op in ("on", "before", "after"):
        d = parse_date_value(_need(f.values, 1, f)[0], today)
        return {"on": col == d, "before": col < d, "after": col > d}[op]
    if op == "between":
        a, b = sorted(parse_date_value(v, today) for v in _need(f.values, 2, f)[:2])
        return (col >= a) & (col <= b)
    days = _int_value(_need(f.values, 1, f)[0])
    if op == "more_than_days_ago":
        return col < today - dt.timedelta(days=days)
    if op == "less_than_days_ago":
        return (col >= today - dt.timedelta(days=days)) & (col <= today)
    if op == "more_than_days_from_now":
        return col > today + dt.timedelta(days=days)
    return (col >= today) & (col <= today + dt.timedelta(days=days))


def compile_filters(fs: FilterSet | None, ctx: SqlContext) -> pw.Node | None:
    """One WHERE expression for the whole filter set (None when there is no filter)."""
    if fs is None:
        return None
    check_limits(fs)
    groups = []
    for g in fs.groups:
        if not g.filters:
            continue
        groups.append(reduce(lambda a, b: a & b, [compile_filter(f, ctx) for f in g.filters]))
    if not groups:
        return None
    return reduce(lambda a, b: a | b, groups)


# ---- the CLI's compact syntax -------------------------------------------------------------
_EXPR = re.compile(r"^(?P<prop>[a-z_]+)\s*(?P<op>!\?|\?|!=|<=|>=|=|<|>|!~|~|\^)\s*(?P<value>.*)$", re.S)


def parse_expression(expr: str) -> Filter:
    """Parse ``p=v``, ``p!=v``, ``p<v``, ``p<=v``, ``p>v``, ``p>=v``, ``p~text``, ``p!~text``,
    ``p^text``, ``p=a,b``, ``p!=a,b``, ``p=lo..hi``, ``p?``, ``p!?``."""
    m = _EXPR.match(expr.strip())
    if not m:
        raise BadInput(_("Cannot read the filter '{filter}'; write it as property=value, e.g. status=open, "
                         "amount_billed>100, due_date<today.").format(filter=expr), field="filter")
    prop = catalogue.get(m["prop"])
    sym, raw = m["op"], m["value"].strip()
    if sym in ("?", "!?"):
        if raw:
            raise BadInput(_("'{filter}': '{symbol}' takes no value.").format(filter=expr, symbol=sym), field="filter")
        return Filter(property=prop.id, operator="known" if sym == "?" else "unknown")
    if not raw:
        raise BadInput(_("The filter '{filter}' has no value.").format(filter=expr), field="filter")
    t = prop.type
    if sym == "=" and ".." in raw and t in ("number", "money", "date"):
        lo, _sep, hi = raw.partition("..")
        return Filter(property=prop.id, operator="between", values=[lo.strip(), hi.strip()])
    listy = [v.strip() for v in raw.split(",")] if t in ("text", "choice") else [raw]
    table = {
        "text": {"=": "any_of", "!=": "none_of", "~": "contains", "!~": "not_contains", "^": "starts_with"},
        "choice": {"=": "any_of", "!=": "none_of"},
        "number": {"=": "eq", "!=": "ne", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"},
        "money": {"=": "eq", "!=": "ne", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"},
        "date": {"=": "on", "<": "before", ">": "after"},
    }[t]
    if t == "date" and sym in ("<=", ">="):
        # inclusive bounds: "on or before" is between the first supported date and the date (R56)
        return Filter(property=prop.id, operator="between",
                      values=([DATE_MIN.isoformat(), raw] if sym == "<=" else [raw, DATE_MAX.isoformat()]))
    if sym not in table:
        raise BadInput(_("'{symbol}' does not apply to {property} ({type}).").format(symbol=sym, property=prop.id, type=t),
                       field="filter")
    return Filter(property=prop.id, operator=table[sym], values=listy)


def from_expressions(groups: list[list[str]]) -> FilterSet:
    fs = FilterSet(groups=[FilterGroup(filters=[parse_expression(e) for e in g]) for g in groups if g])
    check_limits(fs)
    return fs


def with_default_type(fs: FilterSet | None, default: str = "invoice") -> FilterSet:
    """R42/issue 21: the CLI's lists and exports keep to invoices unless a filter names the type
    (``type=credit_note``, ``type=invoice,credit_note``): without one, every group (or the one
    group of an empty set) also requires the type not to be the other one. Written as "none of"
    (``doc_type NOT IN (…)``), which no index serves: the planner keeps reading in the sort's order
    (the newest first, LIMIT n) instead of reading every invoice through the type's index and
    sorting them (a million rows)."""
    fs = fs.copy() if fs is not None else FilterSet()
    if any(f.property == "type" for g in fs.groups for f in g.filters):
        return fs
    if not fs.groups:
        fs.groups.append(FilterGroup())
    others = [t for t in catalogue.TYPE_CHOICES if t != default]
    for g in fs.groups:
        g.filters.append(Filter(property="type", operator="none_of", values=others))
    return fs


def filter_choices(limit: int = 50) -> tuple[list[str], list[str]]:
    """What the filter sidebar offers: every user's login, and the currencies invoices use."""
    from invoice_tui.db.models import User

    owners = [login for (login,) in User.select(User.login).order_by(User.login).tuples()]
    currencies = [c for (c,) in Invoice.select(Invoice.currency).distinct().limit(limit).tuples()]
    return owners, currencies
