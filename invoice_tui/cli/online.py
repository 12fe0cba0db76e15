"""Online payments on the command line (issue 26): ``contacts payment-methods add|list|remove``,
``invoices charge`` and ``payments refund``. The command groups of ``people``, ``invoices`` and
``payments`` call the ``register_*`` functions here to add these actions.

``invoices charge`` exits 0 when the payment succeeded or is processing, 1 when it was declined
(the provider's reason on stderr) or requires the buyer's action (``"state": "requires_action"``
in the JSON, and a sentence), 4 when the provider cannot be reached (charging again retries the
same attempt with the same idempotency key).
"""

from __future__ import annotations

from invoice_tui.cli._common import CliParser, _group_help, add_common_json, command, money, session, status_word, table
from invoice_tui.i18n import _


def _pm_add(args, out) -> int:
    from invoice_tui.domain import online

    with session(args) as (_ws, ctx):
        m = online.add_method(ctx, args.contact, args.stripe_customer, args.stripe_payment_method)
        out.result(online.method_record(m), lambda: _("Saved {method} ({ref}) for {contact}.").format(
            method=online.method_label(m), ref=m.method_ref, contact=args.contact))
    return 0


def _pm_list(args, out) -> int:
    from invoice_tui.domain import online
    from invoice_tui.domain.permissions import require

    with session(args) as (_ws, ctx):
        require(ctx, "view")
        methods = online.list_methods(args.contact)
        recs = [online.method_record(m) for m in methods]
        out.result(recs, lambda: table((_("Payment method"), _("Kind"), _("Brand"), _("Last 4"), _("Expiry"),
                                        _("Customer")),
                                       [(r["payment_method"], r["kind"], r["brand"], r["last4"], r["expiry"],
                                         r["customer"]) for r in recs])
                   if recs else _("{contact} has no saved payment method.").format(contact=args.contact))
    return 0


def _pm_remove(args, out) -> int:
    from invoice_tui.domain import online

    with session(args) as (_ws, ctx):
        m = online.remove_method(ctx, args.contact, args.payment_method)
        out.result({"removed": m.method_ref}, _("Removed {method} ({ref}).").format(method=online.method_label(m),
                                                                                     ref=m.method_ref))
    return 0


def register_contacts(sub) -> None:
    p = sub.add_parser("payment-methods", help=_("saved payment methods of a contact (online payments)"),
                       description=_("saved payment methods of a contact (online payments; never a card number)"))
    add_common_json(p)
    pm = p.add_subparsers(dest="pm_action", metavar=_("<action>"), parser_class=CliParser)
    p.set_defaults(handler=_group_help(p))
    c = command(pm, "add", _("attach a method the customer already saved with Stripe (super admin)"), _pm_add)
    c.add_argument("contact", metavar="EMAIL", help=_("the contact's email (or id)"))
    c.add_argument("--stripe-customer", required=True, metavar="CUS", help=_("the Stripe customer id (cus_…)"))
    c.add_argument("--stripe-payment-method", required=True, metavar="PM", help=_("the payment method id (pm_…)"))
    c = command(pm, "list", _("list a contact's saved payment methods"), _pm_list)
    c.add_argument("contact", metavar="EMAIL")
    c = command(pm, "remove", _("forget a saved payment method (super admin)"), _pm_remove)
    c.add_argument("contact", metavar="EMAIL")
    c.add_argument("payment_method", metavar="PM")


def _charge_record(res, ctx) -> dict:
    from invoice_tui.domain import invoices, payments

    inv = invoices.get_invoice(res.invoice.id)
    return {"state": res.state, "reason": res.reason or None, "retried": res.retried,
            "payment": payments.payment_record(res.payment), "invoice": invoices.invoice_record(inv, ctx.today()),
            "receipts_queued": res.receipts_queued}, inv


def _charge(args, out) -> int:
    from invoice_tui.domain import online

    with session(args) as (_ws, ctx):
        res = online.charge_invoice(ctx, args.invoice, method_ref=args.payment_method, amount=args.amount)
        data, inv = _charge_record(res, ctx)
        p = res.payment
        amount = money(p.amount_minor, p.currency, inv.locale, minor=True)
        label = inv.number
        values = {"amount": amount, "id": p.id, "invoice": label, "status": status_word(inv.status)}
        if res.state == "succeeded":
            out.result(data, _("Charged {amount} to the saved payment method: payment #{id} succeeded. {invoice} is "
                               "now {status}.").format(**values))
            return 0
        if res.state == "processing":
            out.result(data, _("Charging {amount}: payment #{id} is processing; {invoice} is settled when it "
                               "succeeds.").format(**values))
            return 0
        if res.state == "requires_action":
            out.result(data, None)
            out.note(_("invoice-tui: the card needs the buyer's authentication (3-D Secure): payment #{id} requires "
                       "action and cannot be charged with the buyer away; send them the invoice (invoice-tui invoices "
                       "send {invoice}) so that they pay it themselves.").format(**values))
            return 1
        out.result(data, None)
        out.note(_("invoice-tui: the charge of {amount} was declined: {reason}. {invoice} is still {status}.").format(
            reason=res.reason or _("no reason given"), **values))
        return 1


def register_invoices(sub) -> None:
    p = command(sub, "charge", _("charge the billing contact's saved payment method (R5, R34)"), _charge)
    p.add_argument("invoice", metavar=_("INVOICE"), help=_("invoice id or number"))
    p.add_argument("--payment-method", metavar="PM", help=_("which saved method (default: the latest saved)"))
    p.add_argument("--amount", metavar="X", help=_("a partial amount, where the invoice allows it (default: the balance)"))


def _refund(args, out) -> int:
    from invoice_tui.domain import invoices, online, payments
    from invoice_tui.domain.money import from_minor, plain

    with session(args) as (_ws, ctx):
        res = online.refund_payment(ctx, args.payment, args.amount, credit_note_reason=args.credit_note)
        p = res.payment
        inv = invoices.get_invoice(res.invoice.id) if res.invoice else None
        data = {"payment": payments.payment_record(p),
                "refunded": plain(from_minor(res.refunded_minor, p.currency)),
                "invoice": invoices.invoice_record(inv, ctx.today()) if inv else None}
        locale = inv.locale if inv else "en_US"
        out.result(data, lambda: _("Refunded {amount} of payment #{id} (now {state}, {total} refunded in all).").format(
            amount=money(res.refunded_minor, p.currency, locale, minor=True), id=p.id, state=p.state,
            total=money(p.amount_refunded_minor, p.currency, locale, minor=True))
            + (" " + _("{invoice} is now {status}; balance due {balance}.").format(
                invoice=inv.number, status=status_word(inv.status),
                balance=money(inv.balance_minor, inv.currency, inv.locale, minor=True)) if inv else ""))
    return 0


def register_payments(sub) -> None:
    p = command(sub, "refund", _("refund an online payment, in full or in part (R11)"), _refund)
    p.add_argument("payment", metavar=_("PAYMENT"), help=_("payment id"))
    p.add_argument("--amount", metavar="X", help=_("a partial amount (default: what is left to refund)"))
    p.add_argument("--credit-note", metavar="REASON",
                   help=_("the sale is cancelled: also issue a full credit note of the invoice, in the same step "
                        "(only when the whole invoice is refunded)"))
