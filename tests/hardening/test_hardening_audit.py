"""Tamper evidence (issue 8): ``audit verify`` catches rows changed, deleted, inserted and reordered
behind the app's back (raw SQL), and ``--head H`` catches a consistent rewrite of everything
before H. SQLite file and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from invoice_tui.db.models import Activity, ChainHead, PropertyChange
from invoice_tui.domain import audit, history
from invoice_tui.domain.workspace import open_workspace
from hardkit import Cli, populate


@pytest.fixture
def sws(sqlite_url):
    workspace = open_workspace(sqlite_url, notice=lambda m: None)
    yield workspace
    workspace.db.close()


@pytest.fixture
def sadmin(sws, clock):
    return sws.context("alice", source="test", now=clock)


@pytest.fixture
def cli(sws, sadmin, sqlite_url, capsys):
    """The CLI on a populated SQLite file (tampering is done with raw SQL on the same file)."""
    populate(sadmin)
    return Cli(sqlite_url, capsys)


def _verify(cli, *extra):
    return cli("audit", "verify", *extra)


def test_intact_chain_verifies_and_head_is_printed(cli):
    res = _verify(cli)
    assert res.code == 0, res.err
    assert "Audit trail intact" in res.out
    head = cli("audit", "head").out.strip()
    assert head.startswith("property_change=") and ";activity=" in head
    assert _verify(cli, "--head", head).code == 0
    data = cli("audit", "verify", as_json=True).data
    assert data["ok"] and data["head"] == head


def _rows(table):
    model = PropertyChange if table == "property_change" else Activity
    return list(model.select().order_by(model.id))


@pytest.mark.parametrize("table", ["property_change", "activity"])
def test_changed_row_is_caught(cli, sws, table):
    target = _rows(table)[3]
    column = "new_value" if table == "property_change" else "text"
    sws.db.execute_sql(f'UPDATE "{table}" SET {column} = %s WHERE id = %s'.replace("%s", sws.db.param),
                      ("999", target.id))
    res = _verify(cli)
    assert res.code == 1
    assert f"row {target.id} was changed" in res.err


@pytest.mark.parametrize("table", ["property_change", "activity"])
def test_deleted_row_is_caught(cli, sws, table):
    rows = _rows(table)
    sws.db.execute_sql(f'DELETE FROM "{table}" WHERE id = {rows[2].id}')
    res = _verify(cli)
    assert res.code == 1
    assert f"row {rows[3].id} does not follow" in res.err


def test_deleted_last_row_is_caught(cli, sws):
    last = _rows("activity")[-1]
    sws.db.execute_sql(f'DELETE FROM "activity" WHERE id = {last.id}')
    res = _verify(cli)
    assert res.code == 1 and "rows were removed" in res.err


def test_inserted_row_is_caught(cli, sws):
    rows = _rows("activity")
    # A forged row squeezed between two rows: its own hash is right, the next row no longer follows.
    sws.db.execute_sql(f'UPDATE "activity" SET id = id + 1000 WHERE id > {rows[4].id}')
    content = dict(invoice_id=rows[4].invoice_id, invoice_number=rows[4].invoice_number, kind="note",
                   text="forged", user_login="mallory", created_at=rows[4].created_at, due_date=None, ref_id=None)
    h = history.row_hash(rows[4].hash, content)
    Activity.insert(id=rows[4].id + 1, prev_hash=rows[4].hash, hash=h, **content).execute()
    res = _verify(cli)
    assert res.code == 1
    assert f"row {rows[5].id + 1000} does not follow" in res.err


def test_reordered_rows_are_caught(cli, sws):
    a, b = _rows("property_change")[1:3]
    sws.db.execute_sql(f'UPDATE "property_change" SET id = -1 WHERE id = {a.id}')
    sws.db.execute_sql(f'UPDATE "property_change" SET id = {a.id} WHERE id = {b.id}')
    sws.db.execute_sql(f'UPDATE "property_change" SET id = {b.id} WHERE id = -1')
    res = _verify(cli)
    assert res.code == 1 and "does not follow" in res.err


def _rewrite_chain(db, table: str, from_index: int, new_text: str) -> None:
    """A consistent rewrite by someone who knows the scheme: every hash and the head recomputed."""
    model, fields = ((PropertyChange, history.PROPERTY_CHANGE_FIELDS) if table == "property_change"
                     else (Activity, history.ACTIVITY_FIELDS))
    rows = list(model.select().order_by(model.id))
    column = "new_value" if table == "property_change" else "text"
    prev = rows[from_index - 1].hash if from_index else history.GENESIS
    for i, row in enumerate(rows[from_index:]):
        if i == 0:
            setattr(row, column, new_text)
        content = {f: getattr(row, f) for f in fields}
        row.prev_hash, row.hash = prev, history.row_hash(prev, content)
        model.update(**{column: getattr(row, column), "prev_hash": row.prev_hash, "hash": "tmp" + str(row.id)}) \
            .where(model.id == row.id).execute()
        prev = row.hash
    for row in rows[from_index:]:
        model.update(hash=row.hash).where(model.id == row.id).execute()
    ChainHead.update(hash=prev).where(ChainHead.name == table).execute()


@pytest.mark.parametrize("table", ["property_change", "activity"])
def test_head_detects_consistent_rewrite_before_it(cli, sws, sadmin, table):
    head = cli("audit", "head").out.strip()
    # more work after the head was recorded
    populate_more = __import__("invoice_tui.domain.invoices", fromlist=["x"])
    populate_more.add_note(sadmin, _rows("activity")[0].invoice_id, "after the head")
    assert _verify(cli, "--head", head).code == 0
    _rewrite_chain(sws.db, table, 2, "rewritten")
    chains = cli("audit", "verify", as_json=True).data["chains"]
    assert all(c["ok"] for c in chains)  # a consistent rewrite fools the chains alone (the replay may see it) …
    res = _verify(cli, "--head", head)  # … but not the head recorded elsewhere
    assert res.code == 1 and "rewritten" in res.err


def test_head_detects_truncation(cli, sws):
    head = cli("audit", "head").out.strip()
    last = _rows("activity")[-1]
    sws.db.execute_sql(f'DELETE FROM "activity" WHERE id = {last.id}')
    ChainHead.update(hash=last.prev_hash, count=ChainHead.count - 1).where(ChainHead.name == "activity").execute()
    assert _verify(cli).code == 0
    res = _verify(cli, "--head", head)
    assert res.code == 1 and "rows were removed" in res.err


def test_bad_head_is_bad_input(cli):
    res = _verify(cli, "--head", "nonsense")
    assert res.code == 2 and "audit head" in res.err


def test_every_tampering_is_caught_on_both_backends(ws, admin):
    """The same tamperings through the domain verifier, each inside a transaction rolled back after
    the check, on SQLite and PostgreSQL (a demo workspace: bulk-written chains verify too)."""
    from invoice_tui import demo

    demo.generate(admin, invoices=30, seed=3)
    populate(admin, n=1)
    assert audit.verify().ok
    recorded = audit.parse_head(audit.head())
    acts, pcs = _rows("activity"), _rows("property_change")
    a, b = acts[5], acts[6]
    tamperings = {
        "changed": [f"UPDATE property_change SET new_value = 'x' WHERE id = {pcs[4].id}"],
        "deleted": [f"DELETE FROM activity WHERE id = {a.id}"],
        "deleted last": [f"DELETE FROM activity WHERE id = {acts[-1].id}"],
        "reordered": [f"UPDATE activity SET id = -1 WHERE id = {a.id}",
                      f"UPDATE activity SET id = {a.id} WHERE id = {b.id}",
                      f"UPDATE activity SET id = {b.id} WHERE id = -1"],
        "inserted": [f"INSERT INTO activity (id, invoice_id, invoice_number, kind, text, user_login, created_at, "
                     f"prev_hash, hash) SELECT {acts[-1].id + 100}, invoice_id, invoice_number, kind, 'forged', "
                     f"user_login, created_at, '{acts[-1].hash}', '{'f' * 64}' FROM activity WHERE id = {a.id}"],
    }
    for name, statements in tamperings.items():
        with ws.db.atomic() as tx:
            for sql in statements:
                ws.db.execute_sql(sql)
            report = audit.verify()
            tx.rollback()
        assert not report.ok, name
    with ws.db.atomic() as tx:
        _rewrite_chain(ws.db, "activity", 3, "rewritten")
        assert audit.verify().ok
        assert not audit.verify(recorded).ok
        tx.rollback()
    assert audit.verify(recorded).ok
