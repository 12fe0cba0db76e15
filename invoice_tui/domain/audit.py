"""Tamper evidence: walk the hash chains of property changes (R15) and activities (R16).

Each chain row stores ``prev_hash`` and ``hash = SHA-256(prev_hash + canonical content)``
(:mod:`invoice_tui.domain.history`). :func:`verify` walks both chains in id order and reports the
first broken link: a row whose content no longer matches its hash (changed), a row that does not
follow the one before it (deleted, inserted or reordered), or a chain head that does not match the
last row (rows removed at the end).

What a hash chain in the same database can and cannot prove: someone able to write to the
database can rewrite a whole chain consistently (recomputing every hash and the head). The
**head** (:func:`head`) is the defence: record it elsewhere (a ticket, an email, a printed
report); ``verify(anchor=…)`` then also checks that the first N rows of each chain still end at
the recorded hash, so nothing up to that moment was rewritten, removed or reordered since.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

from invoice_tui.db import database, is_postgres
from invoice_tui.db.models import Activity, ChainHead, PropertyChange
from invoice_tui.domain import history
from invoice_tui.domain import replay as replaying
from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import _

_CHAIN_MODELS = {
    "property_change": (PropertyChange, history.PROPERTY_CHANGE_FIELDS),
    "activity": (Activity, history.ACTIVITY_FIELDS),
}
# The printed head: one "name=count:hash" part per chain, ";"-separated.
_HEAD_RE = re.compile(r"^(property_change|activity)=(\d{1,18}):([0-9a-f]{64})$")


@dataclass
class ChainReport:
    name: str
    ok: bool
    rows: int
    head_hash: str
    broken_row_id: int | None = None
    problem: str = ""


@dataclass
class AuditReport:
    chains: list[ChainReport] = field(default_factory=list)
    findings: list = field(default_factory=list)  # replay.Finding, up to FINDINGS_KEPT
    findings_total: int = 0

    @property
    def chains_ok(self) -> bool:
        return all(c.ok for c in self.chains)

    @property
    def ok(self) -> bool:
        return self.chains_ok and self.findings_total == 0

    @property
    def first_problem(self) -> ChainReport | None:
        return next((c for c in self.chains if not c.ok), None)

    def record(self) -> dict:
        return {"ok": self.ok, "head": format_head({c.name: (c.rows, c.head_hash) for c in self.chains}),
                "chains": [{"name": c.name, "ok": c.ok, "rows": c.rows, "head_hash": c.head_hash,
                            "broken_row_id": c.broken_row_id, "problem": c.problem} for c in self.chains],
                "findings": [f.record() for f in self.findings], "findings_total": self.findings_total}


def format_head(heads: dict[str, tuple[int, str]]) -> str:
    return ";".join(f"{name}={heads[name][0]}:{heads[name][1]}" for name in history.CHAINS if name in heads)


def parse_head(text: str) -> dict[str, tuple[int, str]]:
    """``property_change=12:ab…;activity=40:cd…`` → {name: (count, hash)}; BadInput otherwise."""
    parts = [p.strip() for p in (text or "").strip().split(";") if p.strip()]
    result: dict[str, tuple[int, str]] = {}
    for part in parts:
        m = _HEAD_RE.match(part)
        if not m or m.group(1) in result:
            raise BadInput(_("--head must be the text printed by 'invoice-tui audit head', e.g. "
                             "property_change=12:<64 hex digits>;activity=40:<64 hex digits>."), field="head")
        result[m.group(1)] = (int(m.group(2)), m.group(3))
    if set(result) != set(history.CHAINS):
        raise BadInput(_("--head must name both chains (property_change and activity), as "
                         "printed by 'invoice-tui audit head'."), field="head")
    return result


def head() -> str:
    """The current head of both chains, as stored (``name=count:hash;…``)."""
    heads = {}
    for name in history.CHAINS:
        row = ChainHead.get_or_none(ChainHead.name == name)
        heads[name] = (row.count, row.hash) if row else (0, history.GENESIS)
    return format_head(heads)


def _chain_pages(name: str, batch: int) -> Iterator[list[tuple]]:
    """The rows of a chain in id order, a page at a time: (id, prev_hash, hash, *content) as the
    database returns them (a raw cursor: no model per row), times in the form the chain hashes
    (on SQLite, which stores them as text, rewritten by the query as
    :func:`history.canonical_time` does)."""
    model, fields = _CHAIN_MODELS[name]
    quoted = [f'"{f}"' for f in ("id", "prev_hash", "hash", *fields)]
    if not is_postgres():
        at = fields.index("created_at") + 3
        quoted[at] = f"substr({quoted[at]}, 1, 10) || 'T' || substr({quoted[at]}, 12)"
    columns = ", ".join(quoted)
    table = model._meta.table_name
    last_id = 0
    while True:
        # Keyset pages by id (never OFFSET, never the whole table in memory).
        rows = database.obj.execute_sql(f'SELECT {columns} FROM "{table}" WHERE id > {int(last_id)} '
                                        f"ORDER BY id LIMIT {int(batch)}").fetchall()
        if not rows:
            return
        last_id = rows[-1][0]
        yield rows


def verify_one(name: str, anchor: tuple[int, str] | None = None, batch: int = 20000) -> ChainReport:
    _model, fields = _CHAIN_MODELS[name]
    prev = history.GENESIS
    count = 0
    if anchor is not None and anchor[0] == 0 and anchor[1] != history.GENESIS:
        return ChainReport(name, False, 0, prev, None, f"the recorded head of {name} is not a head of this chain")
    sha = hashlib.sha256
    anchored = anchor[0] if anchor is not None else -1
    for rows in _chain_pages(name, batch):
        contents = history.payloads(fields, rows, skip=3)
        for row, content in zip(rows, contents):
            if row[1] != prev:
                return ChainReport(name, False, count, prev, row[0],
                                   f"{name} row {row[0]} does not follow the row before it "
                                   "(a row was deleted, inserted or moved)")
            if sha((prev + content).encode("utf-8")).hexdigest() != row[2]:  # history.link(), inline
                return ChainReport(name, False, count, prev, row[0],
                                   f"{name} row {row[0]} was changed after it was written")
            prev = row[2]
            count += 1
            if count == anchored and prev != anchor[1]:
                return ChainReport(name, False, count, prev, row[0],
                                   f"{name} was rewritten up to row {row[0]}: its first {anchor[0]} rows no "
                                   "longer end at the recorded head")
    if anchor is not None and count < anchor[0]:
        return ChainReport(name, False, count, prev, None,
                           f"{name} has {count} rows but {anchor[0]} were recorded in the head: rows were removed")
    stored = ChainHead.get_or_none(ChainHead.name == name)
    stored_count, stored_hash = (stored.count, stored.hash) if stored else (0, history.GENESIS)
    if stored_hash != prev or stored_count != count:
        return ChainReport(name, False, count, prev, None,
                           f"the stored head of {name} ({stored_count} rows) does not match its last row "
                           f"({count} rows walked): rows were removed or added at the end")
    return ChainReport(name, True, count, prev)


FINDINGS_KEPT = 1000  # a report holds this many findings (the count is always whole)


def verify(anchor: dict[str, tuple[int, str]] | None = None, *, replay: bool = True,
           progress: Callable[[str], None] | None = None) -> AuditReport:
    """Walk both chains (and check the recorded ``anchor`` head if given), then replay the
    history against the current rows (:mod:`invoice_tui.domain.replay`)."""
    report = AuditReport()
    for name in history.CHAINS:
        if progress:
            progress(name)
        report.chains.append(verify_one(name, (anchor or {}).get(name)))
    if replay:
        for finding in replaying.replay(progress=progress):
            report.findings_total += 1
            if len(report.findings) < FINDINGS_KEPT:
                report.findings.append(finding)
    return report


def run_for(ctx, progress: Callable[[str], None] | None = None) -> AuditReport:
    """The audit as the TUI runs it: a super admin's (R17), reporting each stage to ``progress``."""
    from invoice_tui.domain.permissions import require

    require(ctx, "audit_screen")
    return verify(progress=progress)


def stages() -> tuple[str, ...]:
    """What ``progress`` is told, in order: the chains, each kind the replay walks, the settings."""
    return (*history.CHAINS, *(k.object_type for k in replaying.all_kinds()), "workspace")
