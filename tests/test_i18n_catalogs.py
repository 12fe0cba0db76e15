"""Issue 25: the catalogs are current and complete.

- the template (``invoice_tui/locale/invoice_tui.pot``) holds exactly the strings the code marks;
- every shipped language translates each of them, with no fuzzy or empty entry and the same
  ``{placeholders}`` as the English;
- each compiled ``.mo`` holds what its ``.po`` says (the package ships the ``.mo``);
- no marked string is an f-string (``_(f"…")`` cannot be extracted nor translated).
Each check is also run on a known-bad catalog, so that it is seen to fail.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from invoice_tui.i18n import DOMAIN, LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
LANGUAGES = sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:[:!][^{}]*)?\}|%\([a-z_]+\)[sdr]|%[sd]")

def _key(message) -> tuple:
    msgid = message.id if isinstance(message.id, (tuple, list)) else (message.id,)  # a .mo's plural: a list
    return (message.context or "",) + tuple(msgid)


def _strings(message) -> tuple:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def marked_in_code() -> set[tuple]:
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(str(ROOT / "invoice_tui")):
        msgid = message if isinstance(message, tuple) else (message,)
        found.add((context or "",) + tuple(msgid))
    return found


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def template_problems(template: Catalog, marked: set[tuple]) -> list[str]:
    held = {_key(m) for m in template if m.id}
    return ([f"marked in the code, missing from the template: {k[1:]!r}" for k in sorted(marked - held)]
            + [f"in the template, marked nowhere: {k[1:]!r}" for k in sorted(held - marked)])


def catalog_problems(catalog: Catalog, template: Catalog) -> list[str]:
    problems = []
    entries = {_key(m): m for m in catalog if m.id}
    for wanted in template:
        if not wanted.id:
            continue
        m = entries.get(_key(wanted))
        if m is None:
            problems.append(f"not in the catalog: {wanted.id!r}")
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy:
            problems.append(f"fuzzy: {m.id!r}")
        if not all(s.strip() for s in strings):
            problems.append(f"not translated: {m.id!r}")
            continue
        source = m.id if isinstance(m.id, tuple) else (m.id,)
        wanted_holes = set(PLACEHOLDER.findall(" ".join(source)))
        for s in strings:
            if set(PLACEHOLDER.findall(s)) - wanted_holes or (
                    not isinstance(m.id, tuple) and set(PLACEHOLDER.findall(s)) != wanted_holes):
                problems.append(f"placeholders differ: {m.id!r} → {s!r}")
    return problems


def mo_problems(po: Catalog, mo: Catalog) -> list[str]:
    compiled = {_key(m): _strings(m) for m in mo if m.id}
    return [f"the .mo is not current for {m.id!r}" for m in po
            if m.id and not m.fuzzy and compiled.get(_key(m)) != _strings(m)]


def test_r25_template_holds_every_marked_string():
    problems = template_problems(_read(TEMPLATE), marked_in_code())
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all) — run README's catalog update"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_r25_catalog_complete_not_fuzzy_same_placeholders(lang):
    problems = catalog_problems(_read(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"), _read(TEMPLATE))
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_r25_compiled_catalog_is_current(lang):
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    with (folder / f"{DOMAIN}.mo").open("rb") as f:
        mo = read_mo(f)
    problems = mo_problems(_read(folder / f"{DOMAIN}.po"), mo)
    assert not problems, "\n".join(problems[:20]) + "\nrun: pybabel compile -d invoice_tui/locale -D invoice_tui"


def test_r25_no_marked_f_strings():
    pattern = re.compile(r"\b(?:_|N_|gettext|ngettext|pgettext)\(\s*f[\"']")
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "invoice_tui").rglob("*.py")
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not offenders, offenders


def test_r25_the_checks_fail_on_known_bad_catalogs():
    template = Catalog()
    template.add("Balance due")
    template.add("Invoice {number} is voided.")
    template.add(("{n} invoice", "{n} invoices"))
    assert template_problems(template, {("", "Balance due"), ("", "Record payment")}) == [
        "marked in the code, missing from the template: ('Record payment',)",
        "in the template, marked nowhere: ('Invoice {number} is voided.',)",
        "in the template, marked nowhere: ('{n} invoice', '{n} invoices')",
    ]
    bad = Catalog(locale="fr")
    bad.add("Balance due", "Solde dû", flags=["fuzzy"])
    bad.add("Invoice {number} is voided.", "La facture {numero} est annulée.")
    bad.add(("{n} invoice", "{n} invoices"), ("{n} facture", ""))
    assert catalog_problems(bad, template) == [
        "fuzzy: 'Balance due'",
        "placeholders differ: 'Invoice {number} is voided.' → 'La facture {numero} est annulée.'",
        "not translated: ('{n} invoice', '{n} invoices')",
    ]
    good = Catalog(locale="fr")
    good.add("Balance due", "Solde dû")
    buffer = io.BytesIO()
    write_mo(buffer, good)
    buffer.seek(0)
    stale = read_mo(buffer)
    good.add("Invoice {number} is voided.", "La facture {number} est annulée.")
    assert mo_problems(good, stale) == ["the .mo is not current for 'Invoice {number} is voided.'"]


# The words French invoicing software uses (a French accountant's vocabulary), for the English
# source words the product shows: (context, msgid) → the French expected.
FRENCH_VOCABULARY = {
    ("", "Invoice"): "Facture", ("", "Credit note"): "Avoir", ("", "Due date"): "Échéance",
    ("", "Balance due"): "Solde dû", ("", "Reminders"): "Relances", ("", "Record payment"): "Encaisser",
    ("", "Discount"): "Remise", ("", "VAT"): "TVA", ("", "Settings"): "Paramètres",
    ("status", "Open"): "À payer", ("status", "Paid"): "Payée", ("status", "Voided"): "Annulée",
    ("status", "Draft"): "Brouillon", ("status", "Overdue"): "En retard",
}


def vocabulary_problems(catalog: Catalog, vocabulary: dict) -> list[str]:
    problems = []
    for (context, msgid), wanted in vocabulary.items():
        m = catalog.get(msgid, context=context or None)
        if m is None or m.string != wanted:
            problems.append(f"{msgid!r} ({context or 'no context'}): {wanted!r} expected, not {getattr(m, 'string', None)!r}")
    return problems


def test_r25_french_speaks_an_accountants_vocabulary():
    assert vocabulary_problems(_read(LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{DOMAIN}.po"), FRENCH_VOCABULARY) == []
    known_bad = Catalog(locale="fr")
    known_bad.add("Balance due", "Balance due")
    assert vocabulary_problems(known_bad, {("", "Balance due"): "Solde dû"}) == [
        "'Balance due' (no context): 'Solde dû' expected, not 'Balance due'"]
