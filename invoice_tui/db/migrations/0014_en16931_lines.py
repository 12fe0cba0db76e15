"""Lines as EN 16931 allows them, VAT categories, and every stored total checked (issue 20; R18, R35).

- ``line_item.unit_price_micro``: the unit price in millionths of the major unit (BT-146: up to 6
  decimals whatever the currency), from ``unit_price_minor`` × 10^(6 − the invoice's exponent);
  ``unit_price_minor`` goes.
- ``line_item.price_base`` (BT-149, "1"), ``unit_code`` (BT-130, "C62"), ``charges`` (further line
  allowances and charges as JSON, "[]").
- ``line_item.tax_category`` and ``adjustment.tax_category``: the VAT category; existing rows get
  their rate's default (0 → Z, else S). NULL also reads as that default.
- ``migration_report``: what a migration wants a human to see. This one recomputes every stored
  invoice's totals with the one totals function and compares them with the stored subtotal,
  discounts, fees, tax and amount billed; a difference is written there (one row per invoice,
  stored and recomputed figures) and the stored figures are kept, never silently replaced. The
  only intended change of output is the VAT breakdown, which now lists 0 % groups; it is not
  stored, so it is not compared.
"""
import json
import os

from peewee import *  # noqa: F401,F403 - the migration runner's convention

SCALE = {e: 10 ** (6 - e) for e in range(0, 7)}
MIGRATION = os.path.splitext(os.path.basename(__file__))[0]  # this script's name, as the runner records it


COLUMNS = [  # with their defaults in the database too: bulk writers (the demo) may leave them out
    ("line_item", "unit_price_micro", "BIGINT NOT NULL DEFAULT 0"),
    ("line_item", "price_base", "TEXT NOT NULL DEFAULT '1'"),
    ("line_item", "unit_code", "VARCHAR(3) NOT NULL DEFAULT 'C62'"),
    ("line_item", "charges", "TEXT NOT NULL DEFAULT '[]'"),
    ("line_item", "tax_category", "VARCHAR(2)"),
    ("adjustment", "tax_category", "VARCHAR(2)"),
]


def up(migrator, db):
    # Plain ALTER TABLE (SQLite ≥ 3.35 and PostgreSQL alike): no table is rebuilt, whatever its size.
    for table, column, ddl in COLUMNS:
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {ddl}')
    scale = " ".join(f"WHEN {e} THEN {f}" for e, f in SCALE.items())
    db.execute_sql(f"UPDATE line_item SET unit_price_micro = unit_price_minor * CASE "
                   f"(SELECT exponent FROM invoice WHERE invoice.id = line_item.invoice_id) {scale} END")
    db.execute_sql('ALTER TABLE "line_item" DROP COLUMN "unit_price_minor"')
    for table in ("line_item", "adjustment"):  # rates are canonical decimal text: "0" is the only zero
        db.execute_sql(f"UPDATE {table} SET tax_category = CASE WHEN tax_rate = '0' THEN 'Z' ELSE 'S' END")
    db.execute_sql("UPDATE adjustment SET tax_category = NULL WHERE kind = 'tax'")

    class MigrationReport(Model):
        migration = CharField(max_length=64)
        invoice_id = BigIntegerField(null=True)
        text = TextField()

        class Meta:
            database = db
            table_name = "migration_report"
    db.create_tables([MigrationReport])
    rows = [{"migration": MIGRATION, "invoice_id": inv_id, "text": text} for inv_id, text in _differences(db)]
    for i in range(0, len(rows), 500):
        MigrationReport.insert_many(rows[i:i + 500]).execute()


def _differences(db):
    """(invoice id, sentence) for every invoice whose recomputed totals differ from the stored ones.

    Invoices are read in batches with their lines and adjustments; invoices with the same
    currency, lines and adjustments (recurring invoices, the demo's templates) are computed once."""
    from decimal import Decimal

    from invoice_tui.domain.money import from_micro, to_minor
    from invoice_tui.domain.totals import AdjustmentSpec, LineSpec, compute_totals

    known: dict = {}
    last = 0
    while True:
        invs = db.execute_sql(
            "SELECT id, currency, subtotal_minor, discount_minor, fee_minor, tax_minor, billed_minor FROM invoice "
            "WHERE id > %s ORDER BY id LIMIT 1000" % int(last)).fetchall()
        if not invs:
            return
        lo, hi = invs[0][0], invs[-1][0]
        lines: dict = {}
        adjs: dict = {}
        for row in db.execute_sql(
                "SELECT invoice_id, quantity, unit_price_micro, discount_kind, discount_value, tax_rate FROM line_item "
                f"WHERE invoice_id BETWEEN {int(lo)} AND {int(hi)} ORDER BY invoice_id, position, id"):
            lines.setdefault(row[0], []).append(tuple(row[1:]))
        for row in db.execute_sql(
                "SELECT invoice_id, kind, value, is_percent, tax_rate FROM adjustment "
                f"WHERE invoice_id BETWEEN {int(lo)} AND {int(hi)} ORDER BY invoice_id, position, id"):
            adjs.setdefault(row[0], []).append(tuple(row[1:]))
        for inv_id, cur, *stored in invs:
            key = (cur, tuple(lines.get(inv_id, ())), tuple(adjs.get(inv_id, ())))
            figures = known.get(key)
            if figures is None:
                specs = [LineSpec("", Decimal(q), from_micro(p, cur), Decimal(r), k == "percent",
                                  None if v is None else Decimal(v)) for q, p, k, v, r in key[1]]
                adjusted = [AdjustmentSpec(k, Decimal(v), bool(pct), Decimal(r)) for k, v, pct, r in key[2]]
                t = compute_totals(cur, specs, adjusted)
                figures = tuple(to_minor(x, cur) for x in (t.subtotal, t.discount_total, t.fee_total, t.tax_total,
                                                          t.billed))
                if len(known) > 4096:
                    known.clear()
                known[key] = figures
            if tuple(stored) != figures:
                names = ("subtotal", "discounts", "fees", "tax", "billed")
                yield inv_id, json.dumps({"stored": dict(zip(names, stored)), "recomputed": dict(zip(names, figures)),
                                          "currency": cur, "kept": "stored"}, sort_keys=True)
        last = hi


def down(migrator, db):
    db.execute_sql('ALTER TABLE "line_item" ADD COLUMN "unit_price_minor" BIGINT NOT NULL DEFAULT 0')
    scale = " ".join(f"WHEN {e} THEN {f}" for e, f in SCALE.items())
    db.execute_sql(f"UPDATE line_item SET unit_price_minor = unit_price_micro / CASE "
                   f"(SELECT exponent FROM invoice WHERE invoice.id = line_item.invoice_id) {scale} END")
    for table, column, _ddl in COLUMNS:
        db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    db.execute_sql("DROP TABLE IF EXISTS migration_report")
