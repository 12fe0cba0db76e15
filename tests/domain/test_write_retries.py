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


def test_sqlite_writers_wait_their_turn_and_a_lasting_wait_is_a_clear_failure(ws, admin, monkeypatch):
    """SQLite writers queue on ``<file>-writers`` (woken when the holder commits, not by polling
    sleeps of up to 100 ms); a turn that never comes ends as "stayed busy", nothing written."""
    import fcntl
    import os

    import invoice_tui.db as db_module
    from invoice_tui.db import database, is_sqlite
    from invoice_tui.domain.errors import EnvironmentFailure

    if not is_sqlite():
        pytest.skip("PostgreSQL writers wait for row locks in the server")
    path = database.obj.database + db_module.WRITERS_QUEUE_SUFFIX

    @mutation
    def write(value):
        Setting.insert(key="probe_q", value=value).on_conflict_replace().execute()

    write("first")
    assert os.path.exists(path)
    holder = os.open(path, os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another writer's turn that does not end
    monkeypatch.setattr(db_module, "WRITERS_QUEUE_TIMEOUT", 0.2)
    monkeypatch.setenv("INVOICE_TUI_BUSY_RETRIES", "2")
    try:
        with pytest.raises(EnvironmentFailure, match="stayed busy"):
            write("second")
        released = threading.Timer(0.3, lambda: fcntl.flock(holder, fcntl.LOCK_UN))
        released.start()
        # the turn comes in 0.3 s; the wait allows 120 s so that a busy machine cannot fail it
        monkeypatch.setattr(db_module, "WRITERS_QUEUE_TIMEOUT", 120.0)
        write("third")  # waits for the turn, then writes
        released.join()
    finally:
        os.close(holder)
    assert Setting.get(Setting.key == "probe_q").value == "third"
