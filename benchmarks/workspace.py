"""Benchmark workspaces: built with the demo generator (timed: the "demo workspace" figure) or
reused, and opened as their super admin (the first user)."""

from __future__ import annotations

import resource
import time
from pathlib import Path

from benchmarks import rss_mb

ADMIN = "bench"


def url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def open_admin(path: str | Path):
    """(workspace, context) of the workspace's super admin (its first user)."""
    from invoice_tui.db.models import User
    from invoice_tui.domain.workspace import open_workspace

    ws = open_workspace(url(path), notice=lambda m: None)
    first = User.select(User.login).order_by(User.id).first()
    ctx = ws.context(first.login if first else ADMIN, source="cli")
    ensure_seller(ctx)
    return ws, ctx


SELLER = {"seller_legal_name": "Benchmark Seller Ltd", "seller_address": "1 Example Street",
          "seller_postcode": "EC1A 1BB", "seller_city": "London", "seller_country": "GB"}


def ensure_seller(ctx) -> None:
    """A scratch workspace gets a seller (finalizing needs one, R43); a demo workspace has its own."""
    from invoice_tui.domain.settings import load_settings
    from invoice_tui.domain.workspace import set_setting

    if not load_settings().seller_legal_name:
        for key, value in SELLER.items():
            set_setting(ctx, key, value)


def generate_part(params: dict) -> dict:
    """Child: fill a new workspace at ``path`` with ``invoices`` demo invoices."""
    from invoice_tui import demo

    path = Path(params["path"])
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    ws, ctx = open_admin(path)
    before = rss_mb()
    def children_cpu() -> float:  # the generator's worker processes, joined before generate() returns
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    t0, c0, k0 = time.perf_counter(), time.process_time(), children_cpu()
    summary = demo.generate(ctx, invoices=int(params["invoices"]), seed=int(params.get("seed", 7)))
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0 + children_cpu() - k0
    from invoice_tui.db.models import Invoice

    count = Invoice.select().count()
    return {"seconds": seconds, "cpu_seconds": cpu, "invoices": count, "rss_before_mb": before,
            "summary": {k: v for k, v in (summary or {}).items() if isinstance(v, (int, float, str))}}
