"""PostgreSQL team mode (R53): each teammate's role holds exactly the privileges its R17 rights need.

The app's ``user`` table is the one source of rights. Grants (this module) give each role the
tables and columns its rights may write; the triggers and row-level policies of migration
``0005_team_rights`` narrow those grants row by row, reading the same ``user`` table
(``invoice_tui_has``). ``users add`` / ``users grant`` change the app's rights and the role's
grants in one transaction (PostgreSQL's GRANT, REVOKE and CREATE ROLE are transactional), so the
two never disagree; ``team check`` lists any role whose privileges exceed its rights.

The workspace's owner (the role owning its tables, or any member of it) and superusers stand
above the app: they run migrations and grant privileges, and are never held to rights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlparse, urlunparse

import peewee
from invoice_tui.i18n import _

CHILDREN = ("line_item", "adjustment", "invoice_contact", "invoice_company")
HISTORY = ("property_change", "activity")
AUTOMATION = ("schedule", "schedule_run", "scheduled_send", "dunning")  # R49–R51 (migration 0020)
LOCK_FUNCTION = "invoice_tui_lock_chains(text[])"

_W = ("INSERT", "UPDATE", "DELETE")

# permission → table → privileges ("UPDATE(col)" is a column privilege). "*" is every table of the
# workspace (a table added by a later migration is readable by every user and writable by none
# until it is listed here).
RIGHTS: dict[str, dict[str, tuple[str, ...]]] = {
    "view": {"*": ("SELECT",), "user": ("UPDATE(preferences)",), "saved_view": _W, "export_log": ("INSERT",)},
    "create": {"invoice": ("INSERT", "UPDATE"), **{c: ("INSERT", "DELETE") for c in CHILDREN},
               "contact": ("INSERT",), "company": ("INSERT",), **{h: ("INSERT",) for h in HISTORY},
               "import_mapping": _W},  # R52: who may import may save its column mappings
    "edit": {"invoice": ("UPDATE", "DELETE"), **{c: _W for c in CHILDREN}, "contact": _W, "company": _W,
             "payment": _W, "provider_event": _W, "reminder": _W, "outbox": _W, "counter": ("UPDATE",),
             "credit_entry": ("INSERT",), **{a: _W for a in AUTOMATION}, **{h: ("INSERT",) for h in HISTORY},
             "payment_method": ("INSERT",)},  # a card a buyer saved, recorded by serve's user (issue 26)
    # ``SELECT … FOR UPDATE`` (taken before deleting) needs UPDATE on one column; the invoice
    # trigger refuses every actual update without edit. Deleting an invoice clears the (absent)
    # payments' link: a statement on no row, refused by the payment trigger on any row.
    "delete": {"invoice": ("DELETE", "UPDATE(updated_at)"), "payment": ("UPDATE(invoice_id)",),
               **{h: ("INSERT",) for h in HISTORY}},
    # Rights themselves (``user.permissions``) change only with the owner's ``users grant``, which
    # sets the grants in the same step.
    "super_admin": {"setting": _W, "counter": _W, "payment_method": _W, "user": ("UPDATE(name)", "UPDATE(email)")},
}


@dataclass(frozen=True, order=True)
class Privilege:
    """One privilege on one object: ``kind`` is table, column, sequence, function, schema or database."""

    kind: str
    obj: str
    priv: str
    column: str = ""

    def target(self) -> str:
        name = quote(self.obj) if self.kind not in ("function",) else self.obj
        if self.kind in ("table", "column"):
            return name
        return f"{self.kind.upper()} {name}"

    def sql(self, verb: str, role: str) -> str:
        if self.kind == "role":  # an SSH service role must not inherit its teammates' privileges
            return f"ALTER ROLE {quote(role)} {'INHERIT' if verb == 'GRANT' else 'NOINHERIT'}"
        if self.kind == "membership":  # a user's role in another role: it holds that role's privileges
            return f"{verb} {quote(self.obj)} {'TO' if verb == 'GRANT' else 'FROM'} {quote(role)}"
        priv = f"{self.priv} ({quote(self.column)})" if self.column else self.priv
        word = "TO" if verb == "GRANT" else "FROM"
        return f"{verb} {priv} ON {self.target()} {word} {quote(role) if role != 'PUBLIC' else 'PUBLIC'}"

    def __str__(self) -> str:
        if self.kind == "membership":
            return f"member of role {self.obj}"
        if self.kind == "role":
            return "INHERIT (an SSH service role must be NOINHERIT)"
        priv = f"{self.priv} ({self.column})" if self.column else self.priv
        return f"{priv} on {self.kind} {self.obj}"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def is_team(db: peewee.Database) -> bool:
    return isinstance(db, peewee.PostgresqlDatabase)


def _one(db: peewee.Database, sql: str, params=()):
    row = db.execute_sql(sql, params).fetchone()
    return row[0] if row else None


def current_role(db: peewee.Database) -> str:
    return _one(db, "SELECT current_user")


def owner(db: peewee.Database) -> str:
    """The role owning the workspace (its tables; the database's owner before any table exists)."""
    found = _one(db, "SELECT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE n.nspname = current_schema() AND c.relname = 'schema_migration'")
    return found or _one(db, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")


def is_superuser(db: peewee.Database, role: str) -> bool:
    return bool(_one(db, "SELECT rolsuper FROM pg_roles WHERE rolname = %s", (role,)))


def above_app(db: peewee.Database, role: str) -> str | None:
    """'owner' or 'superuser' for a role that stands above the app's rights, else None."""
    if is_superuser(db, role):
        return "superuser"
    if _one(db, "SELECT pg_has_role(%s, %s, 'MEMBER')", (role, owner(db))):
        return "owner"
    return None


def may_act_as(db: peewee.Database, role: str) -> bool:
    """Whether the connected role may take ``role`` (``SET ROLE``): the SSH service's check."""
    try:
        return bool(_one(db, "SELECT pg_has_role(current_user, %s, 'MEMBER')", (role,)))
    except peewee.DatabaseError:  # no such role (yet)
        db.rollback()
        return False


def role_exists(db: peewee.Database, role: str) -> bool:
    return _one(db, "SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)) is not None


def may_create_roles(db: peewee.Database) -> bool:
    return bool(_one(db, "SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user"))


def url_for(url: str, role: str) -> str:
    """``url`` with its user replaced by ``role`` and no password (to tell someone what to run)."""
    p = urlparse(url)
    host = p.hostname or ""
    port = f":{p.port}" if p.port else ""
    return urlunparse(p._replace(netloc=f"{role}@{host}{port}"))


# ---- what a role should hold -------------------------------------------------------------------
def _objects(db: peewee.Database) -> tuple[list[str], dict[str, str]]:
    """The workspace's tables, and each table's id sequence."""
    rows = db.execute_sql(
        "SELECT c.relname, s.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_depend d ON d.refobjid = c.oid AND d.classid = 'pg_class'::regclass "
        "AND d.deptype IN ('a', 'i') LEFT JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname").fetchall()
    tables = sorted({name for name, _seq in rows})
    seqs = {name: seq for name, seq in rows if seq}
    return tables, seqs


def expected(db: peewee.Database, permissions: str | set[str]) -> set[Privilege]:
    """Every privilege a role with ``permissions`` (R17 names) holds on this workspace."""
    perms = set(permissions.split(",") if isinstance(permissions, str) else permissions) | {"view"}
    if "super_admin" in perms:
        perms |= {"create", "edit", "delete"}
    tables, seqs = _objects(db)
    schema = _one(db, "SELECT current_schema()")
    out = {Privilege("database", _one(db, "SELECT current_database()"), "CONNECT"),
           Privilege("schema", schema, "USAGE")}
    for perm in perms & set(RIGHTS):
        for table, privs in RIGHTS[perm].items():
            for t in tables if table == "*" else [table]:
                if t not in tables:
                    continue
                for p in privs:
                    if "(" in p:
                        name, col = p[:-1].split("(")
                        out.add(Privilege("column", t, name, col))
                    else:
                        out.add(Privilege("table", t, p))
                    if p == "INSERT" and t in seqs:
                        out.add(Privilege("sequence", seqs[t], "USAGE"))
                    if p == "INSERT" and t in HISTORY:
                        out.add(Privilege("function", LOCK_FUNCTION, "EXECUTE"))
    return out


def actual(db: peewee.Database) -> dict[str, set[Privilege]]:
    """role (or PUBLIC) → the privileges it holds on the workspace's objects, as granted."""
    sql = """
    WITH acl AS (
      SELECT CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END AS kind, c.relname::text AS obj,
             '' AS col, a.grantee, a.privilege_type, c.relowner AS owner
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
       WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S')
      UNION ALL
      SELECT 'column', c.relname::text, att.attname::text, a.grantee, a.privilege_type, c.relowner
        FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(att.attacl) a
       WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND att.attnum > 0
      UNION ALL
      SELECT 'function', p.proname || '(' || oidvectortypes(p.proargtypes) || ')', '', a.grantee,
             a.privilege_type, p.proowner
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, aclexplode(p.proacl) a
       WHERE n.nspname = current_schema() AND left(p.proname, 12) = 'invoice_tui_'
      UNION ALL
      SELECT 'schema', n.nspname::text, '', a.grantee, a.privilege_type, n.nspowner
        FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = current_schema()
      UNION ALL
      SELECT 'database', d.datname::text, '', a.grantee, a.privilege_type, d.datdba
        FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database()
    )
    SELECT kind, obj, col, CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(grantee) END, privilege_type
      FROM acl WHERE grantee <> owner
    """
    out: dict[str, set[Privilege]] = {}
    for kind, obj, col, role, priv in db.execute_sql(sql).fetchall():
        out.setdefault(role, set()).add(Privilege(kind, obj, priv, col))
    return out


# ---- setting a role's privileges ----------------------------------------------------------------
def grant_statements(db: peewee.Database, role: str, permissions: str) -> list[str]:
    """REVOKE everything the role holds on the workspace, then GRANT exactly what its rights need."""
    held = actual(db).get(role, set())
    statements = [p.sql("REVOKE", role) for p in sorted(held)]
    statements += [p.sql("GRANT", role) for p in sorted(expected(db, permissions))]
    return statements


def apply_rights(db: peewee.Database, role: str, permissions: str) -> None:
    """Set ``role``'s privileges to exactly ``permissions`` (inside the caller's transaction)."""
    if above_app(db, role):
        return
    for sql in grant_statements(db, role, permissions):
        db.execute_sql(sql)


def create_role_sql(role: str) -> str:
    return f"CREATE ROLE {quote(role)} LOGIN"


class CannotManage(Exception):
    """The acting role cannot set database privileges; ``str()`` says who can, and how."""


def prepare_role(db: peewee.Database, role: str, command: str) -> None:
    """Make sure ``role`` exists and its privileges can be set by the connected role (create it
    when missing). Raises :class:`CannotManage` with the exact command or SQL otherwise."""
    me = current_role(db)
    if not above_app(db, me):
        who = owner(db)
        raise CannotManage(
            _("In team mode rights are database privileges, which only the workspace's owner can grant; {who} must "
              "run: invoice-tui --db {value} {command}").format(who=who, value=url_for(_db_url(db),
                  who), command=command))
    if role_exists(db, role):
        return
    if not may_create_roles(db):
        raise CannotManage(
            _("The database role '{role}' does not exist and {me} may not create roles (no CREATEROLE); a database "
              "administrator must run this SQL: {value}; then run again: invoice-tui {command}").format(role=role,
                  me=me, value=create_role_sql(role), command=command))
    db.execute_sql(create_role_sql(role))


def _db_url(db: peewee.Database) -> str:
    params = db.connect_params
    host = params.get("host") or "localhost"
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{params.get('user', '')}@{host}{port}/{db.database}"


# ---- team check ------------------------------------------------------------------------------
@dataclass
class RoleReport:
    role: str
    status: str  # ok, excess, missing, owner, superuser, no role, not a user
    excess: list[Privilege] = field(default_factory=list)
    missing: list[Privilege] = field(default_factory=list)
    permissions: str | None = None


def check(db: peewee.Database, users: dict[str, str]) -> list[RoleReport]:
    """Compare every role's privileges with its app rights. ``users``: login → permissions."""
    held = actual(db)
    reports: list[RoleReport] = []
    members = {name for (name,) in db.execute_sql(
        "SELECT DISTINCT s.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
        "JOIN pg_roles s ON s.oid = m.member WHERE r.rolname = ANY(%s)", (list(users),)).fetchall()}
    for role in sorted(set(held) | set(users) | members):
        perms = users.get(role)
        if role != "PUBLIC" and role_exists(db, role):
            above = above_app(db, role)
            if above:
                reports.append(RoleReport(role, above, permissions=perms))
                continue
        elif role != "PUBLIC":
            reports.append(RoleReport(role, "no role", permissions=perms))
            continue
        service = role != "PUBLIC" and perms is None and _acts_for(db, role, users)
        if role == "PUBLIC":  # PostgreSQL's default USAGE on the schema opens no table
            want = {Privilege("schema", _one(db, "SELECT current_schema()"), "USAGE")}
        elif service:  # the SSH service: connects, then may only SET ROLE to teammates
            want = {Privilege("database", _one(db, "SELECT current_database()"), "CONNECT")}
            if _one(db, "SELECT rolinherit FROM pg_roles WHERE rolname = %s", (role,)):
                held.setdefault(role, set()).add(Privilege("role", role, "INHERIT"))
        else:
            want = expected(db, perms) if perms is not None else set()
            for (granted,) in db.execute_sql(
                    "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                    "JOIN pg_roles s ON s.oid = m.member WHERE s.rolname = %s", (role,)).fetchall():
                held.setdefault(role, set()).add(Privilege("membership", granted, "MEMBER"))
        have = held.get(role, set())
        excess, missing = sorted(have - want), sorted(want - have)
        if role == "PUBLIC":
            missing = []
        status = "excess" if excess else "missing" if missing else "ok"
        if service:
            status = "ssh service" if not excess else "excess"
        elif perms is None and excess and role != "PUBLIC":
            status = "not a user"
        reports.append(RoleReport(role, status, excess, missing, perms))
    return reports


def _acts_for(db: peewee.Database, role: str, users: dict[str, str]) -> bool:
    """Whether ``role`` is a member of some user's role (the SSH service account's role)."""
    rows = db.execute_sql("SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                          "JOIN pg_roles s ON s.oid = m.member WHERE s.rolname = %s", (role,)).fetchall()
    return any(name in users for (name,) in rows)


def fix(db: peewee.Database, reports: list[RoleReport]) -> list[str]:
    """Revoke every excess privilege and grant every missing one; returns the statements run."""
    done = []
    for r in reports:
        for p in r.excess:
            done.append(p.sql("REVOKE", r.role))
        for p in r.missing:
            done.append(p.sql("GRANT", r.role))
    for sql in done:
        db.execute_sql(sql)
    return done
