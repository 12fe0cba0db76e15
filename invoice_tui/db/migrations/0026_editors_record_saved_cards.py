"""Issue 26: a card a buyer saves from the invoice's page (Stripe's ``setup_intent.succeeded``) is
recorded by the user ``serve`` runs as, who needs edit rights for the payments those events move;
from this release, edit rights may also insert into ``payment_method`` (``db.team.RIGHTS``), where
only super admins could. Attaching a method by hand (``contacts payment-methods add``) and removing
one stay a super admin's (the services check it).

No schema change: applying this migration makes the owner's next open bring every teammate's
privileges up to the rights (``workspace.sync_privileges`` runs after any migration); ``team check
--fix`` does the same at any time.
"""
from peewee import *  # noqa: F401,F403 - the migration runner's convention


def up(migrator, db):
    pass


def down(migrator, db):
    pass
