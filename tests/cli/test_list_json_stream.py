"""Every ``list --json`` streams (issue 16) and still prints what it printed before.

The fixture ``fixtures/lists-demo-200-seed7-2026-03-16.json`` is the output of the list commands
BEFORE they streamed, for ``demo --invoices 200 --seed 7 --today 2026-03-16`` read with
``INVOICE_TUI_TODAY=2026-03-16`` (so "overdue", days overdue and upcoming reminders do not move
with the real date). The tests regenerate that workspace and compare every object, key and value,
for the default JSON array and for ``--ndjson`` (one object a line).

Refreshed on purpose by issue 20 (R18 as R35 amends it): each ``tax_breakdown`` group now carries
its VAT ``category``, and 0 % groups are listed (one group per category and rate). Nothing else
changed: checked object by object against the previous fixture, the only differences were 304
invoice records whose breakdown gained ``"category": "S"`` on every group with a rate and, for 60
groups, a 0 % group ``{"category": "Z", "rate": "0", …, "tax": "0.00"}`` (lines, discounts or fees
at 0 %, which the old breakdown dropped); every other key and value, and every other list, is as
before.

Refreshed on purpose by issue 21 (credit notes, R36–R42): each invoice record gained two keys of the
property catalogue, ``"type": "invoice"`` and ``"amount_credited"`` (0 in the currency's decimals);
nothing else changed.

Refreshed on purpose by issue 22 (legal data, R43): the demo's companies have a structured address
(``address`` holds the street lines; postcode, city and country are fields of their own, not in this
list) and French and German companies valid VAT numbers (``tax_id``, check digits by python-stdnum):
the 13 company records changed in ``address`` and 9 in ``tax_id``; every other list and value is as
before.

Refreshed on purpose when the demo's Spanish companies got valid VAT numbers (NIF with its check
digit, python-stdnum; a French seller's reverse-charged invoices to them name it, BT-48): the 2
Spanish company records changed in ``tax_id``; every other list and value is as before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "lists-demo-200-seed7-2026-03-16.json"
TODAY = "2026-03-16"


@pytest.fixture
def demo_cli(any_cli, monkeypatch):
    monkeypatch.setenv("INVOICE_TUI_TODAY", TODAY)
    any_cli.ok("demo", "--invoices", "200", "--seed", "7", "--today", TODAY)
    return any_cli


def _ndjson(cli, argv: list[str]) -> list:
    res = cli(*argv, "--ndjson", as_json=False)
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert all(line.startswith("{") and line.endswith("}") for line in lines), res.out[:200]
    return [json.loads(line) for line in lines]


def test_every_list_json_gives_the_objects_it_gave_before_streaming(demo_cli):
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for command, objects in expected.items():
        argv = command.split()
        assert demo_cli.ok(*argv) == objects, command
        assert _ndjson(demo_cli, argv) == objects, command + " --ndjson"


def test_json_list_is_one_array_and_ndjson_one_object_a_line_when_empty(cli):
    cli.ok("users", "list")  # the first user, so the lists may be read
    for argv in (["invoices", "list"], ["payments", "list"], ["contacts", "list"], ["companies", "list"]):
        res = cli(*argv)
        assert res.code == 0 and json.loads(res.out) == [], argv
        assert cli(*argv, "--ndjson", as_json=False).out == "", argv


def test_a_bad_pinned_today_is_refused_with_a_sentence(cli, monkeypatch):
    monkeypatch.setenv("INVOICE_TUI_TODAY", "16/03/2026")
    res = cli("invoices", "list")
    assert res.code == 2 and "INVOICE_TUI_TODAY" in res.err and "YYYY-MM-DD" in res.err
