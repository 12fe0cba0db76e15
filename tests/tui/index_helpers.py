"""Helpers shared by the index's Pilot and snapshot tests."""

from __future__ import annotations

from index_dataset import build
from invoice_tui.app import make_app
from invoice_tui.domain.workspace import open_workspace


def dataset_app(sqlite_url: str, clock, user: str = "alice"):
    """Build the known dataset in a new SQLite workspace and return (app, ids)."""
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    admin = ws.context("alice", source="test", now=clock)
    ids = build(ws, admin)
    ws.db.close()
    return make_app(db_url=sqlite_url, user=user, now=clock), ids


async def settle(pilot, rounds: int = 4) -> None:
    """Let workers finish and their messages be handled (a few rounds: results start more work)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def shown_ids(screen) -> list[int]:
    table = screen.table
    assert table.total is not None
    rows = [table.row_at(i) for i in range(table.total)]
    assert all(r is not None for r in rows), "some pages were not loaded"
    return [r.id for r in rows]
