"""Fixtures of the online-payment tests (issue 26): a real localstripe process on loopback
(started once per session, spoken to through the real ``stripe`` SDK), the real SMTP server of
tests/conftest.py (``smtp_server``), and a workspace whose services carry the Stripe provider and the mail transport.

localstripe is a test-only dependency (``.[test]``); where it cannot be imported the tests that
need it skip with the reason (``INVOICE_TUI_REQUIRE_LOCALSTRIPE=1`` makes that a failure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from invoice_tui.domain import people
from invoice_tui.domain.workspace import set_setting
from invoice_tui.wiring import services
from onlinekit import Fixtures, LocalStripe, _wait_ready, stripe_config
from tests.conftest import free_port


@pytest.fixture(scope="session")
def localstripe():
    try:
        import localstripe as _ls  # noqa: F401
    except ImportError as exc:
        reason = f"localstripe is not installed ({exc}); pip install -e '.[test]'"
        if os.environ.get("INVOICE_TUI_REQUIRE_LOCALSTRIPE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("localstripe_server.py")), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        yield LocalStripe(url, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def actors(ws, clock, localstripe, smtp_server):
    """The super admin (alice) and a user who charges (bob, with an email) acting with Stripe
    (localstripe) and the SMTP server wired in, and a seller set up to finalize and send."""
    svc = services(stripe_config(localstripe.url, smtp_server.url))
    alice = ws.context("alice", source="test", now=clock, services=svc)
    for key, value in (("seller_name", "Atelier Dupré"), ("seller_address", "1 rue de la Paix, Paris"),
                       ("default_from_address", "billing@dupre.example"), ("allow_edit_finalized", "true")):
        set_setting(alice, key, value)
    people.add_user(alice, "bob", name="Bob", email="bob@dupre.example", permissions="view,create,edit")
    bob = ws.context("bob", source="test", now=clock, services=svc)
    return alice, bob


@pytest.fixture
def fixture_stripe():
    """A small HTTP server on loopback answering as Stripe does, with answers written from its API
    reference (``fx.routes``); what localstripe cannot show is tested against it."""
    fx = Fixtures()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            path = self.path.split("?")[0]
            gate = fx.gates.get((method, path))
            if gate is not None:
                gate.wait(30)
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
