"""R18/R13: a voided invoice's balance is 0 (issue 19: the index and the page showed the balance it
had when it was voided). Voiding now stores 0; this sets it on the invoices voided before. The
stored balance is derived (billed − paid − credited, 0 when voided), so no property change is
written for it; the void itself is in the history. Frozen SQL."""
from peewee import *  # noqa: F401,F403 - the migration runner's convention


def up(migrator, db):
    db.execute_sql("UPDATE invoice SET balance_minor = 0 WHERE status = 'voided' AND balance_minor <> 0")


def down(migrator, db):
    pass  # the balances before were wrong; nothing to restore
