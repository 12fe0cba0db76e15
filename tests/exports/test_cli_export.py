"""``invoice-tui export`` and ``export-log`` (R22) end to end through the CLI's main()."""

from __future__ import annotations

import json
from dataclasses import astuple

import pytest

from tests.clikit import Cli, isolated_config  # noqa: F401 - autouse: no personal config
from tests.exports.conftest import by_header, read_csv, read_xlsx


@pytest.fixture
def run(ws, data, capsys):
    """``code, out, err = run("export", …)`` as alice."""
    cli = Cli(ws.url, capsys, user="alice")
    return lambda *argv: astuple(cli(*argv))


def test_r22_cli_export_csv_with_filters_associations_and_limit(run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    code, stdout, stderr = run("export", "--format", "csv", "--filter", "status=open", "--or", "--filter",
                               "currency=JPY", "--sort", "-currency", "--associations", "contacts,line_items",
                               "--association-limit", "1", "--lang", "es", "--name", "Abiertas", "--out",
                               str(out), "--json")
    assert code == 0, stderr
    assert stderr == ""  # piped: no progress bar
    result = json.loads(stdout)
    assert result["rows"] == 3 and result["path"] == str((out / "Abiertas.csv").resolve())
    rows = read_csv(out / "Abiertas.csv")
    assert rows[0][0] == "Número" and rows[0][-2:] == ["Contactos asociados", "Partidas asociadas"]
    got = by_header(rows, "Número")
    assert [r[0] for r in rows[1:]] == ["INV-1002", "", "INV-1001"]  # KWD, JPY, EUR
    assert got["INV-1001"]["Partidas asociadas"] == "Design"  # capped at 1
    assert got["INV-1001"]["Estado"] == "Abierta"

    code, stdout, _ = run("export", "--filter", "status=open", "--associations", "line_items",
                          "--association-limit", "all", "--values", "internal", "--properties", "all",
                          "--out", str(out / "all.xlsx"))
    assert code == 0 and "Exported 2 invoices to" in stdout
    got = by_header(read_xlsx(out / "all.xlsx")[0], "Number")
    assert got["INV-1001"]["Associated line items"] == "Design; -Minus line; Support"
    assert got["INV-1001"]["Status"] == "open"


def test_r22_cli_export_saved_view_and_unknown_view(run, tmp_path):
    code, stdout, stderr = run("export", "--format", "xlsx", "--view", "Overdue", "--out", str(tmp_path / "o.xlsx"))
    assert code == 0, stderr
    rows = read_xlsx(tmp_path / "o.xlsx")[0]
    # the CLI runs on the real clock, after both open invoices fell due; the view sorts by due date
    assert [r[0] for r in rows[1:]] == ["INV-1002", "INV-1001"]
    assert rows[0][0] == "Number" and len(rows[0]) == 9  # the view's columns
    code, _, stderr = run("export", "--format", "csv", "--view", "No such view")
    assert code == 3 and "No view named 'No such view'" in stderr


def test_r22_cli_export_bad_input_and_log(run, tmp_path):
    assert run("export", "--out", str(tmp_path / "x"))[0] == 2  # no format
    assert run("export", "--format", "csv", "--associations", "friends")[0] == 2
    assert run("export", "--format", "csv", "--association-limit", "0")[0] == 2
    assert run("export", "--format", "csv", "--filter", "nonsense")[0] == 2
    assert run("export", "--format", "csv", "--out", str(tmp_path / "missing" / "f.csv"))[0] == 2
    assert list(tmp_path.glob("*.csv")) == []
    code, _, _ = run("export", "--format", "xlsx", "--sheet-rows", "2", "--out", str(tmp_path / "s.xlsx"))
    assert code == 0 and len(read_xlsx(tmp_path / "s.xlsx")) == 3
    code, stdout, _ = run("export-log", "--json")
    log = json.loads(stdout)
    assert code == 0 and len(log) == 1 and log[0]["rows"] == 3 and log[0]["sheets"] == 3
    assert log[0]["user"] == "alice" and log[0]["path"] == str((tmp_path / "s.xlsx").resolve())
