"""The buyer link server, R33 reminders (concurrent runs), R10 receipts, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pymupdf
import pytest

from invoice_tui.db.mail_models import OutboxEmail
from invoice_tui.db.models import Activity, Reminder
from invoice_tui.domain import invoices, payments
from invoice_tui.domain.workspace import set_setting
from invoice_tui.mail import outbox, reminders
from invoice_tui.mail.compose import invoice_draft
from invoice_tui.mail.sending import send_draft

from .conftest import make_invoice, setup_workspace


def _get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_link_in_email_resolves_on_serve_to_the_same_invoice(ws, admin, smtp_server, transport, buyer_server):
    setup_workspace(admin, base_url=buyer_server)
    inv = make_invoice(admin)
    other = make_invoice(admin, amount="99")
    assert send_draft(admin, invoice_draft(admin, inv), transport).delivered
    text = smtp_server.received[0].message.get_body(preferencelist=("plain",)).get_content()
    link = next(w for w in text.split() if w.startswith(buyer_server + "/i/"))
    status, headers, body = _get(link)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert inv.number in page and other.number not in page and "€1,440.00" in page
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    status, headers, body = _get(link + ".pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert inv.number in "".join(p.get_text() for p in pymupdf.open(stream=body, filetype="pdf"))


def test_unknown_draft_and_deleted_get_the_same_404_and_voided_shows_void(ws, admin, buyer_server):
    setup_workspace(admin, base_url=buyer_server)
    set_setting(admin, "allow_delete_unpaid", "true")
    draft = make_invoice(admin, finalize=False)
    gone = make_invoice(admin)
    gone_token = gone.link_token
    invoices.delete_invoice(admin, gone.id)
    voided = make_invoice(admin)
    invoices.void_invoice(admin, voided.id)
    answers = []
    for path in ("/i/" + "x" * 32, "/i/" + gone_token, "/i/" + gone_token + ".pdf", f"/i/{draft.id}", "/",
                 "/i/", "/invoices", "/i/" + voided.link_token + "/../x"):
        status, headers, body = _get(buyer_server + path)
        headers.pop("Date", None)
        answers.append((status, sorted(headers.items()), body))
    assert all(a == answers[0] for a in answers) and answers[0][0] == 404
    status, _h, body = _get(f"{buyer_server}/i/{voided.link_token}")
    assert status == 200 and b"VOID" in body
    status, _h, body = _get(f"{buyer_server}/i/{voided.link_token}.pdf")
    assert status == 200 and "VOID" in "".join(p.get_text() for p in pymupdf.open(stream=body, filetype="pdf"))


def test_r33_reminder_sent_exactly_once_under_two_concurrent_runs(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    inv = make_invoice(admin)
    planned = invoices.upcoming_reminders(inv)
    assert [r.offset_days for r in planned] == [-3, 0, 7]
    clock.advance(days=30)  # the due date: the -3 and 0 reminders are due; 0 is sent, -3 superseded
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run() -> None:
        from invoice_tui.db import database

        try:
            with database.connection_context():
                barrier.wait(10)
                results.append(reminders.run(admin, transport))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(smtp_server.received) == 1
    assert "is due today" in smtp_server.received[0].message["Subject"]
    states = {r.offset_days: r.state for r in Reminder.select().where(Reminder.invoice == inv.id)}
    assert states == {-3: "dropped", 0: "sent", 7: "planned"}
    # R33 / issue 19: whichever run delivered it, exactly one report says sent (any interleaving)
    assert sum(len(r.sent) for r in results) == 1, [(r.sent, r.queued, r.skipped, r.retried) for r in results]
    assert not any(r.queued for r in results)
    assert Activity.select().where((Activity.invoice_id == inv.id) & (Activity.kind == "reminder_sent")).count() == 1
    # run again, any number of times: nothing more
    reminders.run(admin, transport)
    assert len(smtp_server.received) == 1
    assert Invoice_last_sent(inv) is None  # reminders are not the invoice email (R32)


def test_r33_issue19_a_reminder_delivered_by_a_later_run_is_reported_sent_by_that_run(ws, admin, clock, smtp_server,
                                                                                    transport, down_transport):
    """Run A queues the reminder but cannot deliver it (server down); run B's outbox pass delivers
    it: B's report lists it as sent (it used to say only "outbox email 1: sent"), A's does not."""
    setup_workspace(admin)
    make_invoice(admin)
    clock.advance(days=30)
    a = reminders.run(admin, down_transport)
    assert not a.sent and len(a.queued) == 1
    clock.advance(minutes=3)
    b = reminders.run(admin, transport)
    assert [r["id"] for r in b.sent] == [a.queued[0]["id"]] and b.sent[0]["state"] == "sent"
    assert len(smtp_server.received) == 1


def test_r33_issue19_a_run_whose_email_another_run_delivered_reports_it_once(ws, admin, clock, smtp_server, transport,
                                                                             monkeypatch):
    """The interleaving of the flaky test, made deterministic: run A claims the reminder and queues
    its email; before A hands it over, run B's outbox pass takes and delivers it. Exactly one
    report (B's) says sent; A's says skipped, delivered by another run."""
    setup_workspace(admin)
    make_invoice(admin)
    clock.advance(days=30)
    real_deliver, other = outbox.deliver, []

    def deliver_after_another_run(ctx, email_id, tr):
        if not other:  # A is about to deliver: B runs first, later than A's grace period
            other.append(None)
            clock.advance(minutes=3)
            other[0] = reminders.run(admin, transport)
        return real_deliver(ctx, email_id, tr)

    monkeypatch.setattr(outbox, "deliver", deliver_after_another_run)
    a = reminders.run(admin, transport)
    b = other[0]
    assert len(smtp_server.received) == 1
    assert not a.sent and [r["reason"].split(" (")[0] for r in a.skipped if r["offset_days"] == 0] == [
        "delivered by another run"]
    assert len(b.sent) == 1 and b.sent[0]["offset_days"] == 0
    assert Activity.select().where(Activity.kind == "reminder_sent").count() == 1


def Invoice_last_sent(inv):  # noqa: N802 - helper
    from invoice_tui.db.models import Invoice

    return Invoice.get_by_id(inv.id).last_sent_date


def test_r33_deleted_reminder_never_sent_and_paid_invoice_gets_none(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    inv = make_invoice(admin)
    paid = make_invoice(admin, amount="10")
    r0 = next(r for r in invoices.upcoming_reminders(inv) if r.offset_days == 0)
    invoices.delete_reminder(admin, r0.id)
    payments.record_payment(admin, paid.id, {"amount": "12"})
    clock.advance(days=30)
    res = reminders.run(admin, transport)
    assert [r["offset_days"] for r in res.sent] == [-3]
    assert len(smtp_server.received) == 1
    assert smtp_server.received[0].rcpt_tos == ["zoe@muller.example"]


def test_r33_server_down_reminder_waits_in_outbox(ws, admin, clock, smtp_server, transport, down_transport):
    setup_workspace(admin)
    inv = make_invoice(admin)
    clock.advance(days=27)
    res = reminders.run(admin, down_transport)
    assert len(res.queued) == 1 and not res.sent
    r = Reminder.get_by_id(res.queued[0]["id"])
    assert r.state == "sending"
    assert reminders.run(admin, down_transport).queued == []  # not claimed twice
    clock.advance(minutes=2)
    res = reminders.run(admin, transport)  # the outbox retry delivers it
    assert [x["delivered"] for x in res.retried] == [True]
    assert Reminder.get_by_id(r.id).state == "sent" and len(smtp_server.received) == 1
    assert inv.id == r.invoice_id


def test_r10_receipt_only_when_asked_and_later_from_payments(ws, admin, smtp_server):
    from dataclasses import replace

    from invoice_tui.config import Config
    from invoice_tui.mail.receipts import send_receipt
    from invoice_tui.mail.transport import transport_from_url
    from invoice_tui.wiring import services

    setup_workspace(admin)
    admin = replace(admin, services=services(Config(mail_url=smtp_server.url)))  # passed in, no global
    inv = make_invoice(admin)
    inv2 = make_invoice(admin, amount="50")
    res = payments.record_payment(admin, inv.id, {"amount": "1440"})
    outbox.wait_background()
    assert not res.receipt_queued and not smtp_server.received  # R10: none unless asked
    res = payments.record_payment(admin, inv2.id, {"amount": "60", "send_receipt": True})
    assert res.receipt_queued
    outbox.wait_background()
    assert len(smtp_server.received) == 1
    msg = smtp_server.received[0].message
    assert msg["Subject"].startswith("Receipt for your payment of €60.00") and inv2.number in msg["Subject"]
    d = send_receipt(admin, res.payment.id,
                     transport_from_url(smtp_server.url))
    assert d.delivered and len(smtp_server.received) == 2
    assert OutboxEmail.select().where(OutboxEmail.kind == "receipt").count() == 2


# ---- CLI ---------------------------------------------------------------------------------------
def _cli(args, env_extra=None, cwd=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVOICE_TUI_")}
    env.update({"PYTHONPATH": os.getcwd(), "INVOICE_TUI_CONFIG": "/nonexistent/config.toml",
                "INVOICE_TUI_USER": "alice"}, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "invoice_tui", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


def test_cli_pdf_send_outbox_receipt(sqlite_url, tmp_path, smtp_server):
    from invoice_tui.domain.workspace import open_workspace

    ws = open_workspace(sqlite_url, notice=lambda m: None)
    admin = ws.context("alice", source="test")
    setup_workspace(admin)
    draft = make_invoice(admin, finalize=False)
    inv = make_invoice(admin)
    ws.db.close()
    db = ["--db", sqlite_url]
    r = _cli([*db, "invoices", "pdf", str(draft.id), "--out", str(tmp_path)])
    assert r.returncode == 1 and "draft has no PDF" in r.stderr  # R4
    r = _cli([*db, "invoices", "pdf", inv.number, "--out", str(tmp_path)])
    assert r.returncode == 0, r.stderr
    assert (tmp_path / f"{inv.number}.pdf").read_bytes().startswith(b"%PDF")
    down = {"INVOICE_TUI_MAIL_URL": "smtp://127.0.0.1:1"}
    r = _cli([*db, "invoices", "send", inv.number, *sum((["--cc", f"c{i}@x.example"] for i in range(10)), [])],
             down)
    assert r.returncode == 1 and "at most 9 CC" in r.stderr
    r = _cli([*db, "invoices", "send", inv.number, "--subject", "Your invoice"], down)
    assert r.returncode == 4 and "queued for retry" in r.stderr
    r = _cli([*db, "--json", "outbox", "list"])
    assert r.returncode == 0 and '"state": "failed"' in r.stdout
    up = {"INVOICE_TUI_MAIL_URL": smtp_server.url, "INVOICE_TUI_MAIL_PASSWORD": "never-shown"}
    r = _cli([*db, "outbox", "retry", "1"], up)
    assert r.returncode == 0, r.stderr
    assert len(smtp_server.received) == 1 and smtp_server.received[0].message["Subject"] == "Your invoice"
    r = _cli([*db, "outbox", "retry", "1"], up)
    assert r.returncode == 1 and len(smtp_server.received) == 1  # sent emails are never sent again
    r = _cli([*db, "invoices", "show", inv.number, "--json"])
    assert '"last_sent_date": "' in r.stdout
    r = _cli([*db, "payments", "record", inv.number, "--amount", "1440"])
    assert r.returncode == 0, r.stderr
    r = _cli([*db, "--json", "payments", "list"])
    pid = __import__("json").loads(r.stdout)[0]["id"]
    r = _cli([*db, "payments", "receipt", str(pid)], up)
    assert r.returncode == 0, r.stderr
    assert len(smtp_server.received) == 2
    r = _cli([*db, "reminders", "list", inv.number])
    assert r.returncode == 0 and "No upcoming reminder" in r.stdout  # paid: dropped
    for res in (r,):
        assert "never-shown" not in res.stdout + res.stderr


def test_startup_does_not_import_markdown_pdf():
    code = ("import sys, invoice_tui.app, invoice_tui.cli, invoice_tui.mail, invoice_tui.mail.sending, "
            "invoice_tui.web.app; "
            "invoice_tui.cli.build_parser(); "
            "print(sorted(m for m in ('markdown_pdf', 'pymupdf', 'fitz', 'waitress') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_r33_two_reminder_processes_at_the_same_moment_send_once(sqlite_url, smtp_server):
    """Two ``invoice-tui reminders run`` processes (cron twice) race on the same workspace."""
    import datetime as dt

    from invoice_tui.domain.workspace import open_workspace

    ws = open_workspace(sqlite_url, notice=lambda m: None)
    admin = ws.context("alice", source="test")
    setup_workspace(admin)
    today = admin.today()
    # due date today: the "on the due date" reminder is due now
    inv = invoices.create_invoice(admin, {"currency": "EUR", "invoice_date": today - dt.timedelta(days=30),
                                          "due_date": today,  # the contact's draft stays a draft: numbers follow dates (R57)
                                          "contact_id": make_invoice(admin, finalize=False).billing_contact_id,
                                          "lines": [{"name": "Work", "unit_price": "10"}]})
    inv = invoices.finalize_invoice(admin, inv.id)
    ws.db.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVOICE_TUI_")}
    env.update(PYTHONPATH=os.getcwd(), INVOICE_TUI_CONFIG="/nonexistent/config.toml", INVOICE_TUI_USER="alice",
               INVOICE_TUI_MAIL_URL=smtp_server.url)
    procs = [subprocess.Popen([sys.executable, "-m", "invoice_tui", "--db", sqlite_url, "reminders", "run"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    reminder_mails = [r for r in smtp_server.received if inv.number in r.message["Subject"]]
    assert len(reminder_mails) == 1, outs
    # exactly one process reports it as sent, whichever delivered it (issue 19)
    assert sum(o.count(f"sent: reminder") for o, _e in outs) == 1, outs


def test_sending_services_never_import_textual():
    code = ("import sys, invoice_tui.mail, invoice_tui.mail.sending, invoice_tui.mail.outbox, "
            "invoice_tui.mail.reminders, invoice_tui.mail.receipts, invoice_tui.mail.transport, "
            "invoice_tui.web.app, invoice_tui.documents.pdf, invoice_tui.db.mail_models; "
            "print('textual' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
