"""R55 in the TUI: names and free text holding terminal escapes (OSC 52, CSI), C1 controls, bidi
overrides and Rich markup, written into the database behind the app's back, are drawn on every
screen that shows them with no control character in any rendered segment (and no markup read)."""

from __future__ import annotations

from invoice_tui.domain import payments
from tests.hostilekit import HOSTILE, controls, poison
from test_invoice_support import app_for, contact, draft, open_invoice, settle, workspace


def leaks(app) -> list[str]:
    """Control characters in what the current screen draws (every segment of every line)."""
    found = []
    compositor = app.screen._compositor
    for y, strip in enumerate(compositor.render_strips()):
        x = 0
        for segment in strip:
            if controls(segment.text):
                widget = compositor.get_widget_at(x, y)[0]
                found.append((type(widget).__name__, widget.id, segment.text))
            x += segment.cell_length
    return found


def visible(app) -> str:
    return "\n".join("".join(s.text for s in strip) for strip in app.screen._compositor.render_strips())


async def drawn(pilot, app, text: str, rounds: int = 40) -> str:
    """What the screen draws once ``text`` is among it (a loaded table is drawn on a later frame
    than the worker's result arrives), or what it draws after ``rounds`` tries."""
    for _round in range(rounds):
        await settle(pilot, app)
        if text in visible(app):
            break
    return visible(app)


async def test_r55_hostile_names_are_drawn_escaped_on_every_screen(sqlite_url, clock):
    from invoice_tui.domain import people
    from invoice_tui.modals.pickers import PickerModal
    from invoice_tui.modals.property_history import AllPropertiesModal, PropertyHistoryModal
    from invoice_tui.screens.companies import CompaniesScreen
    from invoice_tui.screens.contacts import ContactsScreen
    from invoice_tui.screens.editor import EditorScreen
    from invoice_tui.screens.invoice import InvoiceScreen
    from invoice_tui.screens.payments import PaymentsScreen
    from invoice_tui.screens.people import InvoiceListModal

    ws, ctx = workspace(sqlite_url, clock)
    bob = contact(ctx)
    acme = people.add_company(ctx, {"name": "Acme"})
    inv = open_invoice(ctx, bob.id, company_id=acme.id, title="Work", po_number="PO-1", comments="Thanks")
    payments.record_payment(ctx, inv.id, {"amount": "100", "reference": "r", "note": "n"})
    other = draft(ctx, bob.id, company_id=acme.id)
    poison(inv.id, contact_id=bob.id, company_id=acme.id, login="alice")
    poison(other.id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=(160, 50)) as pilot:
        assert "Eve\\x1b" in await drawn(pilot, app, "Eve\\x1b")  # the index shows the escape as text
        assert leaks(app) == []
        for screen in (InvoiceScreen(inv.id), InvoiceScreen(other.id)):
            app.push_screen(screen)
            await settle(pilot, app)
            for card in "12345":
                await pilot.press(card)
                await settle(pilot, app)
                assert leaks(app) == [], card
            assert screen.view is not None, [n.message for n in app._notifications]
            app.push_screen(AllPropertiesModal(screen.view.label, screen.view.record))
            await settle(pilot, app)
            assert leaks(app) == []
            app.pop_screen()
            app.push_screen(PropertyHistoryModal(screen.view.id, screen.view.label))
            await settle(pilot, app)
            assert leaks(app) == []
            app.pop_screen()
            app.notify(f"Saved {HOSTILE}", title=HOSTILE)  # a notification echoing a stored name
            await settle(pilot, app)
            assert leaks(app) == []
            app.pop_screen()
        for screen in (ContactsScreen(), CompaniesScreen(), PaymentsScreen()):
            app.push_screen(screen)
            assert "\\u202e" in await drawn(pilot, app, "\\u202e"), type(screen).__name__
            assert leaks(app) == [], type(screen).__name__
            app.pop_screen()
        app.push_screen(EditorScreen(other.id))  # a draft's editor: fields, lines, contact and company
        await settle(pilot, app)
        assert leaks(app) == []
        app.pop_screen()
        for kind in ("contact", "company", "user"):
            app.push_screen(PickerModal(kind))
            assert "\\x1b" in await drawn(pilot, app, "\\x1b"), kind
            assert leaks(app) == [], kind
            app.pop_screen()
        for kind, rid in (("contact", bob.id), ("company", acme.id)):
            app.push_screen(InvoiceListModal(kind, rid, HOSTILE))
            await settle(pilot, app)
            assert leaks(app) == []
            app.pop_screen()
