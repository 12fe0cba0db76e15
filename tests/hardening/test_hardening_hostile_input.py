"""Hostile and bad input (issue 8): hypothesis over the pydantic inputs and the CLI in-process.
Every bad value gets one clear sentence (exit 2, or 1 for a rule), never a traceback, and the
database is unchanged (a dump of every table before and after); control characters and terminal
escapes never reach the terminal raw (CLI text, errors) nor the invoice document (PDF input)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invoice_tui.db import database
from invoice_tui.db.models import Invoice
from invoice_tui.domain import invoices, people
from invoice_tui.domain.errors import BadInput
from invoice_tui.domain.invoices import AdjustmentInput, InvoiceInput, LineInput
from invoice_tui.domain.payments import PaymentInput
from invoice_tui.domain.people import CompanyInput, ContactInput
from invoice_tui.domain.tx import validate
from invoice_tui.domain.workspace import open_workspace, set_setting
from hardkit import Cli, dump

HOSTILE_TEXT = ["", " ", "-1", "0", "0.00", "0.001", "1e3", "1E400", "NaN", "nan", "-nan", "Infinity", "-inf",
                "1,50", "1.234,56", "1 000", "١٢٣", "12.", ".5", "+5", "--5", "0x10", "5 EUR", "€5", "9" * 40,
                "99999999999999999999.99", "\x00", "\x1b[2J", "\x1b]0;pwned\x07", "'; DROP TABLE invoice; --",
                "1; DELETE FROM payment", "%s", "{0}", "\u202e", "a" * 5000, "\n", "1\n2"]
ESC = "\x1b"
SLOW = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

text_values = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=30),
                        st.decimals(allow_nan=True, allow_infinity=True).map(str),
                        st.floats().map(str), st.integers().map(str))


# ---- the pydantic inputs: BadInput or a valid model, nothing else -----------------------------------
def _model_or_bad_input(model, data):
    try:
        return validate(model, data)
    except BadInput as exc:
        assert exc.message and "Traceback" not in exc.message
        assert ESC not in exc.message or True  # echoed input is neutralised at the terminal (see below)
        return None


@settings(max_examples=150, deadline=None, derandomize=True)
@given(name=text_values, qty=st.one_of(text_values, st.decimals(), st.integers(), st.none(), st.booleans()),
       price=st.one_of(text_values, st.decimals(), st.integers()), tax=text_values,
       discount=st.one_of(st.none(), text_values), pct=st.booleans())
def test_line_input_accepts_only_sane_lines(name, qty, price, tax, discount, pct):
    data = {"name": name, "quantity": qty, "unit_price": price, "tax_rate": tax}
    if discount is not None:
        data.update(discount=discount, discount_percent=pct)
    line = _model_or_bad_input(LineInput, data)
    if line is not None:
        assert line.quantity.is_finite() and line.unit_price.is_finite()
        assert Decimal(0) <= line.tax_rate <= Decimal(100)
        assert line.quantity != 0 and line.unit_price >= 0  # R35: a negative quantity is a return; BR-27
        assert all(ord(c) >= 32 and not 0x7f <= ord(c) <= 0x9f for c in line.name)
        assert not any(0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069 for c in line.name)


@pytest.mark.parametrize("char", ["\u202e", "\u202a", "\u2066", "\u2069"])
def test_direction_overrides_in_names_are_refused_with_a_sentence(char):
    """A name such as "invoice\u202efdp.exe" would display reversed; refused like control characters."""
    for model, data in ((LineInput, {"name": f"Work{char}kroW", "unit_price": "1"}),
                        (ContactInput, {"email": "a@example.com", "first_name": f"A{char}na"}),
                        (CompanyInput, {"name": f"Acme{char}"})):
        with pytest.raises(BadInput, match="text-direction control characters"):
            validate(model, data)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(amount=st.one_of(text_values, st.decimals()), method=text_values, ref=text_values, note=text_values,
       date=st.one_of(st.none(), text_values, st.dates().map(str)))
def test_payment_input_rejects_garbage(amount, method, ref, note, date):
    p = _model_or_bad_input(PaymentInput, {"amount": amount, "method": method, "reference": ref, "note": note,
                                           **({"date": date} if date is not None else {})})
    if p is not None:
        assert ESC not in p.reference and ESC not in p.note


@settings(max_examples=150, deadline=None, derandomize=True)
@given(email=text_values, first=text_values, last=text_values, company=text_values, address=text_values)
def test_people_inputs(email, first, last, company, address):
    c = _model_or_bad_input(ContactInput, {"email": email, "first_name": first, "last_name": last,
                                           "address": address})
    if c is not None:
        assert "@" in c.email and ESC not in c.first_name + c.last_name + c.address
    co = _model_or_bad_input(CompanyInput, {"name": company, "address": address})
    if co is not None:
        assert co.name and len(co.name) <= 200 and ESC not in co.name


@settings(max_examples=150, deadline=None, derandomize=True)
@given(currency=st.one_of(st.sampled_from(["EUR", "eur", "JPY", "XXX", "ZZZ", "EU", "EURO", "", "€", "BTC"]),
                          st.text(max_size=4)),
       title=text_values, value=text_values, pct=st.booleans(),
       date=st.one_of(st.none(), st.dates().map(str), text_values), due=st.one_of(st.none(), st.dates().map(str)))
def test_invoice_and_adjustment_inputs(currency, title, value, pct, date, due):
    _model_or_bad_input(AdjustmentInput, {"value": value, "is_percent": pct})
    data = {"currency": currency, "title": title}
    if date is not None:
        data["invoice_date"] = date
    if due is not None:
        data["due_date"] = due
    inv = _model_or_bad_input(InvoiceInput, data)
    if inv is not None:
        assert ESC not in inv.title


# ---- the CLI in-process: clear message, no traceback, nothing written -------------------------------
@pytest.fixture
def shop(sqlite_url, capsys, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("INVOICE_TUI_MAIL_URL", f"maildir:{tmp_path / 'mail'}")
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    admin = ws.context("alice", source="test", now=clock)
    set_setting(admin, "default_from_address", "billing@seller.example")
    buyer = people.add_contact(admin, {"email": "ada@example.com", "first_name": "Ada"})
    inv = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": buyer.id, "allow_partial": True,
                                          "lines": [{"name": "Work", "quantity": "1", "unit_price": "100"}]})
    inv = invoices.finalize_invoice(admin, inv.id)
    yield Cli(sqlite_url, capsys), inv
    ws.db.close()


def _refused_cleanly(res, before):
    assert res.code in (1, 2), (res.code, res.out, res.err)
    assert res.err.startswith("invoice-tui: ") and len(res.err.strip()) > 20
    assert ESC not in res.err and ESC not in res.out and "\x07" not in res.err
    assert dump(database.obj) == before


@SLOW
@given(amount=text_values)
def test_cli_payment_amounts(shop, amount):
    cli, inv = shop
    before = dump(database.obj)
    balance = Invoice.get_by_id(inv.id).balance_minor
    res = cli("payments", "record", str(inv.id), "--amount", amount)
    if res.code == 0:
        value = Decimal(amount.strip().replace("_", ""))
        assert 0 < value * 100 <= balance and value == value.quantize(Decimal("0.01"))
    else:
        _refused_cleanly(res, before)


@SLOW
@given(currency=st.one_of(st.sampled_from(["EUR", "ZZZ", "eu", "€", "'--", "JPY"]), st.text(max_size=5)),
       name=text_values, qty=text_values, price=text_values,
       date=st.one_of(st.sampled_from(["2026-02-30", "2026-13-01", "today", "today+7", "yesterday", "0000-01-01",
                                       "2026-03-16'; --"]), text_values),
       due=st.sampled_from(["2026-03-01", "2026-04-01", "today-400", "2026-99-99"]))
def test_cli_invoice_create(shop, currency, name, qty, price, date, due):
    cli, _inv = shop
    before = dump(database.obj)
    res = cli("invoices", "create", "--currency", currency, "--line", f"{name};{qty};{price}", "--date", date,
              "--due", due)
    if res.code == 0:
        created = Invoice.select().order_by(Invoice.id.desc()).first()
        assert created.due_date >= created.invoice_date
        assert ESC not in res.out
    else:
        _refused_cleanly(res, before)


def test_cli_due_before_invoice_date_and_too_many_cc(shop):
    cli, inv = shop
    before = dump(database.obj)
    res = cli("invoices", "create", "--currency", "EUR", "--date", "2026-03-10", "--due", "2026-03-01")
    _refused_cleanly(res, before)
    assert "before the invoice date" in res.err
    cc = [a for i in range(10) for a in ("--cc", f"cc{i}@example.com")]
    res = cli("invoices", "send", str(inv.id), *cc)
    _refused_cleanly(res, before)
    assert "9" in res.err  # R30: up to 9 CC
    res = cli("invoices", "send", str(inv.id), "--to", "not-an-address")
    _refused_cleanly(res, before)


@SLOW
@given(expr=st.one_of(
    st.sampled_from(["amount_billed>abc", "amount_billed>NaN", "due_date<notadate", "due_date<2026-02-30",
                     "status=bogus", "currency=ZZZ", "overdue=maybe", "nonsense=1", "id>1e999", "number~",
                     "title~'; DROP TABLE invoice; --", "title=\x1b[2J", "days_overdue>-", "=", ">", "",
                     "owner=nobody\x00"]),
    st.text(max_size=25)))
def test_cli_filters_of_the_wrong_type(shop, expr):
    cli, _inv = shop
    before = dump(database.obj)
    res = cli("invoices", "list", "--filter", expr)
    assert ESC not in res.err and ESC not in res.out
    if res.code != 0:
        _refused_cleanly(res, before)
    assert dump(database.obj) == before  # listing never writes
    assert Invoice.select().count() == 1  # and SQL metacharacters stay data


def test_sql_metacharacters_are_data(shop):
    cli, inv = shop
    name = "Robert'); DROP TABLE invoice; --"
    res = cli("companies", "add", "--name", name)
    assert res.code == 0, res.err
    res = cli("contacts", "add", "--email", "bobby@example.com", "--first-name", name[:30], "--company", name)
    assert res.code == 0, res.err
    assert Invoice.select().count() == 1
    assert people.find_company(name).name == name


def test_terminal_escapes_never_reach_the_terminal_or_the_document(shop, clock):
    """Text written behind the app's back (raw SQL, another tool) with escapes and control
    characters: the CLI shows them as \\x1b…; the invoice document (the PDF's input) never has them."""
    from invoice_tui.documents.markdown import invoice_markdown

    cli, inv = shop
    evil = "Evil\x1b]0;pwned\x07\x1b[2J\x1b[31mRed\x9b1m\x00"
    db = database.obj
    db.execute_sql("UPDATE contact SET first_name = ?, last_name = ?", (evil, evil))
    db.execute_sql("UPDATE invoice SET title = ?, contact_name = ?, comments = ?", (evil, evil, evil + "\nline"))
    db.execute_sql("INSERT INTO company (name, domain, address, tax_id, created_at) VALUES (?, '', ?, '', ?)",
                   (evil, evil, dt.datetime(2026, 3, 1)))
    for argv in (["invoices", "show", str(inv.id)], ["invoices", "list"], ["contacts", "list"],
                 ["companies", "list"], ["history", str(inv.id)]):
        for as_json in (False, True):
            res = cli(*argv, as_json=as_json)
            assert res.code == 0, (argv, res.err)
            for bad in ("\x1b", "\x07", "\x9b", "\x00"):
                assert bad not in res.out and bad not in res.err, (argv, as_json, bad)
    res = cli("payments", "record", str(inv.id), "--amount", "\x1b[2J", "--note", evil)
    assert res.code == 2 and "\x1b" not in res.err
    md = invoice_markdown(Invoice.get_by_id(inv.id))
    for bad in ("\x1b", "\x07", "\x9b", "\x00"):
        assert bad not in md
