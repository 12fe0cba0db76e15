"""Fixtures of the hardening tests (helpers live in hardkit.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch):
    monkeypatch.setenv("INVOICE_TUI_CONFIG", str(tmp_path / "no-config.toml"))
    for key in ("INVOICE_TUI_DB", "INVOICE_TUI_USER"):
        monkeypatch.delenv(key, raising=False)
