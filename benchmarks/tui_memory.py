"""Peak RSS of the TUI after scrolling the whole index (headless Pilot, 120×40).

Scrolling a million rows a screen at a time would take 25,000 repaints (about half an hour under
Pilot here), so the walk is: ``JUMPS`` jumps spread evenly from the first row to the last (each
one an OFFSET anchor + keyset page fetch, waiting until the rows on screen are painted, as a
scrollbar drag does), then ``PAGES`` page-downs from the middle — every part of the index is
visited and the table's LRU of pages is filled and recycled many times over. Measured at N and
at N/10: the peak must stay under the target and not grow with N.
"""

from __future__ import annotations

import asyncio

from benchmarks import rss_mb

JUMPS = 300
PAGES = 100


def run(params: dict) -> dict:
    from invoice_tui.app import make_app
    from invoice_tui.widgets.invoice_table import InvoiceTable
    from benchmarks.workspace import open_admin

    ws, ctx = open_admin(params["path"])
    app = make_app(workspace=ws, context=ctx)
    jumps, pages = int(params.get("jumps", JUMPS)), int(params.get("pages", PAGES))

    async def main() -> dict:
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.screen.query_one(InvoiceTable)
            while table.total is None or table.row_at(0) is None:
                await asyncio.sleep(0.01)
            table.focus()
            await pilot.pause()
            start_rss = rss_mb()

            async def painted() -> None:
                await pilot.pause()
                while True:
                    top = int(table.scroll_offset.y)
                    if all(table.row_at(i) is not None
                           for i in range(top, min(top + table.body_height, table.total))):
                        break
                    await asyncio.sleep(0.002)
                await pilot.pause()

            total = table.total
            visited = 0
            for k in range(jumps + 1):
                table.move_to(round(k * (total - 1) / max(jumps, 1)))
                await painted()
                visited += 1
            table.move_to(total // 2)
            await painted()
            for _ in range(pages):
                await pilot.press("pagedown")
                await painted()
            return {"rows": total, "jumps": visited, "pagedowns": pages, "rss_after_start_mb": start_rss,
                    "rss_end_mb": rss_mb(), "cached_pages": len(table._pages)}

    return asyncio.run(main())
