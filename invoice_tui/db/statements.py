"""SQL compiled once and executed many times as plain text with parameters (issue 7).

Building a peewee query costs far more than a small indexed read itself (tens of microseconds
of Python per query against a few for SQLite). The hot reads — the index's pages, the lines of
an invoice document — are compiled once per database into a :class:`Statement` and run through
the connection's cursor; their variable parts are :func:`slot` placeholders filled at
execution.

- :func:`compile_query` — a peewee query to a ``Statement`` (LIMIT / OFFSET slots optional);
- :class:`CompiledRead` — a SELECT of model fields by one slot, compiled on first use for each
  database and returning named tuples with the fields' own conversions (``python_value``), as
  peewee's ``.namedtuples()`` would, without building the query each time;
- :class:`Interruptible` — reads on a thread's own connection that another thread may stop
  (a newer query replaced the one being read): the read then ends with :class:`ReadInterrupted`.
"""

from __future__ import annotations

import contextlib
import threading
from collections import namedtuple
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import peewee as pw

from invoice_tui.db import database


class Slot:
    """A parameter filled at execution (a keyset bound, an id, LIMIT, OFFSET)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<slot {self.name}>"


def slot(name: str) -> pw.Value:
    return pw.Value(Slot(name), converter=False)  # no field conversion: filled with raw values


@dataclass(frozen=True)
class Statement:
    """SQL text and its parameters; ``slots`` are the positions filled at execution."""

    sql: str
    params: tuple
    slots: tuple[tuple[int, str], ...]

    def bind(self, values: dict[str, Any]) -> list | tuple:
        if not self.slots:
            return self.params
        params = list(self.params)
        for i, name in self.slots:
            params[i] = values[name]
        return params

    def fetchall(self, values: dict[str, Any] | None = None) -> list[tuple]:
        """Run on the calling thread's connection; the rows as the driver gives them."""
        cursor = database.execute_sql(self.sql, self.bind(values or {}))
        try:
            return cursor.fetchall()
        finally:
            cursor.close()


def compile_query(query: pw.Query, *, limit: bool = False, offset: bool = False) -> Statement:
    sql, params = query.sql()
    params = list(params)
    mark = database.obj.param
    if limit:
        sql += f" LIMIT {mark}"
        params.append(Slot("limit"))
    if offset:
        sql += f" OFFSET {mark}"
        params.append(Slot("offset"))
    slots = tuple((i, p.name) for i, p in enumerate(params) if isinstance(p, Slot))
    return Statement(sql, tuple(params), slots)


class CompiledRead:
    """``SELECT fields FROM model WHERE <where(slot("key"))> ORDER BY order``, compiled once per
    database; ``read(key)`` returns the rows as named tuples of the fields' Python values."""

    def __init__(self, fields: Sequence[pw.Field], where: Callable[[pw.Value], pw.Node],
                 order: Sequence[pw.Node] = ()) -> None:
        self.fields = tuple(fields)
        self.where = where
        self.order = tuple(order)
        self.row = namedtuple("Row", [f.name for f in self.fields])  # type: ignore[misc]
        self._converters = [f.python_value for f in self.fields]
        self._compiled: dict[type, Statement] = {}
        self._lock = threading.Lock()

    def _statement(self) -> Statement:
        key = type(database.obj)  # the SQL text depends on the dialect only
        st = self._compiled.get(key)
        if st is None:
            with self._lock:
                model = self.fields[0].model
                query = model.select(*self.fields).where(self.where(slot("key")))
                if self.order:
                    query = query.order_by(*self.order)
                st = self._compiled[key] = compile_query(query)
        return st

    def read(self, key: Any) -> list:
        make, converters = self.row._make, self._converters
        return [make([conv(v) if v is not None else None for conv, v in zip(converters, r)])
                for r in self._statement().fetchall({"key": key})]

    def read_one(self, key: Any):
        """The first row for ``key``, or None."""
        rows = self.read(key)
        return rows[0] if rows else None


class ReadInterrupted(pw.DatabaseError):
    """A read stopped on purpose by ``Interruptible.interrupt`` (nobody waits for its rows)."""


def reading() -> contextlib.AbstractContextManager:
    """A connection of the calling thread's own for the block (opened and closed around it)."""
    return database.connection_context()


class Interruptible:
    """Remembers the connection a worker is reading with, so that a newer query (the user typed
    another letter, picked another sort) can stop a long count or scan that nobody waits for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: tuple[object, object] | None = None
        self._interrupted: set[object] = set()

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Read on a connection of this thread's own; a database error after ``interrupt``
        comes out as ``ReadInterrupted``."""
        token = object()
        with database.connection_context():
            with self._lock:
                self._current = (token, database.obj.connection())
            try:
                yield
            except pw.DatabaseError as exc:
                if token in self._interrupted and not isinstance(exc, ReadInterrupted):
                    raise ReadInterrupted(str(exc)) from exc
                raise
            finally:
                with self._lock:
                    self._interrupted.discard(token)
                    if self._current is not None and self._current[0] is token:
                        self._current = None

    def interrupt(self) -> None:
        # Under the lock: the reading thread cannot finish and close this connection while it
        # is being interrupted (that would be a use after free in the driver).
        with self._lock:
            current, self._current = self._current, None
            if current is None:
                return
            token, conn = current
            self._interrupted.add(token)
            with contextlib.suppress(Exception):  # stopping is best effort
                if hasattr(conn, "interrupt"):
                    conn.interrupt()  # sqlite3 (thread-safe)
                elif hasattr(conn, "cancel"):
                    conn.cancel()  # psycopg2 (thread-safe)


__all__ = ["Slot", "slot", "Statement", "compile_query", "CompiledRead", "Interruptible", "ReadInterrupted",
           "reading"]
