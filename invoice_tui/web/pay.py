"""Pay from the buyer's page (issue 26): ``POST /i/<token>/pay`` and the page's payment form.

- ``POST /i/<token>/pay`` creates, or reuses, the open invoice's pending PaymentIntent and returns
  its client secret; the amount is always recomputed on the server from the balance. A paid,
  voided or unknown invoice gets the same 404 as the page.
- The form uses Stripe.js and Stripe Elements; only that page's Content-Security-Policy opens what
  they need (Stripe's script and frames, and ``connect-src`` to Stripe's API), with a nonce for
  the page's own script. Every other page keeps ``default-src 'none'``.
- Needs the publishable key (``INVOICE_TUI_STRIPE_PUBLISHABLE_KEY``, public by design); without it
  the page offers no Pay.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from typing import Callable, Iterable
from urllib.parse import urlsplit

from invoice_tui.db import database
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import InvoiceTuiError, NotFound

PAY_RE = re.compile(r"^/i/([A-Za-z0-9_-]{16,64})/pay$")
STRIPE_JS = "https://js.stripe.com/v3/"


class BuyerPay:
    def __init__(self, ctx: Context, publishable_key: str, api_base: str | None = None) -> None:
        self.ctx = ctx
        self.publishable_key = publishable_key
        # a self-hosted or test API (localstripe) serves its own Stripe.js beside its API
        self.js_url = f"{api_base.rstrip('/')}/js.stripe.com/v3/" if api_base else STRIPE_JS
        self.api_origin = _origin(api_base) if api_base else "https://api.stripe.com"

    def csp(self, nonce: str) -> tuple[str, str]:
        js = _origin(self.js_url)
        return ("Content-Security-Policy",
                f"default-src 'none'; script-src 'nonce-{nonce}' {js}; frame-src {js} https://hooks.stripe.com; "
                f"connect-src 'self' {self.api_origin} {js}; style-src 'unsafe-inline'; img-src data: {js}; "
                "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")

    def section(self, token: str, amount_text: str, nonce: str) -> str:
        """The Pay form of an open invoice's page."""
        cfg = json.dumps({"key": self.publishable_key, "pay": f"{token}/pay"}).replace("</", "<\\/")
        return (f'<section class="pay" id="pay"><h2>Pay {html.escape(amount_text)} by card</h2>'
                '<div id="card-element"></div><button id="pay-button" type="button">Pay</button>'
                '<p id="pay-message" role="status"></p></section>\n'
                f'<script src="{html.escape(self.js_url)}" nonce="{nonce}"></script>\n'
                f'<script nonce="{nonce}">const CFG = {cfg};\n{PAY_JS}</script>\n')

    def __call__(self, environ: dict, start_response: Callable, token: str) -> Iterable[bytes]:
        from invoice_tui.domain.online import buyer_payment

        try:
            with database.connection_context():
                bp = buyer_payment(self.ctx, token)
        except NotFound:
            return _json(start_response, "404 Not Found", {"error": "There is nothing to pay at this address."})
        except InvoiceTuiError as exc:
            status = "503 Service Unavailable" if exc.exit_code == 4 else "409 Conflict"
            return _json(start_response, status, {"error": exc.message if exc.exit_code != 4 else
                                                  "Payments are unavailable right now; try again later."})
        except Exception:  # noqa: BLE001 - never a traceback to a buyer
            return _json(start_response, "500 Internal Server Error", {"error": "Something went wrong."})
        return _json(start_response, "200 OK", {"client_secret": bp.client_secret, "amount_minor": bp.amount_minor,
                                                "currency": bp.currency})


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _json(start_response, status: str, data: dict) -> list[bytes]:
    body = (json.dumps(data) + "\n").encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
                            ("Referrer-Policy", "no-referrer")])
    return [body]


PAY_JS = """
const stripe = Stripe(CFG.key);
const elements = stripe.elements();
const card = elements.create('card');
card.mount('#card-element');
const button = document.getElementById('pay-button');
const message = document.getElementById('pay-message');
button.addEventListener('click', async () => {
  button.disabled = true;
  message.textContent = 'Paying…';
  try {
    const resp = await fetch(CFG.pay, {method: 'POST'});
    const data = await resp.json();
    if (!resp.ok) { message.textContent = data.error; button.disabled = false; return; }
    const result = await stripe.confirmCardPayment(data.client_secret, {payment_method: {card: card}});
    if (result.error) { message.textContent = result.error.message; button.disabled = false; return; }
    message.textContent = 'Thank you: your payment is ' + result.paymentIntent.status + '.';
  } catch (e) { message.textContent = 'The payment could not be made; try again.'; button.disabled = false; }
});
"""
