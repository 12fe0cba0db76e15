"""Team mode's row triggers (0005_team_rights) fire only when they have something to judge, so the
owner's bulk writes (the demo, a copy) cost what they cost before: the rights triggers carry
``WHEN (NOT pg_has_role(current_user, <owner>, 'MEMBER'))`` — a superuser counts as a member of
every role — and the rules' triggers a ``WHEN`` that matches only the forbidden change (a finalized
invoice's number, currency or date changed, a paid invoice deleted, an applied payment moved), so
their function runs only to refuse. With the teammate test in ``WHEN`` (evaluated as the writing
role), the history chain's SECURITY DEFINER trigger needs no hand-over from the author trigger.

The owner's name is written into the triggers: after ``ALTER … OWNER TO`` someone else, run
``invoice-tui migrate`` as the new owner after deleting this migration's row from schema_migration
(or re-create the triggers) so that the new owner's writes skip them. Frozen SQL.
"""
from peewee import *  # noqa: F401,F403 - the migration runner's convention

CHILDREN = ("line_item", "adjustment", "invoice_contact", "invoice_company")


def statements(schema: str, owner: str) -> list[str]:
    s = '"' + schema.replace('"', '""') + '"'
    o = "'" + owner.replace("'", "''") + "'"
    path = f"SET search_path = {s}, pg_temp"
    mate = f"NOT pg_has_role(current_user, {o}, 'MEMBER')"
    out = [
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_rights_invoice() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
              IF TG_OP = 'INSERT' THEN
                IF NOT (invoice_tui_has('create') AND NEW.status = 'draft' AND NEW.number IS NULL) THEN
                  PERFORM invoice_tui_refuse(format('%s may not create this invoice: creating needs the create '
                    'right, and a new invoice is a draft without a number', current_user), '42501');
                END IF;
                RETURN NEW;
              ELSIF TG_OP = 'UPDATE' THEN
                IF NOT (invoice_tui_has('edit') OR (invoice_tui_has('create') AND OLD.status = 'draft'
                    AND NEW.status = 'draft' AND NEW.number IS NULL AND OLD.owner_id = invoice_tui_my_user_id()
                    AND NEW.owner_id IS NOT DISTINCT FROM OLD.owner_id)) THEN
                  PERFORM invoice_tui_refuse(format('%s lacks the edit right needed to change invoice %s',
                    current_user, COALESCE(OLD.number, 'draft #' || OLD.id)), '42501');
                END IF;
                RETURN NEW;
              END IF;
              IF NOT ((OLD.status = 'draft' AND invoice_tui_has('edit'))
                      OR (OLD.status <> 'draft' AND invoice_tui_has('delete'))) THEN
                PERFORM invoice_tui_refuse(format('%s lacks the right to delete invoice %s (a draft needs edit, '
                  'a finalized invoice delete)', current_user, COALESCE(OLD.number, 'draft #' || OLD.id)), '42501');
              END IF;
              RETURN OLD;
            END $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_rule_finalized() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
              PERFORM invoice_tui_refuse(format('The number, currency and date of finalized invoice %s never '
                'change (R2, R3)', OLD.number), '23514');
              RETURN NEW;
            END $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_rule_paid() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
              PERFORM invoice_tui_refuse(format('Invoice %s is paid; a paid invoice is never deleted (R12)',
                COALESCE(OLD.number, '#' || OLD.id)), '23514');
              RETURN OLD;
            END $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_rule_applied() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
              PERFORM invoice_tui_refuse(format('Payment #%s is applied to invoice #%s; a payment is applied to '
                'one invoice at most (R9)', OLD.id, OLD.invoice_id), '23514');
              RETURN NEW;
            END $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_rights_payment() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
              IF NOT invoice_tui_has('edit') THEN
                PERFORM invoice_tui_refuse(format('%s lacks the edit right needed to change payments',
                  current_user), '42501');
              END IF;
              RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.invoice_tui_history_author() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
              -- SECURITY INVOKER: current_user is the writing teammate here (not in the chain's definer).
              IF NEW.user_login IS DISTINCT FROM current_user::text AND NOT invoice_tui_has('super_admin') THEN
                PERFORM invoice_tui_refuse(format('%s may write history only under its own login, not %s',
                  current_user, NEW.user_login), '42501');
              END IF;
              IF NOT (invoice_tui_has('create') OR invoice_tui_has('edit') OR invoice_tui_has('delete')) THEN
                PERFORM invoice_tui_refuse(format('%s may only view; it writes no history', current_user), '42501');
              END IF;
              RETURN NEW;
            END $$""",
        f"DROP TRIGGER IF EXISTS invoice_tui_guard ON {s}.invoice",
        f"DROP TRIGGER IF EXISTS invoice_tui_rights ON {s}.invoice",
        f"DROP TRIGGER IF EXISTS invoice_tui_rule_finalized ON {s}.invoice",
        f"DROP TRIGGER IF EXISTS invoice_tui_rule_paid ON {s}.invoice",
        f"""CREATE TRIGGER invoice_tui_rights BEFORE INSERT OR UPDATE OR DELETE ON {s}.invoice FOR EACH ROW
            WHEN ({mate}) EXECUTE FUNCTION {s}.invoice_tui_rights_invoice()""",
        f"""CREATE TRIGGER invoice_tui_rule_finalized BEFORE UPDATE ON {s}.invoice FOR EACH ROW
            WHEN (OLD.number IS NOT NULL AND (NEW.number IS DISTINCT FROM OLD.number
                  OR NEW.number_seq IS DISTINCT FROM OLD.number_seq OR NEW.currency IS DISTINCT FROM OLD.currency
                  OR NEW.invoice_date IS DISTINCT FROM OLD.invoice_date))
            EXECUTE FUNCTION {s}.invoice_tui_rule_finalized()""",
        f"""CREATE TRIGGER invoice_tui_rule_paid BEFORE DELETE ON {s}.invoice FOR EACH ROW
            WHEN (OLD.status = 'paid' OR OLD.paid_minor > 0) EXECUTE FUNCTION {s}.invoice_tui_rule_paid()""",
        f"DROP TRIGGER IF EXISTS invoice_tui_guard ON {s}.payment",
        f"DROP TRIGGER IF EXISTS invoice_tui_rights ON {s}.payment",
        f"DROP TRIGGER IF EXISTS invoice_tui_rule_applied ON {s}.payment",
        f"""CREATE TRIGGER invoice_tui_rights BEFORE INSERT OR UPDATE OR DELETE ON {s}.payment FOR EACH ROW
            WHEN ({mate}) EXECUTE FUNCTION {s}.invoice_tui_rights_payment()""",
        f"""CREATE TRIGGER invoice_tui_rule_applied BEFORE UPDATE ON {s}.payment FOR EACH ROW
            WHEN (OLD.invoice_id IS NOT NULL AND NEW.invoice_id IS DISTINCT FROM OLD.invoice_id)
            EXECUTE FUNCTION {s}.invoice_tui_rule_applied()""",
    ]
    for table in CHILDREN:
        out += [f"DROP TRIGGER IF EXISTS invoice_tui_guard ON {s}.{table}",
                f"DROP TRIGGER IF EXISTS invoice_tui_rights ON {s}.{table}",
                f"""CREATE TRIGGER invoice_tui_rights BEFORE INSERT OR UPDATE OR DELETE ON {s}.{table} FOR EACH ROW
                    WHEN ({mate}) EXECUTE FUNCTION {s}.invoice_tui_guard_child()"""]
    for table in ("property_change", "activity"):
        # the chain function of 0005, without its hand-over: it fires for teammates only now
        out += [
            f"DROP TRIGGER IF EXISTS invoice_tui_a_author ON {s}.{table}",
            f"""CREATE TRIGGER invoice_tui_a_author BEFORE INSERT ON {s}.{table} FOR EACH ROW
                WHEN ({mate}) EXECUTE FUNCTION {s}.invoice_tui_history_author()""",
            f"DROP TRIGGER IF EXISTS invoice_tui_b_chain ON {s}.{table}",
            f"""CREATE TRIGGER invoice_tui_b_chain BEFORE INSERT ON {s}.{table} FOR EACH ROW
                WHEN ({mate}) EXECUTE FUNCTION {s}.invoice_tui_{table}_chain()""",
        ]
    out += [f"REVOKE ALL ON FUNCTION {s}.{f}() FROM PUBLIC" for f in (
        "invoice_tui_rights_invoice", "invoice_tui_rule_finalized", "invoice_tui_rule_paid",
        "invoice_tui_rule_applied", "invoice_tui_rights_payment")]
    return out


def up(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        return
    schema, owner = db.execute_sql(
        "SELECT current_schema(), pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = 'invoice'").fetchone()
    for sql in statements(schema, owner):
        db.execute_sql(sql.replace("%", "%%"))  # no parameters: every % is literal
    # The chain functions of 0005 read a hand-over setting; with WHEN they always judge.
    for table in ("property_change", "activity"):
        src = db.execute_sql("SELECT prosrc FROM pg_proc WHERE proname = %s",
                             (f"invoice_tui_{table}_chain",)).fetchone()[0]
        src = src.replace("IF current_setting('invoice_tui.history_mate', true) IS DISTINCT FROM 'off' THEN",
                          "IF true THEN")
        db.execute_sql(f"CREATE OR REPLACE FUNCTION invoice_tui_{table}_chain() RETURNS trigger LANGUAGE plpgsql "
                       f"SECURITY DEFINER SET search_path = \"{schema}\", pg_temp AS $body${src}$body$"
                       .replace("%", "%%"))


def down(migrator, db):
    """Back to 0005's triggers: drop these, then run 0005 again (it replaces what it made)."""
    if not isinstance(db, PostgresqlDatabase):
        return
    import importlib.util
    from pathlib import Path

    for table in ("invoice", "payment", *CHILDREN):
        db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_rights ON "{table}"')
    db.execute_sql('DROP TRIGGER IF EXISTS invoice_tui_rule_finalized ON "invoice"')
    db.execute_sql('DROP TRIGGER IF EXISTS invoice_tui_rule_paid ON "invoice"')
    db.execute_sql('DROP TRIGGER IF EXISTS invoice_tui_rule_applied ON "payment"')
    spec = importlib.util.spec_from_file_location("m0005", Path(__file__).with_name("0005_team_rights.py"))
    m0005 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m0005)
    m0005.up(migrator, db)
