"""Issue 25: the services' sentences in the reader's language. A refusal is built with ``_()`` when
it is raised, so it speaks the language in use in that process (the TUI's reader's, the CLI's):

- in French, a selection of refusals reads in French (a few French words each);
- under the pseudo-locale, each of those sentences is wholly inside ⟦…⟧ apart from its data
  (numbers, amounts, logins, setting keys, rule ids): a sentence never marked would show bare;
- its code and structured details stay as they are in English (the faces key on them);
- and a check over the source: no raise site of the domain, db, config or team-ssh modules passes
  an unmarked literal or f-string sentence (a known-bad snippet proves that the check can fail).
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest

from invoice_tui.documents.einvoice.validate import Finding
from invoice_tui.domain import invoices, payments
from invoice_tui.domain.einvoice_build import Validation, refuse_if_blocked
from invoice_tui.domain.errors import BadInput, InvoiceTuiError, PermissionDenied, RuleRefused
from invoice_tui.domain.workspace import change_setting
from invoice_tui.i18n import use_language
from tests.conftest import make_user
from tests.domain.rulekit import make_draft, make_open
from tests.i18nkit import CLOSE, OPEN, unmarked_words, use_pseudo_locale

ROOT = Path(__file__).resolve().parents[2]

FRENCH_SELLER = {"seller_legal_name": "Lumière & Co. Studio SAS", "seller_address": "8 boulevard de la Croix-Rousse",
                 "seller_postcode": "69004", "seller_city": "Lyon", "seller_siren": "732829320",
                 "seller_vat_id": "FR40303265045", "seller_electronic_scheme": "0225",
                 "seller_electronic_address": "732829320", "late_penalty_rate": "12.15", "seller_country": "FR"}


# ---- the refusals, each raised through the services as a user meets it ------------------------------
def void_paid(admin, buyer):
    inv = make_open(admin, buyer)
    payments.record_payment(admin, inv.id, {"amount": "100.00"})
    with pytest.raises(RuleRefused) as err:
        invoices.void_invoice(admin, inv.id)
    return err.value, [inv.number, "R5"]


def over_balance(admin, buyer):
    inv = make_open(admin, buyer)
    with pytest.raises(RuleRefused) as err:
        payments.record_payment(admin, inv.id, {"amount": "250.00"})
    return err.value, ["EUR", "R8"]


def finalize_without_seller(admin, buyer):
    draft = make_draft(admin, buyer)
    with pytest.raises(RuleRefused) as err:
        invoices.finalize_invoice(admin, draft.id)
    return err.value, ["seller_legal_name", "seller_address", "EN 16931 BR-6, BT-27", "EN 16931 BR-8, BG-5",
                       "R2, R43"]


def permission(ws, admin, buyer):
    inv = make_open(admin, buyer)
    from invoice_tui.db.models import User

    viewer = (ws.context("victor", source="test", now=admin.now) if User.get_or_none(User.login == "victor")
              else make_user(ws, admin, "victor", "view"))
    with pytest.raises(PermissionDenied) as err:
        invoices.void_invoice(viewer, inv.id)
    return err.value, ["victor"]


def bad_date(admin, buyer):
    with pytest.raises(BadInput) as err:
        make_draft(admin, buyer, invoice_date=dt.date(1800, 1, 1))
    return err.value, []


def strict_edit(admin, buyer):
    from invoice_tui.domain.settings import load_settings

    if not load_settings().strict_mode:
        for key, value in FRENCH_SELLER.items():
            change_setting(admin, key, value)
    inv = invoices.finalize_invoice(admin, make_draft(admin, buyer, operation_category="services").id)
    with pytest.raises(RuleRefused) as err:
        invoices.edit_invoice(admin, inv.id, {"title": "changed"})
    return err.value, [inv.number, "R46", "CGI art. 289 and 242 nonies A"]


def einvoice_rule(admin, buyer):
    inv = SimpleNamespace(number="INV-1042", id=42)
    text = "[BR-CO-15]-Invoice total amount with VAT (BT-112) = Invoice total amount without VAT (BT-109) + ..."
    validation = Validation((Finding("BR-CO-15", True, text), Finding("BR-FR-12", True, "Le SIREN est requis")),
                            in_scope=True)
    with pytest.raises(RuleRefused) as err:
        refuse_if_blocked(inv, validation, "it was not issued")
    return err.value, ["INV-1042", "BR-CO-15", "BR-FR-12", text, "Le SIREN est requis"]


CASES = {"void_paid": void_paid, "over_balance": over_balance, "finalize_without_seller": finalize_without_seller,
         "permission": permission, "bad_date": bad_date, "strict_edit": strict_edit, "einvoice_rule": einvoice_rule}

# a few French words each must hold (the glossary's vocabulary)
FRENCH_WORDS = {
    "void_paid": ("payée", "annulée"),
    "over_balance": ("dépasse", "solde dû", "trop-perçu"),
    "finalize_without_seller": ("valider", "vendeur", "il manque"),
    "permission": ("droit", "« modifier »"),
    "bad_date": ("date de facture", "comprise entre"),
    "strict_edit": ("mode strict", "jamais modifiée", "avoir", "loi française"),
    "einvoice_rule": ("facture électronique", "enfreint", "règles", "erreur"),
}
CODES = {"void_paid": "rule.refused", "over_balance": "payment.over_balance",
         "finalize_without_seller": "invoice.legal_data_missing", "permission": "permission.denied",
         "bad_date": "input.invalid", "strict_edit": "invoice.strict_mode", "einvoice_rule": "einvoice.invalid"}


def _raise(case: str, ws, admin, buyer) -> tuple[InvoiceTuiError, list[str]]:
    fn = CASES[case]
    return fn(ws, admin, buyer) if case == "permission" else fn(admin, buyer)


PARAMS = [pytest.param(c, marks=pytest.mark.no_seller) if c == "finalize_without_seller" else c for c in sorted(CASES)]


@pytest.mark.parametrize("case", PARAMS)
def test_r25_refusals_read_in_french(case, ws, admin, buyer):
    english, _data = _raise(case, ws, admin, buyer)
    use_language("fr_FR")
    error, _data = _raise(case, ws, admin, buyer)
    text = error.message
    for word in FRENCH_WORDS[case]:
        assert word in text.lower(), f"{case}: {word!r} not in {text!r}"
    assert error.code == english.code == CODES[case]
    assert set(error.details) == set(english.details) and error.fields == english.fields  # keys: unchanged
    assert "English" not in text and text != english.message


@pytest.mark.parametrize("case", PARAMS)
def test_r25_refusals_wholly_marked_under_the_pseudo_locale(case, ws, admin, buyer):
    use_pseudo_locale()
    error, data = _raise(case, ws, admin, buyer)
    text = flatten(error.message)
    assert text.startswith(OPEN) or text.count(OPEN) >= 1
    bare = unmarked_words(text, data)
    assert not bare, f"{case}: words outside the catalog: {sorted(set(bare))}\n{error.message}"


# ---- helpers -----------------------------------------------------------------------------------------
def flatten(text: str) -> str:
    """A marked sentence holding marked pieces (a permission's name, the legal reason, a state) is
    translated whole: the inner markers are dropped, the outer ones kept."""
    out, depth = [], 0
    for ch in text:
        if ch == OPEN:
            depth += 1
            if depth > 1:
                continue
        elif ch == CLOSE:
            depth -= 1
            if depth > 0:
                continue
        out.append(ch)
    return "".join(out)


# ---- every raise site of this area passes a marked sentence --------------------------------------------
AREA = ["invoice_tui/domain/" + name for name in (
    "invoices.py", "errors.py", "payments.py", "credit.py", "credit_records.py", "totals.py", "totals_check.py",
    "money.py", "bounds.py", "text.py", "permissions.py", "legal.py", "legal_rules.py", "einvoice.py",
    "einvoice_build.py", "history.py", "tx.py", "workspace.py", "connection.py", "context.py", "localize.py",
    "invoice_query.py", "payment_snapshot.py", "pending_payments.py")] + [
    "invoice_tui/config.py", "invoice_tui/team_ssh.py"] + sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "invoice_tui/db").glob("*.py"))

# exceptions a person never reads as a sentence: programming errors, and the busy signal the write
# retry loop catches (``db.retry_busy``); each becomes a sentence of its own before it reaches a face
INTERNAL = {"RuntimeError", "AssertionError", "NotImplementedError", "OperationalError"}


def _is_sentence(node: ast.AST) -> bool:
    """A literal string, an f-string, or a sum holding one: a sentence written in place, unmarked."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(c.isalpha() for c in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and any(c.isalpha() for c in v.value) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _is_sentence(node.left) or _is_sentence(node.right)
    return False


def unmarked_raises(source: str) -> list[tuple[int, str]]:
    """Each call of an error class (``…Error``, ``…Refused``, ``BadInput``, ``NotFound``, ``Conflict``,
    ``…Denied``, ``…Failure``, ``NotEn16931``, ``CannotManage``, ``…Failed``) whose message is a literal or
    an f-string not passed through ``_()``/``ngettext``/``pgettext``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in INTERNAL:
            continue
        if not (name.endswith(("Error", "Refused", "Denied", "Failure", "Failed", "Interrupted"))
                or name in ("BadInput", "NotFound", "Conflict", "NotEn16931", "CannotManage")):
            continue
        if _is_sentence(node.args[0]):
            found.append((node.lineno, ast.get_source_segment(source, node)[:90]))
    return found


def test_r25_the_raise_check_finds_an_unmarked_sentence():
    bad = '''
def f(inv, x):
    if x:
        raise BadInput("The amount is wrong.", field="amount")
    if inv:
        raise RuleRefused(f"{inv.number} is paid; it cannot be voided (R5).")
    raise ValueError("a percentage is at most " + "100%")
'''
    good = '''
def f(inv):
    raise RuleRefused(_("{number} is paid.").format(number=inv.number))
    raise peewee.OperationalError("database is locked")
'''
    assert sorted(line for line, _ in unmarked_raises(bad)) == [4, 6, 7]
    assert unmarked_raises(good) == []


@pytest.mark.parametrize("path", AREA)
def test_r25_every_raise_site_passes_a_marked_sentence(path):
    found = unmarked_raises((ROOT / path).read_text(encoding="utf-8"))
    assert not found, f"{path}: unmarked sentences at " + "; ".join(f"line {n}: {s}" for n, s in found)
