"""The export log (R22, issue 5) — a frozen copy of ``invoice_tui.db.export_models.ExportLog``
as it was introduced."""
from peewee import *


def up(migrator, db):
    class ExportLog(Model):
        user_login = CharField(max_length=128)
        created_at = DateTimeField(index=True)
        name = CharField(max_length=255)
        format = CharField(max_length=8)
        path = TextField()
        rows = BigIntegerField()
        sheets = IntegerField(default=1)
        view_name = CharField(null=True, max_length=200)
        filters = TextField(default='{}')
        sort = CharField(default='-id', max_length=64)
        properties = TextField(default='[]')
        associations = TextField(default='[]')
        association_limit = IntegerField(null=True)
        language = CharField(default='en', max_length=8)
        values = CharField(default='labels', max_length=16)

        class Meta:
            database = db
            table_name = 'export_log'
    db.create_tables([ExportLog])
