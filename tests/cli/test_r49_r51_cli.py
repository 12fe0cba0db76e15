"""``invoice-tui recurring …``, ``run-due``, ``invoices schedule-send`` and the automation
settings (issue 28; R49–R51), read as a user sees them: exit codes, JSON and text."""

from __future__ import annotations


def _template(cli):
    cli.ok("settings", "set", "reminder_offsets", "")
    cli.ok("settings", "set", "dunning_levels", "")  # no dunning unless a test sets it
    cli.ok("contacts", "add", "--email", "ada@example.com", "--first-name", "Ada")
    return cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--line", "Hosting;1;100;20",
                  "--date", "2024-01-10", "--due", "2024-02-09")


def test_r49_recurring_create_list_show_pause_resume_delete(any_cli, monkeypatch):
    monkeypatch.setenv("INVOICE_TUI_TODAY", "2024-01-10")
    inv = _template(any_cli)
    s = any_cli.ok("recurring", "create", "--from", str(inv["id"]), "--every", "1m", "--day", "last", "--start",
                   "2024-01-10", "--count", "3", "--mode", "finalize")
    assert (s["id"], s["rule"], s["next_run"], s["mode"]) == (1, "every month on the last day, 3 invoices",
                                                             "2024-01-31", "finalize")
    text = any_cli.ok("schedules", "list", as_json=False)  # the alias
    assert "every month on the last day" in text and "2024-01-31" in text
    dry = any_cli.ok("run-due", "--as-of", "2024-04-02", "--dry-run")
    assert [p["period"] for p in dry["schedules"]] == ["2024-01-31", "2024-02-29", "2024-03-31"]
    assert any_cli.ok("recurring", "show", "1")["runs"] == []  # the dry run wrote nothing
    res = any_cli("run-due", "--as-of", "2024-04-02")
    assert res.code == 0, res.err
    assert [p["number"] for p in res.data["schedules"]] == ["INV-1001", "INV-1002", "INV-1003"]
    shown = any_cli.ok("recurring", "show", "1")
    assert (shown["state"], shown["issued"], shown["next_run"]) == ("ended", 3, None)  # ended after 3
    assert [r["period"] for r in shown["runs"]] == ["2024-01-31", "2024-02-29", "2024-03-31"]
    assert any_cli.ok("invoices", "show", "INV-1002")["origin"] == "subscription"
    again = any_cli.ok("run-due", "--as-of", "2024-04-02", as_json=False)
    assert "Nothing is due." in again

    s2 = any_cli.ok("recurring", "create", "--from", str(inv["id"]), "--every", "2w", "--start", "2024-01-10")
    assert any_cli.ok("recurring", "pause", str(s2["id"]))["state"] == "paused"
    assert any_cli("recurring", "pause", str(s2["id"])).code == 1
    monkeypatch.setenv("INVOICE_TUI_TODAY", "2024-03-01")
    resumed = any_cli.ok("recurring", "resume", str(s2["id"]))
    assert (resumed["state"], resumed["next_run"]) == ("active", "2024-03-06")
    assert any_cli.ok("recurring", "delete", str(s2["id"]))["deleted"] is True
    assert any_cli("recurring", "show", str(s2["id"])).code == 3


def test_r49_recurring_create_refuses_bad_input(cli, monkeypatch):
    monkeypatch.setenv("INVOICE_TUI_TODAY", "2024-01-10")
    inv = _template(cli)
    for args in (["--every", "1q"], ["--every", "1m", "--day", "32"], ["--every", "1w", "--day", "3"],
                 ["--every", "1m", "--end", "2023-01-01"]):
        res = cli("recurring", "create", "--from", str(inv["id"]), "--start", "2024-01-10", *args)
        assert res.code == 2, (args, res.err)
    assert cli("recurring", "create", "--from", "999", "--every", "1m", "--start", "2024-01-10").code == 3
    assert cli("recurring", "create", "--from", str(inv["id"]), "--every", "1m", "--start", "2024-01-10",
               "--count", "2", "--end", "2025-01-01").code == 2  # one end or the other


def test_r50_r51_schedule_send_and_settings(cli, monkeypatch):
    monkeypatch.setenv("INVOICE_TUI_TODAY", "2024-01-10")
    inv = _template(cli)
    assert cli("invoices", "schedule-send", str(inv["id"]), "--on", "2024-01-12").code == 1  # a draft (R4)
    fin = cli.ok("invoices", "finalize", str(inv["id"]))
    planned = cli.ok("invoices", "schedule-send", fin["number"], "--on", "2024-01-12")
    assert planned == {"invoice": "INV-1001", "send_on": "2024-01-12", "state": "planned"}
    for key, value in (("dunning_levels", "7,15,30"), ("late_fee_rate", "13.15"), ("late_fee_fixed", "40"),
                       ("send_on_finalize", "true")):
        assert cli.ok("settings", "set", key, value)["new"] == (True if value == "true" else value)
    assert cli("settings", "set", "dunning_levels", "30,7").code == 2
    res = cli("run-due", "--as-of", "2024-01-12")  # no From address: said, exit 1, nothing sent
    assert res.code == 1 and "not done: INV-1001: not sent: There is no From address" in res.err, res.err
    cli.ok("settings", "set", "default_from_address", "billing@example.com")
    # no mail server: the email stays queued in the outbox, exit 4
    res = cli("run-due", "--as-of", "2024-01-12")
    assert res.code == 4, res.err
    assert res.data["sends"][0]["invoice_number"] == "INV-1001"
    assert "wait in the outbox" in res.err
