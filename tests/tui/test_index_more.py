"""More of the index: PostgreSQL change notifications, NO_COLOR, help, new invoice, export, and
the shared dialog family (modals/dialogs.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from index_helpers import dataset_app, settle, shown_ids  # noqa: E402
from invoice_tui.app import make_app  # noqa: E402
from invoice_tui.screens.index import IndexScreen  # noqa: E402

SIZE = (120, 40)


async def test_postgresql_change_by_another_connection_shows_up(pg_url, clock):
    import psycopg2

    from invoice_tui.domain import invoices, people
    from invoice_tui.domain.workspace import open_workspace

    ws = open_workspace(pg_url, notice=lambda m: None)
    admin = ws.context("alice", source="test", now=clock)
    ada = people.add_contact(admin, {"email": "ada@example.com", "first_name": "Ada"})
    first = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": ada.id})
    invoices.create_invoice(admin, {"currency": "USD"})
    ws.db.close()
    app = make_app(db_url=pg_url, user="alice", now=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert shown_ids(screen) == [first.id + 1, first.id]
        await pilot.press("j")
        screen.check_for_changes()  # LISTEN starts here (the timer's job, called now)
        await settle(pilot)
        other = psycopg2.connect(pg_url)
        with other, other.cursor() as cur:
            cur.execute("UPDATE invoice SET contact_name = 'Changed elsewhere' WHERE id = %s", (first.id,))
        other.close()
        import time

        deadline = time.monotonic() + 60  # the NOTIFY travels over the socket: poll until it has arrived
        while time.monotonic() < deadline:
            screen.check_for_changes()
            await settle(pilot)
            if screen.table.row_at(1).cells[1] == "Changed elsewhere":
                break
            await pilot.pause(0.05)
        assert screen.table.row_at(1).cells[1] == "Changed elsewhere"
        assert screen.table.cursor_row == 1


async def test_no_color_keeps_the_cursor_visible(sqlite_url, clock, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        table = app.screen.table
        line = "".join(seg.text for seg in table.render_line(1))
        assert line.startswith("› INV-1006")  # the marker, not only a colour, shows the cursor


async def test_help_lists_the_index_keys(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        keys = {b.binding.id for b in app.screen.active_bindings.values()}
        assert {"index.search", "index.filters", "index.new", "index.sort", "index.columns", "index.export",
                "index.save_view", "index.quit", "table.open", "table.last"} <= keys


async def test_n_starts_a_new_invoice_and_x_opens_the_export(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert type(app.screen).__name__ in ("EditorScreen", "NewDraftModal")
        app.pop_screen()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, IndexScreen)
        screen.set_search("navy")
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        if type(dialog).__name__ == "ExportDialog":
            assert dialog.search == "navy" and dialog.columns == screen.columns


async def test_dialog_family(sqlite_url, clock):
    from textual.widgets import Input

    from invoice_tui.domain.errors import RuleRefused
    from invoice_tui.modals.dialogs import ConfirmDialog, InfoDialog, TypedConfirmDialog, error_dialog

    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        results = []
        app.push_screen(ConfirmDialog("Delete", "Delete it?", confirm="Delete", danger=True), results.append)
        await pilot.pause()
        await pilot.press("enter")  # the focused button is Cancel: Enter is safe
        app.push_screen(ConfirmDialog("Delete", "Delete it?"), results.append)
        await pilot.pause()
        await pilot.click("#confirm")
        app.push_screen(TypedConfirmDialog("Void", "Irreversible.", "INV-1001"), results.append)
        await pilot.pause()
        await pilot.press(*"INV-100", "enter")  # not the exact text: stays open
        await pilot.pause()
        assert isinstance(app.screen, TypedConfirmDialog)
        app.screen.query_one(Input).value = "INV-1001"
        await pilot.press("enter")
        app.push_screen(error_dialog(RuleRefused("This invoice has a payment.")), results.append)
        await pilot.pause()
        assert "This invoice has a payment." in str(app.screen.query_one("#dialog-message").render())
        await pilot.press("escape")
        app.push_screen(InfoDialog("Done", "Exported."), results.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert results == [False, True, True, None, None]
        assert isinstance(app.screen, IndexScreen)


async def test_80x24_scrolls_columns_sideways_and_keeps_the_first(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.table
        assert table.virtual_size.width > table.scrollable_content_region.width
        await pilot.press(*["l"] * 12)  # clamps at the last column
        await pilot.pause()
        assert table.scroll_offset.x > 0
        header = "".join(seg.text for seg in table.render_line(0))
        row = "".join(seg.text for seg in table.render_line(1))
        assert header.startswith("  Number") and "Last sent" in header  # the last column came into view
        assert row.startswith("› INV-1006")  # the number column stays
        await pilot.press(*["h"] * 12)
        await pilot.pause()
        assert table.scroll_offset.x == 0


# ---- the index's raw rows (issue 7) ------------------------------------------------------------
def _model_cell(prop, inv, today, locale):
    """How a cell reads from the invoice model (the index's formatting before it read raw rows)."""
    import datetime as dt

    from invoice_tui.domain.catalogue import choice_label
    from invoice_tui.domain.invoices import days_overdue, is_overdue
    from invoice_tui.domain.money import format_minor

    pid = prop.id
    if pid == "overdue":
        return choice_label("overdue", "true" if is_overdue(inv, today) else "false")
    if pid == "days_overdue":
        return str(days_overdue(inv, today))
    if pid == "status":
        if is_overdue(inv, today):  # issue 24: with its days where they fit ("Overdue 12 d")
            text = f"{choice_label('status', 'overdue')} {days_overdue(inv, today)} d"
            return text if len(text) <= 12 else text[:-2] + "d"
        return choice_label("status", inv.status)
    if pid == "owner":
        return inv.owner_name or ""
    if pid == "number":
        return inv.number or "—"
    value = getattr(inv, prop.sql(None).name, None)
    if value is None or value == "":
        return ""
    if prop.type == "money":
        return format_minor(value, inv.currency, locale)
    if prop.type == "date":
        from invoice_tui.domain.localize import short_date  # issue 24: the locale's short form

        return short_date(value.date() if isinstance(value, dt.datetime) else value, locale)
    if prop.type == "choice":
        return choice_label(pid, ("true" if value else "false") if isinstance(value, bool) else str(value))
    return str(value)


def test_issue7_raw_rows_format_as_the_model_does(ws, admin):
    """Every catalogue column, SQLite and PostgreSQL: the index formats the rows as the driver
    returns them (dates as text or ``date``, booleans as 0/1 or ``bool``) exactly as it formatted
    invoice models; each page is read with SQL compiled once per query."""
    from index_dataset import build

    from invoice_tui.db.models import Invoice
    from invoice_tui.domain import catalogue, index_sql, views
    from invoice_tui.widgets.invoice_table import RowFormatter, make_columns, read_page, row_fields

    build(ws, admin)
    columns = make_columns([p.id for p in catalogue.PROPERTIES])
    fields = row_fields(columns)
    for sort in ("-id", "due_date", "-overdue", "allow_partial"):
        q = views.IndexQuery(sort=sort)
        prepared = views.prepare(admin, q, fields)
        assert views.prepare(admin, q, fields)._c is prepared._c  # compiled once, then reused
        page = read_page(prepared, RowFormatter(columns, fields, prepared.today, "en_US"), limit=100)
        models = {i.id: i for i in Invoice.select()}
        assert [r[0] for r in page.raw] == [i.id for i in index_sql_order(admin, q)]
        for offset in range(len(page.raw)):
            row = page.row(offset)
            inv = models[row.id]
            expected = [_model_cell(catalogue.get(c.id), inv, prepared.today, "en_US") for c in columns]
            assert row.cells == expected, (sort, inv.number)
    index_sql.clear_cache()


def index_sql_order(ctx, q):
    from invoice_tui.domain.invoices import query_invoices

    return list(query_invoices(ctx, q.filters, q.sort, q.search))


def test_issue7_prepared_query_follows_today(ws, admin, clock):
    """A query prepared again after midnight is compiled for the new day ("due before today")."""
    from index_dataset import build

    from invoice_tui.domain import views
    from invoice_tui.domain.filters import Filter, FilterGroup, FilterSet

    ids = build(ws, admin)
    q = views.IndexQuery(filters=FilterSet(groups=[FilterGroup(filters=[
        Filter(property="overdue", operator="any_of", values=["true"])])]))
    before = {r[0] for r in views.prepare(admin, q).page(limit=50)}
    assert before == {ids["overdue"], ids["gbp_part"]}
    clock.advance(days=1)  # 2026-03-17: due 2026-03-16 is now overdue
    after = {r[0] for r in views.prepare(admin, q).page(limit=50)}
    assert after == before | {ids["today_due"]}


async def test_issue7_position_bar_shows_and_scrolls(sqlite_url, clock):
    """When the rows do not fit, the table draws its position bar in its last two columns (no
    ScrollBar widget to render again on every scroll); a click on the bar scrolls there."""
    from invoice_tui.widgets.invoice_table import BAR

    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 12)) as pilot:
        await settle(pilot)
        table = app.screen.table
        width, start, end = table._bar()
        assert start < end and width == table.scrollable_content_region.width - BAR
        strips = app.screen._compositor.render_strips()
        top = table.region.y
        thumb = table.get_component_rich_style("invoice-table--bar-thumb").bgcolor
        assert list(strips[top + start])[-1].style.bgcolor == thumb  # the thumb, at the top
        await pilot.click(table, offset=(table.region.width - 1, table.scrollable_content_region.height - 1))
        await settle(pilot)
        assert table.scroll_offset.y == table.max_scroll_y > 0
        assert table.cursor_row == 0  # scrolling by the bar leaves the cursor where it is
        await pilot.click(table, offset=(2, 2))  # a click on a row still picks it
        assert table.cursor_row == int(table.scroll_offset.y) + 1


async def test_issue7_mouse_wheel_scrolls_the_rows_without_a_scrollbar_widget(sqlite_url, clock):
    """The table shows no Textual scrollbar (overflow-y: hidden, so a scroll does not make Textual
    lay the screen out again), yet the mouse wheel still scrolls its rows."""
    from textual import events

    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 12)) as pilot:
        await settle(pilot)
        table = app.screen.table
        assert not table.show_vertical_scrollbar and table.max_scroll_y > 0

        def wheel(event_type) -> None:
            table.post_message(event_type(table, 2, 2, 0, 0, 0, False, False, False))

        wheel(events.MouseScrollDown)
        await settle(pilot)
        assert table.scroll_offset.y > 0
        wheel(events.MouseScrollUp)
        await settle(pilot)
        assert table.scroll_offset.y == 0


def test_fit_columns_narrows_names_first_and_keeps_amounts_whole():
    from invoice_tui.domain import catalogue
    from invoice_tui.widgets.invoice_table import MIN_TEXT_WIDTH, fit_columns, make_columns

    natural = make_columns(catalogue.DEFAULT_COLUMNS)
    assert fit_columns(natural, 1000) is natural  # room enough: as configured
    fitted = fit_columns(natural, 76)  # an 80-column terminal
    by_id = {c.id: c for c in fitted}
    for col in natural:
        if catalogue.get(col.id).type in ("money", "date"):
            assert by_id[col.id].width >= col.values  # values whole (a long header may be cut)
    assert by_id["status"].width >= len("Overdue")
    assert min(by_id["contact_name"].width, by_id["company_name"].width) >= MIN_TEXT_WIDTH
    # issue 24: the columns up to the due date fit in the 76 characters; the rest are off screen whole
    ids = [c.id for c in fitted]
    assert sum(c.width + 1 for c in fitted[: ids.index("due_date") + 1]) <= 76 + 1
    wide = fit_columns(natural, 116)  # 120 columns: everything fits, the names give up only what they must
    assert sum(c.width + 1 for c in wide) <= 116
    assert {c.id: c.width for c in wide}["contact_name"] > MIN_TEXT_WIDTH


async def test_resizing_the_terminal_refits_the_columns_and_reformats_the_rows(sqlite_url, clock):
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        table = app.screen.table
        row = next(i for i in range(table.total) if table.row_at(i).number == "INV-1004")
        assert "Grace Hopper" in table.row_at(row).line
        wide = {c.id: c.width for c in table.columns}
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        narrow = {c.id: c.width for c in table.columns}
        assert narrow["contact_name"] < wide["contact_name"]
        line = table.row_at(row).line  # formatted again for the new widths, from the rows as read
        assert line.startswith("INV-1004")
        assert "Grace H…" in line and "€1,200.50" in line
        assert len(line) == sum(c.width + 1 for c in table.columns)
        await pilot.resize_terminal(160, 30)
        await settle(pilot)
        assert {c.id: c.width for c in table.columns} == wide
        assert "Grace Hopper" in table.row_at(row).line


async def test_r17_n_for_a_view_only_user_is_refused_with_the_reason_before_the_form(sqlite_url, clock):
    dataset_app(sqlite_url, clock)  # the workspace, with alice as its super admin
    app = make_app(db_url=sqlite_url, user="stranger", now=clock)  # not a user: may only view
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, IndexScreen)
        assert any("may only view" in str(n.message) for n in app._notifications)
