"""invoice-tui's benchmark suite at one million invoices (issue 7).

``python -m benchmarks [--invoices N] [--reuse PATH] [--json]`` builds a demo workspace of N
invoices with the bulk generator (or reuses one), then measures every figure, each in a child
process of its own (``python -m benchmarks.child FIGURE PARAMS``) so its peak RSS is its own.
Each figure is compared with a raw baseline measured in the same run on the same machine —
machines here are shared and noisy, so the ratio is what counts — and both sides must produce the
same rows: a checksum of each side's output is compared in the run (``same_rows``).

Every figure is a JSON object::

    {"figure": ..., "ours": ..., "baseline": ..., "unit": "s", "ratio": ours/baseline,
     "target": "...", "pass": true/false, "same_rows": true/false/null, "peak_rss_mb": ..., ...}

Methods (also in the README's Performance section):

- times are medians of repeated runs (``perf_counter``) after one warm-up;
- peak RSS is ``getrusage(RUSAGE_SELF).ru_maxrss`` of the figure's child; "growth" is that peak
  minus the RSS just before the measured work started (imports and the workspace already open);
- the memory figures run at N and at N/10 (a second demo workspace) to show they do not grow
  with N.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
RESULT_MARK = "BENCHMARK-RESULT "


# ---- measuring --------------------------------------------------------------------------------
def median_time(fn: Callable[[], Any], repeat: int, warmup: int = 1) -> tuple[float, Any]:
    """Median wall time of ``fn()`` over ``repeat`` runs (after ``warmup`` runs), and its last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def paired(ours, baseline, repeat: int) -> tuple[float, object, float, object]:
    """Median times of ``ours`` and ``baseline`` run alternately (one warm-up each), and their
    last results: a load that drifts during the run weighs on both sides alike."""
    a, b = ours(), baseline()
    ta, tb = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        a = ours()
        t1 = time.perf_counter()
        b = baseline()
        t2 = time.perf_counter()
        ta.append(t1 - t0)
        tb.append(t2 - t1)
    return statistics.median(ta), a, statistics.median(tb), b


def rss_mb() -> float:
    """The current resident set size of this process, in MB."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    """The peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def checksum(rows) -> str:
    """A short checksum of rows (any iterable of tuples or strings), order included."""
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(tuple(row) if isinstance(row, (list, tuple)) else row).encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def warm_cache(path: str | Path) -> None:
    """Read a workspace file (and its WAL) once, so the OS page cache holds it before a figure
    that scans it is timed. This machine's page cache is dropped now and then: a cold file made
    whichever side ran first pay its reading from disk (the app's export, by 1.8× once)."""
    for name in (str(path), str(path) + "-wal"):
        with contextlib.suppress(FileNotFoundError), open(name, "rb", buffering=0) as fh:
            while fh.read(1 << 22):
                pass


def file_checksum(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


# ---- child processes --------------------------------------------------------------------------
def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("TEXTUAL_ANIMATIONS", "none")
    return env


def run_child(name: str, params: dict, timeout: float = 3600) -> dict:
    """Run figure part ``name`` in a child process; its JSON result (with its peak RSS)."""
    proc = subprocess.run([sys.executable, "-m", "benchmarks.child", name, json.dumps(params)],
                          cwd=REPO, env=child_env(), capture_output=True, text=True, timeout=timeout)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-15:]
    raise RuntimeError(f"benchmark part {name} failed (exit {proc.returncode}):\n" + "\n".join(tail))


def emit(result: dict) -> None:
    """Called in a child: print the result for the parent (with this process's peak RSS)."""
    result.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    sys.stdout.write(RESULT_MARK + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()


# ---- figures ----------------------------------------------------------------------------------
def figure(name: str, *, ours: float | None, baseline: float | None, unit: str, target: str, passed: bool,
           same_rows: bool | None = None, **extra) -> dict:
    ratio = (ours / baseline) if (ours is not None and baseline) else None
    out = {"figure": name, "ours": _round(ours), "baseline": _round(baseline), "unit": unit,
           "ratio": _round(ratio), "target": target, "pass": bool(passed), "same_rows": same_rows}
    out.update({k: _round(v) if isinstance(v, float) else v for k, v in extra.items()})
    return out


def _round(v):
    """Four significant digits (a 0.2 ms baseline keeps its precision)."""
    if isinstance(v, float):
        return float(f"{v:.4g}") if abs(v) < 1000 else round(v, 1)
    return v
