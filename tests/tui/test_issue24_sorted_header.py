"""Issue 24: the sorted column's arrow does not cost its header its text ("Due dat…" before): at
80×24 sorted by due date, the header reads "Due date ▲" (and ▼) whole, read on screen."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from index_helpers import dataset_app, settle  # noqa: E402
from invoice_tui.widgets.table_columns import fit_columns, make_columns  # noqa: E402


def screen_lines(app) -> list[str]:
    return ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize("sort,arrow", [("due_date", "▲"), ("-due_date", "▼")])
async def test_issue24_sorted_due_date_header_whole_with_its_arrow_at_80x24(sqlite_url, clock, sort, arrow):
    app, _ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.set_sort(sort)
        await settle(pilot)
        table = app.screen.table
        header = screen_lines(app)[table.content_region.y]
        assert f"Due date {arrow}" in header, header
        assert "Due dat…" not in header
        due = next(c for c in table.columns if c.id == "due_date")
        assert due.width >= len("Due date ") + 1  # the arrow's room kept when fitting


def test_issue24_fitting_keeps_the_sorted_headers_room():
    ids = ["number", "contact_name", "company_name", "amount_billed", "balance_due", "status", "due_date"]
    plain = {c.id: c.width for c in fit_columns(make_columns(ids), 74)}
    sorted_ = {c.id: c.width for c in fit_columns(make_columns(ids, sorted_id="due_date"), 74)}
    assert sorted_["due_date"] >= len("Due date ▲") and plain["due_date"] >= len("Due date")
    amount = {c.id: c.width for c in fit_columns(make_columns(ids, sorted_id="balance_due"), 74)}
    assert amount["balance_due"] >= len("Balance due ▲")
