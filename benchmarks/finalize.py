"""Finalize throughput: 8 processes finalizing drafts at once on one SQLite workspace.

Setup (not measured): a scratch workspace with one contact and ``8 × per_process`` drafts made
with ``create_invoice``. Then 8 worker processes each open the workspace, wait for a common start
time, and call ``finalize_invoice`` (R2/R3: the number comes from the workspace counter inside a
``BEGIN IMMEDIATE`` transaction, with busy retries) on their share of the drafts. Throughput =
numbers given / (last worker's end − start). Check: every draft got a number, no number twice,
and the numbers are consecutive (no gap).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from benchmarks import REPO, child_env, run_child
from benchmarks.workspace import open_admin

PROCESSES = 8


def setup_part(params: dict) -> dict:
    from invoice_tui.domain import invoices, people

    path = Path(params["path"])
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    ws, ctx = open_admin(path)
    contact = people.add_contact(ctx, {"email": "throughput@example.com", "first_name": "Ana"})
    ids = []
    for i in range(int(params["drafts"])):
        inv = invoices.create_invoice(ctx, {"currency": "EUR", "contact_id": contact.id,
                                            "lines": [{"name": f"Item {i}", "unit_price": "10.00"}]})
        ids.append(inv.id)
    return {"ids": ids}


def worker_part(params: dict) -> dict:
    from invoice_tui.domain import invoices

    from invoice_tui.db import read_tx

    ws, ctx = open_admin(params["path"])
    ids = params["ids"]
    with read_tx():  # warm up (lazy imports, first queries) without writing: steady-state throughput
        invoices._plan_finalize(ctx, ids[0], None)
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    sys.stdin.readline()  # the parent says go once all 8 are ready
    done = 0
    for i in ids:
        invoices.finalize_invoice(ctx, i)
        done += 1
    return {"finalized": done, "end": time.time()}


def check_part(params: dict) -> dict:
    from invoice_tui.db.models import Invoice

    ws, ctx = open_admin(params["path"])
    seqs = [s for (s,) in Invoice.select(Invoice.number_seq).where(Invoice.id.in_(params["ids"])).tuples()]
    numbered = [s for s in seqs if s is not None]
    unique = len(set(numbered)) == len(numbered)
    no_gap = bool(numbered) and max(numbered) - min(numbered) + 1 == len(numbered)
    return {"numbered": len(numbered), "no_duplicate": unique, "no_gap": no_gap,
            "all_numbered": len(numbered) == len(params["ids"])}


def measure(path: str, per_process: int) -> dict:
    ids = run_child("finalize_setup", {"path": path, "drafts": PROCESSES * per_process})["ids"]
    procs = []
    import json

    for k in range(PROCESSES):
        share = ids[k::PROCESSES]
        procs.append(subprocess.Popen([sys.executable, "-m", "benchmarks.child", "finalize_worker",
                                       json.dumps({"path": path, "ids": share})],
                                      cwd=REPO, env=child_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    for p in procs:  # every worker has started and opened the workspace
        p.stdout.readline()
    start_at = time.time()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    ends, errors, finalized = [], [], 0
    from benchmarks import RESULT_MARK

    for p in procs:
        out, err = p.communicate(timeout=1800)
        lines = [ln for ln in out.splitlines() if ln.startswith(RESULT_MARK)]
        if p.returncode != 0 or not lines:
            errors.append(err.strip().splitlines()[-1] if err.strip() else f"exit {p.returncode}")
            continue
        res = json.loads(lines[-1][len(RESULT_MARK):])
        ends.append(res["end"])
        finalized += res["finalized"]
    seconds = (max(ends) - start_at) if ends else None
    check = run_child("finalize_check", {"path": path, "ids": ids})
    return {"finalized": finalized, "seconds": seconds, "rate": (finalized / seconds) if seconds else None,
            "errors": errors, "processes": PROCESSES, **check}
