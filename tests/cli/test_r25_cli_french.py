"""Issue 25 for the headless CLI: every ``--help`` and the human output speak French under
``LANG=fr_FR.UTF-8``.

The check that cannot be fooled walks the whole parser (``cli.build_parser()``) under the
pseudo-locale of tests/i18nkit.py, where every catalog entry is wrapped in ⟦…⟧: any word of a
``--help`` left outside the markers was never marked for translation, unless it is a command name,
an option, a metavar, a choice or data (property ids, file formats, URLs). A deliberately unmarked
help string is caught (the known-bad case). Then a few commands run in French for real.
"""

from __future__ import annotations

import argparse
import re

import pytest

from tests import i18nkit
from tests.clikit import Cli

# Words that are data or technical names in any language: file formats, protocols, standards,
# product and provider names, SQL words, units and codes a help text quotes.
TECHNICAL = {
    "csv", "xlsx", "json", "ndjson", "pdf", "xml", "html", "tcss", "toml", "zip", "sqlite", "postgresql", "sql",
    "http", "https", "smtp", "smtps", "tls", "ssh", "url", "iso", "utf", "eur", "usd", "gbp", "en", "fr", "de", "es",
    "cii", "ubl", "ubl", "facturx", "factur", "zugferd", "xrechnung", "peppol", "chorus", "stripe", "cron", "systemd",
    "siren", "siret", "luhn", "cgi", "yyyy", "mm", "dd", "hh", "utc", "pg", "dump", "psql", "select", "where",
    "platformdirs", "textual", "tmux", "tty", "stdin", "stdout", "stderr", "env", "bt", "ae", "kwh", "hur", "ece",
    "un", "rec", "ctrl", "example", "com", "localhost", "webhooks", "webhook", "token",
}


def _parsers(parser: argparse.ArgumentParser, path=()):
    """``(path, parser)`` for the parser and every sub-parser under it, depth first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if sub is not parser:
                    yield from _parsers(sub, (*path, name))


def _tokens(parser: argparse.ArgumentParser) -> set[str]:
    """What a help shows that is not prose: command names, option strings, metavars, choices,
    defaults, property ids."""
    from invoice_tui.domain.catalogue import PROPERTIES

    found = {p.id for p in PROPERTIES}
    for _path, p in _parsers(parser):
        found.update(p.prog.split())
        for action in p._actions:
            found.update(action.option_strings)
            for value in (action.metavar, action.dest, action.default):
                if isinstance(value, str):
                    found.add(value)
                elif isinstance(value, tuple):
                    found.update(v for v in value if isinstance(v, str))
            if action.choices:
                found.update(str(c) for c in action.choices)
    return found


_OPTION = re.compile(r"(?<![\w⟦])--?[A-Za-z][\w-]*")
_URLISH = re.compile(r"\b[\w+.-]+://\S*|\S+@\S+|\S+\.(?:pdf|csv|xlsx|xml|toml|json|tcss|sql|zip)\b|\b\w+_\w+\b")


def _bare_words(text: str, tokens: set[str]) -> list[str]:
    """The words of a rendered help outside ⟦…⟧ that are not tokens nor technical words."""
    innermost = re.compile(f"{i18nkit.OPEN}[^{i18nkit.OPEN}{i18nkit.CLOSE}]*{i18nkit.CLOSE}")
    previous = None
    while previous != text:  # marked, over lines too; innermost first (argparse's sentence inside ours)
        previous, text = text, innermost.sub(" ", text)
    text = _URLISH.sub(" ", _OPTION.sub(" ", text))
    words = i18nkit.unmarked_words(text, tokens)
    return [w for w in words if w.casefold() not in TECHNICAL]


def _french_parser(pseudo: bool = True):
    from invoice_tui import cli

    if pseudo:
        i18nkit.use_pseudo_locale()
    return cli._parser()


@pytest.fixture(autouse=True)
def _unwrapped(monkeypatch):
    """Help text unwrapped (argparse wraps at $COLUMNS): a marked sentence stays on one line."""
    monkeypatch.setenv("COLUMNS", "100000")


def _helps(parser):
    for path, p in _parsers(parser):
        yield " ".join(path) or "invoice-tui", p.format_help()


def test_every_help_is_marked_for_translation():
    """invoice-tui --help, every group's --help and every subcommand's --help: no word outside
    ⟦…⟧ but commands, options, metavars and data."""
    parser = _french_parser()
    tokens = _tokens(parser)
    failures = {}
    count = 0
    for where, text in _helps(parser):
        count += 1
        bare = _bare_words(text, tokens)
        if bare:
            failures[where] = (sorted(set(bare)), text)
    assert count > 100  # every group and every subcommand was rendered
    assert not failures, "\n\n".join(f"{w}: {b}\n{t}" for w, (b, t) in failures.items())


def test_an_unmarked_help_string_is_caught():
    """Known-bad: a help text written without _() shows up bare under the pseudo-locale."""
    parser = _french_parser()
    tokens = _tokens(parser)
    invoices = next(sub for path, sub in _parsers(parser) if path == ("invoices", "list"))
    invoices.add_argument("--hide-late", action="store_true", help="hide bills settled late")
    bare = _bare_words(invoices.format_help(), tokens)
    assert {"hide", "bills", "settled", "late"} <= {w.casefold() for w in bare}, bare
    from invoice_tui import cli

    cli._built_parser.cache_clear()  # the tampered parser is not kept for other tests


def test_the_usage_errors_are_marked():
    """argparse's own sentences (a missing argument, an unknown choice) are in the catalog too."""
    from invoice_tui.domain.errors import BadInput

    parser = _french_parser()
    for argv in (["invoices", "show"], ["invoices", "list", "--limit", "many"], ["payments", "add", "--source", "x"]):
        with pytest.raises(BadInput) as caught:
            parser.parse_args(argv)
        text = caught.value.message
        assert i18nkit.OPEN in text
        assert _bare_words(text, _tokens(parser) | {"many", "x"}) == [], text


# ---- French for real -----------------------------------------------------------------------------
@pytest.fixture
def french(monkeypatch):
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    yield
    from invoice_tui import cli

    cli._built_parser.cache_clear()


def _run(argv, capsys):
    from invoice_tui.cli import main

    capsys.readouterr()
    code = main(argv)
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def test_top_help_in_french(french, capsys):
    with pytest.raises(SystemExit):
        _run(["--help"], capsys)
    out = capsys.readouterr().out
    assert "utilisation" in out and "afficher cette aide et quitter" in out, out
    assert "factures" in out and "show this help" not in out and "usage:" not in out


def test_invoices_help_in_french(french, capsys):
    with pytest.raises(SystemExit):
        _run(["invoices", "--help"], capsys)
    out = capsys.readouterr().out
    assert "créer, modifier, valider" in out.lower(), out
    assert "list invoices" not in out


@pytest.fixture
def fr_cli(sqlite_url, capsys, french):
    cli = Cli(sqlite_url, capsys, user="ann")
    cli("settings", "set", "locale", "fr_FR")
    cli.ok("contacts", "add", "--email", "ada@example.com", "--first-name", "Ada", "--last-name", "Lovelace")
    return cli


def test_invoices_list_and_show_in_french(fr_cli):
    created = fr_cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com",
                        "--line", "Conseil;2;100;20")
    assert created.startswith("Créée : brouillon n° 1 (brouillon) : "), created
    assert fr_cli.ok("invoices", "finalize", "1").startswith("Brouillon n° 1 validé")
    listing = fr_cli.ok("invoices", "list")
    assert listing.splitlines()[0].split()[:4] == ["Id", "Numéro", "Statut", "Contact"], listing
    assert "à payer" in listing and "1 facture" in listing, listing
    shown = fr_cli.ok("invoices", "show", "1")
    for word in ("Facture", "Statut", "Devise", "Échéance", "Prix unitaire", "Solde dû", "Montant facturé"):
        assert word in shown, shown
    assert "Balance due" not in shown and "Unit price" not in shown


def test_payment_record_and_refusal_in_french(fr_cli):
    fr_cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--line", "Conseil;1;100",
              "--allow-partial")
    fr_cli.ok("invoices", "finalize", "1")
    recorded = fr_cli.ok("payments", "record", "1", "--amount", "40")
    assert recorded.startswith("Paiement n° 1 de 40,00"), recorded
    assert "solde dû" in recorded and "Recorded" not in recorded
    listing = fr_cli.ok("payments", "list")
    assert listing.splitlines()[0].split()[:3] == ["Id", "Date", "Montant"], listing
    refused = fr_cli("payments", "record", "99", "--amount", "1")
    assert refused.code == 3
    assert "; consultez : invoice-tui invoices list." in refused.err, refused.err
    bad = fr_cli("invoices", "edit", "1")
    assert bad.code in (1, 2) and bad.err.startswith("invoice-tui: "), bad.err
    usage = fr_cli("payments", "record", "1")
    assert usage.code == 2 and "ces arguments sont requis : --amount" in usage.err, usage.err


def test_json_output_stays_the_interface(fr_cli):
    fr_cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--line", "Conseil;1;100")
    data = fr_cli.ok("invoices", "list", as_json=True)
    assert data[0]["status"] == "draft" and "balance_due" in data[0]


def test_human_output_is_marked_for_translation(sqlite_url, capsys, monkeypatch):
    """The human output of the everyday commands under the pseudo-locale: every word is in ⟦…⟧
    but data (names, amounts, dates, numbers, stored codes such as a payment's method)."""
    from invoice_tui import i18n

    monkeypatch.setattr(i18n, "use_language", lambda locale_name: i18nkit.use_pseudo_locale() or i18nkit.PSEUDO)
    cli = Cli(sqlite_url, capsys, user="ann")
    data = {"Ada", "Lovelace", "ada@example.com", "Conseil", "ann", "EUR", "INV", "other", "manual", "succeeded",
            "allow_partial", "title", "draft", "created", "cli", "Draft", "Nouveau"}
    outputs = [
        cli.ok("contacts", "add", "--email", "ada@example.com", "--first-name", "Ada", "--last-name", "Lovelace"),
        cli.ok("invoices", "create", "--currency", "EUR", "--contact", "ada@example.com", "--line", "Conseil;2;100;20",
               "--allow-partial"),
        cli.ok("invoices", "edit", "1", "--title", "Nouveau"),
        cli.ok("invoices", "list"),
        cli.ok("invoices", "show", "1"),
        cli.ok("payments", "list"),
        cli.ok("contacts", "list"),
        cli.ok("credit-notes", "list"),
        cli.ok("reports", "aging"),
        cli.ok("outbox", "list"),
    ]
    assert i18nkit.OPEN in outputs[4] and "Solde" not in outputs[4]  # rendered in the pseudo-locale
    for text in outputs:
        assert _bare_words(text, data) == [], text
