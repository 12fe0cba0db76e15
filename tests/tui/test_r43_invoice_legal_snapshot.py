"""Issue 22: the invoice page at 80×24 shows the legal data — the seller's identity and the
mandatory mentions of a French B2B invoice — every cell read whole."""

from __future__ import annotations

import pytest

from invoice_tui.domain import invoices, people
from invoice_tui.domain.workspace import set_setting
from test_en16931_snapshots import _show_section, assert_whole, screen_rows
from tests.workerkit import workers_done
from test_invoice_support import app_for, workspace

pytestmark = pytest.mark.no_seller

SELLER = {"seller_legal_name": "Lumière SAS", "seller_address": "8 bd de la Croix-Rousse",
          "seller_postcode": "69004", "seller_city": "Lyon", "seller_siren": "732829320",
          "seller_vat_id": "FR40303265045", "seller_electronic_scheme": "0225",
                 "seller_electronic_address": "732829320", "seller_legal_form": "SAS", "seller_share_capital": "10000",
          "seller_registration": "RCS Lyon", "late_penalty_rate": "12.15", "seller_country": "FR"}


def build(sqlite_url, clock) -> int:
    ws, ctx = workspace(sqlite_url, clock)
    for key, value in SELLER.items():
        set_setting(ctx, key, value)
    company = people.add_company(ctx, {"name": "Bonnard", "country": "FR", "siren": "334175221"})
    contact = people.add_contact(ctx, {"email": "compta@bonnard.example", "company_id": company.id})
    draft = invoices.create_invoice(ctx, {"currency": "EUR", "locale": "fr_FR", "contact_id": contact.id,
                                          "company_id": company.id, "operation_category": "services",
                                          "lines": [{"name": "Conseil", "unit_price": "100", "tax_rate": "20"}]})
    inv = invoices.finalize_invoice(ctx, draft.id)
    ws.db.close()
    return inv.id


@pytest.mark.parametrize("section, cells", [
    ("Mentions légales", ["Catégorie de l'opération : prestation de services",
                          "Pénalités de retard : taux annuel de 12,15 %", "Indemnité forfaitaire pour frais de recouvrement de 40 €", "Pas d'escompte pour paiement anticipé"]),
], ids=["mentions"])
def test_r43_invoice_page_80x24_shows_the_legal_mentions_whole(snap_compare, sqlite_url, clock, section, cells):
    invoice_id = build(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    seen: list[str] = []

    async def run_before(pilot) -> None:
        await _show_section(pilot, app, invoice_id, section)
        seen.extend(screen_rows(app.export_screenshot()))

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    left = [row.split("▏")[0].rstrip(" ▁▂▃▄▅▆▇█") for row in seen]  # the document, without its scrollbar
    text = " ".join(" ".join(row.split()) for row in left)  # a mention wraps at a word, never cut
    for cell in cells:
        assert cell in text, "\n".join(seen)
    assert not any("…" in row.split("▏")[0] for row in seen), "a document cell was cut"


def test_r43_invoice_page_80x24_shows_the_sellers_legal_identity_whole(snap_compare, sqlite_url, clock):
    """The top of the page: the seller's legal name, address, legal form and share capital, RCS,
    SIREN and VAT id (R43), each read whole at 80×24."""
    from test_invoice_support import settle, show_invoice

    invoice_id = build(sqlite_url, clock)
    app = app_for(sqlite_url, clock)
    seen: list[str] = []

    async def run_before(pilot) -> None:
        await show_invoice(pilot, app, invoice_id)
        await workers_done(app)
        await settle(pilot, app)
        seen.extend(screen_rows(app.export_screenshot()))

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    left = [row.split("▏")[0].rstrip(" ▁▂▃▄▅▆▇█") for row in seen]
    text = "\n".join(" ".join(row.split()) for row in left)
    for cell in ("Facture INV-1001", "Lumière SAS", "8 bd de la Croix-Rousse", "69004 Lyon",
                 "SAS au capital de 10 000 €", "RCS Lyon", "SIREN 732829320", "N° TVA: FR40303265045"):
        assert cell in text.splitlines(), "\n".join(seen)
    assert not any("…" in row for row in left), "a document cell was cut"
