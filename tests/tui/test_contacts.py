"""Pilot tests of the Contacts and Companies screens: add, edit, search, invoices of a record,
delete refused for a billing contact or a company on an invoice — the database asserted afterwards."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from invoice_tui.db.models import Company, Contact
from test_invoice_support import (app_for, contact, draft, notifications, open_invoice, people, settle, type_text,
                                  workspace)


async def show(pilot, app, screen):
    await settle(pilot, app)
    app.push_screen(screen)
    await settle(pilot, app)
    return app.screen


async def test_contacts_add_edit_search_and_open_invoice(sqlite_url, clock):
    from invoice_tui.screens.contacts import ContactsScreen

    ws, ctx = workspace(sqlite_url, clock)
    bob = contact(ctx)
    i = open_invoice(ctx, bob.id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show(pilot, app, ContactsScreen())
        await pilot.press("n")
        await settle(pilot, app)
        await type_text(pilot, "bob@example.com")  # taken: refused beside the form
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert "already exists" in str(app.screen.query_one("#form-error").render())
        app.screen.query_one("#field-email", Input).value = ""
        await type_text(pilot, "ann@example.com")
        await pilot.press("tab")
        await type_text(pilot, "Ann")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is screen
        table = screen.query_one("#people-table", DataTable)
        assert table.row_count == 2
        await pilot.press("slash")
        await type_text(pilot, "bob")
        await pilot.press("enter")
        await settle(pilot, app)
        assert table.row_count == 1
        await pilot.press("e")
        await settle(pilot, app)
        app.screen.query_one("#field-phone", Input).value = "+33 1 23 45 67 89"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        await pilot.press("i")
        await settle(pilot, app)
        invoices_table = app.screen.query_one("#invoice-list", DataTable)
        assert str(invoices_table.get_row_at(0)[0]) == "INV-1001"
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "InvoiceScreen" and app.screen.invoice_id == i.id
    ann = Contact.get(Contact.email == "ann@example.com")
    assert ann.first_name == "Ann"
    assert Contact.get_by_id(bob.id).phone == "+33 1 23 45 67 89"


async def test_delete_billing_contact_refused_and_free_contact_deleted(sqlite_url, clock):
    from invoice_tui.screens.contacts import ContactsScreen

    ws, ctx = workspace(sqlite_url, clock)
    bob = contact(ctx)
    ann = contact(ctx, "ann@example.com", "Ann", "Aardvark")
    draft(ctx, bob.id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show(pilot, app, ContactsScreen())
        table = screen.query_one("#people-table", DataTable)
        names = [str(table.get_row_at(n)[0]) for n in range(table.row_count)]
        table.move_cursor(row=names.index("Bob Buyer"))
        await pilot.press("d")
        await settle(pilot, app)
        await pilot.click("#confirm")
        await settle(pilot, app)
        assert any("is the billing contact of draft #1" in n for n in notifications(app))
        table.move_cursor(row=names.index("Ann Aardvark"))
        await pilot.press("d")
        await settle(pilot, app)
        await pilot.click("#confirm")
        await settle(pilot, app)
    assert Contact.get_or_none(Contact.id == bob.id) is not None
    assert Contact.get_or_none(Contact.id == ann.id) is None


async def test_companies_add_and_invoices(sqlite_url, clock):
    from invoice_tui.screens.companies import CompaniesScreen

    ws, ctx = workspace(sqlite_url, clock)
    acme = people.add_company(ctx, {"name": "Acme"})
    draft(ctx, contact(ctx).id, company_id=acme.id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show(pilot, app, CompaniesScreen())
        await pilot.press("n")
        await settle(pilot, app)
        await type_text(pilot, "Globex")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        table = screen.query_one("#people-table", DataTable)
        assert [str(table.get_row_at(n)[0]) for n in range(table.row_count)] == ["Acme", "Globex"]
        table.move_cursor(row=0)
        await pilot.press("i")
        await settle(pilot, app)
        assert str(app.screen.query_one("#invoice-list", DataTable).get_row_at(0)[0]) == "Draft #1"
    assert Company.select().where(Company.name == "Globex").count() == 1


async def test_delete_company_on_an_invoice_refused_and_a_free_one_deleted(sqlite_url, clock):
    from invoice_tui.screens.companies import CompaniesScreen

    ws, ctx = workspace(sqlite_url, clock)
    acme = people.add_company(ctx, {"name": "Acme"})
    globex = people.add_company(ctx, {"name": "Globex"})
    staff = people.add_contact(ctx, {"email": "hank@globex.example", "company_id": globex.id})
    draft(ctx, contact(ctx).id, company_id=acme.id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await show(pilot, app, CompaniesScreen())
        table = screen.query_one("#people-table", DataTable)
        for row in (0, 1):  # Acme (on a draft), then Globex
            table.move_cursor(row=row)
            await pilot.press("d")
            await settle(pilot, app)
            await pilot.click("#confirm")
            await settle(pilot, app)
        assert any("Acme is on invoice draft #1" in n for n in notifications(app))
        assert [str(table.get_row_at(n)[0]) for n in range(table.row_count)] == ["Acme"]
    assert Company.get_or_none(Company.id == acme.id) is not None
    assert Company.get_or_none(Company.id == globex.id) is None
    assert Contact.get_by_id(staff.id).company_id is None
