"""Issue 24: the property-history view at 80×24 — its columns sit together (no wide gaps), each
change read whole on one row of the screen: when, who, via, old → new."""

from __future__ import annotations

from invoice_tui.domain import invoices
from test_invoice_support import app_for, contact, draft, settle, show_invoice, workspace


def screen_lines(app) -> list[str]:
    return ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]


async def test_issue24_property_history_rows_read_whole_at_80x24(sqlite_url, clock):
    from invoice_tui.modals.property_history import PropertyHistoryModal

    ws, ctx = workspace(sqlite_url, clock, login="jorg.muller.longname")
    i = draft(ctx, contact(ctx).id)
    invoices.edit_invoice(ctx, i.id, {"po_number": "PO-42"})
    invoices.edit_invoice(ctx, i.id, {"po_number": "PO-43"})
    app = app_for(sqlite_url, clock, user="jorg.muller.longname")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        app.push_screen(PropertyHistoryModal(screen.view.id, screen.view.label))
        await settle(pilot, app)
        modal = app.screen
        lines = screen_lines(app)
        # wrapped to the table's width less the scrollbar whether it shows yet or not: the rows
        # that bring the scrollbar do not make them wrap again narrower ("· via" on a line alone)
        changes = modal.query_one("#property-changes")
        assert modal.wrapped_at == changes.size.width - 4, (modal.wrapped_at, changes.size)
        assert not any("▁▁" in line and "▏" in line for line in lines[-6:-3])  # no sideways scrolling
        ol = modal.query_one("#property-list")
        ol.highlighted = next(n for n in range(ol.option_count) if ol.get_option_at_index(n).id == "po_number")
        await settle(pilot, app)
        text = "\n".join(screen_lines(app))
        # each change whole: when · who · via, then old → new, side by side within the dialog
        # a long login wraps the first line whole (nothing of the change is pushed out of its row)
        assert text.count("3/16/26 09:30 ·") == 3 and text.count("jorg.muller.longname") == 3 \
            and text.count("· test") == 3, text
        assert "— → PO-42" in text or " → PO-42" in text
        assert "PO-42 → PO-43" in text, text
        row = next(line for line in screen_lines(app) if "PO-42 → PO-43" in line)
        assert row.rstrip(" █").endswith("PO-42 → PO-43")  # nothing after it: the row is whole
        ol.highlighted = 0  # all properties: the property's name first
        await settle(pilot, app)
        table = modal.query_one("#property-changes")
        table.move_cursor(row=table.row_count - 1)
        await settle(pilot, app)
        text = "\n".join(screen_lines(app))
        assert "PO number: PO-42 → PO-43" in text or "PO number: — → PO-42" in text, text


def test_issue24_dialog_dates_follow_the_reader_locale(sqlite_url, clock):
    """The reminders dialog and the record-payment dialog's unapplied payments write their dates
    as the reader's locale does (as the index and the page do), not as stored (ISO)."""
    from invoice_tui.domain import payments
    from invoice_tui.modals.record_payment import find_unapplied_rows
    from invoice_tui.modals.reminders import upcoming
    from test_invoice_support import open_invoice

    ws, ctx = workspace(sqlite_url, clock)
    c = contact(ctx)
    i = open_invoice(ctx, c.id)
    payments.add_payment(ctx, {"amount": "100", "currency": "EUR", "contact_id": c.id, "date": "2026-03-05"})
    _, rows = upcoming(i.id, "fr_FR")
    assert rows and all(r.due_on.count("/") == 2 and r.due_on[2] == "/" and len(r.due_on) == 10 for r in rows), rows
    assert not any("-" in r.due_on for r in rows)
    assert [r.date for r in find_unapplied_rows("EUR", "", "fr_FR")] == ["05/03/2026"]
    assert [r.date for r in find_unapplied_rows("EUR", "", "en_US")] == ["3/5/26"]


def test_r15_every_property_in_an_invoice_and_credit_note_history_has_a_translated_name(sqlite_url, clock):
    """The property-history dialog names each property in the reader's language: every property an
    invoice's and a credit note's history hold has a name in the catalog, none falls back to its
    stored key ("Document type" once stayed English in a French dialog)."""
    from invoice_tui.domain import credit, payments
    from invoice_tui.i18n import use_language
    from invoice_tui.domain.catalogue import BY_ID
    from invoice_tui.modals.property_history import PROPERTY_LABELS, property_label
    from test_invoice_support import open_invoice

    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id, po_number="PO-1", comments="Thanks")
    payments.record_payment(ctx, i.id, {"amount": "10", "reference": "r"})
    cn = credit.create_credit_note(ctx, i.number, reason="Order cancelled", full=True)
    credit.issue_credit_note(ctx, cn.id)
    props = {c.property for iid in (i.id, cn.id) for c in invoices.property_history(iid)}
    assert {"document_type", "reason", "refers_to", "status", "line_items"} <= props, props
    assert {p for p in props if p not in PROPERTY_LABELS and p not in BY_ID} == set()
    use_language("fr_FR")
    try:
        names = {p: property_label(p) for p in ("document_type", "reason", "refers_to")}
    finally:
        use_language("en_US")
    assert names == {"document_type": "Type de document", "reason": "Motif", "refers_to": "Facture corrigée"}, names
    use_language("fr_FR")
    try:  # the all-properties rows in French typography ("Motif : …")
        from invoice_tui.i18n import _
        assert _("{property}: {change}").format(property="Motif", change="— → x") == "Motif : — → x"
    finally:
        use_language("en_US")


def test_issue24_property_history_values_read_in_the_reader_locale(sqlite_url, clock):
    """Amounts, dates and statuses in the property history as the reader writes them (they were
    shown as stored: "240.00", "2026-04-15", "open"); names and texts as typed."""
    from invoice_tui.domain import payments
    from invoice_tui.i18n import use_language
    from invoice_tui.modals.property_history import load_changes
    from test_invoice_support import open_invoice

    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id, po_number="PO-1")
    payments.record_payment(ctx, i.id, {"amount": "1000.5", "reference": "r"})
    use_language("fr_FR")  # the words (statuses) in the language in use, as the app sets it
    try:
        fr = {(c.property, c.old, c.new) for c in load_changes(i.id, "fr_FR")}
    finally:
        use_language("en_US")
    en = {(c.property, c.old, c.new) for c in load_changes(i.id, "en_US")}
    stored = {c.property: c.new_value for c in invoices.property_history(i.id)}
    paid = next(new for prop, old, new in en if prop == "amount_paid" and old != "—")
    assert paid == "€1,000.50", en
    # the creation's amounts too (its snapshot names the currency after them)
    billed = next(new for prop, old, new in en if prop == "amount_billed" and old == "—")
    assert billed.startswith("€") and "." in billed, en
    assert any(p == "amount_paid" and new.replace("\u202f", " ").replace("\u00a0", " ") == "1 000,50 €"
               for p, old, new in fr), fr
    due = stored["due_date"]  # ISO as stored
    assert ("due_date", "—", f"{due[8:10]}/{due[5:7]}/{due[:4]}") in fr, fr
    assert ("status", "Brouillon", "À payer") in fr, fr
    assert ("po_number", "—", "PO-1") in fr  # a text as typed
    # known-bad: a value that is no amount stays as stored, no error
    from invoice_tui.modals.property_history import shown_value
    assert shown_value("amount_billed", "n/a", "EUR", "fr_FR") == "n/a"
