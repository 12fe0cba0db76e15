"""Issue 26: Pay from the buyer's page (``serve``): ``POST /i/<token>/pay`` creates or reuses the
open invoice's pending PaymentIntent (at localstripe, through the real SDK), the amount always
recomputed from the balance; paid and voided invoices offer nothing; only the Pay page's
Content-Security-Policy opens what Stripe.js needs.

The page's card goes to Stripe through a SetupIntent (``confirmCardSetup``), then the server
confirms the PaymentIntent with it; "Save a card for future payments" (``POST /i/<token>/setup``)
makes a SetupIntent for the contact's Stripe customer, and the method is recorded from Stripe's
signed ``setup_intent.succeeded``. Here the browser's part (what Stripe.js posts to Stripe) is
done with the SDK; tests/online/test_online_browser.py does it in a real browser."""

from __future__ import annotations

import json
import urllib.request

import pytest

from invoice_tui.db.models import Invoice, Payment, PropertyChange
from invoice_tui.db.online_models import ProviderEvent, SavedPaymentMethod
from invoice_tui.domain import invoices, payments, people
from invoice_tui.wiring import services
from onlinekit import event, post, signed, stripe_config


@pytest.fixture
def pay_serve(ws, clock, actors, localstripe):
    from invoice_tui.web.app import make_server, serve_in_thread

    alice, _bob = actors
    ctx = ws.context("alice", source="webhook", now=clock,
                     services=services(stripe_config(localstripe.url, publishable_key="pk_test_invoice_tui")))
    server = make_server("127.0.0.1", 0, webhook_context=ctx)
    stop = serve_in_thread(server)
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop()


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


def confirm_setup(localstripe, secret: str, number: str = "4242424242424242") -> dict:
    """What the page's Stripe.js does with the card typed (``confirmCardSetup``): at Stripe."""
    seti = secret.split("_secret_")[0]
    card = {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"}
    return localstripe.client().v1.setup_intents.confirm(
        seti, params={"payment_method_data": {"type": "card", "card": card}}).to_dict()


def post_json(url: str, data: dict | None = None):
    status, raw = post(url, json.dumps(data).encode() if data is not None else b"", {})
    return status, json.loads(raw)


def test_issue26_buyer_saves_a_card_recorded_from_the_signed_setup_intent_event(pay_serve, actors, localstripe):
    alice, _bob = actors
    inv = open_invoice(alice)
    status, data = post_json(f"{pay_serve}/i/{inv.link_token}/setup")
    assert status == 200 and data["setup_secret"].startswith("seti_")
    seti = confirm_setup(localstripe, data["setup_secret"])
    assert seti["status"] == "succeeded" and seti["customer"].startswith("cus_")
    assert seti["metadata"]["purpose"] == "save_card"
    assert not SavedPaymentMethod.select().exists()  # never from the browser's word: from Stripe's event
    body = event("evt_setup_1", "setup_intent.succeeded", seti)
    # a bad signature: 400, nothing recorded
    st, _ = post(f"{pay_serve}/webhooks/stripe", body, {"Stripe-Signature": signed(body, secret="whsec_other")})
    assert st == 400 and not SavedPaymentMethod.select().exists() and not ProviderEvent.select().exists()
    st, raw = post(f"{pay_serve}/webhooks/stripe", body, {"Stripe-Signature": signed(body)})
    assert st == 200 and json.loads(raw)["outcome"] == "payment method saved"
    m = SavedPaymentMethod.get()
    assert (m.contact_id, m.customer_ref, m.method_ref, m.brand, m.last4, m.exp_month, m.exp_year) == (
        inv.billing_contact_id, seti["customer"], seti["payment_method"], "visa", "4242", 12, 2030)
    assert PropertyChange.select().where((PropertyChange.object_type == "payment_method")
                                         & (PropertyChange.object_id == m.id)).exists()
    # replayed: nothing more
    st, raw = post(f"{pay_serve}/webhooks/stripe", body, {"Stripe-Signature": signed(body)})
    assert st == 200 and json.loads(raw)["outcome"] == "duplicate" and SavedPaymentMethod.select().count() == 1
    # a second card: the same Stripe customer
    status, data = post_json(f"{pay_serve}/i/{inv.link_token}/setup")
    seti2 = confirm_setup(localstripe, data["setup_secret"], "5555555555554444")
    assert seti2["customer"] == seti["customer"]
    body = event("evt_setup_2", "setup_intent.succeeded", seti2)
    assert post(f"{pay_serve}/webhooks/stripe", body, {"Stripe-Signature": signed(body)})[0] == 200
    assert SavedPaymentMethod.select().count() == 2
    # a contact gone (or another workspace's: the same id, another email): acknowledged, nothing saved
    body = event("evt_setup_4", "setup_intent.succeeded", {**seti2, "id": "seti_other", "payment_method": "pm_other",
                                                           "metadata": {**seti2["metadata"], "email": "x@y.example"}})
    st, raw = post(f"{pay_serve}/webhooks/stripe", body, {"Stripe-Signature": signed(body)})
    assert st == 200 and json.loads(raw)["outcome"] == "unknown contact" and SavedPaymentMethod.select().count() == 2
    # the buyer page's own payment SetupIntents save nothing
    status, data = post_json(f"{pay_serve}/i/{inv.link_token}/pay")
    body = event("evt_setup_3", "setup_intent.succeeded", confirm_setup(localstripe, data["setup_secret"]))
    st, raw = post(f"{pay_serve}/webhooks/stripe", body, {"Stripe-Signature": signed(body)})
    assert st == 200 and json.loads(raw)["outcome"] == "ignored" and SavedPaymentMethod.select().count() == 2
    # a paid invoice offers nothing
    paid = open_invoice(alice)
    payments.record_payment(alice, paid.id, {"amount": "120", "method": "cash"})
    assert post_json(f"{pay_serve}/i/{paid.link_token}/setup")[0] == 404


def test_issue26_buyer_pays_with_the_card_set_up_then_3ds_and_a_foreign_setup_refused(pay_serve, actors,
                                                                                   localstripe, smtp_server):
    alice, _bob = actors
    inv = open_invoice(alice, partial=False)
    status, data = post_json(f"{pay_serve}/i/{inv.link_token}/pay")
    assert status == 200 and data["setup_secret"].startswith("seti_") and data["amount_minor"] == 12000
    # a SetupIntent made for something else (saving a card) is not a payment's card
    other = confirm_setup(localstripe, post_json(f"{pay_serve}/i/{inv.link_token}/setup")[1]["setup_secret"])
    status, refused = post_json(f"{pay_serve}/i/{inv.link_token}/pay", {"setup_intent": other["id"]})
    assert status == 409 and "start the payment again" in refused["error"]
    assert post_json(f"{pay_serve}/i/{inv.link_token}/pay", {"setup_intent": "pi_x"})[0] == 400
    # a card declined when charged: failed with the bank's reason, the invoice still open
    seti = confirm_setup(localstripe, data["setup_secret"], "4000000000000341")
    status, declined = post_json(f"{pay_serve}/i/{inv.link_token}/pay", {"setup_intent": seti["id"]})
    assert status == 200 and declined["state"] == "failed" and declined["reason"], declined
    assert Invoice.get_by_id(inv.id).status == "open"
    # 3-D Secure: the card set up, the payment comes back requires_action; the page completes it
    status, data = post_json(f"{pay_serve}/i/{inv.link_token}/pay")
    seti = confirm_setup(localstripe, data["setup_secret"], "4000002760003184")
    if seti["status"] == "requires_action":  # localstripe's Stripe.js confirms again after its 3-D Secure
        seti = localstripe.client().v1.setup_intents.confirm(seti["id"]).to_dict()
    status, paid = post_json(f"{pay_serve}/i/{inv.link_token}/pay", {"setup_intent": seti["id"]})
    assert status == 200 and paid["state"] == "requires_action", paid
    p = Payment.get((Payment.invoice == inv.id) & (Payment.source == "online") & (Payment.state != "failed"))
    assert p.state == "requires_action" and Invoice.get_by_id(inv.id).status == "open"
    # the buyer completes 3-D Secure (localstripe's Stripe.js posts this), then pays: a new card set up
    localstripe.post(f"/v1/payment_intents/{p.provider_ref}/_authenticate",
                     {"client_secret": paid["client_secret"], "success": "false"})
    status, data = post_json(f"{pay_serve}/i/{inv.link_token}/pay")
    assert status == 200
    seti = confirm_setup(localstripe, data["setup_secret"])
    status, paid = post_json(f"{pay_serve}/i/{inv.link_token}/pay", {"setup_intent": seti["id"]})
    assert status == 200 and paid["state"] == "succeeded", paid
    assert Invoice.get_by_id(inv.id).status == "paid"
    assert Payment.select().where((Payment.invoice == inv.id) & (Payment.state == "succeeded")).count() == 1
