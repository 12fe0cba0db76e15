"""``invoice-tui team check [--fix]`` and ``invoice-tui migrate`` — PostgreSQL team mode (R53).

``team check`` compares every role's privileges on the workspace with its rights in the app:
a role holding more (a GRANT made by hand, PUBLIC given a table, a role never added) is listed
and the command exits 1; ``--fix`` revokes the excess (and grants what is missing). The owner
and superusers stand above the app and are listed as such.
"""

from __future__ import annotations

from invoice_tui.cli._common import command, group, session, table
from invoice_tui.domain.errors import PermissionDenied, RuleRefused
from invoice_tui.i18n import N_, _, ngettext

_ABOVE = {"owner": N_("owner (stands above the app)"), "superuser": N_("superuser (stands above the app)")}


def _report_record(r) -> dict:
    return {"role": r.role, "status": r.status, "permissions": r.permissions.split(",") if r.permissions else None,
            "excess": [str(p) for p in r.excess], "missing": [str(p) for p in r.missing]}


def _check(args, out) -> int:
    from invoice_tui.db import team
    from invoice_tui.db.models import User

    with session(args) as (ws, ctx):
        if not team.is_team(ws.db):
            raise RuleRefused(_("team check is for PostgreSQL workspaces; a SQLite file's own permissions are its "
                                "boundary."))
        me = team.current_role(ws.db)
        if not team.above_app(ws.db, me):
            raise PermissionDenied(_("Only the workspace's owner ({owner}) or a superuser can read every role's "
                                     "privileges; run team check as them.").format(owner=team.owner(ws.db)))
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
                    (_("lacks {privileges}").format(privileges="; ".join(str(p) for p in r.missing))
                     if r.missing else "")
                rows.append((r.role, _(_ABOVE[r.status]) if r.status in _ABOVE else r.status, r.permissions or "", detail))
            lines = [table((_("Role"), _("Status"), _("Rights"), _("Excess privileges")), rows)]
            if args.fix:
                lines.append(ngettext("Fixed: {n} statement run.", "Fixed: {n} statements run.", len(fixed)).format(
                    n=len(fixed)) if fixed else _("Nothing to fix."))
            elif any(r.status in ("excess", "not a user", "missing") for r in reports):
                lines.append(_("Run invoice-tui team check --fix to revoke the excess and grant what is missing."))
            return "\n".join(lines)

        out.result({"roles": recs, "fixed": fixed}, text)
    return 1 if failing else 0


def _migrate(args, out) -> int:
    """Opening the workspace migrates it when the role may (the owner); report the schema state."""
    from invoice_tui.db.migrate import pending

    with session(args) as (ws, _ctx):
        left = pending(ws.db)
        done = _("Applied {migrations}.").format(migrations=", ".join(ws.migrated)) + " " if ws.migrated else ""
        out.result({"applied": ws.migrated, "pending": left},
                   lambda: done + (_("The workspace schema is up to date.") if not left else
                                   _("Still pending: {migrations}").format(migrations=", ".join(left))))
    return 0


def _keys_path(args):
    from pathlib import Path

    from invoice_tui.team_ssh import default_path

    return Path(args.authorized_keys) if args.authorized_keys else default_path()


def _key_record(e) -> dict:
    return {"login": e.login, "type": e.key_type, "fingerprint": e.fingerprint}


def _add_key(args, out) -> int:
    from pathlib import Path

    from invoice_tui.domain.errors import BadInput
    from invoice_tui.team_ssh import add_key

    try:
        text = Path(args.keyfile).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(_("Cannot read the key file {path}: {error}.").format(
            path=args.keyfile, error=getattr(exc, "strerror", None) or exc), field="keyfile") from None
    service = [w for opt, v in (("--config", args.config), ("--db", args.db)) if v for w in (opt, v)]
    path = _keys_path(args)
    e = add_key(path, args.login, text, args.keyfile, service)
    out.result(_key_record(e), lambda: _("{login} may now open the app over SSH with key {fingerprint} (in {path}).")
               .format(login=e.login, fingerprint=e.fingerprint, path=path) + " " + _service_grant(args, e.login))


def _service_grant(args, login: str) -> str:
    """Whether the service's database role may already act as ``login``, or the GRANT to run."""
    from pathlib import Path

    from urllib.parse import urlparse

    from invoice_tui.config import load_config
    from invoice_tui.db import open_database
    from invoice_tui.db.team import may_act_as, quote
    from invoice_tui.domain.errors import InvoiceTuiError

    url = args.db or load_config(Path(args.config) if args.config else None).db
    service, may = urlparse(url).username or "", None
    if urlparse(url).scheme in ("postgres", "postgresql"):
        try:
            db = open_database(url)
        except InvoiceTuiError:
            pass  # the server cannot be asked now: say what must hold
        else:
            try:
                may = may_act_as(db, login)
            finally:
                db.close()
    if may:
        return _("The service's role {service} may act as {login}.").format(service=service, login=login)
    grant = f"GRANT {quote(login)} TO {quote(service or 'SERVICE_ROLE')}"
    if may is None:
        return _("The service's role must be allowed to act as {login}; the workspace's owner runs in psql: "
                 "{grant}").format(login=login, grant=grant)
    return _("Before {login} can connect, the workspace's owner must run in psql: {grant}").format(login=login,
                                                                                                    grant=grant)
    return 0


def _remove_key(args, out) -> int:
    from invoice_tui.team_ssh import remove_key

    path = _keys_path(args)
    gone = remove_key(path, args.login)
    out.result([_key_record(e) for e in gone], lambda: ngettext("Removed {n} key of {login} from {path}.",
                                                                "Removed {n} keys of {login} from {path}.",
                                                                len(gone)).format(n=len(gone), login=args.login,
                                                                                  path=path))
    return 0


def _keys(args, out) -> int:
    from invoice_tui.team_ssh import read_entries

    path = _keys_path(args)
    recs = [_key_record(e) for e in read_entries(path)[1]]
    out.result(recs, lambda: table((_("Login"), _("Type"), _("Fingerprint")), [(r["login"], r["type"], r["fingerprint"])
                                                                      for r in recs]) if recs
               else _("No teammate keys in {path}; add one with: invoice-tui team add-key LOGIN KEYFILE").format(
                   path=path))
    return 0


def register(subparsers) -> None:
    sub = group(subparsers, "team", _("PostgreSQL team mode: roles and their privileges (R53)"))
    p = command(sub, "check", _("list roles whose database privileges exceed their rights in the app (exit 1)"),
                _check)
    p.add_argument("--fix", action="store_true", help=_("revoke the excess privileges (and grant missing ones)"))
    keys_help = _("the service account's authorized_keys (default ~/.ssh/authorized_keys)")
    p = command(sub, "add-key", _("let LOGIN open the app over SSH with the public key in KEYFILE"), _add_key)
    p.add_argument("login", metavar=_("LOGIN"))
    p.add_argument("keyfile", metavar="KEYFILE")
    p.add_argument("--authorized-keys", metavar=_("PATH"), help=keys_help)
    p = command(sub, "remove-key", _("remove LOGIN's SSH keys"), _remove_key)
    p.add_argument("login", metavar=_("LOGIN"))
    p.add_argument("--authorized-keys", metavar=_("PATH"), help=keys_help)
    p = command(sub, "keys", _("list the teammates' SSH keys"), _keys)
    p.add_argument("--authorized-keys", metavar=_("PATH"), help=keys_help)
    command(subparsers, "migrate", _("bring the workspace's schema up to date (the owner, in team mode)"), _migrate)
