"""The paths users take (issue 16), each beside a baseline measured in the same run.

- ``json_app`` / ``json_raw``: ``invoice-tui invoices list --json`` (``cli.main`` in this child,
  stdout to a file) against a raw dump of the same table: ``sqlite3`` rows, in the same order,
  turned into dicts and written with ``json`` (the same encoder settings), batch by batch.
  ``limit`` gives the 60k figure on the big workspace. Same rows: the ids, in order, of both
  files. Peak RSS growth shows whether memory stays flat.
- ``export_tui`` / ``export_cli``: the export dialog driven in the real app (headless, Pilot:
  the dialog pushed as the index's ``x`` does, Export pressed, timed until the dialog closes)
  against ``invoice-tui export`` of the same view (``cli.main`` in its own child). Same rows:
  the two files' bytes.
- ``search_count``: the quick search's count (the statement the index runs for a search), the
  first in a fresh process and the next ones, against a raw ``COUNT(*)`` with the same ``LIKE``s.
- ``cold_start_pty``: see :func:`cold_start_pty`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import os
import re
import select
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import file_checksum, rss_mb
from benchmarks.workspace import open_admin, url

TODAY_ENV = "INVOICE_TUI_TODAY"
_ID = re.compile(rb'^\[?\{"id": (\d+)')


def _ids_checksum(path: Path) -> tuple[int, str]:
    """Count and checksum of the ``"id"`` of each object, one object a line (both sides write so)."""
    h, n = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        for line in fh:
            m = _ID.match(line.lstrip(b", "))
            if m:
                h.update(m.group(1) + b"\n")
                n += 1
    return n, h.hexdigest()[:16]


def _login(path: str) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute('SELECT login FROM "user" ORDER BY id LIMIT 1').fetchone()[0]


# ---- JSON list ------------------------------------------------------------------------------------
def json_app(params: dict) -> dict:
    from invoice_tui.cli import main

    out = Path(params["out"])
    argv = ["--db", url(params["path"]), "--user", _login(params["path"]), "invoices", "list", "--json"]
    if params.get("limit"):
        argv += ["--limit", str(params["limit"])]
    before = rss_mb()
    t0 = time.perf_counter()
    with open(out, "w", encoding="utf-8") as fh, contextlib.redirect_stdout(fh):
        code = main(argv)
    seconds = time.perf_counter() - t0
    assert code == 0, code
    rows, digest = _ids_checksum(out)
    return {"seconds": seconds, "rows": rows, "checksum": digest, "rss_before_mb": before}


def json_raw(params: dict) -> dict:
    out = Path(params["out"])
    limit = f" LIMIT {int(params['limit'])}" if params.get("limit") else ""
    before = rss_mb()
    t0 = time.perf_counter()
    conn = sqlite3.connect(params["path"])
    cur = conn.execute(f'SELECT * FROM "invoice" ORDER BY id DESC{limit}')
    cols = [d[0] for d in cur.description]
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    first = True
    with open(out, "w", encoding="utf-8") as fh:
        while batch := cur.fetchmany(2000):
            fh.write(("[\n" if first else ",\n") + ",\n".join(encode(dict(zip(cols, row))) for row in batch))
            first = False
        fh.write("[]\n" if first else "\n]\n")
    conn.close()
    seconds = time.perf_counter() - t0
    rows, digest = _ids_checksum(out)
    return {"seconds": seconds, "rows": rows, "checksum": digest, "rss_before_mb": before}


# ---- TUI export against CLI export ----------------------------------------------------------------
def export_cli(params: dict) -> dict:
    from invoice_tui.cli import main

    out = Path(params["out"])
    out.unlink(missing_ok=True)
    before = rss_mb()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["--db", url(params["path"]), "--user", _login(params["path"]), "export", "--format", "csv",
                     "--out", str(out)])
    seconds = time.perf_counter() - t0
    assert code == 0, code
    return {"seconds": seconds, "checksum": file_checksum(out), "rss_before_mb": before,
            "rows": sum(1 for _ in open(out, "rb")) - 1}


def export_tui(params: dict) -> dict:
    """The index's export dialog (``x``), its Export button pressed; timed until it closes."""
    from invoice_tui.app import make_app
    from invoice_tui.modals.export import ExportDialog

    out = Path(params["out"])
    out.unlink(missing_ok=True)
    app = make_app(db_url=url(params["path"]), user=_login(params["path"]))
    result: dict = {}

    async def drive() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            # as a user would: the index on screen with its count and totals (the count's scan and the
            # filter choices' run in workers at start-up; an export started meanwhile would share the
            # CPU with them), then ``x``
            for _ in range(60_000):
                if getattr(app.screen, "totals", None) is not None and not any(
                        w.is_running for w in app.workers):
                    break
                await pilot.pause(0.01)
            await pilot.press("x")
            for _ in range(500):
                if isinstance(app.screen, ExportDialog):
                    break
                await pilot.pause(0.01)
            dialog = app.screen
            await pilot.pause()
            dialog.query_one("#export-folder").value = str(out.parent)
            dialog.query_one("#export-name").value = out.stem
            await pilot.pause()
            result["rss_before_mb"] = rss_mb()
            t0 = time.perf_counter()
            dialog.action_start()
            while app.screen is dialog:  # a poll every 20 ms: it wakes the UI thread as little as a user would
                await asyncio.sleep(0.02)
            result["seconds"] = time.perf_counter() - t0

    asyncio.run(drive())
    result.update(checksum=file_checksum(out), rows=sum(1 for _ in open(out, "rb")) - 1)
    return result


# ---- quick-search count -----------------------------------------------------------------------------
def search_count(params: dict) -> dict:
    """The index's count for a quick search, first in this process and then again."""
    from invoice_tui.domain import views

    text = params["search"]
    ws, ctx = open_admin(params["path"])
    runs = []
    for _ in range(int(params.get("repeat", 3)) + 1):
        t0 = time.perf_counter()
        prepared = views.prepare(ctx, views.IndexQuery(search=text), ["id", "number"])
        total, _totals = prepared.count_and_totals()
        runs.append(time.perf_counter() - t0)
    conn = sqlite3.connect(params["path"])
    like = f"%{text}%"
    cols = ("number", "contact_name", "contact_email", "company_name", "po_number")
    sql = 'SELECT COUNT(*) FROM "invoice" WHERE ' + " OR ".join(f"{c} LIKE ?" for c in cols)
    base = []
    for _ in range(int(params.get("repeat", 3))):
        t0 = time.perf_counter()
        raw = conn.execute(sql, [like] * len(cols)).fetchone()[0]
        base.append(time.perf_counter() - t0)
    return {"first": runs[0], "repeat": statistics.median(runs[1:]), "baseline": statistics.median(base),
            "rows": total, "same_rows": total == raw}


# ---- cold start on a real terminal -----------------------------------------------------------------
def _compile_installed(exe: str) -> None:
    """Byte-compile the package the executable runs, as ``pip install`` does: with
    ``PYTHONDONTWRITEBYTECODE`` set (as on the development machine) an editable install would
    otherwise compile every module from source on each start (~0.1 s of CPU), which no user's
    install does."""
    python = Path(exe).with_name("python")
    if not python.exists():
        python = Path(sys.executable)
    subprocess.run([str(python), "-c", "import compileall, invoice_tui, pathlib; "
                    "compileall.compile_dir(pathlib.Path(invoice_tui.__file__).parent, quiet=1)"], check=True)


def cold_start_pty(path: str, runs: int = 5, timeout: float = 60.0, command: list[str] | None = None,
                   cwd: str | None = None) -> dict:
    """Spawn the installed ``invoice-tui`` on a pseudo-terminal (120×40, as a user's shell would)
    and time until the first invoice number (``INV-…``) appears in what it writes to the terminal;
    then stop it. Median of ``runs``. Baseline: ``python -c "import textual"`` start to exit."""
    import fcntl
    import pty
    import shutil
    import struct
    import termios

    exe = shutil.which("invoice-tui") or str(Path(sys.executable).with_name("invoice-tui"))
    command = command or [exe]
    _compile_installed(exe)
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40", TEXTUAL_ANIMATIONS="none")
    env.pop("PYTHONPATH", None)
    number = re.compile(rb"INV-\d")
    ours, base = [], []
    for _ in range(runs):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        t0 = time.perf_counter()
        proc = subprocess.Popen([*command, "--db", url(path), "--user", _login(path)], stdin=slave, stdout=slave,
                                stderr=slave, env=env, close_fds=True, start_new_session=True, cwd=cwd)
        os.close(slave)
        seen = b""
        found = None
        try:
            while time.perf_counter() - t0 < timeout:
                ready, _, _ = select.select([master], [], [], 0.5)
                if not ready:
                    continue
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                seen = seen[-16:] + chunk
                if number.search(seen):
                    found = time.perf_counter() - t0
                    break
        finally:
            proc.kill()
            proc.wait()
            os.close(master)
        if found is None:
            raise RuntimeError("invoice-tui never showed an invoice number on the terminal")
        ours.append(found)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import textual"], env=env, check=True)
        base.append(time.perf_counter() - t0)
    return {"ours": statistics.median(ours), "baseline": statistics.median(base), "runs": runs,
            "ours_all": [round(x, 3) for x in ours], "executable": exe}
