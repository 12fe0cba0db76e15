"""Fixtures of the hardening tests (helpers live in hardkit.py)."""

from __future__ import annotations

from tests.clikit import isolated_config  # noqa: F401 - autouse for every hardening test
