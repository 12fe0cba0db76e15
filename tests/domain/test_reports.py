"""Issue 27: the reports' figures on SQLite and PostgreSQL, against figures computed by hand from the
story of tests/reportkit.py (invoices, a partial payment, credit notes, a refund, credit applied,
two currencies, past as-of dates); every drill-down's filtered index totals equal its figure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from invoice_tui.db.models import Invoice
from invoice_tui.domain import credit, invoices, reports, views
from invoice_tui.domain.errors import BadInput
from invoice_tui.domain.views import IndexQuery
from tests.reportkit import TODAY, build_story


@pytest.fixture
def story(ws, admin, clock):
    return build_story(admin, clock)


def _aging(admin, as_of=None):
    return {r.currency: r.record() for r in reports.aging(admin, as_of)}


def test_aging_today_equals_the_open_balances_per_currency(story, admin):
    got = _aging(admin)
    assert got == {
        "EUR": {"currency": "EUR", "current": "0.00", "1_30": "0.00", "31_60": "190.00", "61_90": "0.00",
                "over_90": "0.00", "total": "190.00"},
        "USD": {"currency": "USD", "current": "0.00", "1_30": "50.00", "31_60": "0.00", "61_90": "0.00",
                "over_90": "0.00", "total": "50.00"}}
    for cur, rec in got.items():  # the open balances, summed apart
        open_ = sum(i.balance_minor for i in Invoice.select().where(
            (Invoice.status == "open") & (Invoice.currency == cur) & (Invoice.doc_type == "invoice")))
        assert rec["total"] == reports._money(open_, cur)


def test_aging_as_of_a_past_date_counts_payments_and_credit_notes_dated_up_to_it_only(story, admin):
    # 31 January: A 120 (11 days late), B 240 − 100 paid on 25 January (not due); no credit note yet
    assert _aging(admin, dt.date(2026, 1, 31))["EUR"] == {
        "currency": "EUR", "current": "140.00", "1_30": "120.00", "31_60": "0.00", "61_90": "0.00",
        "over_90": "0.00", "total": "260.00"}
    assert _aging(admin, dt.date(2026, 1, 31))["USD"]["current"] == "50.00"
    # 15 February: CN-1 (10 February) took 60 off A; B 140, due 4 February: 11 days
    assert _aging(admin, dt.date(2026, 2, 15))["EUR"]["1_30"] == "200.00"
    # 4 January: nothing issued yet; 11 March: D paid, the refund and credit applied not yet
    assert _aging(admin, dt.date(2026, 1, 4)) == {}
    eur = _aging(admin, dt.date(2026, 3, 11))["EUR"]
    assert (eur["1_30"], eur["31_60"], eur["total"]) == ("0.00", "200.00", "200.00")  # B still 140 before 12 March
    items = reports.aging_items(admin, dt.date(2026, 1, 31), "EUR")
    assert [(i.number, i.balance_minor, i.days_overdue) for i in items] == [("INV-1001", 12000, 11),
                                                                           ("INV-1002", 14000, 0)]
    assert [i.number for i in reports.aging_items(admin, dt.date(2026, 1, 31), "EUR", "1_30")] == ["INV-1001"]


def test_aging_as_of_today_by_records_equals_the_stored_balances(story, admin):
    """The as-of computation (records dated up to the day) agrees with the stored balances today."""
    inner, params = reports._balances_as_of(TODAY)
    rows = {i: b for i, _c, _d, b in reports._rows(f"SELECT * FROM ({inner}) x", params)}
    for inv in Invoice.select().where((Invoice.doc_type == "invoice")):
        assert rows.get(inv.id, 0) == inv.balance_minor, inv.number


def test_revenue_billed_is_invoices_minus_credit_notes_per_month(story, admin):
    got = {(r.month, r.currency): r.record() for r in reports.revenue(admin, dt.date(2026, 1, 1), TODAY)}
    assert got == {
        ("2026-01", "EUR"): {"month": "2026-01", "currency": "EUR", "billed": "360.00", "net": "300.00",
                             "tax": "60.00", "collected": "100.00", "invoices": 2, "credit_notes": 0},
        ("2026-01", "USD"): {"month": "2026-01", "currency": "USD", "billed": "50.00", "net": "50.00",
                             "tax": "0.00", "collected": "0.00", "invoices": 1, "credit_notes": 0},
        ("2026-02", "EUR"): {"month": "2026-02", "currency": "EUR", "billed": "-60.00", "net": "-50.00",
                             "tax": "-10.00", "collected": "0.00", "invoices": 0, "credit_notes": 1},
        ("2026-03", "EUR"): {"month": "2026-03", "currency": "EUR", "billed": "60.00", "net": "60.00",
                             "tax": "0.00", "collected": "70.00", "invoices": 1, "credit_notes": 1}}
    for (month, cur), rec in got.items():  # the documents themselves, summed apart
        first, last = reports.month_bounds(month)
        docs = Invoice.select().where((Invoice.currency == cur) & Invoice.invoice_date.between(first, last)
                                      & Invoice.status.in_(["open", "paid", "issued"]))
        assert rec["billed"] == reports._money(sum(-d.billed_minor if d.doc_type == "credit_note" else d.billed_minor
                                                   for d in docs), cur)


def test_each_drill_down_index_totals_equal_the_figure(story, admin):
    def index(fs):
        n, totals = views.count_and_totals(admin, IndexQuery(filters=fs))
        return n, {t.currency: t for t in totals}

    for row in reports.aging(admin):
        for bucket in reports.BUCKETS:
            n, totals = index(reports.aging_filters(TODAY, row.currency, bucket))
            assert n == row.counts[bucket]
            assert (totals[row.currency].balance_minor if n else 0) == row.buckets[bucket], (row.currency, bucket)
        n, totals = index(reports.aging_filters(TODAY, row.currency))
        assert totals[row.currency].balance_minor == row.total
    for r in reports.revenue(admin, dt.date(2026, 1, 1), TODAY):
        n, totals = index(reports.revenue_filters(r.month, r.currency))
        assert n == r.invoices + r.credit_notes and totals[r.currency].billed_minor == r.billed_minor
    for start, end in ((None, None), (dt.date(2026, 1, 1), dt.date(2026, 2, 28))):
        for by in ("billed", "balance"):
            for fig in reports.top_customers(admin, by, 10, start, end):
                for figure in ("billed", "balance"):  # both figures of a customer's row drill down
                    n, totals = index(reports.customer_filters(fig, figure, start, end))
                    if figure == "billed":
                        assert totals[fig.currency].billed_minor == fig.billed_minor
                    else:
                        assert totals[fig.currency].balance_minor == fig.balance_minor
    [eur, _usd] = reports.top_customers(admin, "billed", 10, dt.date(2026, 1, 1), dt.date(2026, 2, 28))
    assert (eur.billed_minor, eur.balance_minor) == (30000, 19000)
    for r in reports.dso(admin, dt.date(2026, 1, 1), TODAY):
        n, totals = index(reports.billed_filters(r.currency, r.start, r.end))
        assert totals[r.currency].billed_minor == r.billed_minor


def test_top_customers_and_dso(story, admin):
    top = [f.record() for f in reports.top_customers(admin, "billed")]
    assert top == [{"customer": "Ada Lovelace", "company_id": None, "contact_id": top[0]["contact_id"],
                    "currency": "EUR", "billed": "360.00", "balance": "190.00"},
                   {"customer": "Ada Lovelace", "company_id": None, "contact_id": top[0]["contact_id"],
                    "currency": "USD", "billed": "50.00", "balance": "50.00"}]
    [eur, usd] = reports.dso(admin, dt.date(2026, 1, 1), dt.date(2026, 3, 16))
    # EUR: receivables 190.00 ÷ billed 360.00 × 75 days = 39.58… → 39.6
    assert eur.record() == {"currency": "EUR", "from": "2026-01-01", "to": "2026-03-16", "days": 75,
                            "receivables": "190.00", "billed": "360.00", "dso": "39.6"}
    assert usd.dso == Decimal("75.0")
    [past] = [r for r in reports.dso(admin, dt.date(2026, 1, 1), dt.date(2026, 1, 31)) if r.currency == "EUR"]
    assert (past.receivables_minor, past.billed_minor, past.dso) == (26000, 36000, Decimal("22.4"))


def test_statement_runs_in_date_order_and_closes_on_the_open_balances_less_credit(story, admin):
    ada, docs = story
    who = credit.customer_of(docs["A"])
    [eur, usd] = reports.statement(admin, who, TODAY)
    moves = [(m.day.isoformat(), m.kind, m.reference, m.amount_minor, m.balance_minor) for m in eur.movements]
    assert moves == [
        ("2026-01-05", "invoice", "INV-1001", 12000, 12000), ("2026-01-05", "invoice", "INV-1002", 24000, 36000),
        ("2026-01-25", "payment", "INV-1002", -10000, 26000), ("2026-02-10", "credit_note", "CN-1", -6000, 20000),
        ("2026-03-01", "invoice", "INV-1004", 10000, 30000), ("2026-03-05", "credit_note", "CN-2", -4000, 26000),
        ("2026-03-05", "payment", "INV-1004", -10000, 16000), ("2026-03-10", "refund", "RF-1", 3000, 19000),
        ("2026-03-12", "credit_applied", "INV-1002", 0, 19000)]
    assert (eur.opening_minor, eur.closing_minor, eur.aging.total) == (0, 19000, 19000)
    assert eur.closing_minor == eur.aging.total - credit.credit_available(who, "EUR")
    assert (usd.closing_minor, usd.aging.buckets["1_30"]) == (5000, 5000)
    [feb] = [s for s in reports.statement(admin, who, TODAY, dt.date(2026, 2, 1)) if s.currency == "EUR"]
    assert feb.opening_minor == 26000 and feb.movements[0].reference == "CN-1" and feb.closing_minor == 19000
    [jan] = [s for s in reports.statement(admin, who, dt.date(2026, 1, 31)) if s.currency == "EUR"]
    assert jan.closing_minor == 26000 == jan.aging.total


def test_statement_pdf_balances_to_the_cent_read_back(story, admin, tmp_path):
    import pymupdf

    from invoice_tui.documents.pdf import statement_pdf

    ada, docs = story
    sts = reports.statement(admin, credit.customer_of(docs["A"]), TODAY)
    path = statement_pdf(sts, tmp_path / "statement.pdf")
    with pymupdf.open(path) as doc:
        text = " ".join(page.get_text() for page in doc)
    words = " ".join(text.split())
    assert "Statement of account" in words and "Ada Lovelace" in words
    for needle in ("INV-1001", "INV-1002", "CN-1", "CN-2", "RF-1", "Closing balance", "€190.00", "-€60.00",
                   "-€100.00", "€30.00", "(€10.00)", "$50.00"):
        assert needle in words, needle
    amounts = [m.amount_minor for m in sts[0].movements]
    assert sum(amounts) == sts[0].closing_minor == 19000  # the running balance ends where the PDF says


def test_sales_journal_vat_equals_the_documents_breakdowns(story, admin):
    rows = list(reports.journal(admin, dt.date(2026, 1, 1), TODAY, batch=2))  # batches of 2: keyset paging
    assert [(r.number, r.category, reports.journal_record(r)["rate"], str(r.basis), str(r.tax)) for r in rows] == [
        ("INV-1001", "S", "20", "100.00", "20.00"), ("INV-1002", "S", "20", "200.00", "40.00"),
        ("INV-1003", "Z", "0", "50.00", "0.00"), ("CN-1", "S", "20", "-50.00", "-10.00"),
        ("INV-1004", "Z", "0", "100.00", "0.00"), ("CN-2", "Z", "0", "-40.00", "0.00")]
    for cur in ("EUR", "USD"):
        expected = Decimal(0)
        for doc in Invoice.select().where((Invoice.currency == cur) & Invoice.status.in_(["open", "paid", "issued"])):
            t = invoices.invoice_totals(doc)
            expected += t.vat_total * (-1 if doc.doc_type == "credit_note" else 1)
        assert sum((r.tax for r in rows if r.currency == cur), Decimal(0)) == expected
    assert [r.number for r in reports.journal(admin, dt.date(2026, 2, 1), dt.date(2026, 2, 28))] == ["CN-1"]


def test_a_period_ending_before_it_starts_is_refused_with_a_sentence(story, admin):
    with pytest.raises(BadInput) as exc:
        reports.revenue(admin, dt.date(2026, 3, 1), dt.date(2026, 1, 1))
    assert "after its end" in exc.value.message
    with pytest.raises(BadInput):
        reports.top_customers(admin, "billed", 0)
