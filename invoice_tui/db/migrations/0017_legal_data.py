"""Legal data of buyers and invoices (issue 22; R43).

- ``company``: legal name, structured address (``address`` keeps the street lines; postcode, city,
  country ISO 3166 alpha-2), SIREN, SIRET, VAT id, electronic address and its scheme (BT-49).
- ``contact``: postcode, city, country beside the street lines, and ``is_business`` (a contact
  marked as a business is a business buyer; otherwise a consumer).
- ``invoice``: delivery date (BT-72) and delivery address or period, the operation category
  (goods, services, both: the French mention of 2026), the buyer reference (BT-10), the
  exemption reasons of its E/AE/K/G/O VAT groups (JSON: category → reason), and the EUR exchange
  rate of an invoice in another currency (BT-6/BT-111).

Every column has its default in the database too (bulk writers may leave them out). Idempotent.
Frozen SQL.
"""

from peewee import *  # noqa: F401,F403 - the migration runner's convention

COLUMNS = [
    ("company", "legal_name", "VARCHAR(200) NOT NULL DEFAULT ''"),
    ("company", "postcode", "VARCHAR(20) NOT NULL DEFAULT ''"),
    ("company", "city", "VARCHAR(100) NOT NULL DEFAULT ''"),
    ("company", "country", "VARCHAR(2) NOT NULL DEFAULT ''"),
    ("company", "siren", "VARCHAR(9) NOT NULL DEFAULT ''"),
    ("company", "siret", "VARCHAR(14) NOT NULL DEFAULT ''"),
    ("company", "vat_id", "VARCHAR(20) NOT NULL DEFAULT ''"),
    ("company", "electronic_address", "VARCHAR(125) NOT NULL DEFAULT ''"),
    ("company", "electronic_scheme", "VARCHAR(4) NOT NULL DEFAULT ''"),
    ("contact", "postcode", "VARCHAR(20) NOT NULL DEFAULT ''"),
    ("contact", "city", "VARCHAR(100) NOT NULL DEFAULT ''"),
    ("contact", "country", "VARCHAR(2) NOT NULL DEFAULT ''"),
    ("contact", "is_business", "BOOLEAN NOT NULL DEFAULT FALSE"),
    ("invoice", "delivery_date", "DATE"),
    ("invoice", "delivery_address", "TEXT NOT NULL DEFAULT ''"),
    ("invoice", "operation_category", "VARCHAR(8) NOT NULL DEFAULT ''"),
    ("invoice", "buyer_reference", "VARCHAR(100) NOT NULL DEFAULT ''"),
    ("invoice", "exemption_reasons", "TEXT NOT NULL DEFAULT '{}'"),
    ("invoice", "eur_rate", "VARCHAR(32) NOT NULL DEFAULT ''"),
]


def _columns(db, table: str) -> set[str]:
    if isinstance(db, PostgresqlDatabase):  # the workspace's schema, whichever it is
        rows = db.execute_sql("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                              "current_schema() AND table_name = %s", (table,)).fetchall()
        return {r[0] for r in rows}
    return {r[1] for r in db.execute_sql(f'PRAGMA table_info("{table}")').fetchall()}


def up(migrator, db):
    for table, column, ddl in COLUMNS:
        if column not in _columns(db, table):
            db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {ddl}')


def down(migrator, db):
    for table, column, _ddl in reversed(COLUMNS):
        if column in _columns(db, table):
            db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
