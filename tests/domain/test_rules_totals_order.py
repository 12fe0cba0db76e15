"""R18: the order discount → fee → tax has one home, ``domain.totals``. Every face gets it from
there: the services' reads and writes, the document, the CLI, the editor, the demo. These tests
fail when a face lists the adjustments in another order, or when a module spells the order
again instead of asking ``domain.totals`` (a second implementation that could drift)."""

from __future__ import annotations

import ast
import itertools
from decimal import Decimal as D
from pathlib import Path

from invoice_tui.documents.markdown import invoice_markdown
from invoice_tui.domain import invoices
from invoice_tui.domain.totals import ADJUSTMENT_KINDS, AdjustmentSpec, LineSpec, compute_totals, in_order
from rulekit import line, reload

PACKAGE = Path(invoices.__file__).resolve().parent.parent
HOME = PACKAGE / "domain" / "totals.py"
KINDS = set(ADJUSTMENT_KINDS)


def _adj(value, rate="0", label=""):
    return {"value": value.rstrip("%"), "is_percent": value.endswith("%"), "tax_rate": rate, "label": label}


def test_r18_totals_do_not_depend_on_the_order_adjustments_are_given_in():
    """``compute_totals`` applies them in R18's order whatever order they come in (the extra
    taxes keep theirs: the second applies on the first)."""
    lines = [LineSpec(name="A", quantity=D(2), unit_price=D("60"), tax_rate=D(20))]
    adjs = [AdjustmentSpec("tax", D(10), True, label="Pct"), AdjustmentSpec("fee", D(5), False, D(20)),
            AdjustmentSpec("tax", D(3), False, label="Fixed"), AdjustmentSpec("discount", D(10), True, D(20))]
    expected = compute_totals("EUR", lines, in_order(adjs))
    assert [a.kind for a in expected.applied] == ["discount", "fee", "tax", "tax"]
    assert [a.label for a in expected.extra_taxes] == ["Pct", "Fixed"]
    # 120 − 12 + 5 = 113; tax 20% = 22.60; + 10% of 135.60 = 13.56; + 3 → 152.16
    assert expected.billed == D("152.16")
    for perm in itertools.permutations(adjs):
        if [a.label for a in perm if a.kind == "tax"] == ["Pct", "Fixed"]:
            assert compute_totals("EUR", lines, perm) == expected


def test_r18_every_face_lists_the_adjustments_in_one_order(ws, admin, buyer):
    """Given taxes first and discounts last, the stored invoice, its document and its totals
    rows all read discount, fee, tax."""
    inv = reload(invoices.create_invoice(admin, {
        "currency": "EUR", "contact_id": buyer.id, "lines": [line("Work", "1", "200", "20")],
        "taxes": [_adj("1.50", label="Stamp")], "fees": [_adj("10", "20", "Shipping")],
        "discounts": [_adj("5%", "20", "Loyalty"), _adj("2", "20", "Goodwill")]}))
    specs = invoices.adjustment_specs(inv)
    assert [(a.kind, a.label) for a in specs] == [("discount", "Loyalty"), ("discount", "Goodwill"),
                                                  ("fee", "Shipping"), ("tax", "Stamp")]
    totals = invoices.invoice_totals(inv)
    assert [s.kind for s in totals.steps()] == ["subtotal", "discount", "fee", "tax", "billed"]
    assert sum(s.amount for s in totals.steps()[1:-1]) + totals.subtotal == totals.billed
    doc = invoice_markdown(inv)
    adjustments = doc[doc.index("## Discounts, fees and taxes"):doc.index("## Tax breakdown")]
    assert [row.split(" | ")[:2] for row in adjustments.splitlines()[4:8]] == [
        ["| Discount", "Loyalty"], ["| Discount", "Goodwill"], ["| Fee", "Shipping"], ["| Tax", "Stamp"]]
    rows = doc[doc.index("## Totals"):].splitlines()[4:9]
    assert [row.split(" | ")[0] for row in rows] == ["| Subtotal", "| Discounts", "| Fees", "| Tax", "| **Total**"]


# ---- one spelling of the order -------------------------------------------------------------------
def _kind_sequence(node: ast.AST) -> list[str]:
    """The adjustment kinds a literal names, in order: its strings and those of the tuples in it."""
    out = []
    for elt in getattr(node, "elts", []):
        parts = elt.elts if isinstance(elt, ast.Tuple) else [elt]
        out += [p.value for p in parts if isinstance(p, ast.Constant) and p.value in KINDS]
    return out


def spellings(source: str) -> list[int]:
    """Lines of ``source`` that spell the kinds' order themselves: a tuple or list naming the
    three kinds (directly or in pairs, e.g. ``(("discount", "discounts"), …)``), or a dict
    ranking them (``{"discount": 0, …}``). ``__slots__`` lists attribute names, not an order."""
    tree = ast.parse(source)
    slots = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Assign)
             and any(isinstance(t, ast.Name) and t.id == "__slots__" for t in n.targets)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List)) and id(node) not in slots:
            if KINDS <= set(_kind_sequence(node)):
                found.append(node.lineno)
        elif isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            ranks = [v for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, int)]
            if KINDS <= keys and ranks:
                found.append(node.lineno)
    return found


def test_r18_the_order_is_spelled_in_domain_totals_only():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path != HOME:
            lines = spellings(path.read_text(encoding="utf-8"))
            if lines:
                offenders[str(path.relative_to(PACKAGE))] = lines
    assert offenders == {}, f"ask domain.totals (ADJUSTMENT_KINDS, in_order, Totals.steps): {offenders}"
    assert spellings(HOME.read_text(encoding="utf-8")), "the home itself spells it"


def test_r18_the_spelling_check_sees_the_usual_copies():
    """The check above is not vacuous: each way the order used to be written is caught."""
    copies = ['order = {"discount": 0, "fee": 1, "tax": 2}',
              'for kind, attr in (("discount", "discounts"), ("fee", "fees"), ("tax", "taxes")): pass',
              'x = [a for kind in ("discount", "fee", "tax") for a in adjs[kind]]',
              'KINDS = (("Discount", "discount"), ("Fee", "fee"), ("Extra tax", "tax"))']
    assert all(spellings(c) == [1] for c in copies)
    assert spellings('__slots__ = ("discount", "fee", "tax")') == []
    assert spellings('LABELS = {"discount": "Discount", "fee": "Fee", "tax": "Extra tax"}') == []
