"""Backup of a live SQLite workspace and copy of a whole workspace to PostgreSQL (issue 8)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from invoice_tui.db import database
from invoice_tui import demo
from invoice_tui.domain import audit, invoices
from invoice_tui.domain.transfer import discover_models
from invoice_tui.domain.workspace import open_workspace
from hardkit import ROOT, Cli, populate, wait_for


def _activity_count(sqlite_url: str) -> int:
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), timeout=60)
    try:
        return conn.execute("SELECT COUNT(*) FROM activity").fetchone()[0]
    finally:
        conn.close()

WRITER = r"""
import sys
from invoice_tui.domain.workspace import open_workspace
from invoice_tui.domain import invoices
ws = open_workspace(sys.argv[1], notice=lambda m: None)
ctx = ws.context("alice", source="test")
inv = invoices.create_invoice(ctx, {"currency": "EUR"})
print("ready", flush=True)
i = 0
while True:
    invoices.add_note(ctx, inv.id, f"note {i}")
    i += 1
"""


def test_backup_is_consistent_while_another_process_writes(sqlite_url, tmp_path, capsys):
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    populate(ws.context("alice", source="test"), n=2)
    ws.db.close()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, sqlite_url], stdout=subprocess.PIPE, text=True,
                              cwd=str(ROOT), env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    try:
        assert writer.stdout.readline().strip() == "ready"
        cli = Cli(sqlite_url, capsys)
        results = []
        seen = 0
        for i in range(3):
            # no sleeping on a guess: each backup waits until the writer has written more notes
            assert wait_for(lambda: _activity_count(sqlite_url) > seen, timeout=120)
            seen = _activity_count(sqlite_url)
            dest = tmp_path / f"backup{i}.db"
            res = cli("backup", str(dest))
            assert res.code == 0, res.err
            results.append(dest)
    finally:
        writer.kill()
        writer.wait(10)
    counts = []
    for dest in results:
        conn = sqlite3.connect(dest)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts.append(conn.execute("SELECT COUNT(*) FROM activity").fetchone()[0])
        conn.close()
        bws = open_workspace(f"sqlite:///{dest}", notice=lambda m: None)
        report = audit.verify()  # one snapshot: every chain row matches its head
        bws.db.close()
        assert report.ok, report.record()
    assert counts == sorted(counts) and counts[-1] > counts[0]  # the writer kept writing
    assert not list(tmp_path.glob(".*part*"))


def test_backup_refuses_existing_file_and_postgresql(sqlite_url, pg_url, tmp_path, capsys):
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    ws.context("alice")
    ws.db.close()
    existing = tmp_path / "there.db"
    existing.write_text("keep me")
    res = Cli(sqlite_url, capsys)("backup", str(existing))
    assert res.code == 2 and "already exists" in res.err
    assert existing.read_text() == "keep me"
    res = Cli(pg_url, capsys)("backup", str(tmp_path / "pg.db"))
    assert res.code == 1 and "pg_dump" in res.err
    assert not (tmp_path / "pg.db").exists()


def _objects(model):
    fields = model._meta.sorted_fields
    return list(model.select(*fields).order_by(model._meta.primary_key).tuples())


def test_copy_moves_a_demo_workspace_to_postgresql_object_by_object(sqlite_url, pg_url, tmp_path, capsys, clock):
    from invoice_tui.domain import people, views
    from invoice_tui.exports.service import run_export

    ws = open_workspace(sqlite_url, notice=lambda m: None)
    admin = ws.context("alice", source="test", now=clock)
    demo.generate(admin, invoices=60, seed=5)
    people.add_user(admin, "bob", permissions="create,edit")
    run_export(admin, {"name": "all", "format": "csv", "folder": str(tmp_path)})
    ws.db.close()
    cli = Cli(sqlite_url, capsys)
    res = cli("copy", "--to", pg_url)
    assert res.code == 0, res.err
    assert "intact" in res.out

    models = discover_models()
    names = {m._meta.table_name for m in models}
    assert {"invoice", "payment", "property_change", "activity", "chain_head", "counter", "setting", "user",
            "saved_view", "outbox", "export_log"} <= names
    src = open_workspace(sqlite_url, notice=lambda m: None)
    source = {m._meta.table_name: _objects(m) for m in models}
    src.db.close()
    dst = open_workspace(pg_url)
    try:
        for model in models:
            assert _objects(model) == source[model._meta.table_name], model._meta.table_name
        assert sum(len(v) for v in source.values()) > 500
        assert audit.verify().ok
        # the copy is a working workspace: ids continue after the copied ones, numbers after the counter
        ctx = dst.context("alice", source="test", now=clock)
        before_max = max(r[0] for r in source["invoice"])
        inv = invoices.create_invoice(ctx, {"currency": "EUR", "lines": [{"name": "x", "quantity": "1",
                                                                          "unit_price": "5"}],
                                            "contact_id": source["contact"][0][0]})
        assert inv.id > before_max
        counter = dict((r[0], r[1]) for r in source["counter"])["invoice_number"]
        inv = invoices.finalize_invoice(ctx, inv.id)
        assert inv.number_seq == counter
    finally:
        dst.db.close()
    # a second copy into the now non-empty target is refused and changes nothing
    res = cli("copy", "--to", pg_url)
    assert res.code == 1 and "empty database" in res.err
