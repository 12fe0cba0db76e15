"""R56 and R57 on SQLite and PostgreSQL: dates outside 1900-01-01…2199-12-31 refused at input with a
sentence naming the field (the drafts of issue 19 dated 9999-12-31 or 0001-01-01 could never be
finalized: an OverflowError); payments not dated after today, and before their invoice only when
confirmed as received in advance. Every refusal writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from invoice_tui.db.models import Invoice, Payment
from invoice_tui.domain import invoices, payments
from invoice_tui.domain.errors import BadInput, RuleRefused
from invoice_tui.domain.workspace import set_setting
from rulekit import census, line, make_draft, make_open

TODAY = dt.date(2026, 3, 16)  # the fixtures' clock


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
@pytest.mark.parametrize("field", ["invoice_date", "due_date"])
def test_r56_dates_outside_the_range_are_refused_naming_the_field(ws, admin, buyer, day, field):
    before = census()
    with pytest.raises(BadInput, match=r"between 1900-01-01 and 2199-12-31") as exc:
        make_draft(admin, buyer, **{field: day})
    assert exc.value.field == field
    draft = make_draft(admin, buyer)
    with pytest.raises(BadInput, match=r"between 1900-01-01 and 2199-12-31"):
        invoices.edit_invoice(admin, draft.id, {field: day})
    assert census()["Invoice"] == before["Invoice"] + 1


def test_r56_the_range_edges_are_accepted_and_finalize(ws, admin, buyer):
    set_setting(admin, "payment_terms_days", "0")
    for day in ("1900-01-01", "2199-12-31"):
        inv = invoices.finalize_invoice(admin, make_draft(admin, buyer, invoice_date=day).id)
        assert inv.status == "open" and inv.due_date.isoformat() == day


def test_r56_a_draft_stored_out_of_range_gets_a_sentence_not_an_overflow(ws, admin, buyer):
    """A date written before the bound existed (or behind the app's back): finalize says why."""
    draft = make_draft(admin, buyer)
    Invoice.update(invoice_date=dt.date(9999, 12, 31), due_date=None).where(Invoice.id == draft.id).execute()
    with pytest.raises(BadInput, match="invoice date must be between 1900-01-01 and 2199-12-31"):
        invoices.finalize_invoice(admin, draft.id)
    assert Invoice.get_by_id(draft.id).status == "draft"


@pytest.mark.parametrize("offsets,terms", [("-99999999999,0", None), ("3651", None), (None, "3651")])
def test_r56_settings_that_would_overflow_dates_are_refused(ws, admin, offsets, terms):
    with pytest.raises(BadInput):
        if offsets:
            set_setting(admin, "reminder_offsets", offsets)
        else:
            set_setting(admin, "payment_terms_days", terms)


def test_r56_a_task_due_date_outside_the_range_is_refused(ws, admin, buyer):
    inv = make_draft(admin, buyer)
    with pytest.raises(BadInput, match="due date must be between"):
        invoices.add_task(admin, inv.id, "Call", dt.date(1, 1, 1))


def test_r57_a_payment_cannot_be_dated_after_today(ws, admin, buyer):
    inv = make_open(admin, buyer, allow_partial=True)
    before = census()
    with pytest.raises(BadInput, match=r"cannot be dated after today \(2026-03-16, UTC\)") as exc:
        payments.record_payment(admin, inv.id, {"amount": "10", "date": "2030-01-01"})
    assert exc.value.field == "date" and census() == before
    with pytest.raises(BadInput, match="after today"):
        payments.add_payment(admin, {"amount": "10", "currency": "EUR", "date": TODAY + dt.timedelta(days=1)})
    assert census() == before
    payments.record_payment(admin, inv.id, {"amount": "10", "date": TODAY})  # today itself is fine


def test_r57_a_payment_before_its_invoice_needs_the_in_advance_confirmation(ws, admin, buyer):
    inv = make_open(admin, buyer, allow_partial=True, invoice_date="2026-03-10")
    before = census()
    with pytest.raises(RuleRefused, match="before the invoice date 2026-03-10; confirm that it was received "
                                          "in advance") as exc:
        payments.record_payment(admin, inv.id, {"amount": "10", "date": "2019-05-01"})
    assert exc.value.code == "payment.before_invoice_date" and census() == before
    res = payments.record_payment(admin, inv.id, {"amount": "10", "date": "2019-05-01", "in_advance": True})
    assert res.payment.date == dt.date(2019, 5, 1)
    early = payments.add_payment(admin, {"amount": "5", "currency": "EUR", "date": "2026-01-02"})
    with pytest.raises(RuleRefused, match="received in advance"):
        payments.apply_payment(admin, early.id, inv.id)
    assert Payment.get_by_id(early.id).invoice_id is None
    payments.apply_payment(admin, early.id, inv.id, in_advance=True)
    assert Payment.get_by_id(early.id).invoice_id == inv.id


@pytest.mark.parametrize("key,value", [("seller_name", "Acme\x1b]52;c;aGk=\x07"), ("seller_name", "Ac\u202eme"),
                                       ("number_prefix", "INV\x1b[2J-"), ("seller_name", "x" * 301),
                                       ("payment_instructions", "IBAN\x9b31m")])
def test_r55_r56_workspace_settings_refuse_controls_and_overlong_text(ws, admin, key, value):
    before = census()
    with pytest.raises(BadInput, match=key):
        set_setting(admin, key, value)
    assert census() == before
