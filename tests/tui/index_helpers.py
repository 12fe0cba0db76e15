"""Helpers shared by the index's Pilot and snapshot tests."""

from __future__ import annotations

from tests.workerkit import workers_done
import shutil
import tempfile
from pathlib import Path

from index_dataset import build
from invoice_tui.app import make_app
from invoice_tui.db import sqlite_path
from invoice_tui.domain.workspace import open_workspace

_TEMPLATE: dict[str, tuple[Path, dict[str, int]]] = {}


def _template(clock) -> tuple[Path, dict[str, int]]:
    """The known dataset is built once per test process (through the services) and copied."""
    key = clock().isoformat()
    if key not in _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="invoice-tui-index-")) / "template.db"
        ws = open_workspace(f"sqlite:///{path}", notice=lambda m: None)
        admin = ws.context("alice", source="test", now=clock)
        ids = build(ws, admin)
        ws.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        ws.db.close()
        _TEMPLATE[key] = (path, ids)
    return _TEMPLATE[key]


def dataset_app(sqlite_url: str, clock, user: str = "alice"):
    """Copy the known dataset into this test's SQLite workspace and return (app, ids)."""
    template, ids = _template(clock)
    target = sqlite_path(sqlite_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return make_app(db_url=sqlite_url, user=user, now=clock), dict(ids)


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their messages be handled (a few rounds: results start more work),
    then until the screen reads the same twice in a row, a tenth of a second apart (bounded): on a
    loaded machine a result could start more work after the rounds, and a snapshot caught the
    screen half-updated."""
    from tests.i18nkit import screen_text

    for _ in range(rounds):
        await workers_done(pilot.app)
        await pilot.pause()
    before = screen_text(pilot.app)
    for _ in range(30):
        await pilot.pause(0.1)
        await workers_done(pilot.app)
        now = screen_text(pilot.app)
        if now == before:
            return
        before = now


def shown_ids(screen) -> list[int]:
    table = screen.table
    assert table.total is not None
    rows = [table.row_at(i) for i in range(table.total)]
    assert all(r is not None for r in rows), "some pages were not loaded"
    return [r.id for r in rows]
