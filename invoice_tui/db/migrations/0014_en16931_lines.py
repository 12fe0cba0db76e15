"""Lines as EN 16931 allows them, and VAT categories (issue 20; R18, R35).

- ``line_item.unit_price_micro``: the unit price in millionths of the major unit (BT-146: up to 6
  decimals whatever the currency), from ``unit_price_minor`` × 10^(6 − the invoice's exponent);
  ``unit_price_minor`` goes.
- ``line_item.price_base`` (BT-149, "1"), ``unit_code`` (BT-130, "C62"), ``charges`` (further line
  allowances and charges as JSON, "[]").
- ``line_item.tax_category`` and ``adjustment.tax_category``: the VAT category; existing rows get
  their rate's default (0 → Z, else S). NULL also reads as that default.
- ``migration_report``: what a migration wants a human to see. Right after this migration the
  workspace's opener recomputes every stored invoice's totals with the one totals function
  (``domain.totals_check``: the data layer never imports the domain) and lists there any that
  differ from what is stored, keeping the stored figures.

Idempotent (each step checks what is already there), as a re-applied migration must be. Frozen SQL.
"""

from peewee import *  # noqa: F401,F403 - the migration runner's convention

SCALE = {e: 10 ** (6 - e) for e in range(0, 7)}


COLUMNS = [  # with their defaults in the database too: bulk writers (the demo) may leave them out
    ("line_item", "unit_price_micro", "BIGINT NOT NULL DEFAULT 0"),
    ("line_item", "price_base", "TEXT NOT NULL DEFAULT '1'"),
    ("line_item", "unit_code", "VARCHAR(3) NOT NULL DEFAULT 'C62'"),
    ("line_item", "charges", "TEXT NOT NULL DEFAULT '[]'"),
    ("line_item", "tax_category", "VARCHAR(2)"),
    ("adjustment", "tax_category", "VARCHAR(2)"),
]


def _columns(db, table: str) -> set[str]:
    if isinstance(db, PostgresqlDatabase):  # the workspace's schema, whichever it is
        rows = db.execute_sql("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                              "current_schema() AND table_name = %s", (table,)).fetchall()
        return {r[0] for r in rows}
    return {r[1] for r in db.execute_sql(f'PRAGMA table_info("{table}")').fetchall()}


def up(migrator, db):
    # Plain ALTER TABLE (SQLite ≥ 3.35 and PostgreSQL alike): no table is rebuilt, whatever its size.
    for table, column, ddl in COLUMNS:
        if column not in _columns(db, table):
            db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {ddl}')
    if "unit_price_minor" in _columns(db, "line_item"):
        scale = " ".join(f"WHEN {e} THEN {f}" for e, f in SCALE.items())
        db.execute_sql(f"UPDATE line_item SET unit_price_micro = unit_price_minor * CASE "
                       f"(SELECT exponent FROM invoice WHERE invoice.id = line_item.invoice_id) {scale} END")
        db.execute_sql('ALTER TABLE "line_item" DROP COLUMN "unit_price_minor"')
    for table in ("line_item", "adjustment"):  # rates are canonical decimal text: "0" is the only zero
        db.execute_sql(f"UPDATE {table} SET tax_category = CASE WHEN tax_rate = '0' THEN 'Z' ELSE 'S' END "
                       "WHERE tax_category IS NULL" + (" AND kind <> 'tax'" if table == "adjustment" else ""))

    class MigrationReport(Model):
        migration = CharField(max_length=64)
        invoice_id = BigIntegerField(null=True)
        text = TextField()

        class Meta:
            database = db
            table_name = "migration_report"
    db.create_tables([MigrationReport], safe=True)


def down(migrator, db):
    db.execute_sql('ALTER TABLE "line_item" ADD COLUMN "unit_price_minor" BIGINT NOT NULL DEFAULT 0')
    scale = " ".join(f"WHEN {e} THEN {f}" for e, f in SCALE.items())
    db.execute_sql(f"UPDATE line_item SET unit_price_minor = unit_price_micro / CASE "
                   f"(SELECT exponent FROM invoice WHERE invoice.id = line_item.invoice_id) {scale} END")
    for table, column, _ddl in COLUMNS:
        db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    db.execute_sql("DROP TABLE IF EXISTS migration_report")
