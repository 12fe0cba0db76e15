"""Bulk loading: rows written by the million in one transaction, and throwaway SQLite files
for rows generated elsewhere (worker processes) before they are copied in.

- :class:`Writer` writes rows with ``executemany`` on SQLite and ``COPY`` on PostgreSQL, from a
  writer thread that owns the connection (the database's C code runs while Python builds the
  next chunk), and drops the secondary indexes of the loaded tables for the load (rebuilt after
  it, in the same transaction: one sort per index instead of millions of random B-tree inserts),
  except those whose keys arrive in order (``keep``).
- :class:`ScratchFile` is a SQLite file without journal or fsync, for generated rows; SQLite
  attaches it and copies it with ``INSERT … SELECT``, PostgreSQL reads it in chunks and COPYs.
- :func:`fast_load` sets a SQLite connection up for a bulk load, and restores it after.
- :func:`backup_file` copies a SQLite workspace into a new file (the online backup API).

The only raw DB-API code of these paths lives here (with the rest of the data layer).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import queue
import sqlite3
import threading
from typing import Any, Callable, Iterable, Iterator, Sequence

import peewee as pw

from invoice_tui.db import database, is_postgres
from invoice_tui.i18n import _

CHUNK = 20_000
PARAMETERS = 4_096  # values per INSERT statement on SQLite (_insert_rows): bigger ones save no time, only memory


_PLAIN = {pw.CharField: str, pw.TextField: str, pw.IntegerField: int, pw.BigIntegerField: int,
          pw.SmallIntegerField: int, pw.AutoField: int, pw.BigAutoField: int, pw.BooleanField: bool}


def stored_form(field: pw.Field) -> tuple[Callable[[Any], Any], type | None]:
    """(``field.db_value``, the type of the values it writes unchanged): a plain text, integer
    or boolean column keeps a value of its own type as it is (no call per value); any other
    value goes through ``db_value``, as peewee's inserts do."""
    kept = _PLAIN.get(type(field))
    if isinstance(field, pw.ForeignKeyField):
        kept = int
    return field.db_value, kept


class Table:
    """One table's bulk load: the columns given here, plus any column another module added to
    the model later (filled with the field's default)."""

    def __init__(self, model, columns: Sequence[str]) -> None:
        self.model = model
        self.name = model._meta.table_name
        known = list(columns)
        extra_cols, extra_vals = [], []
        by_column = {f.column_name: f for f in model._meta.sorted_fields}
        for col, field in by_column.items():
            if col in known or (field is model._meta.primary_key and isinstance(field, pw.AutoField)):
                continue  # (an id not given comes from the database, in the order of the rows)
            default = field.default() if callable(field.default) else field.default
            if default is None and not field.null:
                raise RuntimeError(f"bulk load: {self.name}.{col} has no default; the generator must fill it")
            extra_cols.append(col)
            extra_vals.append(field.db_value(default))
        unknown = [c for c in known if c not in by_column]
        if unknown:
            raise RuntimeError(f"bulk load: {self.name} has no column {unknown}")
        self.known = known  # the columns the generator fills (the others get their default)
        self.columns = known + extra_cols
        self.extra = tuple(extra_vals)
        self.count = 0

    def db_rows(self, rows: Iterable[Sequence]) -> list[tuple]:
        """Rows of Python values (in the order of the columns given) as the fields write them
        (``db_value``, as peewee's own inserts do; ``None`` stays NULL)."""
        return list(map(self._converter(), rows))

    def _converter(self):
        """One row's conversion as a compiled function (a tuple display: no generator per row)."""
        if getattr(self, "_convert", None) is None:
            names: dict = {}
            parts = []
            for i, c in enumerate(self.known):
                names[f"f{i}"], names[f"k{i}"] = stored_form(self.model._meta.columns[c])
                parts.append(f"r[{i}] if r[{i}] is None or type(r[{i}]) is k{i} else f{i}(r[{i}])")
            self._convert = eval(f"lambda r: ({', '.join(parts)},)", names)  # noqa: S307 - our own text
        return self._convert

    @classmethod
    def raw(cls, name: str, columns: list[str]) -> "Table":
        table = cls.__new__(cls)
        table.model, table.name, table.columns, table.extra, table.count = None, name, columns, (), 0
        table.known = columns
        return table



class Writer:
    """Bulk rows into the bound database: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

    Between :meth:`start` and :meth:`finish` the rows go through a queue to one writer thread
    that owns the connection (the main thread only generates, and touches no database), so the
    database's C code runs while Python builds the next chunk. The secondary indexes of the
    bulk tables are dropped at :meth:`start` and rebuilt at :meth:`finish`, inside the same
    transaction: one sort per index is much cheaper than a million random B-tree inserts.
    """

    def __init__(self, keep: dict[str, set[tuple[str, ...]]] | None = None) -> None:
        self.db = database.obj
        self.keep = keep or {}  # per table, the indexes (by their columns) kept up to date during the load
        self.pg = is_postgres(self.db)
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._indexes: list[tuple[str, str]] = []  # (table, CREATE INDEX statement)
        self._temps: list[str] = []
        self._paused: list[tuple[str, str]] = []  # (table, trigger) disabled for the load (PostgreSQL)
        self._conn = None
        self.attached: list[str] = []

    # -- indexes --
    def _drop_indexes(self, tables: Iterable[str]) -> None:
        for table in tables:
            if self.pg:
                rows = self.db.execute_sql(
                    "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                    "WHERE t.relname = %s AND t.relnamespace = to_regnamespace(current_schema())::oid "
                    "AND NOT x.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                    (table,)).fetchall()
            else:
                rows = self.db.execute_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                    (table,)).fetchall()
            keep = self.keep.get(table, set())
            for name, sql in rows:
                columns = sql[sql.index("(", sql.upper().index(" ON ")) + 1:sql.rindex(")")]
                columns = tuple(c.strip(' "') for c in columns.split(","))
                if columns in keep or columns[0] == "invoice_id":
                    continue  # keys that arrive in order: kept live
                self._indexes.append((table, sql))
                self.db.execute_sql(f'DROP INDEX "{name}"')

    def rebuild_indexes(self, tables: Iterable[str] | None = None) -> None:
        """Rebuild the dropped indexes (of ``tables`` only, if given)."""
        wanted = None if tables is None else set(tables)
        todo = [ix for ix in self._indexes if wanted is None or ix[0] in wanted]
        self._indexes = [ix for ix in self._indexes if ix not in todo]
        if not todo:
            return
        if not self.pg:  # let SQLite's sorter use a helper thread for the index builds
            threads = self._sql("PRAGMA threads").fetchone()[0]
            self._sql("PRAGMA threads = 2")
        for _, sql in todo:
            self._sql(sql)
        if not self.pg:
            self._sql(f"PRAGMA threads = {int(threads)}")

    def _sql(self, sql: str):
        """One statement on the load's connection (also from the writer thread, which owns it
        between :meth:`start` and :meth:`drain`)."""
        conn = self._conn or self.db.connection()
        if self.pg:
            cursor = conn.cursor()
            cursor.execute(sql)
            return cursor
        return conn.execute(sql)

    # -- the writer thread --
    def drop_indexes(self, tables: Iterable[str]) -> None:
        """Drop the secondary indexes of ``tables`` whose keys do not arrive in order; they are
        rebuilt by :meth:`rebuild_indexes` (at the latest by :meth:`finish`). On PostgreSQL, the
        tables' row triggers are paused too, when this role owns the tables (see
        :meth:`_pause_row_triggers`)."""
        tables = list(tables)
        self._drop_indexes(tables)
        if self.pg:
            self._pause_row_triggers(tables)

    def _pause_row_triggers(self, tables: list[str]) -> None:
        """PostgreSQL: disable the tables' own row-level triggers for the load, inside its
        transaction (they are enabled again by :meth:`finish`, before it commits; nobody else
        sees them off). They guard what a teammate's role may write and check its history rows;
        a load runs as the workspace's owner, for whom they only cost a function call per row.
        Left on when this role does not own every table (ALTER TABLE would be refused)."""
        rows = self.db.execute_sql(
            "SELECT c.relname, t.tgname, pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname = ANY(%s) AND c.relnamespace = to_regnamespace(current_schema())::oid "
            "AND NOT t.tgisinternal AND t.tgenabled <> 'D' AND (t.tgtype & 1) = 1",
            (tables,)).fetchall()
        if not rows or not all(owned for _, _, owned in rows):
            return
        for table, trigger, _ in rows:
            self.db.execute_sql(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"')
            self._paused.append((table, trigger))

    def _resume_row_triggers(self) -> None:
        while self._paused:
            table, trigger = self._paused.pop()
            self._sql(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}"')

    def attach(self, path: str, alias: str) -> None:
        """SQLite: attach a generated file to the load's connection (detached by :meth:`detach_all`
        once the transaction is over: SQLite refuses to detach a file a transaction has read)."""
        conn = self._conn or self.db.connection()
        conn.execute(f"ATTACH DATABASE ? AS {alias}", (path,))
        conn.execute(f"PRAGMA {alias}.mmap_size = {1 << 34}")  # read in place, not a read() per page
        self.attached.append(alias)

    def detach_all(self) -> None:
        while self.attached:
            alias = self.attached.pop()
            try:
                self.db.execute_sql(f"DETACH DATABASE {alias}")
            except pw.DatabaseError:  # pragma: no cover - still in a transaction (an outer one)
                pass

    def start(self, tables: Iterable[str] = ()) -> None:
        self._drop_indexes(tables)
        self._conn = self.db.connection()
        self._queue = queue.Queue(maxsize=2)
        self._thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:
                try:
                    if callable(item):
                        item()
                    elif len(item) == 3:
                        self._execute_now(*item)
                    else:
                        self._write_now(*item)
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                    self._error = exc

    def thread_owned(self) -> bool:
        """Whether the caller is the writer thread."""
        return self._thread is not None and threading.current_thread() is self._thread

    def drain(self) -> None:
        """Wait until every queued row is written (the thread ends)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = self._queue = None
        if self._error is not None:
            raise self._error

    def call(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` in the writer thread, after the rows queued so far (e.g. an index build,
        which runs in C without Python's lock while the main thread goes on computing)."""
        if self._queue is None:
            fn()
        else:
            if self._error is not None:
                self.finish()
            self._queue.put(fn)

    def unbounded(self) -> None:
        """From now on :meth:`write` never waits for the writer thread (the rows queue up in memory)."""
        if self._queue is not None:
            self._queue.maxsize = 0

    def finish(self) -> None:
        self.drain()
        self.rebuild_indexes()
        self._resume_row_triggers()

    def create_temp(self, name: str, columns: str) -> Table:
        """A temporary table for this transaction (dropped by :meth:`drop_temps`)."""
        suffix = " ON COMMIT DROP" if self.pg else ""
        self.db.execute_sql(f"CREATE TEMP TABLE {name} ({columns}){suffix}")
        self._temps.append(name)
        plain_columns = columns.split(", PRIMARY KEY")[0]
        return Table.raw(name, [c.split()[0] for c in plain_columns.split(",")])

    def drop_temps(self) -> None:
        while self._temps:
            name = self._temps.pop()
            self._sql(f"DROP TABLE IF EXISTS {name}")

    def insert_select(self, table: Table, exprs: dict[str, str], source: str, now: bool = False) -> None:
        """``INSERT INTO table (...) SELECT ... source``: rows built by the database itself (one
        statement, which runs without Python's lock in the writer thread); ids come from the
        table's own sequence (call :meth:`fix_sequence` first), in the ``ORDER BY`` of ``source``,
        unless ``exprs`` gives them. ``now``: at once, also when called from the writer thread."""
        cols = [c for c in table.columns if c in exprs] + [c for c in table.columns if c not in exprs and c != "id"]
        extra = dict(zip(table.columns[len(table.columns) - len(table.extra):], table.extra))
        select = [exprs[c] for c in cols if c in exprs] + [self.db.param for c in cols if c not in exprs]
        params = tuple(extra[c] for c in cols if c not in exprs)
        col_sql = ", ".join(f'"{c}"' for c in cols)
        sql = f'INSERT INTO "{table.name}" ({col_sql}) SELECT {", ".join(select)} {source}'
        if self._queue is None or now:
            self._execute_now(table, sql, params)
        else:
            if self._error is not None:
                self.finish()
            self._queue.put((table, sql, params))

    def _execute_now(self, table: Table, sql: str, params: tuple) -> None:
        conn = self._conn or self.db.connection()
        if self.pg:
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                table.count += cursor.rowcount
        else:
            table.count += conn.execute(sql, params).rowcount

    def write(self, table: Table, rows: list[tuple]) -> None:
        if not rows:
            return
        table.count += len(rows)
        if self._queue is None:
            self._write_now(table, rows)
            return
        if self._error is not None:
            self.finish()
        self._queue.put((table, rows))

    def _write_now(self, table: Table, rows: list[tuple]) -> None:
        if table.extra:
            rows = [r + table.extra for r in rows]
        cols = ", ".join(f'"{c}"' for c in table.columns)
        conn = self._conn or self.db.connection()
        if self.pg:
            buf = io.StringIO()
            write = buf.write
            for r in rows:
                write("\t".join(map(copy_value, r)))
                write("\n")
            buf.seek(0)
            with conn.cursor() as cursor:
                cursor.copy_expert(f'COPY "{table.name}" ({cols}) FROM STDIN', buf)
        else:
            _insert_rows(conn, f'INSERT INTO "{table.name}" ({cols}) VALUES ', len(table.columns), rows)

    def take_ids(self, model, n: int) -> list[int]:
        """``n`` new ids of ``model``, in order, as ``n`` inserts one by one would get them
        (SQLite: after the largest; PostgreSQL: from the table's sequence)."""
        if n <= 0:
            return []
        if self.pg:
            name = model._meta.table_name
            return [i for (i,) in self.db.execute_sql(
                f"SELECT nextval(pg_get_serial_sequence('\"{name}\"', 'id')) FROM generate_series(1, %s) AS g "
                "ORDER BY g", (n,)).fetchall()]
        base = self.max_id(model)
        return list(range(base + 1, base + n + 1))

    def max_id(self, model) -> int:
        return model.select(pw.fn.COALESCE(pw.fn.MAX(model.id), 0)).scalar() or 0

    def fix_sequence(self, model) -> None:
        """PostgreSQL: the id sequence continues after the ids given here (SQLite needs nothing)."""
        if self.pg and model is not None:
            name = model._meta.table_name
            self.db.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{name}\"), false)")


def _insert_rows(conn: sqlite3.Connection, insert: str, width: int, rows: list[tuple]) -> None:
    """SQLite: ``rows`` inserted in order by ``insert`` (``INSERT INTO … VALUES``), several rows per
    statement — 2ⁿ rows, the most whose values fit in :data:`PARAMETERS` (and SQLite's limit),
    then smaller powers of 2 for the rest (the same rows, ids and order as one insert per row; a
    few distinct statements, which the connection's cache of compiled statements keeps). SQLite
    runs a statement without Python's lock; the writer thread then waits for it until the main
    thread lets go (up to Python's switch interval, 5 ms): once per few hundred rows, not once per row."""
    most = max(1, min(conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER), PARAMETERS) // width)
    per = 1 << (most.bit_length() - 1)  # (a power of 2: the last statements take the rest)
    one = "(" + ", ".join("?" * width) + ")"
    flat = itertools.chain.from_iterable
    at = 0
    while at < len(rows):
        while per > len(rows) - at:
            per >>= 1
        end = len(rows) - (len(rows) - at) % per
        conn.executemany(insert + ", ".join([one] * per), (list(flat(rows[i:i + per])) for i in range(at, end, per)))
        at = end


def copy_value(v) -> str:
    """A value as PostgreSQL's COPY text format writes it."""
    if v is None:
        return "\\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    if isinstance(v, str):
        if "\\" in v or "\t" in v or "\n" in v or "\r" in v:
            return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return v
    return str(v)


class ScratchFile:
    """A SQLite file for generated rows. Written: no journal, no fsync, one open transaction (it
    is thrown away after the load; a failed load never reads it). Read: ``write=False``."""

    def __init__(self, path: str, *, write: bool = True) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        self._inserts: dict[str, str] = {}
        if write:
            # 16 KB pages: history rows of 1-3 KB (a snapshot and its canonical content) fill them
            # with little left over (measured: writing them ~25% faster than with 4 KB pages).
            self.conn.execute("PRAGMA page_size = 16384")
            self.conn.execute("PRAGMA journal_mode = OFF")
            self.conn.execute("PRAGMA synchronous = OFF")
            self.conn.execute("BEGIN")

    def create(self, name: str, columns: Sequence[str], *, key: bool = True) -> None:
        """A table of ``columns``; with ``key``, the first is its ``INTEGER PRIMARY KEY``."""
        cols = [f"{columns[0]} INTEGER PRIMARY KEY", *columns[1:]] if key else list(columns)
        self.conn.execute(f"CREATE TABLE {name} ({', '.join(cols)})")
        self._inserts[name] = f"INSERT INTO {name} VALUES ({', '.join('?' * len(columns))})"

    def insert(self, name: str, rows: Iterable[Sequence]) -> None:
        self.conn.executemany(self._inserts[name], rows)

    def attach(self, path: str, alias: str) -> None:
        self.conn.execute(f"ATTACH DATABASE ? AS {alias}", (path,))

    def chunks(self, sql: str, size: int = CHUNK) -> Iterator[list[tuple]]:
        """The rows of a query, ``size`` at a time."""
        cursor = self.conn.execute(sql)
        while rows := cursor.fetchmany(size):
            yield rows

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


def copy_file_table(w: Writer, table: Table, path: str, alias: str, source: str, *, order: str,
                    exprs: dict[str, str] | None = None, attach: Sequence[tuple[str, str]] = (),
                    functions: Sequence[tuple[str, int, Callable]] = ()) -> None:
    """Copy a scratch file's rows into ``table``: ``exprs`` (SQL over the file's columns, by
    target column; default: the same names) ``FROM`` the file's ``source`` (in which ``{file}``
    names the file's schema, e.g. ``{file}event e JOIN chain.links c ON …``), ``ORDER BY order``.
    SQLite attaches the file as ``alias`` and copies in one statement (C code, without Python's
    lock); PostgreSQL reads the file in chunks and COPYs them. ``attach``: more files (path,
    alias) the query reads, by their alias. ``functions``: SQL functions (name, number of
    arguments, Python function) the expressions call, registered on the connection that reads
    the file for the copy (and removed after it); called once per row, in ``order``."""
    exprs = exprs or {c: c for c in table.known}
    if not w.pg:
        for extra_path, extra_alias in [(path, alias), *attach]:
            if extra_alias not in w.attached:
                w.attach(extra_path, extra_alias)
        conn = w._conn or w.db.connection()
        for name, n_args, fn in functions:
            conn.create_function(name, n_args, fn)
        try:
            w.insert_select(table, exprs, f"FROM {source.format(file=alias + '.')} ORDER BY {order}", now=True)
        finally:
            for name, n_args, _fn in functions:
                conn.create_function(name, n_args, None)
        return
    src = ScratchFile(path, write=False)
    try:
        for extra_path, extra_alias in attach:
            src.attach(extra_path, extra_alias)
        for name, n_args, fn in functions:
            src.conn.create_function(name, n_args, fn)
        select = ", ".join(exprs[c] for c in table.known)
        for rows in src.chunks(f"SELECT {select} FROM {source.format(file='')} ORDER BY {order}"):
            if w.thread_owned() or w._queue is None:
                w._write_now(table, rows)
                table.count += len(rows)
            else:
                w.write(table, rows)
    finally:
        src.close()


_FAST_PRAGMAS = ("synchronous", "foreign_keys", "cache_size", "temp_store", "mmap_size")


@contextlib.contextmanager
def fast_load(db: pw.Database, cache_kib: int) -> Iterator[None]:
    """SQLite, for this connection and only during the load (restored afterwards): no fsync, no
    per-row foreign-key lookups (the loader builds consistent ids; ``foreign_key_check`` can
    prove it), the page cache the caller gives, memory-mapped reads and in-memory sorting for index builds.

    WAL would write every page twice (log, then checkpoint); a rollback journal writes the new
    pages once (pages appended to the file are not journaled). The journal stays on disk: with a
    journal in memory, a process killed while committing left a corrupt file ("database disk
    image is malformed"); on disk, the next open rolls the interrupted load back. Only possible
    while no other connection has the file open; otherwise the load simply stays in WAL.
    Nothing is changed on PostgreSQL or inside an open transaction."""
    saved: dict[str, Any] = {}
    journal = None
    if not is_postgres(db) and not db.in_transaction():
        for pragma in _FAST_PRAGMAS:
            saved[pragma] = db.execute_sql(f"PRAGMA {pragma}").fetchone()[0]
        db.execute_sql("PRAGMA mmap_size = 17179869184")  # index builds scan the tables: no read() per page
        db.execute_sql("PRAGMA synchronous = OFF")
        db.execute_sql("PRAGMA foreign_keys = OFF")
        db.execute_sql(f"PRAGMA cache_size = {-int(cache_kib)}")
        db.execute_sql("PRAGMA temp_store = MEMORY")
        if db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal":
            try:
                if db.execute_sql("PRAGMA journal_mode = TRUNCATE").fetchone()[0] == "truncate":
                    journal = "wal"
            except pw.OperationalError:
                pass
    try:
        yield
    finally:
        for pragma, value in saved.items():
            db.execute_sql(f"PRAGMA {pragma} = {int(value)}")
        if journal:
            db.execute_sql(f"PRAGMA journal_mode = {journal}")


class BackupFailed(Exception):
    """The SQLite backup could not be written (the message says why)."""


def backup_file(db: pw.Database, target: str, progress: Callable[[int, int], None] | None = None) -> int:
    """Copy the SQLite database ``db`` into a new file ``target`` with the online backup API, in
    one step from one read snapshot (in WAL mode writers go on meanwhile; a step-wise copy would
    restart each time another process wrote); check its integrity and make it one
    self-contained file. Returns its page count; raises :class:`BackupFailed`."""
    try:
        conn = sqlite3.connect(target)
        try:
            def report(status, remaining, total):
                if progress:
                    progress(total - remaining, total)

            db.connection().backup(conn, pages=-1, progress=report)
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if ok != "ok":
                raise BackupFailed(_("the copy did not pass SQLite's integrity check ({result})").format(result=ok))
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute("PRAGMA journal_mode = DELETE")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupFailed(str(exc)) from exc
    return pages
