"""``POST /webhooks/stripe`` (issue 26): the payment provider's events, served by ``invoice-tui
serve`` beside the buyer's page.

- The body is at most 64 KB (``MAX_WEBHOOK_BYTES``; waitress refuses more with 413), read whole
  by its Content-Length.
- The signature is verified (``stripe.Webhook.construct_event``, on the raw bytes) before the
  body is parsed: a bad one gets 400 and changes nothing.
- Each event is applied once per event id (a replay gets 200 and changes nothing); late and
  out-of-order events never move a payment back (``domain.online``).
- A failure of ours gets 500, so the provider delivers the event again later.
"""

from __future__ import annotations

import json
from typing import Callable, Iterable

from invoice_tui.db import database
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.provider import BadSignature, NotConfigured

WEBHOOK_PATH = "/webhooks/stripe"
MAX_WEBHOOK_BYTES = 64 * 1024


class StripeWebhooks:
    """The WSGI handler of ``POST /webhooks/stripe``, acting as ``ctx`` (the serving user)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return _json(start_response, "411 Length Required", {"error": "a Content-Length is required"})
        if length < 0 or length > MAX_WEBHOOK_BYTES:
            return _json(start_response, "413 Content Too Large", {"error": "at most 64 KB"})
        body = environ["wsgi.input"].read(length) if length else b""
        if len(body) != length:
            return _json(start_response, "400 Bad Request", {"error": "the body is shorter than its length"})
        factory = self.ctx.services.payment_provider
        provider = factory() if factory is not None else None
        if provider is None:
            return _json(start_response, "503 Service Unavailable", {"error": "no payment provider is configured"})
        signature = environ.get("HTTP_STRIPE_SIGNATURE", "")
        from invoice_tui.domain.online import handle_event

        try:
            with database.connection_context():
                outcome = handle_event(self.ctx, provider, body, signature)
        except BadSignature:
            return _json(start_response, "400 Bad Request", {"error": "the signature does not verify"})
        except NotConfigured:
            return _json(start_response, "503 Service Unavailable", {"error": "no webhook secret is configured"})
        except InvoiceTuiError as exc:  # the database is busy, … : the provider will send it again
            return _json(start_response, "500 Internal Server Error", {"error": exc.code})
        except Exception:  # noqa: BLE001 - never a traceback to the provider; it retries
            return _json(start_response, "500 Internal Server Error", {"error": "internal"})
        return _json(start_response, "200 OK", {"received": True, "event": outcome.event_id,
                                                "outcome": outcome.outcome, "state": outcome.state})


def _json(start_response, status: str, data: dict) -> list[bytes]:
    body = (json.dumps(data) + "\n").encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")])
    return [body]
