"""``invoice-tui invoices …``: create/edit/finalize/clone/void/delete/show/list (R1–R6, R12–R14, R18, R20)."""

from __future__ import annotations

import pytest

from invoice_tui.cli._common import parse_adjustment, parse_line, parse_tax, split_spec
from invoice_tui.domain.errors import BadInput
from invoice_tui.domain.invoices import written_category

LINE_A = r"Design\; review;3;120.00;20;10%"
LINE_B = "Hosting;1;30;20"


# ---- the spec syntax (pure) ------------------------------------------------------------------
def test_split_spec_escapes_semicolons_and_backslashes():
    assert split_spec(r"a;b\;c;d") == ["a", "b;c", "d"]
    assert split_spec(r"back\\;slash") == ["back\\", "slash"]
    assert split_spec(r"keep\n as is") == [r"keep\n as is"]
    assert split_spec("only") == ["only"]
    assert split_spec("a;;b") == ["a", "", "b"]


def test_parse_line_amount_and_percent_discounts():
    line = parse_line(r"Tea\; biscuits;2;3.50;5.5;10%")
    assert (line.name, str(line.quantity), str(line.unit_price), str(line.tax_rate)) == ("Tea; biscuits", "2", "3.50", "5.5")
    assert line.discount_percent and str(line.discount) == "10"
    fixed = parse_line("Box;4;10;;2.50")
    assert not fixed.discount_percent and str(fixed.discount) == "2.50" and fixed.tax_rate == 0
    assert parse_line("Plain;1;0").discount is None


@pytest.mark.parametrize("spec", ["a;1", "a;1;2;3;4;5", "a;one;2", "a;1;2,50", "a;1;2;x", "a;1;2;0;lots",
                                  ";1;2", "a;0;2", "a;1;-2", "a;1;2;101", "a;1;2;0;120%", "a;1;2;0;3",
                                  "a;1;0.0000001", "a;1;2;0:S", "a;1;2;20:Z", "a;1;2;0:L", "a;1;2;base=0",
                                  "a;1;2;unit=kilowatt", "a;1;2;allowance=lots", "a;1;2;0;3;4;base=2"])
def test_parse_line_refuses_bad_specs_with_the_option_named(spec):
    with pytest.raises(BadInput) as exc:
        parse_line(spec)
    assert "--line" in exc.value.message and exc.value.exit_code == 2


def test_parse_adjustments_and_taxes():
    d = parse_adjustment(r"10%;20;Loyalty\; spring", "--discount")
    assert (d.is_percent, str(d.value), str(d.tax_rate), d.label) == (True, "10", "20", "Loyalty; spring")
    f = parse_adjustment("25.00", "--fee")
    assert (f.is_percent, str(f.value), f.tax_rate, f.label) == (False, "25.00", 0, "")
    t = parse_tax("2%;City tax")
    assert (t.is_percent, str(t.value), t.label) == (True, "2", "City tax")
    for bad in ("x", "150%", "-150%", "1;2;3;4", "5;20:Z", "5;0:S"):
        with pytest.raises(BadInput):
            parse_adjustment(bad, "--fee")
    with pytest.raises(BadInput):
        parse_tax("1;2;3")


# ---- create / show ---------------------------------------------------------------------------
def test_create_with_lines_escapes_adjustments_R18(cli, seed_people):
    seed_people(cli)
    inv = cli.ok("invoices", "create", "--currency", "eur", "--contact", "ada@example.com", "--company",
                 "analytical engines", "--line", LINE_A, "--line", LINE_B, "--discount", "5%;20;Loyalty",
                 "--fee", "5.00;20;Shipping", "--tax", r"0.50;Stamp\; duty", "--po", "PO-7", "--title", "Autumn",
                 "--comments", "Thanks!", "--allow-partial", "--due", "2099-01-31")
    assert inv["status"] == "draft" and inv["number"] is None and inv["currency"] == "EUR"
    assert (inv["subtotal"], inv["discount_total"], inv["fee_total"]) == ("354.00", "17.70", "5.00")
    assert inv["tax_total"] == "68.76"  # 20% of 341.30 = 68.26, plus the 0.50 stamp duty
    assert inv["amount_billed"] == "410.06" and inv["balance_due"] == "410.06" and inv["amount_paid"] == "0.00"
    assert inv["tax_breakdown"] == [{"category": "S", "rate": "20", "basis": "341.30", "tax": "68.26"}]
    assert (inv["contact_email"], inv["company_name"], inv["owner"]) == ("ada@example.com", "Analytical Engines", "ann")
    assert (inv["po_number"], inv["title"], inv["allow_partial"], inv["due_date"]) == ("PO-7", "Autumn", True, "2099-01-31")

    shown = cli.ok("invoices", "show", str(inv["id"]))
    assert [li["name"] for li in shown["lines"]] == ["Design; review", "Hosting"]
    assert shown["lines"][0]["discount"] == "10%" and shown["payments"] == []
    assert [(a["kind"], a["label"]) for a in shown["adjustments"]] == [
        ("discount", "Loyalty"), ("fee", "Shipping"), ("tax", "Stamp; duty")]

    text = cli.ok("invoices", "show", str(inv["id"]), as_json=False)
    assert "Design; review" in text and "€410.06" in text and "Ada Lovelace <ada@example.com>" in text


def test_create_minimal_draft_needs_only_a_currency_R1(cli):
    inv = cli.ok("invoices", "create", "--currency", "JPY")
    assert inv["status"] == "draft" and inv["amount_billed"] == "0" and inv["currency"] == "JPY"
    out = cli.ok("invoices", "create", "--currency", "EUR", as_json=False)
    assert out.startswith("Created draft #2")


def test_unknown_contact_or_ambiguous_company_is_exit_3_with_the_fix(cli, seed_people):
    seed_people(cli)
    res = cli("invoices", "create", "--currency", "EUR", "--contact", "nobody@example.com")
    assert res.code == 3 and "invoice-tui contacts add --email nobody@example.com" in res.err
    cli.ok("companies", "add", "--name", "ANALYTICAL ENGINES")
    res = cli("invoices", "create", "--currency", "EUR", "--company", "Analytical Engines")
    assert res.code == 3 and "give the id instead" in res.err
    res = cli("invoices", "create", "--currency", "EUR", "--company", "Nope Ltd")
    assert res.code == 3 and 'companies add --name "Nope Ltd"' in res.err
    assert cli.ok("invoices", "create", "--currency", "EUR", "--company", "2")["company_name"] == "ANALYTICAL ENGINES"
    assert len(cli.ok("invoices", "list")) == 1  # nothing was written by the refused commands


@pytest.mark.parametrize("argv", [
    ["--currency", "EURO"],
    ["--currency", "EUR", "--line", "a;b;c"],
    ["--currency", "EUR", "--line", "a;1;5.0000001"],
    ["--currency", "JPY", "--line", "a;1;5;0;0.5"],
    ["--currency", "EUR", "--line", "a;-1;-5"],
    ["--currency", "EUR", "--due", "next week"],
    ["--currency", "EUR", "--date", "2026-05-01", "--due", "2026-04-01"],
    ["--currency", "EUR", "--fee", "lots"],
    ["--currency", "EUR", "--title", "bad\x1b[31mtitle"],
    [],
])
def test_bad_input_is_exit_2_and_writes_nothing(cli, argv):
    res = cli("invoices", "create", *argv)
    assert res.code == 2, res.err
    assert res.err.startswith("invoice-tui: ") and res.out == ""
    assert cli.ok("invoices", "list") == []


# ---- edit / finalize / clone / void / delete -------------------------------------------------
def _open_invoice(cli, *extra) -> dict:
    inv = cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--line", "Work;2;50",
                 *extra)
    return cli.ok("invoices", "finalize", str(inv["id"]))


def test_edit_draft_replaces_lines_and_reports_changes(cli, seed_people):
    seed_people(cli)
    inv = cli.ok("invoices", "create", "--currency", "EUR", "--line", "A;1;10", "--line", "B;1;20", "--fee", "1")
    edited = cli.ok("invoices", "edit", str(inv["id"]), "--line", "C;2;7.25", "--no-fees", "--contact",
                    "bob@example.com", "--comments", "new")
    assert edited["amount_billed"] == "14.50" and edited["fee_total"] == "0.00"
    assert {"line_items", "fees", "billing_contact", "comments"} <= set(edited["changed"])
    assert [li["name"] for li in cli.ok("invoices", "show", str(inv["id"]))["lines"]] == ["C"]
    assert cli("invoices", "edit", str(inv["id"])).code == 2  # nothing to change
    assert cli("invoices", "edit", "999", "--title", "x").code == 3


def test_finalize_numbers_and_refusals_R2_R3(cli, seed_people):
    seed_people(cli)
    draft = cli.ok("invoices", "create", "--currency", "EUR", "--line", "Work;1;10")
    res = cli("invoices", "finalize", str(draft["id"]))
    assert res.code == 1 and "billing contact" in res.err
    cli.ok("invoices", "edit", str(draft["id"]), "--contact", "ada@example.com")
    inv = cli.ok("invoices", "finalize", str(draft["id"]))
    assert inv["number"] == "INV-1001" and inv["status"] == "open"
    assert cli("invoices", "finalize", "INV-1001").code == 1
    assert _open_invoice(cli)["number"] == "INV-1002"
    text = cli.ok("invoices", "finalize", str(cli.ok("invoices", "create", "--currency", "EUR", "--contact",
                                                        "ada@example.com", "--line", "X;1;1")["id"]), as_json=False)
    assert "as INV-1003" in text


def test_edit_open_invoice_follows_the_workspace_setting_R6(cli, seed_people):
    seed_people(cli)
    inv = _open_invoice(cli)
    res = cli("invoices", "edit", "INV-1001", "--due", "2099-12-31")
    assert res.code == 1 and "allow_edit_finalized" in res.err
    cli.ok("settings", "set", "allow_edit_finalized", "true")
    edited = cli.ok("invoices", "edit", "INV-1001", "--due", "2099-12-31")
    assert edited["due_date"] == "2099-12-31" and edited["changed"] == ["due_date"]
    res = cli("invoices", "edit", "INV-1001", "--currency", "USD")
    assert res.code == 1 and "R2" in res.err
    res = cli("invoices", "edit", "INV-1001", "--title", "x", "--expect-version", str(inv["version"]))
    assert res.code == 1 and "changed" in res.err  # R7: the version moved with the first edit


def test_clone_void_delete_R12_R13_R14(cli, seed_people):
    seed_people(cli)
    inv = _open_invoice(cli)
    clone = cli.ok("invoices", "clone", "INV-1001")
    assert clone["status"] == "draft" and clone["origin"] == "clone" and clone["amount_billed"] == "100.00"
    res = cli("invoices", "delete", "INV-1001")
    assert res.code == 1 and "allow_delete_unpaid" in res.err
    res = cli("invoices", "void", str(clone["id"]))
    assert res.code == 1 and "delete it instead" in res.err
    assert cli.ok("invoices", "delete", str(clone["id"])) == {"deleted": f"draft #{clone['id']}"}
    assert cli("invoices", "show", str(clone["id"])).code == 3
    voided = cli.ok("invoices", "void", "INV-1001")
    assert voided["status"] == "voided" and voided["id"] == inv["id"]
    res = cli("invoices", "void", "INV-1001")
    assert res.code == 1 and "already voided" in res.err


def test_delete_finalized_needs_the_setting_and_the_delete_permission_R12(cli, seed_people):
    seed_people(cli)
    _open_invoice(cli)
    cli.ok("settings", "set", "allow_delete_unpaid", "yes")
    cli.ok("users", "add", "eve", "--permissions", "view,create,edit")
    res = cli("invoices", "delete", "INV-1001", user="eve")
    assert res.code == 1 and "users grant eve delete" in res.err
    out = cli.ok("invoices", "delete", "INV-1001", as_json=False)
    assert "Deleted INV-1001" in out
    assert _open_invoice(cli)["number"] == "INV-1002"  # R3: the gap stays


# ---- list: filters (R20), sorting, limit --------------------------------------------------------
@pytest.fixture
def four(cli, seed_people):
    """1 open EUR (ada, due in 10 days), 2 EUR draft, 3 open USD overdue (bob), 4 GBP paid (ada)."""
    seed_people(cli)
    a = cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--line", "Work;2;100",
               "--date", "today-20", "--due", "today+10")  # dated as 3, numbered after it: R57
    cli.ok("invoices", "finalize", str(a["id"]))
    cli.ok("invoices", "create", "--currency", "EUR", "--line", "Idea;1;5", "--due", "today+30")
    c = cli.ok("invoices", "create", "--currency", "USD", "--contact", "bob@example.com", "--line", "Fix;1;50",
               "--date", "today-20", "--due", "today-5")
    cli.ok("invoices", "finalize", str(c["id"]))
    d = cli.ok("invoices", "create", "--currency", "GBP", "--contact", "ada@example.com", "--line", "Tea;3;4.50")
    cli.ok("invoices", "finalize", str(d["id"]))
    cli.ok("payments", "record", str(d["id"]), "--amount", "13.50")
    return cli


def _ids(cli, *argv) -> list[int]:
    return [r["id"] for r in cli.ok("invoices", "list", *argv)]


FILTER_CASES = [
    ([], [4, 3, 2, 1]),
    (["--filter", "status=open"], [3, 1]),
    (["--filter", "status=open", "--filter", "currency=EUR", "--or", "--filter", "overdue=true"], [3, 1]),
    (["--filter", "status=draft", "--or", "--filter", "status=paid", "--or", "--filter", "overdue=true"], [4, 3, 2]),
    (["--filter", "overdue=true"], [3]),
    (["--filter", "overdue=false"], [4, 2, 1]),
    (["--filter", "currency=eur,usd", "--filter", "status!=draft"], [3, 1]),
    (["--filter", "contact_email~ADA"], [4, 1]),
    (["--filter", "contact_email^bob"], [3]),
    (["--filter", "number?"], [4, 3, 1]),
    (["--filter", "number!?"], [2]),
    (["--filter", "amount_billed>=50", "--filter", "amount_billed<200.01"], [3, 1]),
    (["--filter", "amount_billed=13.5"], [4]),
    (["--filter", "balance_due=0"], [4]),
    (["--filter", "amount_billed=10..60"], [4, 3]),
    (["--filter", "due_date<today"], [3]),
    (["--filter", "due_date=today+1..today+15"], [1]),
    (["--filter", "due_date>=today+30"], [4, 2]),
    (["--filter", "days_overdue>=5"], [3]),
    (["--filter", "owner=me"], [4, 3, 2, 1]),
    (["--filter", "company_name?"], []),
]


def test_list_filters_give_exact_ids_R20(four):
    """One workspace, every filter form (building it once per case would be slow)."""
    for argv, expected in FILTER_CASES:
        assert _ids(four, *argv) == expected, argv


def test_list_sort_limit_search_and_text(four):
    assert _ids(four, "--sort", "id") == [1, 2, 3, 4]
    assert _ids(four, "--sort", "-id", "--limit", "2") == [4, 3]
    assert _ids(four, "--sort=-due_date") == [4, 2, 1, 3]
    assert _ids(four, "--sort", "-due_date") == [4, 2, 1, 3]
    assert _ids(four, "--search", "INV-1002") == [3]
    text = four.ok("invoices", "list", "--filter", "status=open", as_json=False)
    lines = text.splitlines()
    assert lines[0].split() == ["Id", "Number", "Status", "Contact", "Company", "Billed", "Balance", "Due"]
    assert "open (overdue)" in lines[1] and "$50.00" in lines[1] and lines[-1] == "2 invoices"
    assert four.ok("invoices", "list", "--filter", "status=voided", as_json=False).strip() == "No invoices match."


@pytest.mark.parametrize("argv, needle", [
    (["--filter", "nope=1"], "Unknown property 'nope'"),
    (["--filter", "status"], "Cannot read the filter"),
    (["--filter", "status=late"], "not a Status value"),
    (["--filter", "due_date<someday"], "not a date"),
    (["--or", "--filter", "status=open"], "--or"),
    (["--filter", "status=open", "--or"], "--or"),
    (["--sort", "comments"], "cannot be sorted"),
    (["--sort", "-nope"], "Unknown property"),
    (["--limit", "0"], "--limit"),
    (["--limit", "x"], "invalid int"),
])
def test_list_bad_filters_are_exit_2(cli, argv, needle):
    res = cli("invoices", "list", *argv)
    assert res.code == 2 and needle in res.err


def test_filter_group_limits_R20(cli):
    argv = []
    for _ in range(6):
        argv += ["--filter", "status=open", "--or"]
    res = cli("invoices", "list", *argv[:-1])
    assert res.code == 2 and "At most 5 filter groups" in res.err


def test_changing_a_drafts_currency_is_in_its_history_R15(cli):
    inv = cli.ok("invoices", "create", "--currency", "EUR", "--line", "X;2;10.50")
    edited = cli.ok("invoices", "edit", str(inv["id"]), "--currency", "USD")
    assert edited["currency"] == "USD" and edited["amount_billed"] == "21.00"
    assert "currency" in edited["changed"]
    changes = [(c["old"], c["new"]) for c in cli.ok("history", str(inv["id"]))["property_changes"]
               if c["property"] == "currency"]
    assert changes == [(None, "EUR"), ("EUR", "USD")]


# ---- R35: the line spec's categories, keys and negative values ---------------------------------
def test_r35_parse_line_takes_a_category_and_key_value_parts():
    line = parse_line(r"Energy\; peak;1200;8.80;20:S;base=1000;unit=kwh;allowance=5%:Loyalty;charge=2.00:Freight: EU")
    assert (line.name, str(line.quantity), str(line.unit_price), line.tax_category) == ("Energy; peak", "1200", "8.80", "S")
    assert (line.base_quantity, line.unit_code) == (1000, "KWH")
    assert [(c.kind, str(c.value), c.is_percent, c.reason) for c in line.charges] == [
        ("allowance", "5", True, "Loyalty"), ("charge", "2.00", False, "Freight: EU")]
    assert parse_line("Export;1;90;0:g").tax_category == "G"
    # no category given: the rate's default, decided when the line is written (Z; E under the VAT franchise)
    book, pen = parse_line("Book;1;9"), parse_line("Pen;1;2;20")
    assert (book.tax_category, pen.tax_category) == ("", "")
    assert [written_category(x, franchise=False) for x in (book, pen)] == ["Z", "S"]
    assert written_category(book, franchise=True) == "E"
    ret = parse_line("Return;-2;15.00;20;10%")
    assert (str(ret.quantity), ret.discount_percent) == ("-2", True)
    d = parse_adjustment("-5;0:AE;Correction", "--discount")
    assert (str(d.value), d.tax_category, d.label) == ("-5", "AE", "Correction")


def test_r35_negative_values_after_the_options_are_values_and_the_breakdown_has_categories(cli, seed_people):
    seed_people(cli)
    inv = cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com",
                 "--line", "-Refund\\; cable;1;5;20", "--line", "Return;-2;0.1212;20", "--line=Export;1;90;0:G",
                 "--discount", "-5%;20", "--fee=-2.50;20;Freight reversed")
    shown = cli.ok("invoices", "show", str(inv["id"]))
    assert [li["name"] for li in shown["lines"]] == ["-Refund; cable", "Return", "Export"]
    assert [li["net"] for li in shown["lines"]] == ["5.00", "-0.24", "90.00"]
    assert (shown["discount_total"], shown["fee_total"]) == ("-4.74", "-2.50")  # −5 % of 94.76 = −4.738
    # S 20 %: 5.00 − 0.24 + 4.74 − 2.50 = 7.00 (the negative discount adds, the negative fee subtracts)
    assert shown["tax_breakdown"] == [{"category": "S", "rate": "20", "basis": "7.00", "tax": "1.40"},
                                      {"category": "G", "rate": "0", "basis": "90.00", "tax": "0.00"}]
    assert shown["amount_billed"] == "98.40" and shown["en16931"] is True
    text = cli.ok("invoices", "show", str(inv["id"]), as_json=False)
    assert "0.1212 EUR" in text and "VAT G 0% on €90.00" in text
    res = cli("invoices", "finalize", str(inv["id"]))
    assert res.code == 0  # 98.40 ≥ 0
    neg = cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--line", "Return;-1;10")
    res = cli("invoices", "finalize", str(neg["id"]))
    assert res.code == 1 and "credit note" in res.err


def test_issue24_edit_sets_the_invoice_language_and_refuses_an_unknown_one(cli):
    inv = cli.ok("invoices", "create", "--currency", "EUR", "--line", "A;1;10")
    assert cli.ok("invoices", "show", str(inv["id"]))["locale"] == "en_US"
    edited = cli.ok("invoices", "edit", str(inv["id"]), "--locale", "fr_FR")
    assert "locale" in edited["changed"] and edited["locale"] == "fr_FR"
    res = cli("invoices", "edit", str(inv["id"]), "--locale", "xx_QQ")
    assert res.code == 2 and "not a known locale" in res.err
    assert cli.ok("invoices", "show", str(inv["id"]))["locale"] == "fr_FR"
