"""Errors as data, rendered by the CLI: the domain's sentence, then the CLI's own remedy looked up by
the error's code, on stderr with the class's exit code (R2, R8, R17)."""

from __future__ import annotations

import pytest

from invoice_tui.cli._common import CLI_REMEDIES, error_text
from invoice_tui.domain import invoices, payments
from invoice_tui.domain.errors import NotFound, RuleRefused
from invoice_tui.domain.workspace import open_workspace


def test_r2_finalize_without_contact_prints_the_cli_remedy_and_exit_1(cli):
    draft = cli.ok("invoices", "create", "--currency", "EUR", "--line", "Work;1;10")
    res = cli("invoices", "finalize", str(draft["id"]))
    assert res.code == 1
    assert res.err.strip() == "invoice-tui: Finalizing needs a billing contact (R2); set one with --contact EMAIL."
    assert "ctrl+b" not in res.err  # the TUI's remedy stays in the TUI


def test_r8_over_balance_is_a_value_with_code_fields_and_details(sqlite_url, clock):
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    ctx = ws.context("alice", source="test", now=clock)
    from invoice_tui.domain import people

    c = people.add_contact(ctx, {"email": "bob@example.com"})
    inv = invoices.create_invoice(ctx, {"currency": "EUR", "contact_id": c.id,
                                        "lines": [{"name": "Work", "quantity": "1", "unit_price": "100"}]})
    inv = invoices.finalize_invoice(ctx, inv.id)
    with pytest.raises(RuleRefused) as info:
        payments.record_payment(ctx, inv.id, {"amount": "150"})
    err = info.value
    assert (err.code, err.fields, err.field, err.exit_code) == ("payment.over_balance", ("amount",), "amount", 1)
    assert err.details == {"amount_minor": 15000, "balance_minor": 10000, "currency": "EUR"}
    assert err.as_dict()["code"] == "payment.over_balance"
    assert "invoice-tui" not in err.message and "--" not in err.message  # no face's remedy in the sentence
    ws.db.close()


def test_remedies_are_looked_up_by_code_and_filled_from_details():
    err = NotFound("No contact with the email zoe@example.com.", code="contact.not_found",
                   details={"email": "zoe@example.com"})
    assert error_text(err) == ("invoice-tui: No contact with the email zoe@example.com; add it with: "
                               "invoice-tui contacts add --email zoe@example.com")
    plain = RuleRefused("Nothing to do.")  # a code without a CLI remedy: the sentence alone
    assert plain.code == "rule.refused" and plain.code not in CLI_REMEDIES
    assert error_text(plain) == "invoice-tui: Nothing to do."


def test_r17_permission_remedy_names_the_user_and_the_permission(cli):
    cli.ok("users", "add", "eve", "--permissions", "view")
    res = cli("invoices", "create", "--currency", "EUR", user="eve")
    assert res.code == 1
    assert res.err.strip().endswith("a super admin can grant it with: invoice-tui users grant eve create")
