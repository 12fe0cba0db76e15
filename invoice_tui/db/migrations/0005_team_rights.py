"""PostgreSQL team mode (R53): the database enforces R17 for teammates' roles.

Frozen SQL (a later change comes as a new script). Nothing happens on SQLite, whose file
permissions are the boundary. What it installs, and why, is described in README "Reliability and
security" and in ``invoice_tui.db.team``:

- helper functions: ``invoice_tui_owner()`` (the role owning the workspace's tables),
  ``invoice_tui_is_teammate()`` (current_user is neither a superuser nor a member of the owner),
  ``invoice_tui_has(perm)`` and ``invoice_tui_my_user_id()`` (read the app's users table for
  current_user, so the app's rights and the database's checks have one source);
- triggers that hold teammates to their rights where a grant cannot (only drafts are created,
  only drafts one owns change without ``edit``, a draft is deleted with ``edit``, a finalized
  invoice with ``delete``) and rules for every role (a finalized invoice's number, currency and
  date never change, a paid invoice is never deleted, an applied payment never moves);
- the history chains: a teammate's row is checked (it follows the chain head, its hash is right,
  it is written under the teammate's own login) and advances the head, by one SECURITY DEFINER
  trigger; heads are locked through ``invoice_tui_lock_chains()``;
- row-level security on ``user`` (one's own preferences), ``saved_view`` (one's own views) and
  ``export_log`` (one's own entries);
- ``PUBLIC`` loses CONNECT on the database (when the migrating role owns it) and EXECUTE on the
  chain lock and the trigger functions.
"""
from peewee import *  # noqa: F401,F403 - the migration runner's convention


def _canon_sql(fields):
    """SQL building ``history.row_hash``'s payload: compact JSON, keys sorted (fixed ASCII names)."""
    parts = []
    for i, (name, kind) in enumerate(sorted(fields)):
        value = f"NEW.{name}"
        if kind == "ts":
            expr = (f"CASE WHEN {value} IS NULL THEN 'null' ELSE '\"' || to_char({value}, "
                    f"'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN extract(microseconds FROM {value})::bigint "
                    f"% 1000000 <> 0 THEN '.' || to_char({value}, 'US') ELSE '' END || '\"' END")
        elif kind == "date":
            expr = f"CASE WHEN {value} IS NULL THEN 'null' ELSE '\"' || to_char({value}, 'YYYY-MM-DD') || '\"' END"
        elif kind == "int":
            expr = f"COALESCE({value}::text, 'null')"
        else:
            expr = f"COALESCE(to_json({value})::text, 'null')"
        parts.append(f"'{'{' if i == 0 else ','}\"{name}\":' || {expr}")
    return " || ".join(parts) + " || '}'"


PROPERTY_CHANGE = [("object_type", "text"), ("object_id", "int"), ("invoice_number", "text"),
                   ("property", "text"), ("old_value", "text"), ("new_value", "text"),
                   ("user_login", "text"), ("source", "text"), ("created_at", "ts")]
ACTIVITY = [("invoice_id", "int"), ("invoice_number", "text"), ("kind", "text"), ("text", "text"),
            ("user_login", "text"), ("created_at", "ts"), ("due_date", "date"), ("ref_id", "int")]

CHILDREN = ("line_item", "adjustment", "invoice_contact", "invoice_company")


def statements(schema: str, database: str) -> list[str]:
    s = '"' + schema.replace('"', '""') + '"'
    d = '"' + database.replace('"', '""') + '"'
    path = f"SET search_path = {s}, pg_temp"
    out = [
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_owner() RETURNS name LANGUAGE sql STABLE {path} AS $$
            SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = '{s}."user"'::regclass $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_is_teammate() RETURNS boolean LANGUAGE sql STABLE {path} AS $$
            SELECT NOT COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)
               AND NOT pg_has_role(current_user, invoice_tui_owner(), 'MEMBER') $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_has(perm text) RETURNS boolean LANGUAGE sql STABLE {path} AS $$
            SELECT EXISTS (SELECT 1 FROM "user" u WHERE u.login = current_user
                           AND (',' || u.permissions || ',' LIKE '%,' || perm || ',%'
                                OR ',' || u.permissions || ',' LIKE '%,super_admin,%')) $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_my_user_id() RETURNS bigint LANGUAGE sql STABLE {path} AS $$
            SELECT id FROM "user" WHERE login = current_user $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_refuse(message text, code text) RETURNS void
            LANGUAGE plpgsql {path} AS $$
            BEGIN RAISE EXCEPTION USING MESSAGE = message, ERRCODE = code; END $$""",
        # -- invoices: rights of teammates, rules for everyone ---------------------------------
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_guard_invoice() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            DECLARE mate boolean := invoice_tui_is_teammate();
            BEGIN
              IF TG_OP = 'INSERT' THEN
                IF mate AND NOT (invoice_tui_has('create') AND NEW.status = 'draft' AND NEW.number IS NULL) THEN
                  PERFORM invoice_tui_refuse(format('%s may not create this invoice: creating needs the create '
                    'right, and a new invoice is a draft without a number', current_user), '42501');
                END IF;
                RETURN NEW;
              ELSIF TG_OP = 'UPDATE' THEN
                IF OLD.number IS NOT NULL AND (NEW.number IS DISTINCT FROM OLD.number
                    OR NEW.number_seq IS DISTINCT FROM OLD.number_seq OR NEW.currency IS DISTINCT FROM OLD.currency
                    OR NEW.invoice_date IS DISTINCT FROM OLD.invoice_date) THEN
                  PERFORM invoice_tui_refuse(format('The number, currency and date of finalized invoice %s never '
                    'change (R2, R3)', OLD.number), '23514');
                END IF;
                IF mate AND NOT (invoice_tui_has('edit') OR (invoice_tui_has('create') AND OLD.status = 'draft'
                    AND NEW.status = 'draft' AND NEW.number IS NULL AND OLD.owner_id = invoice_tui_my_user_id()
                    AND NEW.owner_id IS NOT DISTINCT FROM OLD.owner_id)) THEN
                  PERFORM invoice_tui_refuse(format('%s lacks the edit right needed to change invoice %s',
                    current_user, COALESCE(OLD.number, 'draft #' || OLD.id)), '42501');
                END IF;
                RETURN NEW;
              ELSE
                IF OLD.status = 'paid' OR OLD.paid_minor > 0 THEN
                  PERFORM invoice_tui_refuse(format('Invoice %s is paid; a paid invoice is never deleted (R12)',
                    COALESCE(OLD.number, '#' || OLD.id)), '23514');
                END IF;
                IF mate AND NOT ((OLD.status = 'draft' AND invoice_tui_has('edit'))
                                 OR (OLD.status <> 'draft' AND invoice_tui_has('delete'))) THEN
                  PERFORM invoice_tui_refuse(format('%s lacks the right to delete invoice %s (a draft needs edit, '
                    'a finalized invoice delete)', current_user, COALESCE(OLD.number, 'draft #' || OLD.id)), '42501');
                END IF;
                RETURN OLD;
              END IF;
            END $$""",
        f"DROP TRIGGER IF EXISTS invoice_tui_guard ON {s}.invoice",
        f"""CREATE TRIGGER invoice_tui_guard BEFORE INSERT OR UPDATE OR DELETE ON {s}.invoice
            FOR EACH ROW EXECUTE FUNCTION {s}.invoice_tui_guard_invoice()""",
        # -- an invoice's lines, adjustments and links follow the invoice's rights ----------------
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_may_write_invoice(inv bigint) RETURNS boolean
            LANGUAGE sql STABLE {path} AS $$
            SELECT invoice_tui_has('edit') OR (invoice_tui_has('create') AND EXISTS (
              SELECT 1 FROM invoice i WHERE i.id = inv AND i.status = 'draft'
                AND i.owner_id = invoice_tui_my_user_id())) $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_guard_child() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
              IF invoice_tui_is_teammate() THEN
                IF TG_OP <> 'INSERT' AND NOT invoice_tui_may_write_invoice(OLD.invoice_id) THEN
                  PERFORM invoice_tui_refuse(format('%s lacks the edit right needed to change invoice #%s',
                    current_user, OLD.invoice_id), '42501');
                END IF;
                IF TG_OP <> 'DELETE' AND NOT invoice_tui_may_write_invoice(NEW.invoice_id) THEN
                  PERFORM invoice_tui_refuse(format('%s lacks the edit right needed to change invoice #%s',
                    current_user, NEW.invoice_id), '42501');
                END IF;
              END IF;
              RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END $$""",
    ]
    for table in CHILDREN:
        out += [f"DROP TRIGGER IF EXISTS invoice_tui_guard ON {s}.{table}",
                f"""CREATE TRIGGER invoice_tui_guard BEFORE INSERT OR UPDATE OR DELETE ON {s}.{table}
                    FOR EACH ROW EXECUTE FUNCTION {s}.invoice_tui_guard_child()"""]
    out += [
        # -- payments: edit right; an applied payment never moves (R9) -------------------------
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_guard_payment() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
              IF TG_OP = 'UPDATE' AND OLD.invoice_id IS NOT NULL
                 AND NEW.invoice_id IS DISTINCT FROM OLD.invoice_id THEN
                PERFORM invoice_tui_refuse(format('Payment #%s is applied to invoice #%s; a payment is applied to '
                  'one invoice at most (R9)', OLD.id, OLD.invoice_id), '23514');
              END IF;
              IF invoice_tui_is_teammate() AND NOT invoice_tui_has('edit') THEN
                PERFORM invoice_tui_refuse(format('%s lacks the edit right needed to change payments',
                  current_user), '42501');
              END IF;
              RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END $$""",
        f"DROP TRIGGER IF EXISTS invoice_tui_guard ON {s}.payment",
        f"""CREATE TRIGGER invoice_tui_guard BEFORE INSERT OR UPDATE OR DELETE ON {s}.payment
            FOR EACH ROW EXECUTE FUNCTION {s}.invoice_tui_guard_payment()""",
        # -- history chains ---------------------------------------------------------------------
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_lock_chains(names text[])
            RETURNS TABLE (name varchar, hash varchar, count bigint)
            LANGUAGE sql VOLATILE SECURITY DEFINER {path} AS $$
            SELECT h.name, h.hash, h.count FROM chain_head h WHERE h.name = ANY(names)
            ORDER BY h.name DESC FOR UPDATE $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_history_author() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
              -- SECURITY INVOKER: current_user is the writing role here (not in the definer below).
              IF invoice_tui_is_teammate() THEN
                IF NEW.user_login IS DISTINCT FROM current_user::text AND NOT invoice_tui_has('super_admin') THEN
                  PERFORM invoice_tui_refuse(format('%s may write history only under its own login, not %s',
                    current_user, NEW.user_login), '42501');
                END IF;
                IF NOT (invoice_tui_has('create') OR invoice_tui_has('edit') OR invoice_tui_has('delete')) THEN
                  PERFORM invoice_tui_refuse(format('%s may only view; it writes no history', current_user), '42501');
                END IF;
                PERFORM set_config('invoice_tui.history_mate', 'on', true);
              ELSE
                PERFORM set_config('invoice_tui.history_mate', 'off', true);
              END IF;
              RETURN NEW;
            END $$""",
    ]
    for table, fields in (("property_change", PROPERTY_CHANGE), ("activity", ACTIVITY)):
        canon = _canon_sql(fields)
        out += [
            f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_{table}_chain() RETURNS trigger
                LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
                DECLARE head record; expected text;
                BEGIN
                  -- the author trigger (invoker, fired just before) said whether a teammate writes
                  IF current_setting('invoice_tui.history_mate', true) IS DISTINCT FROM 'off' THEN
                    SELECT * INTO head FROM chain_head WHERE chain_head.name = '{table}' FOR UPDATE;
                    IF NOT FOUND OR NEW.prev_hash IS DISTINCT FROM head.hash THEN
                      PERFORM invoice_tui_refuse('A {table} row must follow the head of its chain', '42501');
                    END IF;
                    expected := encode(sha256(convert_to(NEW.prev_hash || {canon}, 'UTF8')), 'hex');
                    IF NEW.hash IS DISTINCT FROM expected THEN
                      PERFORM invoice_tui_refuse('A {table} row must carry the hash of its content', '42501');
                    END IF;
                    UPDATE chain_head SET hash = NEW.hash, count = chain_head.count + 1
                      WHERE chain_head.name = '{table}';
                  END IF;
                  PERFORM set_config('invoice_tui.history_mate', '', true);
                  RETURN NEW;
                END $$""",
            f"DROP TRIGGER IF EXISTS invoice_tui_a_author ON {s}.{table}",
            f"""CREATE TRIGGER invoice_tui_a_author BEFORE INSERT ON {s}.{table}
                FOR EACH ROW EXECUTE FUNCTION {s}.invoice_tui_history_author()""",
            f"DROP TRIGGER IF EXISTS invoice_tui_b_chain ON {s}.{table}",
            f"""CREATE TRIGGER invoice_tui_b_chain BEFORE INSERT ON {s}.{table}
                FOR EACH ROW EXECUTE FUNCTION {s}.invoice_tui_{table}_chain()""",
        ]
    out += [
        # -- row-level security: one's own preferences, saved views and export-log entries ------
        f'ALTER TABLE {s}."user" ENABLE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS invoice_tui_read ON {s}."user"',
        f'CREATE POLICY invoice_tui_read ON {s}."user" FOR SELECT USING (true)',
        f'DROP POLICY IF EXISTS invoice_tui_write ON {s}."user"',
        f"""CREATE POLICY invoice_tui_write ON {s}."user" FOR UPDATE
            USING (login = current_user OR {s}.invoice_tui_has('super_admin'))
            WITH CHECK (login = current_user OR {s}.invoice_tui_has('super_admin'))""",
        f"ALTER TABLE {s}.saved_view ENABLE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS invoice_tui_read ON {s}.saved_view",
        f"""CREATE POLICY invoice_tui_read ON {s}.saved_view FOR SELECT
            USING (shared OR owner_id IS NULL OR owner_id = {s}.invoice_tui_my_user_id()
                   OR {s}.invoice_tui_has('super_admin'))""",
        f"DROP POLICY IF EXISTS invoice_tui_insert ON {s}.saved_view",
        f"""CREATE POLICY invoice_tui_insert ON {s}.saved_view FOR INSERT
            WITH CHECK (owner_id = {s}.invoice_tui_my_user_id() AND (NOT shared OR {s}.invoice_tui_has('edit')))""",
        f"DROP POLICY IF EXISTS invoice_tui_update ON {s}.saved_view",
        f"""CREATE POLICY invoice_tui_update ON {s}.saved_view FOR UPDATE
            USING (owner_id = {s}.invoice_tui_my_user_id() OR {s}.invoice_tui_has('super_admin'))
            WITH CHECK ({s}.invoice_tui_has('super_admin') OR (owner_id = {s}.invoice_tui_my_user_id()
                        AND (NOT shared OR {s}.invoice_tui_has('edit'))))""",
        f"DROP POLICY IF EXISTS invoice_tui_delete ON {s}.saved_view",
        f"""CREATE POLICY invoice_tui_delete ON {s}.saved_view FOR DELETE
            USING (owner_id = {s}.invoice_tui_my_user_id() OR {s}.invoice_tui_has('super_admin'))""",
        f"ALTER TABLE {s}.export_log ENABLE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS invoice_tui_read ON {s}.export_log",
        f"CREATE POLICY invoice_tui_read ON {s}.export_log FOR SELECT USING (true)",
        f"DROP POLICY IF EXISTS invoice_tui_insert ON {s}.export_log",
        f"""CREATE POLICY invoice_tui_insert ON {s}.export_log FOR INSERT
            WITH CHECK (user_login = current_user OR {s}.invoice_tui_has('super_admin'))""",
    ]
    # The helpers only read (a role never added cannot read "user", so they fail for it); the lock
    # is granted to teammates by their rights; trigger functions cannot be called directly.
    functions = ["invoice_tui_guard_invoice()", "invoice_tui_guard_child()", "invoice_tui_guard_payment()",
                 "invoice_tui_lock_chains(text[])", "invoice_tui_history_author()", "invoice_tui_property_change_chain()",
                 "invoice_tui_activity_chain()"]
    out += [f"REVOKE ALL ON FUNCTION {s}.{f} FROM PUBLIC" for f in functions]
    out.append(f"REVOKE ALL ON DATABASE {d} FROM PUBLIC")
    return out


def up(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        return
    schema, database = db.execute_sql("SELECT current_schema(), current_database()").fetchone()
    for sql in statements(schema, database):
        if sql.startswith("REVOKE ALL ON DATABASE"):
            # Only the database's owner may; a workspace in someone else's database keeps PUBLIC's
            # CONNECT (a role never added still reads nothing: no table is granted to PUBLIC).
            owner = db.execute_sql("SELECT pg_has_role(current_user, datdba, 'MEMBER') FROM pg_database "
                                   "WHERE datname = current_database()").fetchone()[0]
            if not owner:
                continue
        db.execute_sql(sql.replace("%", "%%"))  # no parameters: every % is literal


def down(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        return
    for table in ("invoice", "payment", "line_item", "adjustment", "invoice_contact", "invoice_company"):
        db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_guard ON "{table}"')
    for table in ("property_change", "activity"):
        db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_a_author ON "{table}"')
        db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_b_chain ON "{table}"')
    for table in ("user", "saved_view", "export_log"):
        db.execute_sql(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
