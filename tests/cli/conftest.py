"""CLI tests run ``invoice_tui.cli.main([...])`` in-process against a real workspace file (or a
fresh PostgreSQL database) and read what a user would see: exit code, stdout, stderr."""

from __future__ import annotations

import pytest

from tests import clikit
from tests.clikit import isolated_config  # noqa: F401 - autouse for every CLI test


class Cli(clikit.Cli):
    """``cli("invoices", "list")`` → Result; ``--db``/``--user`` are added, ``--json`` by default."""

    JSON_BY_DEFAULT = True

    def __init__(self, url: str, capsys, user: str = "ann") -> None:
        super().__init__(url, capsys, user)


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
