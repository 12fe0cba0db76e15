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


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_issue24_index_headers_whole_a_short_one_where_narrow(sqlite_url, clock, size):
    """No header on screen is cut: a column narrower than its header shows its short one
    ("Billed" over the amounts at 80 columns, not "Amount bil…"; "Contact", not "Billing…")."""
    app, _ = dataset_app(sqlite_url, clock)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.screen.table
        header = screen_lines(app)[table.content_region.y]
        assert "…" not in header, (size, header)
        by_id = {c.id: c for c in table.columns}
        words = header.split()
        assert "Billed" in words and "Amount bil…" not in header
        assert "Balance due" in header and "Due date" in header
        if by_id["contact_name"].width < len("Billing contact"):
            assert "Contact" in words, header
        else:
            assert "Billing contact" in header, header


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


# ---- one locale, everywhere (issue 24 §2) --------------------------------------------------------
from tests.clikit import isolated_config  # noqa: E402,F401 - no personal config leaks into the CLI run

FORMS = {"en_US": ("€1,200.50", "3/30/26"), "fr_FR": ("1\u202f200,50\u00a0€", "30/03/2026")}


def _norm(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


@pytest.mark.parametrize("loc", ["en_US", "fr_FR"])
async def test_issue24_one_format_per_locale_on_index_page_and_cli(sqlite_url, clock, capsys, monkeypatch, loc):
    """INV-1004 (€1,200.50, due 2026-03-30): its amount and due date read the same on the index,
    on its page and in `invoices show`, in the reader's locale (LC_ALL here), never the other's."""
    from invoice_tui.domain.localize import short_date
    from invoice_tui.domain.money import format_money
    from decimal import Decimal
    import datetime as dt

    from tests.clikit import Cli

    monkeypatch.setenv("LC_ALL", f"{loc}.UTF-8")
    amount = _norm(format_money(Decimal("1200.50"), "EUR", loc))
    due = short_date(dt.date(2026, 3, 30), loc)
    assert (amount, due) == tuple(_norm(x) for x in FORMS[loc])
    other = next(v for k, v in FORMS.items() if k != loc)
    other = (_norm(other[0]), other[1])
    app, ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        index_line = _norm(next(line for line in screen_lines(app) if "INV-1004" in line))
        assert amount in index_line and due in index_line, index_line
        table = app.screen.table
        table.cursor_row = next(i for i in range(table.total) if table.row_at(i).number == "INV-1004")
        await pilot.press("enter")
        await settle(pilot)
        page = _norm("\n".join(screen_lines(app)))
        assert amount in page and due in page, page
        for form in other:
            assert form not in page and form not in index_line
    out = _norm(Cli(sqlite_url, capsys)("invoices", "show", "INV-1004").out)
    assert amount in out and due in out, out
    for form in other:
        assert form not in out


def test_issue24_documents_follow_the_invoice_language_whatever_the_reader(ws, admin, monkeypatch):
    """The PDF's document and the email's fields use the invoice's own language (de_DE here)
    under an en_US reader; the page's figures (``figures_locale``) follow the reader."""
    from invoice_tui.documents.markdown import invoice_markdown
    from invoice_tui.domain import invoices
    from invoice_tui.domain.localize import display_locale
    from invoice_tui.domain.settings import load_settings
    from invoice_tui.mail.compose import template_fields
    import datetime as dt

    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert display_locale(admin) == "en_US"
    inv = invoices.create_invoice(admin, {"currency": "EUR", "locale": "de_DE", "invoice_date": dt.date(2026, 3, 1),
                                          "due_date": dt.date(2026, 3, 31),
                                          "lines": [{"name": "Beratung", "quantity": "1", "unit_price": "1200.50"}]})
    inv = invoices.get_invoice(inv.id)
    doc = _norm(invoice_markdown(inv))
    assert "1.200,50 €" in doc and "€1,200.50" not in doc
    fields = template_fields(inv, load_settings())
    assert _norm(fields["amount_billed"]) == "1.200,50 €" and "März" in fields["due_date"]
    page_doc = _norm(invoice_markdown(inv, figures_locale="en_US"))
    assert "€1,200.50" in page_doc and "1.200,50 €" not in page_doc
    # a long date is words of the document's sentences: in its language, not the reader's (issue 25)
    assert "31. März 2026" in page_doc and "March 31, 2026" not in page_doc


# ---- keys, searches, dialogs (issue 24 §1, §3) ---------------------------------------------------
def test_issue24_view_summary_names_its_conditions():
    from invoice_tui.domain.filters import Filter, FilterGroup, FilterSet
    from invoice_tui.screens.index import filters_summary

    fs = FilterSet(groups=[FilterGroup(filters=[Filter(property="status", operator="any_of", values=["open"]),
                                                Filter(property="due_date", operator="before",
                                                       values=["2026-12-01"])]),
                           FilterGroup(filters=[Filter(property="owner", operator="any_of", values=["bob"]),
                                                Filter(property="currency", operator="any_of", values=["EUR"])])])
    wide = filters_summary(fs, 200)
    assert wide.startswith("Status is any of Open · Due date is before 2026-12-01 · or Invoice owner is any of bob")
    narrow = filters_summary(fs, 78)
    assert narrow.startswith("Status is any of Open · Due date is before 2026-12-01 · +2")
    assert len(narrow) <= 78 and narrow.endswith("f edit · c clear")


def test_issue24_contact_found_by_full_name_in_either_order_and_by_email(ws, admin):
    from invoice_tui.domain import people

    people.add_contact(admin, {"email": "marie@dupont.example", "first_name": "Marie", "last_name": "Dupont"})
    people.add_contact(admin, {"email": "marc@x.example", "first_name": "Marc", "last_name": "Dupont"})
    for search in ("Marie Dupont", "Dupont Marie", "marie@dupont", "marie dupont.example"):
        assert [c.email for c in people.list_contacts(search)] == ["marie@dupont.example"], search
    assert len(people.list_contacts("Dupont")) == 2


async def test_issue24_checkbox_says_its_state_in_a_glyph():
    from textual.app import App

    from invoice_tui.widgets.toggles import Checkbox

    class One(App):
        def compose(self):
            yield Checkbox("Send a receipt", False, id="off")
            yield Checkbox("Send a receipt", True, id="on")

    app = One()
    async with app.run_test(size=(40, 6)):
        lines = ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]
        text = "\n".join(lines)
        on = next(line for line in lines if "✓" in line)
        assert "Send a receipt" in on and text.count("✓") == 1


def test_issue24_picker_says_companies():
    from invoice_tui.modals.pickers import PICK_TITLES, SEARCH_PLACEHOLDERS

    # each picker's words are whole sentences now (issue 25), so "companys" cannot be assembled
    assert SEARCH_PLACEHOLDERS["company"] == "Search companies…" and PICK_TITLES["company"] == "Pick a company"


async def test_issue24_filter_sidebar_error_clears_when_the_input_changes(sqlite_url, clock):
    from textual.widgets import Input, Select, Static

    app, _ = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        sidebar = app.screen.sidebar
        sidebar.query_one("#filter-property", Select).value = "amount_billed"
        await pilot.pause()
        sidebar.query_one("#filter-operator", Select).value = "gt"
        await pilot.pause()
        value = sidebar.query_one("#filter-value", Input)
        value.value = "a lot"
        await pilot.pause()
        await pilot.click("#add-filter")
        await settle(pilot)
        message = sidebar.query_one("#filter-message", Static)
        assert str(message.render()).strip(), "the refusal is shown"
        value.value = "100"
        await pilot.pause()
        assert not str(message.render()).strip(), "the old refusal is gone once the input changed"


# ---- the small things (issue 24 §4) ---------------------------------------------------------------
def _open(admin, **extra):
    import datetime as dt

    from invoice_tui.domain import invoices, people

    c = people.add_contact(admin, {"email": "bob@example.com", "first_name": "Bob", "last_name": "Buyer"})
    draft = invoices.create_invoice(admin, {"currency": "EUR", "invoice_date": dt.date(2026, 3, 16),
                                            "due_date": dt.date(2026, 4, 15), "contact_id": c.id,
                                            "lines": [{"name": "Work", "quantity": "1", "unit_price": "1200.50"}],
                                            **extra})
    return invoices.finalize_invoice(admin, draft.id)


def test_issue24_clone_keeps_the_title(ws, admin):
    from invoice_tui.domain import invoices

    src = _open(admin, title="Spring retainer")
    assert invoices.clone_invoice(admin, src.id).title == "Spring retainer"


def test_issue24_the_email_of_a_part_paid_invoice_quotes_the_balance(ws, admin):
    import datetime as dt

    from invoice_tui.domain import invoices, payments
    from invoice_tui.mail.compose import invoice_draft

    inv = _open(admin, allow_partial=True)
    payments.record_payment(admin, inv.id, {"amount": "200.50", "date": dt.date(2026, 3, 16), "method": "cash"})
    body = invoice_draft(admin, invoices.get_invoice(inv.id)).body
    first = body.split("\n\n")[1]
    assert "€1,000.00" in first and "€1,200.50" not in first, body


def test_issue24_download_pdf_asks_before_overwriting(ws, admin, tmp_path):
    from pathlib import Path

    from invoice_tui.modals.download_pdf import write_pdf

    inv = _open(admin)
    target = tmp_path / "INV.pdf"
    target.write_bytes(b"mine")
    assert write_pdf(inv.id, str(target)) == target and target.read_bytes() == b"mine"  # kept: the dialog asks
    assert isinstance(write_pdf(inv.id, str(target), overwrite=True), str)
    assert target.read_bytes().startswith(b"%PDF")
    assert Path(write_pdf(inv.id, str(tmp_path / "new.pdf"))).exists()


async def test_issue24_typed_confirmation_refusal_is_whole_and_clears():
    from textual.app import App
    from textual.widgets import Input, Label

    from invoice_tui.modals.dialogs import TypedConfirmDialog

    class One(App):
        def on_mount(self):
            self.push_screen(TypedConfirmDialog("Delete invoice", "Deleting INV-1001-LONG-NUMBER is permanent.",
                                                expected_text="INV-1001-LONG-NUMBER", confirm="Delete invoice"))

    app = One()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"INV-1", "enter")
        await pilot.pause()
        text = " ".join(" ".join("".join(s.text for s in strip).replace("▌", " ").replace("▐", " ").replace("█", " ").split())
                        for strip in app.screen._compositor.render_strips())
        assert "That is not INV-1001-LONG-NUMBER; type it exactly to confirm, or press Escape." in text, text
        app.screen.query_one(Input).value = "INV-10"
        await pilot.pause()
        assert "That is not" not in str(app.screen.query_one("#dialog-hint", Label).render())
