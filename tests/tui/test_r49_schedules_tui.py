"""R49 in the TUI at 80×24: a schedule made from an invoice's page (R), seen in the Schedules
screen (palette and U on the index), its next run moving after run due (u); the invoice a
schedule made names the schedule on its page. Screens read cell by cell, each fact whole."""

from __future__ import annotations

import datetime as dt

from invoice_tui.db.automation_models import Schedule
from invoice_tui.db.models import Invoice
from test_invoice_support import app_for, contact, notifications, open_invoice, settle, show_invoice, type_text
from test_invoice_support import workspace


def screen_lines(app) -> list[str]:
    return ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]


def _at(clock, day: dt.date) -> None:
    clock.moment = dt.datetime.combine(day, dt.time(9, 30))


async def test_r49_make_a_schedule_from_the_invoice_page_see_it_and_run_it(sqlite_url, clock):
    _at(clock, dt.date(2024, 1, 10))
    ws, ctx = workspace(sqlite_url, clock)
    inv = open_invoice(ctx, contact(ctx).id)
    ws.db.close()
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_invoice(pilot, app, inv.id)
        await pilot.press("R")
        await settle(pilot, app)
        form = app.screen
        assert type(form).__name__ == "ScheduleForm"
        lines = screen_lines(app)
        assert any(f"Repeat {inv.number}" in line for line in lines), lines
        await pilot.press("tab")  # the day
        await type_text(pilot, "31")
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "InvoiceScreen", notifications(app)
        s = Schedule.get()
        assert (s.template_id, s.every, s.unit, s.day, s.next_run) == (inv.id, 1, "m", 31, dt.date(2024, 1, 31))
        assert any("Schedule #1 made; first invoice on 2024-01-31" in n for n in notifications(app))
        assert any("#1 active" in line for line in screen_lines(app)), screen_lines(app)  # "Repeats" on the page

        await pilot.press("escape")
        await settle(pilot, app)
        await pilot.press("U")  # the index's key
        await settle(pilot, app)
        assert type(app.screen).__name__ == "SchedulesScreen"
        lines = screen_lines(app)
        row = next(line for line in lines if "#1 " in line and inv.number in line)
        for fact in ("1m on last", "draft", "active", "2024-01-31"):
            assert fact in row, (fact, row)
        assert all(len(line) <= 80 for line in lines)

        _at(clock, dt.date(2024, 3, 1))  # two periods due: 31 January and 29 February
        await pilot.press("u")
        await settle(pilot, app)
        await settle(pilot, app)
        assert any("2 invoice(s) made" in n for n in notifications(app)), notifications(app)
        row = next(line for line in screen_lines(app) if "#1 " in line and inv.number in line)
        assert "2024-03-31" in row and "2024-01-31" not in row, row
        assert "Last result: 2024-03-01: draft #" in "\n".join(screen_lines(app))

        made = Invoice.select().where(Invoice.origin == "subscription").order_by(Invoice.invoice_date.desc()).first()
        await show_invoice(pilot, app, made.id)
        text = "\n".join(screen_lines(app))
        assert "Schedule #1" in text and "2024-02-29" in text, text


async def test_r49_schedules_from_the_palette_and_a_refused_form(sqlite_url, clock):
    _at(clock, dt.date(2024, 1, 10))
    ws, ctx = workspace(sqlite_url, clock)
    inv = open_invoice(ctx, contact(ctx).id)
    ws.db.close()
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_invoice(pilot, app, inv.id)
        await pilot.press("R")
        await settle(pilot, app)
        await pilot.press("ctrl+a", "ctrl+k")  # "every" emptied, then a bad value
        await type_text(pilot, "3q")
        await pilot.press("enter")
        await settle(pilot, app)
        assert any("--every takes N followed by d, w, m or y" in n for n in notifications(app)), notifications(app)
        assert Schedule.select().count() == 0
        await pilot.press("escape")
        await settle(pilot, app)
        await pilot.press("ctrl+p")
        await settle(pilot, app)
        await type_text(pilot, "Schedules: Open")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "SchedulesScreen"
        assert any("No schedule yet: open an invoice and press R to repeat it." in line
                   for line in screen_lines(app))
