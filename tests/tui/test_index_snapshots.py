"""Snapshots of the invoice index at 80×24 and 120×40 (known dataset, fixed clock 2026-03-16).
Update with: pytest tests/tui/test_index_snapshots.py --snapshot-update"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from index_helpers import dataset_app, settle  # noqa: E402
from invoice_tui.domain.filters import Filter, FilterGroup, FilterSet  # noqa: E402


def test_index_80x24(snap_compare, sqlite_url, clock):
    app, _ = dataset_app(sqlite_url, clock)

    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_index_120x40(snap_compare, sqlite_url, clock):
    app, _ = dataset_app(sqlite_url, clock)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("j", "j")

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_index_filters_sidebar_120x40(snap_compare, sqlite_url, clock):
    app, _ = dataset_app(sqlite_url, clock)

    async def run_before(pilot):
        await settle(pilot)
        screen = pilot.app.screen
        screen.set_filters(FilterSet(groups=[
            FilterGroup(filters=[Filter(property="status", operator="any_of", values=["open"]),
                                 Filter(property="currency", operator="any_of", values=["EUR"])]),
            FilterGroup(filters=[Filter(property="owner", operator="any_of", values=["bob"])]),
        ]))
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
