"""Issue 25: the invoice index in French at 80×24 — the headers, the status words and the status
line read whole (French words are longer; the widths follow the translated text), and the same
screen in English is unchanged. Snapshots of the index at 80×24 in ``fr`` and ``en``.
Update the snapshots with: pytest tests/tui/test_r25_index_fr.py --snapshot-update"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from index_helpers import dataset_app, settle  # noqa: E402
from tests.i18nkit import screen_text  # noqa: E402


@pytest.fixture
def french(monkeypatch):
    """The reader's locale is French (``LANG``, as ``LANG=fr_FR.UTF-8 invoice-tui``)."""
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _header(text: str) -> str:
    return next(line for line in _lines(text) if "Numéro" in line or "Number" in line)


def _status(text: str) -> str:
    lines = _lines(text)
    at = next(i for i, line in enumerate(lines) if re.search(r"\d+ (factures?|invoices?)\b", line))
    return "\n".join(lines[at:at + 2])


async def test_r25_index_reads_whole_in_french_at_80x24(sqlite_url, clock, french):
    app, _ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
    header = _header(text)
    for word in ("Numéro", "Contact", "Entreprise", "Facturé", "Solde dû", "Statut", "Échéance"):
        assert word in header, f"{word!r} not whole in the header:\n{text}"
    assert "…" not in header, f"a header is cut:\n{text}"
    for word in ("À payer", "Brouillon", "Payée", "Annulée", "En retard"):
        assert word in text, f"{word!r} not shown:\n{text}"
    status = _status(text)
    assert status.lstrip().startswith("8 factures · EUR facturé"), status
    assert "…" not in status, status
    assert "ligne 1 sur 8" in text
    for english in ("Number", "Status", "invoices", "billed", "Open", "Overdue", "Search", "Filters"):
        assert not re.search(rf"\b{english}\b", text), f"{english!r} left in English:\n{text}"


async def test_r25_index_status_line_counts_in_french(sqlite_url, clock, french):
    """ngettext: "1 facture", "8 factures"; a search says what it matched."""
    app, _ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.set_search("INV-1006")
        await settle(pilot)
        text = screen_text(app)
    assert "1 facture correspondant à « INV-1006 »" in text, text


async def test_r25_index_in_english_is_unchanged(sqlite_url, clock):
    app, _ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
    assert "Number" in _header(text) and "Status" in _header(text)
    assert _status(text).lstrip().startswith("8 invoices · EUR billed"), text
    assert "row 1 of 8" in text


def _nothing_cut(app) -> None:
    text = screen_text(app)
    assert "…" not in _header(text), text
    assert "…" not in _status(text), text


def test_r25_index_snapshot_fr_80x24(snap_compare, sqlite_url, clock, french):
    app, _ = dataset_app(sqlite_url, clock)

    async def run_before(pilot):
        await settle(pilot)
        _nothing_cut(pilot.app)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_r25_index_snapshot_en_80x24(snap_compare, sqlite_url, clock):
    app, _ = dataset_app(sqlite_url, clock)

    async def run_before(pilot):
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "…" not in _status(text), text  # English headers were already fitted by issue 24's rules

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_r25_palette_in_french_goes_to_an_invoice(sqlite_url, clock, french):
    """ctrl+p in French: the placeholder, the index's commands, and "Aller à la facture …" found by
    French words as well as by the number."""
    from test_invoice_support import settle as settle_all

    app, _ids = dataset_app(sqlite_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle_all(pilot, app)
        text = screen_text(app)
        assert "Rechercher une commande…" in text, text
        for ch in "nouvelle":  # the discovery list shows a few commands: the index's are found by typing
            await pilot.press(ch)
        await pilot.pause(0.5)
        await settle_all(pilot, app)
        assert "Factures : nouvelle facture" in screen_text(app), screen_text(app)
        for _ch in "nouvelle":
            await pilot.press("backspace")
        for ch in "facture 1006":
            await pilot.press(ch)
        await pilot.pause(0.5)
        await settle_all(pilot, app)
        text = screen_text(app)
    assert "Aller à la facture INV-1006" in text, text
