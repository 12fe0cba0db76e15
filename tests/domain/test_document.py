"""The invoice document as pure Markdown (issue 2): content, locale formatting, escaping, and that
markdown-it (the parser of both Textual's Markdown widget and markdown-pdf) reads it as tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from markdown_it import MarkdownIt

from invoice_tui.documents.markdown import escape, invoice_markdown
from invoice_tui.domain import invoices, payments, people
from invoice_tui.domain.money import format_money
from invoice_tui.domain.workspace import set_setting

TODAY = dt.date(2026, 3, 16)


def _parsers():
    yield MarkdownIt("commonmark").enable("table")  # markdown-pdf
    yield MarkdownIt("gfm-like")  # Textual's Markdown widget (linkify on)


def _all_tokens(md: MarkdownIt, text: str):
    for tok in md.parse(text):
        yield tok
        yield from tok.children or ()


def _seller(admin):
    set_setting(admin, "seller_name", "Atelier Dupré SARL")
    set_setting(admin, "seller_address", "12 rue des Lilas\n75011 Paris")
    set_setting(admin, "seller_tax_id", "FR40303265045")
    set_setting(admin, "payment_instructions", "IBAN FR76 3000 6000 0112 3456 7890 189\nBIC AGRIFRPP")
    set_setting(admin, "public_base_url", "https://pay.example.com/")


def _invoice(admin, *, locale="fr_FR", contact_name=("Zoé", "Lefèvre"), comments="Merci !", company="Dupont & Fils"):
    co = people.add_company(admin, {"name": company, "address": "1 avenue Foch\n69006 Lyon",
                                    "tax_id": "FR99887766554"})
    c = people.add_contact(admin, {"email": "zoe@example.fr", "first_name": contact_name[0],
                                   "last_name": contact_name[1], "address": "3 place Bellecour\nLyon",
                                   "company_id": co.id})
    inv = invoices.create_invoice(admin, {
        "currency": "EUR", "locale": locale, "contact_id": c.id, "company_id": co.id, "po_number": "PO-77",
        "comments": comments, "allow_partial": True, "due_date": dt.date(2026, 4, 15),
        "lines": [
            {"name": "Conseil", "description": "Mars 2026", "quantity": "10", "unit_price": "100.00",
             "tax_rate": "20"},
            {"name": "Licence", "quantity": "1", "unit_price": "250.00", "tax_rate": "5.5",
             "discount": "10", "discount_percent": True},
        ],
        "discounts": [{"value": "5", "is_percent": True, "tax_rate": "20", "label": "Fidélité"}],
        "fees": [{"value": "15.00", "tax_rate": "20", "label": "Port"}],
    })
    return inv


def test_document_content_fr(ws, admin):
    _seller(admin)
    inv = invoices.finalize_invoice(admin, _invoice(admin).id)
    payments.record_payment(admin, inv.number, {"amount": "100.00", "method": "bank_transfer"})
    inv = invoices.get_invoice(inv.id)
    totals = invoices.invoice_totals(inv)
    text = invoice_markdown(inv, today=TODAY)

    assert "# Facture INV\\-1001" in text
    assert "Atelier Dupré SARL" in text and "75011 Paris" in text and "FR40303265045" in text
    assert "Zoé Lefèvre" in text and "zoe\\@example\\.fr" in text and "Dupont \\& Fils" in text
    assert "FR99887766554" in text and "PO\\-77" in text
    assert "16 mars 2026" in text and "15 avril 2026" in text
    # amounts formatted for the invoice's locale (babel uses no-break spaces)
    for amount in (totals.subtotal, totals.billed, totals.paid, totals.balance, totals.tax_total):
        assert format_money(amount, "EUR", "fr_FR") in text
    assert format_money(Decimal("1234.50"), "EUR", "fr_FR").replace("\u202f", " ").replace("\xa0", " ") \
        == "1 234,50 €"
    # tax breakdown: one row per rate with basis and tax
    for t in totals.tax_breakdown:
        assert format_money(t.basis, "EUR", "fr_FR") in text and format_money(t.tax, "EUR", "fr_FR") in text
    assert "5,5\xa0%" in text and "20\xa0%" in text
    assert "Remise" in text and "Fidélité" in text and "Port" in text
    assert "Solde dû" in text and "Payé" in text
    assert "IBAN FR76" in text
    assert f"https://pay.example.com/i/{inv.link_token}" in text
    assert "Merci \\!" in text
    assert "**Statut: À payer**" in text


def test_document_parses_as_tables_without_html(ws, admin):
    _seller(admin)
    inv = invoices.finalize_invoice(admin, _invoice(admin, locale="en_US").id)
    text = invoice_markdown(inv, today=TODAY)
    for md in _parsers():
        tokens = list(_all_tokens(md, text))
        types = [t.type for t in tokens]
        assert types.count("table_open") >= 4  # facts, items, adjustments, tax breakdown, totals
        assert "html_block" not in types and "html_inline" not in types
        links = [t.attrGet("href") for t in tokens if t.type == "link_open"]
        assert links == [f"https://pay.example.com/i/{inv.link_token}"]
        # the items table has the header and two rows of seven cells each
        rendered = md.render(text)
        assert "<th>Item</th>" in rendered and "<td>Conseil</td>" in rendered
    assert "€1,000.00" in text  # en_US formatting of the first line's net


def test_document_escapes_user_text(ws, admin):
    evil = ("*bold* | pipe", "[x](http://evil.example) <b>hi</b> &amp; `code`")
    inv = _invoice(admin, locale="en_US", contact_name=evil, company="_Acme_ | <script>",
                   comments="# not a heading\n- not a list\n    not code\n<img src=x onerror=alert(1)>")
    invoices.edit_invoice(admin, inv.id, {"lines": [{"name": "a | b *c*", "quantity": "1", "unit_price": "10",
                                                     "description": "www.evil.example :) [y](z)"}]})
    inv = invoices.get_invoice(inv.id)
    text = invoice_markdown(inv, today=TODAY)
    assert "\\*bold\\* \\| pipe" in text
    for md in _parsers():
        tokens = list(_all_tokens(md, text))
        types = [t.type for t in tokens]
        assert "html_block" not in types and "html_inline" not in types
        assert "link_open" not in types  # a draft has no link, and user text makes none
        assert "em_open" not in types and "code_inline" not in types and "code_block" not in types
        assert "bullet_list_open" not in types
        assert [t.tag for t in tokens if t.type == "heading_open"].count("h1") == 1
        rendered = md.render(text)
        # every row of the items table keeps its seven cells
        body = rendered.split("<tbody>")[2].split("</tbody>")[0]
        assert body.count("<td") == 7
        assert "a | b *c*" in body
    assert "<" not in text.replace("\\<", "").replace("(<https", "")


def test_draft_says_draft_and_has_no_link(ws, admin):
    _seller(admin)
    inv = _invoice(admin, locale="de_DE")
    text = invoice_markdown(inv, today=TODAY, link="https://x.example/i/abc")
    assert "Rechnung — Entwurf" in text and "ENTWURF" in text
    assert "/i/" not in text
    assert "Rechnungsnummer" in text and "| Entwurf |" in text


@pytest.mark.parametrize("action", ["void", "pay"])
def test_status_line_paid_and_void(ws, admin, action):
    inv = invoices.finalize_invoice(admin, _invoice(admin, locale="en_US").id)
    if action == "void":
        invoices.void_invoice(admin, inv.id)
        expected = "**Status: VOID**"
    else:
        payments.record_payment(admin, inv.number, {"amount": str(invoices.invoice_totals(inv).billed)})
        expected = "**Status: PAID** — paid on March 16, 2026"
    inv = invoices.get_invoice(inv.id)
    text = invoice_markdown(inv, today=TODAY, link="https://portal.example/i/tok")
    assert expected in text
    assert "(<https://portal.example/i/tok>)" in text


def test_overdue_line(ws, admin):
    inv = invoices.finalize_invoice(admin, _invoice(admin, locale="en_US").id)
    text = invoice_markdown(inv, today=dt.date(2026, 4, 27))
    assert "**Status: Open** — **overdue by 12 days**" in text


def test_escape_is_inert():
    assert escape("a|b") == "a\\|b"
    assert escape("line1\nline2") == "line1 line2"
    assert escape("\x1b[31mred") == "\\\\x1b\\[31mred"  # R55: the control shown as text, never sent


def test_r39_an_invoice_settled_by_its_credit_note_says_credited_not_paid(ws, admin):
    """R39: the page's header and the index say "Credited"; the document said "PAID — paid on …".
    Known-bad: an invoice paid by a payment still says PAID."""
    from invoice_tui.domain import credit

    inv = invoices.finalize_invoice(admin, _invoice(admin, locale="en_US").id)
    cn = credit.create_credit_note(admin, inv.number, reason="Order cancelled", full=True)
    credit.issue_credit_note(admin, cn.id)
    text = invoice_markdown(invoices.get_invoice(inv.id), today=TODAY)
    assert "**Status: CREDITED** — credited on March 16, 2026" in text and "PAID" not in text
    paid = invoices.finalize_invoice(admin, invoices.clone_invoice(admin, inv.number).id)
    payments.record_payment(admin, paid.number, {"amount": str(invoices.invoice_totals(paid).billed)})
    assert "**Status: PAID** — paid on" in invoice_markdown(invoices.get_invoice(paid.id), today=TODAY)
