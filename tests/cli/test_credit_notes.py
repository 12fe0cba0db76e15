"""``invoice-tui credit-notes …``, ``credits …`` and ``payments record --overpay`` (issue 21; R8, R36–R42)."""

from __future__ import annotations

import pytest


@pytest.fixture
def billed(any_cli, seed_people):
    """``billed(*extra)``: an open EUR invoice to Ada's company: 2 × 50 Work at 20 % VAT + 1 × 30 Support at
    20 % = 156.00."""
    seed_people(any_cli)

    def make(*extra):
        inv = any_cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--company",
                         "Analytical Engines", "--line", "Work;2;50;20", "--line", "Support;1;30;20", *extra)
        return any_cli.ok("invoices", "finalize", str(inv["id"]))

    return make


def test_r36_create_full_issue_show_list(any_cli, billed):
    inv = billed()
    cn = any_cli.ok("credit-notes", "create", inv["number"], "--full", "--reason", "Order cancelled")
    assert (cn["type"], cn["status"], cn["number"], cn["amount_billed"]) == ("credit_note", "draft", None, "156.00")
    assert cn["invoice_number"] == "INV-1001" and cn["reason"] == "Order cancelled"
    issued = any_cli.ok("credit-notes", "issue", str(cn["id"]))
    assert issued["number"] == "CN-1" and issued["status"] == "issued"
    assert issued["credited_on_invoice"] == "156.00" and issued["to_customer_credit"] == "0.00"
    shown = any_cli.ok("credit-notes", "show", "CN-1")
    assert shown["invoice_issue_date"] == inv["invoice_date"] and len(shown["lines"]) == 2
    text = any_cli.ok("credit-notes", "show", "CN-1", as_json=False)
    assert "Credits invoice: INV-1001" in text and "Order cancelled" in text
    listed = any_cli.ok("credit-notes", "list")
    assert [c["number"] for c in listed] == ["CN-1"]
    after = any_cli.ok("invoices", "show", "INV-1001")
    assert (after["status"], after["balance_due"], after["amount_credited"]) == ("paid", "0.00", "156.00")
    text = any_cli.ok("credit-notes", "list", as_json=False)
    assert "CN-1" in text and "-€156.00" in text  # R42: a credit note's amount shown negative


def test_r37_partial_by_line_and_by_amount_and_the_cap_names_what_is_left(any_cli, billed):
    billed()
    cn = any_cli.ok("credit-notes", "create", "INV-1001", "--line-of", "1:1", "--reason", "One unit returned")
    assert cn["amount_billed"] == "60.00"
    cn = any_cli.ok("credit-notes", "create", "INV-1001", "--amount", "50", "--rate", "0:E", "--reason", "Exempt")
    assert cn["amount_billed"] == "50.00" and cn["lines"][0]["tax_category"] == "E"
    res = any_cli("credit-notes", "create", "INV-1001", "--amount", "50", "--rate", "20", "--reason", "Too much")
    assert res.code == 1 and "46.00 EUR" in res.err and res.out == ""
    for bad, words in ((["--line-of", "x"], "POS:QTY"), (["--amount", "5"], "--rate"),
                       (["--amount", "5", "--rate", "abc"], "VAT rate"), (["--full", "--reason", ""], "reason")):
        args = ["credit-notes", "create", "INV-1001", *bad] + ([] if "--reason" in bad else ["--reason", "r"])
        res = any_cli(*args)
        assert res.code in (1, 2) and words in res.err, (bad, res.err)


def test_r40_credits_list_apply_refund_and_refusals_name_the_amount_available(any_cli, billed):
    billed("--allow-partial")
    billed("--allow-partial")
    # R8: above the balance without --overpay is refused with the excess; with it the excess is credit
    res = any_cli("payments", "record", "INV-1001", "--amount", "200")
    assert res.code == 1 and "44.00 EUR" in res.err and "--overpay" in res.err
    paid = any_cli.ok("payments", "record", "INV-1001", "--amount", "200", "--overpay")
    assert paid["invoice"]["status"] == "paid" and paid["invoice"]["amount_paid"] == "156.00"
    [bal] = any_cli.ok("credits", "list", "--company", "Analytical Engines")
    assert (bal["customer"], bal["currency"], bal["available"]) == ("Analytical Engines", "EUR", "44.00")
    applied = any_cli.ok("credits", "apply", "INV-1002", "--amount", "30")
    assert applied["invoice"]["balance_due"] == "126.00" and applied["available"] == "14.00"
    res = any_cli("credits", "apply", "INV-1002", "--amount", "20")
    assert res.code == 1 and "14.00 EUR" in res.err
    res = any_cli("credits", "refund", "--company", "Analytical Engines", "--currency", "EUR", "--amount", "15",
                  "--method", "bank_transfer")
    assert res.code == 1 and "14.00 EUR" in res.err
    refund = any_cli.ok("credits", "refund", "--company", "Analytical Engines", "--currency", "EUR", "--amount",
                        "14", "--method", "bank_transfer", "--reference", "VIR-1")
    assert refund["refund"]["reference"] == "VIR-1" and refund["available"] == "0.00"
    text = any_cli.ok("credits", "list", as_json=False)
    assert "Analytical Engines" in text and "0.00" in text


def test_r42_invoices_list_and_export_keep_to_invoices_unless_the_type_is_asked(any_cli, billed, tmp_path):
    billed()
    any_cli.ok("credit-notes", "issue", str(any_cli.ok("credit-notes", "create", "INV-1001", "--amount", "10",
                                                        "--rate", "20", "--reason", "r")["id"]))
    assert [r["number"] for r in any_cli.ok("invoices", "list")] == ["INV-1001"]
    assert [r["number"] for r in any_cli.ok("invoices", "list", "--filter", "type=credit_note")] == ["CN-1"]
    both = any_cli.ok("invoices", "list", "--filter", "type=invoice,credit_note", "--sort", "id")
    assert [(r["number"], r["type"]) for r in both] == [("INV-1001", "invoice"), ("CN-1", "credit_note")]
    out = tmp_path / "x.csv"
    assert any_cli.ok("export", "--format", "csv", "--out", str(out))["rows"] == 1
    assert any_cli.ok("export", "--format", "csv", "--out", str(out), "--filter", "type=credit_note")["rows"] == 1
    assert "CN-1" in out.read_text()


def test_r41_cancel_and_replace_from_the_cli_is_a_full_credit_note_then_a_clone(any_cli, billed):
    billed()
    cn = any_cli.ok("credit-notes", "create", "INV-1001", "--full", "--reason", "Wrong address")
    any_cli.ok("credit-notes", "issue", str(cn["id"]))
    res = any_cli("invoices", "void", "INV-1001")
    assert res.code == 1 and "credit note" in res.err
    res = any_cli("credit-notes", "create", "INV-1001", "--full", "--reason", "again")
    assert res.code == 1 and "0.00 EUR" in res.err


def test_r38_credit_notes_offset_opens_a_draft_invoice_referring_to_the_credit_note(any_cli, billed):
    billed()
    cn = any_cli.ok("credit-notes", "create", "INV-1001", "--amount", "10", "--rate", "20", "--reason", "Oops")
    res = any_cli("credit-notes", "offset", str(cn["id"]))
    assert res.code == 1 and "delete it" in res.err
    any_cli.ok("credit-notes", "issue", str(cn["id"]))
    draft = any_cli.ok("credit-notes", "offset", "CN-1")
    assert (draft["status"], draft["type"], draft["amount_billed"]) == ("draft", "invoice", "12.00")
    assert any_cli.ok("invoices", "finalize", str(draft["id"]))["number"] == "INV-1002"
