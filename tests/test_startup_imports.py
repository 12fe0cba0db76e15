"""Issue 16, cold start: peewee is imported without psycopg2 (``invoice_tui/__init__.py``), which a
SQLite workspace never needs, and ``invoice_tui.db.postgres_driver()`` hands it the driver when a
PostgreSQL workspace opens. These tests hold that hand-over to what peewee itself binds when it
is imported with psycopg2 installed, so a peewee release that binds more is noticed here (the
PostgreSQL suite then exercises the driver for real)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("psycopg2")

PROBE = r"""
import importlib.util, json, sys, types
import invoice_tui.db
import peewee
report = {"psycopg2_after_import": "psycopg2" in sys.modules, "driver_before": peewee.psycopg2 is not None}
invoice_tui.db.postgres_driver()
import psycopg2
# peewee as it is when imported with psycopg2 installed: a second copy of the module
spec = importlib.util.spec_from_file_location("peewee_reference", peewee.__file__)
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)

def from_psycopg2(value):
    if isinstance(value, types.ModuleType):
        return value.__name__.split(".")[0] == "psycopg2"
    return str(getattr(value, "__module__", "") or "").split(".")[0] == "psycopg2"

names = sorted(n for n, v in vars(reference).items() if from_psycopg2(v))
report["names"] = names
report["module_differs"] = [n for n in names if getattr(peewee, n, None) is not vars(reference)[n]]
ref_attrs = {k: v for k, v in vars(reference.Psycopg2Adapter).items() if not k.startswith("__") and not callable(v)}
report["adapter_attrs"] = sorted(ref_attrs)
report["adapter_differs"] = [k for k, v in ref_attrs.items() if getattr(peewee.Psycopg2Adapter, k, object()) != v]
print(json.dumps(report))
"""


def test_issue16_peewee_gets_the_postgres_driver_only_when_asked_and_as_it_would_bind_it():
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["psycopg2_after_import"] is False and report["driver_before"] is False
    assert "psycopg2" in report["names"] and "pg_extensions" in report["names"]  # the comparison saw them
    assert report["module_differs"] == []
    assert {"txn_idle", "txn_inerror", "txn_unknown"} <= set(report["adapter_attrs"])
    assert report["adapter_differs"] == []
