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

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from invoice_tui.db.models import Invoice, Payment
from invoice_tui.db.online_models import SavedPaymentMethod
from invoice_tui.domain import invoices, online, people
from invoice_tui.domain.errors import Conflict
from invoice_tui.domain.provider import ProviderUnavailable
from invoice_tui.domain.workspace import set_setting
from invoice_tui.wiring import services
from onlinekit import stripe_config


def pi(pid: str, status: str, amount: int = 12000, **extra) -> dict:
    """A PaymentIntent as the API reference shows it (the fields the app reads, and a few more)."""
    return {"id": pid, "object": "payment_intent", "amount": amount, "amount_received": 0, "currency": "eur",
            "status": status, "client_secret": f"{pid}_secret_x", "customer": "cus_fx", "payment_method": "pm_fx",
            "latest_charge": None, "last_payment_error": None, "livemode": False, "created": 1700000000,
            "metadata": {}, **extra}


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


class Fixtures:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], tuple[int, dict]] = {}
        self.seen: list[tuple[str, str, dict[str, str]]] = []


@pytest.fixture
def fixture_stripe():
    fx = Fixtures()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            path = self.path.split("?")[0]
            fx.seen.append((method, path, {"Idempotency-Key": self.headers.get("Idempotency-Key", "")}))
            status, body = fx.routes.get((method, path), (404, {"error": {
                "type": "invalid_request_error", "code": "resource_missing", "message": f"No such {path}"}}))
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("Request-Id", "req_fx")
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):  # noqa: N802 - http.server's names
            self._answer("GET")

        def do_POST(self):  # noqa: N802
            self._answer("POST")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fx, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(5)


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
