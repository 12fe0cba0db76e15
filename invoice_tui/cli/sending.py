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
        out.result({"invoice": inv.number, "path": str(path)}, f"Wrote {path}")
    return 0


def _delivery_exit(out, d, what: str) -> int:
    from invoice_tui.mail.outbox import email_record

    rec = email_record(d.email)
    if d.delivered:
        out.result({"email": rec, "delivered": True}, f"{what} accepted by the mail server ({d.message}).")
        return 0
    out.result({"email": rec, "delivered": False})
    if d.email.state == "failed" and d.email.next_attempt_at:
        out.note(f"invoice-tui: {what} queued for retry (outbox email {d.email.id}): {d.message}")
    elif d.email.state == "rejected":
        out.note(f"invoice-tui: {what} was rejected by the mail server (outbox email {d.email.id} is rejected, "
                 f"never retried): {d.message}. Correct the address and send a new email.")
    elif d.email.state == "unknown":
        out.note(f"invoice-tui: {what} may or may not have been delivered (outbox email {d.email.id} is unknown): "
                 f"{d.message}. Check with the recipient, then: invoice-tui outbox retry {d.email.id} or drop it.")
    else:
        out.note(f"invoice-tui: {what} was not sent (outbox email {d.email.id} is {d.email.state}): {d.message}. "
                 f"Fix the cause, then: invoice-tui outbox retry {d.email.id}")
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
        label = f"{'Custom email' if args.custom else 'Invoice email'} for {inv.number} to {res.email.to_addrs}"
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
                   lambda: table(["ID", "State", "Kind", "Invoice", "To", "Subject", "Tries", "When", "Note"], rows,
                                 right=[0, 6]) if rows else "The outbox is empty.")
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
            return _delivery_exit(out, d, f"Email {d.email.id}")
        results = outbox.process_due(ctx, transport)
        data = [{"email_id": d.email.id, "delivered": d.delivered, "state": d.email.state, "message": d.message}
                for d in results]
        out.result(data, lambda: "\n".join(
            f"{d.email.id}: {'sent' if d.delivered else d.email.state} — {d.message}" for d in results)
            or "Nothing is due in the outbox.")
        return 0 if all(d.delivered for d in results) else EnvironmentFailure.exit_code


def _outbox_drop(args, out) -> int:
    from invoice_tui.mail import outbox

    with _session(args) as (_ws, ctx, _cfg):
        e = outbox.drop(ctx, args.email)
        out.result(outbox.email_record(e), f"Email {e.id} dropped; it will not be sent.")
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
            raise EnvironmentFailure(f"Cannot listen on {args.host}:{args.port}: {exc.strerror or exc}.") from None
        out.note(f"invoice-tui: serving buyer links on http://{args.host}:{server.effective_port}/i/<token> "
                 f"(public_base_url: {base or 'not set'}); Ctrl+C stops.")
        if ctx.services.payment_provider is not None:
            root = base.rstrip("/") if base else f"http://{args.host}:{server.effective_port}"
            out.note(f"invoice-tui: Stripe webhooks at {root}/webhooks/stripe (signed with "
                     "INVOICE_TUI_STRIPE_WEBHOOK_SECRET).")
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
                   lambda: table(["ID", "Invoice", "Due on", "Offset", "State"], rows, right=[0, 3])
                   if rows else "No upcoming reminder.")
    return 0


def _reminders_delete(args, out) -> int:
    from invoice_tui.domain.invoices import delete_reminder

    with _session(args) as (_ws, ctx, _cfg):
        r = delete_reminder(ctx, args.reminder)
        out.result({"id": r.id, "state": r.state}, f"Reminder {r.id} of {r.due_on.isoformat()} deleted.")
    return 0


# ---- payments receipt ------------------------------------------------------------------------
def _receipt(args, out) -> int:
    from invoice_tui.mail.receipts import send_receipt

    with _session(args) as (_ws, ctx, _cfg):
        transport = _transport(ctx)
        d = send_receipt(ctx, args.payment, transport)
        return _delivery_exit(out, d, f"Receipt for payment #{args.payment} to {d.email.to_addrs}")


def register(subparsers) -> None:
    inv = group(subparsers, "invoices", "create, edit, finalize, clone, void, delete, show and list invoices")
    p = command(inv, "pdf", "write the PDF of a finalized invoice (a draft has none: R4)", _pdf)
    p.add_argument("invoice", metavar="INVOICE", help="invoice id or number")
    p.add_argument("--out", metavar="PATH", help="file or folder to write (default: ./NUMBER.pdf)")

    p = command(inv, "send", "email an invoice with its link and PDF (R30–R32); waits briefly for delivery",
                _send)
    p.add_argument("invoice", metavar="INVOICE", help="invoice id or number")
    p.add_argument("--to", metavar="EMAIL", help="recipient (default: the billing contact); a new address "
                   "becomes a contact once the email is accepted")
    p.add_argument("--cc", metavar="EMAIL", action="append", help="copy to (repeat; at most 9)")
    p.add_argument("--from", dest="from_addr", metavar="EMAIL", help="sender (R30: the workspace address, or "
                   "your own when allowed)")
    p.add_argument("--subject", metavar="S", help="subject (default: the workspace template)")
    p.add_argument("--message", metavar="TEXT", help="message (default: the workspace template; \\n for a new line)")
    p.add_argument("--custom", action="store_true", help="a custom email: no PDF, last sent date unchanged (R32)")

    ob = group(subparsers, "outbox", "emails waiting, sent, failed or unknown; retry or drop them")
    p = command(ob, "list", "list the outbox, newest first", _outbox_list)
    add_list_json(p)
    p.add_argument("--state", choices=("queued", "sending", "sent", "failed", "rejected", "unknown", "dropped"))
    p.add_argument("--limit", type=int, default=200, metavar="N")
    p = command(ob, "retry", "send a failed or unknown email again now; without ID, every email that is due",
                _outbox_retry)
    p.add_argument("email", metavar="ID", nargs="?", help="outbox email id")
    p = command(ob, "drop", "give up on an unsent email", _outbox_drop)
    p.add_argument("email", metavar="ID", help="outbox email id")

    p = subparsers.add_parser("serve", help="serve the buyer's read-only invoice pages (/i/<token>)",
                              description="serve the buyer's read-only invoice pages at /i/<token> and "
                                          "/i/<token>.pdf (put a TLS reverse proxy at public_base_url)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.set_defaults(handler=_serve)

    rm = group(subparsers, "reminders", "send due reminders (cron), list and delete upcoming ones (R33)")
    p = command(rm, "run", "the same as run-due: recurring invoices, scheduled sends, dunning and the due reminders, "
                "each exactly once, and the outbox's retries", _reminders_run,
                epilog="exit 0 when everything due was done, 1 when something could not be done, 4 when emails "
                       "stay queued because the mail server is unreachable (the rest is still done)")
    add_run_due_arguments(p)
    p = command(rm, "list", "list upcoming reminders", _reminders_list)
    add_list_json(p)
    p.add_argument("invoice", metavar="INVOICE", nargs="?", help="only this invoice")
    p.add_argument("--all", action="store_true", help="include sent, deleted and dropped reminders")
    p = command(rm, "delete", "delete an upcoming reminder", _reminders_delete)
    p.add_argument("reminder", metavar="ID", type=int)

    pay = group(subparsers, "payments", "payments")
    p = command(pay, "receipt", "email a receipt for a payment to its contact (R10)", _receipt)
    p.add_argument("payment", metavar="PAYMENT", help="payment id")
