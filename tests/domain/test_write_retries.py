"""Concurrency plumbing under the rules (R3, R7, R9): a PostgreSQL deadlock between two writers
is retried as a whole by the services' transaction wrapper, never shown as a traceback."""

from __future__ import annotations

import threading

import pytest

from invoice_tui.db import is_postgres
from invoice_tui.db.models import Setting
from invoice_tui.domain.tx import mutation
from rulekit import race


def test_deadlock_between_two_writers_is_retried(ws, admin):
    if not is_postgres():
        pytest.skip("SQLite writers never interleave: BEGIN IMMEDIATE takes the write lock up front")
    Setting.insert_many([{"key": "probe_x", "value": "0"}, {"key": "probe_y", "value": "0"}]).execute()
    barrier = threading.Barrier(2)
    attempts = {"a": 0, "b": 0}

    def writer(name, first, second):
        @mutation
        def body():
            attempts[name] += 1
            Setting.select().where(Setting.key == first).for_update().get()
            if attempts[name] == 1:  # both hold their first row: each now waits for the other's
                barrier.wait(timeout=30)
            Setting.select().where(Setting.key == second).for_update().get()
            Setting.update(value=name).where(Setting.key == first).execute()
            return name

        return body

    results = race(ws, [writer("a", "probe_x", "probe_y"), writer("b", "probe_y", "probe_x")])
    assert sorted(results) == ["a", "b"], results
    assert sorted(attempts.values()) == [1, 2]  # the deadlock victim ran once more, and won
    assert {s.key: s.value for s in Setting.select().where(Setting.key.startswith("probe_"))} == {
        "probe_x": "a", "probe_y": "b"}
