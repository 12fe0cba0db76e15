"""``python -m benchmarks.child PART PARAMS_JSON``: one measured part of a figure, in its own
process (so its peak RSS is its own). Prints one ``BENCHMARK-RESULT {json}`` line."""

from __future__ import annotations

import importlib
import json
import sys

from benchmarks import emit

PARTS = {
    "demo": "benchmarks.workspace:generate_part",
    "index_reads": "benchmarks.index_reads:run",
    "export_app": "benchmarks.exports:app_part",
    "export_raw": "benchmarks.exports:raw_part",
    "pdf": "benchmarks.pdf:run",
    "einvoice": "benchmarks.einvoice:run",
    "keys_app": "benchmarks.keys:app_part",
    "keys_baseline": "benchmarks.keys:baseline_part",
    "tui_memory": "benchmarks.tui_memory:run",
    "live": "benchmarks.live:run",
    "finalize_setup": "benchmarks.finalize:setup_part",
    "finalize_worker": "benchmarks.finalize:worker_part",
    "finalize_check": "benchmarks.finalize:check_part",
    "json_app": "benchmarks.paths:json_app",
    "json_raw": "benchmarks.paths:json_raw",
    "export_tui": "benchmarks.paths:export_tui",
    "export_cli": "benchmarks.paths:export_cli",
    "search_count": "benchmarks.paths:search_count",
    "audit": "benchmarks.audit:run",
    "audit_raw": "benchmarks.audit:raw",
    "reports": "benchmarks.reports:run",
    "import_setup": "benchmarks.imports:setup_part",
    "import_app": "benchmarks.imports:app_part",
    "import_raw": "benchmarks.imports:raw_part",
}


def main(argv: list[str]) -> int:
    name, params = argv[0], json.loads(argv[1] if len(argv) > 1 else "{}")
    module, func = PARTS[name].split(":")
    result = getattr(importlib.import_module(module), func)(params)
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
