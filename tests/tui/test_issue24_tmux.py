"""Issue 24's "Done when", on the installed binary in a real terminal (tmux), on a demo workspace
of 2,000 invoices in four currencies, at 80×24 and 120×40: the index's amounts and due dates
are complete (each matched against ``invoices list --json``), a name is cut only with "…",
every currency's total is reachable; an invoice page's figures and panel values are whole and
its history reads one event a row; the export and filter dialogs are fully visible."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests.tui.test_r55_tmux import BINARY, Tmux

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

LOCALE = "en_US"
NUMBER = r"\b(?:INV|CN)-\d+\b"
_DEMO: dict[str, tuple[Path, dict]] = {}


def _demo(tmp_path_factory) -> tuple[Path, dict]:
    """One demo workspace per test process (2,000 invoices), and its invoices by number."""
    if "demo" not in _DEMO:
        path = tmp_path_factory.mktemp("issue24") / "demo.db"
        url = f"sqlite:///{path}"
        subprocess.run([str(BINARY), "--db", url, "demo", "--invoices", "2000"], check=True, capture_output=True,
                       timeout=300)
        out = subprocess.run([str(BINARY), "--db", url, "invoices", "list", "--json", "--limit", "3000"],
                             check=True, capture_output=True, text=True, timeout=300).stdout
        listed = json.loads(out)
        _DEMO["demo"] = (path, {r["number"]: r for r in listed if r["number"]})
        _DEMO["drafts"] = [r for r in listed if r["status"] == "draft"]
    return _DEMO["demo"]


def _figures(rec: dict) -> tuple[str, str, str]:
    sign = -1 if rec["type"] == "credit_note" else 1
    return (_money(rec["amount_billed"], rec["currency"], sign), _money(rec["balance_due"], rec["currency"], sign),
            _due(rec["due_date"]))


def _show(db: Path, number: str, records: dict, full: bool = False) -> dict:
    """The record as `invoices show --json` gives it (credit notes too); ``full``: with its lines,
    which the list's records do not hold."""
    if number not in records or (full and "lines" not in records[number]):
        out = subprocess.run([str(BINARY), "--db", f"sqlite:///{db}", "invoices", "show", number, "--json"],
                             check=True, capture_output=True, text=True, timeout=60).stdout
        records[number] = json.loads(out)
    return records[number]


def _money(amount: str, currency: str, sign: int = 1) -> str:
    from invoice_tui.domain.money import format_money

    return format_money(sign * Decimal(amount), currency, LOCALE)


def _due(iso: str | None) -> str:
    from invoice_tui.domain.localize import short_date

    return short_date(dt.date.fromisoformat(iso), LOCALE) if iso else ""


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_issue24_demo_in_tmux_reads_whole(tmp_path, tmp_path_factory, size):
    db, records = _demo(tmp_path_factory)
    assert len({r["currency"] for r in records.values()}) == 4
    work = tmp_path / "ws.db"
    shutil.copyfile(db, work)
    tmux = Tmux(tmp_path)
    env = {"LC_ALL": f"{LOCALE}.UTF-8", "INVOICE_TUI_CONFIG": str(tmp_path / "none.toml"),
           "PYTHONPATH": ":".join(p for p in sys.path if p)}
    try:
        tmux.start([str(BINARY), "--db", f"sqlite:///{work}"], env)
        tmux("resize-window", "-t", "app", "-x", str(size[0]), "-y", str(size[1]))
        screen = tmux.wait_for("row 1 of ", "billed")
        # -- the index: every amount and due date whole, names cut only with "…"
        rows = [line for line in screen.splitlines() if re.search(NUMBER, line)]
        drafts = [line for line in screen.splitlines() if re.match(r"[ ›] +— ", line)]  # no number yet
        assert len(rows) + len(drafts) >= size[1] - 10 and len(rows) >= 3, screen
        for line in drafts:  # a draft's figures whole: those of one of the demo's drafts
            assert any(all(f in line for f in _figures(rec)) for rec in _DEMO["drafts"]), line
        for line in rows:
            number = re.search(NUMBER, line).group(0)
            rec = _show(db, number, records)
            for figure in _figures(rec):
                assert figure in line, (figure, line)
            name = rec["contact_name"] or ""
            if name and name not in line:
                assert any(name[:k].rstrip() + "…" in line for k in range(len(name), 2, -1)), (name, line)
        # -- every currency's total reachable (t shows the next ones)
        seen = set()
        for _ in range(4):
            seen |= set(re.findall(r"\b([A-Z]{3}) billed ", tmux.screen()))
            tmux("send-keys", "-t", "app", "t")
            tmux.wait_for("billed")
        assert len(seen) == 4, seen
        # -- an invoice page: the panel's figures and values whole, the history one event a row
        top = re.search(NUMBER, rows[0]).group(0)
        rec = _show(db, top, records, full=True)
        tmux("send-keys", "-t", "app", "Enter")
        page = tmux.wait_for("[1] About", "Number ")
        panel = [line.split("▏", 1)[1] for line in page.splitlines() if "▏" in line]
        values = {p.split()[0]: p for p in panel if p.strip()}
        # the amount whole in the page's header line ("Balance … of …", "Credits INV-…: −…") and
        # wherever the panel shows it; the due date where the panel shows it (a long name or e-mail
        # wraps over several rows, pushing the card's later rows below its fold)
        billed = _money(rec["amount_billed"], rec["currency"])
        header = page.splitlines()[1]
        assert billed in header, page
        label = "Total credited" if rec["type"] == "credit_note" else "Amount billed"
        assert all(billed in p for p in panel if label in p), page
        if rec["due_date"]:
            assert all(_due(rec["due_date"]) in p for p in panel if "Due date" in p), page
        about = panel[next(i for i, p in enumerate(panel) if "[1] About" in p):
                      next((i for i, p in enumerate(panel) if "[2] Payments" in p), len(panel))]
        assert len(about) > 5 and not any("…" in p for p in about), page  # labels and values whole
        # the document, a page at a time, until every line's row was on screen (it is drawn after the
        # panel: on a loaded machine the first screens may show none of it yet), bounded
        document, screen, deadline = [], page, time.monotonic() + 60
        while True:
            document += [line.split("▏", 1)[0] for line in screen.splitlines()]
            if time.monotonic() > deadline or all(any(f"• {ln['name']} " in row for row in document)
                                                  for ln in rec["lines"]):
                break
            tmux("send-keys", "-t", "app", "PageDown")
            time.sleep(0.5)
            screen = tmux.screen()
        for ln in rec["lines"]:  # each line's net whole, on its row
            rows_ = [row for row in document if f"• {ln['name']} " in row]
            assert rows_ and all(_money(ln["net"], rec["currency"]) in row for row in rows_), (ln, document)
        tmux("send-keys", "-t", "app", "Home")
        assert values
        tmux("send-keys", "-t", "app", "5")
        history = tmux.wait_for("History", "created")
        assert top in history, history
        card = [line.split("▏", 1)[1] for line in history.splitlines() if "▏" in line]
        card = card[next(i for i, p in enumerate(card) if "History" in p):]
        rows_ = [p for p in card if p.strip() != "Search history…"]  # the search field's placeholder
        assert len(rows_) > 3 and not any("…" in p for p in rows_), history  # no history row cut
        tmux("send-keys", "-t", "app", "Escape")
        tmux.wait_for("row 1 of ")
        # -- the export dialog, fully visible
        tmux("send-keys", "-t", "app", "x")
        dialog = tmux.wait_for("Destination folder")
        for label in ("Export name", "Format", "Column headers", "Properties", "Include the names of associated",
                      "Line items", "Destination folder", "Cancel", "Export ctrl+e"):
            assert label in dialog, dialog
        tmux("send-keys", "-t", "app", "Escape")
        tmux.wait_for("row 1 of ")
        # -- the filter sidebar, fully visible
        tmux("send-keys", "-t", "app", "f")
        sidebar = tmux.wait_for("Filters", "+ Add filter")
        for label in ("Property", "Operator", "+ Add filter", "+ Add filter group", "Clear all"):
            assert label in sidebar, sidebar
    finally:
        tmux.kill()
