"""Sending from the command line (issue 6): PDF, email, outbox, buyer link server, reminders,
receipts.

    invoice-tui invoices pdf INVOICE [--out PATH]
    invoice-tui invoices send INVOICE [--to EMAIL] [--cc EMAIL]… [--from EMAIL] [--subject S] [--message TEXT]
    invoice-tui outbox list [--state STATE] | retry [ID] | drop ID
    invoice-tui serve [--host 127.0.0.1] [--port 8080]
    invoice-tui reminders run [--as-of DATE] [--dry-run]   (the older name of run-due: the whole job)
    invoice-tui reminders list [INVOICE] [--all] | delete ID
    invoice-tui payments receipt PAYMENT

``invoices pdf``/``send`` and ``payments receipt`` join the ``invoices`` and ``payments`` groups of
cli/invoices.py and cli/payments.py (``group`` extends a group that exists).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from invoice_tui.cli import open_context
from invoice_tui.cli._common import add_list_json, command, group, print_records, table, wants_records
from invoice_tui.cli.automation import add_run_due_arguments, run_reminders_alias
from invoice_tui.domain.errors import EnvironmentFailure
from invoice_tui.i18n import _


@contextlib.contextmanager
def _session(args):
    ws, ctx, cfg = open_context(args)
    try:
        yield ws, ctx, cfg
    finally:
        with contextlib.suppress(Exception):
            ws.db.close()


def _transport(ctx):
    from invoice_tui.mail.transport import transport_for

    return transport_for(ctx)


# ---- invoices pdf / send ---------------------------------------------------------------------
def _pdf(args, out) -> int:
    from invoice_tui.documents.pdf import check_pdf_allowed
    from invoice_tui.domain.einvoice import document_pdf
    from invoice_tui.domain.invoices import get_invoice
    from invoice_tui.mail.compose import attachment_filename

    with _session(args) as (_ws, ctx, _cfg):
        inv = get_invoice(args.invoice)
        check_pdf_allowed(inv)
        target = Path(args.out) if args.out else Path.cwd() / attachment_filename(inv)
        if target.is_dir():
            target = target / attachment_filename(inv)
        path = document_pdf(inv, target)
        out.result({"invoice": inv.number, "path": str(path)}, _("Wrote {path}").format(path=path))
    return 0


def _delivery_exit(out, d, what: str) -> int:
    """``what``: a whole noun phrase in the reader's language (``Invoice email for INV-1 to …``)."""
    from invoice_tui.mail.outbox import email_record

    rec = email_record(d.email)
    if d.delivered:
        out.result({"email": rec, "delivered": True}, _("{what} accepted by the mail server ({reply}).").format(
            what=what, reply=d.message))
        return 0
    out.result({"email": rec, "delivered": False})
    values = {"what": what, "id": d.email.id, "reply": d.message, "state": d.email.state}
    if d.email.state == "failed" and d.email.next_attempt_at:
        out.note(_("invoice-tui: {what} queued for retry (outbox email {id}): {reply}").format(**values))
    elif d.email.state == "rejected":
        out.note(_("invoice-tui: {what} was rejected by the mail server (outbox email {id} is rejected, never "
                   "retried): {reply}. Correct the address and send a new email.").format(**values))
    elif d.email.state == "unknown":
        out.note(_("invoice-tui: {what} may or may not have been delivered (outbox email {id} is unknown): "
                   "{reply}. Check with the recipient, then: invoice-tui outbox retry {id} or drop it.").format(**values))
    else:
        out.note(_("invoice-tui: {what} was not sent (outbox email {id} is {state}): {reply}. Fix the cause, then: "
                   "invoice-tui outbox retry {id}").format(**values))
    return EnvironmentFailure.exit_code


def _send(args, out) -> int:
    from invoice_tui.domain.invoices import get_invoice
    from invoice_tui.mail.compose import custom_draft, invoice_draft
    from invoice_tui.mail.sending import send_draft

    with _session(args) as (_ws, ctx, _cfg):
        transport = _transport(ctx)
        inv = get_invoice(args.invoice)
        draft = custom_draft(ctx, inv) if args.custom else invoice_draft(ctx, inv)
        if args.to:
            draft.to, draft.to_name = args.to, ""
        draft.cc = list(args.cc or [])
        if args.from_addr:
            draft.from_addr = args.from_addr
        if args.subject is not None:
            draft.subject = args.subject
        if args.message is not None:
            draft.body = args.message.replace("\\n", "\n")
        res = send_draft(ctx, draft, transport)
        label = (_("Custom email for {invoice} to {to}") if args.custom else
                 _("Invoice email for {invoice} to {to}")).format(invoice=inv.number, to=res.email.to_addrs)
        from invoice_tui.mail.outbox import Delivery

        return _delivery_exit(out, Delivery(res.email, res.delivered, res.message), label)


# ---- outbox ----------------------------------------------------------------------------------
def _outbox_list(args, out) -> int:
    from invoice_tui.domain.permissions import has, require
    from invoice_tui.mail.outbox import email_record, list_emails, recover_stale

    with _session(args) as (_ws, ctx, _cfg):
        require(ctx, "view")
        if has(ctx, "edit"):
            recover_stale(ctx)
        emails = list_emails(args.state, limit=args.limit)
        rows = [[e.id, e.state, e.kind, e.invoice_number or "", e.to_addrs, e.subject[:40], e.attempts,
                 _when(e), (e.last_error or e.server_reply)[:60]] for e in emails]
        if wants_records(args, out):
            print_records(args, out, map(email_record, emails))
            return 0
        out.result([email_record(e) for e in emails],
                   lambda: table([_("ID"), _("State"), _("Kind"), _("Invoice"), _("To"), _("Subject"), _("Tries"),
                                  _("When"), _("Note")], rows, right=[0, 6]) if rows else _("The outbox is empty."))
    return 0


def _when(e) -> str:
    moment = e.sent_at or e.next_attempt_at or e.created_at
    return moment.isoformat(sep=" ") if moment else ""


def _outbox_retry(args, out) -> int:
    from invoice_tui.mail import outbox

    with _session(args) as (_ws, ctx, _cfg):
        transport = _transport(ctx)
        if args.email:
            d = outbox.retry(ctx, args.email, transport)
            return _delivery_exit(out, d, _("Email {id}").format(id=d.email.id))
        results = outbox.process_due(ctx, transport)
        data = [{"email_id": d.email.id, "delivered": d.delivered, "state": d.email.state, "message": d.message}
                for d in results]
        out.result(data, lambda: "\n".join(
            f"{d.email.id}: {_outcome(d)} — {d.message}" for d in results)
            or _("Nothing is due in the outbox."))
        return 0 if all(d.delivered for d in results) else EnvironmentFailure.exit_code


def _outcome(d) -> str:
    return _("sent") if d.delivered else d.email.state


def _outbox_drop(args, out) -> int:
    from invoice_tui.mail import outbox

    with _session(args) as (_ws, ctx, _cfg):
        e = outbox.drop(ctx, args.email)
        out.result(outbox.email_record(e), _("Email {id} dropped; it will not be sent.").format(id=e.id))
    return 0


# ---- serve -----------------------------------------------------------------------------------
def _serve(args, out) -> int:
    from invoice_tui.domain.settings import load_settings
    from invoice_tui.web.app import make_server

    with _session(args) as (_ws, ctx, _cfg):
        base = load_settings().public_base_url
        ctx.source = "webhook"
        try:
            server = make_server(args.host, args.port, webhook_context=ctx)
        except OSError as exc:
            raise EnvironmentFailure(_("Cannot listen on {host}:{port}: {error}.").format(
                host=args.host, port=args.port, error=exc.strerror or exc)) from None
        out.note(_("invoice-tui: serving buyer links on http://{host}:{port}/i/<token> (public_base_url: {base}); "
                   "Ctrl+C stops.").format(host=args.host, port=server.effective_port, base=base or _("not set")))
        if ctx.services.payment_provider is not None:
            root = base.rstrip("/") if base else f"http://{args.host}:{server.effective_port}"
            out.note(_("invoice-tui: Stripe webhooks at {root}/webhooks/stripe (signed with "
                       "INVOICE_TUI_STRIPE_WEBHOOK_SECRET).").format(root=root))
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
    return 0


# ---- reminders -------------------------------------------------------------------------------
def _reminders_run(args, out) -> int:
    """``reminders run``: since issue 28, the older name of ``run-due`` (the whole job)."""
    return run_reminders_alias(args, out)


def _reminders_list(args, out) -> int:
    from invoice_tui.domain.invoices import get_invoice
    from invoice_tui.mail import reminders

    with _session(args) as (_ws, _ctx, _cfg):
        inv = get_invoice(args.invoice) if args.invoice else None
        items = reminders.list_reminders(inv, include_past=args.all)
        rows = [[r.id, r.invoice.number, r.due_on.isoformat(), f"{r.offset_days:+d}", r.state] for r in items]
        if wants_records(args, out):
            print_records(args, out, map(reminders.reminder_record, items))
            return 0
        out.result([reminders.reminder_record(r) for r in items],
                   lambda: table([_("ID"), _("Invoice"), _("Due on"), _("Offset"), _("State")], rows, right=[0, 3])
                   if rows else _("No upcoming reminder."))
    return 0


def _reminders_delete(args, out) -> int:
    from invoice_tui.domain.invoices import delete_reminder

    with _session(args) as (_ws, ctx, _cfg):
        r = delete_reminder(ctx, args.reminder)
        out.result({"id": r.id, "state": r.state}, _("Reminder {id} of {date} deleted.").format(
            id=r.id, date=r.due_on.isoformat()))
    return 0


# ---- payments receipt ------------------------------------------------------------------------
def _receipt(args, out) -> int:
    from invoice_tui.mail.receipts import send_receipt

    with _session(args) as (_ws, ctx, _cfg):
        transport = _transport(ctx)
        d = send_receipt(ctx, args.payment, transport)
        return _delivery_exit(out, d, _("Receipt for payment #{id} to {to}").format(id=args.payment,
                                                                                     to=d.email.to_addrs))


def register(subparsers) -> None:
    inv = group(subparsers, "invoices", _("create, edit, finalize, clone, void, delete, show and list invoices"))
    p = command(inv, "pdf", _("write the PDF of a finalized invoice (a draft has none: R4)"), _pdf)
    p.add_argument("invoice", metavar=_("INVOICE"), help=_("invoice id or number"))
    p.add_argument("--out", metavar=_("PATH"), help=_("file or folder to write (default: ./NUMBER.pdf)"))

    p = command(inv, "send", _("email an invoice with its link and PDF (R30–R32); waits briefly for delivery"),
                _send)
    p.add_argument("invoice", metavar=_("INVOICE"), help=_("invoice id or number"))
    p.add_argument("--to", metavar="EMAIL", help=_("recipient (default: the billing contact); a new address "
                   "becomes a contact once the email is accepted"))
    p.add_argument("--cc", metavar="EMAIL", action="append", help=_("copy to (repeat; at most 9)"))
    p.add_argument("--from", dest="from_addr", metavar="EMAIL", help=_("sender (R30: the workspace address, or "
                   "your own when allowed)"))
    p.add_argument("--subject", metavar="S", help=_("subject (default: the workspace template)"))
    p.add_argument("--message", metavar=_("TEXT"), help=_("message (default: the workspace template; \\n for a new line)"))
    p.add_argument("--custom", action="store_true", help=_("a custom email: no PDF, last sent date unchanged (R32)"))

    ob = group(subparsers, "outbox", _("emails waiting, sent, failed or unknown; retry or drop them"))
    p = command(ob, "list", _("list the outbox, newest first"), _outbox_list)
    add_list_json(p)
    p.add_argument("--state", choices=("queued", "sending", "sent", "failed", "rejected", "unknown", "dropped"))
    p.add_argument("--limit", type=int, default=200, metavar="N")
    p = command(ob, "retry", _("send a failed or unknown email again now; without ID, every email that is due"),
                _outbox_retry)
    p.add_argument("email", metavar=_("ID"), nargs="?", help=_("outbox email id"))
    p = command(ob, "drop", _("give up on an unsent email"), _outbox_drop)
    p.add_argument("email", metavar=_("ID"), help=_("outbox email id"))

    p = subparsers.add_parser("serve", help=_("serve the buyer's read-only invoice pages (/i/<token>)"),
                              description=_("serve the buyer's read-only invoice pages at /i/<token> and "
                                          "/i/<token>.pdf (put a TLS reverse proxy at public_base_url)"))
    p.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1)"))
    p.add_argument("--port", type=int, default=8080, help=_("port to listen on (default 8080)"))
    p.set_defaults(handler=_serve)

    rm = group(subparsers, "reminders", _("send due reminders (cron), list and delete upcoming ones (R33)"))
    p = command(rm, "run", _("the same as run-due: recurring invoices, scheduled sends, dunning and the due reminders, "
                "each exactly once, and the outbox's retries"), _reminders_run,
                epilog=_("exit 0 when everything due was done, 1 when something could not be done, 4 when emails "
                       "stay queued because the mail server is unreachable (the rest is still done)"))
    add_run_due_arguments(p)
    p = command(rm, "list", _("list upcoming reminders"), _reminders_list)
    add_list_json(p)
    p.add_argument("invoice", metavar=_("INVOICE"), nargs="?", help=_("only this invoice"))
    p.add_argument("--all", action="store_true", help=_("include sent, deleted and dropped reminders"))
    p = command(rm, "delete", _("delete an upcoming reminder"), _reminders_delete)
    p.add_argument("reminder", metavar=_("ID"), type=int)

    pay = group(subparsers, "payments", _("payments"))
    p = command(pay, "receipt", _("email a receipt for a payment to its contact (R10)"), _receipt)
    p.add_argument("payment", metavar=_("PAYMENT"), help=_("payment id"))
