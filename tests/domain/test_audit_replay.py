"""R54: `audit verify` replays the history against every row, on SQLite and PostgreSQL. Each write
that skipped its history row is reported with object, id and property (exit 1); a clean workspace
passes (exit 0). The writes here go through the app's own connection, so even on PostgreSQL no
direct-write row attributes them: the replay alone must catch them."""

from __future__ import annotations

import pytest
from clikit import Cli

from invoice_tui.db import database

CASES = {
    # name: (SQL, what is reported: (object_type, id key, property, problem))
    "invoice balance": ("UPDATE invoice SET balance_minor = 1 WHERE id = {inv}", ("invoice", "inv", "balance_due", "differs")),
    # R18 whatever the history says: the amounts give the balance (the check a bulk writer's rows meet)
    "invoice balance against its amounts": ("UPDATE invoice SET balance_minor = 1 WHERE id = {inv}",
                                            ("invoice", "inv", "balance_due", "breaks R18")),
    "line unit price": ("UPDATE line_item SET unit_price_micro = unit_price_micro + 10000 WHERE invoice_id = {inv}",
                        ("invoice", "inv", "line_items", "differs")),
    "payment amount": ("UPDATE payment SET amount_minor = 999 WHERE id = {pay}", ("payment", "pay", "amount", "differs")),
    "user rights": ("UPDATE \"user\" SET permissions = 'view,super_admin' WHERE id = {bob}",
                    ("user", "bob", "permissions", "differs")),
    "setting": ("UPDATE setting SET value = '\"Mallory\"' WHERE key = 'seller_legal_name'",
                ("workspace", None, "seller_legal_name", "differs")),
    "deleted payment": ("DELETE FROM payment WHERE id = {spare}", ("payment", "spare", "*", "deleted without history")),
    # The replay reads plain rows, converted as the models convert them: a date, a boolean and a
    # decimal stored as text are each compared as what they mean.
    "invoice due date": ("UPDATE invoice SET due_date = '2031-01-02' WHERE id = {inv}",
                         ("invoice", "inv", "due_date", "differs")),
    "invoice partial payments": ("UPDATE invoice SET allow_partial = FALSE WHERE id = {inv}",
                                 ("invoice", "inv", "allow_partial", "differs")),
    "discount value": ("UPDATE adjustment SET value = '15' WHERE invoice_id = {inv}",
                       ("invoice", "inv", "discounts", "differs")),
}


@pytest.fixture
def books(db_url, capsys):
    cli = Cli(db_url, capsys)
    cli.ok("settings", "set", "seller_name", "Atelier")
    cli.ok("contacts", "add", "--email", "ada@example.com", "--first-name", "Ada")
    cli.ok("companies", "add", "--name", "ACME")
    inv = cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--company", "ACME",
                 "--line", "Work;2;10.00;20", "--discount", "10%", "--allow-partial", as_json=True)["id"]
    cli.ok("invoices", "finalize", str(inv))
    pay = cli.ok("payments", "record", str(inv), "--amount", "5", as_json=True)
    spare = cli.ok("payments", "add", "--amount", "3", "--currency", "EUR", as_json=True)["id"]
    bob = cli.ok("users", "add", "bob", "--permissions", "view", as_json=True)
    ids = {"inv": inv, "pay": pay["payment"]["id"], "spare": spare, "bob": bob["id"]}
    return cli, ids


def _findings(cli) -> tuple[int, list[tuple]]:
    res = cli("audit", "verify", as_json=True)
    return res.code, [(f["object_type"], f["object_id"], f["property"], f["problem"]) for f in res.data["findings"]]


def test_r54_a_clean_workspace_passes_the_replay(books):
    cli, _ids = books
    res = cli("audit", "verify")
    assert res.code == 0, res.out + res.err
    assert ("every invoice, credit note, payment, credit movement, contact, company, user and setting is what its "
            "history says") in res.out


@pytest.mark.parametrize("case", list(CASES))
def test_r54_a_write_that_skipped_its_history_is_reported(books, case):
    cli, ids = books
    sql, (object_type, key, prop, problem) = CASES[case]
    database.obj.connect(reuse_if_open=True)
    database.obj.execute_sql(sql.format(**ids))
    database.obj.close()
    code, found = _findings(cli)
    assert code == 1
    assert (object_type, ids[key] if key else 0, prop, problem) in found, found
    text = cli("audit", "verify")
    assert text.code == 1 and "differ from their history" in text.err


def test_r54_r18_a_credit_note_that_owes_something_is_reported(books):
    cli, ids = books
    cn = cli.ok("credit-notes", "create", str(ids["inv"]), "--amount", "2", "--rate", "20", "--reason", "Goodwill", as_json=True)["id"]
    cli.ok("credit-notes", "issue", str(cn))
    assert _findings(cli) == (0, [])
    database.obj.connect(reuse_if_open=True)
    database.obj.execute_sql(f"UPDATE invoice SET balance_minor = billed_minor WHERE id = {cn}")
    database.obj.close()
    code, found = _findings(cli)
    assert code == 1 and ("invoice", cn, "balance_due", "breaks R18") in found, found
    assert "its amounts say '0.00' (R18" in cli("audit", "verify").out


def test_r54_an_invoice_inserted_behind_the_apps_back_is_reported(books):
    cli, ids = books
    database.obj.connect(reuse_if_open=True)
    cols = [c.name for c in database.obj.get_columns("invoice") if c.name not in ("id", "number", "number_seq",
                                                                                 "link_token")]
    database.obj.execute_sql(f"INSERT INTO invoice ({', '.join(cols)}) SELECT {', '.join(cols)} FROM invoice "
                             f"WHERE id = {ids['inv']}")
    new = database.obj.execute_sql("SELECT MAX(id) FROM invoice").fetchone()[0]
    database.obj.close()
    code, found = _findings(cli)
    assert code == 1 and ("invoice", new, "*", "inserted without history") in found, found


def test_r54_the_replay_reads_rows_as_the_models_give_them(books):
    """The replay reads each window as plain tuples (no model object per row) and the invoices'
    parts in a few reads: the same values as the models, for ids far apart as for a window."""
    from invoice_tui.db.models import Contact, CreditEntry, Invoice, Payment
    from invoice_tui.domain import invoices, replay

    cli, ids = books
    cli.ok("credit-notes", "create", "INV-1001", "--full", "--reason", "Order cancelled")  # credit note, credit entries
    for n in range(5):  # ids far enough apart to be read by list, not by range
        cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com",
               "--line", f"Item {n};1;{n + 1}.50;20", "--fee", "2", as_json=True)
    database.obj.connect(reuse_if_open=True)
    try:
        for model in (Invoice, Payment, Contact, CreditEntry):
            rows = replay._window_rows(model, 1, 1000)
            assert rows or model is CreditEntry, model
            assert [r.id for r in rows] == [m.id for m in model.select().order_by(model.id)]
            for row in rows:
                stored = model.get_by_id(row.id)
                for field in model._meta.sorted_fields:
                    name = replay._attribute(field)
                    assert getattr(row, name) == getattr(stored, name), name
        far_apart = [Invoice.get_by_id(i) for i in (ids["inv"], Invoice.select().order_by(Invoice.id.desc()).first().id)]
        batch = invoices.load_snapshot_parts(far_apart)
        for inv in far_apart:
            one = invoices.SnapshotParts.load(inv)
            assert batch[inv.id] == one
            assert invoices.snapshot(inv, batch[inv.id]) == invoices.snapshot(Invoice.get_by_id(inv.id))
            assert one.lines and one.contact.display_name and one.owner.login
    finally:
        database.obj.close()
