"""The change feed on PostgreSQL (``invoice_tui.db.changes``): a statement trigger on each table
a screen shows NOTIFYs ``invoice_tui_changes`` with the table's name, so every open invoice-tui
follows writes made by any connection (another user, the CLI, psql). One notification per table
and transaction (PostgreSQL folds identical ones), whatever the number of rows: bulk writes stay
as fast. Replaces migration 0002's invoice-only trigger. Teammates' roles need nothing more: they read
every table (0005_team_rights), and LISTEN needs no privilege. SQLite needs nothing (``data_version``).
"""
from peewee import *

CHANNEL = "invoice_tui_changes"
TABLES = ["invoice", "line_item", "adjustment", "invoice_contact", "invoice_company", "reminder", "payment",
          "contact", "company", "user", "setting", "counter", "saved_view", "outbox", "property_change",
          "activity"]


def up(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        return
    db.execute_sql('DROP TRIGGER IF EXISTS invoice_tui_notify ON "invoice"')
    db.execute_sql('DROP FUNCTION IF EXISTS invoice_tui_notify_invoices()')
    db.execute_sql(f"""
        CREATE OR REPLACE FUNCTION invoice_tui_notify_change() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql""")
    db.execute_sql("REVOKE ALL ON FUNCTION invoice_tui_notify_change() FROM PUBLIC")  # a trigger's only
    for table in TABLES:
        db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_change ON "{table}"')
        db.execute_sql(f'CREATE TRIGGER invoice_tui_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                       f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION invoice_tui_notify_change()')


def down(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        return
    for table in TABLES:
        db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_change ON "{table}"')
    db.execute_sql('DROP FUNCTION IF EXISTS invoice_tui_notify_change()')
    # back to migration 0002's trigger: invoices only, on its own channel
    db.execute_sql("CREATE OR REPLACE FUNCTION invoice_tui_notify_invoices() RETURNS trigger AS $$ BEGIN "
                   "PERFORM pg_notify('invoice_tui_invoices', ''); RETURN NULL; END; $$ LANGUAGE plpgsql")
    db.execute_sql('CREATE TRIGGER invoice_tui_notify AFTER INSERT OR UPDATE OR DELETE ON "invoice" '
                   'FOR EACH STATEMENT EXECUTE FUNCTION invoice_tui_notify_invoices()')
