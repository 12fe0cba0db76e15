"""R3 under concurrency: 8 processes finalizing 50 drafts each, at the same moment, on one
SQLite file and on one PostgreSQL database, produce 400 distinct, consecutive numbers."""

from __future__ import annotations

import multiprocessing
import traceback

import pytest

from invoice_tui.db.models import Invoice, LineItem
from invoice_tui.domain import history, invoices, people
from invoice_tui.domain.workspace import open_workspace

PROCESSES = 8
PER_PROCESS = 50


def _finalize_worker(url: str, ids: list[int], barrier, results) -> None:
    """One teammate: opens the workspace, waits for the others, finalizes its drafts."""
    try:
        ws = open_workspace(url, notice=lambda m: None)
        ctx = ws.context("alice", source="test")
        barrier.wait(timeout=120)
        out = []
        for inv_id in ids:
            inv = invoices.finalize_invoice(ctx, inv_id)
            out.append((inv.id, inv.number, inv.number_seq))
        ws.db.close()
        results.put(("ok", out))
    except BaseException:  # noqa: BLE001 - the parent reports it
        results.put(("error", traceback.format_exc()))


def _drafts(url: str, count: int) -> list[int]:
    """A workspace with ``count`` finalizable drafts (built through the services once, then copied
    in bulk so the test spends its time finalizing)."""
    ws = open_workspace(url, notice=lambda m: None)
    ctx = ws.context("alice", source="test")
    buyer = people.add_contact(ctx, {"email": "ada@example.com"})
    first = invoices.create_invoice(ctx, {"currency": "EUR", "contact_id": buyer.id,
                                          "lines": [{"name": "Work", "quantity": "1", "unit_price": "10"}]})
    row = {f: getattr(first, f) for f in Invoice._meta.fields if f != "id"}
    row["owner"], row["billing_contact"], row["company"] = first.owner_id, buyer.id, None
    line = LineItem.get(LineItem.invoice == first)
    with ws.db.atomic():
        for start in range(0, count - 1, 100):
            n = min(100, count - 1 - start)
            Invoice.insert_many([row] * n).execute()
        ids = [i.id for i in Invoice.select(Invoice.id).order_by(Invoice.id)]
        LineItem.insert_many([{"invoice": i, "position": 0, "name": line.name, "quantity": line.quantity,
                               "unit_price_minor": line.unit_price_minor, "tax_rate": line.tax_rate}
                              for i in ids if i != first.id]).execute()
    ws.db.close()
    assert len(ids) == count
    return ids


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_r3_concurrent_finalize_gives_distinct_consecutive_numbers(request, backend):
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    ids = _drafts(url, PROCESSES * PER_PROCESS)
    mp = multiprocessing.get_context("spawn")
    barrier = mp.Barrier(PROCESSES)
    results = mp.Queue()
    procs = [mp.Process(target=_finalize_worker, args=(url, ids[k::PROCESSES], barrier, results))
             for k in range(PROCESSES)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    errors = [detail for kind, detail in outcomes if kind == "error"]
    assert not errors, errors[0]
    got = [row for _, rows in outcomes for row in rows]
    seqs = sorted(seq for _, _, seq in got)
    assert seqs == list(range(1001, 1001 + PROCESSES * PER_PROCESS))
    assert len({number for _, number, _ in got}) == len(got)
    for _, rows in outcomes:  # each teammate saw its numbers increase
        mine = [seq for _, _, seq in rows]
        assert mine == sorted(mine)
    # The database agrees, and the history chains survived the contention.
    ws = open_workspace(url, notice=lambda m: None)
    try:
        stored = sorted(Invoice.select(Invoice.number_seq).where(Invoice.status == "open").tuples())
        assert [s for (s,) in stored] == seqs
        assert Invoice.select().where(Invoice.status == "draft").count() == 0
        for name in history.CHAINS:
            ok, _, why = history.verify_chain(name)
            assert ok, why
    finally:
        ws.db.close()
