"""R56 with hypothesis: the services and the CLI driven with extreme and hostile values — dates
from year 1 to 9999, amounts, quantities and rates far beyond any bound, NaN and infinities, day
counts, text with controls. Each call ends in success or a clear refusal (a domain error with its
sentence; in the CLI exit 1, 2 or 3 and one line on stderr), never a traceback, an OverflowError
or an InvalidOperation; what succeeds lies within the documented bounds. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from invoice_tui.db.models import Invoice, Payment
from invoice_tui.domain import invoices, payments, people
from invoice_tui.domain.bounds import DATE_MAX, DATE_MIN
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.filters import from_expressions
from invoice_tui.domain.workspace import set_setting
from hardkit import Cli

FEW = settings(max_examples=30, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

dates = st.one_of(st.dates(), st.sampled_from([dt.date.min, dt.date.max, DATE_MIN, DATE_MAX,
                                               DATE_MIN - dt.timedelta(days=1), DATE_MAX + dt.timedelta(days=1)]))
good_dates = st.dates(DATE_MIN, DATE_MAX)
mostly_good_dates = st.one_of(good_dates, good_dates, good_dates, dates)
ordinary = st.sampled_from(["1", "2.5", "10", "0.01"])  # so that some examples get far
numbers = st.one_of(
    ordinary, ordinary, ordinary, ordinary,
    st.sampled_from(["0", "-0", "1", "-1", "0.000001", "1e-7", "999999999", "1e9", "-1e9", "999999999999.99",
                     "1e12", "1e15", "1e28", "9" * 40, "1E400", "NaN", "Infinity", "-inf", "0.1234567", "100.0001",
                     "100", "101", "-5", "1,5", "\x1b[2J", "\u202e1"]),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.integers(min_value=-10 ** 30, max_value=10 ** 30).map(str))
texts = st.one_of(st.sampled_from(["", "Work", "\x1b]52;c;aGk=\x07", "a\u202eb", "x" * 400, "[/]", "\n\n"]),
                  st.text(max_size=20))


def _call(fn, *args, **kwargs):
    """Success, or a domain error with a sentence — nothing else may come out of a service."""
    try:
        return fn(*args, **kwargs)
    except InvoiceTuiError as exc:
        assert exc.message and len(exc.message) > 10, exc
        event(f"refused: {fn.__name__}: {exc.message[:50]}")
        return None


@pytest.fixture
def buyer(ws, admin):
    return people.add_contact(admin, {"email": "ada@example.com", "first_name": "Ada"})


@FEW
@given(invoice_date=mostly_good_dates, due=st.one_of(st.none(), st.none(), st.none(), dates), qty=numbers, price=numbers, rate=numbers,
       discount=numbers, fee=numbers, name=texts, pay_date=mostly_good_dates, amount=numbers, task_due=dates)
def test_r56_services_take_extreme_values_or_refuse_them(ws, admin, buyer, invoice_date, due, qty, price, rate,
                                                          discount, fee, name, pay_date, amount, task_due):
    data = {"currency": "EUR", "contact_id": buyer.id, "allow_partial": True, "invoice_date": invoice_date,
            "lines": [{"name": name or "Work", "quantity": qty, "unit_price": price, "tax_rate": rate}],
            "discounts": [{"value": discount, "is_percent": True}], "fees": [{"value": fee, "is_percent": True}]}
    if due is not None:
        data["due_date"] = due
    inv = _call(invoices.create_invoice, admin, data)
    if inv is None:
        return
    assert DATE_MIN <= inv.invoice_date <= DATE_MAX
    _call(invoices.add_task, admin, inv.id, "Call", task_due)
    inv = _call(invoices.finalize_invoice, admin, inv.id)
    if inv is None:
        return
    event("finalized")
    assert abs(inv.billed_minor) < 10 ** 17
    paid = _call(payments.record_payment, admin, inv.id, {"amount": amount, "date": pay_date.isoformat()},
                 **({"in_advance": True} if "in_advance" in payments.record_payment.__code__.co_varnames else {}))
    if paid is not None:
        event("paid")
        assert DATE_MIN <= Payment.get_by_id(paid.payment.id).date <= DATE_MAX
    assert Invoice.get_by_id(inv.id).balance_minor == Invoice.get_by_id(inv.id).billed_minor - \
        Invoice.get_by_id(inv.id).paid_minor


@FEW
@given(day=st.one_of(dates.map(str), st.sampled_from(["today+99999", "today-99999", "today+109572",
                                                    "today-999999", "0000-01-01", "10000-01-01"])),
       days=st.one_of(st.integers(0, 10 ** 7).map(str), st.sampled_from(["999999", "109572", "109573"])),
       offsets=st.sampled_from(["-3,0,7", "-99999999999,0", "3650", "3651", "-3651", "1e3"]),
       terms=st.sampled_from(["0", "3650", "3651", "-1", "99999999999"]))
def test_r56_filters_and_settings_with_extreme_days(ws, admin, buyer, day, days, offsets, terms):
    from invoice_tui.domain.catalogue import SqlContext
    from invoice_tui.domain.filters import Filter, FilterGroup, FilterSet, compile_filters

    sql = SqlContext(today=admin.today(), user_id=admin.user.id, login=admin.login)
    tests = [("on", [day]), ("before", [day]), ("between", [day, "today"]), ("more_than_days_ago", [days]),
             ("less_than_days_ago", [days]), ("more_than_days_from_now", [days]),
             ("less_than_days_from_now", [days])]
    for op, values in tests:
        fs = _call(FilterSet, groups=[FilterGroup(filters=[Filter(property="invoice_date", operator=op, values=values)])])
        where = _call(compile_filters, fs, sql)
        if where is not None:
            assert isinstance(Invoice.select(Invoice.id).where(where).count(), int)
    _call(set_setting, admin, "reminder_offsets", offsets)
    _call(set_setting, admin, "payment_terms_days", terms)
    inv = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": buyer.id, "invoice_date": DATE_MAX,
                                          "lines": [{"name": "Work", "quantity": "1", "unit_price": "1"}]})
    _call(invoices.finalize_invoice, admin, inv.id)


@pytest.fixture
def cli(db_url, capsys, ws, admin, buyer):
    return Cli(db_url, capsys)


def _cli_ok_or_refused(res) -> None:
    assert res.code in (0, 1, 2, 3), (res.code, res.err)
    if res.code:
        assert res.err.startswith("invoice-tui: ") and not res.err.startswith("invoice-tui: invoice-tui:")
        assert "\x1b" not in res.err and "Error:" not in res.err.split(":", 2)[1], res.err


@FEW
@given(day=dates.map(str), due=st.sampled_from(["today+99999", "today-99999", "2199-12-31", "9999-12-31", "today"]),
       qty=numbers, price=numbers, rate=numbers, amount=numbers, pay_date=st.one_of(dates.map(str), numbers),
       days=st.sampled_from(["999999", "109573", "3", "0"]))
def test_r56_cli_takes_extreme_values_or_refuses_them(cli, day, due, qty, price, rate, amount, pay_date, days):
    res = cli("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--allow-partial",
              f"--date={day}", f"--due={due}", f"--line=Work;{qty};{price};{rate}", as_json=True)
    _cli_ok_or_refused(res)
    for expr in (f"invoice_date={day}", f"due_date>={due}", f"invoice_date<{day}"):
        _cli_ok_or_refused(cli("invoices", "list", "--filter", expr, as_json=True))
    if res.code == 0:
        number = str(res.data["id"])
        _cli_ok_or_refused(res := cli("invoices", "finalize", number, as_json=True))
        _cli_ok_or_refused(cli("payments", "record", number, f"--amount={amount}", f"--date={pay_date}"))
        _cli_ok_or_refused(cli("invoices", "show", number, as_json=False))
