"""``invoice-tui backup PATH`` and ``invoice-tui copy --to postgresql://…``.

``backup`` makes a consistent copy of a live SQLite workspace (SQLite's online backup API, while
others keep writing); on PostgreSQL it refuses and points to pg_dump. ``copy`` moves a whole
workspace (ids, numbers, counter, history with its hash chain, settings, users, views, outbox,
export log) into an empty database — typically from SQLite to PostgreSQL when a team outgrows one
machine. Both need a super admin (they read every user's data and settings).
"""

from __future__ import annotations

from invoice_tui.cli._common import add_common_json, session
from invoice_tui.i18n import _


def _backup(args, out) -> int:
    from invoice_tui.domain.permissions import require
    from invoice_tui.domain.transfer import backup_sqlite

    with session(args) as (ws, ctx):
        require(ctx, "settings")
        result = backup_sqlite(ws.db, ws.url, args.path)
        out.result({"path": str(result.path), "bytes": result.bytes, "pages": result.pages},
                   _("Backup written to {path} ({size} bytes); it opens with --db sqlite:///{path}.").format(
                       path=result.path, size=f"{result.bytes:,}"))
    return 0


def _copy(args, out) -> int:
    from invoice_tui.domain import audit
    from invoice_tui.domain.permissions import require
    from invoice_tui.domain.transfer import copy_workspace

    with session(args) as (ws, ctx):
        require(ctx, "settings")
        result = copy_workspace(ws.db, args.to)
    total = sum(result.rows.values())
    lines = [_("Copied {n} rows to {target}:").format(n=f"{total:,}", target=result.target)]
    lines += [f"  {name}: {count:,}" for name, count in result.rows.items()]
    # the copy's history chain must verify as the source's did
    from invoice_tui.domain.workspace import open_workspace

    copy_ws = open_workspace(args.to)
    try:
        report = audit.verify()
    finally:
        copy_ws.db.close()
    lines.append(_("audit verify on the copy: intact") if report.ok else
                 _("audit verify on the copy: {problem}").format(problem=report.first_problem.problem))
    out.result({"target": result.target, "rows": result.rows, "audit_ok": report.ok}, "\n".join(lines))
    return 0 if report.ok else 1


def register(subparsers) -> None:
    p = subparsers.add_parser("backup", help=_("consistent copy of a live SQLite workspace"),
                              description=_("Write a consistent copy of this SQLite workspace to PATH while "
                                          "others keep working (SQLite online backup). Never overwrites a "
                                          "file. On PostgreSQL, use pg_dump. Super admin only."))
    add_common_json(p)
    p.add_argument("path", metavar=_("PATH"), help=_("the new backup file"))
    p.set_defaults(handler=_backup)
    p = subparsers.add_parser("copy", help=_("copy the whole workspace into an empty database (e.g. PostgreSQL)"),
                              description=_("Copy every table of this workspace — ids, numbers, counter, history "
                                          "and its hash chain, settings, users — into an empty database, then "
                                          "verify the copy's audit trail. Super admin only."))
    add_common_json(p)
    p.add_argument("--to", required=True, metavar="URL", help=_("target database, e.g. postgresql://me@host/invoices"))
    p.set_defaults(handler=_copy)
