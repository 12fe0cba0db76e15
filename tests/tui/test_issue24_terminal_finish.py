"""Issue 24, the terminal finish: the index read as a user reads it, at 80×24 (the design size),
60×20 and 120×40. Every check reads the rendered screen text whole: each amount, date and
number on screen is its full formatted form (never "2027" for a due date, "$1," for an amount),
text cut only with "…", every currency's total reachable, overdue said in words, "row N of M".
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from index_helpers import dataset_app, settle  # noqa: E402


def screen_lines(app) -> list[str]:
    return ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]


WHOLE = ("money", "date")


def _visible_rows(app):
    """(screen line, row) for each invoice row the table shows."""
    table = app.screen.table
    lines = screen_lines(app)
    top = table.content_region.y + 1  # the header line
    first = int(table.scroll_offset.y)
    for k in range(table.content_region.height - 1):
        index = first + k
        if index >= (table.total or 0):
            break
        yield lines[top + k], table.row_at(index)


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (120, 40)])
async def test_issue24_index_figures_never_cut(sqlite_url, clock, size):
    """Amounts and dates on screen are whole; a column the screen cannot hold whole is not drawn
    at all; text is cut only with "…"; at 80 and 120 columns the due date is on screen."""
    from invoice_tui.domain import catalogue

    app, _ = dataset_app(sqlite_url, clock)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.screen.table
        start, end = table._visible(int(table.scroll_offset.x), table._bar()[0])
        pos, shown = table.columns[0].width + 1, [table.columns[0].id]
        for col in table.columns[1:]:
            if start <= pos and pos + col.width <= end:
                shown.append(col.id)
            pos += col.width + 1
        assert "balance_due" in shown and "amount_billed" in shown
        if size[0] >= 80:
            assert "due_date" in shown and "status" in shown
        rows = list(_visible_rows(app))
        assert len(rows) == 8
        for line, row in rows:
            cells = dict(zip([c.id for c in table.columns], row.cells))
            for cid in shown:
                text = cells[cid]
                if catalogue.get(cid).type in WHOLE or cid in ("number", "status"):
                    if cid == "status" and text.startswith("Overdue"):
                        assert "Overdue" in line
                        continue
                    assert text in line, (size, cid, text, line)
                elif text and text not in line:  # a name: cut only with "…"
                    assert "…" in line, (size, cid, text, line)
            # nothing of a column off screen leaks at the right edge
            body = line[2 + end - (start - table.columns[0].width - 1):].rstrip(" ▊▐▌█▇▆▅▄▃▂▁")
            assert not body.strip() or len(line) <= size[0], (size, line)


async def test_issue24_index_every_currency_total_reachable_and_row_of_m(sqlite_url, clock):
    """The status line never cuts a total: the four currencies' totals are whole on its lines,
    those that do not fit come with t; the table's border says "row N of M"."""
    from invoice_tui.domain.money import format_money, from_minor

    app, _ = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        wanted = {t.currency: f"{t.currency} billed "
                  f"{format_money(from_minor(t.billed_minor, t.currency), t.currency, 'en_US')}, balance "
                  f"{format_money(from_minor(t.balance_minor, t.currency), t.currency, 'en_US')}"
                  for t in screen.totals}
        assert set(wanted) == {"EUR", "GBP", "USD", "JPY"}
        seen = set()
        for _ in range(4):
            text = "\n".join(screen_lines(app))
            for cur, part in wanted.items():
                if part in text:
                    seen.add(cur)
            status = str(screen.query_one("#index-status").render())
            assert all(len(line) <= 78 for line in status.split("\n"))
            await pilot.press("t")
            await settle(pilot)
        assert seen == set(wanted)
        text = "\n".join(screen_lines(app))
        assert "row 1 of 8" in text
        await pilot.press("j", "j")
        await settle(pilot)
        assert "row 3 of 8" in "\n".join(screen_lines(app))


async def test_issue24_overdue_is_said_in_words(sqlite_url, clock):
    """Overdue rows say "Overdue N d" (not colour alone); the days from the clock (2026-03-16)."""
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = "\n".join(screen_lines(app))
        inv_1001 = next(line for line in text.split("\n") if "INV-1001" in line)
        assert "Overdue 15 d" in inv_1001  # due 2026-03-01
        inv_1005 = next(line for line in text.split("\n") if "INV-1005" in line)
        assert "Overdue 6 d" in inv_1005


def test_issue24_visible_window_draws_whole_columns_only():
    from invoice_tui.widgets.table_columns import Column, fit_line, visible_window

    cols = [Column("number", "Number", 4, False), Column("a", "A", 5, True), Column("b", "B", 8, False)]
    line = "N-01 12.50 31/12/26 "
    assert visible_window(cols, 2, 0, 2 + 5 + 6 + 9) == (5, 20)
    narrow = visible_window(cols, 2, 0, 2 + 5 + 6 + 4)  # "31/1" would show: the date is left out
    assert fit_line("  ", line, 5, 0, 17, narrow) == "  N-01 12.50     "
    scrolled = visible_window(cols, 2, 3, 2 + 5 + 9)  # scrolled into the amount: start at the date
    assert fit_line("  ", line, 5, 3, 16, scrolled) == "  N-01 31/12/26 "
