"""Pilot tests of the invoice index (issue 3): R20 filters, R21 views, columns, sort, search,
opening an invoice, keys, and changes written by another connection."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from index_helpers import dataset_app, settle, shown_ids  # noqa: E402
from invoice_tui.db import sqlite_path  # noqa: E402
from invoice_tui.domain.filters import Filter, FilterGroup, FilterSet  # noqa: E402
from invoice_tui.screens.index import IndexScreen  # noqa: E402
from invoice_tui.widgets.filter_sidebar import FilterSidebar  # noqa: E402
from invoice_tui.widgets.view_tabs import ViewTabs  # noqa: E402

SIZE = (120, 40)


def fs(*groups: list[tuple]) -> FilterSet:
    return FilterSet(groups=[FilterGroup(filters=[Filter(property=p, operator=o, values=list(v)) for p, o, *v in g])
                             for g in groups])


async def test_index_lists_every_invoice_newest_first_with_totals(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IndexScreen)
        assert shown_ids(screen) == sorted(ids.values(), reverse=True)
        status = str(screen.query_one("#index-status").render())
        assert status.startswith("8 invoices")
        # voided invoices bill and owe nothing: EUR = 100 (overdue) + 250 (paid) + 0 (retainer draft)
        assert "EUR billed €350.00, balance €100.00" in status
        assert "GBP billed £75.00, balance £50.00" in status
        row = screen.table.row_at(0)
        assert row.cells[:2] == ["INV-1006", "Ada Lovelace"]
        overdue = screen.table.row_at(shown_ids(screen).index(ids["overdue"]))
        assert overdue.cells[5].startswith("Overdue ") and overdue.cells[3] == "€100.00"  # issue 24: "Overdue 15 d"


async def _add_filter(pilot, sidebar: FilterSidebar, prop: str, op: str, *, values=(), choices=(),
                      new_group: bool = False) -> None:
    from textual.widgets import Input, Select, SelectionList

    sidebar.query_one("#filter-property", Select).value = prop
    await pilot.pause()
    sidebar.query_one("#filter-operator", Select).value = op
    await pilot.pause()
    if choices:
        sl = sidebar.query_one("#filter-choices", SelectionList)
        for c in choices:
            sl.select(c)
    if values:
        sidebar.query_one("#filter-value", Input).value = values[0]
        if len(values) > 1:
            sidebar.query_one("#filter-value2", Input).value = values[1]
    await pilot.click("#add-group" if new_group else "#add-filter")
    await settle(pilot)


async def test_r20_sidebar_two_or_groups_of_and_filters(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("f")
        await pilot.pause()
        sidebar = screen.sidebar
        assert sidebar.display
        # group 1: open AND EUR ; group 2: owner bob AND amount billed > 50
        await _add_filter(pilot, sidebar, "status", "any_of", choices=["open"])
        await _add_filter(pilot, sidebar, "currency", "any_of", choices=["EUR"])
        assert shown_ids(screen) == [ids["overdue"]]
        await _add_filter(pilot, sidebar, "owner", "any_of", choices=["bob"], new_group=True)
        await _add_filter(pilot, sidebar, "amount_billed", "gt", values=["50"])
        assert sorted(shown_ids(screen)) == sorted([ids["overdue"], ids["gbp_part"]])
        assert screen.filters.summary() == "2 groups, 4 filters"
        summary = str(screen.query_one("#index-filters-summary").render())
        # issue 24: the summary names the conditions ("or" between groups), as many as fit, then "+N"
        assert summary.startswith("Status is any of Open · Currency is any of EUR · or Invoice owner is any of bob")
        assert summary.endswith("f edit · c clear")
        # a bad value is refused with a sentence and changes nothing
        await _add_filter(pilot, sidebar, "due_date", "before", values=["someday"])
        assert "is not a date" in str(sidebar.query_one("#filter-message").render())
        assert screen.filters.count == 4
        # remove the "> 50" filter of group 2 with its ✕: bob's draft comes back
        sidebar.remove_filter(1, 1)
        await settle(pilot)
        assert sorted(shown_ids(screen)) == sorted([ids["overdue"], ids["gbp_part"], ids["retainer"]])
        # a date picked from the quick list: "due date before today" joins group 2
        from textual.widgets import Input, Select

        sidebar.query_one("#filter-property", Select).value = "due_date"
        await pilot.pause()
        sidebar.query_one("#filter-operator", Select).value = "before"
        await pilot.pause()
        sidebar.query_one("#filter-value", Input).value = ""
        sidebar.query_one("#filter-date-pick", Select).value = "today"
        await pilot.pause()
        assert sidebar.query_one("#filter-value", Input).value == "today"
        await pilot.click("#add-filter")
        await settle(pilot)
        assert sorted(shown_ids(screen)) == sorted([ids["overdue"], ids["gbp_part"]])
        # Escape closes the sidebar, c clears the filters
        await pilot.press("escape")
        assert not sidebar.display
        await pilot.press("c")
        await settle(pilot)
        assert len(shown_ids(screen)) == 8
        assert not screen.query_one("#index-filters-summary").display


async def test_r20_every_operator_type(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    i = ids
    cases = [
        # text
        (fs([("contact_name", "any_of", "Linus")]), {i["usd_open"], i["gbp_part"]}),
        (fs([("company_name", "none_of", "Navy Labs")]), set(i.values()) - {i["paid"], i["voided"]}),
        (fs([("contact_email", "contains", "navy")]), {i["paid"], i["voided"]}),
        (fs([("contact_name", "not_contains", "a")]), {i["usd_open"], i["gbp_part"], i["retainer"]}),
        (fs([("number", "starts_with", "INV-100")]), set(i.values()) - {i["jpy_draft"], i["retainer"]}),
        (fs([("po_number", "known")]), {i["jpy_draft"]}),
        (fs([("company_name", "unknown")]), {i["usd_open"], i["gbp_part"], i["retainer"]}),
        # number
        (fs([("days_overdue", "gte", "6")]), {i["gbp_part"], i["overdue"]}),
        (fs([("days_overdue", "between", "1", "10")]), {i["gbp_part"]}),
        (fs([("id", "eq", str(i["paid"]))]), {i["paid"]}),
        (fs([("id", "ne", str(i["paid"]))]), set(i.values()) - {i["paid"]}),
        (fs([("days_overdue", "lt", "1")]), set(i.values()) - {i["gbp_part"], i["overdue"]}),
        # money (each invoice in its own currency)
        (fs([("amount_billed", "gt", "999.99")]), {i["voided"], i["jpy_draft"]}),
        (fs([("amount_billed", "lte", "40")]), {i["usd_open"], i["retainer"]}),
        (fs([("balance_due", "eq", "50")]), {i["gbp_part"]}),
        (fs([("amount_billed", "between", "75", "250")]), {i["overdue"], i["paid"], i["gbp_part"]}),
        # date
        (fs([("due_date", "on", "2026-03-16")]), {i["today_due"]}),
        (fs([("due_date", "before", "today")]), {i["overdue"], i["gbp_part"]}),
        (fs([("invoice_date", "after", "2026-03-01")]), {i["today_due"]}),
        (fs([("due_date", "between", "2026-03-10", "2026-03-20")]), {i["gbp_part"], i["today_due"], i["paid"]}),
        (fs([("invoice_date", "more_than_days_ago", "20")]), {i["overdue"]}),
        (fs([("due_date", "less_than_days_from_now", "14")]), {i["today_due"], i["paid"], i["voided"]}),
        (fs([("due_date", "more_than_days_from_now", "20")]), {i["usd_open"], i["jpy_draft"], i["retainer"]}),
        (fs([("invoice_date", "less_than_days_ago", "14")]), {i["today_due"]}),
        (fs([("payment_date", "known")]), {i["paid"]}),
        (fs([("last_sent_date", "unknown")]), set(i.values())),
        # choice
        (fs([("status", "any_of", "draft", "voided")]), {i["jpy_draft"], i["retainer"], i["voided"]}),
        (fs([("currency", "none_of", "EUR", "USD")]), {i["jpy_draft"], i["gbp_part"]}),
        (fs([("overdue", "any_of", "true")]), {i["overdue"], i["gbp_part"]}),
        (fs([("owner", "any_of", "me")]), set(i.values()) - {i["gbp_part"], i["retainer"]}),
    ]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        for filters, expected in cases:
            screen.set_filters(filters)
            await settle(pilot)
            assert set(shown_ids(screen)) == expected, filters.groups[0].filters[0].describe()


async def test_r20_limits_are_enforced_with_a_message(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.set_filters(fs([("amount_billed", "gte", "0")] * 10))
        await settle(pilot)
        await pilot.press("f")
        sidebar = screen.sidebar
        await _add_filter(pilot, sidebar, "amount_billed", "gte", values=["1"])
        message = str(sidebar.query_one("#filter-message").render())
        assert "At most 10 filters in a group" in message
        assert screen.filters.count == 10
        screen.set_filters(fs(*[[("status", "any_of", "open")]] * 5))
        await settle(pilot)
        await _add_filter(pilot, sidebar, "status", "any_of", choices=["paid"], new_group=True)
        assert "At most 5 filter groups" in str(sidebar.query_one("#filter-message").render())
        assert len(screen.filters.groups) == 5
        screen.set_filters(fs(*[[("status", "any_of", "open")] * 9, [("status", "any_of", "open")] * 9,
                                [("status", "any_of", "open")] * 7]))
        await settle(pilot)
        await _add_filter(pilot, sidebar, "currency", "any_of", choices=["EUR"])
        assert "At most 25 filters in all" in str(sidebar.query_one("#filter-message").render())
        assert screen.filters.count == 25


async def test_r21_save_switch_and_delete_a_view(sqlite_url, clock):
    from textual.widgets import Input

    from invoice_tui.domain import views
    from invoice_tui.modals.dialogs import ConfirmDialog
    from invoice_tui.modals.save_view import SaveViewModal

    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        tabs = screen.query_one(ViewTabs)
        assert [v.name for v in tabs.views.values()] == ["All invoices", "Overdue", "Drafts", "Mine"]
        screen.set_filters(fs([("currency", "any_of", "EUR")]))
        await settle(pilot)
        assert tabs.active_tab.label_text == "All invoices *"
        await pilot.press("ctrl+s")  # on "All invoices": save as
        await pilot.pause()
        assert isinstance(app.screen, SaveViewModal)
        app.screen.query_one(Input).value = "Euro"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IndexScreen)
        assert tabs.active_view.name == "Euro" and tabs.active_tab.label_text == "Euro (private)"
        euro = sorted(shown_ids(screen))
        assert euro == sorted([ids["overdue"], ids["paid"], ids["voided"], ids["retainer"]])
        # switch to "Overdue" (a default view), then back
        tabs.active = "view-1"
        await settle(pilot)
        assert sorted(shown_ids(screen)) == sorted([ids["overdue"], ids["gbp_part"]])
        assert screen.sort == "due_date" and shown_ids(screen) == [ids["overdue"], ids["gbp_part"]]
        euro_id = next(v.id for v in tabs.views.values() if v.name == "Euro")
        tabs.active = f"view-{euro_id}"
        await settle(pilot)
        assert sorted(shown_ids(screen)) == euro
        # save changes over it (sort), then delete it
        screen.set_sort("amount_billed")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        ctx = app.ctx
        assert views.get_view(ctx, "Euro").sort == "amount_billed"
        screen.action_delete_view()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#confirm")
        await settle(pilot)
        assert [v.name for v in tabs.views.values()] == ["All invoices", "Overdue", "Drafts", "Mine"]
        assert tabs.active == "view-all" and len(shown_ids(screen)) == 8


async def test_edit_columns(sqlite_url, clock):
    from textual.widgets import OptionList

    from invoice_tui.modals.columns import ColumnsModal

    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("e")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ColumnsModal)
        shown = modal.query_one("#shown", OptionList)
        shown.highlighted = 1  # Billing contact
        await pilot.press("x")  # remove
        shown.highlighted = 1  # Company
        await pilot.press("shift+up")  # move before Number
        avail = modal.query_one("#available", OptionList)
        avail.focus()
        avail.highlighted = [o.id for o in avail._options].index("po_number")
        await pilot.press("enter")  # add PO number at the end
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.table.column_ids == ["company_name", "number", "amount_billed", "balance_due", "status",
                                           "due_date", "owner", "last_sent_date", "po_number"]
        row = screen.table.row_at(shown_ids(screen).index(ids["jpy_draft"]))
        assert row.cells[0] == "Analytical Engines" and row.cells[-1] == "PO-77"
        # Escape cancels without a change
        await pilot.press("e")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, IndexScreen) and screen.table.column_ids[0] == "company_name"


async def test_sort_by_key_and_by_header_click(sqlite_url, clock):
    from textual.widgets import OptionList

    from invoice_tui.modals.columns import SortModal

    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SortModal)
        options = app.screen.query_one(OptionList)
        options.highlighted = [o.id for o in options._options].index("contact_name")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.sort == "contact_name"
        # SQLite: empty names first; then Ada ×3, Grace ×2, Linus ×2 (ties by id)
        assert shown_ids(screen) == [ids["retainer"], ids["overdue"], ids["jpy_draft"], ids["today_due"],
                                     ids["paid"], ids["voided"], ids["usd_open"], ids["gbp_part"]]
        # a click on the "Number" header sorts by it, a second click reverses
        await pilot.click("#invoice-table", offset=(4, 0))
        await settle(pilot)
        assert screen.sort == "number"
        await pilot.click("#invoice-table", offset=(4, 0))
        await settle(pilot)
        assert screen.sort == "-number"
        assert shown_ids(screen)[:2] == [ids["today_due"], ids["gbp_part"]]


async def test_quick_search_and_escape(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("slash")
        await pilot.press(*"navy")
        await pilot.press("enter")
        await settle(pilot)
        assert sorted(shown_ids(screen)) == sorted([ids["paid"], ids["voided"]])
        assert "matching “navy”" in str(screen.query_one("#index-status").render())
        screen.set_search("PO-77")
        await settle(pilot)
        assert shown_ids(screen) == [ids["jpy_draft"]]
        await pilot.press("escape")  # clears the search
        await settle(pilot)
        assert len(shown_ids(screen)) == 8
        await pilot.press("escape")  # nothing left to close: never quits
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, IndexScreen)


async def test_keys_typed_in_an_input_stay_there_and_q_quits(sqlite_url, clock):
    from textual.widgets import Input

    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("slash", "q", "f", "n", "j")
        await pilot.pause()
        assert screen.query_one("#index-search", Input).value == "qfnj"
        assert app.is_running and not screen.sidebar.display
        await pilot.press("escape")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_vi_and_arrow_keys_move_the_cursor(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.table
        await pilot.press("j", "j", "down")
        assert table.cursor_row == 3
        await pilot.press("k", "up")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == 7
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == 7
        await pilot.press("home", "pagedown")
        assert table.cursor_row == 7
        await pilot.press("pageup")
        assert table.cursor_row == 0


async def test_enter_opens_the_invoice(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, IndexScreen)
        assert app.screen.invoice_id == ids["gbp_part"]
        await settle(pilot)
        app.pop_screen()
        await pilot.pause()
        assert isinstance(app.screen, IndexScreen) and app.screen.table.cursor_row == 2


async def test_palette_goes_to_an_invoice_by_number(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"INV-1003")
        # wait until the palette lists the invoice (a condition, not a guessed half second)
        import time

        from textual.command import CommandList

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            await pilot.pause(0.05)
            found = app.screen.query(CommandList)
            if found and found.first().option_count and "INV-1003" in str(found.first().get_option_at_index(0).prompt):
                break
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.invoice_id == ids["usd_open"]


async def test_a_change_by_another_connection_shows_up_without_moving_the_cursor(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("j", "j", "j")
        await settle(pilot)
        screen.check_for_changes()  # the timer's job, called now: no timed assertions
        await settle(pilot)
        other = sqlite3.connect(str(sqlite_path(sqlite_url)))
        other.execute("UPDATE invoice SET contact_name = 'Zed Changed' WHERE id = ?", (ids["usd_open"],))
        other.commit()
        other.close()
        screen.check_for_changes()
        await settle(pilot)
        index = shown_ids(screen).index(ids["usd_open"])
        assert screen.table.row_at(index).cells[1] == "Zed Changed"
        assert screen.table.cursor_row == 3
