"""R56 through the CLI: a date outside the supported range is named as such (not "not a date"),
exit 2, nothing written."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("text, shown", [("9999-12-31", "9999-12-31 is outside"), ("0001-01-01", "0001-01-01 is outside"),
                                         ("today+99999", "is outside")])
def test_r56_a_date_out_of_range_is_named_with_the_range(cli, text, shown):
    res = cli("invoices", "create", "--currency", "EUR", "--date", text)
    assert res.code == 2
    assert "must be between 1900-01-01 and 2199-12-31" in res.err and shown in res.err, res.err
    assert cli("invoices", "list", as_json=True).data == []


def test_r56_a_malformed_date_is_not_a_date(cli):
    res = cli("invoices", "create", "--currency", "EUR", "--date", "2026-13-01")
    assert res.code == 2 and "is not a date" in res.err
