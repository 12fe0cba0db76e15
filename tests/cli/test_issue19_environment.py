"""Issue 19, a broken environment: a workspace path that is not a database, an unwritable data
folder, an unknown URL scheme, a missing ``--config`` file, an unreachable server, a PostgreSQL role
without grants, a full disk. Each ends in one line on stderr naming the problem and what to do, no
traceback, ``invoice-tui:`` once, with the README's exit code — in the CLI and when the TUI starts
(the real binary). Values starting with "-" are values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import peewee
import pytest

from invoice_tui.cli import main
from tests.clikit import Cli, isolated_config  # noqa: F401 - autouse

BINARY = Path(sys.executable).with_name("invoice-tui")


def _cases(tmp_path: Path) -> list[tuple[list[str], int, str]]:
    not_db = tmp_path / "notes.db"
    not_db.write_text("my shopping list\n" * 100)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the data folder should be")
    return [
        (["--db", f"sqlite:///{not_db}"], 4, "is not an invoice-tui workspace"),
        (["--db", f"sqlite:///{blocked}/sub/ws.db"], 4, "Cannot create the folder"),
        (["--db", "mysql://127.0.0.1/x"], 2, "Unsupported database URL"),
        (["--db", f"sqlite:///{tmp_path / 'ws.db'}", "--config", str(tmp_path / "missing.toml")], 2,
         "configuration file"),
        (["--db", "postgresql://postgres@127.0.0.1:1/x"], 4, "Cannot open the database"),
    ]


def _one_clean_line(err: str, code: int, expected_code: int, words: str) -> None:
    assert code == expected_code, err
    assert words in err and "Traceback" not in err
    assert err.startswith("invoice-tui: ") and "invoice-tui: invoice-tui" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_issue19_environment_failures_in_the_cli(tmp_path, capsys):
    for argv, expected, words in _cases(tmp_path):
        code = main([*argv, "invoices", "list"])
        _one_clean_line(capsys.readouterr().err, code, expected, words)


def test_issue19_environment_failures_when_the_tui_starts(tmp_path):
    """The real binary with no command (the TUI) fails before any screen, the same way."""
    for argv, expected, words in _cases(tmp_path):
        res = subprocess.run([str(BINARY), *argv], capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL)
        _one_clean_line(res.stderr, res.returncode, expected, words)


def test_issue19_a_full_disk_is_exit_4(sqlite_url, capsys, monkeypatch):
    from invoice_tui.domain import invoices

    cli = Cli(sqlite_url, capsys, user="ann")
    assert cli("invoices", "list").code == 0

    def full(*_a, **_k):
        raise peewee.OperationalError("database or disk is full")

    monkeypatch.setattr(invoices, "create_invoice", full)
    res = cli("invoices", "create", "--currency", "EUR")
    _one_clean_line(res.err, res.code, 4, "database or disk is full")


def test_issue19_a_role_without_grants_is_told_who_adds_it(pg_url, capsys):
    """Team mode (R53): a role with no grants fails as the environment does (exit 4, as issue 19 and
    the README's table say), in one line naming the owner's command that adds it."""
    import uuid

    import psycopg2
    from urllib.parse import urlparse

    from invoice_tui.domain.workspace import open_workspace

    open_workspace(pg_url, notice=lambda m: None).db.close()
    role = f"issue19_nogrant_{uuid.uuid4().hex[:10]}"  # roles are server-wide: a name of this run's own
    conn = psycopg2.connect(pg_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE ROLE {role} LOGIN")
    try:
        parsed = urlparse(pg_url)
        url = parsed._replace(netloc=f"{role}@{parsed.hostname}:{parsed.port or 5432}").geturl()
        code = main(["--db", url, "invoices", "list"])
        _one_clean_line(capsys.readouterr().err, code, 4, f"users add {role}")
        # the TUI's start (the real binary, no command) fails the same way, before any screen
        res = subprocess.run([str(BINARY), "--db", url], capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL)
        _one_clean_line(res.stderr, res.returncode, 4, f"users add {role}")
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP OWNED BY {role}")
            cur.execute(f"DROP ROLE IF EXISTS {role}")
        conn.close()


@pytest.mark.parametrize("argv", [
    ["settings", "set", "reminder_offsets", "-3,0,7"],
    ["invoices", "create", "--currency", "EUR", "--line", "-Refund;1;20"],
])
def test_issue19_values_may_start_with_a_dash(sqlite_url, capsys, argv):
    res = Cli(sqlite_url, capsys, user="ann")(*argv)
    assert res.code == 0, res.err
    assert "expected one argument" not in res.err
