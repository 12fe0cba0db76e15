"""R53 / R17 in PostgreSQL team mode: the database holds each teammate's role to its rights in the
app, whatever the client. Teammates are made through the app (``users add``) by the workspace's
owner; then, connected directly as each role with plain psycopg2 (no app code), every write on every
table is tried and each refusal asserted. Roles get unique names and are dropped afterwards (roles
are server-wide)."""

from __future__ import annotations

from tests.workerkit import workers_done
import json
import uuid

import pytest

from hardkit import Cli, pg_admin_url, pg_exec, url_as
from invoice_tui.domain import history, invoices, payments, people, views
from invoice_tui.domain.workspace import open_workspace, set_setting

psycopg2 = pytest.importorskip("psycopg2")


@pytest.fixture
def team(pg_url, capsys):
    """A database owned by a role with CREATEROLE (not a superuser), its workspace populated by the
    owner through the services, and three teammates added with ``users add``."""
    # pg_url: PostgreSQL is required (or the test skips with the reason)
    tag = uuid.uuid4().hex[:8]
    owner = f"tt_{tag}_owner"
    dbname = f"invoice_tui_test_team_{tag}"
    names = {"view": f"tt_{tag}_view", "edit": f"tt_{tag}_edit", "super": f"tt_{tag}_super",
             "create": f"tt_{tag}_create", "delete": f"tt_{tag}_delete", "stranger": f"tt_{tag}_stranger",
             "svc": f"tt_{tag}_svc"}
    admin = pg_admin_url()
    pg_exec(admin, f'CREATE ROLE "{owner}" LOGIN CREATEROLE', f'CREATE DATABASE "{dbname}" OWNER "{owner}"',
            f'CREATE ROLE "{names["stranger"]}" LOGIN', f'CREATE ROLE "{names["svc"]}" LOGIN NOINHERIT')
    url = url_as(admin, owner, dbname)
    try:
        cli = Cli(url, capsys, user=False)
        assert cli("contacts", "add", "--email", "ada@example.com").code == 0  # the owner: first super admin
        for key, perms in (("view", "view"), ("edit", "create,edit"), ("super", "super_admin"),
                           ("create", "create"), ("delete", "delete")):
            res = cli("users", "add", names[key], "--permissions", perms)
            assert res.code == 0, res.err
        ws = open_workspace(url)
        ctx = ws.context(owner, source="test")
        data = _populate(ctx, names)
        ws.db.close()
        yield {"url": url, "owner": owner, "db": dbname, "names": names, "cli": cli, **data}
    finally:
        from invoice_tui.db import database

        try:
            database.obj.close()
        except Exception:  # noqa: BLE001
            pass
        pg_exec(admin, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        for role in [*names.values(), owner]:
            pg_exec(admin, f'DROP ROLE IF EXISTS "{role}"')


def _populate(ctx, names) -> dict:
    buyer = people.add_contact(ctx, {"email": "bob@example.com"})
    spare_contact = people.add_contact(ctx, {"email": "spare@example.com"})
    spare_company = people.add_company(ctx, {"name": "Spare Ltd"})
    line = {"name": "Work", "quantity": "1", "unit_price": "100"}
    paid = invoices.finalize_invoice(ctx, invoices.create_invoice(
        ctx, {"currency": "EUR", "contact_id": buyer.id, "lines": [line]}).id)
    payments.record_payment(ctx, paid.id, {"amount": "100"})
    open_ = invoices.finalize_invoice(ctx, invoices.create_invoice(
        ctx, {"currency": "EUR", "contact_id": buyer.id, "lines": [line]}).id)
    draft = invoices.create_invoice(ctx, {"currency": "EUR", "contact_id": buyer.id, "lines": [line]})
    unapplied = payments.add_payment(ctx, {"amount": "5", "currency": "EUR"})
    invoices.add_note(ctx, open_.id, "a note")
    set_setting(ctx, "seller_name", "Owner Inc")
    views.create_view(ctx, "Owner's view")
    from invoice_tui.db.models import Payment, User

    applied = Payment.get(Payment.invoice == paid.id)
    return {"paid": paid.id, "open": open_.id, "draft": draft.id, "applied": applied.id, "unapplied": unapplied.id,
            "spare_contact": spare_contact.id, "spare_company": spare_company.id, "buyer": buyer.id,
            "owner_id": User.get(User.login == ctx.login).id}


def _connect(t, role):
    return psycopg2.connect(url_as(pg_admin_url(), role, t["db"]))


def _try(conn, sql: str, params=()) -> tuple[bool, str]:
    """Run one statement and roll it back: (changed a row, error code or '')."""
    with conn.cursor() as cur:
        try:
            cur.execute(sql, params)
            return cur.rowcount > 0, ""
        except psycopg2.Error as exc:
            return False, exc.pgcode or "?"
        finally:
            conn.rollback()


def _chain_row(conn, table: str, login: str, *, good_hash: bool = True, days_ago: int = 0) -> tuple[str, tuple]:
    """An INSERT of a history row that follows the chain head (hash right or not) under ``login``,
    dated now (naive UTC, as the app writes it) or ``days_ago``."""
    with conn.cursor() as cur:
        cur.execute("SELECT hash FROM chain_head WHERE name = %s", (table,))
        prev = cur.fetchone()[0]
    conn.rollback()
    import datetime as dt

    now = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)).replace(tzinfo=None, microsecond=0)
    if table == "activity":
        content = dict(invoice_id=1, invoice_number=None, kind="note", text="forged ünïcode\n\"q\"", user_login=login,
                       created_at=now, due_date=None, ref_id=None)
    else:
        content = dict(object_type="invoice", object_id=1, invoice_number="INV-1001", property="title",
                       old_value=None, new_value="x\ty", user_login=login, source="psql", created_at=now)
    h = history.row_hash(prev, content) if good_hash else "f" * 64
    cols = [*content, "prev_hash", "hash"]
    sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join(["%s"] * len(cols))})'
    return sql, (*content.values(), prev, h)


def _writes(t, me: str) -> dict[str, tuple[str, tuple]]:
    """Every kind of write on every table, each a statement the owner could run."""
    n = t["names"]
    other = n["view"] if me != n["view"] else n["edit"]
    return {
        "setting insert": ("INSERT INTO setting (key, value) VALUES ('x_extra', '1')", ()),
        "setting update": ("UPDATE setting SET value = '\"Mallory\"' WHERE key = 'seller_legal_name'", ()),
        "setting delete": ("DELETE FROM setting", ()),
        "counter update": ("UPDATE counter SET value = value + 100", ()),
        "counter back": ("UPDATE counter SET value = value - 1", ()),
        "counter insert": ("INSERT INTO counter (name, value) VALUES ('other', 1)", ()),
        "counter delete": ("DELETE FROM counter", ()),
        "chain_head update": ("UPDATE chain_head SET hash = repeat('0', 64)", ()),
        "chain_head insert": ("INSERT INTO chain_head (name, hash, count) VALUES ('x', 'y', 0)", ()),
        "chain_head delete": ("DELETE FROM chain_head", ()),
        "user insert": ("INSERT INTO \"user\" (login, name, email, permissions, preferences, created_at) "
                        "VALUES ('mallory', 'M', '', 'super_admin', '{}', now())", ()),
        "user own rights": ("UPDATE \"user\" SET permissions = 'view,create,edit,delete,super_admin' "
                            "WHERE login = current_user", ()),
        "user other rights": ("UPDATE \"user\" SET permissions = 'view' WHERE login = %s", (other,)),
        "user other name": ("UPDATE \"user\" SET name = 'renamed' WHERE login = %s", (other,)),
        "user other preferences": ("UPDATE \"user\" SET preferences = '{\"x\": 1}' WHERE login = %s", (other,)),
        "user delete": ("DELETE FROM \"user\" WHERE login = %s", (other,)),
        "company insert": ("INSERT INTO company (name, domain, address, tax_id, created_at) "
                           "VALUES ('Evil', '', '', '', now())", ()),
        "company update": ("UPDATE company SET name = 'Renamed' WHERE id = %s", (t["spare_company"],)),
        "company delete": ("DELETE FROM company WHERE id = %s", (t["spare_company"],)),
        "contact insert": ("INSERT INTO contact (first_name, last_name, email, phone, address, created_at) "
                           "VALUES ('', '', 'e@example.com', '', '', now())", ()),
        "contact update": ("UPDATE contact SET email = 'x@example.com' WHERE id = %s", (t["spare_contact"],)),
        "contact delete": ("DELETE FROM contact WHERE id = %s", (t["spare_contact"],)),
        "invoice insert draft": (
            "INSERT INTO invoice (title, currency, exponent, locale, invoice_date, po_number, comments, allow_partial,"
            " origin, status, version, subtotal_minor, discount_minor, fee_minor, tax_minor, billed_minor, paid_minor,"
            " balance_minor, contact_name, contact_email, company_name, owner_name, created_at, updated_at, owner_id)"
            " VALUES ('t', 'EUR', 2, 'en_US', '2026-03-16', '', '', false, 'manual', 'draft', 1, 0, 0, 0, 0, 0, 0, 0,"
            " '', '', '', '', now(), now(), (SELECT id FROM \"user\" WHERE login = current_user))", ()),
        "invoice insert finalized": (
            "INSERT INTO invoice (title, currency, exponent, locale, invoice_date, po_number, comments, allow_partial,"
            " origin, status, number, version, subtotal_minor, discount_minor, fee_minor, tax_minor, billed_minor,"
            " paid_minor, balance_minor, contact_name, contact_email, company_name, owner_name, created_at, updated_at)"
            " VALUES ('t', 'EUR', 2, 'en_US', '2026-03-16', '', '', false, 'manual', 'open', 'FAKE-1', 1, 0, 0, 0,"
            " 0, 0, 0, 0, '', '', '', '', now(), now())", ()),
        "invoice edit open": ("UPDATE invoice SET title = 'edited' WHERE id = %s", (t["open"],)),
        "invoice edit draft": ("UPDATE invoice SET title = 'edited' WHERE id = %s", (t["draft"],)),
        "invoice status": ("UPDATE invoice SET status = 'paid' WHERE id = %s", (t["open"],)),
        "invoice number": ("UPDATE invoice SET number = 'INV-9999' WHERE id = %s", (t["open"],)),
        "invoice currency": ("UPDATE invoice SET currency = 'USD' WHERE id = %s", (t["open"],)),
        "invoice date": ("UPDATE invoice SET invoice_date = invoice_date - 1 WHERE id = %s", (t["open"],)),
        "invoice delete draft": ("DELETE FROM invoice WHERE id = %s", (t["draft"],)),
        "invoice delete finalized": ("DELETE FROM invoice WHERE id = %s", (t["open"],)),
        "invoice delete paid": ("DELETE FROM invoice WHERE id = %s", (t["paid"],)),
        "line insert on finalized": ("INSERT INTO line_item (invoice_id, position, name, description, quantity, "
                                     "unit_price_micro, tax_rate) VALUES (%s, 9, 'x', '', '1', 1, '0')", (t["open"],)),
        "line update": ("UPDATE line_item SET unit_price_micro = 1 WHERE invoice_id = %s", (t["open"],)),
        "line delete": ("DELETE FROM line_item WHERE invoice_id = %s", (t["draft"],)),
        "adjustment insert": ("INSERT INTO adjustment (invoice_id, kind, position, label, is_percent, value, tax_rate) "
                              "VALUES (%s, 'fee', 0, '', false, '1', '0')", (t["draft"],)),
        "invoice_contact delete": ("DELETE FROM invoice_contact WHERE invoice_id = %s", (t["open"],)),
        "invoice_company insert": ("INSERT INTO invoice_company (invoice_id, company_id) VALUES (%s, %s)",
                                   (t["open"], t["spare_company"])),
        "payment insert": ("INSERT INTO payment (amount_minor, currency, date, method, reference, note, source, "
                           "state, ever_succeeded, created_by, created_at) VALUES (1, 'EUR', '2026-03-16', 'other', "
                           "'', '', 'manual', 'succeeded', false, current_user, now())", ()),
        "payment apply": ("UPDATE payment SET invoice_id = %s WHERE id = %s", (t["open"], t["unapplied"])),
        "payment apply twice": ("UPDATE payment SET invoice_id = %s WHERE id = %s", (t["open"], t["applied"])),
        "payment unapply": ("UPDATE payment SET invoice_id = NULL WHERE id = %s", (t["applied"],)),
        "payment delete": ("DELETE FROM payment WHERE id = %s", (t["unapplied"],)),
        "reminder update": ("UPDATE reminder SET state = 'dropped'", ()),
        "reminder delete": ("DELETE FROM reminder", ()),
        "outbox insert": ("INSERT INTO outbox (kind, state, from_addr, to_addrs, cc_addrs, subject, message_id, raw, "
                          "attempts, last_error, server_reply, created_by, created_at) VALUES ('custom', 'queued', "
                          "'a@x', 'b@x', '', 's', 'mid@x', 'raw', 0, '', '', current_user, now())", ()),
        "property_change update": ("UPDATE property_change SET new_value = 'x'", ()),
        "property_change delete": ("DELETE FROM property_change", ()),
        "property_change forged hash": _chain_row(t["conn"], "property_change", me, good_hash=False),
        "property_change as another": _chain_row(t["conn"], "property_change", other),
        "activity update": ("UPDATE activity SET text = 'x'", ()),
        "activity delete": ("DELETE FROM activity", ()),
        "activity forged hash": _chain_row(t["conn"], "activity", me, good_hash=False),
        "activity as another": _chain_row(t["conn"], "activity", other),
        "activity own": _chain_row(t["conn"], "activity", me),
        "activity own backdated": _chain_row(t["conn"], "activity", me, days_ago=200),
        "property_change own backdated": _chain_row(t["conn"], "property_change", me, days_ago=1),
        "saved_view others update": ("UPDATE saved_view SET name = 'x' WHERE owner_id = %s", (t["owner_id"],)),
        "saved_view others delete": ("DELETE FROM saved_view WHERE owner_id = %s", (t["owner_id"],)),
        "saved_view defaults delete": ("DELETE FROM saved_view WHERE owner_id IS NULL", ()),
        "saved_view as another": ("INSERT INTO saved_view (name, owner_id, shared, filters, columns, sort, position, "
                                  "created_at, updated_at) VALUES ('v', %s, false, '{}', '[]', '-id', 9, now(), now())",
                                  (t["owner_id"],)),
        "export_log as another": ("INSERT INTO export_log (user_login, created_at, name, format, path, rows, sheets, "
                                  "filters, sort, properties, associations, language, values) VALUES (%s, now(), 'n', "
                                  "'csv', '/tmp/x', 1, 1, '{}', '-id', '[]', '[]', 'en', 'labels')", (other,)),
        "export_log update": ("UPDATE export_log SET rows = 0", ()),
        "schema_migration insert": ("INSERT INTO schema_migration (name, applied) VALUES ('9999_x', now())", ()),
        "migration_report insert": ("INSERT INTO migration_report (migration, invoice_id, text) VALUES ('x', 1, 'y')",
                                    ()),  # the owner's migration writes it; everyone reads it
        "migration_report delete": ("DELETE FROM migration_report", ()),
        # issue 26: saved payment methods are a super admin's; provider events are applied by an editor
        "payment_method insert": ("INSERT INTO payment_method (contact_id, provider, customer_ref, method_ref, kind, "
                                  "brand, last4, created_by, created_at) VALUES (1, 'stripe', 'cus_1', 'pm_1', "
                                  "'card', 'visa', '4242', 'x', now())", ()),
        "provider_event insert": ("INSERT INTO provider_event (provider, event_id, type, created, outcome, "
                                  "received_at) VALUES ('stripe', 'evt_1', 't', 1, '', now())", ()),
        # issue 21: customer credit is append-only records; an editor writes them with the credit notes
        "credit_entry insert": ("INSERT INTO credit_entry (kind, currency, amount_minor, date, created_by, "
                                "created_at) VALUES ('overpayment', 'EUR', 1, '2026-03-16', current_user, now())", ()),
        "credit_entry update": ("UPDATE credit_entry SET amount_minor = 1000000", ()),
        "credit_entry delete": ("DELETE FROM credit_entry", ()),
        "schema_migration delete": ("DELETE FROM schema_migration", ()),
        # R52: the import's saved column mappings are shared by those who may create
        "import_mapping insert": ("INSERT INTO import_mapping (name, object, columns, locale, created_by, created_at, "
                                  "updated_at) VALUES ('m', 'contacts', '{}', '', current_user, now(), now())", ()),
        # issue 28: schedules, their runs, planned sends and dunning records are an editor's (run-due)
        "schedule insert": ("INSERT INTO schedule (template_id, every, unit, start, mode, state, next_index, issued, "
                            "last_result, created_by, created_at) VALUES (1, 1, 'm', '2026-01-01', 'draft', 'active', "
                            "0, 0, '', current_user, now())", ()),
        "schedule_run insert": ("INSERT INTO schedule_run (schedule_id, period, period_index, created_at) VALUES "
                                "(1, '2026-01-01', 0, now())", ()),
        "scheduled_send insert": ("INSERT INTO scheduled_send (invoice_id, send_on, state, created_by, created_at) "
                                  "VALUES (999999, '2026-01-01', 'planned', current_user, now())", ()),
        "dunning insert": ("INSERT INTO dunning (invoice_id, kind, level, amount_minor, note, created_by, created_at) "
                           "VALUES (1, 'level', 7, 0, '', current_user, now())", ()),
        # writes every user may make: its own preferences and saved views
        "own preferences": ("UPDATE \"user\" SET preferences = '{\"theme\": \"x\"}' WHERE login = current_user", ()),
        "own saved view": ("INSERT INTO saved_view (name, owner_id, shared, filters, columns, sort, position, "
                           "created_at, updated_at) VALUES ('mine', (SELECT id FROM \"user\" WHERE login = "
                           "current_user), false, '{}', '[]', '-id', 9, now(), now())", ()),
    }


EVERYONE = {"own preferences", "own saved view"}
EDIT = EVERYONE | {
    "company insert", "company update", "company delete", "contact insert", "contact update", "contact delete",
    "invoice insert draft", "invoice edit open", "invoice edit draft", "invoice status", "invoice delete draft",
    "line insert on finalized", "line update", "line delete", "adjustment insert", "invoice_contact delete",
    "invoice_company insert", "payment insert", "payment apply", "payment delete", "reminder update",
    "reminder delete", "outbox insert", "counter update", "activity own", "provider_event insert",
    "credit_entry insert", "import_mapping insert", "schedule insert", "schedule_run insert", "scheduled_send insert",
    "dunning insert", "payment_method insert"}  # a card saved from the buyer page, recorded by serve's user
SUPER = EDIT | {"setting insert", "setting update", "setting delete", "counter insert", "counter delete",
                "counter back",
                "user other name", "user other preferences", "saved_view others update", "saved_view others delete",
                "saved_view defaults delete", "invoice delete finalized", "property_change as another",
                "activity as another", "export_log as another"}
ALLOWED = {"view": EVERYONE, "edit": EDIT, "super": SUPER}


@pytest.mark.parametrize("who", ["view", "edit", "super"])
def test_r53_every_write_on_every_table_as_each_role(team, who):
    role = team["names"][who]
    conn = _connect(team, role)
    team["conn"] = conn
    try:
        writes = _writes(team, role)
        with conn.cursor() as cur:  # every table of the workspace is covered
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            tables = {r[0] for r in cur.fetchall()}
        conn.rollback()
        covered = {name.split(" ")[0] for name in writes} | {"invoice_contact", "invoice_company", "line_item"}
        assert tables - covered <= {"line_item", "invoice_contact", "invoice_company"}, tables - covered
        wrong = []
        for name, (sql, params) in writes.items():
            changed, code = _try(conn, sql, params)
            if name in ALLOWED[who]:
                if not changed:
                    wrong.append(f"{name}: refused ({code or 'no row'}) but the rights allow it")
            elif changed:
                wrong.append(f"{name}: allowed but the rights refuse it")
            elif code not in ("42501", "23514", ""):
                wrong.append(f"{name}: failed with {code}, not a refusal")
        assert not wrong, "\n".join(wrong)
    finally:
        conn.close()


def test_r53_rules_hold_for_every_role_and_only_rights_move(team):
    """Rules no right can lift (R2/R3, R9, R12), as each role; a role never added reads nothing."""
    for who in ("edit", "super"):
        conn = _connect(team, team["names"][who])
        for name in ("invoice number", "invoice currency", "invoice date", "invoice delete paid",
                     "payment apply twice", "payment unapply", "invoice insert finalized"):
            sql, params = _writes({**team, "conn": conn}, team["names"][who])[name]
            assert _try(conn, sql, params) in ((False, "23514"), (False, "42501")), (who, name)
        conn.close()
    with pytest.raises(psycopg2.OperationalError, match="CONNECT"):
        _connect(team, team["names"]["stranger"])


async def test_r53_teammates_open_cli_and_tui_after_users_add_alone(team, capsys):
    from invoice_tui.app import make_app

    for who in ("view", "edit"):
        url = url_as(pg_admin_url(), team["names"][who], team["db"])
        cli = Cli(url, capsys, user=False)
        res = cli("invoices", "list", as_json=True)
        assert res.code == 0, res.err
        assert len(res.data) == 3
        res = cli("invoices", "create", "--currency", "EUR", as_json=True)
        assert res.code == (0 if who == "edit" else 1), res.err
        if who == "view":
            assert "lacks the 'create' permission" in res.err
        else:
            assert res.data["status"] == "draft"
        app = make_app(url)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await workers_done(app)
            assert app.ctx.login == team["names"][who]
        app.workspace.db.close()


def test_r53_users_grant_sets_the_privileges_and_team_check_finds_hand_grants(team):
    cli, n = team["cli"], team["names"]
    res = cli("team", "check")
    assert res.code == 0, res.out + res.err
    assert "owner (stands above the app)" in res.out
    # a privilege granted by hand, outside the app, and PUBLIC given a table
    pg_exec(url_as(pg_admin_url(), team["owner"], team["db"]), f'GRANT DELETE ON invoice TO "{n["view"]}"',
            "GRANT SELECT ON setting TO PUBLIC", f'GRANT SELECT ON invoice TO "{n["stranger"]}"')
    res = cli("team", "check", as_json=True)
    assert res.code == 1
    by_role = {r["role"]: r for r in res.data["roles"]}
    assert by_role[n["view"]]["excess"] == ["DELETE on table invoice"]
    assert by_role["PUBLIC"]["excess"] == ["SELECT on table setting"]
    assert by_role[n["stranger"]]["status"] == "not a user"
    assert by_role[team["owner"]]["status"] == "owner"
    # a teammate made a member of another's role would hold that role's privileges
    pg_exec(pg_admin_url(), f'GRANT "{n["super"]}" TO "{n["edit"]}"')
    res = cli("team", "check", as_json=True)
    assert {r["role"]: r for r in res.data["roles"]}[n["edit"]]["excess"] == [f"member of role {n['super']}"]
    res = cli("team", "check", "--fix")
    assert res.code == 0, res.out + res.err
    assert cli("team", "check").code == 0
    conn = _connect(team, n["view"])
    assert _try(conn, "DELETE FROM invoice WHERE id = %s", (team["draft"],))[1] == "42501"
    conn.close()
    # users grant: the exact set, in the app and the database in one step
    assert cli("users", "grant", n["view"], "edit").code == 0
    conn = _connect(team, n["view"])
    assert _try(conn, "UPDATE invoice SET title = 'ok' WHERE id = %s", (team["open"],)) == (True, "")
    conn.close()
    assert cli("users", "grant", n["view"], "view").code == 0
    conn = _connect(team, n["view"])
    assert _try(conn, "UPDATE invoice SET title = 'ok' WHERE id = %s", (team["open"],))[1] == "42501"
    conn.close()
    assert cli("team", "check").code == 0


def test_r53_only_the_owner_migrates_and_others_are_told_who(team, capsys):
    n = team["names"]
    from invoice_tui.db.migrate import MIGRATIONS_DIR

    last = sorted(p.stem for p in MIGRATIONS_DIR.glob("0*.py"))[-1]  # as if a new version brought it
    pg_exec(url_as(pg_admin_url(), team["owner"], team["db"]), f"DELETE FROM schema_migration WHERE name = '{last}'")
    res = Cli(url_as(pg_admin_url(), n["super"], team["db"]), capsys, user=False)("invoices", "list")
    assert res.code == 1
    assert f"{team['owner']} must run: invoice-tui --db postgresql://{team['owner']}@" in res.err
    assert "migrate" in res.err and last in res.err
    res = team["cli"]("migrate")
    assert res.code == 0 and f"Applied {last}. The workspace schema is up to date." in res.out
    assert Cli(url_as(pg_admin_url(), n["super"], team["db"]), capsys, user=False)("invoices", "list").code == 0


def test_r53_a_super_admin_teammate_cannot_change_rights(team, capsys):
    """Rights are database privileges: only the owner sets them; the sentence says who and how."""
    n = team["names"]
    res = Cli(url_as(pg_admin_url(), n["super"], team["db"]), capsys, user=False)("users", "grant", n["view"], "edit")
    assert res.code == 1
    assert f"{team['owner']} must run" in res.err and f"users grant {n['view']} view,edit" in res.err


def test_r53_each_right_works_through_the_app_under_the_database_rules(team, capsys, tmp_path):
    """What the app lets each teammate do, the database lets it do too (no refusal on a legitimate
    path), and the history chains stay intact after teammates wrote through the trigger."""
    n = team["names"]

    def as_(who):
        return Cli(url_as(pg_admin_url(), n[who], team["db"]), capsys, user=False)

    def ok(who, *argv):
        res = as_(who)(*argv, as_json=True)
        assert res.code == 0, (who, argv, res.err)
        return res.data

    made = ok("create", "invoices", "create", "--currency", "EUR", "--contact", "bob@example.com",
              "--line", "Work;2;10", "--discount", "10%")
    assert made["status"] == "draft"
    ok("create", "invoices", "clone", str(team["open"]))
    ok("create", "contacts", "add", "--email", "new@example.com")
    ok("create", "companies", "add", "--name", "New Ltd")
    refused = as_("create")("invoices", "edit", str(made["id"]), "--title", "x")  # the app: edit needed
    assert refused.code == 1
    # in team mode rights are privileges, which the owner grants: the remedy names the owner
    assert f"the workspace's owner can grant it with: invoice-tui users grant {n['create']} edit" in refused.err

    draft = ok("edit", "invoices", "create", "--currency", "EUR", "--contact", "bob@example.com", "--line", "A;1;50",
               "--allow-partial")
    ok("edit", "invoices", "edit", str(team["draft"]), "--title", "Edited", "--line", "B;3;7")
    final = ok("edit", "invoices", "finalize", str(draft["id"]))
    ok("edit", "payments", "record", final["number"], "--amount", "5")
    spare = ok("edit", "payments", "add", "--amount", "3", "--currency", "EUR")
    ok("edit", "payments", "apply", str(spare["id"]), final["number"])
    ok("edit", "invoices", "delete", str(made["id"]))
    void = ok("edit", "invoices", "finalize", str(team["draft"]))
    ok("edit", "invoices", "void", void["number"])

    # R42: edit creates and issues credit notes; R40: overpayment credit applied and refunded
    note = ok("edit", "credit-notes", "create", final["number"], "--amount", "10", "--reason", "Goodwill",
              "--rate", "0")
    assert ok("edit", "credit-notes", "issue", str(note["id"]))["number"] == "CN-1"
    other = ok("edit", "invoices", "finalize", str(ok("edit", "invoices", "create", "--currency", "EUR", "--contact",
                                                      "bob@example.com", "--line", "C;1;20")["id"]))
    ok("edit", "payments", "record", other["number"], "--amount", "30", "--overpay")
    ok("edit", "credits", "refund", "--contact", "bob@example.com", "--currency", "EUR", "--amount", "4",
       "--method", "cash")

    assert team["cli"]("settings", "set", "allow_delete_unpaid", "true").code == 0
    ok("delete", "invoices", "delete", str(team["open"]))

    ok("view", "export", "--out", str(tmp_path / "mine.csv"))
    assert ok("view", "export-log")
    ok("super", "settings", "set", "seller_name", "Dan's firm")

    res = team["cli"]("audit", "verify")
    assert res.code == 0, res.out + res.err


def test_r53_rights_changed_by_hand_are_refused_by_the_database_with_a_sentence(team, capsys):
    """Rights written into the users table behind the app's back (by a superuser) give no privilege:
    the database refuses, the CLI says so in one sentence (exit 1), and team check lists what the
    role lacks until --fix grants it."""
    n = team["names"]
    pg_exec(url_as(pg_admin_url(), team["owner"], team["db"]),
            f"UPDATE \"user\" SET permissions = 'view,edit' WHERE login = '{n['view']}'")
    res = Cli(url_as(pg_admin_url(), n["view"], team["db"]), capsys, user=False)(
        "invoices", "edit", str(team["draft"]), "--title", "x")
    assert res.code == 1
    assert "the database refused this: permission denied for table invoice" in res.err
    res = team["cli"]("team", "check", as_json=True)
    view = {r["role"]: r for r in res.data["roles"]}[n["view"]]
    assert view["status"] == "missing" and "UPDATE on table invoice" in view["missing"]
    assert team["cli"]("team", "check", "--fix").code == 0
    res = Cli(url_as(pg_admin_url(), n["view"], team["db"]), capsys, user=False)(
        "invoices", "edit", str(team["draft"]), "--title", "x")
    assert res.code == 0, res.err


# ---- teammates over SSH: the forced command, in process ------------------------------------------
def _ssh(team, monkeypatch, capsys, login, command, *, binary=False):
    from invoice_tui.cli import main

    monkeypatch.setenv("INVOICE_TUI_SSH_SESSION", "")  # ssh-session sets it; restored after the test
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", command)
    svc_url = url_as(pg_admin_url(), team["names"]["svc"], team["db"])
    capsys.readouterr()
    code = main(["--db", svc_url, "ssh-session", login])
    cap = capsys.readouterr()
    if not binary:
        assert "Traceback" not in cap.err, cap.err
    return code, cap.out, cap.err


def test_r53_ssh_session_acts_as_the_login_and_runs_only_allow_listed_commands(team, monkeypatch, capsys, tmp_path):
    from invoice_tui.db import database

    n = team["names"]
    pg_exec(pg_admin_url(), f'GRANT "{n["edit"]}" TO "{n["svc"]}"',
            f'GRANT CONNECT ON DATABASE "{team["db"]}" TO "{n["svc"]}"')
    monkeypatch.chdir(tmp_path)
    code, out, err = _ssh(team, monkeypatch, capsys, n["edit"], "invoices list --json")
    assert code == 0, err
    assert len(json.loads(out)) == 3
    # every connection of the session is LOGIN's (SET ROLE before anything), the service's login underneath
    database.obj.connect(reuse_if_open=True)
    assert database.obj.execute_sql("SELECT current_user, session_user").fetchone() == (n["edit"], n["svc"])
    database.obj.close()
    code, out, err = _ssh(team, monkeypatch, capsys, n["edit"], "invoice-tui history INV-1001")
    assert code == 0, err
    # not allow-listed: writes, other workspaces, files
    for command in ("invoices create --currency EUR", "users add mallory", "demo", "export",
                    "team check", "ssh-session other", "migrate", "sh -c id", "bash", "scp -t /tmp"):
        code, out, err = _ssh(team, monkeypatch, capsys, n["edit"], command)
        assert code == 1 and "not available over SSH" in err, (command, err)
    # options naming a path or another identity, however spelled
    for command in ("--db sqlite:///tmp/x.db invoices list", "--config /etc/passwd invoices list",
                    "--user alice invoices list", "--us alice invoices list", "--user=alice invoices list",
                    "invoices pdf INV-1001 --out leak.pdf", "invoices pdf INV-1001 --out=leak.pdf",
                    "invoices pdf INV-1001 --ou leak.pdf", "copy --to postgresql://x@y/z"):
        code, out, err = _ssh(team, monkeypatch, capsys, n["edit"], command)
        assert code == 1 and ("refused" in err or "not available over SSH" in err), (command, err)
    assert list(tmp_path.iterdir()) == []  # nothing written on the server
    code, out, err = _ssh(team, monkeypatch, capsys, n["edit"], "invoices list; rm -rf /")
    assert code in (1, 2)
    monkeypatch.setenv("INVOICE_TUI_USER", n["super"])
    code, out, err = _ssh(team, monkeypatch, capsys, n["edit"], "invoices list")
    assert code == 1 and "INVOICE_TUI_USER is refused" in err
    monkeypatch.delenv("INVOICE_TUI_USER")
    # a role the service may not act as: one sentence naming the GRANT that is missing
    code, out, err = _ssh(team, monkeypatch, capsys, n["view"], "invoices list")
    assert code == 1 and f'GRANT "{n["view"]}" TO "{n["svc"]}"' in err, err
    # the service role itself reads nothing, and team check knows it for what it is
    conn = _connect(team, n["svc"])
    assert _try(conn, "SELECT count(*) FROM invoice")[1] == "42501"
    conn.close()
    res = team["cli"]("team", "check", as_json=True)
    assert res.code == 0, res.out
    assert {r["role"]: r["status"] for r in res.data["roles"]}[n["svc"]] == "ssh service"
    pg_exec(pg_admin_url(), f'ALTER ROLE "{n["svc"]}" INHERIT')  # would hold every teammate's privileges
    assert team["cli"]("team", "check").code == 1
    assert team["cli"]("team", "check", "--fix").code == 0


def test_r53_ssh_session_sends_the_pdf_to_stdout(team, monkeypatch, tmp_path):
    import io
    import sys

    from invoice_tui.cli import main

    n = team["names"]
    pg_exec(pg_admin_url(), f'GRANT "{n["view"]}" TO "{n["svc"]}"',
            f'GRANT CONNECT ON DATABASE "{team["db"]}" TO "{n["svc"]}"')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INVOICE_TUI_SSH_SESSION", "")  # ssh-session sets it; restored after the test
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "invoices pdf INV-1002")
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="utf-8"))
    code = main(["--db", url_as(pg_admin_url(), n["svc"], team["db"]), "ssh-session", n["view"]])
    assert code == 0
    assert raw.getvalue().startswith(b"%PDF")
    assert list(tmp_path.iterdir()) == []


# ---- end to end: a real sshd on loopback ---------------------------------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sshd(tmp_path):
    """sshd on 127.0.0.1 for the current Unix account (the service account), keys in a file of ours."""
    import os
    import shutil
    import socket
    import subprocess
    import time

    sshd_bin = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)
    if not sshd_bin or not shutil.which("ssh") or not shutil.which("ssh-keygen"):
        pytest.skip("openssh-server is not installed here (.ci/run installs it with apt-get where it can)")
    port = _free_port()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "host")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "teammate")], check=True)
    keys = tmp_path / "authorized_keys"
    (tmp_path / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp_path / 'host'}\nPidFile {tmp_path / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {keys}\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "UsePAM no\nPermitRootLogin forced-commands-only\nAcceptEnv none\n")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    proc = subprocess.Popen([sshd_bin, "-D", "-e", "-f", str(tmp_path / "sshd_config")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.skip(f"sshd would not start here: {proc.stdout.read().decode(errors='replace')[-300:]}")
            time.sleep(0.1)
    import getpass

    base = ["ssh", "-p", str(port), "-i", str(tmp_path / "teammate"), "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
            f"{getpass.getuser()}@127.0.0.1"]
    try:
        yield {"keys": keys, "pub": tmp_path / "teammate.pub", "ssh": base}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_r53_over_a_real_sshd_a_teammate_gets_the_app_as_themselves(team, sshd, tmp_path, capsys):
    import os
    import pty
    import select
    import subprocess
    import time

    from invoice_tui.cli import main

    n = team["names"]
    pg_exec(pg_admin_url(), f'GRANT "{n["edit"]}" TO "{n["svc"]}"',
            f'GRANT CONNECT ON DATABASE "{team["db"]}" TO "{n["svc"]}"')
    config = tmp_path / "service.toml"
    config.write_text(f'db = "{url_as(pg_admin_url(), n["svc"], team["db"])}"\n')
    capsys.readouterr()
    assert main(["--config", str(config), "team", "add-key", n["edit"], str(sshd["pub"]),
                 "--authorized-keys", str(sshd["keys"])]) == 0
    assert f"The service's role {n['svc']} may act as {n['edit']}." in capsys.readouterr().out
    # a role not granted to the service yet: add-key names the GRANT the owner must run
    assert main(["--config", str(config), "team", "add-key", n["view"], str(sshd["pub"]),
                 "--authorized-keys", str(tmp_path / "other_keys")]) == 0
    assert f'the workspace\'s owner must run in psql: GRANT "{n["view"]}" TO "{n["svc"]}"' in capsys.readouterr().out
    # a headless, allow-listed command: the invoices as the teammate sees them
    done = subprocess.run([*sshd["ssh"], "invoices", "list", "--json"], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert sorted(i["number"] for i in json.loads(done.stdout) if i["number"]) == ["INV-1001", "INV-1002"]
    refused = subprocess.run([*sshd["ssh"], "invoices pdf INV-1001 --out /tmp/leak.pdf"],
                             capture_output=True, timeout=120)
    assert refused.returncode == 1 and b"refused" in refused.stderr
    shell = subprocess.run([*sshd["ssh"], "sh", "-c", "id"], capture_output=True, timeout=120)
    assert shell.returncode != 0 and b"uid=" not in shell.stdout  # no shell, only the app
    # the TUI over a terminal: the index shows the invoices; ctrl+q quits
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes ssh
        os.environ["TERM"] = "xterm-256color"
        os.execvp("ssh", [*sshd["ssh"][:1], "-tt", *sshd["ssh"][1:]])
    seen = b""
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline and b"INV-1002" not in seen:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
        assert b"INV-1002" in seen, seen[-2000:]
        os.write(fd, b"\x11")  # ctrl+q
        end = time.monotonic() + 20
        while time.monotonic() < end:
            finished, status = os.waitpid(pid, os.WNOHANG)
            if finished:
                break
            select.select([fd], [], [], 0.2)
            try:
                os.read(fd, 65536)
            except OSError:
                pass
        else:
            raise AssertionError("the app did not quit on ctrl+q")
    finally:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)


def test_r53_the_demo_adds_no_roles_to_the_server(pg_url, capsys):
    """The demo's colleagues exist in the app only, even when its owner may create roles."""
    tag = uuid.uuid4().hex[:8]
    owner, dbname = f"tt_{tag}_demo", f"invoice_tui_test_team_{tag}"
    admin = pg_admin_url()
    pg_exec(admin, f'CREATE ROLE "{owner}" LOGIN CREATEROLE', f'CREATE DATABASE "{dbname}" OWNER "{owner}"')
    try:
        res = Cli(url_as(admin, owner, dbname), capsys, user=False)("demo", "--invoices", "20")
        assert res.code == 0, res.err
        # the roles the demo could have made are its colleagues' logins (counting every role of the
        # server would count other runs' roles too: the server is shared)
        workspace = psycopg2.connect(url_as(admin, owner, dbname))
        with workspace.cursor() as cur:
            cur.execute('SELECT login FROM "user" WHERE login <> %s', (owner,))
            colleagues = [r[0] for r in cur.fetchall()]
        workspace.close()
        assert "marie.curie" in colleagues
        conn = psycopg2.connect(admin)
        with conn.cursor() as cur:
            cur.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (colleagues,))
            assert cur.fetchall() == []
        conn.close()
        res = Cli(url_as(admin, owner, dbname), capsys, user=False)("team", "check", as_json=True)
        assert res.code == 0, res.out  # the colleagues are listed without a role, not as a failure
        assert {r["status"] for r in res.data["roles"] if r["role"] == "marie.curie"} <= {"no role", "ok", "missing"}
    finally:
        from invoice_tui.db import database

        try:
            database.obj.close()
        except Exception:  # noqa: BLE001
            pass
        pg_exec(admin, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{owner}"')


def test_r53_an_ssh_session_writes_no_file_on_the_server(sqlite_url, tmp_path, monkeypatch):
    """The TUI's export and PDF download refuse in an SSH session (the session marks its process)."""
    from invoice_tui.documents.pdf import invoice_pdf
    from invoice_tui.domain.errors import PermissionDenied
    from invoice_tui.exports.service import run_export

    ws = open_workspace(sqlite_url, notice=lambda m: None)
    ctx = ws.context("alice", source="test")
    buyer = people.add_contact(ctx, {"email": "bob@example.com"})
    inv = invoices.finalize_invoice(ctx, invoices.create_invoice(
        ctx, {"currency": "EUR", "contact_id": buyer.id, "lines": [{"name": "W", "unit_price": "10"}]}).id)
    monkeypatch.setenv("INVOICE_TUI_SSH_SESSION", "bob")
    with pytest.raises(PermissionDenied, match="Over SSH"):
        invoice_pdf(inv, tmp_path / "x.pdf")
    with pytest.raises(PermissionDenied, match="Over SSH"):
        run_export(ctx, {"format": "csv", "name": "x", "path": str(tmp_path / "x.csv")})
    assert not list(tmp_path.glob("x.*"))
    assert invoice_pdf(inv).startswith(b"%PDF")  # the bytes, for stdout, are fine
    ws.db.close()


def test_r54_a_direct_write_enters_the_history_as_direct_by_the_role_that_made_it(team):
    """Migration 0013: a write from outside invoice-tui (psql as a teammate, or the SSH service
    acting as one) is written into the invoice's history under that role with source 'direct',
    extending the chain with the hashes the Python chain computes, row for row."""
    from invoice_tui.db import database
    from invoice_tui.db.models import PropertyChange

    n = team["names"]
    conn = _connect(team, n["edit"])
    with conn.cursor() as cur:
        cur.execute("UPDATE invoice SET title = 'by hand' WHERE id = %s", (team["draft"],))
        cur.execute("UPDATE line_item SET quantity = '7' WHERE invoice_id = %s", (team["draft"],))
    conn.commit()
    conn.close()
    # the SSH service's connection takes the teammate's role at startup: the teammate is named
    pg_exec(pg_admin_url(), f'GRANT "{n["edit"]}" TO "{n["svc"]}"',
            f'GRANT CONNECT ON DATABASE "{team["db"]}" TO "{n["svc"]}"')
    conn = psycopg2.connect(url_as(pg_admin_url(), n["svc"], team["db"]), options=f"-c role={n['edit']}")
    with conn.cursor() as cur:
        cur.execute("UPDATE invoice SET po_number = 'PO-9' WHERE id = %s", (team["draft"],))
    conn.commit()
    conn.close()

    res = team["cli"]("history", str(team["draft"]), as_json=True)
    assert res.code == 0, res.err
    direct = [(c["property"], c["new"], c["user"]) for c in res.data["property_changes"] if c["source"] == "direct"]
    line_props = [p for p, _, _ in direct if p.startswith("line_item#") and p.endswith(".quantity")]
    assert ("title", "by hand", n["edit"]) in direct and ("po_number", "PO-9", n["edit"]) in direct, direct
    assert line_props and all(u == n["edit"] for _, _, u in direct)
    # written by invoice-tui itself: nothing direct
    assert team["cli"]("invoices", "edit", str(team["draft"]), "--title", "Through the app").code == 0
    assert len([c for c in team["cli"]("history", str(team["draft"]), as_json=True).data["property_changes"]
                if c["source"] == "direct"]) == len(direct)
    # the SQL chain and the Python chain agree row for row
    database.obj.connect(reuse_if_open=True)
    rows = list(PropertyChange.select().order_by(PropertyChange.id))
    assert any(r.source == "direct" for r in rows)
    prev = history.GENESIS
    for r in rows:
        content = {f: getattr(r, f) for f in history.PROPERTY_CHANGE_FIELDS}
        assert r.prev_hash == prev and history.row_hash(prev, content) == r.hash, (r.id, r.source)
        prev = r.hash
    res = team["cli"]("audit", "verify", as_json=True)
    assert all(c["ok"] for c in res.data["chains"])  # the chains hold …
    found = {(f["problem"], f["property"], f["by"]) for f in res.data["findings"]}
    assert res.code == 1 and ("direct write", "title", n["edit"]) in found  # … and the audit names the writes
    assert ("differs", "po_number", None) in found, found


def test_r52_a_teammate_imports_invoices_through_the_rights_and_chain_triggers(team, capsys, tmp_path):
    """R52 + R53: an import as a teammate with create and edit works: the database refuses a
    teammate's numbered invoice inserted at once, so a teammate's import goes one by one (the
    services' way: a draft inserted, then numbered), its history rows through the trigger that
    checks each link; the audit verifies the chains afterwards."""
    path = tmp_path / "invoices.csv"
    path.write_text("Number,Status,Currency,Invoice date,Contact email,Line item,Quantity,Unit price\n"
                    "X-1,open,EUR,2026-01-05,bob@example.com,Work,2,10\n"
                    "X-1,open,EUR,2026-01-05,bob@example.com,More,1,5\n"
                    ",draft,EUR,2026-01-06,bob@example.com,Draft work,1,7\n", encoding="utf-8")
    cli = Cli(url_as(pg_admin_url(), team["names"]["edit"], team["db"]), capsys, user=False)
    res = cli("import", "invoices", "--file", str(path), as_json=True)
    assert res.code == 0, res.err
    assert res.data["created"] == 2 and res.data["lines"] == 3 and res.data["written"]
    # the owner's import is written in bulk (COPY), through the same triggers
    path.write_text(path.read_text(encoding="utf-8").replace("X-1", "X-2"), encoding="utf-8")
    res = team["cli"]("import", "invoices", "--file", str(path), as_json=True)
    assert res.code == 0 and res.data["created"] == 2, res.err
    res = team["cli"]("audit", "verify")
    assert res.code == 0, res.out + res.err
