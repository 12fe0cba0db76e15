"""``invoice-tui payments record|add|apply|delete|set-state|list`` (R7–R11, R13)."""

from __future__ import annotations

from invoice_tui.cli._common import (add_list_json, command, contact_id, group, money, parse_date, print_records, session,
                                     status_word, table, wants_records)
from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import _


def _pay_text(p, locale: str | None = None) -> str:
    if locale is None:
        from invoice_tui.domain.settings import load_settings

        locale = load_settings().locale
    return money(p.amount_minor, p.currency, locale, minor=True)


def _invoice_line(inv) -> str:
    label = inv.number or _("draft #{id}").format(id=inv.id)
    return _("{invoice} is now {status}; balance due {balance}.").format(
        invoice=label, status=status_word(inv.status),
        balance=money(inv.balance_minor, inv.currency, inv.locale, minor=True))


def _record(args, out) -> int:
    from invoice_tui.domain import invoices, payments

    data = {"amount": args.amount, "send_receipt": args.send_receipt, "in_advance": args.in_advance,
            "overpay": args.overpay}
    for attr in ("method", "reference", "note"):
        if getattr(args, attr) is not None:
            data[attr] = getattr(args, attr)
    with session(args) as (_ws, ctx):
        if args.date is not None:
            data["date"] = parse_date(args.date, ctx, "--date")
        res = payments.record_payment(ctx, args.invoice, data)
        inv = invoices.get_invoice(res.invoice.id)
        result = {"payment": payments.payment_record(res.payment),
                  "invoice": invoices.invoice_record(inv, ctx.today()),
                  "receipt_queued": res.receipt_queued}
        if args.send_receipt and not res.receipt_queued:
            out.note(_("invoice-tui: note: the payment is recorded, but no receipt was sent: receipts by email "
                       "are not set up in this installation yet."))
        out.result(result, lambda: "\n".join(
            [_("Recorded payment #{id} of {amount} ({method}) on {date}.").format(
                id=res.payment.id, amount=_pay_text(res.payment), method=res.payment.method,
                date=res.payment.date.isoformat()), _invoice_line(inv)]
            + ([_receipt_text(ctx.services.config)] if res.receipt_queued else [])))
    return 0


def _receipt_text(cfg) -> str:
    if cfg is not None and cfg.mail_url:
        return _("A receipt is queued in the outbox and is being sent (see: invoice-tui outbox list).")
    return _("A receipt is queued in the outbox but not sent: no mail server is configured (mail_url in the "
             "configuration file or INVOICE_TUI_MAIL_URL).")


def _add(args, out) -> int:
    from invoice_tui.domain import payments

    data = {"amount": args.amount, "currency": args.currency, "source": args.source, "state": args.state}
    for attr in ("method", "reference", "note"):
        if getattr(args, attr) is not None:
            data[attr] = getattr(args, attr)
    if args.source == "manual" and args.state is None:
        data["state"] = "succeeded"
    elif args.state is None:
        data["state"] = "processing"
    with session(args) as (_ws, ctx):
        if args.date is not None:
            data["date"] = parse_date(args.date, ctx, "--date")
        if args.contact:
            data["contact_id"] = contact_id(args.contact)
        p = payments.add_payment(ctx, data)
        out.result(payments.payment_record(p), lambda: (
            (_("Added manual payment #{id} of {amount} ({state}), not applied yet; apply it with: "
               "invoice-tui payments apply {id} INVOICE") if p.source == "manual" else
             _("Added online payment #{id} of {amount} ({state}), not applied yet; apply it with: "
               "invoice-tui payments apply {id} INVOICE")).format(id=p.id, amount=_pay_text(p), state=p.state)))
    return 0


def _apply(args, out) -> int:
    from invoice_tui.domain import invoices, payments

    with session(args) as (_ws, ctx):
        res = payments.apply_payment(ctx, args.payment, args.invoice, in_advance=args.in_advance)
        inv = invoices.get_invoice(res.invoice.id)
        out.result({"payment": payments.payment_record(res.payment),
                    "invoice": invoices.invoice_record(inv, ctx.today())},
                   lambda: _("Applied payment #{id} of {amount}. {invoice_line}").format(
                       id=res.payment.id, amount=_pay_text(res.payment), invoice_line=_invoice_line(inv)))
    return 0


def _delete(args, out) -> int:
    from invoice_tui.domain import invoices, payments

    with session(args) as (_ws, ctx):
        inv = payments.delete_payment(ctx, args.payment)
        rec = None
        if inv is not None:
            inv = invoices.get_invoice(inv.id)
            rec = invoices.invoice_record(inv, ctx.today())
        out.result({"deleted": int(args.payment), "invoice": rec},
                   lambda: _("Deleted payment #{id}.").format(id=args.payment) + (f" {_invoice_line(inv)}" if inv else ""))
    return 0


def _set_state(args, out) -> int:
    from invoice_tui.domain import invoices, payments

    with session(args) as (_ws, ctx):
        p = payments.set_payment_state(ctx, args.payment, args.state)
        inv = invoices.get_invoice(p.invoice_id) if p.invoice_id else None
        out.result({"payment": payments.payment_record(p),
                    "invoice": invoices.invoice_record(inv, ctx.today()) if inv else None},
                   lambda: _("Payment #{id} is now {state}.").format(id=p.id, state=p.state)
                   + (f" {_invoice_line(inv)}" if inv else ""))
    return 0


BATCH = 1000


def _records(rows):
    """``payment_record`` per payment, with invoice numbers and contact emails read per batch."""
    from itertools import islice

    from invoice_tui.db.models import Contact, Invoice
    from invoice_tui.domain import payments

    it = iter(rows)
    while chunk := list(islice(it, BATCH)):
        inv_ids = {p.invoice_id for p in chunk if p.invoice_id}
        contact_ids = {p.contact_id for p in chunk if p.contact_id}
        numbers = {i.id: i.number for i in Invoice.select(Invoice.id, Invoice.number).where(Invoice.id.in_(inv_ids))} \
            if inv_ids else {}
        emails = {c.id: c.email for c in Contact.select(Contact.id, Contact.email).where(Contact.id.in_(contact_ids))} \
            if contact_ids else {}
        for p in chunk:
            yield p, payments.payment_record(p, numbers, emails)


def _list(args, out) -> int:
    from invoice_tui.domain import payments
    from invoice_tui.domain.permissions import require
    from invoice_tui.domain.settings import load_settings

    if args.limit is not None and args.limit < 1:
        raise BadInput(_("--limit takes a number of at least 1."), field="limit")
    applied = True if args.applied else False if args.unapplied else None
    with session(args) as (ws, ctx):
        require(ctx, "view")
        query = payments.payments_query(applied=applied, state=args.state, search=args.search or "",
                                        limit=args.limit)
        if wants_records(args, out):
            from invoice_tui.exports.listing import payment_records, read_snapshot

            with read_snapshot():
                print_records(args, out, payment_records(query))
            return 0
        with ws.db.atomic():  # one consistent read
            rows = list(query)
            locale = load_settings().locale
            body = [(r["id"], r["date"], _pay_text(p, locale), r["method"], r["source"], r["state"],
                     r["invoice_number"] or (_("draft #{id}").format(id=r["invoice_id"]) if r["invoice_id"]
                                             else _("unapplied")),
                     r["contact_email"] or "", r["reference"])
                    for p, r in _records(rows)]
        out.result([], table((_("Id"), _("Date"), _("Amount"), _("Method"), _("Source"), _("State"), _("Invoice"),
                              _("Contact"), _("Reference")), body, right=(0, 2)) if body else _("No payments."))
    return 0


def register(subparsers) -> None:
    from invoice_tui.domain.payments import METHODS, SOURCES, STATES

    sub = group(subparsers, "payments", _("record, add, apply, delete and list payments"))

    p = command(sub, "record", _("record a payment received for an open invoice (R8)"), _record)
    p.add_argument("invoice", metavar=_("INVOICE"), help=_("invoice id or number"))
    p.add_argument("--amount", required=True, metavar="A", help=_("amount in the invoice's currency, e.g. 120.50"))
    p.add_argument("--date", metavar="D", help=_("payment date (default today)"))
    p.add_argument("--method", metavar="M", help=_("one of {methods} (default other)").format(methods=", ".join(METHODS)))
    p.add_argument("--reference", metavar="R")
    p.add_argument("--note", metavar="N")
    p.add_argument("--send-receipt", action="store_true", help=_("email a receipt to the billing contact (R10)"))
    p.add_argument("--in-advance", action="store_true",
                   help=_("confirm a payment dated before the invoice date: received in advance (R57)"))
    p.add_argument("--overpay", action="store_true",
                   help=_("confirm an amount above the balance due: the excess becomes the customer's credit (R8, R40)"))

    p = command(sub, "add", _("add a payment not applied to any invoice yet (R9)"), _add)
    p.add_argument("--amount", required=True, metavar="A")
    p.add_argument("--currency", required=True, metavar="CUR")
    p.add_argument("--contact", metavar="EMAIL", help=_("the contact who paid (email or id)"))
    p.add_argument("--source", choices=SOURCES, default="manual",
                   help=_("manual (default) or online (as a payment processor would create it)"))
    p.add_argument("--state", choices=STATES, default=None,
                   help=_("manual: succeeded; online: default processing"))
    p.add_argument("--date", metavar="D")
    p.add_argument("--method", metavar="M", help=_("one of {methods}").format(methods=", ".join(METHODS)))
    p.add_argument("--reference", metavar="R")
    p.add_argument("--note", metavar="N")

    p = command(sub, "apply", _("apply an unapplied payment to an open invoice (R9)"), _apply)
    p.add_argument("payment", metavar=_("PAYMENT"), help=_("payment id"))
    p.add_argument("invoice", metavar=_("INVOICE"), help=_("invoice id or number"))
    p.add_argument("--in-advance", action="store_true",
                   help=_("confirm a payment dated before the invoice date: received in advance (R57)"))

    p = command(sub, "delete", _("delete a manual payment; the balance comes back (R11)"), _delete)
    p.add_argument("payment", metavar=_("PAYMENT"), help=_("payment id"))

    p = command(sub, "set-state", _("change an online payment's state, as the payment processor does (R7, R13)"),
                _set_state)
    p.add_argument("payment", metavar=_("PAYMENT"), help=_("payment id"))
    p.add_argument("state", choices=STATES, metavar=_("STATE"), help=" | ".join(STATES))

    from invoice_tui.cli.online import register_payments

    register_payments(sub)
    p = command(sub, "list", _("list payments, newest first"), _list)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--applied", action="store_true", help=_("only payments applied to an invoice"))
    which.add_argument("--unapplied", action="store_true", help=_("only payments not applied yet"))
    p.add_argument("--state", choices=STATES)
    p.add_argument("--search", metavar=_("TEXT"), help=_("contact email or reference contains TEXT"))
    p.add_argument("--limit", type=int, metavar="N")
    add_list_json(p)
