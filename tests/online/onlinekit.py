"""Helpers of the online-payment tests (issue 26): localstripe, the Stripe configuration, waiting."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from invoice_tui.config import Config

API_KEY = "sk_test_invoice_tui_0123456789"
WEBHOOK_SECRET = "whsec_test_invoice_tui_secret"


@dataclass
class LocalStripe:
    url: str
    process: subprocess.Popen

    def client(self):
        import stripe

        return stripe.StripeClient(API_KEY, base_addresses={"api": self.url}, max_network_retries=0)

    def customer_with_card(self, number: str = "4242424242424242", email: str = "zoe@muller.example"):
        c = self.client()
        cus = c.v1.customers.create(params={"email": email})
        pm = c.v1.payment_methods.create(params={"type": "card", "card": {
            "number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
        return cus.id, pm.id

    def post(self, path: str, data: dict[str, str]) -> int:
        from urllib.parse import urlencode

        req = urllib.request.Request(self.url + path, data=urlencode(data).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {API_KEY}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status


def _wait_ready(url: str, proc: subprocess.Popen, deadline_s: float = 90) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"localstripe exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
        try:
            req = urllib.request.Request(url + "/v1/customers", headers={"Authorization": f"Bearer {API_KEY}"})
            with urllib.request.urlopen(req, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"localstripe did not answer within {deadline_s:.0f} s")


def stripe_config(api_base: str, mail_url: str | None = None, publishable_key: str | None = None) -> Config:
    return Config(stripe_api_key=API_KEY, stripe_webhook_secret=WEBHOOK_SECRET, stripe_api_base=api_base,
                  mail_url=mail_url, stripe_publishable_key=publishable_key)


def wait_for(condition, timeout: float = 15.0, step: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("the condition was not met in time")


def port_closed() -> int:
    """A loopback port where nothing listens (the provider is unreachable there)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header as Stripe builds it (HMAC-SHA256 of ``t.payload``)."""
    import hashlib
    import hmac

    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(event_id: str, etype: str, obj: dict, created: int | None = None) -> bytes:
    """A Stripe event, shaped as the API reference shows it (``object: event``, ``data.object``)."""
    import json

    return json.dumps({"id": event_id, "object": "event", "api_version": "2024-06-20",
                       "created": int(time.time()) if created is None else created, "livemode": False,
                       "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
                       "type": etype, "data": {"object": obj}}).encode()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json",
                                                                         **headers})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def pi(pid: str, status: str, amount: int = 12000, **extra) -> dict:
    """A PaymentIntent as the API reference shows it (the fields the app reads, and a few more)."""
    return {"id": pid, "object": "payment_intent", "amount": amount, "amount_received": 0, "currency": "eur",
            "status": status, "client_secret": f"{pid}_secret_x", "customer": "cus_fx", "payment_method": "pm_fx",
            "latest_charge": None, "last_payment_error": None, "livemode": False, "created": 1700000000,
            "metadata": {}, **extra}


def screen_rows(svg: str) -> list[str]:
    """The text of each row of a Textual SVG screenshot, spans joined in order (as
    tests/tui/test_en16931_snapshots.py reads a screen: every cell whole)."""
    import html
    import re

    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(m.group(2)), []).append((float(m.group(1)), html.unescape(m.group(3))))
    out = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(int(round(x / 12.2))) + text.replace("\xa0", " ")
        out.append(line)
    return out


class Fixtures:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], tuple[int, dict]] = {}
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.gates: dict[tuple[str, str], threading.Event] = {}  # an answer held until the test sets it
