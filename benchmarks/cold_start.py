"""Cold start: process start to the first invoice row painted on screen.

Method: the parent notes the time, starts ``python benchmarks/cold_start.py DB`` (this file as a
script) and waits for its first line. The script builds the real app (``make_app`` on the
workspace, as ``invoice-tui`` does), runs it headless at 120×40, and wraps
``InvoiceTable.render_line``: the first time a line is drawn with an invoice row in it (not the
header, "Loading…" or a "…" placeholder), the screen update that contains it is being composed;
the script prints the time after that update (``call_after_refresh``) and leaves at once
(``os._exit``, so teardown is not counted). Baseline: ``python -c "import textual"``, start to
exit, same parent clock. Medians of ``RUNS`` runs each.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

RUNS = 5


def _driver(db_path: str) -> None:
    from invoice_tui.app import make_app
    from invoice_tui.widgets import invoice_table

    app = make_app(db_url=f"sqlite:///{db_path}", user=os.environ.get("BENCH_USER") or None)
    original = invoice_table.InvoiceTable.render_line
    state = {"done": False}

    def done() -> None:
        sys.stdout.write(f"{time.time():.6f}\n")
        sys.stdout.flush()
        os._exit(0)

    def render_line(self, y):
        strip = original(self, y)
        if not state["done"] and y >= 1 and self.total:
            index = int(self.scroll_offset.y) + y - 1
            if self.row_at(index) is not None:
                state["done"] = True
                self.call_after_refresh(done)
        return strip

    invoice_table.InvoiceTable.render_line = render_line
    app.run(headless=True, size=(120, 40))
    sys.stdout.write("exited without painting a row\n")
    os._exit(1)


def measure(db_path: str, user: str, runs: int = RUNS) -> dict:
    from benchmarks import REPO, child_env

    env = child_env()
    env["BENCH_USER"] = user
    ours, base = [], []
    for _ in range(runs):
        t0 = time.time()
        proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "cold_start.py"), db_path],
                              env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
        line = (proc.stdout.strip().splitlines() or ["?"])[0]
        try:
            ours.append(float(line) - t0)
        except ValueError:
            raise RuntimeError(f"cold start driver failed: {line} {proc.stderr[-2000:]}") from None
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import textual"], env=env, check=True)
        base.append(time.perf_counter() - t0)
    return {"ours": statistics.median(ours), "baseline": statistics.median(base), "runs": runs,
            "ours_all": [round(x, 3) for x in ours]}


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    _driver(sys.argv[1])
