"""``invoice-tui demo``: a deterministic demo workspace, only into an empty workspace."""

from __future__ import annotations


def _shape(cli) -> list[tuple]:
    return [(r["currency"], r["amount_billed"], r["contact_email"], r["number"])
            for r in cli.ok("invoices", "list", "--sort", "id")]


def test_demo_fills_an_empty_workspace_deterministically(any_cli, tmp_path, capsys):
    summary = any_cli.ok("demo", "--invoices", "40", "--seed", "5")
    assert summary["invoices"] == 40
    assert summary["drafts"] + summary["open"] + summary["paid"] + summary["voided"] == 40
    rows = any_cli.ok("invoices", "list")
    assert len(rows) == 40 and {r["currency"] for r in rows} <= {"EUR", "USD", "GBP", "JPY"}
    assert any_cli.ok("invoices", "list", "--filter", "status=paid", "--filter", "balance_due!=0") == []
    assert [u["login"] for u in any_cli.ok("users", "list") if "super_admin" in u["permissions"]][:1] == ["ann"]

    res = any_cli("demo", "--invoices", "5")
    assert res.code == 1 and "empty workspace" in res.err
    assert len(any_cli.ok("invoices", "list")) == 40

    again = type(any_cli)(f"sqlite:///{tmp_path / 'again.db'}", capsys)
    again.ok("demo", "--invoices", "40", "--seed", "5")
    assert _shape(again) == _shape(any_cli)


def test_demo_refusals(cli):
    assert cli("demo", "--invoices", "-1").code == 2
    cli.ok("users", "list")  # ann becomes the first user (super admin)
    cli.ok("users", "add", "bob", "--permissions", "view,create,edit,delete")
    res = cli("demo", "--invoices", "3", user="bob")
    assert res.code == 1 and "super admin" in res.err
    text = cli.ok("demo", "--invoices", "3", as_json=False)
    assert text.startswith("Demo workspace ready.") and "Invoices:" in text


def test_demo_today_reproduces_the_workspace_exactly(cli, tmp_path, capsys):
    """Same --seed and --today: the same invoices, numbers, amounts, names and dates (every field
    of ``invoices list --json``), whatever day the demo is made on; another --today moves the dates."""
    cli.ok("demo", "--invoices", "60", "--seed", "3", "--today", "2026-03-31")
    first = cli.ok("invoices", "list", "--sort", "id")
    again = type(cli)(f"sqlite:///{tmp_path / 'again.db'}", capsys)
    again.ok("demo", "--invoices", "60", "--seed", "3", "--today", "2026-03-31")
    assert again.ok("invoices", "list", "--sort", "id") == first
    assert max(r["invoice_date"] for r in first) <= "2026-03-31"
    assert max(r["created_at"] for r in first) <= "2026-03-31T23:59:59"

    later = type(cli)(f"sqlite:///{tmp_path / 'later.db'}", capsys)
    later.ok("demo", "--invoices", "60", "--seed", "3", "--today", "2026-04-10")
    moved = later.ok("invoices", "list", "--sort", "id")
    assert [r["number"] for r in moved] == [r["number"] for r in first]
    assert [r["invoice_date"] for r in moved] != [r["invoice_date"] for r in first]


def test_demo_today_refuses_a_bad_date(cli):
    for bad in ("2026-02-30", "31/03/2026", "today", "2026-3-1"):
        res = cli("demo", "--invoices", "3", "--today", bad)
        assert res.code == 2 and "YYYY-MM-DD" in res.err, (bad, res.err)
    assert cli.ok("invoices", "list") == []


def test_a_fresh_demo_workspace_passes_the_audit(any_cli):
    """Every object's history is written from its creation (hash-chained as the services chain
    it), so ``audit verify`` holds on a fresh demo workspace."""
    summary = any_cli.ok("demo", "--invoices", "80", "--seed", "2", "--today", "2026-03-31")
    created = sum(summary[k] for k in ("invoices", "payments", "contacts", "companies", "users"))
    assert summary["property_changes"] > created  # each object's creation row, then its changes
    res = any_cli("audit", "verify", as_json=False)
    assert res.code == 0 and "intact" in res.out, res.out + res.err
