"""Backup and copy of a whole workspace (issue 8).

- :func:`backup_sqlite` — a consistent copy of a live SQLite workspace with SQLite's online
  backup API, in one step: in WAL mode the copy reads one snapshot while other invoice-tui
  processes keep writing (readers never block writers). The copy is written next to the
  destination, checked (``PRAGMA integrity_check``), synced and only then renamed to the final
  name — an interrupted backup never leaves a partial file under that name. PostgreSQL is
  refused with a pointer to ``pg_dump``.
- :func:`copy_workspace` — every table of the workspace (the models of every migration: all
  peewee models bound to the database proxy, discovered generically) copied row by row with
  their ids into an empty target database (typically PostgreSQL, when a team outgrows one
  machine), parents before children (``peewee.sort_models``), from one read snapshot of the
  source, in one transaction on the target. Numbers, the number counter, the hash-chained history
  and its heads, settings and users arrive unchanged, so ``audit verify`` passes on the copy.
  PostgreSQL sequences are moved past the copied ids.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import peewee

from invoice_tui.db import database, is_postgres, is_sqlite, open_database, redact, sqlite_path
from invoice_tui.db.bulk import BackupFailed, backup_file
from invoice_tui.domain.errors import BadInput, EnvironmentFailure, RuleRefused
from invoice_tui.i18n import _

BATCH = 2000


# ---- model discovery -------------------------------------------------------------------------
def discover_models() -> list[type[peewee.Model]]:
    """Every model of the workspace (any ``invoice_tui.db`` module, so tables added by later
    migrations are included), parents before children."""
    import invoice_tui.db as db_pkg
    from invoice_tui.db.models import BaseModel

    for info in pkgutil.iter_modules(db_pkg.__path__):
        if not info.ispkg and not info.name.startswith("_"):
            importlib.import_module(f"invoice_tui.db.{info.name}")
    found: dict[str, type[peewee.Model]] = {}
    stack = list(BaseModel.__subclasses__())
    while stack:
        model = stack.pop()
        stack.extend(model.__subclasses__())
        if model._meta.database is not database or ".migrations." in model.__module__:
            continue
        found.setdefault(model._meta.table_name, model)
    return peewee.sort_models(list(found.values()))


# ---- backup ----------------------------------------------------------------------------------
@dataclass
class BackupResult:
    path: Path
    bytes: int
    pages: int


def backup_sqlite(db: peewee.Database, url: str, dest: str | Path, *,
                  progress: Callable[[int, int], None] | None = None) -> BackupResult:
    if is_postgres(db):
        raise RuleRefused(_("invoice-tui backup copies SQLite workspaces. This workspace is on PostgreSQL: use "
                            "pg_dump, which makes a consistent copy while others keep working, e.g. "
                            "pg_dump --format=custom --file=invoices.dump '{url}'.").format(url=redact(url)))
    if not is_sqlite(db) or sqlite_path(url) is None:
        raise BadInput(_("invoice-tui backup needs a workspace stored in a SQLite file (sqlite:///path)."))
    dest = Path(dest).expanduser()
    if dest.exists():
        raise BadInput(_("{dest} already exists; choose a new file name (a backup never overwrites a file).").format(dest=dest),
                       field="path")
    if not dest.parent.is_dir():
        raise BadInput(_("The folder {parent} does not exist.").format(parent=dest.parent), field="path")
    if sqlite_path(url).resolve() == dest.resolve():
        raise BadInput(_("The backup must go to another file than the workspace itself."), field="path")
    part = dest.with_name(f".{dest.name}.part-{os.getpid()}")
    try:
        pages = backup_file(db, str(part), progress)
        with open(part, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(part, dest)
    except BackupFailed as exc:
        raise EnvironmentFailure(_("The backup failed: {exc}. Nothing was written to {dest}.").format(exc=exc, dest=dest)) from exc
    finally:
        if part.exists():
            part.unlink()
    return BackupResult(dest, dest.stat().st_size, pages)


# ---- copy ------------------------------------------------------------------------------------
@dataclass
class CopyResult:
    target: str
    rows: dict[str, int] = field(default_factory=dict)


def _target_is_empty(target: peewee.Database, models: list) -> bool:
    existing = set(target.get_tables())
    for model in models:
        name = model._meta.table_name
        if name not in existing or name in _SEEDED:
            continue
        if target.execute_sql(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone() is not None:
            return False
    return True


# Tables every new workspace fills on its own (seeds and migration defaults): replaced by the copy.
_SEEDED = {"counter", "chain_head", "setting", "saved_view"}


def _rows(model, batch: int):
    """The rows of ``model`` as Python values, in primary-key order (keyset pages for int keys)."""
    fields = model._meta.sorted_fields
    pk = model._meta.primary_key
    if isinstance(pk, peewee.AutoField) or isinstance(pk, peewee.BigAutoField):
        last = None
        while True:
            query = model.select(*fields).order_by(pk).limit(batch)
            if last is not None:
                query = query.where(pk > last)
            rows = list(query.tuples())
            if not rows:
                return
            yield from rows
            last = rows[-1][fields.index(pk)]
    else:
        yield from model.select(*fields).order_by(pk).tuples()


def copy_workspace(src: peewee.Database, target_url: str, *,
                   progress: Callable[[str, int], None] | None = None) -> CopyResult:
    """Copy the workspace bound to ``database`` (``src``) into the empty database at ``target_url``."""
    from invoice_tui.db.migrate import migrate

    if target_url.split(":", 1)[0] not in ("postgresql", "postgres", "sqlite"):
        raise BadInput(_("--to must be a database URL, e.g. postgresql://me@db.example:5432/invoices."), field="to")
    target = open_database(target_url)
    try:
        if type(target) is type(src) and str(target.database) == str(src.database) and is_sqlite(src):
            raise BadInput(_("The target is the workspace itself; give another database."), field="to")
        models = discover_models()
        if not _target_is_empty(target, models):
            raise RuleRefused(_("The target database {target_url} already holds a workspace "
                                "(invoices, people or history); copy only into an empty "
                                "database.").format(target_url=redact(target_url)))
        migrate(target)  # the same schema (every migration) on the target
        result = CopyResult(redact(target_url))
        if is_postgres(src):
            ctx = src.atomic()
        else:
            ctx = src.atomic()  # deferred: the first SELECT takes one read snapshot (WAL)
        with ctx, target.atomic():
            if is_postgres(src):
                src.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            for model in reversed(models):  # the target's own seeds make way for the source's rows
                target.execute_sql(f'DELETE FROM "{model._meta.table_name}"')
            for model in models:
                result.rows[model._meta.table_name] = _copy_table(model, target)
                if progress:
                    progress(model._meta.table_name, result.rows[model._meta.table_name])
            if is_postgres(target):
                _reset_sequences(target, models)
        return result
    except (peewee.DatabaseError, peewee.InterfaceError) as exc:
        # e.g. the target role may not create tables: one sentence, nothing kept on the target
        raise EnvironmentFailure(_("The copy to {target_url} failed and was rolled back: {reason}.").format(target_url=redact(target_url), reason=str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__)
                                 ) from exc
    finally:
        target.close()


def _copy_table(model, target: peewee.Database) -> int:
    fields = model._meta.sorted_fields
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    marks = ", ".join([target.param] * len(fields))
    sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})'
    count = 0
    buf: list[tuple] = []
    cursor = target.cursor()
    for row in _rows(model, BATCH):
        buf.append(tuple(f.db_value(v) for f, v in zip(fields, row)))
        if len(buf) >= BATCH:
            cursor.executemany(sql, buf)
            count += len(buf)
            buf = []
    if buf:
        cursor.executemany(sql, buf)
        count += len(buf)
    return count


def _reset_sequences(target: peewee.Database, models) -> None:
    for model in models:
        pk = model._meta.primary_key
        if isinstance(pk, peewee.AutoField):
            table = model._meta.table_name
            target.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{pk.column_name}'), "
                f'COALESCE(MAX("{pk.column_name}"), 1), MAX("{pk.column_name}") IS NOT NULL) FROM "{table}"')
