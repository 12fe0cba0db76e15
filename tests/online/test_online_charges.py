"""Issue 26 (R5, R7, R11, R13, R34): charging a saved payment method and refunding, against a
real localstripe through the real ``stripe`` SDK, on SQLite and PostgreSQL; receipts to a real
SMTP server.

localstripe ignores idempotency keys and accepts refunds above the amount paid: what these tests
prove there is the app's own guards (one charge per attempt, refund caps).
"""

from __future__ import annotations

import pytest

from invoice_tui.db.models import Activity, Invoice, Payment, PropertyChange
from invoice_tui.domain import invoices, online, people
from invoice_tui.domain.errors import BadInput, Conflict, RuleRefused
from invoice_tui.domain.provider import ProviderUnavailable
from invoice_tui.mail import outbox
from invoice_tui.wiring import services

from onlinekit import port_closed, stripe_config, wait_for


def setup_invoice(ctx, ls, *, number: str = "4242424242424242", amount: str = "100", partial: bool = False):
    contact = people.add_contact(ctx, {"email": "zoe@muller.example", "first_name": "Zoë", "last_name": "Müller"})
    inv = invoices.create_invoice(ctx, {"currency": "EUR", "contact_id": contact.id, "allow_partial": partial,
                                        "lines": [{"name": "Work", "quantity": "1", "unit_price": amount,
                                                   "tax_rate": "20"}]})
    inv = invoices.finalize_invoice(ctx, inv.id)
    return inv, contact


def save_card(alice, ls, contact, number: str = "4242424242424242"):
    cus, pm = ls.customer_with_card(number)
    return online.add_method(alice, contact.email, cus, pm)


def payment_rows(p):
    return list(PropertyChange.select().where((PropertyChange.object_type == "payment")
                                              & (PropertyChange.object_id == p.id)).order_by(PropertyChange.id))


def test_r34_saved_card_charged_paid_and_receipts_to_buyer_and_charger(actors, localstripe, smtp_server):
    alice, bob = actors
    inv, contact = setup_invoice(alice, localstripe)
    m = save_card(alice, localstripe, contact)
    assert (m.brand, m.last4, m.exp_month, m.exp_year) == ("visa", "4242", 12, 2030)
    res = online.charge_invoice(bob, inv.number)
    assert res.state == "succeeded" and res.receipts_queued
    p = Payment.get_by_id(res.payment.id)
    assert p.source == "online" and p.provider_ref.startswith("pi_") and p.ever_succeeded
    assert p.amount_minor == 12000 and p.idempotency_key
    inv = Invoice.get_by_id(inv.id)
    assert inv.status == "paid" and inv.balance_minor == 0
    # the attempt was recorded before the provider was called, then its success: two history rows
    rows = payment_rows(p)
    assert len(rows) == 2 and "processing" in rows[0].new_value and "succeeded" in (rows[1].new_value or "")
    assert Activity.select().where((Activity.invoice_id == inv.id) & (Activity.kind == "payment_attempt")).exists()
    # R34: the receipt goes to the buyer and to the user who charged, through a real SMTP server
    msgs = wait_for(lambda: [r for r in smtp_server.received] or None)
    rcpts = sorted(r for m_ in msgs for r in m_.rcpt_tos)
    assert rcpts == ["bob@dupre.example", "zoe@muller.example"]
    assert "Receipt for your payment" in str(msgs[0].message["Subject"])
    # card numbers are never stored: the saved method has the brand, last four and expiry only
    stored = " ".join(str(v) for v in online.method_record(m).values())
    assert "4242424242424242" not in stored


def test_r34_declined_card_failed_with_reason_invoice_still_open(actors, localstripe):
    alice, bob = actors
    inv, contact = setup_invoice(alice, localstripe)
    save_card(alice, localstripe, contact, "4000000000000341")  # attaches, then declines when charged
    res = online.charge_invoice(bob, inv.id)
    assert res.state == "failed" and "declined" in res.reason.lower()
    p = Payment.get_by_id(res.payment.id)
    assert p.state == "failed" and p.failure_reason and not p.ever_succeeded
    inv = Invoice.get_by_id(inv.id)
    assert inv.status == "open" and inv.balance_minor == 12000
    assert any("declined" in (r.new_value or "").lower() for r in payment_rows(p))
    act = Activity.select().where((Activity.invoice_id == inv.id) & (Activity.kind == "payment_failed")).get()
    assert "declined" in act.text.lower()
    # a failed attempt is not pending: charging again is allowed (a new attempt, a new key)
    res2 = online.charge_invoice(bob, inv.id)
    assert res2.payment.id != p.id and res2.payment.idempotency_key != p.idempotency_key


def test_r34_three_d_secure_card_requires_action_and_blocks_a_second_attempt(actors, localstripe):
    alice, bob = actors
    inv, contact = setup_invoice(alice, localstripe)
    save_card(alice, localstripe, contact, "4000000000003220")
    res = online.charge_invoice(bob, inv.id)
    assert res.state == "requires_action"
    assert Invoice.get_by_id(inv.id).status == "open"
    with pytest.raises(RuleRefused) as err:  # the app's own guard, not the provider's
        online.charge_invoice(bob, inv.id)
    assert err.value.code == "payment.pending"
    assert Payment.select().where(Payment.invoice == inv.id).count() == 1


def test_r34_retry_after_unreachable_provider_reuses_the_attempt_and_its_key(actors, localstripe, ws, clock):
    alice, bob = actors
    inv, contact = setup_invoice(alice, localstripe)
    cus, pm = localstripe.customer_with_card()
    online.add_method(alice, contact.email, cus, pm)
    down = ws.context("bob", source="test", now=clock,
                      services=services(stripe_config(f"http://127.0.0.1:{port_closed()}")))
    with pytest.raises(ProviderUnavailable) as err:
        online.charge_invoice(down, inv.id)
    assert err.value.exit_code == 4
    attempt = Payment.get(Payment.invoice == inv.id)
    key = attempt.idempotency_key
    assert attempt.state == "processing" and attempt.provider_ref is None and key
    # another user cannot start a second attempt while this one's outcome is unknown
    with pytest.raises(RuleRefused):
        online.charge_invoice(alice, inv.id)
    res = online.charge_invoice(bob, inv.id)  # the retry: same attempt, same key
    assert res.retried and res.payment.id == attempt.id and res.state == "succeeded"
    assert Payment.get_by_id(attempt.id).idempotency_key == key
    assert Payment.select().where(Payment.invoice == inv.id).count() == 1
    intents = localstripe.client().v1.payment_intents.list(params={"limit": 100})
    assert len([i for i in intents.data if i.customer == cus and i.status == "succeeded"]) == 1  # one charge


def test_r34_never_more_than_the_balance_and_partial_only_where_allowed(actors, localstripe):
    alice, bob = actors
    inv, contact = setup_invoice(alice, localstripe)
    save_card(alice, localstripe, contact)
    with pytest.raises(RuleRefused) as err:
        online.charge_invoice(bob, inv.id, amount="130")
    assert err.value.code == "payment.over_balance"
    with pytest.raises(RuleRefused) as err:
        online.charge_invoice(bob, inv.id, amount="50")
    assert err.value.code == "payment.partial_not_allowed"
    with pytest.raises(BadInput):
        online.charge_invoice(bob, inv.id, amount="-5")
    assert not Payment.select().where(Payment.invoice == inv.id).exists()  # nothing recorded, nothing charged


def test_r11_partial_then_full_refund_never_more_than_paid(actors, localstripe):
    alice, bob = actors
    inv, contact = setup_invoice(alice, localstripe)
    save_card(alice, localstripe, contact)
    p = online.charge_invoice(bob, inv.id).payment
    r = online.refund_payment(bob, p.id, "20")
    assert r.payment.state == "succeeded" and r.payment.amount_refunded_minor == 2000
    inv = Invoice.get_by_id(inv.id)
    assert inv.status == "open" and inv.balance_minor == 2000  # a refund reopens the paid invoice
    with pytest.raises(RuleRefused) as err:  # localstripe would accept it: the app refuses
        online.refund_payment(bob, p.id, "100.01")
    assert err.value.code == "refund.over_paid"
    r = online.refund_payment(bob, p.id)  # the rest
    assert r.refunded_minor == 10000 and r.payment.state == "refunded"
    assert Invoice.get_by_id(inv.id).balance_minor == 12000
    with pytest.raises(RuleRefused):
        online.refund_payment(bob, p.id, "1")
    charge = localstripe.client().v1.payment_intents.retrieve(p.provider_ref, params={"expand": ["latest_charge"]})
    assert charge.latest_charge.amount_refunded == 12000
    assert [("refunded" in (row.new_value or "")) for row in payment_rows(p)].count(True) >= 2


def test_r11_online_payment_is_refunded_never_deleted(actors, localstripe):
    from invoice_tui.domain import payments

    alice, bob = actors
    inv, contact = setup_invoice(alice, localstripe)
    save_card(alice, localstripe, contact)
    p = online.charge_invoice(bob, inv.id).payment
    with pytest.raises(RuleRefused):
        payments.delete_payment(bob, p.id)
    assert Payment.get_or_none(Payment.id == p.id) is not None


def test_r13_void_refused_after_a_refunded_online_payment(actors, localstripe):
    alice, bob = actors
    inv, contact = setup_invoice(alice, localstripe)
    save_card(alice, localstripe, contact)
    p = online.charge_invoice(bob, inv.id).payment
    online.refund_payment(bob, p.id)
    inv = Invoice.get_by_id(inv.id)
    assert inv.status == "open"
    with pytest.raises(RuleRefused) as err:
        invoices.void_invoice(bob, inv.id)
    assert "R13" in err.value.message
    assert Invoice.get_by_id(inv.id).status == "open"


def test_r7_edit_cancels_a_pending_online_payment_at_the_provider(actors, localstripe):
    alice, bob = actors
    inv, contact = setup_invoice(alice, localstripe)
    save_card(alice, localstripe, contact, "4000000000003220")
    p = online.charge_invoice(bob, inv.id).payment
    assert p.state == "requires_action"
    res = invoices.edit_invoice(bob, inv.id, {"po_number": "PO-9"})
    assert res.canceled_payments == [p.id]
    assert Payment.get_by_id(p.id).state == "canceled"
    assert localstripe.client().v1.payment_intents.retrieve(p.provider_ref).status == "canceled"
    assert Invoice.get_by_id(inv.id).po_number == "PO-9"


def test_r7_payment_succeeded_first_the_save_is_refused(actors, localstripe):
    alice, bob = actors
    inv, contact = setup_invoice(alice, localstripe)
    save_card(alice, localstripe, contact, "4000000000003220")
    p = online.charge_invoice(bob, inv.id).payment
    version = Invoice.get_by_id(inv.id).version
    pi = localstripe.client().v1.payment_intents.retrieve(p.provider_ref)
    # the buyer authenticates (as localstripe's Stripe.js does) before the edit is saved
    localstripe.post(f"/v1/payment_intents/{p.provider_ref}/_authenticate",
                     {"client_secret": pi.client_secret, "success": "true"})
    with pytest.raises(Conflict) as err:
        invoices.edit_invoice(bob, inv.id, {"po_number": "PO-9"})
    assert err.value.code == "invoice.payment_not_canceled" and "R7" in err.value.message
    inv = Invoice.get_by_id(inv.id)
    assert inv.po_number != "PO-9"  # never a silent overwrite
    assert Payment.get_by_id(p.id).state == "succeeded"  # the success the provider reported is applied
    assert inv.status == "paid" and inv.version != version  # the version changed under the editor


def test_payment_methods_are_validated_and_owned_by_a_super_admin(actors, localstripe):
    from invoice_tui.domain.errors import PermissionDenied

    alice, bob = actors
    _inv, contact = setup_invoice(alice, localstripe)
    cus, pm = localstripe.customer_with_card()
    with pytest.raises(PermissionDenied):
        online.add_method(bob, contact.email, cus, pm)
    for bad_cus, bad_pm in (("nope", pm), (cus, "4242424242424242"), (cus, "pm_\x1b[2J"), ("cus_" + "x" * 300, pm)):
        with pytest.raises(BadInput):
            online.add_method(alice, contact.email, bad_cus, bad_pm)
    with pytest.raises(RuleRefused):  # Stripe has no such payment method
        online.add_method(alice, contact.email, cus, "pm_doesnotexist")
    m = online.add_method(alice, contact.email, cus, pm)
    with pytest.raises(RuleRefused):
        online.add_method(alice, contact.email, cus, pm)
    assert [x.id for x in online.list_methods(contact.email)] == [m.id]
    online.remove_method(alice, contact.email, pm)
    assert online.list_methods(contact.email) == []
    assert PropertyChange.select().where(PropertyChange.object_type == "payment_method").count() == 2


def test_no_provider_configured_is_a_sentence(ws, admin, clock):
    contact = people.add_contact(admin, {"email": "a@b.example"})
    from invoice_tui.domain.provider import NotConfigured

    with pytest.raises(NotConfigured) as err:
        online.add_method(admin, contact.email, "cus_1", "pm_1")
    assert "INVOICE_TUI_STRIPE_API_KEY" in err.value.message


def test_r11_r39_refund_with_the_matching_credit_note_in_the_same_step(actors, localstripe):
    from invoice_tui.db.models import Invoice as Inv

    alice, bob = actors
    inv, contact = setup_invoice(alice, localstripe)
    save_card(alice, localstripe, contact)
    p = online.charge_invoice(bob, inv.id).payment
    with pytest.raises(RuleRefused) as err:  # a partial refund is not a cancelled sale
        online.refund_payment(bob, p.id, "20", credit_note_reason="Order cancelled")
    assert err.value.code == "refund.credit_note_not_whole"
    assert Payment.get_by_id(p.id).amount_refunded_minor == 0  # refused before Stripe was asked
    res = online.refund_payment(bob, p.id, credit_note_reason="Order cancelled")
    assert res.payment.state == "refunded"
    inv = Inv.get_by_id(inv.id)
    assert inv.credited_minor == 12000 and inv.balance_minor == 0 and inv.status == "paid"
    cn = Inv.get(Inv.refers_to == inv.id)
    assert cn.doc_type == "credit_note" and cn.status == "issued" and cn.billed_minor == 12000
