"""Issue 27: covering indexes for the reports, each computed in SQL over the whole workspace.

- ``invoice_reports`` (status, invoice_date, then the figures): revenue per month, top customers and
  DSO read the issued documents of a period (``status IN ('open', 'paid', 'issued')``: an issued
  credit note has its own status) without touching the table rows;
- ``payment_reports`` (state, date, …): the amounts collected per month;
- ``payment_invoice_date`` and ``credit_entry_invoice_date``: an invoice's balance as of a past
  date (its payments and credit records dated up to it), for the aging of a past date;
- ``credit_entry_kind_date``: refunds per month and a customer's movements.

Indexes only: no row changes, nothing for the history; on both backends.
"""
from peewee import *  # noqa: F401,F403 - the migration runner's convention

INDEXES = {
    "invoice_reports": ("invoice", ("status", "invoice_date", "currency", "doc_type", "company_id",
                                    "billing_contact_id", "billed_minor", "tax_minor", "balance_minor")),
    "payment_reports": ("payment", ("state", "date", "currency", "amount_minor", "amount_refunded_minor")),
    "payment_invoice_date": ("payment", ("invoice_id", "date", "state", "amount_minor", "amount_refunded_minor")),
    "credit_entry_invoice_date": ("credit_entry", ("invoice_id", "date", "kind", "amount_minor")),
    "credit_entry_kind_date": ("credit_entry", ("kind", "date", "currency", "amount_minor")),
}


def up(migrator, db):
    for name, (table, columns) in INDEXES.items():
        cols = ", ".join(f'"{c}"' for c in columns)
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({cols})')


def down(migrator, db):
    for name in INDEXES:
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
