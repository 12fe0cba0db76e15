"""Demo data (issue 2): a realistic workspace, deterministic for a seed and a clock, every state
present, stored totals equal to the R18 recomputation, numbers consecutive (R3), every object's
full history as the services write it, chained (R15/R16), refused on a non-empty workspace and
for anyone but a super admin (R17).

Run on SQLite and PostgreSQL at a small N; the 1M timing is measured by hand (see the report)."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from invoice_tui.db import bind, database, is_sqlite
from invoice_tui.db.models import (Activity, Adjustment, ChainHead, Company, Contact, Counter, Invoice, InvoiceCompany,
                                   InvoiceContact, LineItem, Payment, PropertyChange, Reminder, Setting, User)
from invoice_tui import demo
from invoice_tui.demo import generator
from invoice_tui.domain import history, invoices, payments, people
from invoice_tui.domain.errors import PermissionDenied, RuleRefused
from invoice_tui.domain.money import to_minor
from invoice_tui.domain.workspace import open_workspace


# The demo's own seller (French, strict mode: cancellations are credit notes), not the test seller.
pytestmark = pytest.mark.no_seller
N = 300
DUMPED = (User, Setting, Counter, ChainHead, Company, Contact, Invoice, InvoiceContact, InvoiceCompany, LineItem,
          Adjustment, Payment, Reminder, Activity, PropertyChange)


def _index_names() -> set[str]:
    if is_sqlite():
        rows = database.obj.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    else:
        rows = database.obj.execute_sql(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()").fetchall()
    return {r[0] for r in rows}


def test_demo_workspace_every_state_totals_numbers_chain(ws, admin):
    indexes_before = _index_names()
    seen = []
    summary = demo.generate(admin, invoices=N, seed=7, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (N, N)
    assert summary["invoices"] == N == Invoice.select().where(Invoice.doc_type == "invoice").count()
    assert _index_names() == indexes_before  # dropped for the load, rebuilt in the same transaction
    today = admin.today()

    invs = list(Invoice.select().where(Invoice.doc_type == "invoice").order_by(Invoice.id))
    statuses = {i.status for i in invs}
    # R46: a French seller in strict mode cancels by credit notes, never by voiding
    assert statuses == {"draft", "open", "paid"}
    assert any(invoices.is_overdue(i, today) for i in invs)
    assert any(i.status == "open" and i.due_date >= today for i in invs)
    assert any(i.status == "open" and 0 < i.paid_minor < i.billed_minor for i in invs)  # partially paid
    assert {i.currency for i in invs} == {"EUR", "USD", "GBP", "JPY"}
    assert Adjustment.select().where(Adjustment.kind == "discount").exists()
    assert Adjustment.select().where(Adjustment.kind == "fee").exists()
    assert LineItem.select().where(LineItem.discount_kind.is_null(False)).exists()
    assert len({li.tax_rate for li in LineItem.select(LineItem.tax_rate)}) >= 4
    assert any(any(ord(ch) > 127 for ch in c.first_name + c.last_name) for c in Contact.select())

    # R18: stored totals equal a recomputation by the one function; balance and status agree.
    for inv in invs:
        t = invoices.invoice_totals(inv, paid=invoices.paid_minor(inv))
        cur = inv.currency
        assert (inv.subtotal_minor, inv.discount_minor, inv.fee_minor, inv.tax_minor, inv.billed_minor) == (
            to_minor(t.subtotal, cur), to_minor(t.discount_total, cur), to_minor(t.fee_total, cur),
            to_minor(t.tax_total, cur), to_minor(t.billed, cur)), inv.id
        assert inv.paid_minor == to_minor(t.paid, cur) and inv.balance_minor == to_minor(t.balance, cur)
        assert inv.billed_minor > 0 and 0 <= inv.balance_minor <= inv.billed_minor
        if inv.status == "paid":
            assert inv.balance_minor == 0 and inv.payment_date is not None
        elif inv.status == "open":
            assert inv.balance_minor > 0
        elif inv.status == "voided":  # R18: a voided invoice owes nothing (issue 19)
            assert inv.balance_minor == 0
        if inv.status in ("draft", "voided"):
            assert inv.paid_minor == 0
        if inv.status != "draft":
            assert inv.billing_contact_id and inv.contact_name and inv.link_token
        else:
            assert inv.number is None and inv.link_token is None
        if inv.status in ("paid", "voided"):
            assert not Reminder.select().where((Reminder.invoice == inv) & (Reminder.state == "planned")).exists()
    # R13: no online payment ever succeeded on a voided invoice (it could not have been voided).
    assert not (Payment.select().join(Invoice).where((Invoice.status == "voided")).exists())

    # R3: consecutive numbers in date order, counter past them; unique tokens.
    finalized = [i for i in invs if i.status != "draft"]
    assert [i.number_seq for i in finalized] == list(range(1001, 1001 + len(finalized)))
    # R36-R39, R46: each cancellation is a full credit note, numbered in its own series in date
    # order, applied to its invoice (paid by credit, owing nothing), one credit movement each
    cns = list(Invoice.select().where(Invoice.doc_type == "credit_note").order_by(Invoice.id))
    assert len(cns) == summary["credit_notes"] >= 1 and summary["voided"] == 0
    assert [c.number for c in cns] == [f"CN-{k}" for k in range(1, len(cns) + 1)]
    assert [c.cn_seq for c in cns] == list(range(1, len(cns) + 1))
    assert [c.invoice_date for c in cns] == sorted(c.invoice_date for c in cns)
    # ids in creation order: each credit note's right after its invoice's (the index, newest first,
    # does not open on a page of credit notes)
    assert all(c.id == c.refers_to + 1 for c in cns), [(c.id, c.refers_to) for c in cns]
    by_id = {i.id: i for i in invs}
    for c in cns:
        cancelled = by_id[c.refers_to]
        assert c.status == "issued" and c.billed_minor == cancelled.billed_minor == cancelled.credited_minor
        assert cancelled.status == "paid" and cancelled.balance_minor == 0 and cancelled.paid_minor == 0
        assert c.invoice_date > cancelled.invoice_date and c.link_token
        assert LineItem.select().where(LineItem.invoice == c).count() == cancelled.lines.count()
    from invoice_tui.db.models import CreditEntry

    assert CreditEntry.select().where(CreditEntry.kind == "cn_applied").count() == len(cns)
    assert all(i.number == f"INV-{i.number_seq}" for i in finalized)
    assert [i.invoice_date for i in invs] == sorted(i.invoice_date for i in invs)
    assert Counter.get(Counter.name == "invoice_number").value == 1001 + len(finalized)
    assert len({i.link_token for i in finalized}) == len(finalized)
    assert all(len(i.link_token) == 32 for i in finalized)

    # Payments: manual and online; a few unapplied; reminders planned for open invoices.
    assert Payment.select().where(Payment.source == "online").exists()
    assert Payment.select().where(Payment.source == "manual").exists()
    assert summary["unapplied_payments"] == Payment.select().where(Payment.invoice.is_null()).count() >= 4
    assert payments.find_unapplied("EUR") or payments.find_unapplied("USD")
    assert Reminder.select().where(Reminder.state == "planned").exists()
    assert len(User.select()) >= 4 and User.get(User.login == "alice").permissions.endswith("super_admin")

    # History: both chains verify; every object's history is complete (see the test below), and the
    # replay finds every row as its history says (R54).
    assert history.verify_chain("activity")[0], history.verify_chain("activity")
    assert history.verify_chain("property_change")[0], history.verify_chain("property_change")
    from invoice_tui.domain import audit

    report = audit.verify()
    assert report.ok, [f.sentence() for f in report.findings[:10]]
    assert Activity.select(Activity.invoice_id).distinct().count() == N + len(cns)
    last = invs[-1]
    assert [a.kind for a in reversed(invoices.activities(last.id))][0] in ("created", "cloned")
    assert invoices.property_history(last.id, "status")

    # SQLite: foreign keys were off during the load — the data still satisfies them; pragmas restored.
    if is_sqlite():
        db = database.obj
        assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    else:  # PostgreSQL: the row triggers paused for the load (as the owner) are all on again
        on, off = database.obj.execute_sql(
            "SELECT count(*) FILTER (WHERE t.tgenabled <> 'D'), count(*) FILTER (WHERE t.tgenabled = 'D') "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relnamespace = to_regnamespace(current_schema())::oid").fetchone()
        assert on > 0 and off == 0

    # The services carry on from the demo (ids, sequences, counter and chains all continue).
    draft = Invoice.select().where((Invoice.status == "draft") & Invoice.billing_contact.is_null(False)).first()
    today = admin.today()  # dated today: numbers follow the invoice dates (R57), the demo's last is today's
    invoices.edit_invoice(admin, draft.id, {"invoice_date": today, "due_date": today + dt.timedelta(days=30)})
    done = invoices.finalize_invoice(admin, draft.id)
    assert done.number == f"INV-{1001 + len(finalized)}"
    payments.record_payment(admin, done.id, {"amount": str(invoices.invoice_totals(done).billed)})
    people.add_contact(admin, {"email": "new.customer@example.com", "first_name": "Zoë"})
    assert history.verify_chain("activity")[0] and history.verify_chain("property_change")[0]


def _dump() -> dict[str, list[tuple]]:
    out = {}
    for model in DUMPED:
        fields = [f for f in model._meta.sorted_fields if f.name != "link_token"]
        out[model.__name__] = list(model.select(*fields).order_by(*[model._meta.primary_key]).tuples())
    return out


def test_demo_is_deterministic_for_a_seed_and_clock(ws, admin, clock, db_url, tmp_path, request):
    """Same seed and clock → the same rows in every table, except the random link tokens."""
    demo.generate(admin, invoices=120, seed=11)
    first = _dump()
    other_url = (f"sqlite:///{tmp_path / 'other.db'}" if db_url.startswith("sqlite")
                 else request.getfixturevalue("pg_url"))
    try:
        ws2 = open_workspace(other_url, notice=lambda m: None)
        ctx2 = ws2.context("alice", source="test", now=clock)
        demo.generate(ctx2, invoices=120, seed=11)
        second = _dump()
        ws2.db.close()
    finally:
        bind(ws.db)
    for name in first:
        assert first[name] == second[name], name
    assert first["Invoice"]  # the comparison compared something


def test_demo_seed_changes_the_data(ws, admin):
    demo.generate(admin, invoices=40, seed=1)
    a = [(i.contact_email, i.billed_minor) for i in Invoice.select().order_by(Invoice.id)]
    assert len(set(a)) > 20


def test_demo_refuses_a_non_empty_workspace(ws, admin):
    people.add_contact(admin, {"email": "someone@example.com"})
    before = (Invoice.select().count(), Contact.select().count(), Activity.select().count())
    with pytest.raises(RuleRefused, match="empty workspace"):
        demo.generate(admin, invoices=10)
    assert (Invoice.select().count(), Contact.select().count(), Activity.select().count()) == before
    if is_sqlite():  # the bulk-load pragmas were restored after the refusal
        assert database.obj.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_demo_refuses_twice(ws, admin):
    demo.generate(admin, invoices=12, seed=2)
    count = Invoice.select().count()
    with pytest.raises(RuleRefused, match="already has"):
        demo.generate(admin, invoices=12, seed=2)
    assert Invoice.select().count() == count


def test_demo_needs_a_super_admin(ws, admin):
    people.add_user(admin, "bob", permissions="view,create,edit,delete")
    bob = ws.context("bob", source="test", now=admin.now)
    with pytest.raises(PermissionDenied, match="super admin"):
        demo.generate(bob, invoices=10)
    assert not Invoice.select().exists() and not Contact.select().exists()


def test_demo_zero_invoices_and_bad_count(ws, admin):
    from invoice_tui.domain.errors import BadInput

    with pytest.raises(BadInput):
        demo.generate(admin, invoices=-1)
    summary = demo.generate(admin, invoices=0)
    assert summary["invoices"] == 0 and summary["contacts"] > 0
    assert history.verify_chain("activity")[0]


def _replayed(object_type: str) -> dict[int, dict[str, str]]:
    """Each object's properties as its property history tells them, from its creation on."""
    state: dict[int, dict[str, str]] = {}
    for pc in (PropertyChange.select().where(PropertyChange.object_type == object_type)
               .order_by(PropertyChange.id)):
        props = state.setdefault(pc.object_id, {})
        if not props:  # its first row is its creation, holding its whole snapshot
            assert pc.property == history.CREATED, (object_type, pc.object_id, pc.property)
        missed = history.replay_step(props, pc.property, pc.old_value, pc.new_value)
        assert not missed, (object_type, pc.object_id, missed)  # no gap
    return {k: {p: v for p, v in props.items() if v is not None} for k, props in state.items()}


def _shown(snapshot: dict) -> dict[str, str]:
    return {k: history.display(v) for k, v in snapshot.items() if v is not None}


def test_demo_writes_every_objects_full_history(ws, admin, monkeypatch):
    """Every invoice, payment, contact and company carries its whole history from its creation,
    as the services write it: replaying its property changes gives exactly what the services'
    snapshot of it says today; every invoice's activities tell its life (created or cloned,
    finalized, each payment, voided). Notes, tasks and sent reminders only on the most recent
    FULL_HISTORY invoices (their reminder rows too); both chains verify."""
    from invoice_tui.domain.people import _company_snapshot, _contact_snapshot

    monkeypatch.setattr(generator, "FULL_HISTORY", 100)
    demo.generate(admin, invoices=N, seed=5)
    assert history.verify_chain("activity")[0], history.verify_chain("activity")
    assert history.verify_chain("property_change")[0], history.verify_chain("property_change")
    everything = list(Invoice.select().order_by(Invoice.id))
    invs = [i for i in everything if i.doc_type == "invoice"]
    replayed = _replayed("invoice")
    for inv in everything:
        assert replayed[inv.id] == _shown(invoices.snapshot(inv)), inv.id
    replayed = _replayed("payment")
    all_payments = list(Payment.select())
    assert all_payments and set(replayed) == {p.id for p in all_payments}
    for p in all_payments:
        assert replayed[p.id] == _shown(invoices._payment_snapshot(p)), p.id
    replayed = _replayed("contact")
    assert set(replayed) == {c.id for c in Contact.select()}
    for c in Contact.select():
        assert replayed[c.id] == _shown(_contact_snapshot(c)), c.id
    replayed = _replayed("company")
    assert set(replayed) == {c.id for c in Company.select()}
    for c in Company.select():
        assert replayed[c.id] == _shown(_company_snapshot(c)), c.id

    kinds: dict[int, list[str]] = {}
    for a in Activity.select(Activity.invoice_id, Activity.kind).order_by(Activity.id):
        kinds.setdefault(a.invoice_id, []).append(a.kind)
    payments_of: dict[int, int] = {}
    for p in all_payments:
        if p.invoice_id:
            payments_of[p.invoice_id] = payments_of.get(p.invoice_id, 0) + 1
    for n, inv in enumerate(invs):
        story = [k for k in kinds[inv.id] if k != "cloned_to"]
        assert story[0] == ("cloned" if inv.origin == "clone" else "created"), (inv.id, story)
        assert ("finalized" in story) == (inv.status != "draft")
        assert ("voided" in story) == (inv.status == "voided")
        assert ("credit_note_issued" in story) == bool(inv.credited_minor)
        assert sum(k in ("payment_recorded", "payment_succeeded") for k in story) == payments_of.get(inv.id, 0)
        assert ("email_sent" in story) == (inv.last_sent_date is not None)
        recent = n >= N - 100
        sent = Reminder.select().where((Reminder.invoice == inv) & (Reminder.state == "sent")).count()
        assert story.count("reminder_sent") == sent
        if not recent:
            assert not {"note", "task", "reminder_sent"} & set(story), (inv.id, story)
    assert any(k in ("note", "task") for inv in invs[-100:] for k in kinds[inv.id])
    assert Reminder.select().where(Reminder.state == "sent").exists()
    sources = {pc.source for pc in PropertyChange.select(PropertyChange.source).distinct()}
    assert "demo" in sources


def test_demo_worker_processes_write_the_same_rows(ws, admin, clock, db_url, tmp_path, request, monkeypatch):
    """Large workspaces are generated by worker processes, segment by segment, each into its own
    file: for a seed and clock the rows are the same as when this process generates every segment
    itself (R3 numbers, payment ids and the R16 chain run on across segments)."""
    monkeypatch.setattr(generator, "SEGMENT_MIN", 50)
    monkeypatch.setattr(generator, "PARALLEL_FROM", 0)
    monkeypatch.setattr(generator._Generator, "_processes", staticmethod(lambda: 2))
    summary = demo.generate(admin, invoices=N, seed=3)
    assert summary["invoices"] == N == Invoice.select().where(Invoice.doc_type == "invoice").count()
    assert history.verify_chain("activity")[0], history.verify_chain("activity")
    assert history.verify_chain("property_change")[0], history.verify_chain("property_change")
    finalized = list(Invoice.select().where((Invoice.status != "draft") & (Invoice.doc_type == "invoice"))
                     .order_by(Invoice.id))
    assert [i.number_seq for i in finalized] == list(range(1001, 1001 + len(finalized)))
    cns = list(Invoice.select().where(Invoice.doc_type == "credit_note").order_by(Invoice.id))
    assert [c.cn_seq for c in cns] == list(range(1, len(cns) + 1)) and len(cns) == summary["credit_notes"] > 1
    assert all(c.id == c.refers_to + 1 for c in cns)  # across segments too
    ids = [i for (i,) in Invoice.select(Invoice.id).order_by(Invoice.id).tuples()]
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # no id left unused between segments
    assert [p.id for p in Payment.select().order_by(Payment.id)] == list(range(1, Payment.select().count() + 1))
    assert [r.id for r in Reminder.select().order_by(Reminder.id)] == list(range(1, Reminder.select().count() + 1))
    for inv in Invoice.select().where(Invoice.status != "draft"):
        assert inv.paid_minor == sum(p.amount_minor for p in inv.payments)
    parallel = _dump()
    if is_sqlite():  # the segment files, beside the workspace file, are gone
        folder = os.path.dirname(os.path.abspath(database.obj.database))
        assert not [f for f in os.listdir(folder) if f.startswith(".invoice-tui-demo-")]

    monkeypatch.setattr(generator, "PARALLEL_FROM", 10 ** 9)  # the same segments, all generated here
    other_url = (f"sqlite:///{tmp_path / 'other.db'}" if db_url.startswith("sqlite")
                 else request.getfixturevalue("pg_url"))
    try:
        ws2 = open_workspace(other_url, notice=lambda m: None)
        ctx2 = ws2.context("alice", source="test", now=clock)
        demo.generate(ctx2, invoices=N, seed=3)
        alone = _dump()
        ws2.db.close()
    finally:
        bind(ws.db)
    for name in parallel:
        assert parallel[name] == alone[name], name


def test_history_bulk_content_is_the_canonical_json():
    """The demo and the services chain rows through one encoder (history.payloads): its text is
    exactly ``json.dumps(sort_keys, compact, ensure_ascii=False)`` of the row with ISO dates (the
    form every existing chain was hashed with), whichever fields are shared by a batch."""
    import datetime as dt
    import hashlib
    import json
    import random

    def reference(content):
        text = json.dumps({k: v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v
                           for k, v in content.items()}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text, hashlib.sha256(("f" * 64 + text).encode("utf-8")).hexdigest()

    values = [None, "", "Zoë \"quoted\" \\ back\nline\ttab\x00\u2028 ✓ 😀 {0} }{ '", 0, -5, 10 ** 20, True, False,
              dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 12, 3, 4), dt.datetime(2026, 3, 1, 12, 3, 4, 5), 1.5]
    rng = random.Random(4)
    fields = history.PROPERTY_CHANGE_FIELDS
    for _ in range(500):
        content = {f: rng.choice(values) for f in fields}
        text, digest = reference(content)
        assert history.row_hash("f" * 64, content) == digest
        shared = rng.sample(fields, rng.randint(0, len(fields)))
        rest = tuple(f for f in fields if f not in shared)
        assert history.payloads(rest, [tuple(content[f] for f in rest)], {f: content[f] for f in shared}) == [text]
    stored = "2026-03-01 12:03:04"
    assert history.canonical_time(stored) == dt.datetime.fromisoformat(stored).isoformat()
    # Stored times given as such are hashed in their canonical form, as the services hash them.
    for _ in range(200):
        content = {f: rng.choice(values) for f in fields} | {"created_at": stored}
        text, _digest = reference(content | {"created_at": dt.datetime.fromisoformat(stored)})
        assert history.payloads(fields, [tuple(content[f] for f in fields)], times=("created_at",)) == [text]
    # Several properties in one value (creations, writes of several): each as display() writes it.
    from decimal import Decimal

    class Text(str):
        pass

    shown = values + [Decimal("1.50"), Decimal("1E+2"), Text("sub")]
    for _ in range(200):
        many = [{f"p{k}": rng.choice(shown) for k in rng.sample(range(12), rng.randint(1, 12))} for _ in range(5)]
        assert history.objects_json(many) == [
            json.dumps({k: history.display(v) for k, v in m.items()}, sort_keys=True, separators=(",", ":"),
                       ensure_ascii=False) for m in many]
