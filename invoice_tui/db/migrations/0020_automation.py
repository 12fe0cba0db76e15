"""Invoices that run themselves (issue 28; SPEC R49–R51).

- ``schedule``: a recurring schedule made from a template invoice (R49): every ``every`` units
  (``d``, ``w``, ``m``, ``y``) from ``start`` (the first period's date), on ``day`` of the month
  (31: the month's last day), ending after ``count`` invoices or after ``end_on``; ``mode``
  ``draft``/``finalize``/``send``; ``state`` ``active``/``paused``/``ended``; ``next_index`` is
  the period the next run creates and ``next_run`` its date.
- ``schedule_run``: the invoice made for one period, unique per (schedule, period): a period is
  created once, whatever the number of runs (the database arbitrates concurrent runs).
- ``scheduled_send``: an invoice to email on a date (R50: ``invoices schedule-send``, send on
  finalize, schedules in ``send`` mode), unique per invoice, queued in the outbox exactly once.
- ``dunning``: what the dunning job did for an overdue invoice (R51): a level's email
  (``kind`` ``level``), late-payment interest for a period (``interest``) and the fixed recovery
  indemnity (``indemnity``), unique per (invoice, kind, level): each at most once.

``AUTOINCREMENT`` on SQLite (R56). PostgreSQL: the change feed and the direct-write history
triggers follow the new tables (0006, 0013). Idempotent; frozen SQL.
"""

from peewee import *  # noqa: F401,F403 - the migration runner's convention

TABLES = {
    "schedule": """
        "template_id" BIGINT NOT NULL,
        "every" INTEGER NOT NULL,
        "unit" VARCHAR(1) NOT NULL,
        "day" INTEGER,
        "start" DATE NOT NULL,
        "end_on" DATE,
        "count" INTEGER,
        "mode" VARCHAR(8) NOT NULL DEFAULT 'draft',
        "state" VARCHAR(8) NOT NULL DEFAULT 'active',
        "next_index" INTEGER NOT NULL DEFAULT 0,
        "next_run" DATE,
        "issued" INTEGER NOT NULL DEFAULT 0,
        "last_result" VARCHAR(500) NOT NULL DEFAULT '',
        "created_by" VARCHAR(128) NOT NULL DEFAULT '',
        "created_at" TIMESTAMP NOT NULL
    """,
    "schedule_run": """
        "schedule_id" BIGINT NOT NULL,
        "period" DATE NOT NULL,
        "period_index" INTEGER NOT NULL,
        "invoice_id" BIGINT,
        "created_at" TIMESTAMP NOT NULL
    """,
    "scheduled_send": """
        "invoice_id" BIGINT NOT NULL,
        "send_on" DATE NOT NULL,
        "state" VARCHAR(10) NOT NULL DEFAULT 'planned',
        "email_id" BIGINT,
        "created_by" VARCHAR(128) NOT NULL DEFAULT '',
        "created_at" TIMESTAMP NOT NULL
    """,
    "dunning": """
        "invoice_id" BIGINT NOT NULL,
        "kind" VARCHAR(10) NOT NULL,
        "level" INTEGER NOT NULL,
        "period_from" DATE,
        "period_to" DATE,
        "amount_minor" BIGINT NOT NULL DEFAULT 0,
        "fee_invoice_id" BIGINT,
        "email_id" BIGINT,
        "note" VARCHAR(500) NOT NULL DEFAULT '',
        "created_by" VARCHAR(128) NOT NULL DEFAULT '',
        "created_at" TIMESTAMP NOT NULL
    """,
}

INDEXES = [
    'CREATE UNIQUE INDEX IF NOT EXISTS "schedule_run_period" ON "schedule_run" ("schedule_id", "period_index")',
    'CREATE INDEX IF NOT EXISTS "schedule_run_invoice_id" ON "schedule_run" ("invoice_id")',
    'CREATE INDEX IF NOT EXISTS "schedule_state_next_run" ON "schedule" ("state", "next_run")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "scheduled_send_invoice_id" ON "scheduled_send" ("invoice_id")',
    'CREATE INDEX IF NOT EXISTS "scheduled_send_state_send_on" ON "scheduled_send" ("state", "send_on")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "dunning_once" ON "dunning" ("invoice_id", "kind", "level")',
    'CREATE INDEX IF NOT EXISTS "dunning_fee_invoice_id" ON "dunning" ("fee_invoice_id")',
]


def up(migrator, db):
    pg = isinstance(db, PostgresqlDatabase)
    key = '"id" BIGSERIAL NOT NULL PRIMARY KEY' if pg else '"id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT'
    for table, columns in TABLES.items():
        db.execute_sql(f'CREATE TABLE IF NOT EXISTS "{table}" ({key},{columns})')
    for sql in INDEXES:
        db.execute_sql(sql)
    if not pg:
        return
    notify = db.execute_sql("SELECT 1 FROM pg_proc WHERE proname = 'invoice_tui_notify_change'").fetchone()
    direct = db.execute_sql("SELECT to_regprocedure('invoice_tui_direct_write()') IS NOT NULL").fetchone()[0]
    for table in TABLES:
        if notify:  # the change feed (0006)
            db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_change ON "{table}"')
            db.execute_sql(f'CREATE TRIGGER invoice_tui_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                           f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION invoice_tui_notify_change()')
        if direct:  # R54: a write from outside invoice-tui is written into the history (0013)
            db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_direct ON "{table}"')
            db.execute_sql(f"""CREATE TRIGGER invoice_tui_direct AFTER INSERT OR UPDATE OR DELETE ON "{table}"
                FOR EACH ROW WHEN (current_setting('invoice_tui.app', true) IS DISTINCT FROM 'on')
                EXECUTE FUNCTION invoice_tui_direct_write()""")


def down(migrator, db):
    for table in reversed(list(TABLES)):
        migrator.migrate(migrator.drop_table(table))
