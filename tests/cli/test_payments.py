"""``invoice-tui payments …``: record (R8, R10), add/apply (R9), delete (R11), online states (R7, R13)."""

from __future__ import annotations

import pytest


@pytest.fixture
def open_inv(cli, seed_people):
    """INV-1001: EUR 100.00 open, billed to Ada; partial payments allowed when asked."""
    seed_people(cli)

    def make(*extra):
        inv = cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--line",
                     "Work;2;50", *extra)
        return cli.ok("invoices", "finalize", str(inv["id"]))

    return make


def test_record_full_payment_marks_paid_R8(cli, open_inv):
    inv = open_inv()
    res = cli.ok("payments", "record", "INV-1001", "--amount", "100.00", "--date", "2026-03-01", "--method",
                 "bank transfer", "--reference", "SEPA-1", "--note", "thanks", "--in-advance")  # before the invoice (R57)
    assert res["payment"] == {"id": 1, "amount": "100.00", "currency": "EUR", "date": "2026-03-01",
                              "method": "bank_transfer", "reference": "SEPA-1", "note": "thanks",
                              "source": "manual", "state": "succeeded", "contact_email": "ada@example.com",
                              "invoice_id": inv["id"], "invoice_number": "INV-1001"}
    assert res["invoice"]["status"] == "paid" and res["invoice"]["balance_due"] == "0.00"
    assert res["invoice"]["payment_date"] == "2026-03-01" and res["receipt_queued"] is False
    shown = cli.ok("invoices", "show", "INV-1001")
    assert [p["id"] for p in shown["payments"]] == [1]
    res = cli("payments", "record", "INV-1001", "--amount", "1")
    assert res.code == 1 and "already paid" in res.err


def test_partial_payments_only_when_allowed_R8(cli, open_inv):
    open_inv()
    res = cli("payments", "record", "INV-1001", "--amount", "40")
    assert res.code == 1 and "does not allow partial payments" in res.err
    open_inv("--allow-partial")
    part = cli.ok("payments", "record", "INV-1002", "--amount", "40")
    assert part["invoice"]["status"] == "open" and part["invoice"]["balance_due"] == "60.00"
    res = cli("payments", "record", "INV-1002", "--amount", "60.01")
    assert res.code == 1 and "more than the balance due" in res.err
    for bad in ("0", "-5", "abc", "1,50", "1.234"):
        assert cli("payments", "record", "INV-1002", "--amount", bad).code == 2, bad
    assert cli("payments", "record", "INV-1002", "--amount", "5", "--method", "barter").code == 2
    assert cli("payments", "record", "INV-9999", "--amount", "5").code == 3
    assert len(cli.ok("payments", "list")) == 1  # the refusals wrote nothing


def test_send_receipt_never_claims_a_receipt_was_sent_R10(cli, open_inv):
    open_inv()  # the CLI wires the mail package's receipt sender into every command's context
    # without a From address the receipt cannot be queued, so nothing is recorded (one transaction)
    res = cli("payments", "record", "INV-1001", "--amount", "100", "--send-receipt")
    assert res.code == 1 and "default_from_address" in res.err
    assert cli.ok("payments", "list") == []
    cli.ok("settings", "set", "default_from_address", "billing@example.com")
    res = cli("payments", "record", "INV-1001", "--amount", "100", "--send-receipt", as_json=False)
    assert res.code == 0, res.err
    assert "queued in the outbox but not sent: no mail server is configured" in res.out
    assert "was sent" not in res.out
    assert cli.ok("invoices", "show", "INV-1001")["status"] == "paid"


def test_add_apply_and_delete_payments_R9_R11(cli, open_inv):
    open_inv()
    added = cli.ok("payments", "add", "--amount", "100", "--currency", "eur", "--contact", "ada@example.com",
                   "--reference", "early")
    assert (added["invoice_id"], added["state"], added["source"]) == (None, "succeeded", "manual")
    assert [p["id"] for p in cli.ok("payments", "list", "--unapplied")] == [added["id"]]
    res = cli.ok("payments", "apply", str(added["id"]), "INV-1001")
    assert res["invoice"]["status"] == "paid" and res["payment"]["invoice_number"] == "INV-1001"
    assert cli.ok("payments", "list", "--unapplied") == []
    assert [p["id"] for p in cli.ok("payments", "list", "--applied")] == [added["id"]]
    res = cli("payments", "apply", str(added["id"]), "INV-1001")
    assert res.code == 1 and "already applied" in res.err

    usd = cli.ok("payments", "add", "--amount", "100", "--currency", "USD")
    open_inv()
    res = cli("payments", "apply", str(usd["id"]), "INV-1002")
    assert res.code == 1 and "in USD" in res.err

    deleted = cli.ok("payments", "delete", str(added["id"]))
    assert deleted["deleted"] == added["id"]
    assert deleted["invoice"]["status"] == "open" and deleted["invoice"]["balance_due"] == "100.00"
    assert cli("payments", "delete", str(added["id"])).code == 3
    assert cli("payments", "delete", "one").code == 2
    assert cli("payments", "add", "--amount", "5", "--currency", "EUR", "--contact", "x@example.com").code == 3
    assert cli("payments", "add", "--amount", "5", "--currency", "EUR", "--state", "processing").code == 2


def test_online_payment_states_R7_R11_R13(cli, open_inv):
    open_inv()
    online = cli.ok("payments", "add", "--amount", "100", "--currency", "EUR", "--source", "online")
    assert online["state"] == "processing"
    cli.ok("payments", "apply", str(online["id"]), "INV-1001")
    res = cli("invoices", "void", "INV-1001")
    assert res.code == 1 and "processing" in res.err
    done = cli.ok("payments", "set-state", str(online["id"]), "succeeded")
    assert done["payment"]["state"] == "succeeded" and done["invoice"]["status"] == "paid"
    res = cli("payments", "delete", str(online["id"]))
    assert res.code == 1 and "refund" in res.err
    refunded = cli.ok("payments", "set-state", str(online["id"]), "refunded")
    assert refunded["invoice"]["status"] == "open"
    res = cli("payments", "set-state", str(online["id"]), "succeeded")
    assert res.code == 1 and "cannot become" in res.err
    assert cli("payments", "set-state", str(online["id"]), "lost").code == 2
    res = cli("invoices", "void", "INV-1001")
    assert res.code == 1 and "R13" in res.err


def test_payments_list_text(cli, open_inv):
    open_inv()
    cli.ok("payments", "record", "INV-1001", "--amount", "100", "--reference", "SEPA-1")
    cli.ok("payments", "add", "--amount", "7", "--currency", "JPY")
    text = cli.ok("payments", "list", as_json=False)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["Id", "Date", "Amount"]
    assert "¥7" in lines[1] and "unapplied" in lines[1]
    assert "€100.00" in lines[2] and "INV-1001" in lines[2]
    assert cli.ok("payments", "list", "--state", "refunded", as_json=False).strip() == "No payments."
