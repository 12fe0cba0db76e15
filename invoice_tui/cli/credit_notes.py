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

from invoice_tui.cli._common import (add_list_json, command, group, money, pairs, print_records, session, status_word,
                                     table, wants_records)
from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import _, ngettext

_LINE_OF = re.compile(r"^\s*(\d{1,4})\s*:\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$")


def _line_of(text: str) -> tuple[int, str]:
    """``POS:QTY`` (position from 1 as ``invoices show`` lists the lines)."""
    m = _LINE_OF.match(text or "")
    if not m:
        raise BadInput(_("--line-of takes POS:QTY, e.g. 2:1.5 (line 2, quantity 1.5); not '{text}'.").format(
            text=text), field="lines")
    return int(m.group(1)), m.group(2)


def _rate(text: str) -> tuple[str, str]:
    """``R[:CAT]``: a VAT rate in percent and an optional category (S, Z, E, AE, K, G, O)."""
    rate, _sep, cat = (text or "").partition(":")
    if not re.fullmatch(r"\s*\d{1,3}(\.\d{1,4})?\s*", rate):
        raise BadInput(_("--rate takes a VAT rate in percent, optionally with a category: 20, 5.5 or 0:E; not "
                         "'{text}'.").format(text=text), field="rate")
    return rate.strip(), cat.strip()


def _label(inv) -> str:
    return inv.number or _("draft credit note #{id}").format(id=inv.id)


def _record(cn, ctx) -> dict[str, Any]:
    from invoice_tui.domain import credit, invoices

    cn = invoices.get_invoice(cn.id)
    rec = credit.credit_note_record(cn, ctx.today())
    rec["lines"] = [{"name": s.name, "quantity": str(s.quantity), "unit_price": str(s.unit_price),
                     "tax_rate": str(s.tax_rate), "tax_category": s.category}
                    for s in invoices.line_specs(cn)]
    return rec


def _summary(cn) -> str:
    return _("{credit_note} ({status}) of {amount} crediting {invoice}").format(
        credit_note=_label(cn), status=status_word(cn.status),
        amount=money(cn.billed_minor, cn.currency, cn.locale, minor=True), invoice=_invoice_number(cn))


def _invoice_number(cn) -> str:
    from invoice_tui.db.models import Invoice

    inv = Invoice.get_or_none(Invoice.id == cn.refers_to) if cn.refers_to else None
    return inv.number if inv else "?"


def _invoice_line(ctx, inv_id: int) -> str:
    from invoice_tui.domain import credit, invoices

    inv = invoices.get_invoice(inv_id)
    return _("{invoice} is now {status}; balance due {balance}.").format(
        invoice=inv.number, status=credit.settlement_label(inv).lower(),
        balance=money(inv.balance_minor, inv.currency, inv.locale, minor=True))


# ---- credit-notes ------------------------------------------------------------------------------
def _create(args, out) -> int:
    from invoice_tui.domain import credit

    lines = [_line_of(t) for t in (args.line_of or [])]
    rate, category = _rate(args.rate) if args.rate is not None else (None, "")
    if args.amount is not None and args.rate is None:
        raise BadInput(_("--amount needs --rate R[:CAT] (the VAT rate and category of the amount credited)."),
                       field="rate")
    if args.rate is not None and args.amount is None:
        raise BadInput(_("--rate goes with --amount."), field="rate")
    with session(args) as (_ws, ctx):
        cn = credit.create_credit_note(ctx, args.invoice, reason=args.reason or "", full=args.full, lines=lines,
                                       amount=args.amount, rate=rate, category=category)
        out.result(_record(cn, ctx), lambda: _("Created {summary}.\nIssue it with: invoice-tui credit-notes "
                                               "issue {id}").format(summary=_summary(cn), id=cn.id))
    return 0


def _issue(args, out) -> int:
    from invoice_tui.domain import credit

    with session(args) as (_ws, ctx):
        cn = credit.issue_credit_note(ctx, args.cn)
        rec = _record(cn, ctx)
        out.result(rec, lambda: "\n".join([
            _("Issued {summary}: {on_invoice} {currency} credited on the invoice, {to_credit} {currency} to the "
              "customer's credit.").format(summary=_summary(cn), on_invoice=rec["credited_on_invoice"],
                                           to_credit=rec["to_customer_credit"], currency=cn.currency),
            _invoice_line(ctx, cn.refers_to)]))
    return 0


def _show(args, out) -> int:
    from invoice_tui.domain import credit

    with session(args) as (_ws, ctx):
        cn = credit.get_credit_note(args.cn)
        rec = _record(cn, ctx)

        def text() -> str:
            head = pairs([(_("Credit note"), _label(cn)), (_("Id"), rec["id"]), (_("Status"), status_word(rec["status"])),
                          (_("Credits invoice"), _("{invoice} of {date}").format(invoice=rec["invoice_number"],
                                                                                 date=rec["invoice_issue_date"])),
                          (_("Reason"), rec["reason"]), (_("Date"), rec["invoice_date"]), (_("Currency"), cn.currency),
                          (_("Bill to"), rec["contact_email"]), (_("Company"), rec["company_name"])])
            rows = [(li["name"], li["quantity"], li["unit_price"], f"{li['tax_rate']}% {li['tax_category']}")
                    for li in rec["lines"]]
            parts = [head, "", table((_("Line"), _("Qty"), _("Unit price"), _("VAT")), rows, right=(1, 2, 3)), "",
                     _("Net {net}  VAT {vat}  Total credited {total} {currency}").format(
                         net=rec["subtotal"], vat=rec["tax_total"], total=rec["amount_billed"], currency=cn.currency)]
            if cn.status == "issued":
                parts.append(_("Credited on {invoice}: {on_invoice} {currency}; to the customer's credit: "
                               "{to_credit} {currency}").format(
                    invoice=rec["invoice_number"], on_invoice=rec["credited_on_invoice"],
                    to_credit=rec["to_customer_credit"], currency=cn.currency))
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
        body = [(cn.id, cn.number or "—", status_word(cn.status), _invoice_number(cn), cn.invoice_date.isoformat(),
                 money(-cn.billed_minor, cn.currency, cn.locale, minor=True), cn.reason[:40]) for cn in rows]
        out.result([], table((_("Id"), _("Number"), _("Status"), _("Invoice"), _("Date"), _("Amount"), _("Reason")),
                             body, right=(0, 5))
                   + "\n" + ngettext("{n} credit note", "{n} credit notes", len(body)).format(n=len(body))
                   if body else _("No credit notes."))
    return 0


def _offset(args, out) -> int:
    from invoice_tui.domain import credit, invoices

    with session(args) as (_ws, ctx):
        inv = credit.offset_credit_note(ctx, args.cn)
        rec = invoices.invoice_record(invoices.get_invoice(inv.id), ctx.today())
        out.result(rec, lambda: _("Opened draft #{id} offsetting {credit_note} ({amount}); finalize it with: "
                                  "invoice-tui invoices finalize {id}").format(
            id=inv.id, credit_note=args.cn, amount=money(inv.billed_minor, inv.currency, inv.locale, minor=True)))
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
        out.result([], table((_("Customer"), _("Currency"), _("Credit"), _("Applied"), _("Refunded"),
                              _("Available")), body, right=(2, 3, 4, 5)) if body else _("No customer credit."))
    return 0


def _credits_apply(args, out) -> int:
    from invoice_tui.domain import credit, invoices

    with session(args) as (_ws, ctx):
        e = credit.apply_credit(ctx, args.invoice, args.amount)
        inv = invoices.get_invoice(e.invoice_id)
        rec = {"credit": credit.entry_snapshot(e) | {"id": e.id, "date": e.date.isoformat()},
               "invoice": invoices.invoice_record(inv, ctx.today()),
               "available": credit.credit_balances(credit.customer_of(inv))[0].record()["available"]}
        out.result(rec, lambda: _("Applied {amount} of {customer}'s credit to {invoice}; {left} {currency} left.")
                   .format(amount=money(e.amount_minor, e.currency, inv.locale, minor=True),
                           customer=credit.customer_of(inv).label, invoice=inv.number, left=rec["available"],
                           currency=e.currency) + "\n" + _invoice_line(ctx, inv.id))
    return 0


def _credits_refund(args, out) -> int:
    from invoice_tui.cli._common import parse_date
    from invoice_tui.domain import credit
    from invoice_tui.domain.money import from_minor, plain

    if args.contact is None and args.company is None:
        raise BadInput(_("credits refund needs --contact EMAIL or --company NAME."), field="customer")
    with session(args) as (_ws, ctx):
        who = _customer(args)
        day = parse_date(args.date, ctx, "--date") if args.date else None
        e = credit.refund_credit(ctx, who, args.currency, args.amount, method=args.method,
                                 reference=args.reference or "", day=day)
        left = credit.credit_available(who, e.currency)
        rec = {"refund": credit.entry_snapshot(e) | {"id": e.id, "date": e.date.isoformat()},
               "available": plain(from_minor(left, e.currency))}
        out.result(rec, lambda: _("Refunded {amount} of {customer}'s credit ({how}) on {date}; {left} left.").format(
            amount=money(e.amount_minor, e.currency, minor=True), customer=who.label,
            how=e.method + (", " + e.reference if e.reference else ""), date=e.date.isoformat(),
            left=money(left, e.currency, minor=True)))
    return 0


def register(subparsers) -> None:
    sub = group(subparsers, "credit-notes", _("create, issue, list, show, print and send credit notes (R36–R42)"))

    p = command(sub, "create", _("create a draft credit note against one finalized invoice (R36, R37)"), _create,
                formatter_class=argparse.RawDescriptionHelpFormatter,
                epilog=_("examples:\n  invoice-tui credit-notes create INV-1001 --full --reason 'Order cancelled'\n"
                       "  invoice-tui credit-notes create INV-1001 --line-of 2:1 --reason 'One day unused'\n"
                       "  invoice-tui credit-notes create INV-1001 --amount 50 --rate 20 --reason 'Goodwill'\n"
                       "  invoice-tui credit-notes create INV-1001 --amount 50 --rate 0:E --reason 'Exempt part'"))
    p.add_argument("invoice", metavar=_("INVOICE"), help=_("invoice id or number"))
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--full", action="store_true", help=_("credit every line of the invoice"))
    mode.add_argument("--line-of", action="append", metavar="POS:QTY",
                      help=_("credit QTY of the invoice's line POS (from 1); repeat for more lines"))
    mode.add_argument("--amount", metavar="X", help=_("credit the net amount X (before VAT), with --rate"))
    p.add_argument("--rate", metavar="R[:CAT]", help=_("the VAT rate (and category) of --amount, e.g. 20 or 0:E"))
    p.add_argument("--reason", required=True, metavar=_("TEXT"), help=_("why the invoice is credited (required)"))

    p = command(sub, "issue", _("issue a draft credit note: numbered CN-…, applied to its invoice (R39)"), _issue)
    p.add_argument("cn", metavar=_("CN"), help=_("credit note id or number"))

    p = command(sub, "list", _("list credit notes, newest first"), _list)
    p.add_argument("--invoice", metavar=_("INVOICE"), help=_("only the credit notes of this invoice"))
    p.add_argument("--limit", type=int, metavar="N")
    add_list_json(p)

    p = command(sub, "show", _("show one credit note"), _show)
    p.add_argument("cn", metavar=_("CN"), help=_("credit note id or number"))

    p = command(sub, "offset", _("open a draft invoice offsetting a mistaken issued credit note (R38)"), _offset)
    p.add_argument("cn", metavar=_("CN"), help=_("credit note id or number"))

    p = command(sub, "pdf", _("write the PDF of an issued credit note"), _pdf)
    p.add_argument("cn", metavar=_("CN"), help=_("credit note id or number"))
    p.add_argument("--out", metavar=_("PATH"), help=_("file or folder to write (default: ./NUMBER.pdf)"))

    p = command(sub, "send", _("email a credit note with its link and PDF"), _send)
    p.add_argument("cn", metavar=_("CN"), help=_("credit note id or number"))
    p.add_argument("--to", metavar="EMAIL")
    p.add_argument("--cc", metavar="EMAIL", action="append")
    p.add_argument("--from", dest="from_addr", metavar="EMAIL")
    p.add_argument("--subject", metavar="S")
    p.add_argument("--message", metavar=_("TEXT"))
    p.set_defaults(custom=False)

    sub = group(subparsers, "credits", _("customer credit: list, apply to an invoice, refund (R40)"))
    p = command(sub, "list", _("customer credit per customer and currency"), _credits_list)
    who = p.add_mutually_exclusive_group()
    who.add_argument("--contact", metavar="EMAIL", help=_("only this contact's credit"))
    who.add_argument("--company", metavar=_("NAME"), help=_("only this company's credit"))
    add_list_json(p)

    p = command(sub, "apply", _("apply the invoice's customer's credit to it (R40, under R8's limits)"), _credits_apply)
    p.add_argument("invoice", metavar=_("INVOICE"), help=_("invoice id or number"))
    p.add_argument("--amount", required=True, metavar="X", help=_("amount in the invoice's currency"))

    p = command(sub, "refund", _("refund customer credit: a refund record (amount, date, method, reference)"),
                _credits_refund)
    who = p.add_mutually_exclusive_group()
    who.add_argument("--contact", metavar="EMAIL")
    who.add_argument("--company", metavar=_("NAME"))
    p.add_argument("--currency", required=True, metavar="CUR")
    p.add_argument("--amount", required=True, metavar="X")
    p.add_argument("--method", required=True, metavar="M", help=_("cash, check, bank_transfer, card or other"))
    p.add_argument("--reference", metavar="R")
    p.add_argument("--date", metavar="D", help=_("refund date (default today)"))
