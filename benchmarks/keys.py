"""Keypress latency in the index (headless Pilot, 120×40).

Method: for each key, ``PRESSES`` presses measured as ``await pilot.press(key)`` +
``await pilot.pause()`` (and, when the key moved to rows not fetched yet, until they are painted),
each minus the same for a no-op binding (``f12``; Pilot alone costs 40–65 ms a key here) pressed
just before it; the figure is the median of these differences.

Each press is timed with two clocks. The figure uses the process's CPU time (``process_time``:
every thread, so the page fetches a key starts count too): Pilot decides that a key is done by
polling for an idle process every 20 ms, so its wall time comes in steps of 20 ms — a key that
costs 1 ms and one that costs 15 ms both read "one more step", and a full-screen repaint reads 0
or 20 ms depending on the load. The CPU time of the same press + pause measures the work the key
caused, to the microsecond, on both sides alike. The wall-clock medians are reported too
(``wall``).

- ``down``: cursor moves within the screen — runs of 30 downs from the top row (the run's reset,
  Home, is not measured);
- ``pagedown``: page after page from the top (back to the top, unmeasured, at the end);
- ``end`` and ``home``: alternately, each measured.

Baseline, same method: an app whose only widget is a full-screen ``Static``; each of the same keys
updates it with 40 new lines of 118 characters (``Static.update``: a full-screen text repaint).
"""

from __future__ import annotations

import asyncio
import statistics
import time

PRESSES = 200
SIZE = (120, 40)


async def _timed(pilot, key: str, settle=None) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one press until the app is idle (and ``settle`` holds)."""
    t0, c0 = time.perf_counter(), time.process_time()
    await pilot.press(key)
    await pilot.pause()
    if settle is not None and not settle():
        # rows were still being fetched: wait for them, then for their repaint (a pause only
        # then, so that a key whose rows were ready pays for one pause, as the no-op and the
        # baseline do)
        while not settle():
            await asyncio.sleep(0.001)
        await pilot.pause()
    return time.process_time() - c0, time.perf_counter() - t0


async def _measure(app, pilot, presses: int, settle, reset, at_bottom) -> dict[str, float]:
    """Each measured press follows a no-op press; a key's figure is the median over its presses
    of (key − the no-op just before): a load that drifts during the run weighs on both alike."""
    app.action_benchmark_noop = lambda: None  # resolved as an instance attribute by Textual
    app.bind("f12", "benchmark_noop", show=False)
    keys = ("down", "pagedown", "end", "home")
    pairs: dict[str, list[tuple[tuple[float, float], tuple[float, float]]]] = {k: [] for k in keys}

    async def measure(key: str) -> None:
        noop = await _timed(pilot, "f12")
        pairs[key].append((await _timed(pilot, key, settle), noop))

    await reset(pilot)
    while len(pairs["down"]) < presses:
        for _ in range(30):
            await measure("down")
        await reset(pilot)
    while len(pairs["pagedown"]) < presses:
        if at_bottom():
            await reset(pilot)
        await measure("pagedown")
    await reset(pilot)
    for _ in range(presses):
        await measure("end")
        await measure("home")
    noops = [n for k in keys for _, n in pairs[k]]
    return {"noop": statistics.median(c for c, _ in noops), "presses": presses,
            **{k: statistics.median(kc - nc for (kc, _), (nc, _) in pairs[k]) for k in keys},
            "wall": {"noop": statistics.median(w for _, w in noops),
                     **{k: statistics.median(kw - nw for (_, kw), (_, nw) in pairs[k]) for k in keys}}}


def app_part(params: dict) -> dict:
    from invoice_tui.app import make_app
    from invoice_tui.widgets.invoice_table import InvoiceTable
    from benchmarks.workspace import open_admin

    ws, ctx = open_admin(params["path"])
    app = make_app(workspace=ws, context=ctx)
    presses = int(params.get("presses", PRESSES))

    async def main() -> dict:
        async with app.run_test(size=SIZE) as pilot:
            table = app.screen.query_one(InvoiceTable)
            while table.total is None or table.row_at(0) is None:
                await asyncio.sleep(0.01)
            await pilot.pause()
            table.focus()
            await pilot.pause()

            def settle() -> bool:  # the rows on screen are fetched (no "…" placeholder)
                top = int(table.scroll_offset.y)
                return all(table.row_at(i) is not None
                           for i in range(top, min(top + table.body_height, table.total or 0)))

            async def reset(p) -> None:
                await p.press("home")
                await p.pause()
                while not settle():
                    await asyncio.sleep(0.001)

            def at_bottom() -> bool:
                return table.cursor_row >= (table.total or 1) - 1

            result = await _measure(app, pilot, presses, settle, reset, at_bottom)
            result["rows"] = table.total
            return result

    return asyncio.run(main())


def baseline_part(params: dict) -> dict:
    from textual.app import App
    from textual.binding import Binding
    from textual.widgets import Static

    presses = int(params.get("presses", PRESSES))

    class Repaint(App):
        CSS = "Static { height: 1fr; }"
        BINDINGS = [Binding(k, f"show({d})") for k, d in
                    (("down", 1), ("pagedown", 39), ("end", 1_000_000), ("home", -1_000_000))]

        def __init__(self) -> None:
            super().__init__()
            self.top = 0

        def compose(self):
            yield Static("", id="screen")

        def action_show(self, delta: int) -> None:
            self.top = max(0, self.top + delta)
            lines = [f"  {self.top + i:>10}  {'Customer ' + str((self.top + i) % 997):<20} "
                     f"{(self.top + i) * 37 % 100000:>12}.00  {'open':<8} 2026-03-{1 + (self.top + i) % 28:02d}"
                     for i in range(40)]
            self.query_one(Static).update("\n".join(line.ljust(118)[:118] for line in lines))

    app = Repaint()

    async def main() -> dict:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()

            async def reset(p) -> None:
                app.top = 0

            return await _measure(app, pilot, presses, None, reset, lambda: False)

    return asyncio.run(main())
