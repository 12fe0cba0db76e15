"""Invoices that run themselves (issue 28; R49–R51).

    invoice-tui recurring create --from INVOICE --every N{d|w|m|y} [--day D|last] --start DATE
                                 [--end DATE | --count N] [--mode draft|finalize|send]
    invoice-tui recurring list | show ID | pause ID | resume ID | delete ID   (also: schedules …)
    invoice-tui run-due [--as-of DATE] [--dry-run]      (the one job for cron)
    invoice-tui invoices schedule-send INVOICE --on DATE
"""

from __future__ import annotations

from invoice_tui.cli._common import add_common_json, add_list_json, command, group, pairs, parse_date, print_records, session, table
from invoice_tui.cli._common import status_word, wants_records
from invoice_tui.domain.errors import EnvironmentFailure
from invoice_tui.i18n import N_, _, ngettext


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
        out.result(rec, _("Schedule #{id}: {template} {rule}, {mode}; next run {next_run}.").format(
            id=s.id, template=rec["template"], rule=rec["rule"], mode=s.mode, next_run=rec["next_run"]))
    return 0


def _rows(items):
    return [[r["id"], r["template"] or _("#{id} (deleted)").format(id=r["template_id"]), r["customer"][:20],
             r["rule"][:30],
             r["mode"], r["state"], r["next_run"] or r["paused_next_run"] or "", r["issued"], r["last_result"][:40]]
            for r in items]


HEADERS = [N_("ID"), N_("From"), N_("Customer"), N_("Every"), N_("Mode"), N_("State"), N_("Next run"), N_("Made"),
           N_("Last result")]


def _list(args, out) -> int:
    from invoice_tui.domain import recurring
    from invoice_tui.domain.permissions import require

    with session(args) as (_ws, ctx):
        require(ctx, "view")
        items = [recurring.schedule_record(s) for s in recurring.list_schedules(args.state)]
        if wants_records(args, out):
            print_records(args, out, items)
            return 0
        out.result(items, lambda: table([_(h) for h in HEADERS], _rows(items), right=[0, 7]) if items else
                   _("No schedule yet; make one with: invoice-tui recurring create --from INVOICE --every 1m "
                     "--start DATE"))
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
                         "invoice": (inv.number or _("draft #{id}").format(id=inv.id)) if inv else None,
                         "status": inv.status if inv else "deleted"})
        rec["runs"] = runs

        def text() -> str:
            head = pairs([(_("Schedule"), f"#{s.id}"), (_("From"), rec["template"]), (_("Customer"), rec["customer"]),
                          (_("Every"), rec["rule"]), (_("Start"), rec["start"]), (_("Mode"), rec["mode"]),
                          (_("State"), rec["state"]), (_("Next run"), rec["next_run"] or rec["paused_next_run"]),
                          (_("Made"), str(rec["issued"])), (_("Last result"), rec["last_result"])])
            if not runs:
                return head
            return head + "\n\n" + table([_("Period"), _("Invoice"), _("Status")],
                                         [[r["period"], r["invoice"] or "", status_word(r["status"])] for r in runs])

        out.result(rec, text)
    return 0


def _pause(args, out) -> int:
    from invoice_tui.domain import recurring

    with session(args) as (_ws, ctx):
        s = recurring.pause_schedule(ctx, args.schedule)
        out.result(recurring.schedule_record(s), _("Schedule #{id} paused.").format(id=s.id))
    return 0


def _resume(args, out) -> int:
    from invoice_tui.domain import recurring

    with session(args) as (_ws, ctx):
        s = recurring.resume_schedule(ctx, args.schedule)
        rec = recurring.schedule_record(s)
        out.result(rec, _("Schedule #{id} resumed; next run {next_run}.").format(id=s.id, next_run=rec["next_run"])
                   if s.state == "active" else _("Schedule #{id} has no period left; it ended.").format(id=s.id))
    return 0


def _delete(args, out) -> int:
    from invoice_tui.domain import recurring

    with session(args) as (_ws, ctx):
        sid = recurring.delete_schedule(ctx, args.schedule)
        out.result({"id": sid, "deleted": True}, _("Schedule #{id} deleted; the invoices it made stay.").format(id=sid))
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
                   (_("{invoice} will be emailed to {to} on {date} (by invoice-tui run-due).") if inv.contact_email
                    else _("{invoice} will be emailed to its billing contact on {date} (by invoice-tui run-due)."))
                   .format(invoice=inv.number, to=inv.contact_email, date=on.isoformat()))
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
            day = ctx.today().isoformat()
            lines = [_("run-due as of {date} (dry run: nothing written)").format(date=day) if res.dry_run
                     else _("run-due as of {date}").format(date=day)]
            for p in res.schedules:
                made = p["number"] or (_("draft #{id}").format(id=p["invoice_id"]) if p["invoice_id"]
                                       else _("an invoice ({status})").format(status=status_word(p["status"])))
                line = (_("schedule #{id}: would make {invoice} for {period}") if res.dry_run
                        else _("schedule #{id}: made {invoice} for {period}")).format(
                    id=p["schedule_id"], invoice=made, period=p["period"])
                lines.append(line + (" " + _("(email planned)") if p["send_planned"] else "")
                             + (f" — {p['note']}" if p["note"] else ""))
            for s in res.sends:
                lines.append(_("send {invoice} to {to}: {result}").format(invoice=s["invoice_number"], to=s["to"],
                                                                           result=s.get("result")))
            for d in res.dunning:
                fees = ", ".join(x for x in (d["interest"] and _("interest {amount}").format(amount=d["interest"]),
                                              d["indemnity"] and _("indemnity {amount}").format(amount=d["indemnity"]))
                                 if x)
                lines.append(ngettext("dunning {invoice} level {level} ({tone}, {days} day overdue): {result}",
                                      "dunning {invoice} level {level} ({tone}, {days} days overdue): {result}",
                                      d["days_overdue"]).format(invoice=d["invoice_number"], level=d["level"],
                                                                tone=d["tone"], days=d["days_overdue"],
                                                                result=d["result"])
                             + (_("; fees {fees}").format(fees=fees) if fees else "")
                             + (f" — {d['fee_invoice']}" if d.get("fee_invoice") else ""))
            lines += _reminder_lines(res.reminders, res.dry_run, older_words=alias)
            if len(lines) == 1:
                lines.append(_("Nothing is due."))
            return "\n".join(lines)

        out.result(data, text)
        for error in res.errors:
            out.note(_("invoice-tui: not done: {error}").format(error=error))
        if res.errors:
            return 1
        if not res.dry_run and res.queued:
            out.note(_("invoice-tui: {n} email(s) wait in the outbox (the mail server did not take them); the next "
                       "run retries them.").format(n=res.queued))
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
    else:  # the reader's language
        lines += [_("reminder {id} for {invoice}: sent to {to}").format(id=x["id"], invoice=x["invoice_number"],
                                                                         to=x["to"]) for x in r.sent]
        queued = _("reminder {id} for {invoice}: would send") if dry_run else _("reminder {id} for {invoice}: queued")
        lines += [queued.format(id=x["id"], invoice=x["invoice_number"])
                  + (f" ({x['reason']})" if x.get("reason") else "") for x in r.queued]
        lines += [_("reminder {id} for {invoice}: skipped ({reason})").format(
            id=x["id"], invoice=x["invoice_number"], reason=x["reason"]) for x in r.skipped]
    lines += [(_("outbox email {id}: sent — {reply}") if x["delivered"] else
               _("outbox email {id}: not sent — {reply}")).format(id=x["email_id"], reply=x["message"])
              for x in r.retried]
    return lines


def add_run_due_arguments(p) -> None:
    """``run-due``'s options, also those of ``reminders run`` (its older name)."""
    p.add_argument("--as-of", metavar=_("DATE"), help=_("run as if today were DATE (default: today)"))
    p.add_argument("--dry-run", action="store_true", help=_("list what would be done; write nothing"))


def run_reminders_alias(args, out) -> int:
    """``reminders run``: the whole run-due job (issue 28)."""
    args.reminders_alias = True
    return _run_due(args, out)


def _add_schedule_commands(sub) -> None:
    p = command(sub, "create", _("make a recurring schedule from an invoice (a draft or an issued one) (R49)"), _create)
    p.add_argument("--from", dest="from_invoice", metavar=_("INVOICE"), required=True, help=_("the template invoice"))
    p.add_argument("--every", metavar="N{d|w|m|y}", required=True, help=_("e.g. 1m (monthly), 2w, 1y, 10d"))
    p.add_argument("--day", metavar="D|last", help=_("day of the month (31 or last: the month's last day)"))
    p.add_argument("--start", metavar=_("DATE"), required=True, help=_("the first period on or after this date"))
    end = p.add_mutually_exclusive_group()
    end.add_argument("--end", metavar=_("DATE"), help=_("no period after this date"))
    end.add_argument("--count", metavar="N", type=int, help=_("end after N invoices"))
    p.add_argument("--mode", choices=("draft", "finalize", "send"), default="draft",
                   help=_("leave drafts for review (default), finalize, or finalize and email"))
    p = command(sub, "list", _("list the schedules with their next run and last result"), _list)
    add_list_json(p)
    p.add_argument("--state", choices=("active", "paused", "ended"))
    for name, help_text, handler in (("show", _("show a schedule and the invoices it made"), _show),
                                     ("pause", _("pause a schedule (no invoice until resumed)"), _pause),
                                     ("resume", _("resume a paused schedule from its next period on or after today"),
                                      _resume),
                                     ("delete", _("delete a schedule (the invoices it made stay)"), _delete)):
        p = command(sub, name, help_text, handler)
        p.add_argument("schedule", metavar=_("ID"))


def register(subparsers) -> None:
    _add_schedule_commands(group(subparsers, "recurring", _("recurring invoices: schedules made from an invoice (R49)")))
    _add_schedule_commands(group(subparsers, "schedules", _("the same as 'recurring'")))

    p = subparsers.add_parser("run-due", help=_("the one job for cron: recurring invoices, scheduled sends, dunning, "
                                              "reminders (each exactly once)"),
                              description=_("run what is due: recurring invoices (R49), scheduled sends (R50), dunning "
                                          "levels and late fees (R51), reminders (R33); exit 4 when emails stay "
                                          "queued because the mail server is unreachable"))
    add_run_due_arguments(p)
    add_common_json(p)
    p.set_defaults(handler=_run_due)

    inv = group(subparsers, "invoices", _("create, edit, finalize, clone, void, delete, show and list invoices"))
    p = command(inv, "schedule-send", _("email a finalized invoice on a date, through the outbox (R50)"), _schedule_send)
    p.add_argument("invoice", metavar=_("INVOICE"), help=_("invoice id or number"))
    p.add_argument("--on", metavar=_("DATE"), required=True, help=_("the day to send it (run-due sends it)"))
