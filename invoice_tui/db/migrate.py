"""Schema migrations (``playhouse.migrations``): numbered scripts in ``db/migrations``.

Opening a workspace applies the scripts it has not seen yet, so an older workspace is migrated
on open. Each script runs in its own transaction.
"""

from __future__ import annotations

from pathlib import Path

import peewee
from playhouse.migrations import Runner

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
HISTORY_TABLE = "schema_migration"


def runner(db: peewee.Database) -> Runner:
    return Runner(db, directory=str(MIGRATIONS_DIR), table_name=HISTORY_TABLE)


def pending(db: peewee.Database) -> list[str]:
    return [m.name for m in runner(db).status() if not m.applied and m.path]


def migrate(db: peewee.Database) -> list[str]:
    """Apply pending migrations; returns their names (empty when up to date)."""
    r = runner(db)
    if not any(not m.applied and m.path for m in r.status()):
        return []
    if isinstance(db, peewee.SqliteDatabase):
        # A migration may rebuild a table (SQLite's way to change one): with foreign keys on, dropping
        # the old table would cascade to its children. The pragma only takes effect outside a
        # transaction; the keys are checked before the migrations commit, then turned back on.
        db.execute_sql("PRAGMA foreign_keys = OFF")
        try:
            # BEGIN IMMEDIATE serializes concurrent first opens of one file.
            with db.atomic("IMMEDIATE"):
                applied = r.up()
                broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise peewee.IntegrityError(f"a migration left rows whose references are broken: {broken[:5]}")
                return applied
        finally:
            db.execute_sql("PRAGMA foreign_keys = ON")
    if isinstance(db, peewee.PostgresqlDatabase):
        with db.atomic():
            db.execute_sql("SELECT pg_advisory_xact_lock(7419001)")
            return r.up()
    return r.up()
