"""R17: the permission map, enforced by the services (so by every entry point), on SQLite and
PostgreSQL. Every action is tried with every permission set; a refusal writes nothing."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from invoice_tui.db.models import Reminder, User
from invoice_tui.domain import audit, credit, invoices, payments, people, recurring
from invoice_tui.domain.errors import BadInput, PermissionDenied, RuleRefused
from invoice_tui.domain.permissions import ACTION_PERMISSION, parse_permissions
from invoice_tui.domain.workspace import set_setting
from rulekit import census, make_draft, make_open, make_user

PERMISSION_SETS = ("unknown", "view", "create", "edit", "delete", "super_admin")
_seq = itertools.count(1)


def _email() -> str:
    return f"person{next(_seq)}@example.com"


def _open_with_credit(admin, buyer):
    """An open invoice of 100 whose customer has 100 of credit (an overpayment of another invoice)."""
    payments.record_payment(admin, make_open(admin, buyer).id, {"amount": "200", "overpay": True})
    return make_open(admin, buyer)


def _open_with_payment(admin, buyer):
    inv = make_open(admin, buyer, allow_partial=True)
    return payments.record_payment(admin, inv.id, {"amount": "10"}).payment


def _online(admin, buyer):
    inv = make_open(admin, buyer)
    p = payments.add_payment(admin, {"amount": "100", "currency": "EUR", "source": "online", "state": "processing"})
    payments.apply_payment(admin, p.id, inv.id)
    return p


# action id (as in permissions.ACTION_PERMISSION) → setup(admin, buyer) returning call(ctx).
# Setups run as the super admin; the call runs as the user under test.
ACTIONS = {
    "view": lambda a, b: (lambda ctx: [invoices.invoice_record(i, ctx.today())
                                       for i in invoices.query_invoices(ctx, sort="number")]),
    "create_draft": lambda a, b: (lambda ctx: invoices.create_invoice(ctx, {"currency": "EUR"})),
    "clone": lambda a, b: (lambda inv: lambda ctx: invoices.clone_invoice(ctx, inv.id))(make_open(a, b)),
    "add_contact": lambda a, b: (lambda ctx: people.add_contact(ctx, {"email": _email()})),
    "add_company": lambda a, b: (lambda ctx: people.add_company(ctx, {"name": "Initech"})),
    "edit_contact": lambda a, b: (lambda ctx: people.edit_contact(ctx, b.id, {"phone": str(next(_seq))})),
    "delete_contact": lambda a, b: (lambda c: lambda ctx: people.delete_contact(ctx, c.id))(
        people.add_contact(a, {"email": _email()})),
    "delete_company": lambda a, b: (lambda c: lambda ctx: people.delete_company(ctx, c.id))(
        people.add_company(a, {"name": "Initrode"})),
    "edit": lambda a, b: (lambda inv: lambda ctx: invoices.edit_invoice(ctx, inv.id, {"title": "Edited"}))(
        make_draft(a, b)),
    "finalize": lambda a, b: (lambda inv: lambda ctx: invoices.finalize_invoice(ctx, inv.id))(make_draft(a, b)),
    "record_payment": lambda a, b: (lambda inv: lambda ctx: payments.record_payment(ctx, inv.id, {"amount": "100"}))(
        make_open(a, b)),
    "add_payment": lambda a, b: (lambda ctx: payments.add_payment(ctx, {"amount": "5", "currency": "EUR"})),
    "apply_payment": lambda a, b: (lambda inv, p: lambda ctx: payments.apply_payment(ctx, p.id, inv.id))(
        make_open(a, b), payments.add_payment(a, {"amount": "100", "currency": "EUR"})),
    "delete_payment": lambda a, b: (lambda p: lambda ctx: payments.delete_payment(ctx, p.id))(
        _open_with_payment(a, b)),
    "update_payment_state": lambda a, b: (lambda p: lambda ctx: payments.set_payment_state(ctx, p.id, "failed"))(
        _online(a, b)),
    "reminders": lambda a, b: (lambda inv: lambda ctx: invoices.delete_reminder(
        ctx, Reminder.select().where((Reminder.invoice == inv) & (Reminder.state == "planned")).first().id))(
        make_open(a, b)),
    "activity": lambda a, b: (lambda inv: lambda ctx: (invoices.add_note(ctx, inv.id, "note"),
                                                       invoices.complete_task(ctx, invoices.add_task(ctx, inv.id,
                                                                                                     "task").id)))(
        make_draft(a, b)),
    "void": lambda a, b: (lambda inv: lambda ctx: invoices.void_invoice(ctx, inv.id))(make_open(a, b)),
    "delete_draft": lambda a, b: (lambda inv: lambda ctx: invoices.delete_invoice(ctx, inv.id))(make_draft(a, b)),
    # R42: edit creates and issues credit notes; R40: applies and refunds customer credit
    "credit_note": lambda a, b: (lambda inv: lambda ctx: credit.create_credit_note(ctx, inv.id, reason="r",
                                                                                    full=True))(make_open(a, b)),
    "apply_credit": lambda a, b: (lambda inv: lambda ctx: credit.apply_credit(ctx, inv.id, "100"))(
        _open_with_credit(a, b)),
    "refund": lambda a, b: (lambda inv: lambda ctx: credit.refund_credit(ctx, credit.customer_of(inv), "EUR", "1"))(
        _open_with_credit(a, b)),
    "delete_finalized": lambda a, b: (lambda inv: lambda ctx: invoices.delete_invoice(ctx, inv.id))(
        make_open(a, b)),
    "settings": lambda a, b: (lambda ctx: set_setting(ctx, "seller_name", f"Seller {next(_seq)}")),
    "users": lambda a, b: (lambda ctx: people.add_user(ctx, f"user{next(_seq)}", permissions="view")),
    # The counter may only be reset while no invoice exists (R3): a super admin hears that rule.
    "reset_counter": lambda a, b: (lambda ctx: set_setting(ctx, "next_number", "2000")),
    "audit_screen": lambda a, b: (lambda ctx: audit.run_for(ctx)),  # the TUI's audit (R54)
    # R49: making (and pausing, resuming, deleting) a recurring schedule
    "schedules": lambda a, b: (lambda inv: lambda ctx: recurring.create_schedule(ctx, recurring.ScheduleInput(
        template=inv.id, every="1m", start=dt.date(2026, 4, 1))))(make_draft(a, b)),
}
ALSO_SUPER_ADMIN_ONLY = {"grant": lambda a, b: (lambda ctx: people.grant(ctx, _a_plain_user(), "view,edit"))}
# Actions whose service lives in another package (mail): their permission is checked there.
ELSEWHERE = {"send"}


def _a_plain_user() -> str:
    return User.select().where(User.login.startswith("user")).order_by(User.id).first().login


def _allowed(perms: str, needed: str) -> bool:
    return "super_admin" in perms.split(",") or needed in perms.split(",")


def test_r17_every_action_is_in_the_map():
    assert set(ACTIONS) | ELSEWHERE == set(ACTION_PERMISSION)


def test_r17_permission_map(ws, admin, buyer):
    set_setting(admin, "allow_delete_unpaid", "true")
    people.add_user(admin, "user0", permissions="view")
    actors = {"unknown": ws.context("mallory", source="test", now=admin.now)}
    for name in PERMISSION_SETS[1:]:
        actors[name] = make_user(ws, admin, f"as_{name}", name)
    assert actors["unknown"].user is None
    table = {**ACTIONS, **ALSO_SUPER_ADMIN_ONLY}
    outcome: dict[tuple[str, str], str] = {}
    for action, setup in table.items():
        needed = ACTION_PERMISSION.get(action, "super_admin")
        call = setup(admin, buyer)
        for who in PERMISSION_SETS:
            ctx = actors[who]
            perms = ctx.user.permissions if ctx.user else "view"
            before = census()
            try:
                call(ctx)
            except PermissionDenied as exc:
                outcome[action, who] = "denied"
                assert census() == before, f"{who} was refused {action} but something was written"
                if who == "unknown":
                    assert "not a user of this workspace" in exc.message
                    assert exc.code == "permission.not_a_user"
                else:  # the error names who lacks what; each face says how to grant it
                    assert exc.code == "permission.denied" and exc.details["login"] == ctx.login
                continue
            except RuleRefused:
                assert action == "reset_counter", (action, who)
                outcome[action, who] = "allowed"
                assert census() == before
                continue
            outcome[action, who] = "allowed"
            call = setup(admin, buyer)  # the call changed things: fresh objects for the next one
        for who in PERMISSION_SETS:
            perms = actors[who].user.permissions if actors[who].user else "view"
            expected = "allowed" if _allowed(perms, needed) else "denied"
            assert outcome[action, who] == expected, (action, who, needed)
    # The map in words (SPEC R17).
    allowed = {who: sorted(a for a in table if outcome[a, who] == "allowed") for who in PERMISSION_SETS}
    assert allowed["unknown"] == allowed["view"] == ["view"]
    assert allowed["create"] == ["add_company", "add_contact", "clone", "create_draft", "view"]
    assert allowed["edit"] == sorted(["view", "edit_contact", "delete_contact", "delete_company", "edit", "finalize",
                                      "record_payment", "add_payment", "apply_payment", "delete_payment",
                                      "update_payment_state", "reminders", "activity", "void", "delete_draft",
                                      "credit_note", "apply_credit", "refund", "schedules"])  # R40, R42, R49
    assert allowed["delete"] == ["delete_finalized", "view"]
    assert allowed["super_admin"] == sorted(table)


def test_r17_first_user_is_super_admin_and_unknown_user_writes_nothing(ws, admin, buyer):
    assert set(admin.user.permissions.split(",")) == {"view", "create", "edit", "delete", "super_admin"}
    inv = make_open(admin, buyer)
    stranger = ws.context("mallory", source="test", now=admin.now)
    assert stranger.user is None and User.get_or_none(User.login == "mallory") is None
    before = census()
    people.set_preference(stranger, "export_folder", "/tmp")  # silently kept nowhere
    assert people.preference(stranger, "export_folder", "none") == "none"
    assert [i.id for i in invoices.query_invoices(stranger)] == [inv.id]
    assert invoices.activities(inv.id) and invoices.property_history(inv.id)
    assert not any(a.enabled for a in invoices.available_actions(stranger, inv)
                   if a.id in ("edit", "record_payment", "void", "delete", "clone"))
    assert census() == before


def test_r17_permissions_are_validated(ws, admin):
    assert parse_permissions("edit, Super-Admin") == "view,edit,super_admin"
    with pytest.raises(BadInput, match="Unknown permission 'owner'"):
        parse_permissions("view,owner")
    before = census()
    with pytest.raises(BadInput):
        people.add_user(admin, "zed", permissions="root")
    with pytest.raises(RuleRefused, match="last super admin"):
        people.grant(admin, "alice", "view")
    assert census() == before
