"""``invoice-tui credit-notes create|issue|list|show|pdf|send`` and ``invoice-tui credits
list|apply|refund`` (issue 21; SPEC R36–R42, R40).

INVOICE and CN are an id or a number, as elsewhere. ``--amount`` is the net amount before VAT. A
refusal (more than can still be credited, more than the credit available) exits 1 with the
amount available in the sentence.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from invoice_tui.cli._common import (add_list_json, command, group, money, pairs, print_records, session, table,
                                     wants_records)
from invoice_tui.domain.errors import BadInput

_LINE_OF = re.compile(r"^\s*(\d{1,4})\s*:\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$")


def _line_of(text: str) -> tuple[int, str]:
    """``POS:QTY`` (position from 1 as ``invoices show`` lists the lines)."""
    m = _LINE_OF.match(text or "")
    if not m:
        raise BadInput(f"--line-of takes POS:QTY, e.g. 2:1.5 (line 2, quantity 1.5); not '{text}'.", field="lines")
    return int(m.group(1)), m.group(2)


def _rate(text: str) -> tuple[str, str]:
    """``R[:CAT]``: a VAT rate in percent and an optional category (S, Z, E, AE, K, G, O)."""
    rate, _, cat = (text or "").partition(":")
    if not re.fullmatch(r"\s*\d{1,3}(\.\d{1,4})?\s*", rate):
        raise BadInput(f"--rate takes a VAT rate in percent, optionally with a category: 20, 5.5 or 0:E; not "
                       f"'{text}'.", field="rate")
    return rate.strip(), cat.strip()


def _label(inv) -> str:
    return inv.number or f"draft credit note #{inv.id}"


def _record(cn, ctx) -> dict[str, Any]:
    from invoice_tui.domain import credit, invoices

    cn = invoices.get_invoice(cn.id)
    rec = credit.credit_note_record(cn, ctx.today())
    rec["lines"] = [{"name": s.name, "quantity": str(s.quantity), "unit_price": str(s.unit_price),
                     "tax_rate": str(s.tax_rate), "tax_category": s.category}
                    for s in invoices.line_specs(cn)]
    return rec


def _summary(cn) -> str:
    return (f"{_label(cn)} ({cn.status}) of {money(cn.billed_minor, cn.currency, cn.locale, minor=True)} "
            f"crediting {_invoice_number(cn)}")


def _invoice_number(cn) -> str:
    from invoice_tui.db.models import Invoice

    inv = Invoice.get_or_none(Invoice.id == cn.refers_to) if cn.refers_to else None
    return inv.number if inv else "?"


def _invoice_line(ctx, inv_id: int) -> str:
    from invoice_tui.domain import credit, invoices

    inv = invoices.get_invoice(inv_id)
    return (f"{inv.number} is now {credit.settlement_label(inv).lower()}; balance due "
            f"{money(inv.balance_minor, inv.currency, inv.locale, minor=True)}.")


# ---- credit-notes ------------------------------------------------------------------------------
def _create(args, out) -> int:
    from invoice_tui.domain import credit

    lines = [_line_of(t) for t in (args.line_of or [])]
    rate, category = _rate(args.rate) if args.rate is not None else (None, "")
    if args.amount is not None and args.rate is None:
        raise BadInput("--amount needs --rate R[:CAT] (the VAT rate and category of the amount credited).",
                       field="rate")
    if args.rate is not None and args.amount is None:
        raise BadInput("--rate goes with --amount.", field="rate")
    with session(args) as (_ws, ctx):
        cn = credit.create_credit_note(ctx, args.invoice, reason=args.reason or "", full=args.full, lines=lines,
                                       amount=args.amount, rate=rate, category=category)
        out.result(_record(cn, ctx), lambda: f"Created {_summary(cn)}.\nIssue it with: invoice-tui credit-notes "
                                             f"issue {cn.id}")
    return 0


def _issue(args, out) -> int:
    from invoice_tui.domain import credit

    with session(args) as (_ws, ctx):
        cn = credit.issue_credit_note(ctx, args.cn)
        rec = _record(cn, ctx)
        out.result(rec, lambda: "\n".join([
            f"Issued {_summary(cn)}: {rec['credited_on_invoice']} {cn.currency} credited on the invoice, "
            f"{rec['to_customer_credit']} {cn.currency} to the customer's credit.", _invoice_line(ctx, cn.refers_to)]))
    return 0


def _show(args, out) -> int:
    from invoice_tui.domain import credit

    with session(args) as (_ws, ctx):
        cn = credit.get_credit_note(args.cn)
        rec = _record(cn, ctx)

        def text() -> str:
            head = pairs([("Credit note", _label(cn)), ("Id", rec["id"]), ("Status", rec["status"]),
                          ("Credits invoice", f"{rec['invoice_number']} of {rec['invoice_issue_date']}"),
                          ("Reason", rec["reason"]), ("Date", rec["invoice_date"]), ("Currency", cn.currency),
                          ("Bill to", rec["contact_email"]), ("Company", rec["company_name"])])
            rows = [(li["name"], li["quantity"], li["unit_price"], f"{li['tax_rate']}% {li['tax_category']}")
                    for li in rec["lines"]]
            parts = [head, "", table(("Line", "Qty", "Unit price", "VAT"), rows, right=(1, 2, 3)), "",
                     f"Net {rec['subtotal']}  VAT {rec['tax_total']}  Total credited {rec['amount_billed']} "
                     f"{cn.currency}"]
            if cn.status == "issued":
                parts.append(f"Credited on {rec['invoice_number']}: {rec['credited_on_invoice']} {cn.currency}; "
                             f"to the customer's credit: {rec['to_customer_credit']} {cn.currency}")
            return "\n".join(parts)

        out.result(rec, text)
    return 0


def _list(args, out) -> int:
    from invoice_tui.db.models import Invoice
    from invoice_tui.domain import credit, invoices

    with session(args) as (_ws, ctx):
        from invoice_tui.domain.permissions import require

        require(ctx, "view")
        q = Invoice.select().where(Invoice.doc_type == "credit_note")
        if args.invoice:
            q = q.where(Invoice.refers_to == invoices.get_invoice(args.invoice).id)
        rows = list(q.order_by(Invoice.id.desc()).limit(args.limit or 1000))
        if wants_records(args, out):
            print_records(args, out, (credit.credit_note_record(cn, ctx.today()) for cn in rows))
            return 0
        body = [(cn.id, cn.number or "—", cn.status, _invoice_number(cn), cn.invoice_date.isoformat(),
                 money(-cn.billed_minor, cn.currency, cn.locale, minor=True), cn.reason[:40]) for cn in rows]
        out.result([], table(("Id", "Number", "Status", "Invoice", "Date", "Amount", "Reason"), body, right=(0, 5))
                   + f"\n{len(body)} credit note{'s' if len(body) != 1 else ''}" if body else "No credit notes.")
    return 0


def _offset(args, out) -> int:
    from invoice_tui.domain import credit, invoices

    with session(args) as (_ws, ctx):
        inv = credit.offset_credit_note(ctx, args.cn)
        rec = invoices.invoice_record(invoices.get_invoice(inv.id), ctx.today())
        out.result(rec, lambda: f"Opened draft #{inv.id} offsetting {args.cn} "
                                f"({money(inv.billed_minor, inv.currency, inv.locale, minor=True)}); finalize it "
                                f"with: invoice-tui invoices finalize {inv.id}")
    return 0


def _pdf(args, out) -> int:
    from invoice_tui.cli import sending

    _check_is_credit_note(args)
    args.invoice = args.cn
    return sending._pdf(args, out)


def _send(args, out) -> int:
    from invoice_tui.cli import sending

    _check_is_credit_note(args)
    args.invoice = args.cn
    return sending._send(args, out)


def _check_is_credit_note(args) -> None:
    from invoice_tui.domain import credit

    with session(args):
        credit.get_credit_note(args.cn)


# ---- credits -----------------------------------------------------------------------------------
def _customer(args):
    from invoice_tui.domain import credit

    if args.contact is None and args.company is None:
        return None
    return credit.customer_by(contact=args.contact, company=args.company)


def _credits_list(args, out) -> int:
    from invoice_tui.domain import credit
    from invoice_tui.domain.permissions import require

    with session(args) as (_ws, ctx):
        require(ctx, "view")
        balances = credit.credit_balances(_customer(args))
        records = [b.record() for b in balances]
        if wants_records(args, out):
            print_records(args, out, records)
            return 0
        body = [(r["customer"], r["currency"], r["credit"], r["applied"], r["refunded"], r["available"])
                for r in records]
        out.result([], table(("Customer", "Currency", "Credit", "Applied", "Refunded", "Available"), body,
                             right=(2, 3, 4, 5)) if body else "No customer credit.")
    return 0


def _credits_apply(args, out) -> int:
    from invoice_tui.domain import credit, invoices

    with session(args) as (_ws, ctx):
        e = credit.apply_credit(ctx, args.invoice, args.amount)
        inv = invoices.get_invoice(e.invoice_id)
        rec = {"credit": credit.entry_snapshot(e) | {"id": e.id, "date": e.date.isoformat()},
               "invoice": invoices.invoice_record(inv, ctx.today()),
               "available": credit.credit_balances(credit.customer_of(inv))[0].record()["available"]}
        out.result(rec, lambda: f"Applied {money(e.amount_minor, e.currency, inv.locale, minor=True)} of "
                                f"{credit.customer_of(inv).label}'s credit to {inv.number}; "
                                f"{rec['available']} {e.currency} left.\n" + _invoice_line(ctx, inv.id))
    return 0


def _credits_refund(args, out) -> int:
    from invoice_tui.cli._common import parse_date
    from invoice_tui.domain import credit
    from invoice_tui.domain.money import from_minor, plain

    if args.contact is None and args.company is None:
        raise BadInput("credits refund needs --contact EMAIL or --company NAME.", field="customer")
    with session(args) as (_ws, ctx):
        who = _customer(args)
        day = parse_date(args.date, ctx, "--date") if args.date else None
        e = credit.refund_credit(ctx, who, args.currency, args.amount, method=args.method,
                                 reference=args.reference or "", day=day)
        left = credit.credit_available(who, e.currency)
        rec = {"refund": credit.entry_snapshot(e) | {"id": e.id, "date": e.date.isoformat()},
               "available": plain(from_minor(left, e.currency))}
        out.result(rec, lambda: f"Refunded {money(e.amount_minor, e.currency, minor=True)} of {who.label}'s credit "
                                f"({e.method}{', ' + e.reference if e.reference else ''}) on {e.date.isoformat()}; "
                                f"{money(left, e.currency, minor=True)} left.")
    return 0


def register(subparsers) -> None:
    sub = group(subparsers, "credit-notes", "create, issue, list, show, print and send credit notes (R36–R42)")

    p = command(sub, "create", "create a draft credit note against one finalized invoice (R36, R37)", _create,
                formatter_class=argparse.RawDescriptionHelpFormatter,
                epilog="examples:\n  invoice-tui credit-notes create INV-1001 --full --reason 'Order cancelled'\n"
                       "  invoice-tui credit-notes create INV-1001 --line-of 2:1 --reason 'One day unused'\n"
                       "  invoice-tui credit-notes create INV-1001 --amount 50 --rate 20 --reason 'Goodwill'\n"
                       "  invoice-tui credit-notes create INV-1001 --amount 50 --rate 0:E --reason 'Exempt part'")
    p.add_argument("invoice", metavar="INVOICE", help="invoice id or number")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--full", action="store_true", help="credit every line of the invoice")
    mode.add_argument("--line-of", action="append", metavar="POS:QTY",
                      help="credit QTY of the invoice's line POS (from 1); repeat for more lines")
    mode.add_argument("--amount", metavar="X", help="credit the net amount X (before VAT), with --rate")
    p.add_argument("--rate", metavar="R[:CAT]", help="the VAT rate (and category) of --amount, e.g. 20 or 0:E")
    p.add_argument("--reason", required=True, metavar="TEXT", help="why the invoice is credited (required)")

    p = command(sub, "issue", "issue a draft credit note: numbered CN-…, applied to its invoice (R39)", _issue)
    p.add_argument("cn", metavar="CN", help="credit note id or number")

    p = command(sub, "list", "list credit notes, newest first", _list)
    p.add_argument("--invoice", metavar="INVOICE", help="only the credit notes of this invoice")
    p.add_argument("--limit", type=int, metavar="N")
    add_list_json(p)

    p = command(sub, "show", "show one credit note", _show)
    p.add_argument("cn", metavar="CN", help="credit note id or number")

    p = command(sub, "offset", "open a draft invoice offsetting a mistaken issued credit note (R38)", _offset)
    p.add_argument("cn", metavar="CN", help="credit note id or number")

    p = command(sub, "pdf", "write the PDF of an issued credit note", _pdf)
    p.add_argument("cn", metavar="CN", help="credit note id or number")
    p.add_argument("--out", metavar="PATH", help="file or folder to write (default: ./NUMBER.pdf)")

    p = command(sub, "send", "email a credit note with its link and PDF", _send)
    p.add_argument("cn", metavar="CN", help="credit note id or number")
    p.add_argument("--to", metavar="EMAIL")
    p.add_argument("--cc", metavar="EMAIL", action="append")
    p.add_argument("--from", dest="from_addr", metavar="EMAIL")
    p.add_argument("--subject", metavar="S")
    p.add_argument("--message", metavar="TEXT")
    p.set_defaults(custom=False)

    sub = group(subparsers, "credits", "customer credit: list, apply to an invoice, refund (R40)")
    p = command(sub, "list", "customer credit per customer and currency", _credits_list)
    who = p.add_mutually_exclusive_group()
    who.add_argument("--contact", metavar="EMAIL", help="only this contact's credit")
    who.add_argument("--company", metavar="NAME", help="only this company's credit")
    add_list_json(p)

    p = command(sub, "apply", "apply the invoice's customer's credit to it (R40, under R8's limits)", _credits_apply)
    p.add_argument("invoice", metavar="INVOICE", help="invoice id or number")
    p.add_argument("--amount", required=True, metavar="X", help="amount in the invoice's currency")

    p = command(sub, "refund", "refund customer credit: a refund record (amount, date, method, reference)",
                _credits_refund)
    who = p.add_mutually_exclusive_group()
    who.add_argument("--contact", metavar="EMAIL")
    who.add_argument("--company", metavar="NAME")
    p.add_argument("--currency", required=True, metavar="CUR")
    p.add_argument("--amount", required=True, metavar="X")
    p.add_argument("--method", required=True, metavar="M", help="cash, check, bank_transfer, card or other")
    p.add_argument("--reference", metavar="R")
    p.add_argument("--date", metavar="D", help="refund date (default today)")
