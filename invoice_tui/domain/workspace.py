"""Opening a workspace: connect, migrate, seed, and resolve who is acting (R17)."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import dataclass, field
from typing import Callable

import peewee

from invoice_tui.db import bind, is_postgres, open_database
from invoice_tui.db.changes import Change, ChangeFeed
from invoice_tui.db.migrate import migrate, pending, report
from invoice_tui.db.models import ChainHead, Counter, Invoice, User
from invoice_tui.domain import history
from invoice_tui.domain.context import Context, Services, _utcnow
from invoice_tui.domain.errors import EnvironmentFailure, PermissionDenied, RuleRefused
from invoice_tui.domain.permissions import require
from invoice_tui.domain.settings import (NUMBER_COUNTER, STRICT_REASON, canonical_key, coerce_setting, load_settings,
                                         store_setting)
from invoice_tui.domain.tx import mutation
from invoice_tui.i18n import _


def os_login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - containers without a passwd entry
        return os.environ.get("USER", "user")


def resolve_login(cli_user: str | None = None) -> str:
    """``--user``, else ``INVOICE_TUI_USER``, else the OS login."""
    return cli_user or os.environ.get("INVOICE_TUI_USER") or os_login()


def database_role(db: peewee.Database) -> str | None:
    """The PostgreSQL role this session connects as (``SELECT current_user``); None on SQLite."""
    if not isinstance(db, peewee.PostgresqlDatabase):
        return None
    return db.execute_sql("SELECT current_user").fetchone()[0]


def acting_login(ws: "Workspace", requested: str | None = None) -> str:
    """Who acts (issue 8). Personal mode (SQLite): ``--user``, else ``INVOICE_TUI_USER``, else the OS
    login — the file's permissions are the boundary, R17 guards against mistakes.

    Team mode (PostgreSQL): the database role is the identity, mapped to the workspace user of that
    login (the first user of a new workspace is that role). ``--user``/``INVOICE_TUI_USER`` naming
    someone else is refused unless the role is a super admin of the workspace — or a PostgreSQL
    superuser, who can change any row directly anyway (tests and maintenance connect as one).
    """
    role = database_role(ws.db)
    requested = requested or os.environ.get("INVOICE_TUI_USER") or None
    if role is None:
        return resolve_login(requested)
    if not requested or requested == role:
        return role
    superuser = ws.db.execute_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if superuser and superuser[0]:
        return requested
    ctx = ws.context(role)  # creates the role's user when the workspace has none yet
    if ctx.user is not None and "super_admin" in ctx.permissions:
        return requested
    raise PermissionDenied(
        _("In team mode (PostgreSQL) you act as your database role '{role}'; --user or INVOICE_TUI_USER "
          "('{requested}') may name another user only for a super admin. Connect as that user's own database role "
          "instead.").format(role=role, requested=requested))


def seed(db: peewee.Database) -> None:
    """Rows every workspace has (idempotent). A seeded workspace is opened without writing: an
    ``INSERT OR IGNORE`` in a deferred transaction failed with "database is locked" whenever
    another process wrote meanwhile (8 processes opening one workspace at once, issue 7)."""
    heads = {name for (name,) in ChainHead.select(ChainHead.name).tuples()}
    if Counter.select().where(Counter.name == NUMBER_COUNTER).exists() and heads >= set(history.CHAINS):
        return
    with db.atomic("IMMEDIATE") if isinstance(db, peewee.SqliteDatabase) else db.atomic():
        if not Counter.select().where(Counter.name == NUMBER_COUNTER).exists():
            Counter.insert(name=NUMBER_COUNTER, value=1001).on_conflict_ignore().execute()
        for name in history.CHAINS:
            ChainHead.insert(name=name, hash=history.GENESIS, count=0).on_conflict_ignore().execute()


@dataclass
class Workspace:
    db: peewee.Database
    url: str
    migrated: list[str] = field(default_factory=list)  # the migrations opening it applied

    def context(self, login: str, source: str = "cli", now: Callable[[], dt.datetime] = _utcnow,
                *, services: Services | None = None, create_first_user: bool = True) -> Context:
        ctx = Context(login=login, user=None, source=source, now=now, services=services or Services())
        ctx.timezone = load_settings().timezone
        if create_first_user and not User.select().exists():
            # only a new workspace needs the users' service (and the pydantic models it carries)
            from invoice_tui.domain.people import ensure_first_user

            ensure_first_user(ctx)
        ctx.user = User.get_or_none(User.login == login)
        return ctx

    def change_feed(self) -> ChangeFeed:
        """Follows the writes of every connection to this workspace (not started; see
        ``invoice_tui.db.changes``)."""
        return ChangeFeed(self.db)

    @staticmethod
    def refresh_context(ctx: Context) -> None:
        """A long-lived context takes up the workspace settings it carries after they changed."""
        ctx.timezone = load_settings().timezone


def open_workspace(url: str, *, notice: Callable[[str], None] | None = None) -> Workspace:
    db = open_database(url, notice=notice)
    bind(db)
    try:
        applied = _open_team(db, url) if is_postgres(db) else migrate(db)  # team mode: PostgreSQL
        _after_migrations(db, applied)
        for line in report(db, applied):
            (notice or _stderr)(line)
        seed(db)
    except peewee.OperationalError as exc:
        raise EnvironmentFailure(_("Cannot prepare the workspace: {exc}.").format(exc=exc)) from exc
    return Workspace(db, url, applied)


def _after_migrations(db: peewee.Database, applied: list[str]) -> None:
    """What a just-applied migration leaves to the domain (the data layer never imports it): after
    ``*_en16931_lines``, every stored invoice's totals are checked against the one totals
    function (R18, R35; ``domain.totals_check``)."""
    for name in applied:
        if name.endswith("_en16931_lines"):
            from invoice_tui.domain.totals_check import check_stored_totals

            check_stored_totals(db, name)


def _stderr(message: str) -> None:
    import sys

    print(message, file=sys.stderr)


def _open_team(db: peewee.Database, url: str) -> list[str]:
    """Team mode (R53): opening needs no more than the user's rights. Only the owner (or a
    superuser) migrates, then brings every user's privileges up to the new schema; anyone else is
    told who must run which command."""
    from invoice_tui.db import team  # PostgreSQL's roles and rights: a SQLite start never loads them

    role = team.current_role(db)
    if team.above_app(db, role):
        applied = migrate(db)
        if applied:
            sync_privileges(db)
        return applied
    try:
        waiting = pending(db)
    except peewee.ProgrammingError as exc:  # no SELECT on schema_migration: never added
        db.rollback()
        owner = team.owner(db)
        # a role without grants is a failure of the environment (issue 19, README exit codes: 4)
        raise EnvironmentFailure(
            _("The database role '{role}' is not a user of this workspace; its owner {owner} can add it with: "
              "invoice-tui --db {value} users add {role}").format(role=role, owner=owner, value=team.url_for(url,
                  owner)), code="workspace.no_grants") from None
    if waiting:
        owner = team.owner(db)
        raise PermissionDenied(
            _("This workspace needs a schema update ({waiting}) that only its owner can make; {owner} must run: "
              "invoice-tui --db {value} migrate").format(waiting=', '.join(waiting), owner=owner,
                  value=team.url_for(url,
                  owner)))
    return []


def sync_privileges(db: peewee.Database) -> None:
    """Give every user's role exactly its rights on the current schema (after a migration)."""
    from invoice_tui.db import team

    with db.atomic():
        for user in User.select(User.login, User.permissions):
            if team.role_exists(db, user.login):
                team.apply_rights(db, user.login, user.permissions)


def workspace_is_empty() -> bool:
    from invoice_tui.db.models import Contact, Invoice, Payment

    return not (Invoice.select().exists() or Contact.select().exists() or Payment.select().exists())


@dataclass
class SettingChange:
    key: str
    old: object
    new: object
    notes: list[str] = field(default_factory=list)  # what else happened, or is recommended (R46)


def set_setting(ctx: Context, key: str, text: str) -> tuple[object, object]:
    """Change one workspace setting (super admin); returns (old, new). See :func:`change_setting`."""
    change = change_setting(ctx, key, text)
    return change.old, change.new


@mutation
def change_setting(ctx: Context, key: str, text: str) -> SettingChange:
    """Change one workspace setting (super admin). An older name (seller_name, seller_tax_id,
    number_prefix) changes the setting it became (R43, R46).

    Strict mode (R46): it turns on with a French seller in a workspace that has issued no
    invoice (said in the notes; an older workspace is told it is recommended); once a document
    was issued under it, it cannot be turned off; while it is on, the settings that would allow
    editing or deleting issued invoices are refused."""
    require(ctx, "reset_counter" if key == "next_number" else "settings")
    value = coerce_setting(key, text)
    key = canonical_key(key)
    settings = load_settings()
    if key == "strict_mode" and value is False and settings.strict_mode and settings.strict_locked:
        raise RuleRefused(_("Strict mode cannot be turned off: documents were issued under it (R46). {strict_reason}.")
                          .format(strict_reason=_(STRICT_REASON)), code="settings.strict_locked", field=key)
    if key in ("allow_edit_finalized", "allow_delete_unpaid") and value is True and settings.strict_mode:
        raise RuleRefused(_("{key} cannot be turned on in strict mode (R46): issued invoices are never edited, "
                            "voided "
                            "or deleted. {strict_reason}; correct an invoice with a credit note.").format(key=key,
                                strict_reason=_(STRICT_REASON)),
                          code="settings.strict_mode", field=key)
    old = store_setting(key, value)
    history.record_changes(ctx, "workspace", 0, None, {key: old}, {key: value})
    change = SettingChange(key, old, value)
    if key == "seller_country" and value == "FR" and old != "FR" and not settings.strict_mode:
        issued = Invoice.select().where(Invoice.number.is_null(False)).exists()
        if not issued:
            for flag, on in (("strict_mode", True), ("allow_edit_finalized", False), ("allow_delete_unpaid", False)):
                before = store_setting(flag, on)
                if before != on:
                    history.record_changes(ctx, "workspace", 0, None, {flag: before}, {flag: on})
            change.notes.append(_("Strict mode is now on (R46): with a French seller, issued invoices are never "
                                  "edited, voided or deleted, and numbers follow one another without gaps; correct an "
                                  "invoice with a credit note."))
        else:
            change.notes.append(_("This workspace has issued invoices, so strict mode stays off; it is recommended "
                                  "for a French seller (R46): invoice-tui settings set strict_mode on."))
    if key == "strict_mode" and value is True and old is False:
        for flag in ("allow_edit_finalized", "allow_delete_unpaid"):
            if getattr(settings, flag):
                store_setting(flag, False)
                history.record_changes(ctx, "workspace", 0, None, {flag: True}, {flag: False})
                change.notes.append(_("{flag} is now off: strict mode forbids it (R46).").format(flag=flag))
    return change


def settings_record() -> dict:
    from invoice_tui.domain.settings import next_number

    data = load_settings().to_dict()
    data["next_number"] = next_number()
    return data


__all__ = ["Change", "Workspace", "open_workspace", "resolve_login", "set_setting", "settings_record", "RuleRefused"]
