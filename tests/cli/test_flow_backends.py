"""The whole CLI flow a new user goes through, on SQLite and on PostgreSQL (``db_url``)."""

from __future__ import annotations


def test_new_user_flow_on_both_backends(any_cli):
    cli = any_cli
    cli.ok("companies", "add", "--name", "Analytical Engines")
    cli.ok("contacts", "add", "--email", "ada@example.com", "--first-name", "Ada", "--company", "Analytical Engines")
    draft = cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--company",
                   "Analytical Engines", "--line", r"Design\; review;3;120.00;20;10%", "--fee", "5;20;Shipping",
                   "--allow-partial", "--date", "today-40", "--due", "today+30")  # numbers follow dates (R57)
    assert draft["amount_billed"] == "394.80"  # 324 + 5 → 329.00, 20% tax 65.80
    inv = cli.ok("invoices", "finalize", str(draft["id"]))
    assert inv["number"] == "INV-1001"
    part = cli.ok("payments", "record", "INV-1001", "--amount", "94.80", "--method", "card")
    assert part["invoice"]["balance_due"] == "300.00" and part["invoice"]["status"] == "open"
    other = cli.ok("invoices", "create", "--currency", "USD", "--contact", "ada@example.com", "--line", "Fix;1;50",
                   "--date", "today-40", "--due", "today-10")
    cli.ok("invoices", "finalize", str(other["id"]))
    cli.ok("invoices", "create", "--currency", "EUR", "--title", "idea")

    ids = [r["id"] for r in cli.ok("invoices", "list", "--filter", "currency=EUR", "--filter", "status=open",
                                   "--or", "--filter", "overdue=true", "--sort", "id")]
    assert ids == [draft["id"], other["id"]]
    assert [r["id"] for r in cli.ok("invoices", "list", "--filter", "days_overdue>=10")] == [other["id"]]
    assert [r["id"] for r in cli.ok("invoices", "list", "--filter", "amount_paid>0")] == [draft["id"]]
    assert [r["number"] for r in cli.ok("invoices", "list", "--sort", "-balance_due", "--filter", "number?")] == [
        "INV-1001", "INV-1002"]

    # refused and bad commands write nothing
    res = cli("payments", "record", "INV-1001", "--amount", "300.01")
    assert res.code == 1
    res = cli("invoices", "create", "--currency", "EUR", "--contact", "nobody@example.com", "--line", "A;1;1")
    assert res.code == 3
    assert len(cli.ok("invoices", "list")) == 3 and len(cli.ok("payments", "list")) == 1

    paid = cli.ok("payments", "record", "INV-1001", "--amount", "300")
    assert paid["invoice"]["status"] == "paid"
    h = cli.ok("history", "INV-1001")
    assert [a["kind"] for a in h["activities"]] == ["created", "finalized", "payment_recorded", "payment_recorded"]
    shown = cli.ok("invoices", "show", "INV-1001")
    assert [p["amount"] for p in shown["payments"]] == ["94.80", "300.00"]


def test_list_in_batches_equals_show_on_both_backends(any_cli, monkeypatch):
    """The batched, streamed list gives exactly the records ``show`` computes one by one."""
    from invoice_tui.cli import invoices as invoices_cli

    cli = any_cli
    monkeypatch.setattr(invoices_cli, "BATCH", 2)
    cli.ok("contacts", "add", "--email", "ada@example.com")
    cli.ok("users", "add", "bob", "--permissions", "create,edit")
    specs = [("EUR", "A;1;10;20", "ann"), ("JPY", "B;3;999;10;5%", "bob"), ("USD", "C;2;7.25", "ann"),
             ("GBP", "D;1;100;20;10", "bob"), ("EUR", "E;1.5;33.33;5.5", "bob")]
    for cur, line, user in specs:
        inv = cli.ok("invoices", "create", "--currency", cur, "--line", line, "--discount", "1%;20", "--contact",
                     "ada@example.com", user=user)
        if cur != "GBP":
            cli.ok("invoices", "finalize", str(inv["id"]), user=user)
    from invoice_tui.cli import payments as payments_cli

    monkeypatch.setattr(payments_cli, "BATCH", 2)
    for number in ("INV-1001", "INV-1002", "INV-1003"):
        billed = cli.ok("invoices", "show", number)["balance_due"]
        cli.ok("payments", "record", number, "--amount", billed)
    cli.ok("payments", "add", "--amount", "3", "--currency", "EUR", "--contact", "ada@example.com")
    pays = cli.ok("payments", "list")
    assert [(p["invoice_number"], p["contact_email"]) for p in pays] == [
        (None, "ada@example.com"), ("INV-1003", "ada@example.com"), ("INV-1002", "ada@example.com"),
        ("INV-1001", "ada@example.com")]
    listed = cli.ok("invoices", "list", "--sort", "id")
    assert [r["owner"] for r in listed] == ["ann", "bob", "ann", "bob", "bob"]
    for rec in listed:
        shown = cli.ok("invoices", "show", str(rec["id"]))
        assert shown.pop("payments") == [p for p in pays if p["invoice_id"] == rec["id"]]
        for key in ("lines", "adjustments", "en16931", "legal"):  # show's own keys
            shown.pop(key)
        assert rec == shown
    text = cli.ok("invoices", "list", "--filter", "status=open", as_json=False)
    assert text.splitlines()[-1] == "1 invoice" and "INV-1004" in text  # the others are paid now
