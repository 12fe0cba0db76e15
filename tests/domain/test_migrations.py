"""Opening an older workspace migrates it (playhouse.migrations, numbered scripts)."""

from __future__ import annotations

from invoice_tui.db import bind, open_database
from invoice_tui.db.migrate import pending, runner
from invoice_tui.db.models import Invoice
from invoice_tui.domain import invoices, people
from invoice_tui.domain.workspace import Workspace, open_workspace, seed


def test_an_older_workspace_is_migrated_on_open_and_keeps_its_data(db_url):
    db = bind(open_database(db_url, notice=lambda m: None))
    runner(db).up(target="0001_initial")  # a workspace made by the first release
    seed(db)
    later = pending(db)
    assert later, "there are migrations after the first schema"
    ctx = Workspace(db, db_url).context("alice", source="test")
    contact = people.add_contact(ctx, {"email": "old@example.com"})
    draft = invoices.create_invoice(ctx, {"currency": "EUR", "contact_id": contact.id,
                                          "lines": [{"name": "Work", "unit_price": "12.50"}]})
    db.close()

    ws = open_workspace(db_url, notice=lambda m: None)
    try:
        assert pending(ws.db) == []
        tables = set(ws.db.get_tables())
        assert {"saved_view", "outbox", "export_log"} <= tables
        kept = Invoice.get_by_id(draft.id)
        assert kept.billed_minor == 1250 and kept.contact_email == "old@example.com"
        ctx = ws.context("alice", source="test")
        assert invoices.finalize_invoice(ctx, draft.id).number == "INV-1001"
    finally:
        ws.db.close()
