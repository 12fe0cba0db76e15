"""R15, R54: an object's id is never given to another object for the life of the workspace.

SQLite gives a new row the largest id + 1, so deleting the newest invoice (or payment, contact…)
handed its id to the next one: its history showed up under the newcomer, and a stale "delete
payment 7" could remove a payment created since. ``AUTOINCREMENT`` never reuses an id; SQLite can
only add it by rebuilding the table (create, copy, drop, rename; foreign keys are off while the
runner applies migrations, see ``db.migrate``). Indexes and triggers are re-created from their SQL.
Each table's sequence starts above every id it ever had: the largest id in the table and in the
history that names it (a deleted object's rows are kept). PostgreSQL's sequences never reuse ids.
Frozen SQL, built from each table's own definition so that columns added by later migrations are
kept as they are.
"""
import re

from peewee import *  # noqa: F401,F403 - the migration runner's convention

# table → how history names its objects (property_change.object_type), if it does
TABLES = {"user": "user", "company": "company", "contact": "contact", "invoice": "invoice", "line_item": None,
          "adjustment": None, "payment": "payment", "reminder": None, "saved_view": None, "outbox": None,
          "export_log": None, "invoice_contact": None, "invoice_company": None}
_KEY = re.compile(r'^(CREATE TABLE "?\w+"? \(\s*"id" INTEGER NOT NULL PRIMARY KEY)(?!\s+AUTOINCREMENT)', re.I)


def up(migrator, db):
    if not isinstance(db, SqliteDatabase):
        return
    for table, object_type in TABLES.items():
        row = db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
        if row is None or not _KEY.search(row[0]):
            continue  # absent, or already AUTOINCREMENT
        extras = [sql for (sql,) in db.execute_sql(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            (table,))]
        new = f"{table}__autoincrement"
        db.execute_sql(_KEY.sub(lambda m: m.group(1) + " AUTOINCREMENT", row[0], count=1)
                       .replace(f'CREATE TABLE "{table}"', f'CREATE TABLE "{new}"', 1))
        db.execute_sql(f'INSERT INTO "{new}" SELECT * FROM "{table}"')
        db.execute_sql(f'DROP TABLE "{table}"')
        db.execute_sql(f'ALTER TABLE "{new}" RENAME TO "{table}"')
        for sql in extras:
            db.execute_sql(sql)
        floor = db.execute_sql(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').fetchone()[0]
        if object_type:
            floor = max(floor, db.execute_sql("SELECT COALESCE(MAX(object_id), 0) FROM property_change "
                                              "WHERE object_type = ?", (object_type,)).fetchone()[0])
        if table == "invoice":
            floor = max(floor, db.execute_sql("SELECT COALESCE(MAX(invoice_id), 0) FROM activity").fetchone()[0])
        db.execute_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
        db.execute_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, floor))


def down(migrator, db):
    pass  # AUTOINCREMENT only promises more; nothing to undo
