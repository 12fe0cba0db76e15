"""Shared helpers of the CLI command groups: the parser class, the line/adjustment spec syntax,
dates, people look-ups and compact aligned tables.

Everything a user can get wrong raises a domain exception (``BadInput`` → exit 2, ``NotFound``
→ exit 3), so the core ``main()`` prints one sentence and never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Any, Iterator, Sequence

from invoice_tui.cli._base import ArgumentParser, open_context
from invoice_tui.domain.errors import BadInput, InvoiceTuiError, with_remedy
from invoice_tui.domain.money import format_money, from_minor, parse_decimal
from invoice_tui.domain.text import safe
from invoice_tui.i18n import N_, _, pgettext


class CliParser(ArgumentParser):
    """The core parser, plus: a word such as ``-amount_billed`` (a descending sort on a catalogue
    property) is read as a value, not as an unknown option, so ``--sort -due_date`` works without
    ``=``; so is a negative value (``--discount -5%``, ``--fee "-2.50;20"``) and any spec with a
    semicolon (``--line "-Refund;1;5"``, R35's corrections). Our options are all ``--long``, so no
    real option is shadowed."""

    def _parse_optional(self, arg_string):  # type: ignore[override]
        known = arg_string.split("=", 1)[0] in self._option_string_actions  # --line, --line=…
        if not known and (_DESC_SORT.fullmatch(arg_string) or _NEGATIVE_VALUE.match(arg_string)
                          or (arg_string.startswith("-") and ";" in arg_string)):
            return None
        return super()._parse_optional(arg_string)


_DESC_SORT = re.compile(r"-[a-z][a-z_]+")
_NEGATIVE_VALUE = re.compile(r"-[\d.]")


def group(subparsers, name: str, help_text: str) -> argparse._SubParsersAction:
    """A command group (``invoices``, ``payments``…) whose sub-commands use :class:`CliParser`; a
    group another module already made is extended (the first module's help text stays)."""
    existing = subparsers.choices.get(name)
    if existing is not None:
        return next(a for a in existing._actions if isinstance(a, argparse._SubParsersAction))
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    add_common_json(parser)
    sub = parser.add_subparsers(dest="action", metavar=_("<action>"), parser_class=CliParser)
    parser.set_defaults(handler=_group_help(parser))
    return sub


def _group_help(parser: argparse.ArgumentParser):
    def handler(args, out) -> int:
        raise BadInput(_("{prog} needs an action; see: {prog} --help").format(prog=parser.prog))

    return handler


def command(sub, name: str, help_text: str, handler, **kwargs) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text, **kwargs)
    add_common_json(parser)
    parser.set_defaults(handler=handler)
    return parser


def add_common_json(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a sub-command's default must not undo a --json given before the command.
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help=_("print JSON instead of text"))


# ---- errors: the domain's sentence, then the CLI's own remedy for its code ---------------------
# English, marked with N_(): error_text() gives them in the reader's language.
CLI_REMEDIES: dict[str, str] = {
    "invoice.not_found": N_("see: invoice-tui invoices list."),
    "invoice.no_billing_contact": N_("set one with --contact EMAIL."),
    "invoice.legal_data_missing": N_("fill in the seller's with: invoice-tui settings set KEY VALUE; the buyer's "
                                     "with companies/contacts edit; the invoice's with invoices edit."),
    "payment.bad_id": N_("see: invoice-tui payments list."),
    "payment.not_found": N_("see: invoice-tui payments list."),
    "payment.before_invoice_date": N_("if it was, add --in-advance."),
    "payment.over_balance": N_("to keep the excess as the customer's credit, add --overpay."),
    "invoice.date_before_latest": N_("date it today with: invoice-tui invoices edit {invoice} --date today"),
    "permission.not_a_user": N_("a super admin can add them with: invoice-tui users add {login}"),
    "permission.denied": N_("{grantor} can grant it with: invoice-tui users grant {login} {permission}"),
    "user.not_found": N_("see them with: invoice-tui users list"),
    "user.exists": N_("change their permissions with: invoice-tui users grant {login} PERMS"),
    "company.not_found": N_('add it with: invoice-tui companies add --name "{name}"'),
    "contact.not_found": N_("add it with: invoice-tui contacts add --email {email}"),
    "outbox.bad_id": N_("see: invoice-tui outbox list."),
    "outbox.not_found": N_("see: invoice-tui outbox list."),
    "mail.no_from_address": N_("give one with --from, or set it: invoice-tui settings set default_from_address "
                               "billing@example.com"),
    "workspace.no_public_base_url": N_("a super admin can set it: invoice-tui settings set public_base_url "
                                       "https://invoices.example.com"),
    "reminders.no_from_address": N_("set it first: invoice-tui settings set default_from_address "
                                    "billing@example.com"),
}


def error_text(error: InvoiceTuiError) -> str:
    """The line printed on stderr for a domain error (``main()`` exits with ``error.exit_code``):
    the domain's sentence, then the CLI's remedy for its code, in the reader's language."""
    remedies = {code: _(remedy) for code, remedy in CLI_REMEDIES.items()}
    return f"invoice-tui: {with_remedy(error, remedies)}"


@contextlib.contextmanager
def session(args: argparse.Namespace) -> Iterator[tuple[Any, Any]]:
    """Open the workspace and the acting user for one command; close the connection after."""
    ws, ctx, _cfg = open_context(args)
    try:
        yield ws, ctx
    finally:
        with contextlib.suppress(Exception):
            ws.db.close()


# ---- the spec syntax: fields separated by ';', '\;' for a literal semicolon ---------------------
def split_spec(text: str) -> list[str]:
    """Split ``a;b\\;c;d`` into ``['a', 'b;c', 'd']``; ``\\\\`` is a literal backslash."""
    parts: list[str] = []
    buf: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in ";\\":
            buf.append(text[i + 1])
            i += 2
            continue
        if ch == ";":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def value_or_percent(text: str, *, what: str, option: str, spec: str) -> tuple[Decimal, bool]:
    """``25.00`` → (25.00, False); ``10%`` → (10, True)."""
    t = text.strip()
    is_percent = t.endswith("%")
    if is_percent:
        t = t[:-1].strip()
    try:
        return parse_decimal(t, what=what), is_percent
    except BadInput:
        raise BadInput(_("{option} '{spec}': '{text}' is not a valid value; write an amount such as 25.00 or a "
                         "percentage such as 10% (dot for decimals).").format(option=option, spec=spec, text=text),
                       field=option) from None


def _rate(text: str, *, option: str, spec: str) -> tuple[Decimal, str]:
    """``RATE[:CAT]`` → (rate, category or ""): ``20``, ``5.5%``, ``0:AE``, ``20:S`` (R35)."""
    rate, _sep, category = text.partition(":")
    t = rate.strip().rstrip("%").strip()
    try:
        value = parse_decimal(t, what=_("tax rate")) if t else Decimal(0)
    except BadInput:
        raise BadInput(_("{option} '{spec}': '{text}' is not a tax rate; write a percentage such as 20 or 5.5, "
                         "optionally with a VAT category: 0:AE, 20:S.").format(option=option, spec=spec, text=text),
                       field=option) from None
    return value, category.strip().upper()


_KEY_PART = re.compile(r"\s*(base|unit|allowance|charge)\s*=(.*)", re.S)


def _line_key(data: dict, key: str, value: str, *, spec: str) -> None:
    """One ``key=value`` part of a line spec: ``base=1000``, ``unit=KWH``, ``allowance=5%:Loyalty``,
    ``charge=2.00:Freight`` (allowance and charge repeatable)."""
    if key == "base":
        try:
            data["base_quantity"] = parse_decimal(value.strip(), what=_("price base quantity"))
        except BadInput as exc:
            raise BadInput(f"--line '{spec}': {exc.message}", field="line") from None
    elif key == "unit":
        data["unit_code"] = value.strip()
    else:
        amount, _sep, reason = value.partition(":")
        what = _("allowance") if key == "allowance" else _("charge")
        number, pct = value_or_percent(amount, what=what, option="--line", spec=spec)
        data.setdefault("charges", []).append({"kind": key, "value": number, "is_percent": pct,
                                               "reason": reason.strip()})


def _validated(model, data: dict, option: str, spec: str):
    from invoice_tui.domain.tx import validate

    try:
        return validate(model, data)
    except BadInput as exc:
        raise BadInput(f"{option} '{spec}': {exc.message}", field=option) from None


def parse_line(spec: str):
    """``name;qty;unit_price[;tax_rate[:CAT][;discount]][;key=value…]`` → ``LineInput`` (R35):
    the keys are ``base``, ``unit``, ``allowance`` and ``charge``."""
    from invoice_tui.domain.invoices import LineInput

    parts = split_spec(spec)
    keyed = [(i, _KEY_PART.fullmatch(p)) for i, p in enumerate(parts)]
    keys = [(m.group(1), m.group(2)) for i, m in keyed if m and i >= 3]
    parts = [p for i, p in enumerate(parts) if not (i >= 3 and keyed[i][1])]
    if len(parts) < 3 or len(parts) > 5:
        raise BadInput(_("--line '{spec}' needs name;quantity;unit_price[;tax_rate[:category][;discount]] then "
                         "any of base=N, unit=CODE, allowance=VALUE[:reason], charge=VALUE[:reason], e.g. "
                         "\"Design work;3;120.00;20;10%\" or \"Energy;1200;0.0088;20;unit=KWH\" "
                         "(write \\; for a semicolon in the name).").format(spec=spec), field="line")
    name, qty, price = parts[0], parts[1], parts[2]
    try:
        quantity = parse_decimal(qty.strip(), what=_("quantity"))
        unit_price = parse_decimal(price.strip(), what=_("unit price"))
    except BadInput as exc:
        raise BadInput(f"--line '{spec}': {exc.message}", field="line") from None
    data: dict[str, Any] = {"name": name, "quantity": quantity, "unit_price": unit_price}
    if len(parts) > 3:
        data["tax_rate"], data["tax_category"] = _rate(parts[3], option="--line", spec=spec)
    if len(parts) > 4 and parts[4].strip():
        value, pct = value_or_percent(parts[4], what=_("discount"), option="--line", spec=spec)
        data["discount"], data["discount_percent"] = value, pct
    for key, value in keys:
        _line_key(data, key, value, spec=spec)
    return _validated(LineInput, data, "--line", spec)


def parse_adjustment(spec: str, option: str):
    """``value[;RATE[:CAT][;label]]`` (``--discount``, ``--fee``; a value may be negative, R35's
    corrections) → ``AdjustmentInput``."""
    from invoice_tui.domain.invoices import AdjustmentInput

    parts = split_spec(spec)
    if len(parts) > 3:
        raise BadInput(_("{option} '{spec}' takes value[;tax_rate[:category][;label]], e.g. \"10%;20;Loyalty\" "
                         "(write \\; for a semicolon in the label).").format(option=option, spec=spec), field=option)
    value, pct = value_or_percent(parts[0], what=_("value"), option=option, spec=spec)
    data: dict[str, Any] = {"value": value, "is_percent": pct}
    if len(parts) > 1:
        data["tax_rate"], data["tax_category"] = _rate(parts[1], option=option, spec=spec)
    if len(parts) > 2:
        data["label"] = parts[2]
    return _validated(AdjustmentInput, data, option, spec)


def parse_tax(spec: str):
    """``value[;label]`` (``--tax``) → ``AdjustmentInput``."""
    from invoice_tui.domain.invoices import AdjustmentInput

    parts = split_spec(spec)
    if len(parts) > 2:
        raise BadInput(_("--tax '{spec}' takes value[;label], e.g. \"2%;Local tax\" "
                         "(write \\; for a semicolon in the label).").format(spec=spec), field="tax")
    value, pct = value_or_percent(parts[0], what=_("value"), option="--tax", spec=spec)
    data: dict[str, Any] = {"value": value, "is_percent": pct}
    if len(parts) > 1:
        data["label"] = parts[1]
    return _validated(AdjustmentInput, data, "--tax", spec)


def parse_date(text: str, ctx, option: str) -> dt.date:
    """``YYYY-MM-DD``, ``today``, ``today-30``, ``today+7`` (in the workspace's time zone)."""
    from invoice_tui.domain.filters import parse_date_value

    try:
        return parse_date_value(text, ctx.today())
    except BadInput as exc:
        if exc.code == "date.out_of_range":  # a date, but outside the supported range (R56)
            raise BadInput(f"{option} {text}: {exc.message[0].lower()}{exc.message[1:]}", field=option,
                           code=exc.code) from None
        raise BadInput(_("{option} '{text}' is not a date; write YYYY-MM-DD, today, today-30 or today+7.").format(
            option=option, text=text), field=option) from None


def contact_id(email: str | None) -> int | None:
    from invoice_tui.domain import people

    return people.find_contact(email).id if email else None


def company_id(name: str | None) -> int | None:
    from invoice_tui.domain import people

    return people.find_company(name).id if name else None


# ---- output ----------------------------------------------------------------------------------
def reader_locale(fallback: str | None = "en_US") -> str:
    """The locale the human output is written in: the reader's (``localize.display_locale``, set
    by ``open_context``), else ``fallback``."""
    from invoice_tui.cli._base import READER_LOCALE

    return READER_LOCALE[-1] if READER_LOCALE else (fallback or "en_US")


def money(minor_or_amount, currency: str, locale: str = "en_US", *, minor: bool = False) -> str:
    """An amount for the human output, in the reader's locale (issue 24: one format on every
    screen and in the CLI; ``locale`` only when no workspace was opened)."""
    amount = from_minor(minor_or_amount, currency) if minor else Decimal(str(minor_or_amount))
    return format_money(amount, currency, reader_locale(locale))


def day(value) -> str:
    """A date for the human output: the reader's locale's short form (``--json`` keeps ISO)."""
    import datetime as dt

    from invoice_tui.domain.localize import short_date

    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return short_date(value, reader_locale())


def width(text: str) -> int:
    """Terminal columns of ``text``: wide (CJK, fullwidth ￥) count 2, combining marks 0."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def add_list_json(parser: argparse.ArgumentParser) -> None:
    """``--ndjson`` beside ``--json`` on a list command."""
    parser.add_argument("--ndjson", action="store_true",
                        help=_("print one JSON object a line (for pipes) instead of one JSON array"))


def wants_records(args: argparse.Namespace, out) -> bool:
    return out.as_json or getattr(args, "ndjson", False)


def print_records(args: argparse.Namespace, out, records) -> int:
    """Write a list's JSON objects as they are read: one JSON array (``--json``), or one object a
    line (``--ndjson``). Nothing is held but the batch being written."""
    from invoice_tui.exports.listing import write_json

    return write_json(out.out, records, ndjson=getattr(args, "ndjson", False))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[int] = ()) -> str:
    """A compact aligned table; every cell goes through ``safe()`` (stored text is untrusted)."""
    cells = [[safe("" if c is None else str(c)) for c in row] for row in rows]
    widths = [width(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], width(c))

    def fmt(row):
        out = []
        for i, c in enumerate(row):
            pad = " " * (widths[i] - width(c))
            out.append(pad + c if i in right else c + pad)
        return "  ".join(out).rstrip()

    lines = [fmt(list(headers))]
    lines += [fmt(r) for r in cells]
    return "\n".join(lines)


def pairs(items: Sequence[tuple[str, Any]]) -> str:
    """``label: value`` lines with the labels aligned; values go through ``safe()``."""
    items = [(k, v) for k, v in items if v not in (None, "")]
    labels = [_("{label}:").format(label=k) for k, _v in items]  # French writes "Facture :"
    label_width = max((width(label) for label in labels), default=0)
    return "\n".join(f"{label}{' ' * (label_width - width(label))} {safe(str(v))}"
                     for label, (_k, v) in zip(labels, items))


__all__ = ["CliParser", "add_common_json", "command", "group", "session", "split_spec", "parse_line",
           "parse_adjustment", "parse_tax", "parse_date", "contact_id", "company_id", "money", "width", "table",
           "add_list_json", "wants_records", "print_records", "pairs", "safe"]


class FilterAction(argparse.Action):
    """``--filter EXPR`` adds to the current group; ``--or`` starts a new group (R20)."""

    def __call__(self, parser, namespace, values, option_string=None):
        groups = getattr(namespace, self.dest, None)
        groups = [list(g) for g in groups] if groups else [[]]
        if self.const == "or":
            if not groups[-1]:
                raise BadInput(_("--or must come between filters: --filter A --or --filter B."), field="filter")
            groups.append([])
        else:
            groups[-1].append(values)
        setattr(namespace, self.dest, groups)


def status_word(status: str) -> str:
    """An invoice's or credit note's status for the human output, in the reader's language (the
    stored value, as ``--json`` and ``--filter status=…`` write it, stays English)."""
    words = {"draft": pgettext("status", "draft"), "open": pgettext("status", "open"),
             "paid": pgettext("status", "paid"), "voided": pgettext("status", "voided"),
             "issued": pgettext("status", "issued")}
    return words.get(status, status)
