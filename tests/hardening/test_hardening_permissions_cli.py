"""R17 through the CLI (issue 8): every action the CLI offers × every permission set. Nothing beyond
a user's permissions succeeds (exit 1, a sentence naming the missing permission, the database
unchanged — a dump of every table compared), everything within them does (exit 0).

The same matrix through the services, on SQLite and PostgreSQL, is tests/domain/test_rules_permissions.py;
actions without a CLI command (edit contact, notes and tasks) are covered there only.
"""

from __future__ import annotations

import itertools

import pytest

from invoice_tui.db import database
from invoice_tui.db.models import Reminder
from invoice_tui.domain import invoices, payments, people
from invoice_tui.domain.permissions import ACTION_PERMISSION
from invoice_tui.domain.workspace import open_workspace, set_setting
from hardkit import Cli, dump

PERMISSION_SETS = ("unknown", "view", "create", "edit", "delete", "super_admin")
_seq = itertools.count(1)


def _draft(a, b):
    return invoices.create_invoice(a, {"currency": "EUR", "contact_id": b.id,
                                       "lines": [{"name": "Work", "quantity": "1", "unit_price": "100"}]})


def _open(a, b, **kw):
    inv = _draft(a, b)
    if kw:
        invoices.edit_invoice(a, inv.id, kw)
    return invoices.finalize_invoice(a, inv.id)


def _partially_paid(a, b):
    inv = _open(a, b, allow_partial=True)
    return payments.record_payment(a, inv.id, {"amount": "10"}).payment


def _online(a, b):
    inv = _open(a, b)
    p = payments.add_payment(a, {"amount": "100", "currency": "EUR", "source": "online", "state": "processing"})
    payments.apply_payment(a, p.id, inv.id)
    return p


def _open_with_credit(a, b):
    """An open invoice of 100 whose customer has 100 of credit (another invoice overpaid)."""
    payments.record_payment(a, _open(a, b).id, {"amount": "200", "overpay": True})
    return _open(a, b)


def _planned_reminder(a, b):
    inv = _open(a, b)
    return Reminder.select().where((Reminder.invoice == inv) & (Reminder.state == "planned")).first()


# action (as in permissions.ACTION_PERMISSION) → setup(admin, buyer) returning the CLI arguments
CLI_ACTIONS = {
    "view": lambda a, b: ["invoices", "list"],
    "create_draft": lambda a, b: ["invoices", "create", "--currency", "EUR", "--title", "x"],
    "clone": lambda a, b: ["invoices", "clone", str(_open(a, b).id)],
    "add_contact": lambda a, b: ["contacts", "add", "--email", f"p{next(_seq)}@example.com"],
    "add_company": lambda a, b: ["companies", "add", "--name", f"Initech {next(_seq)}"],
    "delete_contact": lambda a, b: ["contacts", "delete",
                                    people.add_contact(a, {"email": f"d{next(_seq)}@example.com"}).email],
    "delete_company": lambda a, b: ["companies", "delete", str(people.add_company(a, {"name": "Initrode"}).id)],
    "edit": lambda a, b: ["invoices", "edit", str(_draft(a, b).id), "--title", "Edited"],
    "finalize": lambda a, b: ["invoices", "finalize", str(_draft(a, b).id)],
    "record_payment": lambda a, b: ["payments", "record", str(_open(a, b).id), "--amount", "100"],
    "add_payment": lambda a, b: ["payments", "add", "--amount", "5", "--currency", "EUR"],
    "apply_payment": lambda a, b: ["payments", "apply", str(payments.add_payment(a, {"amount": "100",
                                                                                      "currency": "EUR"}).id),
                                   str(_open(a, b).id)],
    "delete_payment": lambda a, b: ["payments", "delete", str(_partially_paid(a, b).id)],
    "update_payment_state": lambda a, b: ["payments", "set-state", str(_online(a, b).id), "failed"],
    "send": lambda a, b: ["invoices", "send", str(_open(a, b).id)],
    "reminders": lambda a, b: ["reminders", "delete", str(_planned_reminder(a, b).id)],
    "void": lambda a, b: ["invoices", "void", str(_open(a, b).id)],
    "delete_draft": lambda a, b: ["invoices", "delete", str(_draft(a, b).id)],
    # R42: edit creates and issues credit notes; R40: applies and refunds customer credit
    "credit_note": lambda a, b: ["credit-notes", "create", str(_open(a, b).id), "--full", "--reason", "r"],
    "apply_credit": lambda a, b: ["credits", "apply", str(_open_with_credit(a, b).id), "--amount", "100"],
    "refund": lambda a, b: ["credits", "refund", "--contact", _open_with_credit(a, b).contact_email, "--currency",
                            "EUR", "--amount", "1", "--method", "cash"],
    "delete_finalized": lambda a, b: ["invoices", "delete", str(_open(a, b).id)],
    "settings": lambda a, b: ["settings", "set", "seller_name", f"Seller {next(_seq)}"],
    "users": lambda a, b: ["users", "add", f"user{next(_seq)}"],
    "grant": lambda a, b: ["users", "grant", "user0", "view,edit"],
    # R49: a recurring schedule from an invoice
    "schedules": lambda a, b: ["recurring", "create", "--from", str(_draft(a, b).id), "--every", "1m", "--start",
                               "2026-04-01"],
}
NEEDS = {**ACTION_PERMISSION, "grant": "super_admin"}
NO_CLI_COMMAND = {"edit_contact", "activity", "reset_counter",
                  "audit_screen"}  # the TUI's audit; the CLI's audit verify needs only view (tested there)


def test_r17_every_action_has_a_cli_row_or_a_reason():
    assert set(CLI_ACTIONS) | NO_CLI_COMMAND == set(ACTION_PERMISSION) | {"grant"}


def test_r17_permission_matrix_through_the_cli(sqlite_url, capsys, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("INVOICE_TUI_MAIL_URL", f"maildir:{tmp_path / 'mail'}")
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    admin = ws.context("alice", source="test", now=clock)
    buyer = people.add_contact(admin, {"email": "ada@example.com", "first_name": "Ada"})
    set_setting(admin, "allow_delete_unpaid", "true")
    set_setting(admin, "default_from_address", "billing@seller.example")
    people.add_user(admin, "user0", permissions="view")
    logins = {"unknown": "mallory"}
    for perms in PERMISSION_SETS[1:]:
        people.add_user(admin, f"as_{perms}", permissions=perms)
        logins[perms] = f"as_{perms}"
    cli = Cli(sqlite_url, capsys)
    outcome = {}
    for action, setup in CLI_ACTIONS.items():
        argv = setup(admin, buyer)
        for who in PERMISSION_SETS:
            allowed = who == "super_admin" or who == NEEDS[action] or NEEDS[action] == "view"
            before = None if allowed else dump(database.obj)
            res = cli(*argv, user=logins[who])
            if allowed:
                assert res.code == 0, (action, who, res.err)
                outcome[action, who] = "allowed"
                argv = setup(admin, buyer)  # fresh objects for the next user
            else:
                assert res.code == 1, (action, who, res.code, res.err)
                assert ("not a user of this workspace" in res.err if who == "unknown"
                        else f"lacks the '" in res.err), (action, who, res.err)
                assert dump(database.obj) == before, f"{who} was refused {action} but something was written"
                outcome[action, who] = "denied"
    allowed = {who: sorted(a for a in CLI_ACTIONS if outcome[a, who] == "allowed") for who in PERMISSION_SETS}
    assert allowed["unknown"] == allowed["view"] == ["view"]
    assert allowed["create"] == ["add_company", "add_contact", "clone", "create_draft", "view"]
    assert allowed["delete"] == ["delete_finalized", "view"]
    assert allowed["super_admin"] == sorted(CLI_ACTIONS)
    ws.db.close()
