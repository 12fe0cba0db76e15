"""Issue 26: a buyer pays from the invoice's page in a real browser — headless Chromium from the
system packages (Debian ``chromium`` and ``chromium-driver``) driven by Selenium — against
localstripe and its fake Stripe.js (served at localstripe's ``/js.stripe.com/v3/``).

The page's flow is one both Stripe.js and the fake can do: the card typed is confirmed at Stripe
with a SetupIntent (``confirmCardSetup``), then the server confirms the PaymentIntent with it.
The page keeps its Content-Security-Policy (only Stripe's script and API opened, with a nonce);
a violation would stop the script and the test.

Where Chromium, its driver or Selenium is missing, the test skips with the reason (``.ci/run``
installs them where the machine allows); ``INVOICE_TUI_REQUIRE_BROWSER=1`` makes that a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

from invoice_tui.db.models import Invoice, Payment
from invoice_tui.domain import invoices, people
from invoice_tui.wiring import services
from onlinekit import stripe_config, wait_for

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _browser():
    """A headless Chromium driven by Selenium, or the reason there is none."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        return None, f"selenium is not installed ({exc}); pip install -e '.[test]'"
    binary = next((p for p in CHROMIUM if os.path.exists(p)), None) or shutil.which("chromium")
    driver = next((p for p in DRIVER if os.path.exists(p)), None) or shutil.which("chromedriver")
    if not binary or not driver:
        return None, "Chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)"
    os.environ.setdefault("SE_OFFLINE", "true")  # never a download: the system's browser and driver only
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-extensions", "--no-first-run", "--window-size=1000,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        return webdriver.Chrome(service=Service(driver), options=options), None
    except Exception as exc:  # noqa: BLE001 - a browser that cannot start is the reason to skip
        return None, f"headless Chromium could not start: {str(exc).strip().splitlines()[0]}"


@pytest.fixture
def browser():
    driver, reason = _browser()
    if driver is None:
        if os.environ.get("INVOICE_TUI_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def buyer_serve(ws, clock, actors, localstripe):
    from invoice_tui.web.app import make_server, serve_in_thread

    ctx = ws.context("alice", source="webhook", now=clock,
                     services=services(stripe_config(localstripe.url, publishable_key="pk_test_invoice_tui")))
    server = make_server("127.0.0.1", 0, webhook_context=ctx)
    stop = serve_in_thread(server)
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # one browser run is enough; the domain is shared
def test_issue26_buyer_pays_from_the_page_in_headless_chromium_against_localstripe(browser, buyer_serve, actors):
    from selenium.webdriver.common.by import By

    alice, _bob = actors
    contact = people.add_contact(alice, {"email": "zoe@muller.example", "first_name": "Zoë"})
    inv = invoices.finalize_invoice(alice, invoices.create_invoice(alice, {
        "currency": "EUR", "contact_id": contact.id,
        "lines": [{"name": "Work", "quantity": "1", "unit_price": "100", "tax_rate": "20"}]}).id)
    browser.get(f"{buyer_serve}/i/{inv.link_token}")
    assert "Pay €120.00 by card" in browser.find_element(By.CSS_SELECTOR, "#pay h2").text
    # the fake Stripe.js mounts its card fields in the page (real Stripe.js mounts its iframe)
    fields = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#card-element input"), timeout=10)
    typed = dict(zip(("number", "exp_month", "exp_year", "cvc", "postal_code"),
                     ("4242424242424242", "12", "30", "123", "75001")))
    for field in fields:
        field.send_keys(typed[field.get_attribute("placeholder")])
    message = browser.find_element(By.ID, "pay-message")
    # "Save a card for future payments": a SetupIntent for the contact's Stripe customer, confirmed
    # at Stripe by the page (the method is recorded from Stripe's signed event: test_online_buyer_pay)
    browser.find_element(By.ID, "save-button").click()
    wait_for(lambda: "saved" in message.text or "could not" in message.text, timeout=15)
    assert message.text == "Your card is saved for future payments.", message.text
    browser.find_element(By.ID, "pay-button").click()
    wait_for(lambda: "Thank you" in message.text or "could not" in message.text or "did not" in message.text,
             timeout=15)
    assert message.text == "Thank you: your payment succeeded.", message.text
    p = Payment.get((Payment.invoice == inv.id) & (Payment.source == "online"))
    assert p.state == "succeeded" and p.amount_minor == 12000 and p.provider_ref.startswith("pi_")
    assert Invoice.get_by_id(inv.id).status == "paid"
    csp = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert not csp, csp  # nothing the page needs was blocked, nothing else was opened
    # the page of the paid invoice offers nothing more
    browser.get(f"{buyer_serve}/i/{inv.link_token}")
    assert not browser.find_elements(By.ID, "pay") and "PAID" in browser.page_source
