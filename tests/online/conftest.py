"""Fixtures of the online-payment tests (issue 26): a real localstripe process on loopback
(started once per session, spoken to through the real ``stripe`` SDK), a real SMTP server
(aiosmtpd), and a workspace whose services carry the Stripe provider and the mail transport.

localstripe is a test-only dependency (``.[test]``); where it cannot be imported the tests that
need it skip with the reason (``INVOICE_TUI_REQUIRE_LOCALSTRIPE=1`` makes that a failure).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from invoice_tui.domain import people
from invoice_tui.domain.workspace import set_setting
from invoice_tui.wiring import services
from onlinekit import LocalStripe, _wait_ready, stripe_config
from tests.mail.conftest import SmtpServer, free_port


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
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = SmtpServer(port=free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


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


