"""``invoice-tui invoices create|edit|finalize|clone|void|delete|show|list``.

Every action calls one service of ``invoice_tui.domain.invoices``; JSON keys are the property
catalogue's ids (``invoice_record``).
"""

from __future__ import annotations

import argparse
from typing import Any

from invoice_tui.cli._common import (FilterAction, add_list_json, command, company_id, contact_id, day, group, money,
                                     pairs, parse_adjustment, parse_date, parse_line, parse_tax, print_records,
                                     reader_locale, session, status_word, table, wants_records, width)
from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import _, ngettext


# ---- argument helpers ------------------------------------------------------------------------
def _editable_options(p: argparse.ArgumentParser, *, create: bool) -> None:
    p.add_argument("--currency", required=create, metavar="CUR",
                   help=_("ISO 4217 code, e.g. EUR") if create else _("ISO 4217 code, e.g. EUR (drafts only)"))
    p.add_argument("--title", metavar="T", help=_("the invoice's title"))
    p.add_argument("--contact", metavar="EMAIL", help=_("billing contact (an email or a contact id)"))
    p.add_argument("--company", metavar=_("NAME"), help=_("company (a name or a company id)"))
    p.add_argument("--line", action="append", metavar="SPEC",
                   help=_("name;qty;unit_price[;tax_rate[:cat][;discount]][;key=value…] — repeat for each line")
                   if create else _("name;qty;unit_price[;tax_rate[:cat][;discount]][;key=value…] — repeat for each "
                                    "line; replaces all lines"))
    p.add_argument("--discount", action="append", metavar="ADJ",
                   help=_("value[;tax_rate[:cat][;label]], 25.00 or 10%% (negative in a correction)"))
    p.add_argument("--fee", action="append", metavar="ADJ",
                   help=_("value[;tax_rate[:cat][;label]], 25.00 or 10%% (negative in a correction)"))
    p.add_argument("--tax", action="append", metavar="ADJ", help=_("value[;label], 25.00 or 10%%"))
    p.add_argument("--date", metavar=_("DATE"), help=_("invoice date (YYYY-MM-DD, today, today-3…)"))
    p.add_argument("--due", metavar=_("DATE"), help=_("due date (YYYY-MM-DD, today+30…)"))
    p.add_argument("--po", metavar="PO", help=_("purchase order number"))
    p.add_argument("--comments", metavar=_("TEXT"), help=_("comments shown on the invoice"))
    # legal data (R43)
    p.add_argument("--buyer-reference", metavar=_("REF"), help=_("the buyer's reference (BT-10), beside --po (BT-13)"))
    p.add_argument("--operation", metavar=_("KIND"), help=_("operation category: goods, services or both"))
    p.add_argument("--delivery-date", metavar=_("DATE"), help=_("delivery date (BT-72)"))
    p.add_argument("--delivery-address", metavar=_("TEXT"), help=_("delivery address or period"))
    p.add_argument("--exemption", action="append", metavar="CAT=REASON",
                   help=_("exemption reason of a VAT category group (E, AE, K, G, O), e.g. 'E=Art. 261 C CGI'"))
    p.add_argument("--eur-rate", metavar=_("RATE"), help=_("1 unit of the invoice's currency in EUR (French seller)"))
    p.add_argument("--locale", metavar="L", help=_("the invoice's language and number format for its documents "
                   "(PDF, email, buyer page), e.g. fr_FR; default: the workspace's locale"))
    if create:
        p.add_argument("--allow-partial", action="store_true", default=None, help=_("allow partial payments"))
    else:
        p.add_argument("--allow-partial", action=argparse.BooleanOptionalAction, default=None,
                       help=_("allow (or, with --no-allow-partial, refuse) partial payments"))
        p.add_argument("--no-discounts", action="store_true", help=_("remove all invoice discounts"))
        p.add_argument("--no-fees", action="store_true", help=_("remove all fees"))
        p.add_argument("--no-taxes", action="store_true", help=_("remove all extra taxes"))
        p.add_argument("--expect-version", type=int, metavar="N",
                       help=_("refuse if the invoice changed since version N (R7)"))


def _pure_inputs(args: argparse.Namespace) -> dict[str, Any]:
    """The parts that need no database: parsed before the workspace opens."""
    from invoice_tui.domain.totals import ADJUSTMENT_KINDS, ADJUSTMENT_LISTS

    data: dict[str, Any] = {}
    if args.line is not None:
        data["lines"] = [parse_line(s) for s in args.line]
    for attr in ADJUSTMENT_KINDS:  # --discount, --fee, --tax
        key = ADJUSTMENT_LISTS[attr]
        parse = parse_tax if attr == "tax" else (lambda s, option=f"--{attr}": parse_adjustment(s, option))
        specs = getattr(args, attr)
        if specs is not None:
            data[key] = [parse(s) for s in specs]
        elif getattr(args, f"no_{key}", False):
            data[key] = []
    for attr, key in (("currency", "currency"), ("title", "title"), ("po", "po_number"), ("comments", "comments"),
                      ("allow_partial", "allow_partial"), ("buyer_reference", "buyer_reference"),
                      ("operation", "operation_category"), ("delivery_address", "delivery_address"),
                      ("eur_rate", "eur_rate"), ("locale", "locale")):
        value = getattr(args, attr)
        if value is not None:
            data[key] = value
    if args.exemption is not None:
        reasons = {}
        for spec in args.exemption:
            cat, sep, reason = spec.partition("=")
            if not sep:
                from invoice_tui.domain.errors import BadInput

                raise BadInput(_("--exemption takes CATEGORY=REASON (e.g. 'E=Art. 261 C CGI'), not '{spec}'.")
                               .format(spec=spec), field="exemption_reasons")
            reasons[cat.strip().upper()] = reason
        data["exemption_reasons"] = reasons
    return data


def _db_inputs(args: argparse.Namespace, ctx, data: dict[str, Any]) -> dict[str, Any]:
    if args.contact is not None:
        data["contact_id"] = contact_id(args.contact) if args.contact.strip() else None
    if args.company is not None:
        data["company_id"] = company_id(args.company) if args.company.strip() else None
    if args.date is not None:
        data["invoice_date"] = parse_date(args.date, ctx, "--date")
    if args.due is not None:
        data["due_date"] = parse_date(args.due, ctx, "--due")
    if args.delivery_date is not None:
        data["delivery_date"] = parse_date(args.delivery_date, ctx, "--delivery-date") if args.delivery_date else None
    return data


# ---- records and text ------------------------------------------------------------------------
def _label(inv) -> str:
    return inv.number or _("draft #{id}").format(id=inv.id)


def _record(inv, ctx, *, full: bool = False) -> dict[str, Any]:
    from invoice_tui.domain import invoices
    from invoice_tui.domain.money import plain
    from invoice_tui.domain.payments import payment_record

    inv = invoices.get_invoice(inv.id)
    totals = invoices.invoice_totals(inv)
    rec = invoices.invoice_record(inv, ctx.today(), totals)
    if full:
        rec["en16931"] = totals.en16931  # False with extra taxes (no EN 16931 meaning)
        def pct(value, is_percent: bool) -> str:
            return plain(value) + ("%" if is_percent else "")

        rec["lines"] = [{"name": s.name, "quantity": plain(s.quantity), "unit_code": s.unit_code,
                         "unit_price": plain(s.unit_price), "base_quantity": plain(s.base_quantity.normalize()),
                         "tax_rate": plain(s.tax_rate), "tax_category": s.category,
                         "discount": None if s.discount is None else pct(s.discount, s.discount_percent),
                         "charges": [{"kind": c.kind, "value": pct(c.value, c.is_percent), "reason": c.reason}
                                     for c in s.charges],
                         "net": plain(net), "description": s.description}
                        for s, net in zip(invoices.line_specs(inv), totals.line_nets)]
        rec["adjustments"] = [{"kind": a.kind, "label": a.label, "value": pct(a.value, a.is_percent),
                               "tax_rate": plain(a.tax_rate), **({"tax_category": a.category} if a.kind != "tax" else {})}
                              for a in invoices.adjustment_specs(inv)]
        rec["payments"] = [payment_record(p) for p in invoices.invoice_payments(inv)]
        rec["legal"] = {"buyer_reference": inv.buyer_reference, "operation_category": inv.operation_category,
                        "delivery_date": inv.delivery_date.isoformat() if inv.delivery_date else None,
                        "delivery_address": inv.delivery_address, "eur_rate": inv.eur_rate,
                        "exemption_reasons": invoices.exemption_reasons(inv)}  # R43
    return rec


def _summary(inv) -> str:
    values = {"invoice": _label(inv), "status": status_word(inv.status),
              "billed": money(inv.billed_minor, inv.currency, inv.locale, minor=True),
              "balance": money(inv.balance_minor, inv.currency, inv.locale, minor=True), "due": day(inv.due_date)}
    if inv.due_date:
        return _("{invoice} ({status}): {billed} billed, balance {balance}, due {due}").format(**values)
    return _("{invoice} ({status}): {billed} billed, balance {balance}").format(**values)


def _show_text(inv, rec: dict[str, Any]) -> str:
    from decimal import Decimal

    from invoice_tui.domain.money import format_money, round_money
    from invoice_tui.domain.totals import STEP_KINDS

    cur, loc = inv.currency, reader_locale(inv.locale)  # issue 24: the reader's locale

    def m(v) -> str:
        return format_money(Decimal(v), cur, loc)

    status = status_word(rec["status"])
    if rec["overdue"]:
        status = ngettext("{status}, overdue {n} day", "{status}, overdue {n} days", rec["days_overdue"]).format(
            status=status, n=rec["days_overdue"])
    contact = rec["contact_name"] or ""
    if rec["contact_email"] and contact != rec["contact_email"]:
        contact = f"{contact} <{rec['contact_email']}>".strip()
    elif rec["contact_email"]:
        contact = rec["contact_email"]
    head = pairs([
        (_("Invoice"), _label(inv)), (_("Id"), rec["id"]), (_("Title"), rec["title"]), (_("Status"), status),
        (_("Currency"), cur), (_("Invoice date"), day(rec["invoice_date"])), (_("Due date"), day(rec["due_date"])),
        (_("Bill to"), contact), (_("Company"), rec["company_name"]), (_("Owner"), rec["owner"]),
        (_("PO number"), rec["po_number"]),
        (_("Partial payments"), _("allowed") if rec["allow_partial"] else None),
        (_("Last sent"), day(rec["last_sent_date"])), (_("Paid on"), day(rec["payment_date"])),
    ])
    parts = [head, ""]
    if rec["lines"]:
        def price(li) -> str:  # R35: a sub-cent price keeps its decimals; a base quantity shows
            p = Decimal(li["unit_price"])
            text = m(li["unit_price"]) if p == round_money(p, cur) else f"{li['unit_price']} {cur}"
            return text + (f" / {li['base_quantity']}" if li["base_quantity"] != "1" else "")

        def adjusted(li) -> str:
            out = [li["discount"]] if li["discount"] else []
            out += [("−" if c["kind"] == "allowance" else "+") + c["value"] + (f" {c['reason']}" if c["reason"] else "")
                    for c in li["charges"]]
            return " ".join(out)

        def vat(rate: str, category: str) -> str:
            return f"{rate}% {category}"

        rows = [(li["name"], li["quantity"] + ("" if li["unit_code"] == "C62" else f" {li['unit_code']}"), price(li),
                 vat(li["tax_rate"], li["tax_category"]), adjusted(li), m(li["net"])) for li in rec["lines"]]
        parts += [table((_("Line"), _("Qty"), _("Unit price"), _("VAT"), _("Discount"), _("Net")), rows,
                        right=(1, 2, 3, 4, 5)), ""]
    else:
        parts += [_("No lines yet; add them with: invoice-tui invoices edit {invoice} --line "
                    "\"name;qty;unit_price\"").format(invoice=inv.number or inv.id), ""]
    for a in rec["adjustments"]:
        value = a["value"] if a["value"].endswith("%") else m(a["value"])
        label = f"{a['label']} " if a["label"] else ""
        kind = {"discount": _("Discount"), "fee": _("Fee"), "tax": _("Tax")}.get(a["kind"], a["kind"].capitalize())
        if a["kind"] != "tax":
            parts.append(_("{kind}: {label}{value} (VAT {rate} {category})").format(
                kind=kind, label=label, value=value, rate=f"{a['tax_rate']}%", category=a["tax_category"]))
        else:
            parts.append(_("{kind}: {label}{value}").format(kind=kind, label=label, value=value))
    if rec["adjustments"]:
        parts.append("")
    rows = {"subtotal": [(_("Subtotal"), m(rec["subtotal"]))],
            "discount": [(_("Discounts"), ("−" + m(rec["discount_total"])) if Decimal(rec["discount_total"]) > 0
                          else m(-Decimal(rec["discount_total"])))] if Decimal(rec["discount_total"]) else [],
            "fee": [(_("Fees"), m(rec["fee_total"]))] if Decimal(rec["fee_total"]) else [],
            "tax": [(_("VAT {category} {rate} on {basis}").format(category=t["category"], rate=f"{t['rate']}%",
                                                                   basis=m(t["basis"])), m(t["tax"]))
                    for t in rec["tax_breakdown"]]
            + [(_("Tax"), m(rec["tax_total"]))],
            "billed": [(_("Amount billed"), m(rec["amount_billed"]))]}
    totals = [row for kind in STEP_KINDS for row in rows[kind]]  # R18's order
    totals += [(_("Amount paid"), m(rec["amount_paid"])), (_("Balance due"), m(rec["balance_due"]))]
    kwidth = max(width(k) for k, _v in totals)
    vwidth = max(width(v) for _k, v in totals)
    parts += [k + " " * (kwidth - width(k) + 2 + vwidth - width(v)) + v for k, v in totals]
    if not rec["en16931"]:
        parts.append(_("Not EN 16931: extra taxes have no EN 16931 meaning."))
    if rec["payments"]:
        rows = [(f"#{p['id']}", day(p["date"]), m(p["amount"]), p["method"], p["source"], p["state"], p["reference"])
                for p in rec["payments"]]
        parts += ["", table((_("Payment"), _("Date"), _("Amount"), _("Method"), _("Source"), _("State"),
                             _("Reference")), rows, right=(2,))]
    if rec["comments"]:
        from invoice_tui.domain.text import safe

        parts += ["", _("Comments:"), safe(rec["comments"])]
    return "\n".join(parts)


# ---- handlers --------------------------------------------------------------------------------
def _create(args, out) -> int:
    from invoice_tui.domain import invoices

    data = _pure_inputs(args)
    with session(args) as (_ws, ctx):
        _db_inputs(args, ctx, data)
        inv = invoices.create_invoice(ctx, data)
        out.result(_record(inv, ctx), lambda: _("Created {summary}").format(summary=_summary(inv)))
    return 0


def _edit(args, out) -> int:
    from invoice_tui.domain import invoices

    data = _pure_inputs(args)
    with session(args) as (_ws, ctx):
        _db_inputs(args, ctx, data)
        if not data:
            raise BadInput(_("Nothing to change; give at least one option, e.g. --due 2026-05-01 "
                             "(see: invoice-tui invoices edit --help)."))
        res = invoices.edit_invoice(ctx, args.invoice, data, expected_version=args.expect_version)
        rec = _record(res.invoice, ctx)
        rec["changed"] = res.changed
        rec["canceled_payments"] = res.canceled_payments

        def text() -> str:
            lines = [_("Edited {summary}").format(summary=_summary(res.invoice))]
            lines.append(_("Changed: {fields}").format(fields=", ".join(res.changed)) if res.changed
                         else _("Changed: nothing"))
            if res.canceled_payments:
                ids = ", ".join(f"#{i}" for i in res.canceled_payments)
                lines.append(ngettext("Canceled processing online payment {ids} (R7).",
                                      "Canceled processing online payments {ids} (R7).",
                                      len(res.canceled_payments)).format(ids=ids))
            return "\n".join(lines)

        out.result(rec, text)
    return 0


def _transition(service: str, message):
    """A handler running one lifecycle service on INVOICE and printing its record."""

    def handler(args, out) -> int:
        from invoice_tui.domain import invoices

        with session(args) as (_ws, ctx):
            inv = getattr(invoices, service)(ctx, args.invoice)
            out.result(_record(inv, ctx), lambda: message(args, inv))
        return 0

    return handler


_finalize = _transition("finalize_invoice", lambda args, inv: _("Finalized draft #{id} as {summary}").format(
    id=inv.id, summary=_summary(inv)))
_clone = _transition("clone_invoice", lambda args, inv: _("Cloned {invoice} into {summary}").format(
    invoice=args.invoice, summary=_summary(inv)))
_void = _transition("void_invoice", lambda args, inv: _("Voided {invoice}; it stays in the list as voided.").format(
    invoice=inv.number))


def _delete(args, out) -> int:
    from invoice_tui.domain import invoices

    with session(args) as (_ws, ctx):
        label = invoices.delete_invoice(ctx, args.invoice)
        out.result({"deleted": label}, _("Deleted {invoice}; its history is kept (invoice-tui history {ref}).").format(
            invoice=label, ref=args.invoice))
    return 0


def _show(args, out) -> int:
    from invoice_tui.domain import invoices

    with session(args) as (_ws, ctx):
        inv = invoices.get_invoice(args.invoice)
        rec = _record(inv, ctx, full=True)
        out.result(rec, lambda: _show_text(inv, rec))
    return 0


BATCH = 500


def _rows(q):
    """The query's invoices, streamed (a server-side cursor on PostgreSQL); the caller holds a
    transaction, which is also one consistent read snapshot."""
    from invoice_tui.db import is_postgres

    if is_postgres():
        from playhouse.postgres_ext import ServerSide

        return ServerSide(q, array_size=BATCH)
    return q.iterator()


def _text_rows(rows, today):
    from invoice_tui.domain.invoices import is_overdue

    for inv in rows:
        status = (_("{status} (overdue)").format(status=status_word(inv.status)) if is_overdue(inv, today)
                  else status_word(inv.status))
        sign = -1 if inv.doc_type == "credit_note" else 1  # R42: what a credit note does to a balance
        yield (inv.id, inv.number or "—", status, inv.contact_name or inv.contact_email, inv.company_name,
               money(sign * inv.billed_minor, inv.currency, inv.locale, minor=True),
               money(inv.balance_minor, inv.currency, inv.locale, minor=True),
               day(inv.due_date))


def _list(args, out) -> int:
    from invoice_tui.domain import invoices
    from invoice_tui.domain.filters import from_expressions

    if args.limit is not None and args.limit < 1:
        raise BadInput(_("--limit takes a number of at least 1."), field="limit")
    groups = [g for g in (args.filters or []) if g]
    if args.filters and not args.filters[-1]:
        raise BadInput(_("--or must be followed by a --filter."), field="filter")
    from invoice_tui.domain.filters import with_default_type

    # issue 21: without a type filter the list keeps to invoices (--filter type=credit_note for the others)
    fs = with_default_type(from_expressions(groups) if groups else None)
    with session(args) as (ws, ctx):
        q = invoices.query_invoices(ctx, fs, sort=args.sort, search=args.search or "")
        if args.limit:
            q = q.limit(args.limit)
        today = ctx.today()
        if wants_records(args, out):
            from invoice_tui.exports.listing import invoice_records, read_snapshot

            with read_snapshot():
                print_records(args, out, invoice_records(q, today))
            return 0
        with ws.db.atomic():
            body = list(_text_rows(_rows(q), today))
        if not body:
            out.result([], _("No invoices match.") if groups or args.search else
                       _("No invoices yet; create one with: invoice-tui invoices create --currency EUR"))
            return 0
        t = table((_("Id"), _("Number"), _("Status"), _("Contact"), _("Company"), _("Billed"), _("Balance"),
                   _("Due")), body, right=(0, 5, 6))
        out.result([], t + "\n" + ngettext("{n} invoice", "{n} invoices", len(body)).format(n=len(body)))
    return 0


def _spec_help() -> str:
    return _("""\
line SPEC:  name;qty;unit_price[;tax_rate[:cat][;discount]][;key=value…]  e.g. "Design work;3;120.00;20;10%"
            keys: base=N (price per N units), unit=CODE (UN/ECE rec 20: C62, HUR, KWH…),
            allowance=VALUE[:reason], charge=VALUE[:reason] (repeatable)
            e.g. "Energy;1200;0.0088;20;unit=KWH", "Return;-2;15.00;20", "Export;1;90;0:G"
ADJ:        value[;tax_rate[:cat][;label]]  (--tax: value[;label])  e.g. "5%;20;Loyalty", "-25.00;20"
VAT categories: S standard, Z zero-rated, E exempt, AE reverse charge, K intra-EU, G export, O outside
scope; rate 0 defaults to Z, any other rate to S. Quantities and discounts/fees may be negative.
A value or discount is an amount (25.00) or a percentage (10%); dot decimals; \\; is a semicolon.
Dates: YYYY-MM-DD, today, today-3, today+30.""")


def _create_help() -> str:
    """The spec help, then an example that creates an invoice."""
    return _spec_help() + "\n" + _("""\
example: invoice-tui invoices create --currency EUR --contact ada@example.com \\
           --line "Design\\; review;3;120;20" --fee "5;20;Shipping" --due today+14""")


def _filter_help() -> str:
    import textwrap

    from invoice_tui.domain.catalogue import PROPERTIES

    props = textwrap.fill(", ".join(p.id for p in PROPERTIES), width=88, initial_indent="  ", subsequent_indent="  ")
    return "\n".join([
        _("EXPR:  p=v  p!=v  p<v  p<=v  p>v  p>=v  p~text (contains, any case)  p!~text  p^text (starts with)\n"
          "       p=a,b (any of)  p!=a,b (none of)  p=lo..hi (between)  p? (known)  p!? (unknown)\n"
          "Dates take YYYY-MM-DD, today, today-30, today+7; money is in each invoice's currency.\n"
          "Repeated --filter: all must match; --or starts another group (any group may match).\n"
          "properties:"), props,
        _("example: invoice-tui invoices list --filter status=open --filter currency=EUR \\\n"
          "           --or --filter overdue=true --sort -balance_due --limit 20"),
    ])


def register(subparsers) -> None:
    sub = group(subparsers, "invoices", _("create, edit, finalize, clone, void, delete, show and list invoices"))

    p = command(sub, "create", _("create a draft invoice (R1: only a currency is needed)"), _create,
                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_create_help())
    _editable_options(p, create=True)

    p = command(sub, "edit", _("edit a draft, or an open invoice when the workspace allows it (R6)"), _edit,
                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_spec_help())
    p.add_argument("invoice", metavar=_("INVOICE"), help=_("invoice id or number"))
    _editable_options(p, create=False)

    for name, help_text, fn in (
        ("finalize", _("finalize a draft: gives it its number (R2, R3)"), _finalize),
        ("clone", _("copy an invoice into a new draft (R14)"), _clone),
        ("void", _("void an open invoice; irreversible (R13)"), _void),
        ("delete", _("delete a draft, or an unpaid finalized invoice if allowed (R12)"), _delete),
        ("show", _("show one invoice with its lines, totals and payments"), _show),
    ):
        p = command(sub, name, help_text, fn)
        p.add_argument("invoice", metavar=_("INVOICE"), help=_("invoice id or number"))

    from invoice_tui.cli.online import register_invoices

    register_invoices(sub)
    p = command(sub, "list", _("list invoices, filtered (R20) and sorted"), _list,
                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_filter_help())
    p.add_argument("--filter", dest="filters", action=FilterAction, metavar="EXPR",
                   help=_("property=value, property>value, property~text, property?… (repeat: AND)"))
    p.add_argument("--or", dest="filters", action=FilterAction, nargs=0, const="or",
                   help=_("start a new filter group (groups are ORed)"))
    p.add_argument("--sort", metavar="[-]PROP", help=_("sort by a property; a leading - sorts descending"))
    p.add_argument("--search", metavar=_("TEXT"), help=_("quick search in number, contact, company and PO"))
    p.add_argument("--limit", type=int, metavar="N", help=_("at most N invoices"))
    add_list_json(p)
