"""The services never import textual: domain, db, documents, exports, mail and web are usable
headless (CLI, web page, mail sender) and testable without a terminal (STYLE "The UI is a client
of the services")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE_PACKAGES = ("domain", "db", "documents", "exports", "mail", "web")

PROBE = r"""
import importlib, json, pkgutil, sys
packages = sys.argv[1:]
imported, culprits, failures = [], {}, {}
for pkg in packages:
    root = importlib.import_module("invoice_tui." + pkg)
    names = [root.__name__] + [m.name for m in pkgutil.walk_packages(root.__path__, root.__name__ + ".")]
    for name in names:
        had = any(m == "textual" or m.startswith("textual.") for m in sys.modules)
        try:
            importlib.import_module(name)
        except Exception as exc:  # reported: a module that cannot even be imported headless
            failures[name] = f"{type(exc).__name__}: {exc}"
            continue
        imported.append(name)
        if not had and any(m == "textual" or m.startswith("textual.") for m in sys.modules):
            culprits[name] = sorted(m for m in sys.modules if m.split(".")[0] == "textual")[:5]
textual = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(json.dumps({"imported": imported, "textual": textual, "culprits": culprits, "failures": failures}))
"""


def _probe(packages) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, *packages], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_services_never_import_textual():
    result = _probe(SERVICE_PACKAGES)
    assert not result["failures"], result["failures"]
    assert result["textual"] == [], f"textual was imported by: {result['culprits']}"
    for pkg in SERVICE_PACKAGES:  # the walk really saw every package (and their modules)
        assert f"invoice_tui.{pkg}" in result["imported"]
    assert "invoice_tui.domain.invoices" in result["imported"]
    assert "invoice_tui.db.models" in result["imported"]


def test_the_probe_would_notice_textual():
    """The same probe on the UI packages does see textual (so the check above is not vacuous)."""
    result = _probe(("screens",))
    assert "textual" in result["textual"]
