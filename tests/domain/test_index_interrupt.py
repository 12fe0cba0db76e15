"""The index stops a read nobody waits for any more (the user typed another letter while a count
of a million rows ran): ``Interruptible.interrupt`` from another thread ends it with
``ReadInterrupted``, which the table drops silently; any other database error stays what it is,
so a real failure is still reported. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import peewee as pw
import pytest

from invoice_tui.db import database, is_sqlite
from invoice_tui.domain import index_sql

# Reads that run for minutes unless stopped.
SQLITE_LONG = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000000) "
               "SELECT COUNT(*) FROM n WHERE running()")
PG_LONG = "SELECT pg_sleep(300)"


def _read_in_thread(reader: index_sql.Interruptible, sql: str) -> tuple[threading.Thread, threading.Event, dict]:
    """``started`` is set once the statement is RUNNING (not merely about to run): on SQLite the
    long read calls ``running()`` row by row; on PostgreSQL the server lists it as active."""
    started, outcome = threading.Event(), {}

    def read() -> None:
        try:
            with reader.reading():
                if is_sqlite():
                    database.obj.connection().create_function("running", 0, lambda: started.set() or 1)
                else:
                    started.set()
                database.execute_sql(sql).fetchall()
            outcome["error"] = None
        except Exception as exc:  # noqa: BLE001 - what the reading thread saw is the test's subject
            outcome["error"] = exc

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, started, outcome


def _wait(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_issue15_a_stopped_read_ends_as_read_interrupted(ws):
    reader = index_sql.Interruptible()
    thread, started, outcome = _read_in_thread(reader, SQLITE_LONG if is_sqlite() else PG_LONG)
    assert started.wait(60)
    if not is_sqlite():  # no sleeping on a guess: wait until the server runs the statement
        assert _wait(lambda: database.execute_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = %s", (PG_LONG,)).fetchone()[0])
    reader.interrupt()
    thread.join(120)  # generous: stopping takes milliseconds
    assert not thread.is_alive()
    assert isinstance(outcome["error"], index_sql.ReadInterrupted)
    assert isinstance(outcome["error"].__cause__, pw.DatabaseError)


def test_issue15_a_read_that_fails_by_itself_keeps_its_error(ws):
    reader = index_sql.Interruptible()
    with pytest.raises(pw.DatabaseError) as raised:
        with reader.reading():
            database.execute_sql('SELECT nothing FROM "no_such_table"')
    assert not isinstance(raised.value, index_sql.ReadInterrupted)
    reader.interrupt()  # nothing is being read: nothing happens
