"""Invoices that run themselves (issue 28; R49–R51).

    invoice-tui recurring create --from INVOICE --every N{d|w|m|y} [--day D|last] --start DATE
                                 [--end DATE | --count N] [--mode draft|finalize|send]
    invoice-tui recurring list | show ID | pause ID | resume ID | delete ID   (also: schedules …)
    invoice-tui run-due [--as-of DATE] [--dry-run]      (the one job for cron)
    invoice-tui invoices schedule-send INVOICE --on DATE
"""

from __future__ import annotations

from invoice_tui.cli._common import add_common_json, add_list_json, command, group, pairs, parse_date, print_records, session, table
from invoice_tui.cli._common import wants_records
from invoice_tui.domain.errors import EnvironmentFailure


def _transport(ctx):
    from invoice_tui.mail.transport import transport_for

    return transport_for(ctx)


def _create(args, out) -> int:
    from invoice_tui.domain import recurring

    with session(args) as (_ws, ctx):
        data = recurring.ScheduleInput(
            template=args.from_invoice, every=args.every, day=args.day, start=parse_date(args.start, ctx, "--start"),
            end_on=parse_date(args.end, ctx, "--end") if args.end else None, count=args.count, mode=args.mode)
        s = recurring.create_schedule(ctx, data)
        rec = recurring.schedule_record(s)
        out.result(rec, f"Schedule #{s.id}: {rec['template']} {rec['rule']}, {s.mode}; next run {rec['next_run']}.")
    return 0


def _rows(items):
    return [[r["id"], r["template"] or f"#{r['template_id']} (deleted)", r["customer"][:20], r["rule"][:30],
             r["mode"], r["state"], r["next_run"] or r["paused_next_run"] or "", r["issued"], r["last_result"][:40]]
            for r in items]


HEADERS = ["ID", "From", "Customer", "Every", "Mode", "State", "Next run", "Made", "Last result"]


def _list(args, out) -> int:
    from invoice_tui.domain import recurring
    from invoice_tui.domain.permissions import require

    with session(args) as (_ws, ctx):
        require(ctx, "view")
        items = [recurring.schedule_record(s) for s in recurring.list_schedules(args.state)]
        if wants_records(args, out):
            print_records(args, out, items)
            return 0
        out.result(items, lambda: table(HEADERS, _rows(items), right=[0, 7]) if items else
                   "No schedule yet; make one with: invoice-tui recurring create --from INVOICE --every 1m --start DATE")
    return 0


def _show(args, out) -> int:
    from invoice_tui.db.models import Invoice
    from invoice_tui.domain import recurring
    from invoice_tui.domain.permissions import require

    with session(args) as (_ws, ctx):
        require(ctx, "view")
        s = recurring.get_schedule(args.schedule)
        rec = recurring.schedule_record(s)
        runs = []
        for r in recurring.runs_of(s.id):
            inv = Invoice.get_or_none(Invoice.id == r.invoice_id) if r.invoice_id else None
            runs.append({"period": r.period.isoformat() if hasattr(r.period, "isoformat") else str(r.period),
                         "invoice_id": r.invoice_id,
                         "invoice": (inv.number or f"draft #{inv.id}") if inv else None,
                         "status": inv.status if inv else "deleted"})
        rec["runs"] = runs

        def text() -> str:
            head = pairs([("Schedule", f"#{s.id}"), ("From", rec["template"]), ("Customer", rec["customer"]),
                          ("Every", rec["rule"]), ("Start", rec["start"]), ("Mode", rec["mode"]),
                          ("State", rec["state"]), ("Next run", rec["next_run"] or rec["paused_next_run"]),
                          ("Made", str(rec["issued"])), ("Last result", rec["last_result"])])
            if not runs:
                return head
            return head + "\n\n" + table(["Period", "Invoice", "Status"],
                                         [[r["period"], r["invoice"] or "", r["status"]] for r in runs])

        out.result(rec, text)
    return 0


def _pause(args, out) -> int:
    from invoice_tui.domain import recurring

    with session(args) as (_ws, ctx):
        s = recurring.pause_schedule(ctx, args.schedule)
        out.result(recurring.schedule_record(s), f"Schedule #{s.id} paused.")
    return 0


def _resume(args, out) -> int:
    from invoice_tui.domain import recurring

    with session(args) as (_ws, ctx):
        s = recurring.resume_schedule(ctx, args.schedule)
        rec = recurring.schedule_record(s)
        out.result(rec, f"Schedule #{s.id} resumed; next run {rec['next_run']}." if s.state == "active"
                   else f"Schedule #{s.id} has no period left; it ended.")
    return 0


def _delete(args, out) -> int:
    from invoice_tui.domain import recurring

    with session(args) as (_ws, ctx):
        sid = recurring.delete_schedule(ctx, args.schedule)
        out.result({"id": sid, "deleted": True}, f"Schedule #{sid} deleted; the invoices it made stay.")
    return 0


def _schedule_send(args, out) -> int:
    from invoice_tui.db import write_tx
    from invoice_tui.domain.invoices import get_invoice
    from invoice_tui.domain.permissions import require
    from invoice_tui.domain.recurring import plan_send
    from invoice_tui.mail.compose import check_sendable

    with session(args) as (_ws, ctx):
        require(ctx, "send")
        on = parse_date(args.on, ctx, "--on")
        with write_tx():
            inv = get_invoice(args.invoice)
            check_sendable(inv)
            plan = plan_send(ctx, inv, on)
        out.result({"invoice": inv.number, "send_on": on.isoformat(), "state": plan.state},
                   f"{inv.number} will be emailed to {inv.contact_email or 'its billing contact'} on {on.isoformat()} "
                   "(by invoice-tui run-due).")
    return 0


def _run_due(args, out) -> int:
    """``run-due``, and ``reminders run``, its older name (issue 28): the same job, the same exit
    codes (0 done, 1 something could not be done, 4 emails left in the outbox); the older name
    also keeps its reminder lines ("sent: reminder 3 for INV-1001 to …") and JSON keys."""
    from invoice_tui.cli._base import pin_today
    from invoice_tui.mail.automation import run_due

    with session(args) as (_ws, ctx):
        if args.as_of:
            pin_today(ctx, parse_date(args.as_of, ctx, "--as-of"))
        transport = None
        if not args.dry_run:
            try:
                transport = _transport(ctx)
            except EnvironmentFailure as exc:  # the invoices are still made; emails wait in the outbox
                out.note(f"invoice-tui: {exc.message}")
        res = run_due(ctx, transport, dry_run=args.dry_run)
        data = res.record()
        data["as_of"] = ctx.today().isoformat()
        alias = getattr(args, "reminders_alias", False)
        if alias:  # what `reminders run --json` printed before it ran the whole job
            data.update(data["reminders"] or {})

        def text() -> str:
            lines = [f"run-due as of {ctx.today().isoformat()}{' (dry run: nothing written)' if res.dry_run else ''}"]
            for p in res.schedules:
                made = p["number"] or (f"draft #{p['invoice_id']}" if p["invoice_id"] else f"an invoice ({p['status']})")
                lines.append(f"schedule #{p['schedule_id']}: {'would make' if res.dry_run else 'made'} {made} for {p['period']}"
                             + (" (email planned)" if p["send_planned"] else "") + (f" — {p['note']}" if p["note"] else ""))
            for s in res.sends:
                lines.append(f"send {s['invoice_number']} to {s['to']}: {s.get('result')}")
            for d in res.dunning:
                fees = ", ".join(x for x in (d["interest"] and f"interest {d['interest']}",
                                              d["indemnity"] and f"indemnity {d['indemnity']}") if x)
                lines.append(f"dunning {d['invoice_number']} level {d['level']} ({d['tone']}, {d['days_overdue']} days "
                             f"overdue): {d['result']}" + (f"; fees {fees}" if fees else "")
                             + (f" — {d['fee_invoice']}" if d.get("fee_invoice") else ""))
            lines += _reminder_lines(res.reminders, res.dry_run, older_words=alias)
            if len(lines) == 1:
                lines.append("Nothing is due.")
            return "\n".join(lines)

        out.result(data, text)
        for error in res.errors:
            out.note(f"invoice-tui: not done: {error}")
        if res.errors:
            return 1
        if not res.dry_run and res.queued:
            out.note(f"invoice-tui: {res.queued} email(s) wait in the outbox (the mail server did not take them); "
                     "the next run retries them.")
            return EnvironmentFailure.exit_code
    return 0


def _reminder_lines(r, dry_run: bool, *, older_words: bool = False) -> list[str]:
    """The R33 reminders' lines; ``older_words``: as ``reminders run`` wrote them before it was an
    alias of run-due (scripts read "sent: reminder 3 for INV-1001 to …")."""
    lines = []
    if older_words:
        verb = "would send" if dry_run else "queued"
        lines += [f"sent: reminder {x['id']} for {x['invoice_number']} to {x['to']}" for x in r.sent]
        lines += [f"{verb}: reminder {x['id']} for {x['invoice_number']} to {x['to']}"
                  + (f" ({x['reason']})" if x.get("reason") else "") for x in r.queued]
        lines += [f"skipped: reminder {x['id']} for {x['invoice_number']} ({x['reason']})" for x in r.skipped]
    else:
        lines += [f"reminder {x['id']} for {x['invoice_number']}: sent to {x['to']}" for x in r.sent]
        lines += [f"reminder {x['id']} for {x['invoice_number']}: {'would send' if dry_run else 'queued'}"
                  + (f" ({x['reason']})" if x.get("reason") else "") for x in r.queued]
        lines += [f"reminder {x['id']} for {x['invoice_number']}: skipped ({x['reason']})" for x in r.skipped]
    lines += [f"outbox email {x['email_id']}: {'sent' if x['delivered'] else 'not sent'} — {x['message']}"
              for x in r.retried]
    return lines


def add_run_due_arguments(p) -> None:
    """``run-due``'s options, also those of ``reminders run`` (its older name)."""
    p.add_argument("--as-of", metavar="DATE", help="run as if today were DATE (default: today)")
    p.add_argument("--dry-run", action="store_true", help="list what would be done; write nothing")


def run_reminders_alias(args, out) -> int:
    """``reminders run``: the whole run-due job (issue 28)."""
    args.reminders_alias = True
    return _run_due(args, out)


def _add_schedule_commands(sub) -> None:
    p = command(sub, "create", "make a recurring schedule from an invoice (a draft or an issued one) (R49)", _create)
    p.add_argument("--from", dest="from_invoice", metavar="INVOICE", required=True, help="the template invoice")
    p.add_argument("--every", metavar="N{d|w|m|y}", required=True, help="e.g. 1m (monthly), 2w, 1y, 10d")
    p.add_argument("--day", metavar="D|last", help="day of the month (31 or last: the month's last day)")
    p.add_argument("--start", metavar="DATE", required=True, help="the first period on or after this date")
    end = p.add_mutually_exclusive_group()
    end.add_argument("--end", metavar="DATE", help="no period after this date")
    end.add_argument("--count", metavar="N", type=int, help="end after N invoices")
    p.add_argument("--mode", choices=("draft", "finalize", "send"), default="draft",
                   help="leave drafts for review (default), finalize, or finalize and email")
    p = command(sub, "list", "list the schedules with their next run and last result", _list)
    add_list_json(p)
    p.add_argument("--state", choices=("active", "paused", "ended"))
    for name, help_text, handler in (("show", "show a schedule and the invoices it made", _show),
                                     ("pause", "pause a schedule (no invoice until resumed)", _pause),
                                     ("resume", "resume a paused schedule from its next period on or after today",
                                      _resume),
                                     ("delete", "delete a schedule (the invoices it made stay)", _delete)):
        p = command(sub, name, help_text, handler)
        p.add_argument("schedule", metavar="ID")


def register(subparsers) -> None:
    _add_schedule_commands(group(subparsers, "recurring", "recurring invoices: schedules made from an invoice (R49)"))
    _add_schedule_commands(group(subparsers, "schedules", "the same as 'recurring'"))

    p = subparsers.add_parser("run-due", help="the one job for cron: recurring invoices, scheduled sends, dunning, "
                                              "reminders (each exactly once)",
                              description="run what is due: recurring invoices (R49), scheduled sends (R50), dunning "
                                          "levels and late fees (R51), reminders (R33); exit 4 when emails stay "
                                          "queued because the mail server is unreachable")
    add_run_due_arguments(p)
    add_common_json(p)
    p.set_defaults(handler=_run_due)

    inv = group(subparsers, "invoices", "create, edit, finalize, clone, void, delete, show and list invoices")
    p = command(inv, "schedule-send", "email a finalized invoice on a date, through the outbox (R50)", _schedule_send)
    p.add_argument("invoice", metavar="INVOICE", help="invoice id or number")
    p.add_argument("--on", metavar="DATE", required=True, help="the day to send it (run-due sends it)")
