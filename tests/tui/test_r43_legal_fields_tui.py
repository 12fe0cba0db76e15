"""#22 point 3 (R43) in the TUI at 80×24: the invoice editor's legal data (delivery date and
address or period, operation category, buyer reference, exemption reasons, EUR rate), folded away
behind ctrl+t, and the company and contact forms' legal data (structured address, legal name,
SIREN/SIRET, VAT id, electronic address and scheme, the business flag): each checked as typed by
the services' own checks, the reason beside the field (known-bad inputs), and saved."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from textual.widgets import Checkbox, Collapsible, Input, Static

from invoice_tui.db.models import Company, Contact
from test_en16931_snapshots import assert_whole, screen_rows
from tests.workerkit import workers_done
from test_invoice_support import app_for, contact, draft, inv, settle, workspace


async def _set(pilot, app, selector: str, text: str) -> str:
    """Type ``text`` into the field; the reason shown beside it."""
    field = app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    await settle(pilot, app)
    name = selector.split("-", 1)[1]
    return str(app.screen.query_one(f"#error-{name}", Static).render()).strip()


async def test_r43_editor_legal_data_checked_as_typed_and_saved(sqlite_url, clock):
    from invoice_tui.screens.editor import EditorScreen

    ws, ctx = workspace(sqlite_url, clock)
    d = draft(ctx, contact(ctx).id, currency="USD")
    ws.db.close()
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.push_screen(EditorScreen(d.id))
        await settle(pilot, app)
        await workers_done(app)
        await settle(pilot, app)
        section = app.screen.query_one("#editor-legal", Collapsible)
        assert section.collapsed  # folded away: the editor at 80×24 is as before
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        assert not section.collapsed and app.focused is app.screen.query_one("#legal-delivery_date", Input)
        rows = screen_rows(app.export_screenshot())
        assert_whole(rows, "Legal data: language, delivery, operation, references (ctrl+t)",
                     "Delivery date (BT-72, YYYY-MM-DD)", "Operation category: goods, services or both")
        assert "not a date" in await _set(pilot, app, "#legal-delivery_date", "2026-13-01")
        assert await _set(pilot, app, "#legal-delivery_date", "2026-03-10") == ""
        assert "goods, services or both" in await _set(pilot, app, "#legal-operation_category", "gods")
        assert await _set(pilot, app, "#legal-operation_category", "services") == ""
        assert "E, AE, K, G or O" in await _set(pilot, app, "#legal-exemption_reasons", "X=Exempt")
        assert "CATEGORY=reason" in await _set(pilot, app, "#legal-exemption_reasons", "Exempt")
        assert await _set(pilot, app, "#legal-exemption_reasons", "E=Exonération, art. 261 du CGI") == ""
        assert "positive number" in await _set(pilot, app, "#legal-eur_rate", "-1")
        assert "not a number" in await _set(pilot, app, "#legal-eur_rate", "abc")
        assert await _set(pilot, app, "#legal-eur_rate", "0.9091") == ""
        assert await _set(pilot, app, "#legal-buyer_reference", "REF-42") == ""
        await pilot.press("ctrl+s")
        await workers_done(app)
        await settle(pilot, app)
    saved = inv(d.id)
    assert (saved.delivery_date, saved.operation_category, saved.buyer_reference, saved.eur_rate) == (
        dt.date(2026, 3, 10), "services", "REF-42", "0.9091")
    assert json.loads(saved.exemption_reasons) == {"E": "Exonération, art. 261 du CGI"}
    assert Decimal(saved.eur_rate) == Decimal("0.9091")


async def test_r43_company_and_contact_forms_check_legal_data_as_typed(sqlite_url, clock):
    from invoice_tui.modals.pickers import CompanyFormModal, ContactFormModal

    ws, _ctx = workspace(sqlite_url, clock)
    ws.db.close()
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.push_screen(CompanyFormModal())
        await settle(pilot, app)
        app.screen.query_one("#field-name", Input).value = "Bonnard Architecture"
        assert "the check digit is wrong" in await _set(pilot, app, "#field-siren", "732 829 321")
        assert await _set(pilot, app, "#field-siren", "732 829 320") == ""
        assert "the check digit is wrong" in await _set(pilot, app, "#field-siret", "73282932000075")
        assert await _set(pilot, app, "#field-siret", "73282932000074") == ""
        assert "VAT id FR45732829320" in await _set(pilot, app, "#field-vat_id", "FR45732829320")
        assert await _set(pilot, app, "#field-vat_id", "FR44732829320") == ""
        assert "ISO 3166" in await _set(pilot, app, "#field-country", "XX")
        assert await _set(pilot, app, "#field-country", "FR") == ""
        assert "electronic address scheme" in await _set(pilot, app, "#field-electronic_scheme", "1234")
        assert await _set(pilot, app, "#field-electronic_scheme", "0225") == ""
        assert "SIREN" in await _set(pilot, app, "#field-electronic_address", "123")  # 0225: a SIREN
        assert await _set(pilot, app, "#field-electronic_address", "732829320") == ""
        await _set(pilot, app, "#field-legal_name", "Bonnard Architecture SAS")
        await _set(pilot, app, "#field-postcode", "69004")
        await _set(pilot, app, "#field-city", "Lyon")
        await pilot.press("ctrl+s")
        await workers_done(app)
        await settle(pilot, app)
        company = Company.get(Company.name == "Bonnard Architecture")
        assert (company.siren, company.siret, company.vat_id, company.country, company.electronic_scheme,
                company.electronic_address, company.legal_name, company.city) == (
            "732829320", "73282932000074", "FR44732829320", "FR", "0225", "732829320", "Bonnard Architecture SAS",
            "Lyon")

        app.push_screen(ContactFormModal())
        await settle(pilot, app)
        app.screen.query_one("#field-email", Input).value = "ann@example.com"
        assert "ISO 3166" in await _set(pilot, app, "#field-country", "France")
        assert await _set(pilot, app, "#field-country", "DE") == ""
        app.screen.query_one("#field-is_business", Checkbox).value = True
        await pilot.press("ctrl+s")
        await workers_done(app)
        await settle(pilot, app)
        ann = Contact.get(Contact.email == "ann@example.com")
        assert ann.is_business and ann.country == "DE"
