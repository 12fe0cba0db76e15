"""Issue 27: ``invoice-tui reports …``, ``statement`` and ``journal`` as a user runs them, on the story
of tests/reportkit.py (today pinned to 2026-03-16)."""

from __future__ import annotations

import csv

import pytest

from invoice_tui.domain.workspace import open_workspace
from tests.reportkit import build_story


def _story(url, cli_factory, clock, monkeypatch):
    ws = open_workspace(url, notice=lambda m: None)
    build_story(ws.context("alice", source="test", now=clock), clock)
    ws.db.close()
    monkeypatch.setenv("INVOICE_TUI_TODAY", "2026-03-16")
    return cli_factory(url)


@pytest.fixture
def story_cli(db_url, cli_factory, clock, monkeypatch):
    return _story(db_url, cli_factory, clock, monkeypatch)


@pytest.fixture
def sqlite_story_cli(sqlite_url, cli_factory, clock, monkeypatch):
    return _story(sqlite_url, cli_factory, clock, monkeypatch)


@pytest.fixture
def cli_factory(capsys):
    from tests.cli.conftest import Cli

    return lambda url: Cli(url, capsys, user="alice")


def test_report_aging_json_is_one_object_per_currency_with_decimal_strings(story_cli):
    assert story_cli.ok("report", "aging") == [
        {"currency": "EUR", "current": "0.00", "1_30": "0.00", "31_60": "190.00", "61_90": "0.00", "over_90": "0.00",
         "total": "190.00"},
        {"currency": "USD", "current": "0.00", "1_30": "50.00", "31_60": "0.00", "61_90": "0.00", "over_90": "0.00",
         "total": "50.00"}]
    past = story_cli.ok("reports", "aging", "--as-of", "2026-01-31")
    assert past[0]["current"] == "140.00" and past[0]["1_30"] == "120.00"
    text = story_cli.ok("reports", "aging", as_json=False)
    assert "Aging as of 2026-03-16" in text and "€190.00" in text and "$50.00" in text


def test_report_revenue_customers_and_dso(story_cli):
    rev = story_cli.ok("report", "revenue", "--from", "2026-01-01", "--to", "2026-03-31")
    assert [(r["month"], r["currency"], r["billed"], r["collected"]) for r in rev] == [
        ("2026-01", "EUR", "360.00", "100.00"), ("2026-01", "USD", "50.00", "0.00"),
        ("2026-02", "EUR", "-60.00", "0.00"), ("2026-03", "EUR", "60.00", "70.00")]
    top = story_cli.ok("report", "customers", "--limit", "1", "--by", "balance")
    assert [(t["customer"], t["currency"], t["balance"]) for t in top] == [("Ada Lovelace", "EUR", "190.00"),
                                                                           ("Ada Lovelace", "USD", "50.00")]
    text = story_cli.ok("reports", "dso", "--from", "2026-01-01", "--to", "2026-03-16", as_json=False)
    assert "receivables at the period's end ÷ billed over the period × days" in text and "39.6 days" in text


def test_statement_text_json_and_pdf(story_cli, tmp_path):
    out = story_cli.ok("statement", "--contact", "ada@example.com", "--pdf", str(tmp_path / "s.pdf"))
    eur = out["statements"][0]
    assert (eur["opening_balance"], eur["closing_balance"], eur["aging"]["31_60"]) == ("0.00", "190.00", "190.00")
    assert [m["kind"] for m in eur["movements"]][-2:] == ["refund", "credit_applied"]
    assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
    text = story_cli.ok("reports", "statement", "--contact", "ada@example.com", "--as-of", "2026-01-31",
                        as_json=False)
    assert "Opening balance" in text and "Closing balance" in text and "€260.00" in text


def test_journal_csv_and_xlsx(story_cli, tmp_path):
    res = story_cli.ok("journal", "--from", "2026-01-01", "--to", "2026-03-31", "--format", "csv",
                       "--out", str(tmp_path / "j.csv"))
    assert res["rows"] == 6
    with open(tmp_path / "j.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["Number"], r["Category"], r["Basis"], r["Tax"]) for r in rows][3] == ("CN-1", "S", "-50.00", "-10.00")
    assert sum(float(r["Tax"]) for r in rows if r["Currency"] == "EUR") == 50.0
    res = story_cli.ok("reports", "journal", "--from", "2026-01-01", "--to", "2026-03-31", "--format", "xlsx",
                       "--out", str(tmp_path / "j.xlsx"))
    import openpyxl

    sheet = openpyxl.load_workbook(tmp_path / "j.xlsx").active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("Number", "Date", "Type") and len(values) == 7
    assert values[4][0] == "CN-1" and values[4][8] == -10


@pytest.mark.parametrize("argv, words", [
    (("reports", "aging", "--as-of", "2026-02-30"), "--as-of '2026-02-30' is not a date"),
    (("reports", "revenue", "--from", "yesterday"), "--from 'yesterday' is not a date"),
    (("reports", "revenue", "--from", "2026-03-01", "--to", "2026-01-01"), "after its end"),
    (("statement", "--contact", "ada@example.com", "--as-of", "31/01/2026"), "is not a date"),
    (("statement",), "needs --contact EMAIL or --company NAME"),
    (("statement", "--contact", "nobody@example.com"), "No contact"),
    (("journal", "--from", "2026-01-01", "--to", "2026-13-01", "--out", "x.csv"), "is not a date"),
    (("reports",), "needs an action"),
    (("statement", "--contact", "ada@example.com", "--send"), "mail"),  # no mail transport configured
])
def test_known_bad_input_is_one_sentence_and_a_non_zero_exit(sqlite_story_cli, argv, words):
    res = sqlite_story_cli(*argv)
    assert res.code != 0 and words in res.err and res.err.count("\n") == 1, res.err
