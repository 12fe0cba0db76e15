"""The change feed (issue 15): it sees writes made by another connection, and names what changed
from the history rows written with them (the kinds of objects, the invoice ids). A write that
left no history (a raw UPDATE) still reaches the subscribers, as a change of unknown scope."""

from __future__ import annotations

import time

import pytest

from invoice_tui.db import is_postgres
from invoice_tui.db.changes import APPLICATION_NAME
from invoice_tui.domain import invoices, payments, people
from invoice_tui.domain.workspace import set_setting

PATIENCE = 15.0


def _collect(feed, got, predicate):
    """Ask the feed to look until a delivered change satisfies ``predicate`` (or time runs out)."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        found = [c for c in got if predicate(c)]
        if found:
            return found[0]
        feed.check_now()
    return None


def test_issue15_the_feed_names_the_kind_and_the_invoice_changed_elsewhere(ws, admin, buyer):
    draft = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": buyer.id, "allow_partial": True,
                                            "lines": [{"name": "Work", "unit_price": "100"}]})
    feed = ws.change_feed()
    got = []
    feed.subscribe(got.append)
    feed.start()
    try:
        assert feed.check_now()  # the feed's first look: nothing is reported for what came before
        assert got == []
        inv = invoices.finalize_invoice(admin, draft.id)  # this thread's connection, not the feed's
        change = _collect(feed, got, lambda c: c.kinds and "invoice" in c.kinds)
        assert change is not None and change.invoice_ids == {inv.id}
        assert change.concerns_invoice(inv.id) and not change.concerns_invoice(inv.id + 1)
        got.clear()
        payments.record_payment(admin, inv.id, {"amount": "40", "method": "cash"})
        change = _collect(feed, got, lambda c: c.kinds and "payment" in c.kinds)
        assert change is not None and inv.id in change.invoice_ids
        got.clear()
        people.add_contact(admin, {"email": "zoe@example.com"})
        change = _collect(feed, got, lambda c: c.kinds is not None and "contact" in c.kinds)
        assert change is not None and not change.concerns_invoice(inv.id)
        got.clear()
        set_setting(admin, "locale", "fr_FR")
        change = _collect(feed, got, lambda c: c.concerns("settings"))
        assert change is not None and change.kinds is not None and "settings" in change.kinds
        got.clear()
        ws.db.execute_sql("UPDATE invoice SET title = 'raw' WHERE id = %s" % inv.id)  # no history row
        change = _collect(feed, got, lambda c: c.invoice_ids is None)
        assert change is not None and change.concerns_invoice(inv.id) and change.concerns_invoice(inv.id + 99)
    finally:
        feed.stop()
    assert not feed.running


def test_issue15_a_stopped_feed_delivers_nothing_more(ws, admin, buyer):
    feed = ws.change_feed()
    got = []
    sub = feed.subscribe(got.append)
    feed.start()
    assert feed.check_now()
    sub.close()
    people.add_contact(admin, {"email": "late@example.com"})
    feed.check_now()
    feed.check_now()
    feed.stop()
    assert got == [] and not feed.check_now()


def test_issue15_after_losing_its_connection_the_feed_says_anything_may_have_changed(ws, admin, buyer):
    """PostgreSQL ends the feed's LISTEN connection (a restart, a network cut): notifications may
    have been missed meanwhile, so once connected again the feed reports an unknown change."""
    if not is_postgres(ws.db):
        pytest.skip("a SQLite feed reads a local file: its connection is not cut from outside")
    feed = ws.change_feed()
    got = []
    feed.subscribe(got.append)
    feed.start()
    try:
        assert feed.check_now()
        ended = ws.db.execute_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE application_name = %s AND datname = current_database()",
                                  (APPLICATION_NAME,)).fetchall()
        assert ended == [(True,)]
        change = _collect(feed, got, lambda c: c.anything)
        assert change is not None and change.concerns_invoice(1) and change.concerns("settings")
        got.clear()
        people.add_contact(admin, {"email": "back@example.com"})  # followed again
        assert _collect(feed, got, lambda c: c.kinds is not None and "contact" in c.kinds) is not None
    finally:
        feed.stop()


def test_issue15_a_feed_stopped_twice_or_woken_after_closes_nobody_elses_file(ws):
    """The feed's wake pipe is closed once: stopping it again, or waking it after, must not close
    or write to the files that have meanwhile taken its descriptor numbers (a socket, a pipe of
    another server in the same process: a flaky teardown in the suite was that)."""
    import os

    feed = ws.change_feed()
    feed.start()
    assert feed.check_now()
    feed.stop()
    r, w = os.pipe()  # likely the numbers the feed's pipe had
    try:
        feed.stop()
        feed._wake()
        os.fstat(r), os.fstat(w)  # still open
        os.set_blocking(r, False)
        with pytest.raises(BlockingIOError):
            os.read(r, 10)  # and nothing was written into it
    finally:
        os.close(r)
        os.close(w)
