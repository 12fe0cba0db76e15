"""R1–R7 and R12–R16 through the invoice services, on SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import datetime as dt

import pytest

from invoice_tui.db.models import Activity, Invoice, LineItem, Payment, Reminder
from invoice_tui.domain import history, invoices, payments, people
from invoice_tui.domain.errors import BadInput, Conflict, PermissionDenied, RuleRefused
from invoice_tui.domain.workspace import set_setting
from rulekit import census, line, make_draft, make_open, make_user, race, reload

TODAY = dt.date(2026, 3, 16)


def activity_kinds(inv) -> list[str]:
    return [a.kind for a in reversed(invoices.activities(inv.id))]


# ---- R1 --------------------------------------------------------------------------------------
def test_r1_draft_needs_only_a_currency(ws, admin):
    inv = invoices.create_invoice(admin, {"currency": "eur"})
    inv = reload(inv)
    assert (inv.status, inv.currency, inv.number, inv.link_token) == ("draft", "EUR", None, None)
    assert inv.billing_contact_id is None and inv.billed_minor == 0
    assert inv.invoice_date == TODAY and inv.due_date == TODAY + dt.timedelta(days=30)
    assert inv.owner_id == admin.user.id
    assert activity_kinds(inv) == ["created"]


@pytest.mark.parametrize("data", [{}, {"currency": ""}, {"currency": "XYZ"}, {"title": "No currency"}])
def test_r1_draft_without_a_currency_is_refused(ws, admin, data):
    before = census()
    with pytest.raises(BadInput) as exc:
        invoices.create_invoice(admin, data)
    assert "currency" in str(exc.value).lower()
    assert census() == before


# ---- R2 --------------------------------------------------------------------------------------
def test_r2_finalize_needs_billing_contact(ws, admin):
    inv = make_draft(admin)
    before = census()
    with pytest.raises(RuleRefused, match="billing contact"):
        invoices.finalize_invoice(admin, inv.id)
    assert census() == before
    assert reload(inv).status == "draft"


def test_r2_finalize_needs_a_line_item(ws, admin, buyer):
    inv = make_draft(admin, buyer, lines=[])
    before = census()
    with pytest.raises(RuleRefused, match="line item"):
        invoices.finalize_invoice(admin, inv.id)
    assert census() == before


def test_r2_finalize_needs_amount_billed_of_zero_or_more(ws, admin, buyer):
    """R2 as R35 amends it: a negative draft is refused (a credit note's job); 0 may be finalized."""
    inv = make_draft(admin, buyer, lines=[line(qty="-1", price="10")])
    inv2 = make_draft(admin, buyer, lines=[line(price="10")], discounts=[{"value": "10.01"}])
    before = census()
    for draft in (inv, inv2):
        with pytest.raises(RuleRefused, match="0 or more"):
            invoices.finalize_invoice(admin, draft.id)
    assert reload(inv).status == "draft" and reload(inv2).status == "draft"
    assert census() == before
    zero = make_draft(admin, buyer, lines=[line(price="10", discount="100", percent=True)])
    assert invoices.finalize_invoice(admin, zero.id).number == "INV-1001"


def test_r2_finalize_freezes_currency_number_and_creates_link(ws, admin, buyer):
    inv = invoices.finalize_invoice(admin, make_draft(admin, buyer).id)
    inv = reload(inv)
    assert (inv.status, inv.number, inv.number_seq) == ("open", "INV-1001", 1001)
    assert inv.link_token and len(inv.link_token) >= 24
    assert inv.finalized_at is not None
    set_setting(admin, "allow_edit_finalized", "true")
    before = census()
    with pytest.raises(RuleRefused, match="currency"):
        invoices.edit_invoice(admin, inv.id, {"currency": "USD"})
    assert census() == before
    with pytest.raises(RuleRefused, match="already finalized"):
        invoices.finalize_invoice(admin, inv.id)
    assert reload(inv).number == "INV-1001"


def test_r2_draft_may_change_currency_until_finalized(ws, admin, buyer):
    """The figures stay as typed; a figure the new currency cannot hold is refused (nothing changes).
    A unit price has up to 6 decimals whatever the currency (R35); a fixed fee has the currency's."""
    inv = make_draft(admin, buyer, lines=[line(price="12.50")], fees=[{"value": "2.50", "label": "Fee"}])
    before = census()
    with pytest.raises(BadInput, match="JPY amounts have no decimals"):
        invoices.edit_invoice(admin, inv.id, {"currency": "JPY"})
    assert census() == before
    invoices.edit_invoice(admin, inv.id, {"currency": "KWD"})
    inv = reload(inv)
    assert (inv.currency, inv.exponent, inv.billed_minor) == ("KWD", 3, 15000)
    assert LineItem.get(LineItem.invoice == inv).unit_price_micro == 12_500_000
    invoices.edit_invoice(admin, inv.id, {"currency": "JPY", "lines": [line(price="1200")], "fees": [{"value": "2"}]})
    inv = reload(inv)
    assert (inv.currency, inv.exponent, inv.billed_minor) == ("JPY", 0, 1202)


# ---- R3 --------------------------------------------------------------------------------------
def test_r3_numbers_strictly_increasing_in_finalize_order(ws, admin, buyer):
    drafts = [make_draft(admin, buyer) for _ in range(4)]
    order = [drafts[2], drafts[0], drafts[3], drafts[1]]
    numbers = [invoices.finalize_invoice(admin, d.id).number for d in order]
    assert numbers == ["INV-1001", "INV-1002", "INV-1003", "INV-1004"]


def test_r3_numbers_never_reused_after_delete(ws, admin, buyer):
    set_setting(admin, "allow_delete_unpaid", "true")
    a = make_open(admin, buyer)
    b = make_open(admin, buyer)
    assert (a.number, b.number) == ("INV-1001", "INV-1002")
    invoices.delete_invoice(admin, b.id)  # the highest number goes: still never reused
    invoices.delete_invoice(admin, a.id)
    c = make_open(admin, buyer)
    assert c.number == "INV-1003"
    assert Invoice.select().where(Invoice.number.in_(["INV-1001", "INV-1002"])).count() == 0
    # The deleted numbers stay in history (the permanent gap is explainable).
    assert ("INV-1002", None) in [(e.old_value, e.new_value) for e in history.entries("invoice", b.id, "number")]


def test_r3_reset_counter_only_when_no_invoice(ws, admin, buyer):
    d = make_draft(admin, buyer)  # even a draft counts as "an invoice exists"
    before = census()
    with pytest.raises(RuleRefused, match="no invoice"):
        set_setting(admin, "next_number", "5000")
    assert census() == before
    invoices.delete_invoice(admin, d.id)
    editor = make_user(ws, admin, "erin", "edit,create,delete")
    with pytest.raises(PermissionDenied):
        set_setting(editor, "next_number", "5000")
    old, new = set_setting(admin, "next_number", "5000")
    assert (old, new) == (1001, 5000)
    assert make_open(admin, buyer).number == "INV-5000"
    with pytest.raises(RuleRefused):
        set_setting(admin, "next_number", "1")
    with pytest.raises(BadInput):
        set_setting(admin, "next_number", "0")


def test_r3_prefix_change_keeps_the_counter(ws, admin, buyer):
    assert make_open(admin, buyer).number == "INV-1001"
    set_setting(admin, "number_prefix", "F-")
    assert invoices.preview_number() == "F-1002"
    assert make_open(admin, buyer).number == "F-1002"


def test_r3_draft_edited_while_finalizing_is_written_from_its_new_version(ws, admin, buyer):
    """Finalize reads and checks outside the write lock; an edit that lands in between makes its
    conditional write miss, which rolls back the number it took (no gap) and changes nothing."""
    from invoice_tui.db import write_tx
    from invoice_tui.domain.settings import next_number

    draft = make_draft(admin, buyer)
    plan = invoices._plan_finalize(admin, draft.id, None)
    invoices.edit_invoice(admin, draft.id, {"lines": [line("Changed", "2", "30")]})
    before = census()
    with pytest.raises(invoices._DraftChanged):
        with write_tx():
            invoices._write_finalize(admin, plan)
    assert census() == before and next_number() == 1001
    # Through the service the draft is simply read again: its new lines are what gets finalized.
    inv = reload(invoices.finalize_invoice(admin, draft.id))
    assert (inv.number, inv.billed_minor, inv.status) == ("INV-1001", 6000, "open")
    changes = {c.property: c.new_value for c in invoices.property_history(inv.id)
               if c.property in ("number", "status")}
    assert changes == {"number": "INV-1001", "status": "open"}


def test_r3_r7_finalize_with_a_stale_version_is_a_conflict(ws, admin, buyer):
    draft = make_draft(admin, buyer)
    seen = reload(draft).version
    invoices.edit_invoice(admin, draft.id, {"title": "Edited by a teammate"})
    before = census()
    with pytest.raises(Conflict):
        invoices.finalize_invoice(admin, draft.id, expected_version=seen)
    assert census() == before


def test_r3_two_users_finalizing_one_draft_at_once_give_it_one_number(ws, admin, buyer):
    draft = make_draft(admin, buyer)
    results = race(ws, [lambda: invoices.finalize_invoice(admin, draft.id)] * 2)
    numbers = [r.number for r in results if isinstance(r, Invoice)]
    refused = [r for r in results if isinstance(r, RuleRefused)]
    assert numbers == ["INV-1001"] and len(refused) == 1
    assert reload(draft).number == "INV-1001"
    assert make_open(admin, buyer).number == "INV-1002"  # the loser gave its number back


# ---- R4 / R5 ----------------------------------------------------------------------------------
def _actions(ctx, inv):
    return {a.id: a for a in invoices.available_actions(ctx, reload(inv))}


def test_r4_draft_actions(ws, admin, buyer):
    acts = _actions(admin, make_draft(admin, buyer))
    assert list(acts) == ["edit", "finalize", "property_history", "clone", "delete"]
    assert all(a.enabled for a in acts.values())
    no_contact = _actions(admin, make_draft(admin))
    assert not no_contact["finalize"].enabled and "billing contact" in no_contact["finalize"].reason


def test_r5_actions_by_status(ws, admin, buyer):
    inv = make_open(admin, buyer, allow_partial=True)
    acts = _actions(admin, inv)
    assert list(acts) == ["edit", "record_payment", "view_invoice", "property_history", "copy_link",
                          "send_email", "download_pdf", "edit_reminders", "charge", "clone", "delete", "void",
                          "credit_note", "cancel_replace"]  # R41/R42: corrected by a credit note
    # Disabled with the reason: settings are off by default.
    assert not acts["edit"].enabled and "allow_edit_finalized" in acts["edit"].reason
    assert not acts["delete"].enabled and "allow_delete_unpaid" in acts["delete"].reason
    assert acts["void"].enabled and acts["record_payment"].enabled
    payments.record_payment(admin, inv.id, {"amount": "40"})
    acts = _actions(admin, inv)
    assert not acts["void"].enabled and "delete the payment" in acts["void"].reason
    payments.record_payment(admin, inv.id, {"amount": "60"})
    assert list(_actions(admin, inv)) == ["view_invoice", "property_history", "copy_link", "send_email",
                                          "download_pdf", "clone", "credit_note", "cancel_replace"]
    voided = make_open(admin, buyer)
    invoices.void_invoice(admin, voided.id)
    assert list(_actions(admin, voided)) == ["view_invoice", "property_history", "copy_link", "download_pdf",
                                             "clone"]


def test_r5_actions_disabled_by_permission(ws, admin, buyer):
    inv = make_open(admin, buyer)
    viewer = make_user(ws, admin, "vic", "view")
    acts = _actions(viewer, inv)
    for action in ("edit", "record_payment", "send_email", "edit_reminders", "clone", "delete", "void"):
        assert not acts[action].enabled, action
        assert acts[action].reason, action
    for action in ("record_payment", "send_email", "edit_reminders", "clone", "void"):
        assert "permission" in acts[action].reason, action
    for action in ("view_invoice", "property_history", "copy_link", "download_pdf"):
        assert acts[action].enabled


# ---- R6 ---------------------------------------------------------------------------------------
def test_r6_edit_finalized_needs_setting_and_permission(ws, admin, buyer):
    inv = make_open(admin, buyer)
    before = census()
    with pytest.raises(RuleRefused, match="allow_edit_finalized"):
        invoices.edit_invoice(admin, inv.id, {"comments": "new"})
    assert census() == before
    set_setting(admin, "allow_edit_finalized", "true")
    creator = make_user(ws, admin, "cody", "create")
    before = census()
    with pytest.raises(PermissionDenied):
        invoices.edit_invoice(creator, inv.id, {"comments": "new"})
    assert census() == before
    editor = make_user(ws, admin, "erin", "edit")
    res = invoices.edit_invoice(editor, inv.id, {"comments": "Thanks!"})
    assert res.changed == ["comments"] and res.offer_notify
    assert reload(inv).number == "INV-1001" and reload(inv).currency == "EUR"


def test_r6_edit_refused_after_succeeded_payment(ws, admin, buyer):
    set_setting(admin, "allow_edit_finalized", "true")
    inv = make_open(admin, buyer, allow_partial=True)
    payments.record_payment(admin, inv.id, {"amount": "10"})
    before = census()
    with pytest.raises(RuleRefused, match="R6"):
        invoices.edit_invoice(admin, inv.id, {"comments": "too late"})
    assert census() == before


def test_r6_edit_refused_after_refunded_online_payment(ws, admin, buyer):
    set_setting(admin, "allow_edit_finalized", "true")
    inv = make_open(admin, buyer, allow_partial=True)
    p = payments.add_payment(admin, {"amount": "30", "currency": "EUR", "source": "online", "state": "processing"})
    payments.apply_payment(admin, p.id, inv.id)
    payments.set_payment_state(admin, p.id, "succeeded")
    payments.set_payment_state(admin, p.id, "refunded")
    assert reload(inv).balance_minor == 10000
    with pytest.raises(RuleRefused, match="R6"):
        invoices.edit_invoice(admin, inv.id, {"comments": "x"})


def test_r6_edit_refused_for_subscription_invoices(ws, admin, buyer):
    set_setting(admin, "allow_edit_finalized", "true")
    inv = make_open(admin, buyer, origin="subscription")
    with pytest.raises(RuleRefused, match="subscription"):
        invoices.edit_invoice(admin, inv.id, {"comments": "x"})


def test_r6_edit_keeps_the_invoice_finalizable(ws, admin, buyer):
    set_setting(admin, "allow_edit_finalized", "true")
    inv = make_open(admin, buyer)
    before = census()
    with pytest.raises(RuleRefused, match="line item"):
        invoices.edit_invoice(admin, inv.id, {"lines": []})
    assert census() == before


def test_r6_due_date_change_replans_reminders(ws, admin, buyer):
    set_setting(admin, "allow_edit_finalized", "true")
    inv = make_open(admin, buyer)
    due = TODAY + dt.timedelta(days=30)
    assert [(r.offset_days, r.due_on) for r in invoices.upcoming_reminders(inv)] == [
        (-3, due - dt.timedelta(days=3)), (0, due), (7, due + dt.timedelta(days=7))]
    on_due = Reminder.get((Reminder.invoice == inv) & (Reminder.offset_days == 0))
    invoices.delete_reminder(admin, on_due.id)
    new_due = TODAY + dt.timedelta(days=45)
    res = invoices.edit_invoice(admin, inv.id, {"due_date": new_due})
    assert res.changed == ["due_date"]
    assert [(r.offset_days, r.due_on) for r in invoices.upcoming_reminders(inv)] == [
        (-3, new_due - dt.timedelta(days=3)), (7, new_due + dt.timedelta(days=7))]
    assert Reminder.get_by_id(on_due.id).state == "deleted"  # deleted ones stay deleted
    # A due date moved so that a reminder would lie in the past: that one is not planned.
    invoices.edit_invoice(admin, inv.id, {"due_date": TODAY + dt.timedelta(days=1)})
    assert [(r.offset_days, r.due_on) for r in invoices.upcoming_reminders(inv)] == [
        (7, TODAY + dt.timedelta(days=8))]


def test_r6_finalized_invoice_keeps_a_due_date(ws, admin, buyer):
    set_setting(admin, "allow_edit_finalized", "true")
    inv = make_open(admin, buyer)
    before = census()
    with pytest.raises(BadInput, match="due date"):
        invoices.edit_invoice(admin, inv.id, {"due_date": None})
    with pytest.raises(BadInput, match="before the invoice date"):
        invoices.edit_invoice(admin, inv.id, {"due_date": TODAY - dt.timedelta(days=1)})
    assert census() == before


# ---- R7 ---------------------------------------------------------------------------------------
def _online_processing(admin, inv, amount="100"):
    p = payments.add_payment(admin, {"amount": amount, "currency": inv.currency, "source": "online",
                                     "state": "processing"})
    payments.apply_payment(admin, p.id, inv.id)
    return p


def test_r7_processing_payment_canceled_by_edit(ws, admin, buyer):
    set_setting(admin, "allow_edit_finalized", "true")
    inv = make_open(admin, buyer)
    p = _online_processing(admin, inv)
    version = reload(inv).version
    res = invoices.edit_invoice(admin, inv.id, {"comments": "New terms"}, expected_version=version)
    assert res.canceled_payments == [p.id]
    assert Payment.get_by_id(p.id).state == "canceled"
    assert "payment_canceled" in activity_kinds(inv)
    assert [e.new_value for e in history.entries("payment", p.id, "state")] == ["processing", "canceled"]
    inv = reload(inv)
    assert inv.status == "open" and inv.balance_minor == 10000


def test_r7_edit_refused_when_payment_succeeded_first(ws, admin, buyer):
    set_setting(admin, "allow_edit_finalized", "true")
    inv = make_open(admin, buyer)
    p = _online_processing(admin, inv)
    opened_version = reload(inv).version  # the editor opens the invoice …
    payments.set_payment_state(admin, p.id, "succeeded")  # … the processor reports success first
    assert reload(inv).version != opened_version
    before = census()
    with pytest.raises(Conflict, match="changed"):
        invoices.edit_invoice(admin, inv.id, {"comments": "overwrite?"}, expected_version=opened_version)
    assert census() == before  # never a silent overwrite
    inv = reload(inv)
    assert inv.status == "paid" and inv.comments == "" and Payment.get_by_id(p.id).state == "succeeded"


def test_r7_edit_and_payment_success_racing(ws, admin, buyer):
    """The editor saves while the processor reports success, at the same moment: either the edit
    wins (the payment is canceled) or the success wins (the save is refused) — never both."""
    set_setting(admin, "allow_edit_finalized", "true")
    outcomes = set()
    for _ in range(3):
        inv = make_open(admin, buyer)
        p = _online_processing(admin, inv)
        version = reload(inv).version
        edit, success = race(ws, [
            lambda: invoices.edit_invoice(admin, inv.id, {"comments": "edited"}, expected_version=version),
            lambda: payments.set_payment_state(admin, p.id, "succeeded")])
        inv, p = reload(inv), Payment.get_by_id(p.id)
        if isinstance(edit, invoices.EditResult):
            assert isinstance(success, RuleRefused), success
            assert (p.state, inv.status, inv.comments) == ("canceled", "open", "edited")
            outcomes.add("edit first")
        else:
            assert isinstance(edit, RuleRefused) and isinstance(success, Payment), (edit, success)
            assert (p.state, inv.status, inv.comments) == ("succeeded", "paid", "")
            outcomes.add("payment first")
    assert outcomes


def test_r7_stale_version_from_another_editor_is_a_conflict(ws, admin, buyer):
    inv = make_draft(admin, buyer)
    v = reload(inv).version
    invoices.edit_invoice(admin, inv.id, {"title": "First"}, expected_version=v)
    before = census()
    with pytest.raises(Conflict):
        invoices.edit_invoice(admin, inv.id, {"title": "Second"}, expected_version=v)
    assert census() == before and reload(inv).title == "First"


# ---- R12 --------------------------------------------------------------------------------------
def test_r12_delete_draft_needs_edit_permission(ws, admin, buyer):
    creator = make_user(ws, admin, "cody", "create")
    d = make_draft(creator, buyer)
    before = census()
    with pytest.raises(PermissionDenied):
        invoices.delete_invoice(creator, d.id)
    assert census() == before
    editor = make_user(ws, admin, "erin", "edit")
    assert invoices.delete_invoice(editor, d.id) == f"draft #{d.id}"
    assert not Invoice.select().where(Invoice.id == d.id).exists()


def test_r12_delete_finalized_needs_setting_and_delete_permission(ws, admin, buyer):
    inv = make_open(admin, buyer)
    before = census()
    with pytest.raises(RuleRefused, match="allow_delete_unpaid"):
        invoices.delete_invoice(admin, inv.id)
    assert census() == before
    set_setting(admin, "allow_delete_unpaid", "true")
    editor = make_user(ws, admin, "erin", "create,edit")
    before = census()
    with pytest.raises(PermissionDenied):
        invoices.delete_invoice(editor, inv.id)
    assert census() == before
    deleter = make_user(ws, admin, "dora", "delete")
    assert invoices.delete_invoice(deleter, inv.number) == "INV-1001"
    assert Invoice.select().count() == 0
    # History rows stay (R12), the chain is intact.
    assert invoices.property_history(inv.id, "status")
    assert activity_kinds(inv)[-1] == "deleted"
    assert history.verify_chain("property_change")[0] and history.verify_chain("activity")[0]


def test_r12_delete_refused_with_a_payment(ws, admin, buyer):
    set_setting(admin, "allow_delete_unpaid", "true")
    inv = make_open(admin, buyer, allow_partial=True)
    pay = payments.record_payment(admin, inv.id, {"amount": "1"}).payment
    before = census()
    with pytest.raises(RuleRefused, match="payment"):
        invoices.delete_invoice(admin, inv.id)
    assert census() == before
    payments.delete_payment(admin, pay.id)
    # A canceled online payment is still a payment on it.
    p = _online_processing(admin, inv)
    payments.set_payment_state(admin, p.id, "canceled")
    with pytest.raises(RuleRefused, match="payment"):
        invoices.delete_invoice(admin, inv.id)


def test_r12_paid_invoices_are_never_deleted(ws, admin, buyer):
    set_setting(admin, "allow_delete_unpaid", "true")
    inv = make_open(admin, buyer)
    payments.record_payment(admin, inv.id, {"amount": "100"})
    before = census()
    with pytest.raises(RuleRefused, match="never be deleted"):
        invoices.delete_invoice(admin, inv.id)
    assert census() == before


# ---- R13 --------------------------------------------------------------------------------------
def test_r13_void_is_irreversible_and_blocks_payments(ws, admin, buyer):
    set_setting(admin, "allow_edit_finalized", "true")
    inv = make_open(admin, buyer)
    assert invoices.upcoming_reminders(inv)
    invoices.void_invoice(admin, inv.id)
    assert reload(inv).status == "voided"
    assert invoices.upcoming_reminders(inv) == []
    before = census()
    with pytest.raises(RuleRefused, match="already voided"):
        invoices.void_invoice(admin, inv.id)
    with pytest.raises(RuleRefused, match="voided"):
        payments.record_payment(admin, inv.id, {"amount": "100"})
    p = payments.add_payment(admin, {"amount": "100", "currency": "EUR"})
    before = census()
    with pytest.raises(RuleRefused, match="voided"):
        payments.apply_payment(admin, p.id, inv.id)
    with pytest.raises(RuleRefused):
        invoices.edit_invoice(admin, inv.id, {"comments": "x"})
    assert census() == before


def test_r13_void_refused_after_online_payment_even_refunded(ws, admin, buyer):
    inv = make_open(admin, buyer, allow_partial=True)
    p = _online_processing(admin, inv, amount="25")
    payments.set_payment_state(admin, p.id, "succeeded")
    payments.set_payment_state(admin, p.id, "refunded")
    inv = reload(inv)
    assert inv.status == "open" and inv.balance_minor == 10000
    before = census()
    with pytest.raises(RuleRefused, match="online payment"):
        invoices.void_invoice(admin, inv.id)
    assert census() == before


def test_r13_void_refused_while_manual_payment_recorded(ws, admin, buyer):
    inv = make_open(admin, buyer, allow_partial=True)
    pay = payments.record_payment(admin, inv.id, {"amount": "20"}).payment
    with pytest.raises(RuleRefused, match="delete the payment"):
        invoices.void_invoice(admin, inv.id)
    payments.delete_payment(admin, pay.id)
    assert invoices.void_invoice(admin, inv.id).status == "voided"


def test_r13_drafts_and_paid_cannot_be_voided(ws, admin, buyer):
    with pytest.raises(RuleRefused, match="draft"):
        invoices.void_invoice(admin, make_draft(admin, buyer).id)
    inv = make_open(admin, buyer)
    payments.record_payment(admin, inv.id, {"amount": "100"})
    with pytest.raises(RuleRefused, match="paid"):
        invoices.void_invoice(admin, inv.id)


# ---- R14 --------------------------------------------------------------------------------------
def test_r14_clone_copies_content_not_identity(ws, admin, buyer, clock):
    acme = people.add_company(admin, {"name": "Acme"})
    other = people.add_contact(admin, {"email": "bob@example.com"})
    src = make_open(admin, buyer, company_id=acme.id, contact_ids=[other.id], allow_partial=True,
                    title="March", po_number="PO-7", comments="Merci",
                    lines=[line("Design", "3", "120.50", "20", "10", True), line("Hosting", "1", "30", "5.5")],
                    discounts=[{"value": "5", "is_percent": True, "tax_rate": "20", "label": "Loyalty"}],
                    fees=[{"value": "12", "tax_rate": "20", "label": "Shipping"}],
                    taxes=[{"value": "1", "is_percent": True, "label": "Eco"}])
    payments.record_payment(admin, src.id, {"amount": "50"})
    clock.advance(days=10)
    cloner = make_user(ws, admin, "cody", "create")
    clone = reload(invoices.clone_invoice(cloner, src.number))
    src = reload(src)
    assert clone.status == "draft" and clone.number is None and clone.link_token is None
    assert clone.origin == "clone" and clone.cloned_from == src.id
    assert clone.owner_id == cloner.user.id
    assert clone.invoice_date == TODAY + dt.timedelta(days=10)
    assert clone.due_date == TODAY + dt.timedelta(days=40)
    assert (clone.currency, clone.po_number, clone.comments, clone.allow_partial) == ("EUR", "PO-7", "Merci", True)
    assert (clone.billing_contact_id, clone.company_id) == (buyer.id, acme.id)
    assert not Payment.select().where(Payment.invoice == clone).exists()
    assert clone.paid_minor == 0 and clone.balance_minor == clone.billed_minor == src.billed_minor
    assert invoices.line_specs(clone) == invoices.line_specs(src)
    assert invoices.adjustment_specs(clone) == invoices.adjustment_specs(src)
    assert invoices.snapshot(clone)["contacts"] == invoices.snapshot(src)["contacts"]
    assert invoices.invoice_totals(clone) == invoices.invoice_totals(src, paid=0)
    first = invoices.activities(clone.id)[-1]
    assert (first.kind, first.text, first.user_login) == ("cloned", "Cloned from INV-1001", "cody")
    assert invoices.activities(src.id)[0].kind == "cloned_to"


def test_r14_clone_needs_create_permission(ws, admin, buyer):
    src = make_draft(admin, buyer)
    viewer = make_user(ws, admin, "vic", "view,edit")
    before = census()
    with pytest.raises(PermissionDenied):
        invoices.clone_invoice(viewer, src.id)
    assert census() == before


# ---- R15 --------------------------------------------------------------------------------------
def test_r15_every_change_is_a_property_change(ws, admin, buyer, clock):
    inv = make_draft(admin, buyer, title="Draft")
    clock.advance(hours=2)
    invoices.edit_invoice(admin, inv.id, {"title": "Final", "due_date": dt.date(2026, 5, 1)})
    rows = {pc.property: pc for pc in invoices.property_history(inv.id) if pc.created_at == clock.moment}
    assert set(rows) == {"title", "due_date"}
    assert (rows["title"].old_value, rows["title"].new_value) == ("Draft", "Final")
    assert (rows["due_date"].old_value, rows["due_date"].new_value) == ("2026-04-15", "2026-05-01")
    assert rows["title"].user_login == "alice" and rows["title"].source == "test"
    assert [pc.new_value for pc in invoices.property_history(inv.id, "title")] == ["Draft", "Final"]


def test_r15_property_change_in_same_transaction(ws, admin, buyer, monkeypatch):
    set_setting(admin, "allow_edit_finalized", "true")
    inv = make_open(admin, buyer, allow_partial=True)
    # A refusal after the lines were already rewritten: the lines and the history roll back together.
    before = census()
    with pytest.raises(RuleRefused):
        invoices.edit_invoice(admin, inv.id, {"title": "Changed", "lines": [line(qty="-1", price="5")]})
    assert census() == before
    assert reload(inv).title == "" and LineItem.get(LineItem.invoice == inv).unit_price_micro == 100_000_000

    # A service that fails after its change (and after the property changes were written).
    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(history, "add_activity", broken)
    with pytest.raises(RuntimeError):
        payments.record_payment(admin, inv.id, {"amount": "10"})
    monkeypatch.undo()
    assert census() == before
    assert reload(inv).paid_minor == 0
    assert history.verify_chain("property_change")[0] and history.verify_chain("activity")[0]


# ---- R16 --------------------------------------------------------------------------------------
def test_r16_history_search(ws, admin, buyer, clock):
    inv = make_open(admin, buyer, allow_partial=True)
    pay = payments.record_payment(admin, inv.id, {"amount": "50", "method": "cash"}).payment
    payments.delete_payment(admin, pay.id)
    on_due = invoices.upcoming_reminders(inv)[0]
    invoices.delete_reminder(admin, on_due.id)
    invoices.add_note(admin, inv.id, "Customer asked for a 50% discount")
    task = invoices.add_task(admin, inv.id, "Call Ada about the PO", due=dt.date(2026, 3, 20))
    invoices.complete_task(admin, task.id)
    bob = make_user(ws, admin, "bob", "edit")
    invoices.add_note(bob, inv.id, "Promised payment next week")
    invoices.void_invoice(admin, inv.id)
    assert activity_kinds(inv)[:10] == ["created", "finalized", "payment_recorded", "payment_deleted",
                                        "reminder_deleted", "note", "task", "task_done", "note", "voided"]
    assert {a.kind for a in invoices.activities(inv.id, "payment")} == {
        "payment_recorded", "payment_deleted", "note"}
    assert [a.kind for a in invoices.activities(inv.id, "PROMISED")] == ["note"]  # any case
    assert [a.user_login for a in invoices.activities(inv.id, "bob")] == ["bob"]
    assert [a.kind for a in invoices.activities(inv.id, "50%")] == ["note"]  # % is literal, not a wildcard
    assert invoices.activities(inv.id, "5_%") == []
    assert invoices.activities(inv.id, "no such thing") == []
    invoices.add_note(admin, inv.id, "Échéance repoussée")
    assert [a.text for a in invoices.activities(inv.id, "éCHÉANCE")] == ["Échéance repoussée"]  # Unicode, any case
    assert invoices.done_task_ids(inv.id) == {task.id}
    with pytest.raises(RuleRefused):
        invoices.complete_task(admin, task.id)
    with pytest.raises(BadInput):
        invoices.add_note(admin, inv.id, "   ")
    assert all(a.user_login and a.created_at for a in invoices.activities(inv.id))


def test_r16_history_kept_after_delete(ws, admin, buyer):
    d = make_draft(admin, buyer)
    invoices.add_note(admin, d.id, "remember me")
    invoices.delete_invoice(admin, d.id)
    assert [a.kind for a in invoices.activities(d.id, "remember")] == ["note"]
    assert Activity.select().where(Activity.invoice_id == d.id).count() == 3


def test_r3_changed_prefix_never_spells_an_existing_number(ws, admin):
    """INV-1 + 1001 would read "INV-11001"; a later INV- + 11001 must skip it, not crash."""
    from invoice_tui.domain import invoices, people
    from invoice_tui.domain.workspace import set_setting

    contact = people.add_contact(admin, {"email": "prefix@example.com"})

    def finalized():
        draft = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": contact.id,
                                                "lines": [{"name": "Work", "unit_price": "10"}]})
        return invoices.finalize_invoice(admin, draft.id)

    set_setting(admin, "number_prefix", "INV-1")
    assert finalized().number == "INV-11001"
    set_setting(admin, "number_prefix", "INV-")
    from invoice_tui.db.models import Counter
    Counter.update(value=11001).execute()  # as if 10,000 invoices had been numbered since
    second = finalized()
    assert second.number == "INV-11002" and second.number_seq == 11002
