"""Saved import mappings (R52, issue 29) — a frozen copy of ``invoice_tui.db.import_models``.

Team mode (R53): readable by every teammate (the grants' "*"), written by those who may create
(``db/team.py``); on PostgreSQL the change feed (0006) follows the new table too.
"""
from peewee import *  # noqa: F401,F403 - the migration runner's convention


def up(migrator, db):
    class ImportMapping(Model):
        name = CharField(max_length=100)
        object = CharField(max_length=16)
        columns = TextField(default='{}')
        locale = CharField(default='', max_length=16)
        created_by = CharField(default='', max_length=128)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'import_mapping'
            indexes = ((('object', 'name'), True),)

    db.create_tables([ImportMapping], safe=True)
    if isinstance(db, PostgresqlDatabase):
        exists = db.execute_sql("SELECT 1 FROM pg_proc WHERE proname = 'invoice_tui_notify_change'").fetchone()
        if exists:
            db.execute_sql('DROP TRIGGER IF EXISTS invoice_tui_change ON "import_mapping"')
            db.execute_sql('CREATE TRIGGER invoice_tui_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                           'ON "import_mapping" FOR EACH STATEMENT EXECUTE FUNCTION invoice_tui_notify_change()')


def down(migrator, db):
    migrator.migrate(migrator.drop_table('import_mapping'))
