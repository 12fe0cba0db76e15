"""``contacts``, ``companies``, ``users`` (R17), ``settings`` and ``history`` (R15, R16)."""

from __future__ import annotations

import re


def test_contacts_and_companies(cli):
    co = cli.ok("companies", "add", "--name", "Analytical Engines", "--domain", "ae.example", "--tax-id", "GB1")
    assert co == {"id": 1, "name": "Analytical Engines", "domain": "ae.example", "address": "", "tax_id": "GB1"}
    ada = cli.ok("contacts", "add", "--email", "Ada@Example.com", "--first-name", "Ada", "--last-name", "Lovelace",
                 "--company", "analytical engines")
    assert (ada["email"], ada["name"], ada["company_name"]) == ("ada@example.com", "Ada Lovelace", "Analytical Engines")
    cli.ok("contacts", "add", "--email", "bob@example.com")
    assert [c["email"] for c in cli.ok("contacts", "list")] == ["bob@example.com", "ada@example.com"]
    assert [c["email"] for c in cli.ok("contacts", "list", "--search", "ada")] == ["ada@example.com"]
    assert [c["name"] for c in cli.ok("companies", "list")] == ["Analytical Engines"]

    res = cli("contacts", "add", "--email", "ada@example.com")
    assert res.code == 1 and "already exists" in res.err
    assert cli("contacts", "add", "--email", "not-an-email").code == 2
    assert cli("contacts", "add", "--email", "x@example.com", "--company", "Nope").code == 3
    assert cli("companies", "add", "--name", "  ").code == 2

    text = cli.ok("contacts", "list", as_json=False)
    assert text.splitlines()[0].split() == ["Id", "Name", "Email", "Company"]
    assert "Ada Lovelace" in text and "Analytical Engines" in text
    out = cli.ok("companies", "add", "--name", "ANALYTICAL ENGINES", as_json=False)
    assert "refer to this one by its id (2)" in out


def test_stored_text_is_printed_safely(cli, sqlite_url):
    """Text written behind the app's back (an import, another tool) cannot drive the terminal."""
    import peewee

    cli.ok("contacts", "add", "--email", "eve@example.com")
    db = peewee.SqliteDatabase(sqlite_url[len("sqlite:///"):])
    db.execute_sql("UPDATE contact SET first_name = ?", ("Eve\x1b[2J\x07",))
    db.close()
    text = cli.ok("contacts", "list", as_json=False)
    assert "\x1b" not in text and "\x07" not in text and "Eve\\x1b[2J\\x07" in text


def test_users_and_permissions_R17(cli):
    assert [u["login"] for u in cli.ok("users", "list")] == ["ann"]  # the first user is super admin
    bob = cli.ok("users", "add", "bob", "--name", "Bob", "--email", "bob@example.com", "--permissions", "create")
    assert bob["permissions"] == ["view", "create"]
    res = cli("invoices", "create", "--currency", "EUR", "--line", "A;1;1", user="bob")
    assert res.code == 0
    res = cli("invoices", "finalize", "1", user="bob")
    assert res.code == 1 and "users grant bob edit" in res.err
    assert cli.ok("users", "grant", "bob", "create,edit")["permissions"] == ["view", "create", "edit"]
    res = cli("users", "add", "carol", user="bob")
    assert res.code == 1 and "super admin" in res.err
    assert cli("users", "add", "bob").code == 1
    assert cli("users", "add", "bad login").code == 2
    assert cli("users", "add", "carol", "--permissions", "root").code == 2
    assert cli("users", "grant", "nobody", "view").code == 3
    res = cli("users", "grant", "ann", "view")
    assert res.code == 1 and "last super admin" in res.err
    text = cli.ok("users", "list", as_json=False)
    assert "view,create,edit" in text and "super_admin" in text


def test_unknown_user_may_read_but_not_write_R17(cli):
    cli.ok("invoices", "create", "--currency", "EUR")
    for argv in (["invoices", "list"], ["invoices", "show", "1"], ["contacts", "list"], ["companies", "list"],
                 ["payments", "list"], ["users", "list"], ["settings", "show"], ["history", "1"]):
        assert cli(*argv, user="stranger").code == 0, argv
    for argv in (["invoices", "create", "--currency", "EUR"], ["invoices", "finalize", "1"],
                 ["contacts", "add", "--email", "s@example.com"], ["companies", "add", "--name", "S"],
                 ["payments", "add", "--amount", "1", "--currency", "EUR"], ["settings", "set", "locale", "fr_FR"],
                 ["invoices", "delete", "1"]):
        res = cli(*argv, user="stranger")
        assert res.code == 1 and "not a user of this workspace" in res.err, argv
    assert len(cli.ok("invoices", "list")) == 1 and cli.ok("contacts", "list") == []
    assert [u["login"] for u in cli.ok("users", "list")] == ["ann"]


def test_settings_show_and_set(cli):
    data = cli.ok("settings", "show")
    assert data["number_pattern"] == "INV-{seq}" and data["next_number"] == 1001 and data["allow_edit_finalized"] is False
    # number_prefix is the older name of number_pattern (R3/R46): it still works
    assert cli.ok("settings", "set", "number_prefix", "F-") == {"key": "number_pattern", "old": "INV-{seq}",
                                                                 "new": "F-{seq}"}
    assert cli.ok("settings", "set", "next_number", "500")["new"] == 500
    assert cli.ok("settings", "set", "payment_terms_days", "14")["new"] == 14
    assert cli.ok("settings", "set", "seller_name", "Ann's Studio")["new"] == "Ann's Studio"
    out = cli.ok("settings", "set", "allow_delete_unpaid", "on", as_json=False)
    assert out.strip() == "allow_delete_unpaid: false → true"
    for key, value in (("nope", "1"), ("payment_terms_days", "soon"), ("locale", "xx_YY"), ("timezone", "Mars/Base"),
                       ("default_currency", "EURO"), ("allow_edit_finalized", "maybe"), ("next_number", "0")):
        assert cli("settings", "set", key, value).code == 2, key
    cli.ok("users", "add", "bob", "--permissions", "edit")
    assert cli("settings", "set", "locale", "fr_FR", user="bob").code == 1
    inv = cli.ok("invoices", "create", "--currency", "EUR", "--contact", "", "--line", "A;1;1")
    assert inv["due_date"] is not None
    res = cli("settings", "set", "next_number", "900")
    assert res.code == 1 and "R3" in res.err  # the counter resets only while there is no invoice
    text = cli.ok("settings", "show", as_json=False)
    assert "number_pattern:" in text and "F-{seq}" in text and "seller_vat_id:" in text


def test_history_lists_activities_and_property_changes_R15_R16(cli):
    cli.ok("contacts", "add", "--email", "ada@example.com")
    inv = cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--line", "A;1;10")
    cli.ok("invoices", "finalize", str(inv["id"]))
    cli.ok("payments", "record", "INV-1001", "--amount", "10")
    h = cli.ok("history", "INV-1001")
    assert (h["invoice_id"], h["number"]) == (inv["id"], "INV-1001")
    assert [a["kind"] for a in h["activities"]] == ["created", "finalized", "payment_recorded"]
    assert all(a["user"] == "ann" for a in h["activities"])
    status = [(c["old"], c["new"]) for c in h["property_changes"] if c["property"] == "status"]
    assert status == [(None, "draft"), ("draft", "open"), ("open", "paid")]
    assert {c["source"] for c in h["property_changes"]} == {"cli"}
    text = cli.ok("history", str(inv["id"]), as_json=False)
    assert text.startswith("History of INV-1001") and "payment_recorded" in text
    assert re.search(r"status\s+draft\s+open", text)
    assert cli("history", "INV-4040").code == 3


def test_history_outlives_a_deleted_draft_R12(cli):
    inv = cli.ok("invoices", "create", "--currency", "EUR", "--title", "Gone soon")
    cli.ok("invoices", "delete", str(inv["id"]))
    h = cli.ok("history", str(inv["id"]))
    assert [a["kind"] for a in h["activities"]] == ["created", "deleted"]
    assert any(c["property"] == "title" and c["old"] == "Gone soon" and c["new"] is None for c in h["property_changes"])


def test_history_shows_a_creation_property_by_property_R15(cli):
    """An invoice's creation is one history row holding its snapshot; history lists it property by
    property (each with that row's id, ``created``), then the finalization's one row likewise."""
    cli.ok("contacts", "add", "--email", "ada@example.com")
    inv = cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--title", "Logo",
                 "--line", "A;1;10")
    cli.ok("invoices", "finalize", str(inv["id"]))
    changes = cli.ok("history", str(inv["id"]))["property_changes"]
    created = [c for c in changes if c["created"]]
    assert len({c["id"] for c in created}) == 1 and len(created) > 10
    assert {(c["property"], c["old"], c["new"]) for c in created} >= {("title", None, "Logo"),
                                                                    ("currency", None, "EUR")}
    finalized = [(c["property"], c["old"], c["new"]) for c in changes if not c["created"]]
    assert len({c["id"] for c in changes if not c["created"]}) == 1
    assert sorted(finalized) == [("link", None, "created"), ("number", None, "INV-1001"), ("status", "draft", "open")]
    text = cli.ok("history", "INV-1001", as_json=False)
    assert re.search(r"title\s+—\s+Logo", text) and re.search(r"status\s+draft\s+open", text)
