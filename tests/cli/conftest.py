"""CLI tests run ``invoice_tui.cli.main([...])`` in-process against a real workspace file (or a
fresh PostgreSQL database) and read what a user would see: exit code, stdout, stderr."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from invoice_tui.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def data(self) -> Any:
        return json.loads(self.out)


class Cli:
    """``cli("invoices", "list")`` → Result; ``--db``/``--user`` are added, ``--json`` by default."""

    def __init__(self, url: str, capsys, user: str = "ann") -> None:
        self.url, self.capsys, self.user = url, capsys, user

    def __call__(self, *argv: str, user: str | None = None, as_json: bool = True) -> Result:
        args = ["--db", self.url, "--user", user or self.user, *argv]
        if as_json:
            args.append("--json")
        self.capsys.readouterr()
        code = main(args)
        captured = self.capsys.readouterr()
        assert "Traceback" not in captured.err, captured.err
        return Result(code, captured.out, captured.err)

    def ok(self, *argv: str, **kw) -> Any:
        res = self(*argv, **kw)
        assert res.code == 0, res.err
        return res.data if kw.get("as_json", True) else res.out


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch):
    """No personal config file or environment leaks into the tests."""
    monkeypatch.setenv("INVOICE_TUI_CONFIG", str(tmp_path / "no-config.toml"))
    for key in ("INVOICE_TUI_DB", "INVOICE_TUI_USER"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def cli(sqlite_url, capsys) -> Cli:
    return Cli(sqlite_url, capsys)


@pytest.fixture
def any_cli(db_url, capsys) -> Cli:
    """The same CLI on SQLite and on PostgreSQL."""
    return Cli(db_url, capsys)


def _seed_people(cli: Cli) -> None:
    cli.ok("companies", "add", "--name", "Analytical Engines", "--domain", "ae.example")
    cli.ok("contacts", "add", "--email", "ada@example.com", "--first-name", "Ada", "--last-name", "Lovelace",
           "--company", "Analytical Engines")
    cli.ok("contacts", "add", "--email", "bob@example.com", "--first-name", "Bob")


@pytest.fixture
def seed_people():
    """``seed_people(cli)``: the company Analytical Engines, Ada Lovelace (of it) and Bob."""
    return _seed_people
