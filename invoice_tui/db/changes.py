"""The change feed: one place that sees every write to a workspace, whoever made it (this app's
own workers, another invoice-tui, the CLI, psql), and tells the subscribers what changed.

How a write is noticed:

- SQLite: ``PRAGMA data_version`` on the feed's own connection, every ``SQLITE_INTERVAL``
  seconds (it changes when any other connection commits; reading it costs no I/O).
- PostgreSQL: ``LISTEN invoice_tui_changes`` on the feed's own connection; statement triggers
  (migration 0006) NOTIFY it with the table's name at each commit that wrote that table. The
  feed waits on the socket, so a change is seen as soon as it is committed.

What changed is then read from the history (every service writes its change rows in the same
transaction, R15/R16): the ``property_change`` and ``activity`` rows added since the last look
give the kinds of objects and the invoice ids. A write that left no history row (a raw UPDATE)
still reaches every subscriber, as a change of unknown kind (``Change.anything``).

The feed runs in one daemon thread that owns its connection; subscribers are called from that
thread and must hand over to their own (the TUI posts a Textual message). No textual here.
"""

from __future__ import annotations

import logging
import os
import select
import sqlite3
import threading
from dataclasses import dataclass
from typing import Callable, Iterable

import peewee

log = logging.getLogger(__name__)

CHANNEL = "invoice_tui_changes"
APPLICATION_NAME = "invoice-tui changes"  # the feed's connection in pg_stat_activity
SQLITE_INTERVAL = 0.25  # seconds between two looks at data_version
PG_IDLE = 5.0  # a LISTEN connection is also checked this often (a dropped socket is reopened)
RETRY_SECONDS = 2.0  # after a failed look (database away, file locked for a long time)
MAX_ROWS = 500  # history rows read per look; past that the invoice ids are "unknown"

# What kind of object a table (PostgreSQL's NOTIFY payload) or a history row's object_type is.
TABLE_KINDS = {
    "invoice": "invoice", "line_item": "invoice", "adjustment": "invoice", "invoice_contact": "invoice",
    "invoice_company": "invoice", "reminder": "invoice", "activity": "invoice",
    "payment": "payment", "contact": "contact", "company": "company", "user": "user",
    "setting": "settings", "counter": "settings", "workspace": "settings",
    "saved_view": "view", "outbox": "outbox",
}
KINDS = frozenset(TABLE_KINDS.values())


@dataclass(frozen=True)
class Change:
    """What one look found. ``kinds``/``invoice_ids`` are None when not known (anything may
    have changed)."""

    kinds: frozenset[str] | None = None
    invoice_ids: frozenset[int] | None = None

    @property
    def anything(self) -> bool:
        return self.kinds is None

    def concerns(self, *kinds: str) -> bool:
        return self.kinds is None or not self.kinds.isdisjoint(kinds)

    def merged(self, other: "Change") -> "Change":
        """What either change concerns (for a screen that was hidden while both happened)."""
        kinds = None if self.kinds is None or other.kinds is None else self.kinds | other.kinds
        ids = None if self.invoice_ids is None or other.invoice_ids is None else self.invoice_ids | other.invoice_ids
        return Change(kinds, ids)

    def concerns_invoice(self, invoice_id: int) -> bool:
        """The invoice (its document, payments or history) may have changed."""
        if not self.concerns("invoice", "payment"):
            return False
        return self.invoice_ids is None or invoice_id in self.invoice_ids


Subscriber = Callable[[Change], None]


class Subscription:
    def __init__(self, feed: "ChangeFeed", callback: Subscriber) -> None:
        self._feed, self.callback = feed, callback

    def close(self) -> None:
        self._feed._drop(self)


class ChangeFeed:
    """``feed.start()``; ``sub = feed.subscribe(callback)``; ``sub.close()``; ``feed.stop()``."""

    def __init__(self, db: peewee.Database, *, interval: float = SQLITE_INTERVAL) -> None:
        self._db = db
        self._interval = interval
        self._subs: list[Subscription] = []
        self._lock = threading.Lock()  # guards _subs and the counters below
        self._done = threading.Condition(self._lock)
        self._looks = 0  # completed looks (check_now waits for the next one)
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)  # a wake never waits (a full pipe is awake already)
        self._pipe_lock = threading.Lock()  # the pipe's file descriptors: used or closed, never both
        self._thread: threading.Thread | None = None
        self._source: _Source | None = None

    # ---- subscribers -------------------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> Subscription:
        sub = Subscription(self, callback)
        with self._lock:
            self._subs.append(sub)
        return sub

    def _drop(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def _deliver(self, change: Change) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            try:
                sub.callback(change)
            except Exception:  # noqa: BLE001 - one subscriber's failure never stops the feed
                log.exception("change subscriber failed")

    # ---- the thread --------------------------------------------------------------------------
    def start(self) -> "ChangeFeed":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="invoice-tui-changes", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """For good; waits for a look in progress (its connection is closed by its own thread)."""
        self._stop.set()
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        with self._done:
            self._done.notify_all()
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._close_pipe()
        # else the thread closes it on its way out (a look outlasted ``timeout``): a descriptor
        # closed under its ``select`` could be the number of another file by the time it is read

    def _close_pipe(self) -> None:
        """Close the wake pipe, once: a number closed twice may meanwhile name another file of
        this process (a socket, a database), which the second close would take from its owner."""
        with self._pipe_lock:
            fds, self._wake_r, self._wake_w = (self._wake_r, self._wake_w), -1, -1
            for fd in fds:
                if fd >= 0:
                    try:
                        os.close(fd)
                    except OSError:
                        pass

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def check_now(self, timeout: float = 5.0) -> bool:
        """Look now and return once that look (and its deliveries) is done; False on timeout.
        For a "reload" key and for tests; the thread looks on its own anyway."""
        if not self.running:
            return False
        with self._done:
            target = self._looks + 1
        self._wake()
        with self._done:
            return self._done.wait_for(lambda: self._looks >= target or self._stop.is_set(), timeout)

    def _wake(self) -> None:
        with self._pipe_lock:
            if self._wake_w < 0:  # stopped: the number may be another file's now
                return
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass

    def _drain_wake(self) -> None:
        with self._pipe_lock:
            if self._wake_r < 0:
                return
            try:
                os.read(self._wake_r, 4096)
            except OSError:
                pass

    def _run(self) -> None:
        lost = False  # a look failed: what happened until the feed is back is not known
        try:
            while not self._stop.is_set():
                try:
                    if self._source is None:
                        self._source = _open_source(self._db)
                        if lost:
                            lost = False
                            self._deliver(Change())
                    timeout = self._interval if self._source.polled else PG_IDLE
                    readable, _, _ = select.select([self._wake_r] + self._source.fds(), [], [], timeout)
                    if self._wake_r in readable:
                        self._drain_wake()
                    if self._stop.is_set():
                        break
                    change = self._source.look()
                except Exception as exc:  # noqa: BLE001 - the database went away: retry later
                    log.debug("change feed: %s", exc)
                    lost = True
                    self._close_source()
                    self._finish_look()
                    self._stop.wait(RETRY_SECONDS)
                    continue
                if change is not None:
                    self._deliver(change)
                self._finish_look()
        finally:
            self._close_source()
            if self._stop.is_set():
                self._close_pipe()

    def _finish_look(self) -> None:
        with self._done:
            self._looks += 1
            self._done.notify_all()

    def _close_source(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None


# ---- the two backends ------------------------------------------------------------------------
class _Source:
    """One connection of the feed's thread: ``look()`` returns a Change or None."""

    polled = True

    def __init__(self) -> None:
        self._last_change_id: int | None = None
        self._last_activity_id: int | None = None

    def fds(self) -> list:
        return []

    def look(self) -> Change | None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # what the history says changed since the last look
    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        raise NotImplementedError

    def _mark(self) -> str:
        return "?"

    def start_marks(self) -> None:
        self._last_change_id = self._query("SELECT COALESCE(MAX(id), 0) FROM property_change")[0][0]
        self._last_activity_id = self._query("SELECT COALESCE(MAX(id), 0) FROM activity")[0][0]

    def from_history(self, tables: Iterable[str] = ()) -> Change:
        m = self._mark()
        changes = self._query(f"SELECT id, object_type, object_id FROM property_change WHERE id > {m} "
                              f"ORDER BY id LIMIT {MAX_ROWS + 1}", (self._last_change_id,))
        activities = self._query(f"SELECT id, invoice_id FROM activity WHERE id > {m} "
                                 f"ORDER BY id LIMIT {MAX_ROWS + 1}", (self._last_activity_id,))
        kinds = {TABLE_KINDS[t] for t in tables if t in TABLE_KINDS}
        if not changes and not activities:
            # no history row: a write from outside the services (or one without history)
            return Change(frozenset(kinds) if kinds else None, None)
        too_many = len(changes) > MAX_ROWS or len(activities) > MAX_ROWS
        invoice_ids: set[int] = {row[1] for row in activities}
        payments: list[int] = []
        for _id, object_type, object_id in changes:
            kinds.add(TABLE_KINDS.get(object_type, object_type))
            if object_type == "invoice":
                invoice_ids.add(int(object_id))
            elif object_type == "payment":
                payments.append(int(object_id))
        if activities:
            kinds.add("invoice")
        if payments and not too_many:  # the invoice a payment is applied to
            marks = ", ".join([m] * len(payments))
            invoice_ids.update(r[0] for r in self._query(
                f"SELECT invoice_id FROM payment WHERE id IN ({marks}) AND invoice_id IS NOT NULL", tuple(payments)))
        if too_many:
            self.start_marks()
        else:
            if changes:
                self._last_change_id = changes[-1][0]
            if activities:
                self._last_activity_id = activities[-1][0]
        return Change(frozenset(kinds), None if too_many else frozenset(invoice_ids))


class _SqliteSource(_Source):
    def __init__(self, path: str) -> None:
        super().__init__()
        self._conn = sqlite3.connect(path, timeout=5, isolation_level=None)
        self._version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        self.start_marks()

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._conn.execute(sql, params).fetchall()

    def look(self) -> Change | None:
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return None
        self._version = version
        return self.from_history()

    def close(self) -> None:
        self._conn.close()


class _PostgresSource(_Source):
    polled = False

    def __init__(self, db: peewee.PostgresqlDatabase) -> None:
        super().__init__()
        import psycopg2

        params = {"application_name": APPLICATION_NAME, **db.connect_params}
        self._conn = psycopg2.connect(dbname=db.database, **params)
        self._conn.autocommit = True
        with self._conn.cursor() as cur:
            cur.execute(f"LISTEN {CHANNEL}")
        self.start_marks()

    def fds(self) -> list:
        return [self._conn]

    def _mark(self) -> str:
        return "%s"

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def look(self) -> Change | None:
        self._conn.poll()
        if not self._conn.notifies:
            return None
        tables = {n.payload for n in self._conn.notifies}
        self._conn.notifies.clear()
        return self.from_history(tables)

    def close(self) -> None:
        try:
            self._conn.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass


def _open_source(db: peewee.Database) -> _Source:
    if isinstance(db, peewee.SqliteDatabase):
        if not db.database or db.database == ":memory:":
            raise RuntimeError("an in-memory SQLite database has no other connections to follow")
        return _SqliteSource(db.database)
    if isinstance(db, peewee.PostgresqlDatabase):
        return _PostgresSource(db)
    raise RuntimeError(f"no change feed for {type(db).__name__}")
