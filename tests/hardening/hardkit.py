"""Helpers of the hardening tests (imported by name): an in-process CLI runner, a small populated
workspace built through the services, subprocess runs, and a dump of the whole database (to prove
"nothing changed")."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from invoice_tui.domain import invoices, payments, people
from tests.clikit import Cli, Result  # noqa: F401 - the hardening tests import them from here

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def populate(admin, n: int = 3):
    """A few contacts, invoices (draft, open, paid, voided), payments and notes via the services."""
    buyer = people.add_contact(admin, {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"})
    made = []
    for i in range(n):
        inv = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": buyer.id, "allow_partial": True,
                                              "lines": [{"name": f"Work {i}", "quantity": "2", "unit_price": "50",
                                                         "tax_rate": "20"}]})
        inv = invoices.finalize_invoice(admin, inv.id)
        payments.record_payment(admin, inv.id, {"amount": "10"})
        invoices.add_note(admin, inv.id, f"note {i}")
        made.append(inv)
    invoices.create_invoice(admin, {"currency": "USD", "title": "A draft"})
    return buyer, made


def subprocess_env(url: str, user: str = "alice") -> dict:
    env = dict(os.environ)
    env.update(INVOICE_TUI_DB=url, INVOICE_TUI_USER=user, PYTHONPATH=str(ROOT),
               INVOICE_TUI_CONFIG=str(Path(url.replace("sqlite:///", "")).parent / "no-config.toml"))
    return env


def run_cli(url: str, *argv: str, user: str = "alice", timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "invoice_tui", *argv], env=subprocess_env(url, user), capture_output=True,
                          text=True, timeout=timeout, cwd=str(ROOT))


def dump(db) -> list:
    """Every row of every table (sorted), for before/after comparisons on either backend."""
    from invoice_tui.domain.transfer import discover_models

    rows = []
    for model in discover_models():
        cur = db.execute_sql(f'SELECT * FROM "{model._meta.table_name}"')
        rows.append((model._meta.table_name, sorted((tuple(map(repr, r)) for r in cur.fetchall()))))
    return rows


def sqlite_dump(path: str) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


# ---- PostgreSQL roles and databases made by a test ----------------------------------------------
def pg_admin_url() -> str:
    return os.environ.get("INVOICE_TUI_TEST_PG_URL", "")


def pg_exec(url: str, *statements: str) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
    finally:
        conn.close()


def url_as(url: str, role: str, dbname: str | None = None) -> str:
    from urllib.parse import urlparse, urlunparse

    p = urlparse(url)
    return urlunparse(p._replace(netloc=f"{role}@{p.hostname}:{p.port or 5432}",
                                 path=f"/{dbname}" if dbname else p.path))


# ---- crash helpers -------------------------------------------------------------------------------
def spawn(url: str, *argv: str, user: str = "alice", extra_env: dict | None = None, code: str | None = None):
    """Start ``invoice-tui ARGV`` (or ``python -c CODE``) as a child process to be killed."""
    env = subprocess_env(url, user)
    env.update(extra_env or {})
    cmd = [PY, "-c", code, *argv] if code else [PY, "-m", "invoice_tui", *argv]
    return subprocess.Popen(cmd, env=env, cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until it is true (True) or ``timeout`` seconds pass (False)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def kill9(proc) -> None:
    import signal

    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)


def sqlite_integrity(path: str) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def stored_totals_match() -> list:
    """Invoices whose stored totals differ from a recomputation with the one R18 function, and
    invoices whose status disagrees with their balance."""
    from invoice_tui.db.models import Invoice, Payment
    from invoice_tui.domain.invoices import invoice_totals
    from invoice_tui.domain.money import to_minor

    bad = []
    for inv in Invoice.select():
        paid = sum(p.amount_minor for p in Payment.select().where((Payment.invoice == inv)
                                                                   & (Payment.state == "succeeded")))
        t = invoice_totals(inv, paid=paid)
        cur = inv.currency
        recomputed = (to_minor(t.subtotal, cur), to_minor(t.discount_total, cur), to_minor(t.fee_total, cur),
                      to_minor(t.tax_total, cur), to_minor(t.billed, cur), paid, to_minor(t.balance, cur))
        stored = (inv.subtotal_minor, inv.discount_minor, inv.fee_minor, inv.tax_minor, inv.billed_minor,
                  inv.paid_minor, inv.balance_minor)
        if stored != recomputed:
            bad.append((inv.id, "totals", stored, recomputed))
        if (inv.status == "paid") != (inv.balance_minor == 0 and inv.status not in ("draft", "voided")):
            bad.append((inv.id, "status", inv.status, inv.balance_minor))
    return bad


class FakeSmtp:
    """A minimal SMTP server on loopback that records every message it accepts. With ``hang_after``
    set, it accepts that many messages, then swallows the next one's data and never answers —
    the moment at which a killed sender cannot know whether the email arrived."""

    def __init__(self, hang_after: int | None = None) -> None:
        import socketserver
        import threading

        self.messages: list[bytes] = []
        self.hang_after = hang_after
        self.hanging = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                w = self.wfile.write
                w(b"220 fake ESMTP\r\n")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        w(b"250 fake\r\n")
                    elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                        w(b"250 OK\r\n")
                    elif verb == b"DATA":
                        w(b"354 go\r\n")
                        data = []
                        while True:
                            chunk = self.rfile.readline()
                            if not chunk or chunk == b".\r\n":
                                break
                            data.append(chunk)
                        msg = b"".join(data)
                        if outer.hang_after is not None and len(outer.messages) >= outer.hang_after:
                            outer.messages.append(msg)
                            outer.hanging.set()
                            outer.release.wait(30)
                            return
                        outer.messages.append(msg)
                        w(b"250 2.0.0 queued\r\n")
                    elif verb == b"QUIT":
                        w(b"221 bye\r\n")
                        return
                    else:
                        w(b"502 no\r\n")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def message_ids(self) -> list[str]:
        import re

        return [m.group(1).decode() for msg in self.messages
                for m in [re.search(rb"^Message-ID:\s*<([^>]+)>", msg, re.M | re.I)] if m]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


# ---- multi-process workers (spawned: importable by module name) ----------------------------------
def finalize_worker(url: str, ids: list, barrier, results) -> None:
    """One teammate: opens the workspace, waits for the others, finalizes its drafts."""
    import traceback

    try:
        from invoice_tui.domain import invoices
        from invoice_tui.domain.workspace import open_workspace

        ws = open_workspace(url, notice=lambda m: None)
        ctx = ws.context("alice", source="test")
        barrier.wait(timeout=120)
        out = [(inv.id, inv.number, inv.number_seq) for inv in
               (invoices.finalize_invoice(ctx, i) for i in ids)]
        ws.db.close()
        results.put(("ok", out))
    except BaseException:  # noqa: BLE001 - the parent reports it
        results.put(("error", traceback.format_exc()))


def bulk_drafts(url: str, count: int) -> list[int]:
    """``count`` finalizable drafts: one built through the services, copied in bulk."""
    from invoice_tui.db.models import Invoice, LineItem
    from invoice_tui.domain import invoices, people
    from invoice_tui.domain.workspace import open_workspace

    ws = open_workspace(url, notice=lambda m: None)
    ctx = ws.context("alice", source="test")
    buyer = people.add_contact(ctx, {"email": "ada@example.com"})
    first = invoices.create_invoice(ctx, {"currency": "EUR", "contact_id": buyer.id,
                                          "lines": [{"name": "Work", "quantity": "1", "unit_price": "10"}]})
    row = {f: getattr(first, f) for f in Invoice._meta.fields if f != "id"}
    row["owner"], row["billing_contact"], row["company"] = first.owner_id, buyer.id, None
    line = LineItem.get(LineItem.invoice == first)
    with ws.db.atomic():
        for start in range(0, count - 1, 200):
            Invoice.insert_many([row] * min(200, count - 1 - start)).execute()
        ids = [i for (i,) in Invoice.select(Invoice.id).order_by(Invoice.id).tuples()]
        LineItem.insert_many([{"invoice": i, "position": 0, "name": line.name, "quantity": line.quantity,
                               "unit_price_micro": line.unit_price_micro, "tax_rate": line.tax_rate}
                              for i in ids if i != first.id]).execute()
    ws.db.close()
    return ids


def r7_worker(role: str, url: str, plan: list, barrier, results) -> None:
    """R7 across processes. ``plan``: (invoice id, payment id, mode) with mode ``payment_first``
    (the editor opened the invoice, then the processor reports success, then the editor saves),
    ``edit_first`` (the editor saves, then the processor reports success) or ``race`` (both at once)."""
    import traceback

    try:
        from invoice_tui.db.models import Invoice
        from invoice_tui.domain import invoices, payments
        from invoice_tui.domain.errors import RuleRefused
        from invoice_tui.domain.workspace import open_workspace

        ws = open_workspace(url, notice=lambda m: None)
        ctx = ws.context("alice", source="test")
        out = []
        for inv_id, pay_id, mode in plan:
            version = Invoice.get_by_id(inv_id).version if role == "editor" else None
            barrier.wait(timeout=60)  # the editor has the invoice open

            def act():
                try:
                    if role == "editor":
                        invoices.edit_invoice(ctx, inv_id, {"comments": "edited"}, expected_version=version)
                    else:
                        payments.set_payment_state(ctx, pay_id, "succeeded")
                    return "done"
                except RuleRefused as exc:
                    return "refused: " + exc.message

            first = {"payment_first": "processor", "edit_first": "editor"}.get(mode)
            if first is None:
                outcome = act()
                barrier.wait(timeout=60)
            elif first == role:
                outcome = act()
                barrier.wait(timeout=60)
            else:
                barrier.wait(timeout=60)
                outcome = act()
            barrier.wait(timeout=60)
            out.append((inv_id, mode, outcome))
        ws.db.close()
        results.put((role, out))
    except BaseException:  # noqa: BLE001
        results.put(("error", traceback.format_exc()))


class _Boom(Exception):
    """An error after finalize took its number, before the commit."""


def strict_finalize_worker(url: str, ids: list, bad_id: int, barrier, results) -> None:
    """R46: one teammate finalizing its drafts in strict mode, with failures in between: a finalize
    refused by a rule (a draft without a billing contact), one rolled back by an error after it
    took its number; then the draft is finalized for real."""
    import traceback

    try:
        from invoice_tui.db import write_tx
        from invoice_tui.domain import invoices
        from invoice_tui.domain.errors import RuleRefused
        from invoice_tui.domain.workspace import open_workspace

        ws = open_workspace(url, notice=lambda m: None)
        ctx = ws.context("alice", source="test")
        barrier.wait(timeout=120)
        out, refused, rolled = [], 0, 0
        for k, i in enumerate(ids):
            if k % 4 == 0:
                try:
                    invoices.finalize_invoice(ctx, bad_id)
                except RuleRefused:
                    refused += 1
            if k % 3 == 0:
                try:
                    with write_tx():
                        invoices.finalize_invoice(ctx, i)
                        raise _Boom
                except _Boom:
                    rolled += 1
            inv = invoices.finalize_invoice(ctx, i)
            out.append((inv.id, inv.number, inv.number_seq))
        ws.db.close()
        results.put(("ok", out, refused, rolled))
    except BaseException:  # noqa: BLE001 - the parent reports it
        results.put(("error", traceback.format_exc(), 0, 0))


def strict_killed_worker(url: str, draft_id: int, barrier, results) -> None:
    """A teammate killed (SIGKILL) while its finalize holds a number, before the commit."""
    import os
    import signal

    from invoice_tui.db import write_tx
    from invoice_tui.domain import invoices
    from invoice_tui.domain.workspace import open_workspace

    ws = open_workspace(url, notice=lambda m: None)
    ctx = ws.context("alice", source="test")
    barrier.wait(timeout=120)
    with write_tx():
        inv = invoices.finalize_invoice(ctx, draft_id)
        results.put(("killed", inv.number))
        results.close()
        results.join_thread()  # the message is out before the process dies
        os.kill(os.getpid(), signal.SIGKILL)
