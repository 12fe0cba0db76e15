"""``python -m benchmarks [--invoices N] [--reuse PATH] [--json]`` — see ``benchmarks/__init__.py``.

Prints one JSON object (``--json``) or a table: for every figure ours, the baseline measured in
the same run, the ratio, the target and pass/fail, plus the machine's load while it ran.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import cold_start, figure, finalize, live, paths, run_child, warm_cache

FIGURES = ("demo", "first_page", "keys", "filter_page", "counts", "csv", "xlsx", "pdf", "einvoice", "tui_memory",
           "cold_start", "finalize", "live", "json_list", "tui_export", "search_count", "cold_start_pty", "audit", "reports",
           "import")
IMPORT_TITLE = "import of invoices with their lines (CSV, line-level export)"
AUDIT_INVOICES = 100_000  # the audit figure's workspace (issue 18: a fresh demo of 100k invoices)
JSON_SMALL = 60_000  # the JSON list is also measured on the first 60k invoices (--limit)
TUI_EXPORT = "TUI export against CLI export of the same view (CSV, all invoices)"
SEARCH_COUNT = ("quick-search count, first in a process", "quick-search count, again")
COLD_START_PTY = "cold start on a real terminal (first invoice number shown)"


def _first_login(path: Path) -> str:
    import sqlite3

    with sqlite3.connect(path) as conn:
        row = conn.execute('SELECT login FROM "user" ORDER BY id LIMIT 1').fetchone()
    return row[0] if row else "bench"


def _workspace(path: Path, n: int, seed: int) -> dict:
    demo = run_child("demo", {"path": str(path), "invoices": n, "seed": seed})
    Path(str(path) + ".demo.json").write_text(json.dumps(demo))
    return demo


def _demo_figure(demo: dict, n: int, note: str = "") -> dict:
    limit = 90.0 * n / 1_000_000
    return figure("demo workspace of N invoices", ours=demo["seconds"], baseline=None, unit="s",
                  target=f"≤ 90 s at 1M (≤ {limit:.1f} s at {n:,}, scaled linearly)", passed=demo["seconds"] <= limit,
                  invoices=demo.get("invoices"), cpu_seconds=demo.get("cpu_seconds"),
                  peak_rss_mb=demo.get("peak_rss_mb"), **({"note": note} if note else {}))


def _growth(part: dict) -> float:
    return part["peak_rss_mb"] - part["rss_before_mb"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--invoices", type=int, default=1_000_000, metavar="N", help="invoices in the workspace (1,000,000)")
    p.add_argument("--reuse", metavar="PATH", help="reuse this demo workspace (SQLite file) instead of building one; "
                   "it is not modified")
    p.add_argument("--keep", metavar="PATH", help="build the workspace at PATH and keep it (for --reuse later)")
    p.add_argument("--json", action="store_true", help="print the JSON object only")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--skip", default="", help=f"comma-separated figures to skip ({', '.join(FIGURES)})")
    p.add_argument("--only", default="", metavar="FIGURES",
                   help="comma-separated figures to measure, the others skipped (e.g. first_page,keys)")
    p.add_argument("--presses", type=int, default=200, help="presses per key for the keypress figure (200)")
    p.add_argument("--jumps", type=int, default=300, help="jumps through the index for the memory figure (300)")
    p.add_argument("--no-abba", dest="abba", action="store_false",
                   help="export each side once instead of app, raw, raw, app (means)")
    p.add_argument("--einvoices", type=int, default=1000, help="distinct invoices in the e-invoice batch (1,000)")
    p.add_argument("--runs", type=int, default=5, help="cold starts measured (5, the median is reported)")
    p.add_argument("--import-invoices", type=int, default=10_000, metavar="N",
                   help="invoices in the import figure's file (10,000; at most --invoices)")
    p.add_argument("--search", default="son", help="the quick-search text of the search-count figure (son)")
    args = p.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = (skip | only) - set(FIGURES)
    if unknown:
        p.error(f"unknown figure(s): {', '.join(sorted(unknown))}; known: {', '.join(FIGURES)}")
    if only:
        skip |= set(FIGURES) - only
    n = args.invoices
    tmp = Path(tempfile.mkdtemp(prefix="invoice-tui-bench-"))
    started = time.time()
    load_start = os.getloadavg()
    figures: list[dict] = []

    def log(msg: str) -> None:
        if not args.json:
            print(f"[{time.time() - started:7.1f}s] {msg}", file=sys.stderr, flush=True)

    def skipped(name: str, title: str) -> None:
        figures.append({"figure": title, "skipped": True, "pass": None})

    try:
        # ---- workspaces ----------------------------------------------------------------------
        if args.reuse:
            path = Path(args.reuse).resolve()
            if not path.is_file():
                p.error(f"--reuse: no such file {path}")
            n = _count(path)
            sidecar = Path(str(path) + ".demo.json")
            if "demo" in skip:
                skipped("demo", "demo workspace of N invoices")
            elif sidecar.is_file():
                figures.append(_demo_figure(json.loads(sidecar.read_text()), n,
                                            note="measured when this reused workspace was built"))
            else:
                figures.append({"figure": "demo workspace of N invoices", "skipped": True, "pass": None,
                                "note": "reused workspace without a build record"})
        else:
            path = Path(args.keep).resolve() if args.keep else tmp / "workspace.db"
            log(f"building the demo workspace of {n:,} invoices")
            demo = _workspace(path, n, args.seed)
            figures.append(_demo_figure(demo, n) if "demo" not in skip else
                           {"figure": "demo workspace of N invoices", "skipped": True, "pass": None})
        login = _first_login(path)
        tenth = max(n // 10, 1)
        small_path = tmp / "tenth.db"
        needs_small = not {"csv", "xlsx", "tui_memory"} <= skip
        if needs_small:
            log(f"building the N/10 workspace ({tenth:,} invoices) for the memory figures")
            _workspace(small_path, tenth, args.seed)
        # ---- index reads ---------------------------------------------------------------------
        if not {"first_page", "filter_page", "counts"} <= skip:
            log("index reads")
            r = run_child("index_reads", {"path": str(path)})
            fp, fl, ct = r["first_page"], r["filter_page"], r["counts"]
            if "first_page" not in skip:
                figures.append(figure("index first page (default view)", ours=fp["ours"], baseline=fp["baseline"],
                                      unit="s", target="≤ 0.25 s; ratio ≤ 3",
                                      passed=fp["ours"] <= 0.25 and fp["ours"] <= 3 * fp["baseline"],
                                      same_rows=fp["same_rows"], rows=fp["rows"], first_open=fp.get("first_open"),
                                      peak_rss_mb=r["peak_rss_mb"]))
            if "filter_page" not in skip:
                figures.append(figure("filter + sort first page (status=open, due_date<today, by due date)",
                                      ours=fl["ours"], baseline=fl["baseline"], unit="s", target="≤ 0.2 s; ratio ≤ 3",
                                      passed=fl["ours"] <= 0.2 and fl["ours"] <= 3 * fl["baseline"],
                                      same_rows=fl["same_rows"], rows=fl["rows"], first_open=fl.get("first_open"),
                                      peak_rss_mb=r["peak_rss_mb"]))
            if "counts" not in skip:
                figures.append(figure("counts and per-currency sums for that filter", ours=ct["ours"],
                                      baseline=ct["baseline"], unit="s", target="ratio ≤ 1.5",
                                      passed=ct["ours"] <= 1.5 * ct["baseline"], same_rows=ct["same_rows"],
                                      rows=ct["rows"], peak_rss_mb=r["peak_rss_mb"]))
        # ---- keys ----------------------------------------------------------------------------
        if "keys" in skip:
            skipped("keys", "keypress latency")
        else:
            log(f"keypresses ({args.presses} per key, app then baseline)")
            ours = run_child("keys_app", {"path": str(path), "presses": args.presses})
            base = run_child("keys_baseline", {"presses": args.presses})
            for key, scroll in (("down", False), ("pagedown", True), ("end", True), ("home", True)):
                o, b = ours[key], base[key]
                limit = 1.0 if scroll else 0.5
                ratio = o / b if b > 0 else None
                figures.append(figure(f"keypress: {key}", ours=o, baseline=b, unit="s",
                                      target=(f"ratio ≤ {limit} ({'scroll key' if scroll else 'cursor move within the screen'})"
                                              "; no key > 3×"),
                                      passed=ratio is not None and ratio <= limit, same_rows=None,
                                      clock="CPU (process_time) of press + pause, minus the no-op's",
                                      presses=ours["presses"], pilot_noop_ours=ours["noop"],
                                      pilot_noop_baseline=base["noop"],
                                      wall_ours=ours["wall"][key], wall_baseline=base["wall"][key],
                                      wall_noop_ours=ours["wall"]["noop"], wall_noop_baseline=base["wall"]["noop"],
                                      peak_rss_mb=ours["peak_rss_mb"]))
        # ---- exports -------------------------------------------------------------------------
        for fmt in ("csv", "xlsx"):
            if fmt in skip:
                skipped(fmt, f"{fmt.upper()} export, all invoices with contact names")
                continue
            log(f"{fmt.upper()} export at N and N/10")
            parts = {}
            for label, wpath in (("n", path), ("tenth", small_path)):
                warm_cache(wpath)
                def one(side: str) -> dict:
                    out = run_child(f"export_{side}", {"path": str(wpath), "format": fmt,
                                                       "out": str(tmp / f"{side}-{label}.{fmt}")})
                    return out
                # app, raw, raw, app: a load that drifts during the run weighs on both sides alike
                runs = [one("app"), one("raw")] + ([one("raw"), one("app")] if label == "n" and args.abba else [])
                app_runs, raw_runs = [r for r in runs[::3]], [r for r in runs[1:3]]
                app = dict(app_runs[0], seconds=sum(r["seconds"] for r in app_runs) / len(app_runs),
                           peak_rss_mb=max(r["peak_rss_mb"] for r in app_runs))
                raw = dict(raw_runs[0], seconds=sum(r["seconds"] for r in raw_runs) / len(raw_runs))
                parts[label] = (app, raw)
                for f in tmp.glob(f"*-{label}.{fmt}"):
                    f.unlink()
            app, raw = parts["n"]
            g_n, g_t = _growth(app), _growth(parts["tenth"][0])
            ratio = app["seconds"] / raw["seconds"]
            figures.append(figure(f"{fmt.upper()} export, all invoices with contact names", ours=app["seconds"],
                                  baseline=raw["seconds"], unit="s", target="ratio ≤ 1.5; peak RSS growth ≤ 100 MB",
                                  passed=ratio <= 1.5 and g_n <= 100, same_rows=app["checksum"] == raw["checksum"]
                                  and app["rows"] == raw["rows"], rows=app["rows"],
                                  rss_growth_mb=g_n, rss_growth_tenth_mb=g_t,
                                  baseline_rss_growth_mb=_growth(raw), peak_rss_mb=app["peak_rss_mb"]))
        # ---- pdf -----------------------------------------------------------------------------
        if "pdf" in skip:
            skipped("pdf", "PDF of a 20-line invoice")
        else:
            log("PDF")
            r = run_child("pdf", {"path": str(tmp / "pdf.db")})
            figures.append(figure("PDF of a 20-line invoice", ours=r["ours"], baseline=r["baseline"], unit="s",
                                  target="ratio ≤ 1.3; ≤ 30 ms", passed=r["ours"] <= 0.030 and r["ours"] <= 1.3 * r["baseline"],
                                  same_rows=r["same_rows"], peak_rss_mb=r["peak_rss_mb"]))
        # ---- e-invoice -------------------------------------------------------------------------
        if "einvoice" in skip:
            skipped("einvoice", "Factur-X PDF of a 20-line invoice, validated")
        else:
            log("Factur-X PDF (validated), one and a batch")
            r = run_child("einvoice", {"path": str(tmp / "einvoice.db"), "batch": args.einvoices})
            figures.append(figure("Factur-X PDF of a 20-line invoice, validated (XSD, EN 16931, BR-FR, PDF/A-3)",
                                  ours=r["ours"], baseline=r["baseline"], unit="s",
                                  target="reported beside the plain PDF", passed=True, same_rows=r["same_rows"],
                                  first_in_process_s=r["first_seconds"], peak_rss_mb=r["peak_rss_mb"]))
            figures.append(figure("finalize, in the e-invoicing mandate's scope (validated), one process",
                                  ours=r["finalize_per_s_in_scope"], baseline=r["finalize_per_s_out_of_scope"],
                                  unit="/s", target="reported beside out-of-scope finalizes", passed=True,
                                  same_rows=None))
            figures.append(figure(f"Factur-X PDFs of {r['batch']:,} distinct invoices, validated, in a batch",
                                  ours=r["batch_seconds"], baseline=r["baseline"] * r["batch"], unit="s",
                                  target="reported beside as many plain PDFs", passed=True, same_rows=None))
        # ---- TUI memory ----------------------------------------------------------------------
        if "tui_memory" in skip:
            skipped("tui_memory", "memory of the TUI after scrolling the whole index")
        else:
            log("TUI memory after scrolling, at N and N/10")
            big = run_child("tui_memory", {"path": str(path), "jumps": args.jumps})
            small = run_child("tui_memory", {"path": str(small_path), "jumps": args.jumps})
            flat = big["peak_rss_mb"] <= small["peak_rss_mb"] * 1.10 + 5
            figures.append(figure("memory of the TUI after scrolling the whole index", ours=big["peak_rss_mb"],
                                  baseline=None, unit="MB", target="≤ 200 MB, flat in N (N ≤ N/10 × 1.1 + 5 MB)",
                                  passed=big["peak_rss_mb"] <= 200 and flat, same_rows=None,
                                  peak_rss_tenth_mb=small["peak_rss_mb"], rows=big["rows"], jumps=big["jumps"],
                                  pagedowns=big["pagedowns"]))
        # ---- cold start ----------------------------------------------------------------------
        if "cold_start" in skip:
            skipped("cold_start", "cold start to first painted index")
        else:
            log("cold start")
            r = cold_start.measure(str(path), login, runs=max(args.runs, 1))
            figures.append(figure("cold start to first painted index", ours=r["ours"], baseline=r["baseline"],
                                  unit="s", target="≤ 1.0 s", passed=r["ours"] <= 1.0, same_rows=None,
                                  runs=r["runs"], ours_all=r["ours_all"]))
        # ---- finalize ------------------------------------------------------------------------
        if "finalize" in skip:
            skipped("finalize", "finalize throughput, 8 processes (SQLite)")
        else:
            per = 250 if n >= 100_000 else 10  # 8 × 250 = 2,000 numbers, as the hardening test
            log(f"finalize throughput (8 processes × {per})")
            r = finalize.measure(str(tmp / "finalize.db"), per)
            ok = not r["errors"] and r["no_duplicate"] and r["no_gap"] and r["all_numbered"]
            figures.append(figure("finalize throughput, 8 processes (SQLite)", ours=r["rate"], baseline=None,
                                  unit="numbers/s", target="≥ 200/s, no duplicate, no gap",
                                  passed=ok and (r["rate"] or 0) >= 200, same_rows=None, finalized=r["finalized"],
                                  seconds=r["seconds"], no_duplicate=r["no_duplicate"], no_gap=r["no_gap"],
                                  all_numbered=r["all_numbered"], errors=r["errors"]))
        # ---- live screens --------------------------------------------------------------------
        if "live" in skip:
            skipped("live", "live invoice page: write by another process to repaint")
        else:
            log("live invoice page (a writer process, the page repainted)")
            figures.append(live.figure_of(run_child("live", {"path": str(tmp / "live.db"), "runs": max(args.runs, 5)})))
        # ---- the paths users take (issue 16) --------------------------------------------------
        figures += _user_paths(args, skip, path, n, tmp, log)
        # ---- the audit (issue 18) ------------------------------------------------------------
        if "audit" in skip:
            skipped("audit", "audit verify (chains + replay)")
        else:
            audited = min(n, AUDIT_INVOICES)
            if audited == n:
                audit_path = path
            elif audited == tenth and needs_small:
                audit_path = small_path
            else:
                audit_path = tmp / "audit.db"
                log(f"building the audit's workspace ({audited:,} invoices)")
                _workspace(audit_path, audited, args.seed)
            log(f"audit verify on {audited:,} invoices")
            r, b = run_child("audit", {"path": str(audit_path)}), run_child("audit_raw", {"path": str(audit_path)})
            figures.append(figure("audit verify (chains + replay)", ours=r["seconds"], baseline=b["seconds"], unit="s",
                                  target="passes; < 60 s at 100k invoices", passed=r["ok"] and r["seconds"] < 60,
                                  same_rows=r["rows"] == b["rows"], invoices=audited, findings=r["findings"],
                                  history_rows=r["rows"], peak_rss_mb=r["peak_rss_mb"],
                                  baseline_peak_rss_mb=b["peak_rss_mb"]))
        # ---- the reports (issue 27) ------------------------------------------------------------
        from benchmarks.reports import REPORTS

        if "reports" in skip:
            figures += [{"figure": f"report: {name}", "skipped": True, "pass": None} for name in REPORTS]
        else:
            log("reports, each against a raw sqlite3 aggregate of the same figures")
            warm_cache(path)
            r = run_child("reports", {"path": str(path)})
            limit = 2.0 * n / 1_000_000
            for name in REPORTS:
                part = r["reports"][name]
                figures.append(figure(f"report: {name}", ours=part["ours"], baseline=part["baseline"], unit="s",
                                      target=f"≤ 2 s at 1M (≤ {limit:.2f} s at {n:,}, scaled linearly)",
                                      passed=part["ours"] <= max(limit, 0.05), same_rows=part["same"],
                                      peak_rss_mb=r["peak_rss_mb"]))
        # ---- the import (issue 29) -----------------------------------------------------------
        if "import" in skip:
            skipped("import", IMPORT_TITLE)
        else:
            imported = min(n, args.import_invoices)
            folder = tmp / "import"
            log(f"import: a demo of {imported:,} invoices exported line by line, then imported (app, raw, raw, app)")
            setup = run_child("import_setup", {"folder": str(folder), "invoices": imported, "seed": args.seed})
            app, raw = _abba(lambda side: run_child(f"import_{side}", {"folder": str(folder)}))
            ratio = app["seconds"] / raw["seconds"]
            figures.append(figure(IMPORT_TITLE, ours=app["seconds"], baseline=raw["seconds"], unit="s",
                                  target="ratio ≤ 3 (raw sqlite3 inserts of the same rows)", passed=ratio <= 3,
                                  same_rows=(app["invoices"], app["lines"]) == (raw["invoices"], raw["lines"]),
                                  invoices=app["invoices"], lines=app["lines"], file_rows=setup["rows"]["invoices"],
                                  invoices_per_second=round(app["invoices"] / app["seconds"], 1),
                                  peak_rss_mb=app["peak_rss_mb"], baseline_peak_rss_mb=raw["peak_rss_mb"]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    keyf = [f for f in figures if f["figure"].startswith("keypress:") and f.get("ratio") is not None]
    worst = max((f["ratio"] for f in keyf), default=None)
    result = {"invoices": n, "seconds": round(time.time() - started, 1), "cpus": os.cpu_count(),
              "load_average_start": [round(x, 2) for x in load_start],
              "load_average_end": [round(x, 2) for x in os.getloadavg()],
              "keys_worst_ratio": worst, "keys_no_key_over_3x": (worst is not None and worst <= 3) if keyf else None,
              "all_pass": all(f["pass"] for f in figures if not f.get("skipped")), "figures": figures}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(table(result))
    return 0


def _abba(one) -> tuple[dict, dict]:
    """``one("app")``, ``one("raw")``, ``one("raw")``, ``one("app")``: mean times, max peak RSS."""
    runs = [one("app"), one("raw"), one("raw"), one("app")]
    sides = []
    for side in (runs[::3], runs[1:3]):
        sides.append(dict(side[0], seconds=sum(r["seconds"] for r in side) / 2,
                          peak_rss_mb=max(r["peak_rss_mb"] for r in side)))
    return sides[0], sides[1]


def _user_paths(args, skip: set, path: Path, n: int, tmp: Path, log) -> list[dict]:
    figures: list[dict] = []
    json_titles = {"small": "JSON list (invoices list --json), 60k rows (--limit)",
                   "n": "JSON list (invoices list --json), all N rows"}
    if "json_list" in skip:
        figures += [{"figure": title, "skipped": True, "pass": None} for title in json_titles.values()]
    else:
        log("JSON list at 60k and N, app then raw")
        warm_cache(path)
        measured = {}
        for label, limit in (("small", min(JSON_SMALL, n)), ("n", None)):
            app, raw = _abba(lambda side: run_child(f"json_{side}", {"path": str(path), "limit": limit,
                                                                        "out": str(tmp / f"{side}.json")}))
            measured[label] = (app, raw)
            ratio = app["seconds"] / raw["seconds"]
            extra, passed, target = {}, ratio <= 2, "ratio ≤ 2 (raw sqlite3 → json)"
            if label == "n":  # memory stays flat: the growth at N is the growth at 60k
                g_n, g_s = _growth(app), _growth(measured["small"][0])
                extra, passed = {"rss_growth_60k_mb": g_s}, passed and g_n <= g_s * 1.1 + 5
                target += "; peak RSS growth at N ≤ at 60k × 1.1 + 5 MB"
            figures.append(figure(json_titles[label], ours=app["seconds"], baseline=raw["seconds"], unit="s",
                                  target=target, passed=passed, same_rows=app["checksum"] == raw["checksum"],
                                  rows=app["rows"], rss_growth_mb=_growth(app), baseline_rss_growth_mb=_growth(raw),
                                  peak_rss_mb=app["peak_rss_mb"], **extra))
        for f in tmp.glob("*.json"):
            f.unlink()
    if "tui_export" in skip:
        figures.append({"figure": TUI_EXPORT, "skipped": True, "pass": None})
    else:
        log("TUI export against CLI export (CSV), app then CLI")
        warm_cache(path)
        sides = {"app": "export_tui", "raw": "export_cli"}
        tui, cli = _abba(lambda side: run_child(sides[side], {"path": str(path), "out": str(tmp / f"{side}.csv")}))
        for f in tmp.glob("*.csv"):
            f.unlink()
        ratio = tui["seconds"] / cli["seconds"]
        flat = _growth(tui) <= 100 and _growth(cli) <= 100
        figures.append(figure(TUI_EXPORT,
                              ours=tui["seconds"], baseline=cli["seconds"], unit="s",
                              target="ratio ≤ 1.1; peak RSS growth ≤ 100 MB each", passed=ratio <= 1.1 and flat,
                              same_rows=tui["checksum"] == cli["checksum"], rows=tui["rows"],
                              rss_growth_mb=_growth(tui), baseline_rss_growth_mb=_growth(cli),
                              peak_rss_mb=tui["peak_rss_mb"]))
    if "search_count" in skip:
        figures += [{"figure": title, "skipped": True, "pass": None} for title in SEARCH_COUNT]
    else:
        log(f"quick-search count for “{args.search}”")
        warm_cache(path)
        r = run_child("search_count", {"path": str(path), "search": args.search})
        figures.append(figure(SEARCH_COUNT[0], ours=r["first"], search=args.search,
                              baseline=r["baseline"], unit="s", target="≤ 0.5 s", passed=r["first"] <= 0.5,
                              same_rows=r["same_rows"], rows=r["rows"], repeat=r["repeat"]))
        figures.append(figure(SEARCH_COUNT[1], ours=r["repeat"], search=args.search,
                              baseline=r["baseline"], unit="s", target="≤ 0.5 s", passed=r["repeat"] <= 0.5,
                              same_rows=r["same_rows"], rows=r["rows"]))
    if "cold_start_pty" in skip:
        figures.append({"figure": COLD_START_PTY, "skipped": True, "pass": None})
    else:
        log("cold start of the installed invoice-tui on a pseudo-terminal")
        r = paths.cold_start_pty(str(path), runs=max(args.runs, 1))
        figures.append(figure(COLD_START_PTY, ours=r["ours"],
                              baseline=r["baseline"], unit="s", target="≤ 0.6 s", passed=r["ours"] <= 0.6,
                              runs=r["runs"], ours_all=r["ours_all"]))
    return figures


def _count(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return conn.execute('SELECT COUNT(*) FROM "invoice"').fetchone()[0]


def table(result: dict) -> str:
    """The figures as a Markdown table."""
    def fmt(v, unit=""):
        if v is None:
            return "—"
        if unit == "s":
            return f"{v * 1000:.1f} ms" if v < 1 else f"{v:.2f} s"
        if isinstance(v, float):
            return f"{v:.2f}{(' ' + unit) if unit else ''}"
        return f"{v}{(' ' + unit) if unit else ''}"

    lines = [f"{result['invoices']:,} invoices · {result['cpus']} CPUs · load average "
             f"{result['load_average_start'][0]} → {result['load_average_end'][0]} · {result['seconds']} s",
             "", "| figure | ours | baseline | ratio | target | pass |", "|---|---|---|---|---|---|"]
    for f in result["figures"]:
        if f.get("skipped"):
            lines.append(f"| {f['figure']} | skipped | | | | |")
            continue
        unit = f["unit"]
        ours = fmt(f["ours"], unit)
        extra = []
        if "rss_growth_mb" in f:
            extra.append(f"RSS +{f['rss_growth_mb']:.0f} MB" + (f" (N/10: +{f['rss_growth_tenth_mb']:.0f} MB)"
                                                                 if "rss_growth_tenth_mb" in f else ""))
        if "peak_rss_tenth_mb" in f:
            extra.append(f"N/10: {f['peak_rss_tenth_mb']:.0f} MB")
        if f["same_rows"] is False:
            extra.append("ROWS DIFFER")
        lines.append(f"| {f['figure']} | {ours}{' · ' + '; '.join(extra) if extra else ''} | {fmt(f['baseline'], unit)} "
                     f"| {fmt(f['ratio'])} | {f['target']} | {'pass' if f['pass'] else 'FAIL'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
