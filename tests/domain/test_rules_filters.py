"""R20: every operator of every type against a known dataset (exact ids), groups ANDed inside
and ORed between, the limits, money compared in each invoice's own currency, relative dates —
compiled to SQL and run on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import peewee as pw
import pytest

from invoice_tui.db.models import Invoice
from invoice_tui.domain import invoices, payments, people
from invoice_tui.domain.catalogue import SqlContext
from invoice_tui.domain.errors import BadInput
from invoice_tui.domain.filters import (Filter, FilterGroup, FilterSet, compile_filters, from_expressions,
                                        parse_expression)
from invoice_tui.domain.workspace import set_setting
from rulekit import line, make_user

TODAY = dt.date(2026, 3, 16)


@pytest.fixture
def data(ws, admin):
    """Seven invoices (ids 1–7), today 2026-03-16:

    1 EUR 100.00  open, overdue 35 days, Ada/Acme, "Website redesign", PO-1, last sent 2026-03-01
    2 EUR 250.50  open, partially paid 50.50, Bob/Globex, "Hosting", partial allowed
    3 JPY 10000   paid, Ada
    4 KWD 1.250   draft, Carla (no name), no title
    5 USD 100.00  voided, owner bob
    6 EUR 0       draft, no contact, "Draft notes", no due date
    7 EUR 99.99   open, due 2026-03-21, Ada
    """
    ada = people.add_contact(admin, {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"})
    bob_c = people.add_contact(admin, {"email": "bob@acme.test", "first_name": "Bob", "last_name": "Stone"})
    carla = people.add_contact(admin, {"email": "carla@shop.test"})
    acme = people.add_company(admin, {"name": "Acme"})
    globex = people.add_company(admin, {"name": "Globex"})
    bob = make_user(ws, admin, "bob", "create,edit")

    def new(ctx, finalize=False, **data):
        inv = invoices.create_invoice(ctx, data)
        if finalize:
            invoices.finalize_invoice(ctx, inv.id)
        return inv.id

    ids = [
        new(admin, True, currency="EUR", contact_id=ada.id, company_id=acme.id, title="Website redesign",
            po_number="PO-1", invoice_date=dt.date(2026, 1, 10), due_date=dt.date(2026, 2, 9), lines=[line()]),
        new(admin, True, currency="EUR", contact_id=bob_c.id, company_id=globex.id, title="Hosting",
            allow_partial=True, lines=[line(price="250.50")]),
        new(admin, True, currency="JPY", contact_id=ada.id, lines=[line(price="10000")]),
        new(admin, currency="KWD", contact_id=carla.id, lines=[line(price="1.25")]),
        new(bob, True, currency="USD", contact_id=bob_c.id, lines=[line()]),
        new(admin, currency="EUR", title="Draft notes", lines=[]),
        new(admin, True, currency="EUR", contact_id=ada.id, due_date=dt.date(2026, 3, 21),
            lines=[line(price="99.99")]),
    ]
    assert ids == list(range(ids[0], ids[0] + 7))
    payments.record_payment(admin, ids[1], {"amount": "50.50"})
    payments.record_payment(admin, ids[2], {"amount": "10000"})
    invoices.void_invoice(bob, ids[4])
    invoices.edit_invoice(admin, ids[5], {"due_date": None})
    Invoice.update(last_sent_date=dt.date(2026, 3, 1)).where(Invoice.id == ids[0]).execute()
    return {n + 1: i for n, i in enumerate(ids)}


def run(admin, data, *groups):
    """Ids (1–7 of the dataset) matching groups of (property, operator, values)."""
    fs = FilterSet(groups=[FilterGroup(filters=[Filter(property=p, operator=o, values=list(v)) for p, o, v in g])
                           for g in groups])
    back = {v: k for k, v in data.items()}
    return sorted(back[i.id] for i in invoices.query_invoices(admin, fs, sort="id"))


def one(admin, data, prop, op, *values):
    return run(admin, data, [(prop, op, values)])


def test_r20_dataset_is_as_described(ws, admin, data):
    rows = {k: Invoice.get_by_id(v) for k, v in data.items()}
    assert [rows[k].status for k in range(1, 8)] == ["open", "open", "paid", "draft", "voided", "draft", "open"]
    assert [rows[k].billed_minor for k in range(1, 8)] == [10000, 25050, 10000, 1250, 10000, 0, 9999]
    assert rows[2].balance_minor == 20000 and rows[6].due_date is None


def test_r20_text_operators(ws, admin, data):
    assert one(admin, data, "title", "any_of", "Hosting", "Website redesign") == [1, 2]
    assert one(admin, data, "title", "none_of", "Hosting") == [1, 3, 4, 5, 6, 7]
    assert one(admin, data, "title", "contains", "HOST") == [2]  # any case
    assert one(admin, data, "title", "contains", "host", "notes") == [2, 6]  # any of the values
    assert one(admin, data, "title", "not_contains", "o") == [1, 3, 4, 5, 7]
    assert one(admin, data, "title", "starts_with", "web") == [1]
    assert one(admin, data, "title", "known") == [1, 2, 6]
    assert one(admin, data, "title", "unknown") == [3, 4, 5, 7]
    assert one(admin, data, "contact_name", "any_of", "Ada Lovelace") == [1, 3, 7]
    assert one(admin, data, "contact_name", "unknown") == [6]
    assert one(admin, data, "contact_email", "contains", "@acme") == [2, 5]
    assert one(admin, data, "company_name", "none_of", "Acme") == [2, 3, 4, 5, 6, 7]
    assert one(admin, data, "po_number", "known") == [1]
    assert one(admin, data, "number", "starts_with", "INV-100") == [1, 2, 3, 5, 7]
    assert one(admin, data, "number", "unknown") == [4, 6]
    assert one(admin, data, "title", "contains", "%") == []  # wildcards are literal
    assert one(admin, data, "title", "starts_with", "_") == []


def test_r20_number_operators(ws, admin, data):
    first = data[1]
    assert one(admin, data, "id", "eq", str(first + 2)) == [3]
    assert one(admin, data, "id", "ne", str(first + 2)) == [1, 2, 4, 5, 6, 7]
    assert one(admin, data, "id", "gt", str(first + 4)) == [6, 7]
    assert one(admin, data, "id", "gte", str(first + 4)) == [5, 6, 7]
    assert one(admin, data, "id", "lt", str(first + 1)) == [1]
    assert one(admin, data, "id", "lte", str(first + 1)) == [1, 2]
    assert one(admin, data, "id", "between", str(first + 3), str(first + 1)) == [2, 3, 4]  # either order
    assert one(admin, data, "id", "known") == [1, 2, 3, 4, 5, 6, 7]
    assert one(admin, data, "id", "unknown") == []
    assert one(admin, data, "days_overdue", "eq", "35") == [1]
    assert one(admin, data, "days_overdue", "gt", "0") == [1]
    assert one(admin, data, "days_overdue", "between", "30", "40") == [1]
    assert one(admin, data, "days_overdue", "eq", "0") == [2, 3, 4, 5, 6, 7]
    with pytest.raises(BadInput, match="whole numbers"):
        one(admin, data, "id", "eq", "1.5")


def test_r20_money_in_each_invoice_own_currency(ws, admin, data):
    # 100 means €100.00, $100.00, ¥100 and KWD 100.000, each in minor units of its own currency.
    assert one(admin, data, "amount_billed", "eq", "100") == [1, 5]
    assert one(admin, data, "amount_billed", "ne", "100") == [2, 3, 4, 6, 7]
    assert one(admin, data, "amount_billed", "gt", "100") == [2, 3]
    assert one(admin, data, "amount_billed", "gte", "100") == [1, 2, 3, 5]
    assert one(admin, data, "amount_billed", "lt", "100") == [4, 6, 7]
    assert one(admin, data, "amount_billed", "lte", "99.99") == [4, 6, 7]
    assert one(admin, data, "amount_billed", "eq", "99.99") == [7]  # ¥ cannot hold .99
    assert one(admin, data, "amount_billed", "eq", "1.25") == [4]  # KWD 1.250
    assert one(admin, data, "amount_billed", "eq", "1.2501") == []
    assert one(admin, data, "amount_billed", "gt", "99.995") == [1, 2, 3, 5]
    assert one(admin, data, "amount_billed", "lt", "1.2505") == [4, 6]
    assert one(admin, data, "amount_billed", "between", "250.50", "10000") == [2, 3]
    assert one(admin, data, "amount_billed", "known") == [1, 2, 3, 4, 5, 6, 7]
    assert one(admin, data, "amount_billed", "unknown") == []
    assert one(admin, data, "balance_due", "eq", "200") == [2]
    assert one(admin, data, "amount_paid", "gt", "0") == [2, 3]
    assert one(admin, data, "balance_due", "eq", "0") == [3, 5, 6]  # 5 is voided: it owes nothing (R18)


def test_r20_date_operators_and_relative_dates(ws, admin, data):
    assert one(admin, data, "due_date", "on", "2026-04-15") == [2, 3, 4, 5]
    assert one(admin, data, "due_date", "on", "today+5") == [7]
    assert one(admin, data, "due_date", "before", "today") == [1]
    assert one(admin, data, "due_date", "before", "today-30") == [1]
    assert one(admin, data, "due_date", "after", "2026-04-01") == [2, 3, 4, 5]
    assert one(admin, data, "due_date", "between", "2026-03-31", "2026-03-01") == [7]
    assert one(admin, data, "due_date", "more_than_days_ago", "30") == [1]
    assert one(admin, data, "due_date", "more_than_days_ago", "40") == []
    assert one(admin, data, "due_date", "less_than_days_ago", "40") == [1]
    assert one(admin, data, "due_date", "less_than_days_ago", "30") == []
    assert one(admin, data, "due_date", "more_than_days_from_now", "10") == [2, 3, 4, 5]
    assert one(admin, data, "due_date", "less_than_days_from_now", "10") == [7]
    assert one(admin, data, "due_date", "known") == [1, 2, 3, 4, 5, 7]
    assert one(admin, data, "due_date", "unknown") == [6]
    assert one(admin, data, "invoice_date", "before", "2026-03-16") == [1]
    assert one(admin, data, "last_sent_date", "on", "2026-03-01") == [1]
    assert one(admin, data, "last_sent_date", "unknown") == [2, 3, 4, 5, 6, 7]
    assert one(admin, data, "payment_date", "on", "today") == [3]
    # created_at is a moment (09:30 today); as a date filter it behaves as its day.
    assert one(admin, data, "created_at", "on", "today") == [1, 2, 3, 4, 5, 6, 7]
    assert one(admin, data, "created_at", "after", "today") == []
    assert one(admin, data, "created_at", "before", "today") == []
    assert one(admin, data, "created_at", "between", "2026-03-01", "today") == [1, 2, 3, 4, 5, 6, 7]
    assert one(admin, data, "created_at", "less_than_days_ago", "1") == [1, 2, 3, 4, 5, 6, 7]
    with pytest.raises(BadInput, match="not a date"):
        one(admin, data, "due_date", "on", "yesterday")
    with pytest.raises(BadInput, match="number of days"):
        one(admin, data, "due_date", "more_than_days_ago", "-3")


def test_r20_relative_dates_follow_today_in_the_workspace_zone(ws, admin, data, clock):
    clock.advance(days=6)  # 2026-03-22: invoice 7 (due 03-21) is overdue now
    assert one(admin, data, "overdue", "any_of", "true") == [1, 7]
    assert one(admin, data, "due_date", "before", "today") == [1, 7]
    set_setting(admin, "timezone", "Pacific/Auckland")  # 09:30 UTC is 22:30 there, same day
    clock.moment = dt.datetime(2026, 3, 20, 12, 0)  # 01:00 on 03-21 in Auckland
    assert one(admin, data, "due_date", "on", "today") == [7]
    assert one(admin, data, "overdue", "any_of", "true") == [1]


def test_r20_choice_operators(ws, admin, data):
    assert one(admin, data, "status", "any_of", "open") == [1, 2, 7]
    assert one(admin, data, "status", "none_of", "open", "draft") == [3, 5]
    assert one(admin, data, "currency", "any_of", "eur", "JPY") == [1, 2, 3, 6, 7]
    assert one(admin, data, "currency", "none_of", "EUR") == [3, 4, 5]
    assert one(admin, data, "owner", "any_of", "bob") == [5]
    assert one(admin, data, "owner", "any_of", "me") == [1, 2, 3, 4, 6, 7]
    assert one(admin, data, "owner", "none_of", "alice") == [5]
    assert one(admin, data, "overdue", "any_of", "true") == [1]
    assert one(admin, data, "overdue", "none_of", "true") == [2, 3, 4, 5, 6, 7]
    assert one(admin, data, "overdue", "any_of", "false") == [2, 3, 4, 5, 6, 7]
    assert one(admin, data, "allow_partial", "any_of", "true") == [2]
    assert one(admin, data, "origin", "none_of", "manual") == []
    with pytest.raises(BadInput, match="not a Status value"):
        one(admin, data, "status", "any_of", "late")
    with pytest.raises(BadInput, match="does not apply"):
        one(admin, data, "status", "contains", "op")
    with pytest.raises(BadInput, match="needs a value"):
        one(admin, data, "status", "any_of")


def test_r20_groups_and_within_or_between(ws, admin, data):
    open_eur = [("status", "any_of", ["open"]), ("currency", "any_of", ["EUR"])]
    assert run(admin, data, open_eur) == [1, 2, 7]
    assert run(admin, data, open_eur + [("amount_billed", "gt", ["100"])]) == [2]
    assert run(admin, data, open_eur, [("currency", "any_of", ["JPY"])]) == [1, 2, 3, 7]
    assert run(admin, data, [("status", "any_of", ["draft"])], [("overdue", "any_of", ["true"])]) == [1, 4, 6]
    assert run(admin, data) == [1, 2, 3, 4, 5, 6, 7]
    assert run(admin, data, []) == [1, 2, 3, 4, 5, 6, 7]  # an empty group filters nothing


def test_r20_limits(ws, admin, data):
    f = ("status", "none_of", ["voided"])
    assert run(admin, data, *[[f] * 5] * 5) == [1, 2, 3, 4, 6, 7]  # 5 groups × 5 = 25: allowed
    assert run(admin, data, [f] * 10) == [1, 2, 3, 4, 6, 7]
    with pytest.raises(BadInput, match="At most 5 filter groups"):
        run(admin, data, *[[f]] * 6)
    with pytest.raises(BadInput, match="At most 10 filters in a group"):
        run(admin, data, [f] * 11)
    with pytest.raises(BadInput, match="At most 25 filters in all"):
        run(admin, data, [f] * 10, [f] * 10, [f] * 6)
    with pytest.raises(BadInput, match="At most 25"):
        from_expressions([["status=open"] * 9] * 3)


def test_r20_filters_compile_to_one_sql_where(ws, admin, data):
    fs = from_expressions([["status=open", "amount_billed>100"], ["title~host"]])
    where = compile_filters(fs, SqlContext(today=TODAY, user_id=admin.user.id, login="alice"))
    assert isinstance(where, pw.Node)
    sql, params = Invoice.select(Invoice.id).where(where).sql()
    assert sql.count("WHERE") == 1 and "SELECT" not in sql.split("WHERE", 1)[1]


def test_r20_cli_expressions(ws, admin, data):
    def ids(*groups):
        back = {v: k for k, v in data.items()}
        return sorted(back[i.id] for i in invoices.query_invoices(admin, from_expressions(list(groups))))

    assert ids(["amount_billed>100"]) == [2, 3]
    assert ids(["amount_billed=100..300"]) == [1, 2, 5]
    assert ids(["due_date<today"]) == [1]
    assert ids(["due_date<=2026-03-21", "status=open"]) == [1, 7]
    assert ids(["due_date>=2026-04-15"]) == [2, 3, 4, 5]
    assert ids(["status=open,paid"]) == [1, 2, 3, 7]
    assert ids(["status!=open,paid"]) == [4, 5, 6]
    assert ids(["title~host"], ["title^web"]) == [1, 2]
    assert ids(["title!~o"]) == [1, 3, 4, 5, 7]
    assert ids(["po_number?"]) == [1]
    assert ids(["title!?"]) == [3, 4, 5, 7]
    assert ids(["overdue=true"]) == [1]
    assert parse_expression("due_date=today-30..today") == Filter(property="due_date", operator="between",
                                                                 values=["today-30", "today"])
    for bad, message in [("amount_billed~1", "does not apply"), ("nothing=1", "Unknown property"),
                         ("status", "Cannot read"), ("status=", "has no value"), ("title?x", "takes no value")]:
        with pytest.raises(BadInput, match=message):
            from_expressions([[bad]])
