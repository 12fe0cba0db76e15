"""The CLI as a test drives it: ``invoice_tui.cli.main([...])`` in-process against a real workspace
(a SQLite file or a fresh PostgreSQL database), read as a user would see it — exit code, stdout,
stderr — and never a traceback. Shared by the CLI, export and hardening tests."""

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
    """``cli("invoices", "list")`` → Result, with ``--db`` and ``--user`` added (``user=False``: no
    ``--user``, the database role or the OS login decides) and ``--json`` when ``as_json``."""

    JSON_BY_DEFAULT = False

    def __init__(self, url: str, capsys, user: str = "alice") -> None:
        self.url, self.capsys, self.user = url, capsys, user

    def __call__(self, *argv: str, user: str | bool | None = None, as_json: bool | None = None) -> Result:
        args = ["--db", self.url]
        if user is not False:
            args += ["--user", user or self.user]
        args += list(argv)
        if self.JSON_BY_DEFAULT if as_json is None else as_json:
            args.append("--json")
        self.capsys.readouterr()
        code = main(args)
        captured = self.capsys.readouterr()
        assert "Traceback" not in captured.err, captured.err
        return Result(code, captured.out, captured.err)

    def ok(self, *argv: str, as_json: bool | None = None, **kw) -> Any:
        """Runs and asserts success; the parsed JSON (or the text without ``--json``)."""
        res = self(*argv, as_json=as_json, **kw)
        assert res.code == 0, res.err
        return res.data if (self.JSON_BY_DEFAULT if as_json is None else as_json) else res.out


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch):
    """No personal config file or environment leaks into the tests (import it into a conftest)."""
    monkeypatch.setenv("INVOICE_TUI_CONFIG", str(tmp_path / "no-config.toml"))
    for key in ("INVOICE_TUI_DB", "INVOICE_TUI_USER"):
        monkeypatch.delenv(key, raising=False)
