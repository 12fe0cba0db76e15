"""R54 (PostgreSQL): a write that did not come through invoice-tui is written into the history,
attributed to the role that made it, with source ``direct``.

invoice-tui's own connections say so at startup (``-c invoice_tui.app=on``, see
``db.open_database``); any other connection — psql, a script, a restored dump — fires this
trigger on the tables the audit replays. One ``property_change`` row per changed column, in the
same transaction as the write and extending the hash chain exactly as ``domain.history`` does (the
canonical payload is 0005's SQL; a test proves both give the same hashes row for row):

- ``object_type``/``object_id``: the invoice for an invoice and its lines, adjustments and links
  (property ``line_item#12.unit_price_minor``), the payment, contact, company, user or saved view
  itself, and ``workspace``/0 for a setting (property: its key);
- ``user_login``: the role that wrote (``SET ROLE``'s role, else the session's), never the owner
  this SECURITY DEFINER function runs as; ``created_at``: the server's clock, UTC.

A role that sets ``invoice_tui.app`` by hand escapes the attribution, not the audit: the replay
compares every row with its history (``audit verify``). SQLite has no roles; the replay catches
its direct writes. Frozen SQL.
"""
import importlib

from peewee import *  # noqa: F401,F403 - the migration runner's convention

TABLES = ("invoice", "line_item", "adjustment", "invoice_contact", "invoice_company", "payment", "contact",
          "company", "user", "setting", "saved_view")
CHILDREN = ("line_item", "adjustment", "invoice_contact", "invoice_company")


def up(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        return
    team_rights = importlib.import_module("invoice_tui.db.migrations.0005_team_rights")  # frozen, shared
    canon = team_rights._canon_sql(team_rights.PROPERTY_CHANGE).replace("NEW.", "r.").replace("%", "%%")
    schema = db.execute_sql("SELECT current_schema()").fetchone()[0]
    s = '"' + schema.replace('"', '""') + '"'
    children = ", ".join(f"'{t}'" for t in CHILDREN)
    db.execute_sql(f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_direct_write() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = {s}, pg_temp AS $$
        DECLARE
          actor text := CASE WHEN current_setting('role') IN ('none', '') THEN session_user::text
                             ELSE current_setting('role') END;
          old_j jsonb := CASE WHEN TG_OP = 'INSERT' THEN '{{}}'::jsonb ELSE to_jsonb(OLD) END;
          new_j jsonb := CASE WHEN TG_OP = 'DELETE' THEN '{{}}'::jsonb ELSE to_jsonb(NEW) END;
          row_j jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
          prefix text := '';
          k text;
          r property_change%%ROWTYPE;
          head record;
          n integer := 0;
        BEGIN
          r.source := 'direct';
          r.user_login := actor;
          r.created_at := clock_timestamp() AT TIME ZONE 'UTC';
          IF TG_TABLE_NAME = 'invoice' THEN
            r.object_type := 'invoice'; r.object_id := (row_j->>'id')::bigint; r.invoice_number := row_j->>'number';
          ELSIF TG_TABLE_NAME IN ({children}) THEN
            r.object_type := 'invoice'; r.object_id := (row_j->>'invoice_id')::bigint;
            SELECT i.number INTO r.invoice_number FROM invoice i WHERE i.id = r.object_id;
            prefix := TG_TABLE_NAME || '#' || (row_j->>'id') || '.';
          ELSIF TG_TABLE_NAME = 'payment' THEN
            r.object_type := 'payment'; r.object_id := (row_j->>'id')::bigint;
            SELECT i.number INTO r.invoice_number FROM invoice i WHERE i.id = (row_j->>'invoice_id')::bigint;
          ELSIF TG_TABLE_NAME = 'setting' THEN
            r.object_type := 'workspace'; r.object_id := 0;
            old_j := CASE WHEN TG_OP = 'INSERT' THEN '{{}}'::jsonb ELSE jsonb_build_object(OLD.key, OLD.value) END;
            new_j := CASE WHEN TG_OP = 'DELETE' THEN '{{}}'::jsonb ELSE jsonb_build_object(NEW.key, NEW.value) END;
          ELSE
            r.object_type := TG_TABLE_NAME; r.object_id := (row_j->>'id')::bigint;
          END IF;
          SELECT * INTO head FROM chain_head WHERE chain_head.name = 'property_change' FOR UPDATE;
          r.prev_hash := head.hash;
          FOR k IN SELECT key FROM jsonb_object_keys(old_j || new_j) AS key ORDER BY key LOOP
            CONTINUE WHEN k = 'id' OR (old_j -> k) IS NOT DISTINCT FROM (new_j -> k);
            r.property := prefix || k;
            r.old_value := old_j ->> k;
            r.new_value := new_j ->> k;
            r.hash := encode(sha256(convert_to(r.prev_hash || {canon}, 'UTF8')), 'hex');
            INSERT INTO property_change (object_type, object_id, invoice_number, property, old_value, new_value,
                                         user_login, source, created_at, prev_hash, hash)
              VALUES (r.object_type, r.object_id, r.invoice_number, r.property, r.old_value, r.new_value,
                      r.user_login, r.source, r.created_at, r.prev_hash, r.hash);
            r.prev_hash := r.hash;
            n := n + 1;
          END LOOP;
          IF n > 0 THEN
            UPDATE chain_head SET hash = r.prev_hash, count = chain_head.count + n
              WHERE chain_head.name = 'property_change';
          END IF;
          RETURN NULL;
        END $$""")
    db.execute_sql(f"REVOKE ALL ON FUNCTION {s}.invoice_tui_direct_write() FROM PUBLIC")
    for table in TABLES:
        db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_direct ON {s}."{table}"')
        db.execute_sql(f"""CREATE TRIGGER invoice_tui_direct AFTER INSERT OR UPDATE OR DELETE ON {s}."{table}"
            FOR EACH ROW WHEN (current_setting('invoice_tui.app', true) IS DISTINCT FROM 'on')
            EXECUTE FUNCTION {s}.invoice_tui_direct_write()""")


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for table in TABLES:
            db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_direct ON "{table}"')
        db.execute_sql("DROP FUNCTION IF EXISTS invoice_tui_direct_write()")
