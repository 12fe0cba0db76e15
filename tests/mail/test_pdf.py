"""The invoice PDF: R4 (no PDF for a draft), paper size, PAID/VOID stamps, accents and the euro
sign with embedded fonts, page numbers, logo."""

from __future__ import annotations

import pymupdf
import pytest

from invoice_tui.documents.pdf import invoice_pdf
from invoice_tui.domain import invoices, payments
from invoice_tui.domain.errors import RuleRefused
from invoice_tui.domain.workspace import open_workspace, set_setting

from .conftest import make_invoice, setup_workspace


@pytest.fixture
def admin_sqlite(sqlite_url, clock):
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    ctx = ws.context("alice", source="test", now=clock)
    setup_workspace(ctx)
    yield ctx
    ws.db.close()


def _doc(data: bytes):
    return pymupdf.open(stream=data, filetype="pdf")


def test_r4_draft_has_no_pdf(admin_sqlite):
    draft = make_invoice(admin_sqlite, finalize=False)
    with pytest.raises(RuleRefused, match="draft has no PDF"):
        invoice_pdf(draft)


def test_pdf_a4_letter_accents_fonts_page_numbers_and_stamps(admin_sqlite, tmp_path):
    ctx = admin_sqlite
    inv = make_invoice(ctx)
    doc = _doc(invoice_pdf(inv))
    page = doc[0]
    assert round(page.rect.width) == 595  # A4
    text = "".join(p.get_text() for p in doc)
    assert "Zoë Müller" in text and "Développement" in text and "€1,440.00" in text and "Atelier Dupré" in text
    assert f"Page 1 of {doc.page_count}" in text
    fonts = [f for p in doc for f in p.get_fonts()]
    assert any(f[1] != "n/a" and f[2] == "Type0" for f in fonts)  # embedded (CID) fonts for the content
    assert "PAID" not in text and "VOID" not in text.replace("Invoice", "")
    set_setting(ctx, "paper_size", "Letter")
    path = invoice_pdf(inv, tmp_path / "x.pdf")
    assert round(_doc(path.read_bytes())[0].rect.width) == 612
    payments.record_payment(ctx, inv.id, {"amount": "1440"})
    paid = invoices.get_invoice(inv.id)
    assert "PAID" in "".join(p.get_text() for p in _doc(invoice_pdf(paid)))
    other = make_invoice(ctx, amount="5")
    invoices.void_invoice(ctx, other.id)
    assert "VOID" in "".join(p.get_text() for p in _doc(invoice_pdf(invoices.get_invoice(other.id))))


@pytest.mark.parametrize("status", ["open", "paid"])
def test_page_numbers_sit_upright_in_the_bottom_margin_of_every_page(admin_sqlite, status):
    """Where the footer is drawn, not only that its text exists: upright, right-aligned, below
    the content (a footer written after markdown-pdf's content once inherited its flip and came
    out upside down at the top of the page)."""
    ctx = admin_sqlite
    first = make_invoice(ctx)
    inv = invoices.create_invoice(ctx, {"currency": "EUR", "contact_id": first.billing_contact_id, "lines": [
        {"name": f"Day {i}", "quantity": "1", "unit_price": "10", "tax_rate": "0"} for i in range(45)]})
    inv = invoices.finalize_invoice(ctx, inv.id)  # 45 lines: more than one page
    if status == "paid":
        payments.record_payment(ctx, inv.id, {"amount": "450"})
    doc = _doc(invoice_pdf(invoices.get_invoice(inv.id)))
    assert doc.page_count >= 2
    for page in doc:
        label = f"Page {page.number + 1} of {doc.page_count}"
        spans = [(line["dir"], span["bbox"]) for block in page.get_text("dict")["blocks"]
                 for line in block.get("lines", []) for span in line["spans"] if span["text"] == label]
        assert len(spans) == 1, label
        direction, (x0, y0, x1, y1) = spans[0]
        assert direction == (1.0, 0.0)  # upright
        assert y0 > page.rect.height - 56  # in the bottom margin, under the content
        assert abs(x1 - (page.rect.width - 48)) < 2  # right-aligned on the content's right edge


def test_pdf_logo_from_settings(admin_sqlite, tmp_path):
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 20), False)
    pix.set_rect(pix.irect, (11, 61, 98))
    logo = tmp_path / "logo.png"
    pix.save(str(logo))
    set_setting(admin_sqlite, "logo_path", str(logo))
    inv = make_invoice(admin_sqlite)
    doc = _doc(invoice_pdf(inv))
    assert doc[0].get_images()  # drawn on the first page
