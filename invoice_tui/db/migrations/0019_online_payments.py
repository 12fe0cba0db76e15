"""Online payments through a payment provider (issue 26; SPEC R5, R7, R11, R13, R34).

- ``payment.state`` holds 16 characters (``requires_action``, ``disputed``).
- ``payment``: ``provider`` (``stripe``), ``provider_ref`` (the provider's payment id, e.g. a
  PaymentIntent ``pi_…``, unique), ``idempotency_key`` (one per attempt, recorded before the
  provider is called, unique), ``amount_refunded_minor`` (partial or full refunds; a payment
  refunded before this migration is refunded in full), ``failure_reason`` (the provider's words),
  ``provider_updated`` (the provider's time of the last event applied, to ignore late events),
  ``payment_method_ref`` (the saved method charged, if any).
- ``payment_method``: saved payment methods per contact (the provider's customer and method ids,
  brand, last four digits, expiry; never a card number).
- ``provider_event``: every provider event applied, by its id (webhooks are idempotent per event).

Idempotent (each step checks what is already there). Frozen SQL and frozen models.
"""

from peewee import *  # noqa: F401,F403 - the migration runner's convention

COLUMNS = [
    ("payment", "provider", "VARCHAR(16)"),
    ("payment", "provider_ref", "VARCHAR(255)"),
    ("payment", "idempotency_key", "VARCHAR(64)"),
    ("payment", "amount_refunded_minor", "BIGINT NOT NULL DEFAULT 0"),
    ("payment", "failure_reason", "VARCHAR(500) NOT NULL DEFAULT ''"),
    ("payment", "provider_updated", "BIGINT NOT NULL DEFAULT 0"),
    ("payment", "payment_method_ref", "VARCHAR(255)"),
]


def _columns(db, table: str) -> set[str]:
    if isinstance(db, PostgresqlDatabase):
        rows = db.execute_sql("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                              "current_schema() AND table_name = %s", (table,)).fetchall()
        return {r[0] for r in rows}
    return {r[1] for r in db.execute_sql(f'PRAGMA table_info("{table}")').fetchall()}


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):  # "requires_action" is 15 characters (SQLite does not check)
        db.execute_sql('ALTER TABLE "payment" ALTER COLUMN "state" TYPE VARCHAR(16)')
    for table, column, ddl in COLUMNS:
        if column not in _columns(db, table):
            db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {ddl}')
    db.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "payment_provider_ref" ON "payment" ("provider", "provider_ref")')
    db.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "payment_idempotency_key" ON "payment" ("idempotency_key")')
    db.execute_sql("UPDATE payment SET amount_refunded_minor = amount_minor WHERE state = 'refunded' "
                   "AND amount_refunded_minor = 0")

    class PaymentMethod(Model):
        contact_id = BigIntegerField(index=True)
        provider = CharField(max_length=16)
        customer_ref = CharField(max_length=255)
        method_ref = CharField(max_length=255)
        kind = CharField(max_length=32, default='card')
        brand = CharField(max_length=32, default='')
        last4 = CharField(max_length=4, default='')
        exp_month = IntegerField(null=True)
        exp_year = IntegerField(null=True)
        created_by = CharField(max_length=128, default='')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'payment_method'
            indexes = ((('provider', 'method_ref'), True),)

    class ProviderEvent(Model):
        provider = CharField(max_length=16)
        event_id = CharField(max_length=255)
        type = CharField(max_length=64)
        created = BigIntegerField()
        payment_id = BigIntegerField(null=True, index=True)
        outcome = CharField(max_length=500, default='')
        received_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'provider_event'
            indexes = ((('provider', 'event_id'), True),)

    db.create_tables([PaymentMethod, ProviderEvent], safe=True)
    if isinstance(db, PostgresqlDatabase):  # the change feed (0006) follows the new tables too
        exists = db.execute_sql("SELECT 1 FROM pg_proc WHERE proname = 'invoice_tui_notify_change'").fetchone()
        if exists:
            for table in ("payment_method", "provider_event"):
                db.execute_sql(f'DROP TRIGGER IF EXISTS invoice_tui_change ON "{table}"')
                db.execute_sql(f'CREATE TRIGGER invoice_tui_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                               f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION invoice_tui_notify_change()')


def down(migrator, db):
    migrator.migrate(migrator.drop_table('provider_event'))
    migrator.migrate(migrator.drop_table('payment_method'))
