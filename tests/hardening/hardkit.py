"""Helpers of the hardening tests (imported by name): an in-process CLI runner, a small populated
workspace built through the services, subprocess runs, and a dump of the whole database (to prove
"nothing changed")."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from invoice_tui.cli import main
from invoice_tui.domain import invoices, payments, people

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def data(self) -> Any:
        return json.loads(self.out)


class Cli:
    def __init__(self, url: str, capsys, user: str = "alice") -> None:
        self.url, self.capsys, self.user = url, capsys, user

    def __call__(self, *argv: str, user: str | None = None, as_json: bool = False) -> Result:
        args = ["--db", self.url]
        if user is not False:
            args += ["--user", user or self.user]
        args += list(argv)
        if as_json:
            args.append("--json")
        self.capsys.readouterr()
        code = main(args)
        cap = self.capsys.readouterr()
        assert "Traceback" not in cap.err, cap.err
        return Result(code, cap.out, cap.err)


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
