"""``invoice-tui demo [--invoices N] [--seed S] [--today YYYY-MM-DD]`` — fill an empty workspace
with realistic data; the same seed and --today give the same workspace."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from invoice_tui.cli._common import add_common_json, pairs, session
from invoice_tui.domain.context import Context, fixed_clock
from invoice_tui.domain.errors import BadInput


def _today(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            return dt.date.fromisoformat(text.strip())
    except ValueError:
        pass
    raise BadInput(f"--today takes a date written YYYY-MM-DD, such as 2026-03-31, not '{text}'.", field="today")


def pin_today(ctx: Context, today: dt.date) -> None:
    """Make ``ctx``'s clock stand still at noon of ``today`` in the workspace's time zone (so
    ``ctx.today()`` is ``today`` in every zone), as naive UTC like the real clock."""
    local_noon = dt.datetime.combine(today, dt.time(12), tzinfo=ZoneInfo(ctx.timezone or "UTC"))
    ctx.now = fixed_clock(local_noon.astimezone(dt.timezone.utc).replace(tzinfo=None))


def _demo(args, out) -> int:
    from invoice_tui import demo

    today = _today(args.today)
    with session(args) as (_ws, ctx):
        if today is not None:
            pin_today(ctx, today)
        summary = demo.generate(ctx, invoices=args.invoices, seed=args.seed, progress=None)
        out.result(summary, lambda: "Demo workspace ready.\n" + pairs(
            [(str(k).replace("_", " ").capitalize(), v) for k, v in (summary or {}).items()]))
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="fill an empty workspace with demo data",
                              description="Fill an empty workspace with realistic, deterministic demo data "
                                          "(EUR/USD/GBP/JPY; drafts, open, partly paid, paid, overdue, voided). "
                                          "Refuses a workspace that already has data; you become its super admin. "
                                          "The same --seed and --today give the same invoices, numbers, amounts, "
                                          "names and dates.")
    add_common_json(p)
    p.add_argument("--invoices", type=int, default=200, metavar="N", help="number of invoices (default 200)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--today", metavar="YYYY-MM-DD", default=None,
                   help="the date the demo is generated as of (default: the real today); every date and time "
                        "in the demo derives from it")
    p.set_defaults(handler=_demo)
