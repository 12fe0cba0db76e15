"""Data layer: one peewee ``DatabaseProxy``, opened from a URL, and the write-transaction helper.

``sqlite:///path`` opens a SQLite file (WAL, foreign keys, busy timeout, ``BEGIN IMMEDIATE`` for
writes); ``postgresql://…`` opens ``PostgresqlExtDatabase`` (server-side cursors for exports).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import itertools
import operator
import os
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, TypeVar
from urllib.parse import urlparse

import peewee

from invoice_tui.domain.errors import BadInput, EnvironmentFailure
from invoice_tui.i18n import _

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("busy_timeout", 15000),
    ("synchronous", "normal"),
)

T = TypeVar("T")
APP_CONNECTION = "invoice_tui.app"  # a PostgreSQL setting each invoice-tui connection sets at startup


def is_sqlite(db: peewee.Database | None = None) -> bool:
    db = db or database.obj
    return isinstance(db, peewee.SqliteDatabase)


def is_postgres(db: peewee.Database | None = None) -> bool:
    db = db or database.obj
    return isinstance(db, peewee.PostgresqlDatabase)


def _casefold(value):
    return value.casefold() if isinstance(value, str) else value


def _case_forms(text: str, limit: int = 16) -> list[str] | None:
    """Every spelling of ``text`` with its non-ASCII letters in either case ("zoë" → "zoë",
    "zoË"): SQLite's LIKE already folds the ASCII ones. None when there would be more than
    ``limit``."""
    options: list[tuple[str, ...]] = []
    count = 1
    for ch in text:
        forms = (ch,) if ch.isascii() else tuple(sorted({f for f in (ch, ch.lower(), ch.upper()) if len(f) == 1}))
        options.append(forms)
        count *= len(forms)
        if count > limit:
            return None
    return ["".join(p) for p in itertools.product(*options)]


def _folded(col: peewee.ColumnBase, text: str, match) -> peewee.Expression:
    """``match(col, text)`` whatever the letters' case, in every script. PostgreSQL's ILIKE
    folds Unicode; SQLite's LIKE folds ASCII only ("élodie" missed "Élodie"). There, a needle
    with other letters is matched in each of its case forms, still by LIKE in C; past 16 forms,
    both sides are casefolded by a function registered on each connection (slower: a Python
    call per row)."""
    if text.isascii() or not is_sqlite():
        return match(col, text)
    forms = _case_forms(text)
    if forms is None:
        return match(peewee.fn.casefold(col), text.casefold())
    return functools.reduce(operator.or_, [match(col, form) for form in forms])


def text_contains(col: peewee.ColumnBase, needle: str) -> peewee.Expression:
    """``col`` contains ``needle`` whatever the case (see ``_folded``)."""
    return _folded(col, needle, lambda c, t: c.contains(t))


def text_startswith(col: peewee.ColumnBase, prefix: str) -> peewee.Expression:
    """``col`` starts with ``prefix`` whatever the case (see ``_folded``)."""
    return _folded(col, prefix, lambda c, t: c.startswith(t))


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///path`` URL (None for other backends or ``:memory:``)."""
    parsed = urlparse(url)
    if parsed.scheme != "sqlite":
        return None
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else parsed.path
    if not path or path == ":memory:":
        return None
    return Path(path)


def open_database(url: str, *, notice: Callable[[str], None] | None = None) -> peewee.Database:
    """Open ``url`` (without binding the proxy). A missing SQLite file is created with a notice."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = sqlite_path(url)
        if path is not None and not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise EnvironmentFailure(
                    _("Cannot create the folder {parent} for a new workspace: {value}. Choose a writable place with "
                      "--db sqlite:///path/to/file.db.").format(parent=path.parent, value=exc.strerror or exc),
                    code="workspace.folder_unwritable") from None
            (notice or _stderr)(_("invoice-tui: creating a new workspace at {path}").format(path=path))
        db = peewee.SqliteDatabase(str(path) if path else ":memory:", pragmas=SQLITE_PRAGMAS,
                                   check_same_thread=False, timeout=15)
        db.register_function(_casefold, "casefold", 1, deterministic=True)  # text_contains
    elif parsed.scheme in ("postgres", "postgresql"):
        postgres_driver()
        # playhouse's URL parser imports every backend's extension: a SQLite workspace never needs it
        from playhouse.db_url import connect as url_connect

        ext_url = "postgresqlext" + url[len(parsed.scheme):]
        db = url_connect(ext_url)
        # invoice-tui's own connections say so: the direct-write trigger (migration 0013) records
        # every other connection's writes in the history as ``direct`` (R54).
        db.connect_params["options"] = f"{db.connect_params.get('options', '')} -c {APP_CONNECTION}=on".strip()
    else:  # what the user typed: exit 2 (README, exit codes)
        raise BadInput(
            _("Unsupported database URL '{url}'; use sqlite:///path/to/file.db or "
              "postgresql://user@host:5432/dbname.").format(url=redact(url)), code="workspace.unknown_scheme"
        )
    try:
        db.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        if "CONNECT privilege" in str(exc):  # team mode: a role never added (R53); the environment: exit 4
            raise EnvironmentFailure(
                _("The database role '{role}' is not a user of this workspace ({url}); its owner can add it with: "
                  "invoice-tui users add {login}").format(role=parsed.username or "", url=redact(url),
                                                         login=parsed.username or "LOGIN"),
                code="workspace.no_grants") from None
        if parsed.scheme == "sqlite":
            raise EnvironmentFailure(_("Cannot open the workspace {path}: {error}. Check that the file and its "
                                       "folder are readable and writable.").format(path=path, error=first_line(exc)),
                                           code="workspace.unreadable") from None
        raise EnvironmentFailure(_("Cannot open the database {url}: {error}. Check the URL and that the server is "
                                   "running.").format(url=redact(url), error=first_line(exc)),
                                 code="workspace.unreachable") from None
    except peewee.DatabaseError as exc:  # SQLite: "file is not a database" (its pragmas are the first read)
        with contextlib.suppress(Exception):
            db.close()
        raise EnvironmentFailure(_("{value} is not an invoice-tui workspace: {error}. Check --db, or move that file "
                                   "away to start a new workspace there.").format(value=path or url,
                                       error=first_line(exc)),
                                 code="workspace.not_a_database") from None
    return db


def postgres_driver() -> None:
    """Hand peewee the psycopg2 driver it was imported without (``invoice_tui/__init__.py``): the
    names peewee's module and its psycopg2 adapter bind at their import when psycopg2 is
    installed (tests/test_startup_imports.py compares them with a peewee imported with psycopg2)."""
    if peewee.psycopg2 is not None:
        return
    try:
        import psycopg2
        from psycopg2 import extensions
        from psycopg2.extras import Json, register_uuid
    except ImportError:
        raise EnvironmentFailure(_("A PostgreSQL workspace needs the psycopg2 driver; install invoice-tui with its "
                                   "postgresql extra: pip install 'invoice-tui[postgresql]'.")) from None
    register_uuid()
    adapter = peewee.Psycopg2Adapter
    adapter.txn_idle = extensions.TRANSACTION_STATUS_IDLE
    adapter.txn_inerror = extensions.TRANSACTION_STATUS_INERROR
    adapter.txn_unknown = extensions.TRANSACTION_STATUS_UNKNOWN
    peewee.pg_extensions, peewee.pg_register_uuid, peewee.Json_pg2 = extensions, register_uuid, Json
    peewee.psycopg2 = psycopg2  # last: peewee checks this one for the driver


def first_line(exc: BaseException) -> str:
    """A driver's message as one line, without its closing punctuation (a sentence follows it)."""
    text = " ".join(line.strip() for line in str(exc).strip().splitlines() if line.strip())
    return text.rstrip(".?! ") or type(exc).__name__


def bind(db: peewee.Database) -> peewee.Database:
    database.initialize(db)
    return db


def redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _is_busy(exc: Exception) -> bool:
    text = str(exc).lower()
    return ("database is locked" in text or "database is busy" in text or "deadlock detected" in text
            or "could not serialize" in text)


@contextlib.contextmanager
def write_tx() -> Iterator[None]:
    """One write transaction, whatever the backend.

    SQLite: ``BEGIN IMMEDIATE`` takes the write lock up front, so two writers never interleave.
    PostgreSQL: a normal transaction; services that need a serial section lock their row with
    ``SELECT … FOR UPDATE`` (the number counter, the history chain heads). Nested calls join the
    outer transaction.
    """
    db = database.obj
    if db.in_transaction():
        with db.atomic():
            yield
        return
    if is_sqlite(db):
        with _writers_queue(db), db.atomic("IMMEDIATE"):
            yield
    else:
        with db.atomic():
            yield


WRITERS_QUEUE_SUFFIX = "-writers"


@contextlib.contextmanager
def _writers_queue(db: peewee.SqliteDatabase) -> Iterator[None]:
    """Writers of one SQLite file wait their turn on a lock file beside it (``<file>-writers``).

    SQLite's own wait for the write lock polls with growing sleeps (1, 2, 5, 10 … 100 ms): with
    several processes writing, the lock sits free while they sleep, and throughput drops to a
    fraction of what the writes cost. ``flock`` waiters sleep in the kernel and one wakes as soon
    as the lock is released. Only invoice-tui takes this lock; ``BEGIN IMMEDIATE`` still guards
    against every other writer, and a workspace whose directory is read-only goes without it.
    A turn that does not come within ``WRITERS_QUEUE_TIMEOUT`` ends like SQLite's busy timeout:
    the caller sees "database is locked" and retries."""
    name = db.database
    if not name or name == ":memory:" or name.startswith("file:"):
        yield
        return
    try:
        fd = os.open(f"{name}{WRITERS_QUEUE_SUFFIX}", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        yield
        return
    if not _take_turn(fd, WRITERS_QUEUE_TIMEOUT):  # the waiting thread now owns (and closes) fd
        raise peewee.OperationalError("database is locked (waiting for other writers)")
    try:
        yield
    finally:
        os.close(fd)  # releases the lock


def _take_turn(fd: int, timeout: float) -> bool:
    """Lock ``fd`` exclusively within ``timeout`` seconds. A blocking ``flock`` cannot time out,
    so when the lock is taken it runs in a helper thread while this one waits with a timeout;
    if the wait gives up first, the helper closes ``fd`` once it gets the lock (releasing it)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        pass
    got = threading.Event()
    guard = threading.Lock()
    abandoned = False

    def wait() -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with guard:
            if abandoned:
                os.close(fd)
            else:
                got.set()

    threading.Thread(target=wait, name="invoice-tui-writers-queue", daemon=True).start()
    if got.wait(timeout):
        return True
    with guard:
        if got.is_set():
            return True
        abandoned = True
    return False


WRITERS_QUEUE_TIMEOUT = 15.0


def in_transaction() -> bool:
    return database.obj.in_transaction()


@contextlib.contextmanager
def read_tx() -> Iterator[None]:
    """A read-only transaction: one consistent snapshot for several reads (SQLite: a deferred
    ``BEGIN`` that never takes the write lock; PostgreSQL: a normal transaction)."""
    with database.obj.atomic():
        yield


def retry_busy(fn: Callable[..., T]) -> Callable[..., T]:
    """Retry a whole write when the database stays busy; after the retries, exit code 4."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        attempts = int(os.environ.get("INVOICE_TUI_BUSY_RETRIES", "8"))
        delay = 0.05
        for attempt in range(attempts):
            try:
                return fn(*args, **kwargs)
            except (peewee.OperationalError, peewee.InternalError) as exc:
                if not _is_busy(exc) or database.obj.in_transaction():
                    raise
                if attempt == attempts - 1:
                    raise EnvironmentFailure(
                        _("The database stayed busy; another invoice-tui is writing a lot. Try again in a moment.")
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper
