"""Schema migrations (``playhouse.migrations``): numbered scripts in ``db/migrations``.

Opening a workspace applies the scripts it has not seen yet, so an older workspace is migrated
on open. Each script runs in its own transaction. Whether any is pending is read with plain SQL
(the scripts' names against the history table): playhouse's migrator, and the PostgreSQL
extensions it imports, load only when there is one to run (issue 16, cold start).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import peewee
from invoice_tui.i18n import _, ngettext

if TYPE_CHECKING:
    from playhouse.migrations import Runner

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
HISTORY_TABLE = "schema_migration"


def runner(db: peewee.Database) -> "Runner":
    from playhouse.migrations import Runner

    return Runner(db, directory=str(MIGRATIONS_DIR), table_name=HISTORY_TABLE)


def _scripts() -> list[str]:
    """The scripts' names in the order playhouse runs them (by their number, then name)."""
    names = [p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py")]
    return sorted(names, key=lambda n: (int(re.match(r"\d+", n).group()), n))


def pending(db: peewee.Database) -> list[str]:
    """The scripts not applied to ``db`` yet, in order."""
    if not db.table_exists(HISTORY_TABLE):
        return _scripts()
    applied = {name for (name,) in db.execute_sql(f'SELECT name FROM "{HISTORY_TABLE}"')}
    return [n for n in _scripts() if n not in applied]


def migrate(db: peewee.Database) -> list[str]:
    """Apply pending migrations; returns their names (empty when up to date)."""
    if not pending(db):
        return []
    r = runner(db)
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
                    raise peewee.IntegrityError(_("a migration left rows whose references are broken: {rows}")
                                                .format(rows=broken[:5]))
                return applied
        finally:
            db.execute_sql("PRAGMA foreign_keys = ON")
    if isinstance(db, peewee.PostgresqlDatabase):
        with db.atomic():
            db.execute_sql("SELECT pg_advisory_xact_lock(7419001)")
            return r.up()
    return r.up()


REPORT_TABLE = "migration_report"


def report(db: peewee.Database, applied: list[str]) -> list[str]:
    """One sentence per just-applied migration that left rows in ``migration_report`` (e.g.
    ``*_en16931_lines``' stored totals that differ from the recomputed ones): shown, never hidden."""
    if not applied or REPORT_TABLE not in db.get_tables():
        return []
    out = []
    for name in applied:
        count = db.execute_sql(f"SELECT COUNT(*) FROM {REPORT_TABLE} WHERE migration = %s".replace(
            "%s", db.param), (name,)).fetchone()[0]
        if count:
            out.append(ngettext(
                "invoice-tui: migration {name} found {count} invoice whose recomputed totals differ from the stored "
                "ones; the stored figures are kept and each difference is listed in the {table} table.",
                "invoice-tui: migration {name} found {count} invoices whose recomputed totals differ from the stored "
                "ones; the stored figures are kept and each difference is listed in the {table} table.",
                count).format(name=name, count=count, table=REPORT_TABLE))
    return out
