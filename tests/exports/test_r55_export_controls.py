"""R55 in the exports: names and free text holding terminal escapes, C1 controls and bidi
overrides (written behind the app's back) read back from the CSV and the XLSX with no control
character; newlines stay inside the quoted field or the cell. SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import pytest

from invoice_tui.exports.service import ExportOptions, run_export
from tests.exports.conftest import read_csv, read_xlsx
from tests.hostilekit import controls, hostile_invoice


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_r55_exports_hold_no_control_character(ws, admin, tmp_path, fmt):
    hostile_invoice(admin)
    (tmp_path / "out").mkdir()
    res = run_export(admin, ExportOptions(format=fmt, folder=str(tmp_path / "out"), name="hostile",
                                          properties="all",
                                          associations=["contacts", "companies", "payments", "line_items"]))
    rows = read_csv(res.path) if fmt == "csv" else read_xlsx(res.path)[0]
    cells = [str(c) for row in rows for c in row if c is not None]
    assert [c for c in cells if controls(c)] == []
    assert any("Eve\\x1b]52;c;aGFja2Vk\\x07" in c for c in cells)  # shown, not dropped
    assert any("\\u202eliam" in c for c in cells)
    assert any(c.endswith("\nmore") for c in cells)  # the comments' line break stays in its field
