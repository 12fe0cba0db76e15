"""Issue 26 on the command line: ``contacts payment-methods add|list|remove``, ``invoices charge``
(exit 0 succeeded/processing, 1 declined or requires action, 4 provider unreachable) and
``payments refund``, against localstripe; keys never printed."""

from __future__ import annotations

import pytest

from clikit import Cli, isolated_config  # noqa: F401 - the fixture keeps personal configuration out
from onlinekit import API_KEY, WEBHOOK_SECRET, port_closed


@pytest.fixture
def cli(sqlite_url, capsys, monkeypatch, localstripe, smtp_server):
    monkeypatch.setenv("INVOICE_TUI_STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("INVOICE_TUI_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("INVOICE_TUI_STRIPE_API_BASE", localstripe.url)
    monkeypatch.setenv("INVOICE_TUI_MAIL_URL", smtp_server.url)
    c = Cli(sqlite_url, capsys, user="alice")
    for key, value in (("seller_name", "Atelier"), ("seller_address", "1 rue X, Paris"),
                       ("default_from_address", "billing@atelier.example")):
        c.ok("settings", "set", key, value)
    c.ok("contacts", "add", "--email", "zoe@muller.example", "--first-name", "Zoë")
    c.ok("invoices", "create", "--currency", "EUR", "--contact", "zoe@muller.example", "--line", "Work;1;100;20",
         "--allow-partial")
    c.ok("invoices", "finalize", "1")
    return c


def add_card(cli, localstripe, number: str) -> str:
    cus, pm = localstripe.customer_with_card(number)
    out = cli.ok("contacts", "payment-methods", "add", "zoe@muller.example", "--stripe-customer", cus,
                 "--stripe-payment-method", pm)
    assert "•••• " + number[-4:] in out
    return pm


def test_r34_cli_charge_succeeded_exit_0_then_refund(cli, localstripe):
    pm = add_card(cli, localstripe, "4242424242424242")
    listed = cli.ok("contacts", "payment-methods", "list", "zoe@muller.example", as_json=True)
    assert [m["payment_method"] for m in listed] == [pm] and listed[0]["last4"] == "4242"
    data = cli.ok("invoices", "charge", "INV-1001", "--amount", "20", as_json=True)
    assert data["state"] == "succeeded" and data["invoice"]["status"] == "open"
    data = cli.ok("invoices", "charge", "INV-1001", "--payment-method", pm, as_json=True)
    assert data["state"] == "succeeded" and data["invoice"]["status"] == "paid"
    pid = str(data["payment"]["id"])
    res = cli("payments", "refund", pid, "--amount", "200")
    assert res.code == 1 and "At most 100.00 EUR" in res.err
    data = cli.ok("payments", "refund", pid, "--amount", "30", as_json=True)
    assert data["refunded"] == "30.00" and data["invoice"]["status"] == "open"
    assert data["payment"]["refunded"] == "30.00" and data["payment"]["provider_ref"].startswith("pi_")
    out = cli.ok("payments", "refund", pid)
    assert "Refunded €70.00" in out and "now refunded" in out
    assert API_KEY not in out


def test_r34_cli_declined_exit_1_reason_on_stderr(cli, localstripe):
    add_card(cli, localstripe, "4000000000000341")
    res = cli("invoices", "charge", "INV-1001", as_json=True)
    assert res.code == 1 and res.data["state"] == "failed"
    assert "declined" in res.err.lower() and "INV-1001 is still open" in res.err
    listed = cli.ok("payments", "list", "--state", "failed", as_json=True)
    assert len(listed) == 1


def test_r34_cli_requires_action_exit_1(cli, localstripe):
    add_card(cli, localstripe, "4000000000003220")
    res = cli("invoices", "charge", "INV-1001", as_json=True)
    assert res.code == 1 and res.data["state"] == "requires_action"
    assert "authentication" in res.err
    res = cli("invoices", "charge", "INV-1001")  # one attempt at a time
    assert res.code == 1 and "already pending" in res.err


def test_r34_cli_provider_unreachable_exit_4_and_no_key_shown(cli, localstripe, monkeypatch):
    add_card(cli, localstripe, "4242424242424242")
    monkeypatch.setenv("INVOICE_TUI_STRIPE_API_BASE", f"http://127.0.0.1:{port_closed()}")
    res = cli("invoices", "charge", "INV-1001")
    assert res.code == 4 and "could not be reached" in res.err and API_KEY not in res.err + res.out
    monkeypatch.setenv("INVOICE_TUI_STRIPE_API_BASE", localstripe.url)
    data = cli.ok("invoices", "charge", "INV-1001", as_json=True)  # the retry of the same attempt
    assert data["retried"] is True and data["state"] == "succeeded"


def test_cli_payment_methods_bad_input_and_remove(cli, localstripe):
    res = cli("contacts", "payment-methods", "add", "zoe@muller.example", "--stripe-customer", "cus_x",
              "--stripe-payment-method", "4242 4242 4242 4242")
    assert res.code == 2 and "payment method id" in res.err
    pm = add_card(cli, localstripe, "4242424242424242")
    res = cli("contacts", "payment-methods", "add", "zoe@muller.example", "--stripe-customer", "cus_x",
              "--stripe-payment-method", pm, user="nobody")
    assert res.code == 1
    cli.ok("contacts", "payment-methods", "remove", "zoe@muller.example", pm)
    assert "no saved payment method" in cli.ok("contacts", "payment-methods", "list", "zoe@muller.example")
    res = cli("contacts", "payment-methods", "remove", "zoe@muller.example", pm)
    assert res.code == 3
