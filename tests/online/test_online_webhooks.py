"""Issue 26: Stripe's events posted, signed, to a running ``serve`` (POST /webhooks/stripe):
valid, bad signature, replayed, late and out of order, refunds and disputes; each checks the
payment's state and history. localstripe has no disputes and no refund events: those events are
built here from Stripe's API reference and signed with the webhook secret."""

from __future__ import annotations

import json

import pytest

from invoice_tui.db.models import Invoice, Payment, PropertyChange
from invoice_tui.db.online_models import ProviderEvent
from invoice_tui.domain import invoices, online, people
from onlinekit import event, post, signed


@pytest.fixture
def serve(actors):
    """``invoice-tui serve`` as the CLI starts it: the buyer page and the webhooks, acting as alice."""
    from invoice_tui.web.app import make_server, serve_in_thread

    alice, _bob = actors
    server = make_server("127.0.0.1", 0, webhook_context=alice)
    stop = serve_in_thread(server)
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop()


@pytest.fixture
def charged(actors, localstripe):
    """An invoice of 120.00 EUR charged in full on a saved card (succeeded)."""
    alice, bob = actors
    contact = people.add_contact(alice, {"email": "zoe@muller.example", "first_name": "Zoë"})
    inv = invoices.create_invoice(alice, {"currency": "EUR", "contact_id": contact.id, "lines": [
        {"name": "Work", "quantity": "1", "unit_price": "100", "tax_rate": "20"}]})
    inv = invoices.finalize_invoice(alice, inv.id)
    cus, pm = localstripe.customer_with_card()
    online.add_method(alice, contact.email, cus, pm)
    return online.charge_invoice(bob, inv.id).payment


def send(serve_url: str, body: bytes, signature: str | None = None):
    status, raw = post(serve_url + "/webhooks/stripe", body, {"Stripe-Signature": signed(body) if signature is None else signature})
    return status, json.loads(raw) if raw.startswith(b"{") else raw


def charge_obj(p: Payment, refunded: int) -> dict:
    return {"id": "ch_test_1", "object": "charge", "amount": p.amount_minor, "amount_refunded": refunded,
            "currency": "eur", "payment_intent": p.provider_ref, "refunded": refunded >= p.amount_minor,
            "status": "succeeded"}


def dispute_obj(p: Payment, status: str) -> dict:
    return {"id": "dp_test_1", "object": "dispute", "amount": p.amount_minor, "currency": "eur",
            "charge": "ch_test_1", "payment_intent": p.provider_ref, "reason": "fraudulent", "status": status}


def rows(p):
    return PropertyChange.select().where((PropertyChange.object_type == "payment")
                                         & (PropertyChange.object_id == p.id)).count()


def test_webhook_refund_event_applied_once_replay_changes_nothing(serve, charged):
    p = charged
    before = rows(p)
    body = event("evt_refund_1", "charge.refunded", charge_obj(p, 5000))
    status, data = send(serve, body)
    assert status == 200 and data["outcome"] == "applied"
    p = Payment.get_by_id(p.id)
    assert p.amount_refunded_minor == 5000 and p.state == "succeeded"
    inv = Invoice.get_by_id(p.invoice_id)
    assert inv.status == "open" and inv.balance_minor == 5000
    assert rows(p) == before + 1
    status, data = send(serve, body)  # the same event again (Stripe retries): nothing changes
    assert status == 200 and data["outcome"] == "duplicate"
    assert rows(p) == before + 1 and Payment.get_by_id(p.id).amount_refunded_minor == 5000
    # a late event saying less was refunded never lowers the total
    status, data = send(serve, event("evt_refund_0", "charge.refunded", charge_obj(p, 2000)))
    assert status == 200 and Payment.get_by_id(p.id).amount_refunded_minor == 5000
    status, _ = send(serve, event("evt_refund_2", "charge.refunded", charge_obj(p, p.amount_minor)))
    assert Payment.get_by_id(p.id).state == "refunded"
    assert Invoice.get_by_id(p.invoice_id).balance_minor == p.amount_minor


def test_webhook_bad_signature_400_and_nothing_changes(serve, charged):
    p = charged
    body = event("evt_bad", "charge.refunded", charge_obj(p, p.amount_minor))
    for sig in (signed(body, secret="whsec_wrong"), "t=1,v1=00", "", signed(body + b" ")):
        status, data = send(serve, body, sig)
        assert status == 400 and "signature" in data["error"]
    old = signed(body, timestamp=1_600_000_000)  # outside Stripe's 5-minute tolerance: a replayed capture
    assert send(serve, body, old)[0] == 400
    assert Payment.get_by_id(p.id).amount_refunded_minor == 0
    assert not ProviderEvent.select().exists()
    # the signature is checked before the body is read: a body that is not JSON, badly signed, is 400 too
    assert send(serve, b"{not json", "t=1,v1=00")[0] == 400


def test_webhook_limits_other_posts_refused_and_64kb_cap(serve, charged):
    status, _ = post(serve + "/i/whatever", b"{}", {})
    assert status == 405
    status, _ = post(serve + "/webhooks/other", b"{}", {})
    assert status == 405
    big = b"{" + b" " * (64 * 1024) + b"}"
    status, _ = post(serve + "/webhooks/stripe", big, {"Stripe-Signature": signed(big)})
    assert status == 413
    assert Payment.get_by_id(charged.id).state == "succeeded"


def test_webhook_dispute_opened_then_lost_counts_as_a_refund(serve, charged):
    p = charged
    status, data = send(serve, event("evt_dp_1", "charge.dispute.created", dispute_obj(p, "needs_response")))
    assert status == 200 and data["state"] == "disputed"
    assert Invoice.get_by_id(p.invoice_id).status == "paid"  # still paid until the dispute is decided
    status, data = send(serve, event("evt_dp_2", "charge.dispute.closed", dispute_obj(p, "lost")))
    assert status == 200
    p = Payment.get_by_id(p.id)
    assert p.state == "refunded" and p.amount_refunded_minor == p.amount_minor and p.ever_succeeded
    inv = Invoice.get_by_id(p.invoice_id)
    assert inv.status == "open" and inv.balance_minor == p.amount_minor


def test_webhook_dispute_won_back_to_succeeded(serve, charged):
    p = charged
    send(serve, event("evt_dp_1", "charge.dispute.created", dispute_obj(p, "needs_response")))
    status, data = send(serve, event("evt_dp_3", "charge.dispute.closed", dispute_obj(p, "won")))
    assert status == 200 and Payment.get_by_id(p.id).state == "succeeded"
    assert Invoice.get_by_id(p.invoice_id).status == "paid"


def test_webhook_out_of_order_success_then_late_failure_and_success_before_the_answer(serve, actors, localstripe):
    """A pending payment: its success arrives, then (late) a failure and a processing event that
    Stripe sent earlier; the payment stays succeeded. An event that comes before the charge's
    answer was applied finds the attempt by the id it was created with."""
    alice, bob = actors
    contact = people.add_contact(alice, {"email": "zoe@muller.example"})
    inv = invoices.create_invoice(alice, {"currency": "EUR", "contact_id": contact.id, "lines": [
        {"name": "Work", "quantity": "1", "unit_price": "50", "tax_rate": "0"}]})
    inv = invoices.finalize_invoice(alice, inv.id)
    cus, pm = localstripe.customer_with_card("4000000000003220")
    online.add_method(alice, contact.email, cus, pm)
    p = online.charge_invoice(bob, inv.id).payment
    assert p.state == "requires_action"
    pi = {"id": p.provider_ref, "object": "payment_intent", "amount": 5000, "currency": "eur",
          "metadata": {"invoice": inv.number, "payment": str(p.id)}, "last_payment_error": None}
    ok, _ = send(serve, event("evt_s", "payment_intent.succeeded", {**pi, "status": "succeeded"}, created=2000))
    assert ok == 200 and Payment.get_by_id(p.id).state == "succeeded"
    assert Invoice.get_by_id(inv.id).status == "paid"
    late = {**pi, "status": "requires_payment_method",
            "last_payment_error": {"code": "card_declined", "message": "Your card was declined."}}
    send(serve, event("evt_f", "payment_intent.payment_failed", late, created=1000))
    send(serve, event("evt_p", "payment_intent.processing", {**pi, "status": "processing"}, created=900))
    assert Payment.get_by_id(p.id).state == "succeeded" and Invoice.get_by_id(inv.id).status == "paid"
    assert ProviderEvent.select().count() == 3

    # the success event of an attempt whose answer has not been applied yet (no provider id stored)
    inv2 = invoices.create_invoice(alice, {"currency": "EUR", "contact_id": contact.id, "lines": [
        {"name": "Work", "quantity": "1", "unit_price": "10", "tax_rate": "0"}]})
    inv2 = invoices.finalize_invoice(alice, inv2.id)
    attempt = Payment.create(amount_minor=1000, currency="EUR", date=p.date, method="card", source="online",
                             state="processing", contact=contact.id, invoice=inv2.id, created_by="bob",
                             created_at=p.created_at, provider="stripe", idempotency_key="k-early")
    body = event("evt_early", "payment_intent.succeeded", {"id": "pi_early", "object": "payment_intent",
                                                           "amount": 1000, "currency": "eur", "status": "succeeded",
                                                           "metadata": {"payment": str(attempt.id),
                                                                        "attempt": "k-early"}})
    status, data = send(serve, body)
    assert status == 200 and data["outcome"] == "applied"
    attempt = Payment.get_by_id(attempt.id)
    assert attempt.state == "succeeded" and attempt.provider_ref == "pi_early"
    # a payment id alone (another workspace on the same Stripe account has a payment 1 too) finds nothing
    other = Payment.create(amount_minor=1000, currency="EUR", date=p.date, method="card", source="online",
                           state="processing", contact=contact.id, invoice=None, created_by="bob",
                           created_at=p.created_at, provider="stripe", idempotency_key="k-other")
    status, data = send(serve, event("evt_foreign", "payment_intent.succeeded", {
        "id": "pi_foreign", "object": "payment_intent", "amount": 1000, "currency": "eur", "status": "succeeded",
        "metadata": {"payment": str(other.id), "attempt": "k-someone-else"}}))
    assert data["outcome"] == "unknown payment" and Payment.get_by_id(other.id).state == "processing"


def test_webhook_unknown_payment_is_acknowledged_and_ignored(serve, charged):
    body = event("evt_other", "payment_intent.succeeded", {"id": "pi_not_ours", "object": "payment_intent",
                                                           "amount": 1, "currency": "eur", "status": "succeeded"})
    status, data = send(serve, body)
    assert status == 200 and data["outcome"] == "unknown payment"
    status, data = send(serve, event("evt_x", "customer.created", {"id": "cus_1", "object": "customer"}))
    assert status == 200 and data["outcome"] == "ignored"


def test_webhook_from_localstripe_moves_a_processing_sepa_debit(serve, actors, localstripe):
    """End to end: localstripe itself delivers its signed events to the running serve. A SEPA
    debit is processing after the charge (exit 0 on the CLI), then fails; its payment_failed event
    moves the payment to failed with the reason, and the invoice stays open."""
    alice, bob = actors
    hook = f"/_config/webhooks/{serve.rsplit(':', 1)[1]}"
    localstripe.post(hook, {"url": serve + "/webhooks/stripe", "secret": "whsec_test_invoice_tui_secret"})
    try:
        _sepa_debit_processing_then_failed(alice, bob, localstripe)
    finally:  # the localstripe process serves the whole session: its later events go nowhere
        from onlinekit import port_closed

        localstripe.post(hook, {"url": f"http://127.0.0.1:{port_closed()}/", "secret": "whsec_none"})


def _sepa_debit_processing_then_failed(alice, bob, localstripe):
    contact = people.add_contact(alice, {"email": "zoe@muller.example"})
    inv = invoices.create_invoice(alice, {"currency": "EUR", "contact_id": contact.id, "lines": [
        {"name": "Work", "quantity": "1", "unit_price": "80", "tax_rate": "0"}]})
    inv = invoices.finalize_invoice(alice, inv.id)
    c = localstripe.client()
    cus = c.v1.customers.create(params={"email": contact.email})
    pm = c.v1.payment_methods.create(params={"type": "sepa_debit", "sepa_debit": {"iban": "DE62370400440532013001"},
                                             "billing_details": {"name": "Zoë", "email": contact.email}})
    m = online.add_method(alice, contact.email, cus.id, pm.id)
    assert m.kind == "sepa_debit" and m.last4 == "3001"
    res = online.charge_invoice(bob, inv.id)
    assert res.state == "processing"
    from onlinekit import wait_for

    p = wait_for(lambda: (lambda x: x if x.state == "failed" else None)(Payment.get_by_id(res.payment.id)), 20)
    assert p.failure_reason
    assert Invoice.get_by_id(inv.id).status == "open"
    assert ProviderEvent.select().where(ProviderEvent.payment_id == p.id).exists()
