"""Issue 28: ``reminders run`` is the older name of ``run-due`` (the whole job, its exit codes),
and the dunning templates (R51) are set with ``settings set``, as a user runs them."""

from __future__ import annotations

from tests.cli.test_r49_r51_cli import _template


def test_r49_reminders_run_creates_the_due_recurring_invoice(any_cli, monkeypatch):
    monkeypatch.setenv("INVOICE_TUI_TODAY", "2024-01-10")
    inv = _template(any_cli)
    any_cli.ok("recurring", "create", "--from", str(inv["id"]), "--every", "1m", "--day", "last", "--start",
               "2024-01-10")
    dry = any_cli.ok("reminders", "run", "--as-of", "2024-02-01", "--dry-run")
    assert [p["period"] for p in dry["schedules"]] == ["2024-01-31"]
    assert any_cli.ok("recurring", "show", "1")["runs"] == []  # the dry run wrote nothing
    res = any_cli("reminders", "run", "--as-of", "2024-02-01")
    assert res.code == 0, res.err
    made = res.data["schedules"]
    assert [p["period"] for p in made] == ["2024-01-31"] and made[0]["invoice_id"]
    assert set(res.data) >= {"sent", "queued", "skipped", "retried", "dunning", "sends"}  # older keys kept
    assert any_cli.ok("invoices", "show", str(made[0]["invoice_id"]))["origin"] == "subscription"
    assert [r["period"] for r in any_cli.ok("recurring", "show", "1")["runs"]] == ["2024-01-31"]
    again = any_cli("reminders", "run", "--as-of", "2024-02-01")  # never twice
    assert again.code == 0 and again.data["schedules"] == []


def test_r49_reminders_run_exit_codes_as_run_due(cli, monkeypatch):
    monkeypatch.setenv("INVOICE_TUI_TODAY", "2024-01-10")
    inv = _template(cli)
    cli.ok("recurring", "create", "--from", str(inv["id"]), "--every", "1m", "--start", "2024-01-10",
           "--mode", "send")
    res = cli("reminders", "run", "--as-of", "2024-01-10")  # no From address: the email cannot be sent
    assert res.code == 1 and "not done" in res.err, res.err
    cli.ok("settings", "set", "default_from_address", "billing@example.com")
    res = cli("reminders", "run", "--as-of", "2024-02-10")  # no mail server: queued in the outbox
    assert res.code == 4 and "wait in the outbox" in res.err, res.err
    assert [p["period"] for p in res.data["schedules"]] == ["2024-02-10"]


def test_r51_dunning_template_set_from_the_cli(cli):
    res = cli.ok("settings", "set", "dunning_2_body_fr", "Bonjour {contact_name},\\n\\nFacture {number}.\\n")
    assert res["new"] == "Bonjour {contact_name},\n\nFacture {number}.\n"
    shown = cli.ok("settings", "show", as_json=False)
    assert "Bonjour {contact_name},\\n\\nFacture {number}.\\n" in shown
    assert "Deuxième relance : facture {number} en retard de {days} jours" in shown  # the default, shown
    bad = cli("settings", "set", "dunning_2_subject_fr", "Relance {numero}")
    assert bad.code == 2 and "dunning_2_subject_fr: {numero} is not a placeholder" in bad.err, bad.err
    assert cli.ok("settings", "show")["dunning_2_subject_fr"] == "Deuxième relance : facture {number} en retard de {days} jours"
