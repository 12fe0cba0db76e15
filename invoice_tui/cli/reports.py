"""``invoice-tui reports aging|revenue|top|dso|statement|journal`` (issue 27; ``report`` is the same
group), and ``invoice-tui statement`` / ``invoice-tui journal`` as the issue names them.

Amounts in ``--json`` are decimal strings; a date is YYYY-MM-DD, ``today`` or ``today-30``. A bad
date or period is one sentence on stderr and exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from invoice_tui.cli._common import CliParser, add_common_json, command, parse_date, session, table
from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import _, ngettext, pgettext


def _day(args, ctx, name: str):
    text = getattr(args, "from_" if name == "from" else name.replace("-", "_"), None)
    return parse_date(text, ctx, f"--{name}") if text else None


def _fmt(minor: int, currency: str) -> str:
    from invoice_tui.domain.money import format_minor

    return format_minor(minor, currency)


def _bucket(key: str) -> str:
    """An aging bucket's column header in the reader's language (the domain's labels are English)."""
    from invoice_tui.domain import reports

    return _("Current") if key == "current" else reports.BUCKET_LABELS[key]


def _movement(kind: str) -> str:
    from invoice_tui.domain import reports

    return {"invoice": _("Invoice"), "credit_note": _("Credit note"), "payment": _("Payment"), "refund": _("Refund"),
            "credit_applied": _("Credit applied")}.get(kind) or reports.MOVEMENT_LABELS[kind]


def _aging(args, out) -> int:
    from invoice_tui.domain import reports

    with session(args) as (_ws, ctx):
        as_of = _day(args, ctx, "as-of") or ctx.today()
        rows = reports.aging(ctx, as_of)
        body = [(r.currency, *(_fmt(r.buckets[b], r.currency) for b in reports.BUCKETS), _fmt(r.total, r.currency))
                for r in rows]
        out.result([r.record() for r in rows], lambda: _("Aging as of {date}").format(date=as_of.isoformat()) + "\n"
                   + (table((_("Currency"), *(_bucket(b) for b in reports.BUCKETS), _("Total")), body,
                            right=range(1, 7)) if body else _("Nothing is open.")))
    return 0


def _revenue(args, out) -> int:
    from invoice_tui.domain import reports

    with session(args) as (_ws, ctx):
        rows = reports.revenue(ctx, _day(args, ctx, "from"), _day(args, ctx, "to"))
        body = [(r.month, r.currency, _fmt(r.billed_minor, r.currency), _fmt(r.net_minor, r.currency),
                 _fmt(r.tax_minor, r.currency), _fmt(r.collected_minor, r.currency)) for r in rows]
        out.result([r.record() for r in rows], lambda: table(
            (_("Month"), _("Currency"), _("Billed"), _("Net"), _("Tax"), _("Collected")), body, right=(2, 3, 4, 5))
            if body else _("Nothing billed or collected in the period."))
    return 0


def _top(args, out) -> int:
    from invoice_tui.domain import reports

    with session(args) as (_ws, ctx):
        rows = reports.top_customers(ctx, args.by, args.limit, _day(args, ctx, "from"), _day(args, ctx, "to"))
        rank: dict[str, int] = {}
        body = []
        for r in rows:  # ranked within each currency
            rank[r.currency] = rank.get(r.currency, 0) + 1
            body.append((rank[r.currency], r.name, r.currency, _fmt(r.billed_minor, r.currency),
                         _fmt(r.balance_minor, r.currency)))
        out.result([r.record() for r in rows], lambda: table(
            ("#", _("Customer"), _("Currency"), _("Billed"), _("Balance")), body, right=(0, 3, 4)) if body
            else _("No customers."))
    return 0


def _dso(args, out) -> int:
    from invoice_tui.domain import reports

    with session(args) as (_ws, ctx):
        rows = reports.dso(ctx, _day(args, ctx, "from"), _day(args, ctx, "to"))
        body = [(r.currency, r.start.isoformat(), r.end.isoformat(), r.days, _fmt(r.receivables_minor, r.currency),
                 _fmt(r.billed_minor, r.currency),
                 "—" if r.dso is None else _("{n} days").format(n=r.dso)) for r in rows]  # a decimal count
        out.result([r.record() for r in rows], lambda: _(
            "DSO = receivables at the period's end ÷ billed over the period × days in the period") + "\n" + (table(
                (_("Currency"), pgettext("period", "From"), pgettext("period", "To"), _("Days"), _("Receivables"), _("Billed"), _("DSO")), body,
                right=(3, 4, 5, 6)) if body else _("Nothing billed in the period.")))
    return 0


def _statement(args, out) -> int:
    from invoice_tui.domain import credit, reports

    if bool(args.contact) == bool(args.company):
        raise BadInput(_("statement needs --contact EMAIL or --company NAME (one of them)."), field="customer")
    with session(args) as (_ws, ctx):
        who = credit.customer_by(contact=args.contact, company=args.company)
        as_of = _day(args, ctx, "as-of") or ctx.today()
        sts = reports.statement(ctx, who, as_of, _day(args, ctx, "from"))
        rec = {"statements": [s.record() for s in sts]}
        if args.pdf:
            from invoice_tui.documents.pdf import statement_pdf

            rec["pdf"] = str(statement_pdf(sts, Path(args.pdf)))
        if args.send:
            from invoice_tui.mail.outbox import Delivery, email_record
            from invoice_tui.mail.statements import send_statement
            from invoice_tui.mail.transport import transport_for

            res = send_statement(ctx, sts, to=args.to, customer=who, from_addr=args.from_addr,
                                 transport=transport_for(ctx))
            if not res.delivered:
                from invoice_tui.cli.sending import _delivery_exit

                return _delivery_exit(out, Delivery(res.email, res.delivered, res.message),
                                      _("Statement email to {to}").format(to=res.email.to_addrs))
            rec["email"] = email_record(res.email)

        def text() -> str:
            parts = []
            for s in sts:
                c = s.currency
                body = [(s.start.isoformat(), _("Opening balance"), "", "", _fmt(s.opening_minor, c))]
                body += [(m.day.isoformat(), _movement(m.kind), m.reference,
                          _fmt(m.amount_minor, c) if m.kind != "credit_applied" else f"({_fmt(m.shown_minor, c)})",
                          _fmt(m.balance_minor, c)) for m in s.movements]
                body.append((s.as_of.isoformat(), _("Closing balance"), "", "", _fmt(s.closing_minor, c)))
                parts.append(_("Statement of account: {customer} ({currency})").format(customer=s.customer_label,
                                                                                     currency=c) + "\n"
                             + table((_("Date"), _("Document"), _("Reference"), _("Amount"), _("Balance")), body,
                                     right=(3, 4)))
                parts.append(table([_bucket(b) for b in reports.BUCKETS] + [_("Total")],
                                   [[_fmt(s.aging.buckets[b], c) for b in reports.BUCKETS] + [_fmt(s.aging.total, c)]],
                                   right=range(6)))
            if "pdf" in rec:
                parts.append(_("Wrote {path}").format(path=rec["pdf"]))
            if "email" in rec:
                parts.append(_("Statement email to {to} accepted by the mail server.").format(to=rec["email"]["to"]))
            return "\n\n".join(parts) if parts else _("No movements.")

        out.result(rec, text)
    return 0


def _journal(args, out) -> int:
    from invoice_tui.domain import reports

    with session(args) as (_ws, ctx):
        start, end = _day(args, ctx, "from"), _day(args, ctx, "to")
        if start is None or end is None:
            raise BadInput(_("journal needs --from DATE and --to DATE."), field="from")
        reports.check_period(start, end)
        path, n = write_journal(ctx, start, end, args.format, Path(args.out))
        out.result({"path": str(path), "rows": n}, ngettext("Wrote {path} ({n} row).", "Wrote {path} ({n} rows).", n)
                   .format(path=path, n=n))
    return 0


def write_journal(ctx, start, end, fmt: str, target: Path) -> tuple[Path, int]:
    """The sales journal through the export's writers (CSV: decimal strings; XLSX: typed cells)."""
    from invoice_tui.domain import reports
    from invoice_tui.exports.columns import DATE, MONEY, NUMBER, TEXT, neutralise
    from invoice_tui.exports.writers import CsvSink, XlsxSink
    from invoice_tui.domain.money import exponent
    from invoice_tui.team_ssh import refuse_files

    refuse_files("writing a journal")
    if target.is_dir():
        target = target / f"sales-journal-{start.isoformat()}-{end.isoformat()}.{fmt}"
    if target.parent and not target.parent.is_dir():
        raise BadInput(_("The folder {folder} does not exist; check --out.").format(folder=target.parent), field="out")
    kinds = [TEXT, DATE, TEXT, TEXT, TEXT, TEXT, NUMBER, MONEY, MONEY, MONEY, TEXT]
    headers = list(reports.JOURNAL_HEADERS)
    if fmt == "csv":
        sink = CsvSink(target, headers, [TEXT if k != NUMBER else NUMBER for k in kinds])
    else:
        sink = XlsxSink(target, headers, kinds, sheet_name="Sales journal", currency_index=10, exponent_index=11)
    n = 0
    try:
        batch: list[tuple] = []
        for r in reports.journal(ctx, start, end):
            rec = reports.journal_record(r)
            if fmt == "csv":
                row = (neutralise(r.number), rec["date"], r.doc_type, neutralise(r.customer), neutralise(r.vat_id),
                       r.category, rec["rate"], rec["basis"], rec["tax"], rec["total"], r.currency)
            else:
                e = exponent(r.currency)
                serial = (r.day - __import__("datetime").date(1899, 12, 30)).days
                row = (neutralise(r.number), serial, r.doc_type, neutralise(r.customer), neutralise(r.vat_id),
                       r.category, float(r.rate), int(r.basis.scaleb(e)), int(r.tax.scaleb(e)),
                       int(r.total.scaleb(e)), r.currency, e)
            batch.append(row)
            if len(batch) >= 1000:
                sink.write(batch, None, len(headers))
                n += len(batch)
                batch = []
        if batch:
            sink.write(batch, None, len(headers))
            n += len(batch)
        path = sink.finish()
    except BaseException:
        sink.abort()
        raise
    return path, n


def _period(p, *, required: bool = False) -> None:
    p.add_argument("--from", dest="from_", metavar=_("DATE"), required=required, help=_("first day (YYYY-MM-DD, today-30)"))
    p.add_argument("--to", metavar=_("DATE"), required=required, help=_("last day"))


def _statement_args(p) -> None:
    who = p.add_mutually_exclusive_group()
    who.add_argument("--contact", metavar="EMAIL", help=_("a contact without a company (R40: the customer)"))
    who.add_argument("--company", metavar=_("NAME"), help=_("a company"))
    p.add_argument("--as-of", metavar=_("DATE"), help=_("the statement's date (default today)"))
    p.add_argument("--from", dest="from_", metavar=_("DATE"), help=_("opening balance at this date (default 1 January)"))
    p.add_argument("--pdf", metavar=_("PATH"), help=_("also write the statement as a PDF"))
    p.add_argument("--send", action="store_true", help=_("email the statement (PDF attached) through the outbox"))
    p.add_argument("--to", metavar="EMAIL", help=_("with --send: this address (default: the customer's contact)"))
    p.add_argument("--from-address", dest="from_addr", metavar="EMAIL", help=_("with --send: the sender"))


def _journal_args(p) -> None:
    _period(p, required=True)
    p.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    p.add_argument("--out", metavar=_("PATH"), required=True, help=_("file or folder to write"))


def register(subparsers) -> None:
    help_text = _("reports: aging, revenue, top customers, DSO, statements of account, sales journal (issue 27)")
    parser = subparsers.add_parser("reports", aliases=["report"], help=help_text, description=help_text)
    add_common_json(parser)
    sub = parser.add_subparsers(dest="action", metavar=_("<action>"), parser_class=CliParser)

    def need_action(args, out) -> int:
        raise BadInput("reports needs an action: aging, revenue, top, dso, statement or journal (see: invoice-tui "
                       "reports --help)")

    parser.set_defaults(handler=need_action)

    p = command(sub, "aging", _("open balances per currency by days past due, as of a date"), _aging)
    p.add_argument("--as-of", metavar=_("DATE"), help=_("default today; a past date counts the records dated up to it"))

    p = command(sub, "revenue", _("billed (net, tax) and collected per month and currency"), _revenue)
    _period(p)

    p = command(sub, "top", _("top customers by billed or by open balance"), _top, aliases=["customers"])
    p.add_argument("--by", choices=("billed", "balance"), default="billed")
    p.add_argument("--limit", type=int, default=10, metavar="N")
    _period(p)

    p = command(sub, "dso", _("days sales outstanding per currency over a period"), _dso)
    _period(p)

    p = command(sub, "statement", _("a customer's statement of account (running balance, aging)"), _statement)
    _statement_args(p)

    p = command(sub, "journal", _("the sales journal: one row per document and VAT group (CSV, XLSX)"), _journal)
    _journal_args(p)

    p = command(subparsers, "statement", _("a customer's statement of account (same as: reports statement)"),
                _statement)
    _statement_args(p)
    p = command(subparsers, "journal", _("the sales journal as CSV or XLSX (same as: reports journal)"), _journal)
    _journal_args(p)
