"""Identity (issue 8). Team mode (PostgreSQL): the user is the database role (``SELECT
current_user``) mapped to the workspace user of that login; ``--user``/``INVOICE_TUI_USER`` naming
someone else is refused unless that role is a super admin. Personal mode (SQLite): unchanged.
The test creates its own LOGIN roles and drops them afterwards."""

from __future__ import annotations

import uuid
from urllib.parse import urlparse

import pytest

from invoice_tui.db.models import Activity, Invoice, User
from invoice_tui.domain.workspace import open_workspace
from hardkit import Cli, pg_admin_url, pg_exec, url_as


@pytest.fixture
def role_factory(pg_url):
    made: list[str] = []
    dbs: list[str] = []

    def make() -> str:
        name = f"it_role_{uuid.uuid4().hex[:10]}"
        pg_exec(pg_admin_url(), f'CREATE ROLE "{name}" LOGIN')
        made.append(name)
        return name

    make.dbs = dbs
    yield make
    from invoice_tui.db import database

    try:
        database.obj.close()
    except Exception:  # noqa: BLE001
        pass
    for db in dbs:
        pg_exec(pg_admin_url(), f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    for name in made:
        pg_exec(pg_url, f'DROP OWNED BY "{name}"')
        pg_exec(pg_admin_url(), f'DROP ROLE IF EXISTS "{name}"')


def _grant(url: str, role: str) -> None:
    """Privileges granted by hand, outside the app (``team check`` lists them as excess). A new
    workspace revokes CONNECT from PUBLIC (R53), so it is granted here too."""
    from urllib.parse import urlparse as _parse

    pg_exec(url, f'GRANT CONNECT ON DATABASE "{_parse(url).path.lstrip("/")}" TO "{role}"',
            f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"',
            f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"')


def test_team_mode_user_is_the_database_role(pg_url, role_factory, capsys, monkeypatch):
    admin = Cli(pg_url, capsys, user="alice")
    assert admin("contacts", "add", "--email", "ada@example.com").code == 0  # alice: the first user
    carol = role_factory()
    _grant(pg_url, carol)
    as_carol = Cli(url_as(pg_url, carol), capsys)

    # carol's role is not a workspace user yet: she may only view
    res = as_carol("invoices", "create", "--currency", "EUR", user=False)
    assert res.code == 1 and f"'{carol}' is not a user" in res.err
    assert as_carol("invoices", "list", user=False).code == 0
    # she cannot pretend to be alice, by option or by environment
    res = as_carol("invoices", "create", "--currency", "EUR", user="alice")
    assert res.code == 1 and "team mode" in res.err and carol in res.err
    monkeypatch.setenv("INVOICE_TUI_USER", "alice")
    res = as_carol("invoices", "create", "--currency", "EUR", user=False)
    assert res.code == 1 and "team mode" in res.err
    monkeypatch.delenv("INVOICE_TUI_USER")
    ws = open_workspace(pg_url)
    assert Invoice.select().count() == 0
    ws.db.close()

    # alice makes the role a user with create: carol acts as herself, recorded under her login
    assert admin("users", "add", carol, "--permissions", "create").code == 0
    res = as_carol("invoices", "create", "--currency", "EUR", user=False)
    assert res.code == 0, res.err
    assert as_carol("invoices", "create", "--currency", "EUR", user=carol).code == 0  # naming herself is fine
    assert as_carol("invoices", "create", "--currency", "EUR", user="alice").code == 1
    ws = open_workspace(pg_url)
    assert {i.owner.login for i in Invoice.select()} == {carol}
    assert {a.user_login for a in Activity.select()} == {carol}
    ws.db.close()

    # a super admin role may act for someone else (support, imports)
    assert admin("users", "grant", carol, "super_admin").code == 0
    assert as_carol("invoices", "create", "--currency", "EUR", user="alice").code == 0


def test_first_user_of_a_new_team_workspace_is_the_role(pg_url, role_factory, capsys):
    dave = role_factory()
    dbname = f"invoice_tui_test_{uuid.uuid4().hex[:12]}"
    pg_exec(pg_admin_url(), f'CREATE DATABASE "{dbname}" OWNER "{dave}"')
    role_factory.dbs.append(dbname)
    url = url_as(pg_url, dave, dbname)
    cli = Cli(url, capsys)
    res = cli("invoices", "create", "--currency", "EUR", user=False)
    assert res.code == 0, res.err
    ws = open_workspace(url)
    users = list(User.select())
    assert [(u.login, "super_admin" in u.permissions) for u in users] == [(dave, True)]
    ws.db.close()
    # dave may not create roles (R53): the exact SQL for an administrator, exit 1, nothing written
    res = cli("users", "add", "erin", "--permissions", "create", user=False)
    assert res.code == 1 and 'CREATE ROLE "erin" LOGIN' in res.err
    ws = open_workspace(url)
    assert [u.login for u in User.select()] == [dave]
    ws.db.close()
    erin = role_factory()  # the administrator made the role; dave's users add adopts it
    # as super admin, dave may act as another user (who must exist to do more than view)
    assert cli("users", "add", erin, "--permissions", "create", user=False).code == 0
    assert cli("invoices", "create", "--currency", "EUR", user=erin).code == 0


def test_personal_mode_keeps_user_option(sqlite_url, capsys, monkeypatch):
    cli = Cli(sqlite_url, capsys, user="alice")
    assert cli("contacts", "add", "--email", "a@example.com").code == 0
    assert cli("users", "add", "bob", "--permissions", "create").code == 0
    assert cli("invoices", "create", "--currency", "EUR", user="bob").code == 0
    monkeypatch.setenv("INVOICE_TUI_USER", "bob")
    assert cli("invoices", "create", "--currency", "EUR", user=False).code == 0
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    assert [i.owner.login for i in Invoice.select()] == ["bob", "bob"]
    ws.db.close()


async def test_tui_uses_the_role(pg_url, role_factory):
    from invoice_tui.app import make_app
    from invoice_tui.domain.errors import PermissionDenied

    ws = open_workspace(pg_url)
    ws.context("alice")
    ws.db.close()
    carol = role_factory()
    _grant(pg_url, carol)
    with pytest.raises(PermissionDenied):
        make_app(url_as(pg_url, carol), user="alice")
    app = make_app(url_as(pg_url, carol))
    assert app.ctx.login == carol and app.ctx.user is None
    app.workspace.db.close()
