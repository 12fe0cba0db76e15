"""Team mode (R53, R15): a teammate's history rows carry the present time.

The chain trigger (0005) checks that a teammate's history row follows the chain's head, carries the
hash of its content and the teammate's own login; its time was the teammate's word. With psql (or a
pinned clock) a teammate could write a row dated last year, which the audit would then accept. A
teammate's row must now be dated within ten minutes of the database server's clock (UTC, naive, as
the app writes it; ten minutes absorb a laptop's clock drift). The owner and superusers stand above
the app. Frozen SQL.
"""
from peewee import *  # noqa: F401,F403 - the migration runner's convention

TABLES = ("property_change", "activity")


def up(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        return
    schema = db.execute_sql("SELECT current_schema()").fetchone()[0]
    s = '"' + schema.replace('"', '""') + '"'
    db.execute_sql(f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_history_time() RETURNS trigger
        LANGUAGE plpgsql SET search_path = {s}, pg_temp AS $$
        DECLARE server_now timestamp := clock_timestamp() AT TIME ZONE 'UTC';
        BEGIN
          IF invoice_tui_is_teammate()
             AND (NEW.created_at IS NULL OR NEW.created_at NOT BETWEEN server_now - interval '10 minutes'
                                                                  AND server_now + interval '10 minutes') THEN
            PERFORM invoice_tui_refuse(format('%%s may write history only at the present time (the server says '
              '%%s UTC), not %%s', current_user, date_trunc('second', server_now), NEW.created_at), '42501');
          END IF;
          RETURN NEW;
        END $$""")
    db.execute_sql(f"REVOKE ALL ON FUNCTION {s}.invoice_tui_history_time() FROM PUBLIC")
    for table in TABLES:
        db.execute_sql(f"DROP TRIGGER IF EXISTS invoice_tui_c_time ON {s}.{table}")
        db.execute_sql(f"""CREATE TRIGGER invoice_tui_c_time BEFORE INSERT ON {s}.{table}
            FOR EACH ROW EXECUTE FUNCTION {s}.invoice_tui_history_time()""")


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for table in TABLES:
            db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_c_time ON "{table}"')
        db.execute_sql("DROP FUNCTION IF EXISTS invoice_tui_history_time()")
