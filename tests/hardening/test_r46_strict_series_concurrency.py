"""R46/R3: in strict mode the series is gap-free under 8 concurrent writers while finalizes fail
in between — refused by a rule, rolled back by an error after taking a number, the process killed
holding one — on SQLite and PostgreSQL; with a yearly pattern (F-{year}-{seq:05})."""

from __future__ import annotations

import datetime as dt
import multiprocessing

import pytest

from hardkit import strict_finalize_worker, strict_killed_worker

WRITERS = 8
PER_WRITER = 30
KILLED = 2

FRENCH_SELLER = {"seller_legal_name": "Lumière & Co. Studio SAS", "seller_address": "8 boulevard de la Croix-Rousse",
                 "seller_postcode": "69004", "seller_city": "Lyon", "seller_siren": "732829320",
                 "seller_vat_id": "FR40303265045", "seller_electronic_scheme": "0225",
                 "seller_electronic_address": "732829320", "late_penalty_rate": "12.15", "seller_country": "FR",
                 "number_pattern": "F-{year}-{seq:05}"}


def _strict_drafts(url: str, count: int) -> tuple[list[int], int]:
    """``count`` finalizable drafts to a consumer (copied in bulk) and one draft without a billing
    contact, in a French strict-mode workspace."""
    from invoice_tui.db.models import Invoice, LineItem
    from invoice_tui.domain import invoices, people
    from invoice_tui.domain.settings import load_settings
    from invoice_tui.domain.workspace import open_workspace, set_setting

    ws = open_workspace(url, notice=lambda m: None)
    ctx = ws.context("alice", source="test")
    for key, value in FRENCH_SELLER.items():
        set_setting(ctx, key, value)
    assert load_settings().strict_mode
    buyer = people.add_contact(ctx, {"email": "ada@example.com"})
    bad = invoices.create_invoice(ctx, {"currency": "EUR", "operation_category": "services",
                                        "lines": [{"name": "Work", "quantity": "1", "unit_price": "10"}]})
    first = invoices.create_invoice(ctx, {"currency": "EUR", "contact_id": buyer.id, "operation_category": "services",
                                          "lines": [{"name": "Work", "quantity": "1", "unit_price": "10"}]})
    row = {f: getattr(first, f) for f in Invoice._meta.fields if f != "id"}
    row["owner"], row["billing_contact"], row["company"] = first.owner_id, buyer.id, None
    line = LineItem.get(LineItem.invoice == first)
    with ws.db.atomic():
        Invoice.insert_many([row] * (count - 1)).execute()
        ids = [i for (i,) in Invoice.select(Invoice.id).where(Invoice.id != bad.id).order_by(Invoice.id).tuples()]
        LineItem.insert_many([{"invoice": i, "position": 0, "name": line.name, "quantity": line.quantity,
                               "unit_price_micro": line.unit_price_micro, "tax_rate": line.tax_rate}
                              for i in ids if i != first.id]).execute()
    ws.db.close()
    return ids, bad.id


@pytest.mark.slow
@pytest.mark.no_seller
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_r46_series_gap_free_under_8_writers_with_failures(request, backend):
    from invoice_tui.db.models import Invoice
    from invoice_tui.domain import audit, invoices
    from invoice_tui.domain.workspace import open_workspace

    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    ids, bad_id = _strict_drafts(url, WRITERS * PER_WRITER + KILLED)
    killed_ids, ids = ids[:KILLED], ids[KILLED:]
    mp = multiprocessing.get_context("spawn")
    barrier, results = mp.Barrier(WRITERS + KILLED), mp.Queue()
    procs = [mp.Process(target=strict_finalize_worker, args=(url, ids[k::WRITERS], bad_id, barrier, results))
             for k in range(WRITERS)]
    procs += [mp.Process(target=strict_killed_worker, args=(url, i, barrier, results)) for i in killed_ids]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    errors = [o[1] for o in outcomes if o[0] == "error"]
    assert not errors, errors[0]
    assert sum(1 for o in outcomes if o[0] == "killed") == KILLED
    assert all(p.exitcode == -9 for p in procs[WRITERS:])
    writers = [o for o in outcomes if o[0] == "ok"]
    assert sum(o[2] for o in writers) > 0 and sum(o[3] for o in writers) > 0  # failures happened in between
    ws = open_workspace(url, notice=lambda m: None)
    try:
        ctx = ws.context("alice", source="test")
        assert {Invoice.get_by_id(i).status for i in killed_ids} == {"draft"}  # the killed finalizes left nothing
        for i in killed_ids:  # finalized now, after everyone else
            invoices.finalize_invoice(ctx, i)
        year = dt.date.today().year
        total = WRITERS * PER_WRITER + KILLED
        numbers = sorted(n for (n,) in Invoice.select(Invoice.number).where(Invoice.number.is_null(False)).tuples())
        assert numbers == [f"F-{year}-{k:05d}" for k in range(1, total + 1)]  # no gap, no repeat
        for o in writers:
            mine = [n for _, n, _ in o[1]]
            assert mine == sorted(mine)  # each teammate saw its numbers increase
        assert Invoice.get_by_id(bad_id).status == "draft"
        report = audit.verify(replay=False)
        assert report.ok, report.record()
    finally:
        ws.db.close()
