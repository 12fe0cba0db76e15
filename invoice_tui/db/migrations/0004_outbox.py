"""The outbox table (issue 6: sending by email, reminders, receipts) — a frozen copy of
``invoice_tui.db.mail_models.OutboxEmail`` as it was introduced."""
from peewee import *


def up(migrator, db):
    class OutboxEmail(Model):
        kind = CharField(max_length=12)
        state = CharField(default='queued', max_length=12, index=True)
        invoice_id = BigIntegerField(null=True, index=True)
        invoice_number = CharField(null=True, max_length=64)
        payment_id = BigIntegerField(null=True)
        reminder_id = BigIntegerField(null=True, unique=True)
        from_addr = CharField(max_length=320)
        to_addrs = TextField()
        cc_addrs = TextField(default='')
        subject = CharField(max_length=998)
        message_id = CharField(max_length=255, unique=True)
        raw = TextField()
        new_contact_email = CharField(null=True, max_length=320)
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(null=True, index=True)
        sending_since = DateTimeField(null=True)
        last_error = TextField(default='')
        server_reply = TextField(default='')
        created_by = CharField(max_length=128)
        created_at = DateTimeField()
        sent_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'outbox'
    db.create_tables([OutboxEmail])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('outbox'))
