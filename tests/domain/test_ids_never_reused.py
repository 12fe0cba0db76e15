"""R15/R54: ids are unique for the life of a workspace, on SQLite and PostgreSQL — a deleted
invoice's id (and history) never passes to a new invoice, and a payment named by id is that
payment, whatever was deleted or created meanwhile."""

from __future__ import annotations

import pytest
from rulekit import insert_old_invoice, make_draft, make_open, race

from invoice_tui.db import bind, open_database
from invoice_tui.db.migrate import runner
from invoice_tui.db.models import Activity, Invoice, Payment, PropertyChange
from invoice_tui.domain import history, invoices, payments, people
from invoice_tui.domain.errors import NotFound
from invoice_tui.domain.workspace import Workspace, open_workspace, seed
from tests.domain.rulekit import without_legal_columns

BEFORE = "0011_team_history_time"  # the schema of the release before ids were made unique for life


def _old_draft(ctx) -> Invoice:
    """A draft as the old release wrote it: only its columns (later migrations add more)."""
    now = ctx.now()
    inv = Invoice(id=insert_old_invoice(Invoice._meta.database, currency="EUR", invoice_date=now.date(),
                                        status="draft", created_at=now, updated_at=now))
    history.record_changes(ctx, "invoice", inv.id, None, {}, {"status": "draft"})
    return inv


def _history_ids(invoice_id: int) -> tuple[set[int], int]:
    changes = {pc.id for pc in PropertyChange.select().where(
        (PropertyChange.object_type == "invoice") & (PropertyChange.object_id == invoice_id))}
    return changes, Activity.select().where(Activity.invoice_id == invoice_id).count()


def _delete_newest_and_create_again(ctx) -> None:
    first = make_draft(ctx)
    old_changes, _ = _history_ids(first.id)
    pay = payments.add_payment(ctx, {"amount": "5", "currency": "EUR"})
    contact = people.add_contact(ctx, {"email": "gone@example.com"})
    invoices.delete_invoice(ctx, first.id)
    payments.delete_payment(ctx, pay.id)
    people.delete_contact(ctx, contact.id)

    second = make_draft(ctx)
    assert second.id > first.id  # never the deleted invoice's id
    new_changes, activities = _history_ids(second.id)
    assert new_changes and not (new_changes & old_changes) and activities == 1  # only its own creation
    assert payments.add_payment(ctx, {"amount": "6", "currency": "EUR"}).id > pay.id
    assert people.add_contact(ctx, {"email": "new@example.com"}).id > contact.id


def test_r54_a_deleted_invoice_payment_or_contact_id_is_never_given_again(ws, admin):
    _delete_newest_and_create_again(admin)


def test_r54_a_workspace_migrated_from_the_previous_schema_never_reuses_an_id(db_url):
    """Ids deleted before the migration count too: the history that names them is kept."""
    db = bind(open_database(db_url, notice=lambda m: None))
    runner(db).up(target=BEFORE)
    seed(db)
    ctx = Workspace(db, db_url).context("alice", source="test")
    # The services read the line columns of a later migration (R35's): the old release's drafts and
    # deletion are written as it wrote them, an invoice row and the history naming it.
    with without_legal_columns(), db.atomic():  # nor those of migration 0017 (R43)
        kept, doomed = _old_draft(ctx), _old_draft(ctx)
        history.record_changes(ctx, "invoice", doomed.id, None, {"status": "draft"}, {"status": None})
        Invoice.delete_by_id(doomed.id)  # the newest id, freed before the migration
    db.close()

    ws = open_workspace(db_url, notice=lambda m: None)
    try:
        ctx = ws.context("alice", source="test")
        assert invoices.get_invoice(kept.id).id == kept.id  # the data came through the rebuild
        again = make_draft(ctx)
        assert again.id > doomed.id
        _delete_newest_and_create_again(ctx)
    finally:
        ws.db.close()


@pytest.mark.parametrize("round_", range(20))
def test_r54_concurrent_payment_deletes_never_remove_the_wrong_payment(ws, admin, buyer, round_):
    inv = make_open(admin, buyer, allow_partial=True)
    spare = payments.add_payment(admin, {"amount": "3", "currency": "EUR"})
    first = payments.record_payment(admin, inv.id, {"amount": "10"}).payment
    second = payments.record_payment(admin, inv.id, {"amount": "20"}).payment  # the newest id
    # two people delete two payments while a third records one; then a stale delete of the second
    results = race(ws, [lambda: payments.delete_payment(admin, first.id),
                        lambda: payments.delete_payment(admin, second.id),
                        lambda: payments.record_payment(admin, inv.id, {"amount": "7"}).payment])
    assert not any(isinstance(r, Exception) for r in results), results
    newest = results[2]
    assert newest.id not in (first.id, second.id)
    with pytest.raises(NotFound):
        payments.delete_payment(admin, second.id)
    left = {p.id for p in Payment.select()}
    assert left == {spare.id, newest.id}
    assert invoices.get_invoice(inv.id).paid_minor == 700
