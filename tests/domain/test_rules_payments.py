"""R8–R11 through the payment services, on SQLite and PostgreSQL (``db_url``), including two
threads applying one payment at the same moment (R9)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from invoice_tui.db.models import Invoice, Payment, PropertyChange, Reminder
from invoice_tui.domain import history, invoices, payments, people
from invoice_tui.domain.context import Services
from invoice_tui.domain.errors import BadInput, NotFound, PermissionDenied, RuleRefused
from rulekit import census, line, make_draft, make_open, make_user, race, reload

TODAY = dt.date(2026, 3, 16)


def kinds(inv) -> list[str]:
    return [a.kind for a in reversed(invoices.activities(inv.id))]


# ---- R8 ---------------------------------------------------------------------------------------
def test_r8_full_payment_marks_paid_and_drops_reminders(ws, admin, buyer):
    inv = make_open(admin, buyer, lines=[line(price="80", tax="25")])
    assert len(invoices.upcoming_reminders(inv)) == 3
    res = payments.record_payment(admin, inv.number, {"amount": "100.00", "date": dt.date(2026, 3, 14),
                                                      "in_advance": True,
                                                      "method": "bank transfer", "reference": "SEPA-1",
                                                      "note": "early"})
    inv = reload(inv)
    assert (inv.status, inv.paid_minor, inv.balance_minor) == ("paid", 10000, 0)
    assert inv.payment_date == dt.date(2026, 3, 14)
    assert invoices.upcoming_reminders(inv) == []
    p = Payment.get_by_id(res.payment.id)
    assert (p.method, p.reference, p.note, p.source, p.state, p.contact_id) == (
        "bank_transfer", "SEPA-1", "early", "manual", "succeeded", buyer.id)
    assert res.receipt_queued is False
    assert kinds(inv)[-1] == "payment_recorded"


def test_r8_partial_payments_only_when_allowed(ws, admin, buyer):
    strict = make_open(admin, buyer)
    before = census()
    with pytest.raises(RuleRefused, match="partial"):
        payments.record_payment(admin, strict.id, {"amount": "99.99"})
    assert census() == before
    loose = make_open(admin, buyer, allow_partial=True)
    payments.record_payment(admin, loose.id, {"amount": "30", "date": dt.date(2026, 3, 10), "in_advance": True})
    loose = reload(loose)
    assert (loose.status, loose.balance_minor, loose.payment_date) == ("open", 7000, None)
    payments.record_payment(admin, loose.id, {"amount": "70", "date": dt.date(2026, 3, 12), "in_advance": True})
    loose = reload(loose)
    assert (loose.status, loose.balance_minor, loose.payment_date) == ("paid", 0, dt.date(2026, 3, 12))


@pytest.mark.parametrize("amount, error, message", [
    ("0", BadInput, "greater than zero"),
    ("-5", BadInput, "greater than zero"),
    ("10.001", BadInput, "at most 2 decimals"),
    ("ten", BadInput, "not a valid amount"),
    ("NaN", BadInput, "not a valid amount"),
    ("100.01", RuleRefused, "more than the balance"),
])
def test_r8_amount_limits(ws, admin, buyer, amount, error, message):
    inv = make_open(admin, buyer, allow_partial=True)
    before = census()
    with pytest.raises(error, match=message):
        payments.record_payment(admin, inv.id, {"amount": amount})
    assert census() == before


def test_r8_currency_decimals_jpy_and_kwd(ws, admin, buyer):
    jpy = make_open(admin, buyer, currency="JPY", lines=[line(price="1000")], allow_partial=True)
    with pytest.raises(BadInput, match="JPY amounts have no decimals"):
        payments.record_payment(admin, jpy.id, {"amount": "10.5"})
    payments.record_payment(admin, jpy.id, {"amount": "999"})
    assert reload(jpy).balance_minor == 1
    kwd = make_open(admin, buyer, currency="KWD", lines=[line(price="10.125")], allow_partial=True)
    with pytest.raises(BadInput, match="at most 3 decimals"):
        payments.record_payment(admin, kwd.id, {"amount": "1.2345"})
    payments.record_payment(admin, kwd.id, {"amount": "1.234"})
    assert reload(kwd).balance_minor == 8891


def test_r8_only_open_invoices_take_payments(ws, admin, buyer):
    draft = make_draft(admin, buyer)
    with pytest.raises(RuleRefused, match="finalize"):
        payments.record_payment(admin, draft.id, {"amount": "100"})
    inv = make_open(admin, buyer)
    payments.record_payment(admin, inv.id, {"amount": "100"})
    before = census()
    with pytest.raises(RuleRefused, match="already paid"):
        payments.record_payment(admin, inv.id, {"amount": "1"})
    with pytest.raises(BadInput, match="method"):
        payments.record_payment(admin, make_open(admin, buyer).id, {"amount": "100", "method": "gold"})
    with pytest.raises(NotFound):
        payments.record_payment(admin, "INV-9999", {"amount": "1"})
    assert census()["Payment"] == before["Payment"]


def test_r8_processing_online_payment_holds_its_amount(ws, admin, buyer):
    """An online payment still processing may yet succeed: the balance left to collect by hand is
    the balance minus what is processing, so the invoice can never be paid twice."""
    inv = make_open(admin, buyer, allow_partial=True)
    online = payments.add_payment(admin, {"amount": "60", "currency": "EUR", "source": "online",
                                          "state": "processing"})
    payments.apply_payment(admin, online.id, inv.id)
    before = census()
    with pytest.raises(RuleRefused, match="processing"):
        payments.record_payment(admin, inv.id, {"amount": "100"})
    assert census() == before
    payments.record_payment(admin, inv.id, {"amount": "40"})
    payments.set_payment_state(admin, online.id, "succeeded")
    inv = reload(inv)
    assert (inv.status, inv.paid_minor, inv.balance_minor) == ("paid", 10000, 0)


# ---- R9 ---------------------------------------------------------------------------------------
def test_r9_find_unapplied_by_amount_id_or_email(ws, admin, buyer):
    bob = people.add_contact(admin, {"email": "bob@acme.example"})
    p1 = payments.add_payment(admin, {"amount": "25.00", "currency": "EUR", "contact_id": bob.id})
    p2 = payments.add_payment(admin, {"amount": "25", "currency": "USD", "contact_id": bob.id})
    p3 = payments.add_payment(admin, {"amount": "100", "currency": "EUR", "contact_id": buyer.id})
    p4 = payments.add_payment(admin, {"amount": "25", "currency": "EUR", "source": "online", "state": "failed"})
    inv = make_open(admin, buyer)
    payments.apply_payment(admin, p3.id, inv.id)
    ids = lambda cur, q="": [p.id for p in payments.find_unapplied(cur, q)]  # noqa: E731
    assert ids("EUR") == [p1.id]  # applied (p3) and failed (p4) payments are not offered
    assert ids("EUR", "25") == [p1.id]
    assert ids("EUR", "25.00") == [p1.id]
    assert ids("EUR", "ACME.example") == [p1.id]
    assert ids("EUR", f"#{p1.id}") == [p1.id]
    assert ids("USD", "bob@") == [p2.id]
    assert ids("EUR", "nobody@") == []
    assert ids("EUR", "25.5") == []
    assert p4.id not in ids("EUR", str(p4.id))


def test_r9_apply_existing_payment_under_r8_limits(ws, admin, buyer):
    inv = make_open(admin, buyer)
    small = payments.add_payment(admin, {"amount": "40", "currency": "EUR"})
    big = payments.add_payment(admin, {"amount": "100.01", "currency": "EUR"})
    dollars = payments.add_payment(admin, {"amount": "100", "currency": "USD"})
    before = census()
    with pytest.raises(RuleRefused, match="partial"):
        payments.apply_payment(admin, small.id, inv.id)
    with pytest.raises(RuleRefused, match="more than the balance"):
        payments.apply_payment(admin, big.id, inv.id)
    with pytest.raises(RuleRefused, match="USD"):
        payments.apply_payment(admin, dollars.id, inv.id)
    assert census() == before
    exact = payments.add_payment(admin, {"amount": "100", "currency": "EUR", "date": dt.date(2026, 3, 1)})
    res = payments.apply_payment(admin, exact.id, inv.number, in_advance=True)  # dated before the invoice (R57)
    inv = reload(inv)
    assert (inv.status, inv.balance_minor, inv.payment_date) == ("paid", 0, dt.date(2026, 3, 1))
    assert res.payment.invoice_id == inv.id
    assert kinds(inv)[-1] == "payment_applied"


def test_r9_apply_payment_applied_elsewhere_refused(ws, admin, buyer):
    a, b = make_open(admin, buyer), make_open(admin, buyer)
    p = payments.add_payment(admin, {"amount": "100", "currency": "EUR"})
    payments.apply_payment(admin, p.id, a.id)
    before = census()
    with pytest.raises(RuleRefused, match="already applied to INV-1001"):
        payments.apply_payment(admin, p.id, b.id)
    assert census() == before


def test_r9_apply_same_payment_from_two_threads_exactly_one_wins(ws, admin, buyer):
    for _ in range(4):
        a, b = make_open(admin, buyer), make_open(admin, buyer)
        p = payments.add_payment(admin, {"amount": "100", "currency": "EUR"})
        results = race(ws, [lambda inv=a: payments.apply_payment(admin, p.id, inv.id),
                             lambda inv=b: payments.apply_payment(admin, p.id, inv.id)])
        won = [r for r in results if isinstance(r, payments.PaymentResult)]
        lost = [r for r in results if isinstance(r, RuleRefused)]
        assert len(won) == 1 and len(lost) == 1, results
        winner = won[0].invoice
        loser = b if winner.id == a.id else a
        assert Payment.get_by_id(p.id).invoice_id == winner.id
        assert reload(winner).status == "paid"
        loser = reload(loser)
        assert (loser.status, loser.paid_minor, loser.balance_minor) == ("open", 0, 10000)
        assert "payment_applied" not in kinds(loser)
        assert PropertyChange.select().where((PropertyChange.object_type == "payment")
                                             & (PropertyChange.object_id == p.id)
                                             & (PropertyChange.property == "invoice")).count() == 1


def test_r9_two_payments_racing_for_one_balance(ws, admin, buyer):
    inv = make_open(admin, buyer)
    p1 = payments.add_payment(admin, {"amount": "100", "currency": "EUR"})
    p2 = payments.add_payment(admin, {"amount": "100", "currency": "EUR"})
    results = race(ws, [lambda: payments.apply_payment(admin, p1.id, inv.id),
                         lambda: payments.apply_payment(admin, p2.id, inv.id)])
    assert sum(isinstance(r, payments.PaymentResult) for r in results) == 1, results
    inv = reload(inv)
    assert (inv.status, inv.paid_minor, inv.balance_minor) == ("paid", 10000, 0)
    assert Payment.select().where(Payment.invoice == inv).count() == 1


# ---- R10 --------------------------------------------------------------------------------------
def test_r10_no_receipt_unless_asked(ws, admin, buyer):
    sent: list[int] = []
    wired = replace(admin, services=Services(receipt_sender=lambda ctx, p: sent.append(p.id)))  # passed in, no global
    inv = make_open(admin, buyer, allow_partial=True)
    quiet = payments.record_payment(wired, inv.id, {"amount": "10"})
    assert quiet.receipt_queued is False and sent == []
    asked = payments.record_payment(wired, inv.id, {"amount": "10", "send_receipt": True})
    assert asked.receipt_queued is True and sent == [asked.payment.id]
    # a context with no receipt sender wired in (the domain alone) queues none, and says so
    alone = payments.record_payment(admin, inv.id, {"amount": "10", "send_receipt": True})
    assert alone.receipt_queued is False and sent == [asked.payment.id]


# ---- R11 --------------------------------------------------------------------------------------
def test_r11_delete_manual_payment_reopens_paid_invoice(ws, admin, buyer, clock):
    inv = make_open(admin, buyer)
    reminders = {r.offset_days: r for r in invoices.upcoming_reminders(inv)}
    invoices.delete_reminder(admin, reminders[7].id)
    pay = payments.record_payment(admin, inv.id, {"amount": "100"}).payment
    assert invoices.upcoming_reminders(inv) == []
    clock.advance(days=28)  # the reminder 3 days before the due date is now in the past
    editor = make_user(ws, admin, "erin", "edit")
    reopened = payments.delete_payment(editor, pay.id)
    inv = reload(inv)
    assert reopened.id == inv.id
    assert (inv.status, inv.paid_minor, inv.balance_minor, inv.payment_date) == ("open", 0, 10000, None)
    assert not Payment.select().where(Payment.id == pay.id).exists()
    # Future reminders come back; past and deleted ones do not.
    assert [r.offset_days for r in invoices.upcoming_reminders(inv)] == [0]
    assert Reminder.get_by_id(reminders[7].id).state == "deleted"
    assert kinds(inv)[-1] == "payment_deleted"
    gone = {e.property: e.new_value for e in history.entries("payment", pay.id) if e.user_login == "erin"}
    assert gone and set(gone.values()) == {None}


def test_r11_partial_payment_deleted_restores_balance(ws, admin, buyer):
    inv = make_open(admin, buyer, allow_partial=True)
    p1 = payments.record_payment(admin, inv.id, {"amount": "30"}).payment
    payments.record_payment(admin, inv.id, {"amount": "20"})
    payments.delete_payment(admin, p1.id)
    inv = reload(inv)
    assert (inv.status, inv.paid_minor, inv.balance_minor) == ("open", 2000, 8000)


def test_r11_online_payments_are_never_deleted(ws, admin, buyer):
    inv = make_open(admin, buyer)
    p = payments.add_payment(admin, {"amount": "100", "currency": "EUR", "source": "online",
                                     "state": "processing"})
    payments.apply_payment(admin, p.id, inv.id)
    payments.set_payment_state(admin, p.id, "succeeded")
    assert reload(inv).status == "paid"
    before = census()
    with pytest.raises(RuleRefused, match="refund"):
        payments.delete_payment(admin, p.id)
    assert census() == before
    payments.set_payment_state(admin, p.id, "refunded")
    inv = reload(inv)
    assert (inv.status, inv.balance_minor) == ("open", 10000)
    with pytest.raises(RuleRefused):
        payments.set_payment_state(admin, p.id, "succeeded")


def test_r11_delete_needs_edit_permission(ws, admin, buyer):
    inv = make_open(admin, buyer)
    pay = payments.record_payment(admin, inv.id, {"amount": "100"}).payment
    creator = make_user(ws, admin, "cody", "create,delete")
    before = census()
    with pytest.raises(PermissionDenied):
        payments.delete_payment(creator, pay.id)
    assert census() == before
    assert reload(inv).status == "paid" and Invoice.select().count() == 1
