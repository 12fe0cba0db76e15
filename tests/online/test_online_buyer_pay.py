"""Issue 26: Pay from the buyer's page (``serve``): ``POST /i/<token>/pay`` creates or reuses the
open invoice's pending PaymentIntent (at localstripe, through the real SDK), the amount always
recomputed from the balance; paid and voided invoices offer nothing; only the Pay page's
Content-Security-Policy opens what Stripe.js needs.

The browser test (headless Chromium paying with localstripe's fake Stripe.js) is not written:
localstripe's ``confirmCardPayment`` only authenticates an intent that already has a payment
method (it posts to ``_authenticate``), so the Elements flow cannot complete against it."""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest

from invoice_tui.db.models import Invoice, Payment
from invoice_tui.domain import invoices, payments, people
from invoice_tui.wiring import services
from onlinekit import post, stripe_config


@pytest.fixture
def pay_serve(ws, clock, actors, localstripe):
    from invoice_tui.web.app import make_server, stop_server

    alice, _bob = actors
    ctx = ws.context("alice", source="webhook", now=clock,
                     services=services(stripe_config(localstripe.url, publishable_key="pk_test_invoice_tui")))
    server = make_server("127.0.0.1", 0, webhook_context=ctx)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop_server(server)
        thread.join(5)


def open_invoice(alice, partial=True):
    contact = people.Contact.get_or_none(people.Contact.email == "zoe@muller.example") or people.add_contact(
        alice, {"email": "zoe@muller.example", "first_name": "Zoë"})
    inv = invoices.create_invoice(alice, {"currency": "EUR", "contact_id": contact.id, "allow_partial": partial,
                                          "lines": [{"name": "Work", "quantity": "1", "unit_price": "100",
                                                     "tax_rate": "20"}]})
    return invoices.finalize_invoice(alice, inv.id)


def get(url: str):
    with urllib.request.urlopen(url, timeout=20) as resp:
        return resp.status, dict(resp.headers), resp.read().decode()


def test_buyer_page_offers_pay_with_its_own_csp_and_pay_reuses_the_intent(pay_serve, actors, localstripe):
    alice, _bob = actors
    inv = open_invoice(alice)
    status, headers, page = get(f"{pay_serve}/i/{inv.link_token}")
    assert status == 200 and 'id="pay"' in page and "pk_test_invoice_tui" in page
    csp = headers["Content-Security-Policy"]
    assert "script-src 'nonce-" in csp and localstripe.url in csp and "form-action 'none'" in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in page
    assert "sk_test" not in page  # the secret key never reaches a buyer
    # Pay: the amount is the balance (after a partial payment by bank transfer), recomputed on the server
    payments.record_payment(alice, inv.id, {"amount": "20", "method": "bank_transfer"})
    status, raw = post(f"{pay_serve}/i/{inv.link_token}/pay", b"", {})
    data = json.loads(raw)
    assert status == 200 and data["amount_minor"] == 10000 and data["client_secret"].startswith("pi_")
    p = Payment.get((Payment.invoice == inv.id) & (Payment.source == "online"))
    assert p.state == "requires_action" and p.provider_ref and p.amount_minor == 10000
    assert int(localstripe.client().v1.payment_intents.retrieve(p.provider_ref).amount) == 10000
    # the buyer reloads and pays again: the same intent, no second one
    status, raw = post(f"{pay_serve}/i/{inv.link_token}/pay", b"", {})
    assert status == 200 and json.loads(raw)["client_secret"] == data["client_secret"]
    assert Payment.select().where((Payment.invoice == inv.id) & (Payment.source == "online")).count() == 1


def test_r7_an_edit_cancels_the_buyer_pages_pending_intent(pay_serve, actors, localstripe):
    alice, _bob = actors
    inv = open_invoice(alice)
    status, _raw = post(f"{pay_serve}/i/{inv.link_token}/pay", b"", {})
    assert status == 200
    p = Payment.get((Payment.invoice == inv.id) & (Payment.source == "online"))
    invoices.edit_invoice(alice, inv.id, {"po_number": "PO-3"})
    assert Payment.get_by_id(p.id).state == "canceled"
    assert localstripe.client().v1.payment_intents.retrieve(p.provider_ref).status == "canceled"


def test_paid_voided_and_unknown_invoices_offer_nothing(pay_serve, actors):
    alice, _bob = actors
    paid = open_invoice(alice)
    payments.record_payment(alice, paid.id, {"amount": "120", "method": "cash"})
    voided = invoices.void_invoice(alice, open_invoice(alice).id)
    for inv in (Invoice.get_by_id(paid.id), voided):
        status, headers, page = get(f"{pay_serve}/i/{inv.link_token}")
        assert status == 200 and 'id="pay"' not in page
        assert headers["Content-Security-Policy"].startswith("default-src 'none'; style-src 'unsafe-inline'")
        assert post(f"{pay_serve}/i/{inv.link_token}/pay", b"", {})[0] == 404
    assert post(f"{pay_serve}/i/{'x' * 24}/pay", b"", {})[0] == 404
    assert post(f"{pay_serve}/i/{paid.link_token}/other", b"", {})[0] == 405
    assert not Payment.select().where(Payment.source == "online").exists()
