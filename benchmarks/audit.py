"""The audit figure (R54): ``invoice-tui audit verify`` — both hash chains walked and every object
replayed against its history — on a fresh demo workspace, with its peak memory. The baseline is a
raw read of the same history with sqlite3 (every row of both chains fetched, nothing checked)."""

from __future__ import annotations

import sqlite3
import time


def run(params: dict) -> dict:
    from invoice_tui.domain import audit
    from invoice_tui.domain.workspace import open_workspace

    path = params["path"]
    ws = open_workspace(f"sqlite:///{path}", notice=lambda m: None)
    try:
        start = time.perf_counter()
        report = audit.verify()
        seconds = time.perf_counter() - start
    finally:
        ws.db.close()
    return {"seconds": seconds, "ok": report.ok, "findings": report.findings_total,
            "rows": sum(c.rows for c in report.chains)}


def raw(params: dict) -> dict:
    start = time.perf_counter()
    rows = 0
    with sqlite3.connect(params["path"]) as conn:
        for table in ("property_change", "activity"):
            for _row in conn.execute(f"SELECT * FROM {table} ORDER BY id"):
                rows += 1
    return {"seconds": time.perf_counter() - start, "rows": rows}
