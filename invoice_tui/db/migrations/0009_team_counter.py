"""Team mode (R53, R3): a teammate's role moves the invoice-number counter forward only.

Finalizing takes the next number with ``value = value + 1`` (or skips past a number a changed
prefix already spells); only a super admin resets the counter (R3, while no invoice exists). A
role with ``edit`` and psql could otherwise set it back, and the next finalization would fail on
the unique number. Fires only for teammates (the owner and superusers stand above the app).
Frozen SQL.
"""
from peewee import *  # noqa: F401,F403 - the migration runner's convention


def up(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        return
    schema, owner = db.execute_sql(
        "SELECT current_schema(), pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = 'counter'").fetchone()
    s = '"' + schema.replace('"', '""') + '"'
    o = "'" + owner.replace("'", "''") + "'"
    db.execute_sql(f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_counter_forward() RETURNS trigger
        LANGUAGE plpgsql SET search_path = {s}, pg_temp AS $$
        BEGIN
          IF NOT invoice_tui_has('super_admin') THEN
            PERFORM invoice_tui_refuse(format('%%s may only move the counter %%s forward (R3); a super admin '
              'resets it', current_user, OLD.name), '42501');
          END IF;
          RETURN NEW;
        END $$""")
    db.execute_sql(f"REVOKE ALL ON FUNCTION {s}.invoice_tui_counter_forward() FROM PUBLIC")
    db.execute_sql(f"DROP TRIGGER IF EXISTS invoice_tui_counter_forward ON {s}.counter")
    db.execute_sql(f"""CREATE TRIGGER invoice_tui_counter_forward BEFORE UPDATE ON {s}.counter FOR EACH ROW
        WHEN (NOT pg_has_role(current_user, {o}, 'MEMBER')
              AND (NEW.value <= OLD.value OR NEW.name IS DISTINCT FROM OLD.name))
        EXECUTE FUNCTION {s}.invoice_tui_counter_forward()""")


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql('DROP TRIGGER IF EXISTS invoice_tui_counter_forward ON "counter"')
        db.execute_sql("DROP FUNCTION IF EXISTS invoice_tui_counter_forward()")
