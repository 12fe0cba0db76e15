"""R21 saved views and the index's paged reads (keyset pages equal the full ordering), on SQLite
and PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tui"))

from index_dataset import build, make_user  # noqa: E402
from invoice_tui.db.models import Invoice  # noqa: E402
from invoice_tui.domain import catalogue, views  # noqa: E402
from invoice_tui.domain.errors import BadInput, NotFound, PermissionDenied  # noqa: E402
from invoice_tui.domain.filters import Filter, FilterGroup, FilterSet  # noqa: E402
from invoice_tui.domain.invoices import query_invoices  # noqa: E402


@pytest.fixture
def data(ws, admin):
    return build(ws, admin)


def test_r21_default_views_are_seeded_and_shared(ws, admin):
    names = [v.name for v in views.list_views(admin)]
    assert names[:3] == ["Overdue", "Drafts", "Mine"]
    assert all(v.shared and v.owner is None for v in views.list_views(admin)[:3])


def test_r21_save_switch_rename_share_delete(ws, admin):
    bob = make_user(ws, admin, "bob", "view,create,edit")
    carol = make_user(ws, admin, "carol", "view")
    fs = FilterSet(groups=[FilterGroup(filters=[Filter(property="status", operator="any_of", values=["open"])])])
    v = views.create_view(bob, "Open EUR", filters=fs, columns=["number", "balance_due"], sort="-balance_due")
    assert v.owner == "bob" and not v.shared and v.editable
    assert "Open EUR" not in [x.name for x in views.list_views(carol)]  # private
    got = views.get_view(bob, "open eur")
    assert got.filters == fs and got.columns == ["number", "balance_due"] and got.sort == "-balance_due"
    with pytest.raises(BadInput, match="already exists"):
        views.create_view(bob, "Open EUR")
    with pytest.raises(BadInput, match="built-in"):
        views.create_view(bob, "All invoices")
    views.share_view(bob, v.id, True)
    seen = views.get_view(carol, "Open EUR")
    assert seen.shared and not seen.editable
    with pytest.raises(PermissionDenied):
        views.update_view(carol, v.id, sort="id")
    with pytest.raises(PermissionDenied):
        views.create_view(carol, "Shared by carol", shared=True)
    views.create_view(carol, "Carol's", columns=["number"])  # private views: any user
    renamed = views.rename_view(bob, v.id, "Open invoices")
    assert renamed.name == "Open invoices"
    assert views.delete_view(admin, v.id) == "Open invoices"  # super admin may delete a shared view
    with pytest.raises(NotFound):
        views.get_view(bob, v.id)


def test_r21_view_input_is_checked(ws, admin):
    with pytest.raises(BadInput, match="Unknown property"):
        views.create_view(admin, "x", columns=["nope"])
    with pytest.raises(BadInput, match="cannot be sorted"):
        views.create_view(admin, "x", sort="comments")
    with pytest.raises(BadInput, match="At most 5 filter groups"):
        views.create_view(admin, "x", filters=FilterSet(groups=[FilterGroup(filters=[
            Filter(property="status", operator="any_of", values=["open"])])] * 6))
    with pytest.raises(BadInput, match="is not a date"):
        views.create_view(admin, "x", filters={"groups": [{"filters": [
            {"property": "due_date", "operator": "before", "values": ["soon"]}]}]})
    with pytest.raises(BadInput, match="default views"):
        views.share_view(admin, views.get_view(admin, "Drafts").id, False)
    assert [v.name for v in views.list_views(admin)] == ["Overdue", "Drafts", "Mine"]


SORTS = [p.id for p in catalogue.PROPERTIES if p.sortable]
# NULL keys, ties, expressions and the id itself get the exhaustive checks
DEEP = {"id", "number", "due_date", "last_sent_date", "payment_date", "contact_name", "days_overdue", "overdue"}


@pytest.mark.parametrize("desc", [False, True])
def test_keyset_pages_equal_the_full_order(ws, admin, data, desc):
    """Every sortable column, both directions: pages read forwards, backwards and from anchors
    concatenate to exactly the order the database gives (NULL keys included)."""
    for prop in SORTS:
        q = views.IndexQuery(sort=("-" if desc else "") + prop)
        expected = [i.id for i in query_invoices(admin, q.filters, q.sort)]
        total = views.count(admin, q)
        assert total == len(expected) == 8
        for size in ((1, 3) if prop in DEEP else (3,)):
            got, after = [], None
            while True:
                rows = views.page(admin, q, after=after, limit=size)
                if not rows:
                    break
                got += [inv.id for _, inv in rows]
                after = rows[-1][0]
            assert got == expected, (prop, desc, size)
            back, before = [], None
            first = views.page(admin, q, start_at=views.anchor_key(admin, q, total - size, total), limit=size)
            back = [inv.id for _, inv in first]
            before = first[0][0]
            while True:
                rows = views.page(admin, q, before=before, limit=size)
                if not rows:
                    break
                back = [inv.id for _, inv in rows] + back
                before = rows[0][0]
            assert back == expected, (prop, desc, size, "backwards")
        for index in (range(total) if prop in DEEP else (0, total - 1)):
            key = views.anchor_key(admin, q, index, total)
            assert key[1] == expected[index], (prop, desc, index)
            assert views.row_of(admin, q, expected[index]) == index


def test_counts_totals_and_search(ws, admin, data):
    q = views.IndexQuery(search="ada@")
    assert views.count(admin, q) == 3
    totals = {t.currency: t for t in views.currency_totals(admin, views.IndexQuery())}
    assert totals["EUR"].count == 4 and totals["EUR"].billed_minor == 10000 + 25000  # voided left out
    assert totals["EUR"].balance_minor == 10000
    assert totals["GBP"].balance_minor == 5000
    assert totals["USD"].billed_minor == 4000 + 99999
    n, both = views.count_and_totals(admin, views.IndexQuery())  # one GROUP BY: the count is Σ counts
    assert n == views.count(admin, views.IndexQuery()) and both == views.currency_totals(admin, views.IndexQuery())
    assert views.count_and_totals(admin, q)[0] == 3
    assert [n for _, n, _ in views.find_numbers(admin, "inv-100")][:2] == ["INV-1001", "INV-1002"]
    assert Invoice.select().count() == 8


def test_search_totals_on_sqlite_read_the_search_index_in_group_order(ws, admin, data):
    """Issue 16: the quick search's count and per-currency totals are one pass over the covering
    search index (migration 0010 leads it with the currency and status), with no sort to group."""
    if not ws.db.__class__.__name__.startswith("Sqlite"):
        pytest.skip("PostgreSQL has no search index")
    from invoice_tui.domain.index_sql import prepare

    q = views.IndexQuery(search="ada@")
    st = prepare(admin, q)._c.totals_statement()
    plan = " | ".join(row[-1] for row in ws.db.execute_sql("EXPLAIN QUERY PLAN " + st.sql, st.params))
    assert "COVERING INDEX invoice_search" in plan and "TEMP B-TREE" not in plan, plan
    n, totals = views.count_and_totals(admin, q)
    assert n == 3 and n == sum(t.count for t in totals)
