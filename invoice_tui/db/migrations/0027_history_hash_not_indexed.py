"""The history chains' ``hash`` columns (``property_change``, ``activity``) lose their unique index.

Nothing looks a row up by its hash: the audit walks each chain in id order and checks every link,
the chain head (locked while a row is appended; on PostgreSQL also by the team triggers) names the
last hash, and a row's hash covers the one before it, so two rows cannot share one without a broken
link the audit reports. The index cost a random-key B-tree insert per history row (a quarter of the
file's size in a fresh demo workspace, and the slowest index to rebuild after a bulk load: the demo
and R52's import). Indexes only: no row changes, nothing for the history; on both backends.
"""
from peewee import *  # noqa: F401,F403 - the migration runner's convention

INDEXES = {"propertychange_hash": ("property_change", "hash"), "activity_hash": ("activity", "hash")}


def up(migrator, db):
    for name in INDEXES:
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


def down(migrator, db):
    for name, (table, column) in INDEXES.items():
        db.execute_sql(f'CREATE UNIQUE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')
