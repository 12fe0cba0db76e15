"""Random invoice lifecycles through the services, in-process (hypothesis RuleBasedStateMachine).

Steps: create, finalize, pay in full, pay in part, add + apply a payment, delete a payment, void,
clone, delete, edit, online payments (processing, then succeeded/failed/canceled/refunded), credit
notes (full, by lines, by amount; issued; an issued one never changed), overpayments, customer
credit applied and refunded, and let days pass. After every step the invariants hold:

- numbers are unique and strictly increasing in finalize order, never reused (R3);
- the credit note series has no gap: issued credit notes hold CN-1 … CN-n (R36);
- per invoice: 0 ≤ balance = billed − paid − credited, paid = Σ succeeded payments less their
  overpaid excess, credited = Σ credit-note parts and credit applied, status consistent with the
  balance; its credit notes never total more than it billed (R37, R39);
- per customer and currency: 0 ≤ credit = Σ remainders + overpayments − applied − refunded (R40);
- the stored totals equal a recomputation with the one R18 function;
- every current property value of every invoice and payment is explained by its history rows
  (a property change for every change, R15), and both hash chains are intact;
- a refused step wrote nothing; the steps that must be allowed are.

It runs on a SQLite file (and a few examples on PostgreSQL when it is available).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from decimal import Decimal
from urllib.parse import urlparse, urlunparse

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)

from invoice_tui.db.models import Activity, ChainHead, CreditEntry, Invoice, Payment, PropertyChange
from invoice_tui.domain import credit, history, invoices, payments, people
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.money import from_minor
from invoice_tui.domain.workspace import open_workspace, set_setting
from rulekit import census

START = dt.datetime(2026, 3, 16, 9, 30)
CURRENCIES = ("EUR", "JPY", "KWD")

line_st = st.fixed_dictionaries({
    "name": st.sampled_from(["Design", "Hosting", "Support"]),
    "quantity": st.sampled_from(["1", "2", "0.5", "3.333"]),
    "price_minor": st.integers(min_value=0, max_value=500_000),
    "tax_rate": st.sampled_from(["0", "5.5", "20"]),
    "discount": st.sampled_from([None, "10%", "100%", "fixed"]),
})
adjustments_st = st.lists(st.tuples(st.sampled_from(["discounts", "fees", "taxes"]),
                                    st.sampled_from(["5%", "2.50", "0"]),
                                    st.sampled_from(["0", "20"])), max_size=2)
pick = st.integers(min_value=0, max_value=10_000)


class Clock:
    def __init__(self) -> None:
        self.moment = START

    def __call__(self) -> dt.datetime:
        return self.moment


def _lines(currency: str, specs) -> list[dict]:
    out = []
    for s in specs:
        price = from_minor(s["price_minor"], currency)
        d = {"name": s["name"], "quantity": s["quantity"], "unit_price": str(price), "tax_rate": s["tax_rate"]}
        if s["discount"] == "fixed":
            d["discount"], d["discount_percent"] = str(from_minor(s["price_minor"] // 3, currency)), False
        elif s["discount"]:
            d["discount"], d["discount_percent"] = s["discount"].rstrip("%"), True
        out.append(d)
    return out


def _adjustments(currency: str, specs) -> dict:
    data: dict = {}
    for kind, value, rate in specs:
        pct = value.endswith("%")
        raw = Decimal(value.rstrip("%"))
        if not pct:
            raw = raw.quantize(Decimal(1)) if currency == "JPY" else raw
        item = {"value": str(raw), "is_percent": pct}
        if kind != "taxes":
            item["tax_rate"] = rate
        data.setdefault(kind, []).append(item)
    return data


class Lifecycle(RuleBasedStateMachine):
    url_factory = None  # set by the runner: () -> (url, cleanup)

    def __init__(self) -> None:
        super().__init__()
        self.url, self._cleanup = type(self).url_factory()
        self.ws = open_workspace(self.url, notice=lambda m: None)
        self.clock = Clock()
        self.ctx = self.ws.context("alice", source="test", now=self.clock)
        self.finalized_seqs: list[int] = []  # number_seq in finalize order, deleted ones included
        self.issued_seqs: list[int] = []  # cn_seq in issue order
        self.ever_ids: set[int] = set()
        self.verified: dict[str, tuple[int, str]] = {}

    @initialize()
    def setup_workspace(self) -> None:
        set_setting(self.ctx, "allow_edit_finalized", "true")
        set_setting(self.ctx, "allow_delete_unpaid", "true")
        self.contact = people.add_contact(self.ctx, {"email": "ada@example.com", "first_name": "Ada"})

    # ---- helpers -----------------------------------------------------------------------------
    def _invoice(self, i: int) -> Invoice | None:
        ids = [r.id for r in Invoice.select(Invoice.id).where(Invoice.doc_type == "invoice").order_by(Invoice.id)]
        return Invoice.get_by_id(ids[i % len(ids)]) if ids else None

    def _credit_note(self, j: int) -> Invoice | None:
        ids = [r.id for r in Invoice.select(Invoice.id).where(Invoice.doc_type == "credit_note").order_by(Invoice.id)]
        return Invoice.get_by_id(ids[j % len(ids)]) if ids else None

    def _has_credit_notes(self) -> bool:
        return Invoice.select().where(Invoice.doc_type == "credit_note").exists()

    @staticmethod
    def _credited_anything(inv: Invoice) -> bool:
        return bool(inv.credited_minor) or Invoice.select().where(Invoice.refers_to == inv.id).exists()

    def _attempt(self, fn, *, must_succeed: bool):
        """Run one service call; a refusal must leave everything as it was."""
        before = census()
        try:
            result = fn()
        except InvoiceTuiError as exc:
            assert not must_succeed, f"refused although allowed: {exc}"
            assert census() == before, "a refused call wrote something"
            return None
        after = census()
        assert after["heads"] != before["heads"], "a change without any history row"
        return result

    def _has_invoices(self) -> bool:
        return Invoice.select().where(Invoice.doc_type == "invoice").exists()

    @staticmethod
    def _collectable(inv: Invoice) -> int:
        """What may still be recorded: the balance minus online payments still processing (R8)."""
        processing = sum(p.amount_minor for p in Payment.select().where((Payment.invoice == inv)
                                                                        & (Payment.state == "processing")))
        return inv.balance_minor - processing

    # ---- steps -------------------------------------------------------------------------------
    @rule(currency=st.sampled_from(CURRENCIES), lines=st.lists(line_st, max_size=3), adjustments=adjustments_st,
          partial=st.booleans(), with_contact=st.booleans())
    def create(self, currency, lines, adjustments, partial, with_contact):
        data = {"currency": currency, "lines": _lines(currency, lines), "allow_partial": partial,
                **_adjustments(currency, adjustments)}
        if with_contact:
            data["contact_id"] = self.contact.id
        inv = self._attempt(lambda: invoices.create_invoice(self.ctx, data), must_succeed=True)
        if inv is not None:
            self.ever_ids.add(inv.id)

    @precondition(_has_invoices)
    @rule(i=pick)
    def finalize(self, i):
        inv = self._invoice(i)
        latest = (Invoice.select().where(Invoice.number_seq.is_null(False)).order_by(Invoice.number_seq.desc())
                  .first())
        ok = (inv.status == "draft" and inv.billing_contact_id is not None and inv.billed_minor >= 0
              and inv.lines.count() > 0  # R2, R35: a draft may total below zero; finalizing needs ≥ 0
              and (latest is None or inv.invoice_date >= latest.invoice_date))  # R57: numbers follow dates
        done = self._attempt(lambda: invoices.finalize_invoice(self.ctx, inv.id), must_succeed=ok)
        if done is not None:
            assert ok
            self.finalized_seqs.append(done.number_seq)
            assert done.number == f"INV-{done.number_seq}"

    @precondition(_has_invoices)
    @rule(i=pick)
    def pay_in_full(self, i):
        inv = self._invoice(i)
        amount = from_minor(max(inv.balance_minor, 1), inv.currency)
        ok = inv.status == "open" and self._collectable(inv) == inv.balance_minor
        done = self._attempt(lambda: payments.record_payment(self.ctx, inv.id, {"amount": str(amount)}),
                             must_succeed=ok)
        if done is not None:
            assert Invoice.get_by_id(inv.id).status == "paid"

    @precondition(_has_invoices)
    @rule(i=pick, share=st.integers(min_value=1, max_value=99))
    def pay_in_part(self, i, share):
        inv = self._invoice(i)
        minor = max(1, inv.balance_minor * share // 100)
        ok = (inv.status == "open" and minor <= self._collectable(inv)
              and (inv.allow_partial or minor == inv.balance_minor))
        self._attempt(lambda: payments.record_payment(
            self.ctx, inv.id, {"amount": str(from_minor(minor, inv.currency))}), must_succeed=ok)

    @precondition(_has_invoices)
    @rule(i=pick, share=st.sampled_from([30, 100, 150]), currency=st.sampled_from(CURRENCIES))
    def add_and_apply(self, i, share, currency):
        inv = self._invoice(i)
        minor = max(1, inv.balance_minor * share // 100)
        p = self._attempt(lambda: payments.add_payment(self.ctx, {
            "amount": str(from_minor(minor, currency)), "currency": currency, "contact_id": self.contact.id}),
            must_succeed=True)
        ok = (inv.status == "open" and currency == inv.currency and minor <= self._collectable(inv)
              and (inv.allow_partial or minor == inv.balance_minor))
        self._attempt(lambda: payments.apply_payment(self.ctx, p.id, inv.id), must_succeed=ok)

    @precondition(_has_invoices)
    @rule(i=pick, share=st.sampled_from([40, 100]))
    def online_payment(self, i, share):
        """The processor starts charging an invoice (R7): a processing online payment applied to it."""
        inv = self._invoice(i)
        minor = max(1, inv.balance_minor * share // 100)
        p = self._attempt(lambda: payments.add_payment(self.ctx, {
            "amount": str(from_minor(minor, inv.currency)), "currency": inv.currency, "source": "online",
            "state": "processing", "contact_id": self.contact.id}), must_succeed=True)
        ok = (inv.status == "open" and minor <= self._collectable(inv)
              and (inv.allow_partial or minor == inv.balance_minor))
        self._attempt(lambda: payments.apply_payment(self.ctx, p.id, inv.id), must_succeed=ok)

    @precondition(lambda self: Payment.select().where(Payment.source == "online").exists())
    @rule(j=pick, outcome=st.sampled_from(["succeeded", "failed", "canceled", "refunded"]))
    def processor_reports(self, j, outcome):
        ids = [p.id for p in Payment.select(Payment.id).where(Payment.source == "online").order_by(Payment.id)]
        p = Payment.get_by_id(ids[j % len(ids)])
        allowed = {"processing": {"succeeded", "failed", "canceled"}, "succeeded": {"refunded"}}
        ok = outcome in allowed.get(p.state, set())
        self._attempt(lambda: payments.set_payment_state(self.ctx, p.id, outcome), must_succeed=ok)

    @precondition(lambda self: Payment.select().exists())
    @rule(j=pick)
    def delete_payment(self, j):
        ids = [p.id for p in Payment.select(Payment.id).order_by(Payment.id)]
        p = Payment.get_by_id(ids[j % len(ids)])
        inv_id = p.invoice_id
        made_credit = CreditEntry.select().where(CreditEntry.payment_id == p.id).exists()  # R39: never undone
        done = self._attempt(lambda: payments.delete_payment(self.ctx, p.id),
                             must_succeed=p.source == "manual" and not made_credit)
        if done is not None and inv_id is not None:
            assert Invoice.get_by_id(inv_id).status == "open"

    @precondition(_has_invoices)
    @rule(i=pick)
    def void(self, i):
        inv = self._invoice(i)
        ok = (inv.status == "open" and not Payment.select().where(Payment.invoice == inv).exists()
              and not self._credited_anything(inv))  # R37: an invoice with a credit note is not voided
        self._attempt(lambda: invoices.void_invoice(self.ctx, inv.id), must_succeed=ok)

    @precondition(_has_invoices)
    @rule(i=pick)
    def clone(self, i):
        inv = self._invoice(i)
        c = self._attempt(lambda: invoices.clone_invoice(self.ctx, inv.id), must_succeed=True)
        assert (c.status, c.number, c.paid_minor, c.billed_minor) == ("draft", None, 0, inv.billed_minor)
        self.ever_ids.add(c.id)

    @precondition(_has_invoices)
    @rule(i=pick)
    def delete(self, i):
        inv = self._invoice(i)
        ok = inv.status == "draft" or (inv.status == "open"
                                       and not Payment.select().where(Payment.invoice == inv).exists()
                                       and not self._credited_anything(inv))
        self._attempt(lambda: invoices.delete_invoice(self.ctx, inv.id), must_succeed=ok)

    @precondition(_has_invoices)
    @rule(i=pick, lines=st.one_of(st.none(), st.lists(line_st, max_size=2)),
          due_in=st.one_of(st.none(), st.integers(min_value=0, max_value=60)), comments=st.text(
              st.characters(codec="utf-8", categories=("L", "N", "Zs")), max_size=12))
    def edit(self, i, lines, due_in, comments):
        inv = self._invoice(i)
        data: dict = {"comments": comments}
        if lines is not None:
            data["lines"] = _lines(inv.currency, lines)
        if due_in is not None:
            data["due_date"] = inv.invoice_date + dt.timedelta(days=due_in)
        payments_block = Payment.select().where((Payment.invoice == inv)
                                                & Payment.state.in_(["succeeded", "refunded"])).exists()
        ok = inv.status == "draft" or (inv.status == "open" and not payments_block and lines is None
                                       and not self._credited_anything(inv))
        self._attempt(lambda: invoices.edit_invoice(self.ctx, inv.id, data, expected_version=inv.version),
                      must_succeed=ok)

    # ---- credit notes and customer credit (R8 amended, R36–R42) ---------------------------------
    @precondition(_has_invoices)
    @rule(i=pick, mode=st.sampled_from(["full", "amount", "lines"]), share=st.sampled_from([1, 30, 60, 100, 120]))
    def create_credit_note(self, i, mode, share):
        inv = self._invoice(i)
        room = credit.creditable_minor(inv)
        correctable = inv.status in ("open", "paid")
        if mode == "full":
            ok = correctable and room == inv.billed_minor and room > 0
            call = lambda: credit.create_credit_note(self.ctx, inv.id, reason="Cancelled", full=True)  # noqa: E731
        elif mode == "amount":
            minor = max(1, inv.billed_minor * share // 100)
            ok = correctable and minor <= room
            call = lambda: credit.create_credit_note(  # noqa: E731
                self.ctx, inv.id, reason="Goodwill", amount=str(from_minor(minor, inv.currency)), rate="0")
        else:  # its amount depends on the line's figures: either outcome may be right, nothing written if refused
            first = inv.lines.order_by(invoices.LineItem.position).first()
            ok = False
            qty = first.quantity if first is not None else Decimal(1)
            call = lambda: credit.create_credit_note(self.ctx, inv.id, reason="Returned", lines=[(1, qty)])  # noqa: E731
        cn = self._attempt(call, must_succeed=ok)
        if cn is not None:
            assert correctable and cn.status == "draft" and cn.number is None and cn.billed_minor > 0
            self.ever_ids.add(cn.id)

    @precondition(_has_credit_notes)
    @rule(j=pick)
    def issue_credit_note(self, j):
        cn = self._credit_note(j)
        before = Invoice.get_by_id(cn.refers_to)
        done = self._attempt(lambda: credit.issue_credit_note(self.ctx, cn.id), must_succeed=cn.status == "draft")
        if done is not None:
            self.issued_seqs.append(done.cn_seq)
            assert done.number == f"CN-{done.cn_seq}"
            after = Invoice.get_by_id(cn.refers_to)
            applied = after.credited_minor - before.credited_minor
            assert 0 <= applied <= cn.billed_minor and applied <= max(before.balance_minor, 0)

    @precondition(_has_credit_notes)
    @rule(j=pick, action=st.sampled_from(["edit", "void", "delete", "finalize", "clone", "pay"]))
    def an_issued_credit_note_never_changes(self, j, action):
        cn = self._credit_note(j)
        calls = {"edit": lambda: invoices.edit_invoice(self.ctx, cn.id, {"comments": "x"}),
                 "void": lambda: invoices.void_invoice(self.ctx, cn.id),
                 "delete": lambda: invoices.delete_invoice(self.ctx, cn.id),
                 "finalize": lambda: invoices.finalize_invoice(self.ctx, cn.id),
                 "clone": lambda: invoices.clone_invoice(self.ctx, cn.id),
                 "pay": lambda: payments.record_payment(self.ctx, cn.id, {"amount": "1"})}
        done = self._attempt(calls[action], must_succeed=False)
        if done is not None:  # only a draft credit note may be deleted (R38)
            assert action == "delete" and cn.status == "draft"

    @precondition(_has_invoices)
    @rule(i=pick, extra=st.sampled_from([1, 50, 1000]), confirm=st.booleans())
    def overpay(self, i, extra, confirm):
        inv = self._invoice(i)
        minor = inv.balance_minor + extra
        ok = confirm and inv.status == "open" and self._collectable(inv) == inv.balance_minor
        done = self._attempt(lambda: payments.record_payment(
            self.ctx, inv.id, {"amount": str(from_minor(minor, inv.currency)), "overpay": confirm}), must_succeed=ok)
        if done is not None:
            assert confirm and Invoice.get_by_id(inv.id).status == "paid"

    @precondition(_has_invoices)
    @rule(i=pick, share=st.sampled_from([10, 50, 100, 200]))
    def apply_credit(self, i, share):
        inv = self._invoice(i)
        available = credit.credit_available(credit.customer_of(inv), inv.currency)
        minor = max(1, inv.balance_minor * share // 100)
        ok = (inv.status == "open" and 0 < minor <= available and minor <= self._collectable(inv)
              and (inv.allow_partial or minor == inv.balance_minor))
        self._attempt(lambda: credit.apply_credit(self.ctx, inv.id, str(from_minor(minor, inv.currency))),
                      must_succeed=ok)

    @rule(currency=st.sampled_from(CURRENCIES), share=st.sampled_from([30, 100, 150]))
    def refund(self, currency, share):
        who = credit.Customer(None, self.contact.id)
        available = credit.credit_available(who, currency)
        minor = max(1, available * share // 100)
        self._attempt(lambda: credit.refund_credit(self.ctx, who, currency, str(from_minor(minor, currency)),
                                                   method="bank_transfer"), must_succeed=minor <= available)

    @rule(days=st.integers(min_value=1, max_value=20))
    def time_passes(self, days):
        self.clock.moment += dt.timedelta(days=days)

    # ---- invariants --------------------------------------------------------------------------
    @invariant()
    def numbers_unique_and_increasing(self):
        assert self.finalized_seqs == sorted(set(self.finalized_seqs)), self.finalized_seqs
        if self.finalized_seqs:
            assert self.finalized_seqs[0] == 1001
        for inv in Invoice.select().where(Invoice.doc_type == "invoice"):
            assert (inv.number is None) == (inv.status == "draft") == (inv.number_seq is None)
            if inv.number_seq is not None:
                assert inv.number_seq in self.finalized_seqs
        dates = [d for (d,) in Invoice.select(Invoice.invoice_date).where(Invoice.number_seq.is_null(False))
                 .order_by(Invoice.number_seq).tuples()]
        assert dates == sorted(dates), "numbers out of date order (R57)"

    @invariant()
    def credit_note_series_has_no_gap(self):
        """R36: issued credit notes hold CN-1 … CN-n, one each, in issue order; drafts hold none."""
        assert self.issued_seqs == list(range(1, len(self.issued_seqs) + 1)), self.issued_seqs
        for cn in Invoice.select().where(Invoice.doc_type == "credit_note"):
            assert cn.number_seq is None and (cn.number is None) == (cn.status == "draft") == (cn.cn_seq is None)
            assert cn.status in ("draft", "issued") and cn.balance_minor == 0 and cn.billed_minor > 0
            assert Invoice.get_by_id(cn.refers_to).status in ("open", "paid")  # R37: never voided, never a draft
        seqs = sorted(s for (s,) in Invoice.select(Invoice.cn_seq).where(Invoice.cn_seq.is_null(False)).tuples())
        assert seqs == list(range(1, len(seqs) + 1))

    @invariant()
    def customer_credit_is_its_records(self):
        """R40: per customer and currency, 0 ≤ credit = Σ remainders + overpayments − applied − refunded."""
        sums: dict[tuple, int] = {}
        sign = {"cn_remainder": 1, "overpayment": 1, "applied": -1, "refund": -1, "cn_applied": 0}
        for e in CreditEntry.select():
            key = (e.company_id, e.contact_id, e.currency)
            sums[key] = sums.get(key, 0) + sign[e.kind] * e.amount_minor
            assert e.amount_minor > 0
        for (company_id, contact_id, currency), total in sums.items():
            assert total >= 0, (company_id, contact_id, currency, total)
            assert credit.credit_available(credit.Customer(company_id, contact_id), currency) == total

    @invariant()
    def balances_and_statuses(self):
        for inv in Invoice.select().where(Invoice.doc_type == "invoice"):
            succeeded = sum(p.amount_minor for p in Payment.select().where((Payment.invoice == inv)
                                                                           & (Payment.state == "succeeded")))
            entries = list(CreditEntry.select().where(CreditEntry.invoice_id == inv.id))
            over = sum(e.amount_minor for e in entries if e.kind == "overpayment")
            credited = sum(e.amount_minor for e in entries if e.kind in ("cn_applied", "applied"))
            paid = succeeded - over if succeeded else 0
            assert inv.paid_minor == paid and inv.credited_minor == credited
            # R37: the credit notes against an invoice never total more than it billed
            if inv.status != "draft":  # a draft may total below zero (R35) and has no credit note
                assert sum(c.billed_minor for c in credit.credit_notes_of(inv)) <= inv.billed_minor
            # R18/R39: billed − paid − credited, and 0 for a voided invoice (issue 19)
            assert inv.balance_minor == (0 if inv.status == "voided"
                                         else inv.billed_minor - inv.paid_minor - inv.credited_minor)
            assert inv.balance_minor >= 0 or inv.status == "draft"  # R35: only a draft may total below zero
            if inv.status == "open":
                assert inv.balance_minor > 0 and inv.payment_date is None
            elif inv.status == "paid":
                assert inv.balance_minor == 0 and inv.payment_date is not None and inv.billed_minor >= 0
                assert invoices.upcoming_reminders(inv) == []
            elif inv.status == "voided":
                assert paid == 0 and invoices.upcoming_reminders(inv) == []
            else:
                assert inv.status == "draft" and paid == 0

    @invariant()
    def stored_totals_equal_recomputation(self):
        for inv in Invoice.select():
            t = invoices.invoice_totals(inv)
            stored = tuple(from_minor(m, inv.currency) for m in (
                inv.subtotal_minor, inv.discount_minor, inv.fee_minor, inv.tax_minor, inv.billed_minor,
                inv.paid_minor, inv.balance_minor))
            assert stored == (t.subtotal, t.discount_total, t.fee_total, t.tax_total, t.billed, t.paid, t.balance)

    @invariant()
    def history_explains_every_value(self):
        replays: dict[tuple[str, int], dict[str, str | None]] = {}
        for pc in PropertyChange.select().where(PropertyChange.object_type.in_(
                ["invoice", "payment", "credit_entry"])).order_by(
                PropertyChange.id):
            replay = replays.setdefault((pc.object_type, pc.object_id), {})
            missed = history.replay_step(replay, pc.property, pc.old_value, pc.new_value)
            assert not missed, (pc.object_type, pc.object_id, missed)
        live = {inv.id: inv for inv in Invoice.select()}
        for inv_id in self.ever_ids:
            replay = replays.get(("invoice", inv_id), {})
            if inv_id in live:
                snap = {k: history.display(v) for k, v in invoices.snapshot(live[inv_id]).items()}
                assert {k: replay.get(k) for k in snap} == snap, inv_id
            else:  # deleted: the history ends with every property emptied
                assert set(replay.values()) == {None}, inv_id
        for p in Payment.select():
            replay = replays.get(("payment", p.id), {})
            snap = {k: history.display(v) for k, v in invoices._payment_snapshot(p).items()}
            assert {k: replay.get(k) for k in snap} == snap, p.id
        for e in CreditEntry.select():  # every credit movement is a dated record with its history row
            replay = replays.get(("credit_entry", e.id), {})
            snap = {k: history.display(v) for k, v in credit.entry_snapshot(e).items()}
            assert {k: replay.get(k) for k in snap} == snap, e.id

    @invariant()
    def chains_intact(self):
        """The chains checked incrementally after each step (new rows only), fully at the end."""
        for name, model, fields in (("property_change", PropertyChange, history.PROPERTY_CHANGE_FIELDS),
                                    ("activity", Activity, history.ACTIVITY_FIELDS)):
            last_id, prev = self.verified.get(name, (0, history.GENESIS))
            for row in model.select().where(model.id > last_id).order_by(model.id):
                assert row.prev_hash == prev, f"{name} row {row.id} does not follow the row before it"
                assert history.row_hash(prev, {f: getattr(row, f) for f in fields}) == row.hash, row.id
                last_id, prev = row.id, row.hash
            self.verified[name] = (last_id, prev)
            head = ChainHead.get(ChainHead.name == name)
            assert head.hash == prev and head.count == model.select().count()

    def teardown(self) -> None:
        try:
            for name in history.CHAINS:
                ok, _, why = history.verify_chain(name)
                assert ok, why
        finally:
            self.ws.db.close()
            self._cleanup()


def _sqlite_factory():
    folder = tempfile.mkdtemp(prefix="invoice-tui-sm-")
    return f"sqlite:///{folder}/workspace.db", lambda: shutil.rmtree(folder, ignore_errors=True)


def _pg_factory():
    import psycopg2

    base = os.environ["INVOICE_TUI_TEST_PG_URL"]
    name = f"invoice_tui_sm_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(base)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()

    return urlunparse(urlparse(base)._replace(path=f"/{name}")), drop


SETTINGS = dict(deadline=None, database=None, derandomize=False, stateful_step_count=20,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def test_lifecycle_state_machine_sqlite():
    class OnSqlite(Lifecycle):
        url_factory = staticmethod(_sqlite_factory)

    run_state_machine_as_test(OnSqlite, settings=settings(max_examples=25, **SETTINGS))


def test_lifecycle_state_machine_postgresql():
    _require_pg()

    class OnPostgres(Lifecycle):
        url_factory = staticmethod(_pg_factory)

    run_state_machine_as_test(OnPostgres, settings=settings(max_examples=3, **SETTINGS))


def _require_pg() -> None:
    url = os.environ.get("INVOICE_TUI_TEST_PG_URL", "")
    reason = None
    if not url:
        reason = "PostgreSQL tests need INVOICE_TUI_TEST_PG_URL"
    else:
        try:
            import psycopg2

            psycopg2.connect(url, connect_timeout=3).close()
        except Exception as exc:  # noqa: BLE001 - any failure means "unreachable"
            reason = f"PostgreSQL at {url} is unreachable: {exc}"
    if reason:
        if os.environ.get("INVOICE_TUI_REQUIRE_PG") == "1":
            pytest.fail(f"INVOICE_TUI_REQUIRE_PG=1 but {reason}")
        pytest.skip(reason)
