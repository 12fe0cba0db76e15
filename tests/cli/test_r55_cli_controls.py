"""R55 in the CLI: names and free text holding terminal escapes, C1 controls and bidi overrides
(written into the database behind the app's back) never reach the terminal raw from the human
output; ``--json`` escapes them (the JSON reads back to the stored text). SQLite and PostgreSQL."""

from __future__ import annotations

import json

from invoice_tui.domain.workspace import open_workspace
from tests.hostilekit import HOSTILE, controls, hostile_invoice

COMMANDS = [("invoices", "list"), ("invoices", "show", "{id}"), ("contacts", "list"), ("companies", "list"),
            ("payments", "list"), ("history", "{id}"), ("users", "list")]


def test_r55_cli_human_output_holds_no_control_character(any_cli, clock):
    ws = open_workspace(any_cli.url, notice=lambda m: None)
    ctx = ws.context("ann", source="test", now=clock)
    inv = hostile_invoice(ctx)
    for argv in COMMANDS:
        argv = [a.format(id=inv.id) for a in argv]
        text = any_cli(*argv, as_json=False)
        assert text.code == 0, (argv, text.err)
        assert controls(text.out + text.err) == [], argv
        assert "\\x1b" in text.out or argv[0] == "users", argv  # shown as text, not dropped
        raw = any_cli(*argv, as_json=True)
        assert raw.code == 0 and controls(raw.out) == [], argv
        if argv[:2] == ["contacts", "list"]:  # --json escapes, never strips: it reads back whole
            assert [row["first_name"] for row in json.loads(raw.out)] == [f"F{HOSTILE}"]
    ws.db.close()
