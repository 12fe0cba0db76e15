"""Fixtures of the domain rule tests (helpers live in rulekit.py)."""

from __future__ import annotations

import pytest

from invoice_tui.domain import people


@pytest.fixture
def buyer(admin):
    return people.add_contact(admin, {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"})
