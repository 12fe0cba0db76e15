"""The quick search's index leads with the currency and status (SQLite; issue 16).

A search's count and per-currency totals (the index's status line) are one ``GROUP BY currency,
status`` over every invoice (``LIKE '%text%'`` seeks nothing). Migration 0007's index began with
the number, so SQLite read it and then sorted the matching rows in a temporary B-tree to group
them: at a million invoices ~0.54 s, against ~0.39 s for the bare count. Led by the grouping
columns, the same covering index yields each group's rows together and the totals cost what the
count costs. Same columns, other order; PostgreSQL has no such index.
"""
from peewee import *  # noqa: F401,F403 - the migration runner's convention

COLUMNS = ("currency", "status", "number", "contact_name", "contact_email", "company_name", "po_number",
           "billed_minor", "balance_minor")
BEFORE = ("number", "contact_name", "contact_email", "company_name", "po_number", "currency", "status",
          "billed_minor", "balance_minor")


def _create(db, columns) -> None:
    cols = ", ".join(f'"{c}"' for c in columns)
    db.execute_sql('DROP INDEX IF EXISTS "invoice_search"')
    db.execute_sql(f'CREATE INDEX "invoice_search" ON "invoice" ({cols})')


def up(migrator, db):
    if isinstance(db, SqliteDatabase):
        _create(db, COLUMNS)


def down(migrator, db):
    if isinstance(db, SqliteDatabase):
        _create(db, BEFORE)
