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
