"""Pay from the buyer's page (issue 26): ``POST /i/<token>/pay``, ``POST /i/<token>/setup`` and
the page's card form.

- ``POST /i/<token>/pay`` (no body) creates, or reuses, the open invoice's pending PaymentIntent
  and a SetupIntent the page confirms with the card typed (Stripe.js ``confirmCardSetup``: the
  card goes to Stripe, never here); ``POST /i/<token>/pay`` with ``{"setup_intent": "seti_…"}``
  confirms the PaymentIntent with that card on the server. A card that needs 3-D Secure comes
  back ``requires_action`` and the page completes it (``confirmCardPayment``). The amount is
  always recomputed on the server from the balance. A paid, voided or unknown invoice gets the
  same 404 as the page. This flow is one both Stripe.js and localstripe's fake Stripe.js can do
  (the fake cannot confirm a PaymentIntent with card data; it can confirm a SetupIntent).
- ``POST /i/<token>/setup`` ("Save a card for future payments"): a SetupIntent for the billing
  contact's Stripe customer; the method is recorded when Stripe's signed
  ``setup_intent.succeeded`` event arrives (``web/webhooks.py``), never from the browser's word.
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
from invoice_tui.db.models import Invoice
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import InvoiceTuiError, NotFound

PAY_RE = re.compile(r"^/i/([A-Za-z0-9_-]{16,64})/(pay|setup)$")
SETUP_REF_RE = re.compile(r"^seti_[A-Za-z0-9_]{1,200}$")
MAX_PAY_BODY = 1024
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

    def section(self, token: str, amount_text: str, nonce: str, locale: str | None = None) -> str:
        """The Pay form of an open invoice's page, and "Save a card for future payments", in the
        invoice's language (``locale``), the script's messages included (issue 25)."""
        from invoice_tui.documents.markdown import label

        def L(key: str, **kw) -> str:  # noqa: N802 - a label
            return label(key, locale, **kw)

        words = {k: L(f"js_{k}") for k in ("failed", "succeeded", "processing", "paying", "saving", "saved",
                                           "not_saved")}
        words["not_through"] = L("js_not_through", s="%s")
        cfg = json.dumps({"key": self.publishable_key, "pay": f"{token}/pay", "setup": f"{token}/setup",
                          "words": words}).replace("</", "<\\/")
        return (f'<section class="pay" id="pay"><h2>{html.escape(L("pay_by_card", a=amount_text))}</h2>'
                f'<div id="card-element"></div><button id="pay-button" type="button">{html.escape(L("pay"))}</button> '
                f'<button id="save-button" type="button">{html.escape(L("save_card"))}</button>'
                '<p id="pay-message" role="status"></p></section>\n'
                f'<script src="{html.escape(self.js_url)}" nonce="{nonce}"></script>\n'
                f'<script nonce="{nonce}">const CFG = {cfg};\n{PAY_JS}</script>\n')

    def __call__(self, environ: dict, start_response: Callable, token: str, what: str = "pay") -> Iterable[bytes]:
        from invoice_tui.domain.online import buyer_payment, buyer_setup

        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_PAY_BODY:
            return _json(start_response, "400 Bad Request", {"error": _word(token, "bad_request")})
        setup_ref = None
        if length:
            try:
                data = json.loads(environ["wsgi.input"].read(length))
                setup_ref = data.get("setup_intent") if isinstance(data, dict) else None
            except (ValueError, UnicodeDecodeError):
                setup_ref = None
            if what != "pay" or not isinstance(setup_ref, str) or not SETUP_REF_RE.match(setup_ref):
                return _json(start_response, "400 Bad Request", {"error": _word(token, "bad_request")})
        try:
            with database.connection_context():
                if what == "setup":
                    bs = buyer_setup(self.ctx, token)
                    return _json(start_response, "200 OK", {"setup_secret": bs.client_secret})
                bp = buyer_payment(self.ctx, token, setup_ref)
        except NotFound:
            return _json(start_response, "404 Not Found", {"error": _word(token, "nothing_to_pay")})
        except InvoiceTuiError as exc:
            status = "503 Service Unavailable" if exc.exit_code == 4 else "409 Conflict"
            return _json(start_response, status, {"error": exc.message if exc.exit_code != 4 else
                                                  _word(token, "payments_unavailable")})
        except Exception:  # noqa: BLE001 - never a traceback to a buyer
            return _json(start_response, "500 Internal Server Error", {"error": _word(token, "went_wrong")})
        return _json(start_response, "200 OK", {"client_secret": bp.client_secret, "setup_secret": bp.setup_secret,
                                                "amount_minor": bp.amount_minor, "currency": bp.currency,
                                                "state": bp.state, "reason": bp.reason})


def _word(token: str, key: str) -> str:
    """A sentence for the buyer in the language of the invoice the token opens (English when none)."""
    from invoice_tui.documents.markdown import label

    locale = None
    try:
        with database.connection_context():
            row = Invoice.select(Invoice.locale).where(Invoice.link_token == token).first()
            locale = row.locale if row is not None else None
    except Exception:  # noqa: BLE001 - the sentence falls back to English, never a traceback
        locale = None
    return label(key, locale)


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
const buttons = [document.getElementById('pay-button'), document.getElementById('save-button')];
const message = document.getElementById('pay-message');
const busy = (on, text) => { buttons.forEach(b => { b.disabled = on; }); if (text) message.textContent = text; };
const post = async (url, body) => {
  const resp = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
                                 body: body ? JSON.stringify(body) : ''});
  const data = await resp.json();
  if (!resp.ok) throw new Error(data.error || CFG.words.failed);
  return data;
};
const done = {succeeded: CFG.words.succeeded, processing: CFG.words.processing};
buttons[0].addEventListener('click', async () => {
  busy(true, CFG.words.paying);
  try {
    const start = await post(CFG.pay);
    const setup = await stripe.confirmCardSetup(start.setup_secret, {payment_method: {card: card}});
    if (setup.error) throw new Error(setup.error.message);
    let paid = await post(CFG.pay, {setup_intent: setup.setupIntent.id});
    let state = paid.state;
    if (state === 'requires_action') {
      const more = await stripe.confirmCardPayment(paid.client_secret);
      if (more.error) throw new Error(more.error.message);
      state = more.paymentIntent.status;
    }
    if (!done[state]) throw new Error(paid.reason || CFG.words.not_through.replace('%s', state));
    message.textContent = done[state];
    buttons.forEach(b => { b.hidden = true; });
  } catch (e) { busy(false, e.message || CFG.words.failed); }
});
buttons[1].addEventListener('click', async () => {
  busy(true, CFG.words.saving);
  try {
    const start = await post(CFG.setup);
    const setup = await stripe.confirmCardSetup(start.setup_secret, {payment_method: {card: card}});
    if (setup.error) throw new Error(setup.error.message);
    busy(false, CFG.words.saved);
  } catch (e) { busy(false, e.message || CFG.words.not_saved); }
});
"""
