"""Crashes (issue 8): ``kill -9`` in the middle of bulk demo generation, of payments being
recorded, of an export, of a reminder run and of an email being sent. Afterwards the SQLite file
passes ``PRAGMA integrity_check``, stored totals equal a recomputation, no payment is half applied,
no reminder is lost or sent twice, an interrupted email is ``unknown`` and never resent
automatically, and no partial export carries the final name. Child processes, bounded waits."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter

import pytest

from invoice_tui.db.mail_models import OutboxEmail
from invoice_tui.db.models import Activity, Invoice, Payment, PropertyChange, Reminder
from invoice_tui import demo
from invoice_tui.domain import audit, invoices, people
from invoice_tui.domain.context import Context
from invoice_tui.domain.workspace import open_workspace, set_setting
from hardkit import FakeSmtp, kill9, run_cli, spawn, sqlite_integrity, stored_totals_match, wait_for


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "workspace.db")


def _open(path):
    return open_workspace(f"sqlite:///{path}", notice=lambda m: None)


def _check_consistent(path):
    assert sqlite_integrity(path) == "ok"
    ws = _open(path)
    try:
        assert stored_totals_match() == []
        report = audit.verify()
        assert report.ok, report.record()
        fk = ws.db.execute_sql("PRAGMA foreign_key_check").fetchall()
        assert fk == []
    finally:
        ws.db.close()


def test_kill_during_bulk_demo_generation_leaves_nothing_half_written(path):
    """Killed while the load is being committed (the file is growing): the worst moment. With the
    load's rollback journal in memory this left "database disk image is malformed"."""
    ws = _open(path)
    ws.context("alice")
    ws.db.close()
    size0 = os.path.getsize(path)
    child = spawn(f"sqlite:///{path}", "demo", "--invoices", "3000")
    writing = wait_for(lambda: os.path.getsize(path) > size0 + 1_000_000 or child.poll() is not None,
                       timeout=60, interval=0.001)
    assert writing and child.poll() is None, child.stderr.read() if child.poll() is not None else "no write"
    kill9(child)
    _check_consistent(path)
    ws = _open(path)
    try:
        assert Invoice.select().count() == 0  # one transaction: all or nothing
        demo.generate(ws.context("alice"), invoices=20, seed=1)  # and the workspace is usable
        assert Invoice.select().count() == 20
    finally:
        ws.db.close()
    _check_consistent(path)


LOOP = r"""
import sys
from invoice_tui.cli import main
ids = sys.argv[1:]
print("go", flush=True)
while True:
    for i in ids:
        main(["payments", "record", i, "--amount", "1.00"])
"""


def test_kill_while_recording_payments_never_half_applies_one(path, clock):
    ws = _open(path)
    admin = ws.context("alice", source="test", now=clock)
    buyer = people.add_contact(admin, {"email": "ada@example.com"})
    ids = []
    for i in range(12):
        inv = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": buyer.id, "allow_partial": True,
                                              "lines": [{"name": "Work", "quantity": "1", "unit_price": "40"}]})
        ids.append(str(invoices.finalize_invoice(admin, inv.id).id))
    ws.db.close()
    child = spawn(f"sqlite:///{path}", *ids, code=LOOP)
    assert child.stdout.readline().strip() == "go"
    ws = _open(path)
    assert wait_for(lambda: Payment.select().count() >= 30, timeout=60)
    ws.db.close()
    kill9(child)
    _check_consistent(path)
    ws = _open(path)
    try:
        recorded = Counter(a.invoice_id for a in Activity.select().where(Activity.kind == "payment_recorded"))
        applied = Counter(p.invoice_id for p in Payment.select())
        assert recorded == applied  # every payment has its history entry, and no entry lacks its payment
        assert all(p.invoice_id is not None and p.state == "succeeded" for p in Payment.select())
    finally:
        ws.db.close()


def test_kill_during_export_leaves_no_file_under_the_final_name(path, tmp_path):
    ws = _open(path)
    demo.generate(ws.context("alice"), invoices=800, seed=2)
    ws.db.close()
    out = tmp_path / "exports"
    out.mkdir()
    final = out / "all.xlsx"
    child = spawn(f"sqlite:///{path}", "export", "--format", "xlsx", "--properties", "all", "--associations",
                  "contacts,companies,payments,line_items", "--out", str(final))
    started = wait_for(lambda: any(p.name.endswith(".part") for p in out.iterdir()) or child.poll() is not None,
                       timeout=60)
    assert started and child.poll() is None, child.stderr.read() if child.poll() is not None else ""
    kill9(child)
    assert not final.exists()
    _check_consistent(path)
    ws = _open(path)
    try:
        from invoice_tui.db.export_models import ExportLog

        assert ExportLog.select().count() == 0  # an export is logged only once its file is complete
    finally:
        ws.db.close()


def _due_reminders_workspace(path, n: int):
    """``n`` open invoices whose reminders (offsets from the due date) are due today."""
    ws = _open(path)
    admin = ws.context("alice", source="test")
    set_setting(admin, "default_from_address", "billing@seller.example")
    set_setting(admin, "reminder_offsets", "0")
    past = admin.today() - dt.timedelta(days=40)
    for i in range(n):
        buyer = people.add_contact(admin, {"email": f"buyer{i}@example.com"})
        inv = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": buyer.id, "invoice_date": past,
                                              "due_date": admin.today(),
                                              "lines": [{"name": "Work", "quantity": "1", "unit_price": "40"}]})
        invoices.finalize_invoice(admin, inv.id)
    assert Reminder.select().where(Reminder.state == "planned").count() == n
    ws.db.close()


def test_kill_during_reminder_run_and_email_sending(path):
    """The 3rd reminder's email is handed over, then the sender is killed before the server's
    answer. That email becomes ``unknown`` (never resent); every other reminder is sent exactly once."""
    n = 4
    _due_reminders_workspace(path, n)
    url = f"sqlite:///{path}"
    smtp = FakeSmtp(hang_after=2)
    try:
        child = spawn(url, "reminders", "run", extra_env={"INVOICE_TUI_MAIL_URL": smtp.url})
        assert smtp.hanging.wait(60), child.stderr.read() if child.poll() is not None else "no 3rd email"
        kill9(child)
        assert sqlite_integrity(path) == "ok"
        ws = _open(path)
        try:
            states = Counter(e.state for e in OutboxEmail.select())
            assert states == {"sent": 2, "sending": 1}
            # the stale "sending" email (its process died) becomes unknown — it may have arrived
            later = Context(login="alice", user=None, now=lambda: dt.datetime.now(dt.timezone.utc)
                            .replace(tzinfo=None) + dt.timedelta(minutes=16))
            from invoice_tui.mail import outbox

            assert outbox.recover_stale(later) == 1
            interrupted = OutboxEmail.get(OutboxEmail.state == "unknown")
        finally:
            ws.db.close()
        smtp.hang_after = None


        child = spawn(url, "reminders", "run", extra_env={"INVOICE_TUI_MAIL_URL": smtp.url})
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        child = spawn(url, "outbox", "retry", extra_env={"INVOICE_TUI_MAIL_URL": smtp.url})
        child.communicate(timeout=60)
        ws = _open(path)
        try:
            emails = list(OutboxEmail.select())
            assert Counter(e.state for e in emails) == {"sent": n - 1, "unknown": 1}
            assert len({e.reminder_id for e in emails}) == n  # one email per reminder, ever
            reminders = Counter(r.state for r in Reminder.select())
            assert reminders == {"sent": n - 1, "sending": 1}
            assert OutboxEmail.get_by_id(interrupted.id).state == "unknown"
        finally:
            ws.db.close()
        ids = Counter(smtp.message_ids())
        assert len(ids) == n and set(ids.values()) == {1}  # nothing reached the server twice
        _check_consistent(path)
    finally:
        smtp.close()


def test_kill_while_an_invoice_email_is_sent(path, clock):
    ws = _open(path)
    admin = ws.context("alice", source="test")
    set_setting(admin, "default_from_address", "billing@seller.example")
    buyer = people.add_contact(admin, {"email": "ada@example.com"})
    inv = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": buyer.id,
                                          "lines": [{"name": "Work", "quantity": "1", "unit_price": "40"}]})
    inv = invoices.finalize_invoice(admin, inv.id)
    ws.db.close()
    url = f"sqlite:///{path}"
    smtp = FakeSmtp(hang_after=0)
    try:
        child = spawn(url, "invoices", "send", str(inv.id), extra_env={"INVOICE_TUI_MAIL_URL": smtp.url})
        assert smtp.hanging.wait(60)
        kill9(child)
        smtp.hang_after = None
        ws = _open(path)
        try:
            from invoice_tui.mail import outbox

            later = Context(login="alice", user=None, now=lambda: dt.datetime.now(dt.timezone.utc)
                            .replace(tzinfo=None) + dt.timedelta(minutes=16))
            outbox.recover_stale(later)
            email = OutboxEmail.get()
            assert email.state == "unknown"
            assert Invoice.get_by_id(inv.id).last_sent_date is None  # R32: not known to be accepted
        finally:
            ws.db.close()
        child = spawn(url, "outbox", "retry", extra_env={"INVOICE_TUI_MAIL_URL": smtp.url})
        child.communicate(timeout=60)
        ws = _open(path)
        try:
            assert OutboxEmail.get().state == "unknown"  # a person decides; never resent automatically
        finally:
            ws.db.close()
        assert len(smtp.messages) == 1
        _check_consistent(path)
    finally:
        smtp.close()
