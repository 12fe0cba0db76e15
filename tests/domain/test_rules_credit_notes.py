"""R8 (amended), R36–R42: credit notes, customer credit and refunds, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from invoice_tui.db import is_postgres
from invoice_tui.db.models import CreditEntry, Invoice
from invoice_tui.domain import credit, invoices, payments, people, replay
from invoice_tui.domain.errors import BadInput, RuleRefused
from tests.domain.rulekit import census, line, make_open, race, reload


def _open(admin, buyer, *, price="100", tax="20", qty="1", partial=False, **kw):
    return make_open(admin, buyer, lines=[line("Work", qty, price, tax), line("Support", "2", "50", "20")],
                     allow_partial=partial, **kw)


def _credit(customer_inv) -> int:
    return credit.credit_available(credit.customer_of(customer_inv), customer_inv.currency)


def test_r36_full_credit_note_numbered_from_its_own_series_references_the_invoice(ws, admin, buyer):
    inv = _open(admin, buyer)  # 100 + 100 net, 20 % VAT: 240
    assert inv.billed_minor == 24000
    cn = credit.create_credit_note(admin, inv.number, reason="Order cancelled", full=True)
    assert cn.doc_type == "credit_note" and cn.status == "draft" and cn.number is None
    assert cn.refers_to == inv.id and cn.billed_minor == 24000 and cn.balance_minor == 0
    cn = credit.issue_credit_note(admin, cn.id)
    assert cn.number == "CN-1" and cn.status == "issued" and cn.cn_seq == 1
    rec = credit.credit_note_record(cn, admin.today())
    assert rec["invoice_number"] == inv.number and rec["invoice_issue_date"] == inv.invoice_date.isoformat()
    assert rec["reason"] == "Order cancelled" and rec["amount_billed"] == "240.00" and rec["type"] == "credit_note"
    inv = reload(inv)
    assert (inv.status, inv.balance_minor, inv.credited_minor) == ("paid", 0, 24000)
    assert inv.payment_date == admin.today()
    assert credit.settlement_label(inv) == "Credited"
    second = credit.issue_credit_note(admin, credit.create_credit_note(
        admin, _open(admin, buyer).id, reason="Again", amount="10", rate="20").id)
    assert second.number == "CN-2"  # the invoice series is untouched by credit notes
    assert reload(inv).number == "INV-1001"


def test_r37_partial_by_lines_and_by_amount_with_rate_and_category(ws, admin, buyer):
    inv = _open(admin, buyer, partial=True)
    by_lines = credit.create_credit_note(admin, inv.id, reason="One support day unused", lines=[(2, "1")])
    assert by_lines.billed_minor == 6000  # 50 + 20 % VAT
    by_amount = credit.create_credit_note(admin, inv.id, reason="Goodwill", amount="10", rate="0", category="E")
    assert by_amount.billed_minor == 1000
    [li] = list(by_amount.lines)
    assert li.tax_category == "E" and li.quantity == Decimal(1)
    totals = invoices.invoice_totals(by_amount)  # the one totals function
    assert totals.billed == Decimal("10.00") and totals.tax_breakdown[0].category == "E"


@pytest.mark.parametrize("kwargs, message", [
    ({"full": True, "reason": ""}, "needs a reason"),
    ({"full": True, "reason": "x", "amount": "5"}, "exactly one"),
    ({"lines": [(9, "1")], "reason": "x"}, "has no line 9"),
    ({"lines": [(1, "2")], "reason": "x"}, "between 0 and 1"),
    ({"lines": [(1, "-1")], "reason": "x"}, "between 0 and 1"),
    ({"lines": [(1, "abc")], "reason": "x"}, "not a number"),
    ({"amount": "-5", "rate": "20", "reason": "x"}, "greater than zero"),
    ({"amount": "5.001", "rate": "20", "reason": "x"}, "decimals"),
    ({"amount": "5", "rate": "20", "category": "E", "reason": "x"}, "rate of 0"),
    ({"amount": "5", "rate": "120", "reason": "x"}, "between 0 and 100"),
    ({"full": True, "reason": "bad\x1b[31m"}, "control"),
])
def test_r36_r37_bad_credit_notes_are_refused_with_a_sentence_and_nothing_written(ws, admin, buyer, kwargs,
                                                                                   message):
    inv = _open(admin, buyer)
    before = census()
    with pytest.raises((BadInput, RuleRefused)) as exc:
        credit.create_credit_note(admin, inv.id, **kwargs)
    assert message in exc.value.message
    assert census() == before


def test_r37_cap_names_the_amount_still_creditable(ws, admin, buyer):
    inv = _open(admin, buyer)
    credit.create_credit_note(admin, inv.id, reason="Part", amount="150", rate="20")  # 180 of 240
    before = census()
    with pytest.raises(RuleRefused) as exc:
        credit.create_credit_note(admin, inv.id, reason="Too much", amount="100", rate="20")
    assert "60.00 EUR" in exc.value.message and exc.value.code == "credit_note.over_cap"
    assert census() == before
    credit.create_credit_note(admin, inv.id, reason="The rest", amount="50", rate="20")
    with pytest.raises(RuleRefused, match="0.00 EUR"):
        credit.create_credit_note(admin, inv.id, reason="Nothing left", amount="1", rate="0")


def test_r37_cap_under_two_concurrent_credit_notes_one_is_refused(ws, admin, buyer):
    inv = _open(admin, buyer)  # 240
    results = race(ws, [lambda: credit.create_credit_note(admin, inv.id, reason="A", amount="150", rate="20"),
                        lambda: credit.create_credit_note(admin, inv.id, reason="B", amount="150", rate="20")])
    refused = [r for r in results if isinstance(r, RuleRefused)]
    made = [r for r in results if isinstance(r, Invoice)]
    assert len(refused) == 1 and len(made) == 1, results
    assert "60.00 EUR" in refused[0].message
    assert credit.creditable_minor(reload(inv)) == 6000


def test_r36_gap_free_credit_note_series_under_8_writers(ws, admin, buyer):
    drafts = []
    for _ in range(8):
        inv = _open(admin, buyer)
        drafts.append(credit.create_credit_note(admin, inv.id, reason="Returned", full=True).id)
    results = race(ws, [lambda d=d: credit.issue_credit_note(admin, d) for d in drafts])
    assert all(isinstance(r, Invoice) for r in results), results
    numbers = sorted(r.cn_seq for r in results)
    assert numbers == list(range(1, 9))
    assert sorted(r.number for r in results) == sorted(f"CN-{i}" for i in range(1, 9))


def test_r37_voided_invoice_gets_no_credit_note_and_credited_invoice_is_not_voided(ws, admin, buyer):
    inv = _open(admin, buyer)
    invoices.void_invoice(admin, inv.id)
    with pytest.raises(RuleRefused, match="voided"):
        credit.create_credit_note(admin, inv.id, reason="x", full=True)
    other = _open(admin, buyer, partial=True)
    credit.create_credit_note(admin, other.id, reason="Part", amount="10", rate="0")
    with pytest.raises(RuleRefused, match="credit note") as exc:
        invoices.void_invoice(admin, other.id)
    assert exc.value.code == "invoice.has_credit_note"


def test_r36_a_draft_and_a_credit_note_are_not_credited(ws, admin, buyer):
    from tests.domain.rulekit import make_draft

    draft = make_draft(admin, buyer)
    with pytest.raises(RuleRefused, match="not finalized"):
        credit.create_credit_note(admin, draft.id, reason="x", full=True)
    cn = credit.issue_credit_note(admin, credit.create_credit_note(admin, _open(admin, buyer).id, reason="x",
                                                                    full=True).id)
    with pytest.raises(RuleRefused, match="credit note"):
        credit.create_credit_note(admin, cn.number, reason="x", full=True)


def test_r38_issued_credit_note_never_edited_deleted_voided_or_issued_again(ws, admin, buyer):
    from invoice_tui.domain.settings import store_setting

    admin_settings = {"allow_edit_finalized": True, "allow_delete_unpaid": True}
    for k, v in admin_settings.items():
        with ws.db.atomic():
            store_setting(k, v)
    cn = credit.issue_credit_note(admin, credit.create_credit_note(admin, _open(admin, buyer).id, reason="x",
                                                                    full=True).id)
    before = census()
    for call in (lambda: invoices.edit_invoice(admin, cn.id, {"title": "changed"}),
                 lambda: invoices.delete_invoice(admin, cn.id),
                 lambda: invoices.void_invoice(admin, cn.id),
                 lambda: invoices.finalize_invoice(admin, cn.id),
                 lambda: invoices.clone_invoice(admin, cn.id),
                 lambda: credit.issue_credit_note(admin, cn.id),
                 lambda: payments.record_payment(admin, cn.id, {"amount": "1"})):
        with pytest.raises(RuleRefused, match="credit note|issued"):
            call()
    assert census() == before
    acts = {a.id for a in invoices.available_actions(admin, cn)}
    assert acts == {"view_invoice", "property_history", "copy_link", "send_email", "download_pdf"}


def test_r38_a_draft_credit_note_may_be_deleted_and_releases_its_amount(ws, admin, buyer):
    inv = _open(admin, buyer)
    cn = credit.create_credit_note(admin, inv.id, reason="x", full=True)
    assert credit.creditable_minor(reload(inv)) == 0
    invoices.delete_invoice(admin, cn.id)
    assert credit.creditable_minor(reload(inv)) == 24000


def test_r39_partial_credit_lowers_the_balance_and_the_remainder_becomes_customer_credit(ws, admin, buyer):
    inv = _open(admin, buyer, partial=True)  # 240
    payments.record_payment(admin, inv.id, {"amount": "200"})
    cn = credit.issue_credit_note(admin, credit.create_credit_note(admin, inv.id, reason="Support returned",
                                                                    lines=[(2, "2")]).id)  # 120
    inv = reload(inv)
    assert (inv.credited_minor, inv.balance_minor, inv.status) == (4000, 0, "paid")
    assert credit.settlement_label(inv) == "Paid"
    assert _credit(inv) == 8000  # 120 − 40 applied
    kinds = sorted((e.kind, e.amount_minor) for e in credit.entries_of_invoice(inv))
    assert kinds == [("cn_applied", 4000), ("cn_remainder", 8000)]
    rec = credit.credit_note_record(cn, admin.today())
    assert rec["credited_on_invoice"] == "40.00" and rec["to_customer_credit"] == "80.00"


def test_r39_deleting_a_payment_reopens_the_balance_but_never_changes_credit(ws, admin, buyer):
    inv = _open(admin, buyer, partial=True)
    pay = payments.record_payment(admin, inv.id, {"amount": "200"}).payment
    credit.issue_credit_note(admin, credit.create_credit_note(admin, inv.id, reason="r", amount="100", rate="0").id)
    assert _credit(reload(inv)) == 6000
    payments.delete_payment(admin, pay.id)
    inv = reload(inv)
    assert (inv.status, inv.balance_minor, inv.credited_minor) == ("open", 20000, 4000)
    assert _credit(inv) == 6000


def test_r40_credit_applied_then_more_than_remains_refused(ws, admin, buyer):
    inv = _open(admin, buyer)
    credit.issue_credit_note(admin, credit.create_credit_note(admin, inv.id, reason="Refund all", full=True).id)
    payments.record_payment(admin, _open(admin, buyer).id, {"amount": "240"})  # unrelated
    assert _credit(reload(inv)) == 0  # applied in full to its own invoice
    other = _open(admin, buyer, partial=True)
    paid = _open(admin, buyer, partial=True)
    payments.record_payment(admin, paid.id, {"amount": "340", "overpay": True})  # 100 over
    assert _credit(reload(other)) == 10000
    e = credit.apply_credit(admin, other.number, "60")
    assert e.kind == "applied" and e.amount_minor == 6000
    other = reload(other)
    assert (other.balance_minor, other.credited_minor) == (18000, 6000)
    before = census()
    with pytest.raises(RuleRefused) as exc:
        credit.apply_credit(admin, other.id, "50")
    assert "40.00 EUR" in exc.value.message and exc.value.code == "credit.over_available"
    assert census() == before


def test_r40_credit_applied_follows_r8(ws, admin, buyer):
    inv = _open(admin, buyer)
    payments.record_payment(admin, inv.id, {"amount": "500", "overpay": True})  # 260 of credit
    whole = _open(admin, buyer)  # partial payments not allowed: 240 or nothing
    with pytest.raises(RuleRefused, match="partial"):
        credit.apply_credit(admin, whole.id, "100")
    credit.apply_credit(admin, whole.id, "240")
    whole = reload(whole)
    assert (whole.status, whole.balance_minor) == ("paid", 0)
    assert credit.settlement_label(whole) == "Paid"
    with pytest.raises(RuleRefused, match="already paid"):
        credit.apply_credit(admin, whole.id, "10")
    usd = _open(admin, buyer, currency="USD")
    with pytest.raises(RuleRefused, match="0.00 USD"):
        credit.apply_credit(admin, usd.id, "10")


def test_r40_refund_reduces_credit_and_beyond_the_credit_is_refused(ws, admin, buyer):
    inv = _open(admin, buyer)
    payments.record_payment(admin, inv.id, {"amount": "300", "overpay": True})  # 60 over
    who = credit.customer_by(contact="ada@example.com")
    before = census()
    with pytest.raises(RuleRefused) as exc:
        credit.refund_credit(admin, who, "EUR", "70", method="bank_transfer")
    assert "60.00 EUR" in exc.value.message
    assert census() == before
    with pytest.raises(BadInput, match="method"):
        credit.refund_credit(admin, who, "EUR", "10", method="barter")
    r = credit.refund_credit(admin, who, "EUR", "25", method="bank_transfer", reference="VIR-9")
    assert (r.kind, r.amount_minor, r.method, r.reference) == ("refund", 2500, "bank_transfer", "VIR-9")
    [bal] = credit.credit_balances(who)
    assert (bal.available_minor, bal.credited_minor, bal.refunded_minor) == (3500, 6000, 2500)


def test_r40_credit_belongs_to_the_company_when_the_invoice_has_one(ws, admin, buyer):
    acme = people.add_company(admin, {"name": "Acme"})
    inv = _open(admin, buyer, company_id=acme.id)
    payments.record_payment(admin, inv.id, {"amount": "250", "overpay": True})
    assert credit.credit_available(credit.customer_by(company="Acme"), "EUR") == 1000
    assert credit.credit_available(credit.customer_by(contact="ada@example.com"), "EUR") == 0


def test_r8_overpayment_refused_without_confirmation_and_kept_as_credit_with_it(ws, admin, buyer):
    inv = _open(admin, buyer)
    before = census()
    with pytest.raises(RuleRefused) as exc:
        payments.record_payment(admin, inv.id, {"amount": "250"})
    assert "overpayment" in exc.value.message and "10.00 EUR" in exc.value.message
    assert census() == before
    pay = payments.record_payment(admin, inv.id, {"amount": "250", "overpay": True}).payment
    inv = reload(inv)
    assert (inv.status, inv.paid_minor, inv.balance_minor) == ("paid", 24000, 0)
    assert _credit(inv) == 1000
    with pytest.raises(RuleRefused, match="credit"):
        payments.delete_payment(admin, pay.id)


def test_r41_cancel_and_replace(ws, admin, buyer):
    inv = _open(admin, buyer)
    cn, draft = credit.cancel_and_replace(admin, inv.id, reason="Wrong address")
    assert cn.status == "issued" and cn.billed_minor == inv.billed_minor and cn.refers_to == inv.id
    assert draft.status == "draft" and draft.refers_to == cn.id and draft.doc_type == "invoice"
    assert [li.name for li in draft.lines] == ["Work", "Support"]
    inv = reload(inv)
    assert (inv.status, credit.settlement_label(inv)) == ("paid", "Credited")
    assert [c.id for c in credit.credit_notes_of(inv)] == [cn.id]
    with pytest.raises(RuleRefused, match="credited in full|more than can still be credited"):
        credit.cancel_and_replace(admin, inv.id, reason="Again")


def test_r42_permissions_edit_creates_and_issues(ws, admin, buyer):
    from invoice_tui.domain.errors import PermissionDenied
    from tests.domain.rulekit import make_user

    inv = _open(admin, buyer)
    viewer = make_user(ws, admin, "victor", "view,create")
    with pytest.raises(PermissionDenied):
        credit.create_credit_note(viewer, inv.id, reason="x", full=True)
    editor = make_user(ws, admin, "edna", "edit")
    cn = credit.create_credit_note(editor, inv.id, reason="x", full=True)
    with pytest.raises(PermissionDenied):
        credit.issue_credit_note(viewer, cn.id)
    credit.issue_credit_note(editor, cn.id)


def test_r54_audit_replay_covers_credit_notes_credit_applied_and_refunds(ws, admin, buyer):
    inv = _open(admin, buyer, partial=True)
    credit.issue_credit_note(admin, credit.create_credit_note(admin, inv.id, reason="r", full=True).id)
    other = _open(admin, buyer, partial=True)
    payments.record_payment(admin, other.id, {"amount": "300", "overpay": True})
    credit.apply_credit(admin, _open(admin, buyer, partial=True).id, "20")
    credit.refund_credit(admin, credit.customer_of(inv), "EUR", "10", method="cash")
    assert list(replay.replay()) == []
    e = CreditEntry.select().where(CreditEntry.kind == "refund").get()
    with ws.db.atomic():  # behind the app's back (on PostgreSQL, past its triggers: a superuser's restore)
        if is_postgres():
            ws.db.execute_sql("SET LOCAL session_replication_role = replica")
        CreditEntry.update(amount_minor=1).where(CreditEntry.id == e.id).execute()
        Invoice.update(reason="edited").where(Invoice.doc_type == "credit_note").execute()
    found = {(f.object_type, f.property) for f in replay.replay() if f.problem == "differs"}
    assert ("credit_entry", "amount") in found and ("invoice", "reason") in found


def test_r38_r40_r53_the_database_refuses_changing_an_issued_credit_note_or_a_credit_record(ws, admin, buyer):
    """PostgreSQL: whatever the client, an issued credit note (and its lines) and a credit movement
    never change and are never deleted; a draft credit note may still be deleted."""
    import peewee

    from invoice_tui.db.models import LineItem

    if not is_postgres():
        pytest.skip("SQLite has no roles or triggers of this kind: the services refuse (tests above) and the "
                    "audit's replay reports a write behind their back")
    inv = _open(admin, buyer, partial=True)
    cn = credit.issue_credit_note(admin, credit.create_credit_note(admin, inv.id, reason="r", amount="5",
                                                                    rate="0").id)
    payments.record_payment(admin, _open(admin, buyer).id, {"amount": "250", "overpay": True})
    for write in (lambda: Invoice.update(billed_minor=1).where(Invoice.id == cn.id).execute(),
                  lambda: Invoice.update(reason="x").where(Invoice.id == cn.id).execute(),
                  lambda: Invoice.delete().where(Invoice.id == cn.id).execute(),
                  lambda: LineItem.update(unit_price_micro=1).where(LineItem.invoice == cn.id).execute(),
                  lambda: CreditEntry.update(amount_minor=1).execute(),
                  lambda: CreditEntry.delete().execute()):
        with pytest.raises(peewee.IntegrityError, match="R38|R40"):
            with ws.db.atomic():
                write()
    Invoice.update(last_sent_date=admin.today()).where(Invoice.id == cn.id).execute()  # sending is allowed
    draft = credit.create_credit_note(admin, inv.id, reason="r", amount="1", rate="0")
    invoices.delete_invoice(admin, draft.id)


def test_r42_credit_note_document_is_titled_credit_note_and_names_the_invoice(ws, admin, buyer):
    from invoice_tui.documents.markdown import invoice_markdown
    from invoice_tui.mail.compose import invoice_details, template_fields
    from invoice_tui.domain.settings import load_settings

    inv = _open(admin, buyer, partial=True)
    cn = credit.issue_credit_note(admin, credit.create_credit_note(admin, inv.id, reason="Damaged parcel",
                                                                    amount="50", rate="20").id)
    md = invoice_markdown(cn, today=admin.today())
    assert md.startswith("# Credit note CN\\-1")
    assert "Credits invoice INV\\-1001" in md
    assert f"Invoice date: {inv.invoice_date:%B} {inv.invoice_date.day}, {inv.invoice_date.year}" in md
    assert "Reason: Damaged parcel" in md and "Total credited" in md and "Balance due" not in md
    invoice_md = invoice_markdown(reload(inv), today=admin.today())
    assert "| Credited | €60.00 |" in invoice_md and "| **Balance due** | **€180.00** |" in invoice_md
    details = invoice_details(cn, template_fields(cn, load_settings()))
    assert "Credit note CN-1" in details and "Credits invoice INV-1001" in details


def test_r38_a_mistaken_credit_note_is_offset_by_a_new_invoice_that_refers_to_it(ws, admin, buyer):
    inv = _open(admin, buyer)
    draft_cn = credit.create_credit_note(admin, inv.id, reason="Oops", amount="100", rate="20")
    with pytest.raises(RuleRefused, match="delete it"):
        credit.offset_credit_note(admin, draft_cn.id)
    cn = credit.issue_credit_note(admin, draft_cn.id)
    offset = credit.offset_credit_note(admin, cn.number)
    assert (offset.doc_type, offset.status, offset.refers_to, offset.billed_minor) == ("invoice", "draft", cn.id,
                                                                                         12000)
    done = invoices.finalize_invoice(admin, offset.id)
    assert done.number == "INV-1002" and done.balance_minor == 12000
    assert list(replay.replay()) == []
