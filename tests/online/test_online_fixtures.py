"""Issue 26: what localstripe cannot show, against Stripe's answers written from its API reference
(served by a small HTTP server on loopback; the real SDK and the real adapter speak to it):

- an off-session charge declined with ``authentication_required`` (Stripe's way of asking for 3-D
  Secure off-session; localstripe answers ``requires_action`` instead): requires_action, with the
  PaymentIntent's id kept;
- R7 with a processing payment whose cancel Stripe refuses (``payment_intent_unexpected_state``):
  the edit is refused and the payment stays processing;
- Stripe answering 500: the provider is unavailable (exit 4), the attempt stays for a retry.
"""

from __future__ import annotations

import pytest

from invoice_tui.db.models import Invoice, Payment
from invoice_tui.db.online_models import SavedPaymentMethod
from invoice_tui.domain import invoices, online, people
from invoice_tui.domain.errors import Conflict
from invoice_tui.domain.provider import ProviderUnavailable
from invoice_tui.domain.workspace import set_setting
from invoice_tui.wiring import services
from onlinekit import pi, stripe_config


AUTH_REQUIRED = (402, {"error": {
    "type": "card_error", "code": "authentication_required", "decline_code": "authentication_required",
    "message": "Your card was declined. This transaction requires authentication.",
    "doc_url": "https://stripe.com/docs/error-codes/authentication-required",
    "payment_intent": pi("pi_fx_auth", "requires_payment_method", last_payment_error={
        "type": "card_error", "code": "authentication_required", "decline_code": "authentication_required",
        "message": "Your card was declined. This transaction requires authentication."}),
    "payment_method": {"id": "pm_fx", "object": "payment_method", "type": "card"}}})
CANCEL_REFUSED = (400, {"error": {
    "type": "invalid_request_error", "code": "payment_intent_unexpected_state",
    "message": "You cannot cancel this PaymentIntent because it has a status of processing. Only a PaymentIntent "
               "with one of the following statuses may be canceled: requires_payment_method, requires_capture, "
               "requires_confirmation, requires_action.",
    "payment_intent": pi("pi_fx_sepa", "processing")}})
SERVER_ERROR = (500, {"error": {"type": "api_error", "message": "An unknown error occurred"}})


@pytest.fixture
def fx_ctx(ws, clock, fixture_stripe):
    fx, url = fixture_stripe
    ctx = ws.context("alice", source="test", now=clock, services=services(stripe_config(url)))
    for key, value in (("seller_name", "Atelier"), ("seller_address", "1 rue X, Paris"),
                       ("allow_edit_finalized", "true")):
        set_setting(ctx, key, value)
    contact = people.add_contact(ctx, {"email": "zoe@muller.example"})
    inv = invoices.finalize_invoice(ctx, invoices.create_invoice(ctx, {
        "currency": "EUR", "contact_id": contact.id,
        "lines": [{"name": "Work", "quantity": "1", "unit_price": "100", "tax_rate": "20"}]}).id)
    SavedPaymentMethod.create(contact=contact.id, provider="stripe", customer_ref="cus_fx", method_ref="pm_fx",
                              kind="card", brand="visa", last4="3155", exp_month=1, exp_year=2031,
                              created_at=clock())
    return ctx, fx, inv


def test_r34_authentication_required_decline_becomes_requires_action(fx_ctx):
    ctx, fx, inv = fx_ctx
    fx.routes[("POST", "/v1/payment_intents")] = AUTH_REQUIRED
    res = online.charge_invoice(ctx, inv.id)
    assert res.state == "requires_action" and "authentication" in res.reason
    p = Payment.get_by_id(res.payment.id)
    assert p.provider_ref == "pi_fx_auth" and p.state == "requires_action"
    assert fx.seen[0][2]["Idempotency-Key"] == p.idempotency_key  # the key recorded before the call is sent
    assert Invoice.get_by_id(inv.id).status == "open"


def test_r7_provider_refuses_to_cancel_a_processing_payment_the_save_is_refused(fx_ctx):
    ctx, fx, inv = fx_ctx
    fx.routes[("POST", "/v1/payment_intents")] = (200, pi("pi_fx_sepa", "processing"))
    fx.routes[("POST", "/v1/payment_intents/pi_fx_sepa/cancel")] = CANCEL_REFUSED
    fx.routes[("GET", "/v1/payment_intents/pi_fx_sepa")] = (200, pi("pi_fx_sepa", "processing"))
    p = online.charge_invoice(ctx, inv.id).payment
    assert p.state == "processing"
    with pytest.raises(Conflict) as err:
        invoices.edit_invoice(ctx, inv.id, {"po_number": "PO-2"})
    assert err.value.details["provider_state"] == "processing"
    assert Invoice.get_by_id(inv.id).po_number != "PO-2"
    assert Payment.get_by_id(p.id).state == "processing"


def test_r34_stripe_server_error_is_unavailable_and_the_attempt_waits_for_a_retry(fx_ctx):
    ctx, fx, inv = fx_ctx
    fx.routes[("POST", "/v1/payment_intents")] = SERVER_ERROR
    with pytest.raises(ProviderUnavailable) as err:
        online.charge_invoice(ctx, inv.id)
    assert err.value.exit_code == 4 and "sk_test" not in err.value.message
    p = Payment.get(Payment.invoice == inv.id)
    assert p.state == "processing" and p.provider_ref is None
    keys = {s[2]["Idempotency-Key"] for s in fx.seen}
    assert keys == {p.idempotency_key}  # the SDK's own retry reused the key too
    fx.routes[("POST", "/v1/payment_intents")] = (200, pi("pi_fx_ok", "succeeded"))
    res = online.charge_invoice(ctx, inv.id)
    assert res.retried and res.state == "succeeded" and fx.seen[-1][2]["Idempotency-Key"] == p.idempotency_key
