"""``invoice-tui team check [--fix]`` and ``invoice-tui migrate`` — PostgreSQL team mode (R53).

``team check`` compares every role's privileges on the workspace with its rights in the app:
a role holding more (a GRANT made by hand, PUBLIC given a table, a role never added) is listed
and the command exits 1; ``--fix`` revokes the excess (and grants what is missing). The owner
and superusers stand above the app and are listed as such.
"""

from __future__ import annotations

from invoice_tui.cli._common import command, group, session, table
from invoice_tui.domain.errors import PermissionDenied, RuleRefused

_ABOVE = {"owner": "owner (stands above the app)", "superuser": "superuser (stands above the app)"}


def _report_record(r) -> dict:
    return {"role": r.role, "status": r.status, "permissions": r.permissions.split(",") if r.permissions else None,
            "excess": [str(p) for p in r.excess], "missing": [str(p) for p in r.missing]}


def _check(args, out) -> int:
    from invoice_tui.db import team
    from invoice_tui.db.models import User

    with session(args) as (ws, ctx):
        if not team.is_team(ws.db):
            raise RuleRefused("team check is for PostgreSQL workspaces; a SQLite file's own permissions are "
                              "its boundary.")
        me = team.current_role(ws.db)
        if not team.above_app(ws.db, me):
            raise PermissionDenied(f"Only the workspace's owner ({team.owner(ws.db)}) or a superuser can read every "
                                   "role's privileges; run team check as them.")
        users = {u.login: u.permissions for u in User.select(User.login, User.permissions)}
        reports = team.check(ws.db, users)
        fixed: list[str] = []
        if args.fix:
            with ws.db.atomic():
                fixed = team.fix(ws.db, reports)
            reports_after = team.check(ws.db, users)
        failing = [r for r in (reports_after if args.fix else reports) if r.status in ("excess", "not a user")]
        recs = [_report_record(r) for r in reports]

        def text() -> str:
            rows = []
            for r in reports:
                detail = "; ".join(str(p) for p in r.excess) if r.excess else \
                    ("lacks " + "; ".join(str(p) for p in r.missing) if r.missing else "")
                rows.append((r.role, _ABOVE.get(r.status, r.status), r.permissions or "", detail))
            lines = [table(("Role", "Status", "Rights", "Excess privileges"), rows)]
            if args.fix:
                lines.append(f"Fixed: {len(fixed)} statement(s) run." if fixed else "Nothing to fix.")
            elif any(r.status in ("excess", "not a user", "missing") for r in reports):
                lines.append("Run invoice-tui team check --fix to revoke the excess and grant what is missing.")
            return "\n".join(lines)

        out.result({"roles": recs, "fixed": fixed}, text)
    return 1 if failing else 0


def _migrate(args, out) -> int:
    """Opening the workspace migrates it when the role may (the owner); report the schema state."""
    from invoice_tui.db.migrate import pending

    with session(args) as (ws, _ctx):
        left = pending(ws.db)
        out.result({"pending": left}, lambda: "The workspace schema is up to date." if not left
                   else "Still pending: " + ", ".join(left))
    return 0


def register(subparsers) -> None:
    sub = group(subparsers, "team", "PostgreSQL team mode: roles and their privileges (R53)")
    p = command(sub, "check", "list roles whose database privileges exceed their rights in the app (exit 1)",
                _check)
    p.add_argument("--fix", action="store_true", help="revoke the excess privileges (and grant missing ones)")
    command(subparsers, "migrate", "bring the workspace's schema up to date (the owner, in team mode)", _migrate)
