"""The export services never import textual (STYLE: the UI is a client of the services)."""

from __future__ import annotations

import subprocess
import sys


def test_exports_package_does_not_import_textual():
    code = ("import sys, invoice_tui.exports.service, invoice_tui.exports.writers, invoice_tui.exports.columns, "
            "invoice_tui.exports.labels, invoice_tui.db.export_models, invoice_tui.cli.export; "
            "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
