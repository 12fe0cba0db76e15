"""Issue 16, cold start: nothing is imported before the index's first paint unless the first paint
needs it. pydantic (~0.1 s to import) validates what users type and what the writing services
take; the first paint reads settings, saved views and filters, which are plain dataclasses, so it
must not load pydantic. Nor does a SQLite workspace load the PostgreSQL driver (psycopg2, which
peewee would import with itself) or playhouse's migrator (only when a migration is pending).
Structural, not timed: a fresh process opens the real app headless and reports which modules are
loaded when the first invoice row is drawn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from index_helpers import dataset_app  # noqa: E402
from invoice_tui.domain import views  # noqa: E402
from invoice_tui.domain.filters import Filter, FilterGroup, FilterSet  # noqa: E402
from invoice_tui.domain.workspace import open_workspace, set_setting  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import gc, json, os, sys
from invoice_tui.startup import pause_gc

pause_gc()  # as invoice-tui (cli.run_tui) does
from invoice_tui.app import make_app
from invoice_tui.widgets import invoice_table
from invoice_tui.screens.index import IndexScreen

if len(sys.argv) > 4:  # a busy machine may take longer than the deadline to paint: that path is not probed
    IndexScreen.FIRST_PAINT_DEADLINE = float(sys.argv[4])
app = make_app(db_url=sys.argv[1], user=sys.argv[2])
original = invoice_table.InvoiceTable.render_line
seen = {}

def report(screen):
    tabs = len(screen.query("Tab"))
    if (tabs < int(sys.argv[3]) or not screen.query("Footer")) and not seen.get("gave_up"):
        return  # the saved views' tabs and the footer come after the first rows; wait for them too
    print(json.dumps({**seen, "after_views": sorted(sys.modules), "tabs": tabs, "gc_after": gc.isenabled(),
                      "frozen": gc.get_freeze_count()}), flush=True)
    os._exit(0)

def first_paint(table):
    seen["modules"] = sorted(sys.modules)
    table.screen.set_interval(0.05, lambda: report(table.screen))
    table.screen.set_timer(20, lambda: seen.update(gave_up=True))

def render_line(self, y):
    strip = original(self, y)
    if "number" not in seen and y >= 1 and self.total:
        row = self.row_at(int(self.scroll_offset.y) + y - 1)
        if row is not None:
            seen["number"] = row.cells[0]
            seen["gc_at_first_paint"] = gc.isenabled()  # as the row is drawn (the index may resume it before first_paint runs)
            self.call_after_refresh(first_paint, self)
    return strip

invoice_table.InvoiceTable.render_line = render_line
app.run(headless=True, size=(120, 40))
print(json.dumps({"number": None, "modules": sorted(sys.modules), "after_views": [], "tabs": 0}), flush=True)
"""


def _first_paint_modules(url: str, user: str, tabs: int, deadline: float | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TEXTUAL_ANIMATIONS": "none"}
    extra = [] if deadline is None else [str(deadline)]
    proc = subprocess.run([sys.executable, "-c", PROBE, url, user, str(tabs), *extra], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_issue16_first_paint_imports_neither_pydantic_nor_the_postgres_driver(sqlite_url, clock):
    app, _ids = dataset_app(sqlite_url, clock)  # the index's known dataset, copied for this test
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    try:
        admin = ws.context("alice", source="test", now=clock)
        # stored settings of each type and a saved view with filters: the first paint reads them back
        set_setting(admin, "payment_terms_days", "14")
        set_setting(admin, "allow_delete_unpaid", "true")
        set_setting(admin, "seller_name", "Ada & Co")
        views.create_view(admin, "Open ones", filters=FilterSet(groups=[FilterGroup(filters=[
            Filter(property="status", operator="any_of", values=["open"])])]))
        tabs = 1 + len(views.list_views(admin))  # "All invoices" and every saved view (read back from storage)
    finally:
        ws.db.close()

    result = _first_paint_modules(sqlite_url, "alice", tabs)
    modules = set(result["modules"])
    assert result["number"] and result["number"].startswith("INV-"), result["number"]  # a row was painted
    # the modules that once brought pydantic in were all on the way to the first row ...
    for name in ("invoice_tui.domain.filters", "invoice_tui.domain.views", "invoice_tui.domain.settings",
                 "invoice_tui.screens.index"):
        assert name in modules, name
    # ... and pydantic is not, nor the PostgreSQL driver, nor playhouse's migrator, nor team mode's roles
    for package in ("pydantic", "pydantic_core", "psycopg2", "playhouse", "invoice_tui.db.team"):
        assert not {m for m in modules if m == package or m.startswith(package + ".")}, package
    # the saved views' tabs, read right after the first rows, do not bring pydantic either
    assert result["tabs"] == tabs, result["tabs"]
    assert not {m for m in result["after_views"] if m.split(".")[0] in ("pydantic", "pydantic_core")}


def test_issue16_the_garbage_collector_waits_for_the_first_paint(sqlite_url, clock):
    """invoice-tui pauses Python's cyclic collector for the start-up (invoice_tui/startup.py); the
    index resumes it once its first rows are on screen, the start-up's objects frozen first."""
    dataset_app(sqlite_url, clock)
    # the one-second deadline (for a slow first load) is pushed out of reach: the first paint must resume it
    result = _first_paint_modules(sqlite_url, "alice", 1, deadline=120)
    assert result["number"], "no row was painted"
    assert result["gc_at_first_paint"] is False
    assert result["gc_after"] is True and result["frozen"] > 10_000


def test_issue16_the_probe_would_notice_pydantic():
    """Validating a view's filters given as data (a write) does load pydantic: the check above is
    not vacuous."""
    code = ("import sys\nfrom invoice_tui.domain.filters import FilterSet\n"
            "assert 'pydantic' not in sys.modules\n"
            "FilterSet.validate({'groups': []})\nprint('pydantic' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"
