"""Credit notes, customer credit and refunds (issue 21; SPEC R8 amended, R36–R42).

- ``invoice.doc_type``: ``invoice`` or ``credit_note`` (EN 16931 type 380 / 381). A credit note is
  a row of the invoice table (its index, page, history, PDF and export are the invoice's, R42),
  status ``draft`` → ``issued``, with its own series: ``invoice.cn_seq`` (unique; the invoice
  series keeps ``number_seq``) from the counter ``credit_note_number`` (seeded here at 1).
- ``invoice.refers_to_id``: a credit note's invoice (BT-25/BT-26); an invoice's credit note when
  it replaces or offsets one (R38, R41).
- ``invoice.reason``: a credit note's reason (required).
- ``invoice.credited_minor``: the part of an invoice's amount settled by credit (its credit notes'
  applied parts and customer credit applied to it, R39/R40); balance = billed − paid − credited.
- ``credit_entry``: every movement of customer credit as a dated record (credit-note applied part
  and remainder, overpayment, credit applied, refund); customer credit is derived from it, never
  stored without a record. ``AUTOINCREMENT`` on SQLite (R56: ids never reused).
- PostgreSQL: triggers refuse, for every role and client, changing or deleting an issued credit
  note (its lines and adjustments too) and changing or deleting a credit movement (R38, R40, R53).

Idempotent; frozen SQL.
"""

from peewee import *  # noqa: F401,F403 - the migration runner's convention

COLUMNS = [
    ("invoice", "doc_type", "VARCHAR(16) NOT NULL DEFAULT 'invoice'"),
    ("invoice", "refers_to_id", "BIGINT"),
    ("invoice", "reason", "TEXT NOT NULL DEFAULT ''"),
    ("invoice", "credited_minor", "BIGINT NOT NULL DEFAULT 0"),
    ("invoice", "cn_seq", "BIGINT"),
]

ENTRY_COLUMNS = """
    "kind" VARCHAR(24) NOT NULL,
    "company_id" BIGINT,
    "contact_id" BIGINT,
    "currency" VARCHAR(3) NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "date" DATE NOT NULL,
    "invoice_id" BIGINT,
    "credit_note_id" BIGINT,
    "payment_id" BIGINT,
    "method" VARCHAR(16) NOT NULL DEFAULT '',
    "reference" VARCHAR(200) NOT NULL DEFAULT '',
    "created_by" VARCHAR(128) NOT NULL DEFAULT '',
    "created_at" TIMESTAMP NOT NULL
"""


def _columns(db, table: str) -> set[str]:
    if isinstance(db, PostgresqlDatabase):
        rows = db.execute_sql("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                              "current_schema() AND table_name = %s", (table,)).fetchall()
        return {r[0] for r in rows}
    return {r[1] for r in db.execute_sql(f'PRAGMA table_info("{table}")').fetchall()}


def up(migrator, db):
    pg = isinstance(db, PostgresqlDatabase)
    for table, column, ddl in COLUMNS:
        if column not in _columns(db, table):
            db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {ddl}')
    db.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "invoice_cn_seq" ON "invoice" ("cn_seq")')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "invoice_doc_type_status" ON "invoice" ("doc_type", "status")')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "invoice_refers_to_id" ON "invoice" ("refers_to_id")')
    key = '"id" BIGSERIAL NOT NULL PRIMARY KEY' if pg else '"id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT'
    db.execute_sql(f'CREATE TABLE IF NOT EXISTS "credit_entry" ({key},{ENTRY_COLUMNS})')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "credit_entry_customer" ON "credit_entry" '
                   '("company_id", "contact_id", "currency")')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "credit_entry_invoice_id" ON "credit_entry" ("invoice_id")')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "credit_entry_credit_note_id" ON "credit_entry" ("credit_note_id")')
    if pg:
        db.execute_sql("INSERT INTO counter (name, value) VALUES ('credit_note_number', 1) ON CONFLICT DO NOTHING")
        _guards(db)
        found = db.execute_sql("SELECT to_regprocedure('invoice_tui_direct_write()') IS NOT NULL").fetchone()[0]
        if found:  # R54: a write from outside invoice-tui is written into the history (0013)
            db.execute_sql('DROP TRIGGER IF EXISTS invoice_tui_direct ON "credit_entry"')
            db.execute_sql("""CREATE TRIGGER invoice_tui_direct AFTER INSERT OR UPDATE OR DELETE ON "credit_entry"
                FOR EACH ROW WHEN (current_setting('invoice_tui.app', true) IS DISTINCT FROM 'on')
                EXECUTE FUNCTION invoice_tui_direct_write()""")
    else:
        db.execute_sql("INSERT OR IGNORE INTO counter (name, value) VALUES ('credit_note_number', 1)")


def _guards(db):
    """R38, R40, R53 in the database (PostgreSQL), for every role and client: an issued credit note's
    number, series, type, invoice, reason, status and amounts never change, nor its lines and
    adjustments, and it is never deleted; a credit movement is never updated or deleted."""
    schema = db.execute_sql("SELECT current_schema()").fetchone()[0]
    s = '"' + schema.replace('"', '""') + '"'
    path = f"SET search_path = {s}, pg_temp"  # (psycopg2 reads % as a parameter: format()'s %s is written %%s)
    db.execute_sql(f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_guard_credit_note() RETURNS trigger
        LANGUAGE plpgsql {path} AS $$
        BEGIN
          IF OLD.doc_type = 'credit_note' AND OLD.status = 'issued' THEN
            IF TG_OP = 'DELETE' THEN
              RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = format(
                'Credit note %%s is issued; an issued credit note is never deleted (R38)', OLD.number);
            END IF;
            IF NEW.doc_type IS DISTINCT FROM OLD.doc_type OR NEW.status IS DISTINCT FROM OLD.status
               OR NEW.number IS DISTINCT FROM OLD.number OR NEW.cn_seq IS DISTINCT FROM OLD.cn_seq
               OR NEW.refers_to_id IS DISTINCT FROM OLD.refers_to_id OR NEW.reason IS DISTINCT FROM OLD.reason
               OR NEW.currency IS DISTINCT FROM OLD.currency OR NEW.invoice_date IS DISTINCT FROM OLD.invoice_date
               OR NEW.subtotal_minor IS DISTINCT FROM OLD.subtotal_minor
               OR NEW.discount_minor IS DISTINCT FROM OLD.discount_minor OR NEW.fee_minor IS DISTINCT FROM OLD.fee_minor
               OR NEW.tax_minor IS DISTINCT FROM OLD.tax_minor OR NEW.billed_minor IS DISTINCT FROM OLD.billed_minor
            THEN
              RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = format(
                'Credit note %%s is issued; an issued credit note never changes (R38)', OLD.number);
            END IF;
          END IF;
          RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$""")
    db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_credit_note ON {s}."invoice"')
    db.execute_sql(f"""CREATE TRIGGER invoice_tui_credit_note BEFORE UPDATE OR DELETE ON {s}."invoice"
        FOR EACH ROW EXECUTE FUNCTION {s}.invoice_tui_guard_credit_note()""")
    db.execute_sql(f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_guard_credit_note_child() RETURNS trigger
        LANGUAGE plpgsql {path} AS $$
        DECLARE number text;
        BEGIN
          SELECT i.number INTO number FROM invoice i
            WHERE i.id = CASE WHEN TG_OP = 'INSERT' THEN NEW.invoice_id ELSE OLD.invoice_id END
              AND i.doc_type = 'credit_note' AND i.status = 'issued';
          IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = format(
              'Credit note %%s is issued; its lines and adjustments never change (R38)', number);
          END IF;
          RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$""")
    for table in ("line_item", "adjustment"):
        db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_credit_note ON {s}."{table}"')
        db.execute_sql(f"""CREATE TRIGGER invoice_tui_credit_note BEFORE INSERT OR UPDATE OR DELETE ON {s}."{table}"
            FOR EACH ROW EXECUTE FUNCTION {s}.invoice_tui_guard_credit_note_child()""")
    db.execute_sql(f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_guard_credit_entry() RETURNS trigger
        LANGUAGE plpgsql {path} AS $$
        BEGIN
          RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE =
            'A credit movement is a record; it is never changed or deleted (R40)';
        END $$""")
    db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_credit_entry ON {s}."credit_entry"')
    db.execute_sql(f"""CREATE TRIGGER invoice_tui_credit_entry BEFORE UPDATE OR DELETE ON {s}."credit_entry"
        FOR EACH ROW EXECUTE FUNCTION {s}.invoice_tui_guard_credit_entry()""")


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for table in ("invoice", "line_item", "adjustment"):
            db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_credit_note ON "{table}"')
        db.execute_sql("DROP FUNCTION IF EXISTS invoice_tui_guard_credit_note()")
        db.execute_sql("DROP FUNCTION IF EXISTS invoice_tui_guard_credit_note_child()")
        db.execute_sql("DROP FUNCTION IF EXISTS invoice_tui_guard_credit_entry()")
    db.execute_sql('DROP TABLE IF EXISTS "credit_entry"')
    db.execute_sql('DROP INDEX IF EXISTS "invoice_cn_seq"')
    db.execute_sql('DROP INDEX IF EXISTS "invoice_doc_type_status"')
    db.execute_sql('DROP INDEX IF EXISTS "invoice_refers_to_id"')
    for table, column, _ddl in COLUMNS:
        db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    db.execute_sql("DELETE FROM counter WHERE name = 'credit_note_number'")
