"""``invoice-tui audit verify [--head H]`` and ``invoice-tui audit head`` — tamper evidence.

``verify`` walks the hash chains of property changes (R15) and activities (R16) and reports the
first broken link (exit 1). ``head`` prints the current head so it can be recorded elsewhere;
``verify --head H`` also checks that nothing recorded before H was rewritten since.
"""

from __future__ import annotations

from invoice_tui.cli._common import command, group, session
from invoice_tui.i18n import _


def _verify(args, out) -> int:
    from invoice_tui.domain import audit
    from invoice_tui.domain.permissions import require

    anchor = audit.parse_head(args.head) if args.head else None
    with session(args) as (_ws, ctx):
        require(ctx, "view")
        report = audit.verify(anchor)
        data = report.record()
        rows = {c.name: c.rows for c in report.chains}
        if report.ok:
            values = {"changes": rows["property_change"], "activities": rows["activity"], "head": data["head"]}
            out.result(data, (_("Audit trail intact: {changes} property changes and {activities} activities, and "
                                "nothing recorded before the given head was rewritten; every invoice, credit note, "
                                "payment, credit movement, contact, company, user and setting is what its history "
                                "says.\nHead: {head}") if anchor else
                              _("Audit trail intact: {changes} property changes and {activities} activities; every "
                                "invoice, credit note, payment, credit movement, contact, company, user and setting "
                                "is what its history says.\nHead: {head}")).format(**values))
            return 0
        if out.as_json:
            out.result(data)
        else:
            shown = [f"  {f.sentence()}" for f in report.findings]
            more = report.findings_total - len(report.findings)
            out.result(data, "\n".join(
                [_("{n} finding(s): rows that are not what their history says").format(n=report.findings_total)]
                + shown
                + (["  " + _("… and {more} more (--json lists the first {first})").format(
                    more=more, first=len(report.findings))] if more else []))
                if report.findings_total else None)
        bad = report.first_problem
        if bad is not None:
            out.note(_("invoice-tui: the audit trail is broken: {problem}. Restore the workspace from a backup and "
                       "find out who changed the database outside invoice-tui.").format(problem=bad.problem))
        else:
            out.note(_("invoice-tui: {n} row(s) differ from their history: they were written outside invoice-tui. "
                       "Find out who (direct writes name their role), then restore them or record the correction "
                       "through invoice-tui.").format(n=report.findings_total))
        return 1


def _head(args, out) -> int:
    from invoice_tui.domain import audit
    from invoice_tui.domain.permissions import require

    with session(args) as (_ws, ctx):
        require(ctx, "view")
        text = audit.head()
        out.result({"head": text}, text)
    return 0


def register(subparsers) -> None:
    sub = group(subparsers, "audit", _("check the tamper-evident history (hash chains)"))
    p = command(sub, "verify", _("walk the history's hash chains, replay it against every row, report what differs "
                               "(exit 1)"), _verify)
    p.add_argument("--head", metavar="H", help=_("a head printed earlier by 'audit head': also check that nothing "
                                               "recorded before it was rewritten"))
    command(sub, "head", _("print the history's current head hash, to record it elsewhere"), _head)
