"""Issue 26 in the TUI: "Charge saved payment method" from the invoice page's actions, the
attempt shown live (processing, then succeeded, without a reload); refund from the Payments card."""

from __future__ import annotations

import threading

from invoice_tui.app import make_app
from invoice_tui.db.models import Payment
from invoice_tui.db.online_models import SavedPaymentMethod
from invoice_tui.domain import invoices, people
from invoice_tui.domain.workspace import open_workspace, set_setting
from invoice_tui.wiring import services
from onlinekit import pi, screen_rows, stripe_config


def prepare(url, clock, stripe_url):
    ws = open_workspace(url, notice=lambda m: None)
    ctx = ws.context("alice", source="test", now=clock, services=services(stripe_config(stripe_url)))
    for key, value in (("seller_name", "Atelier"), ("seller_address", "1 rue X, Paris")):
        set_setting(ctx, key, value)
    contact = people.add_contact(ctx, {"email": "zoe@muller.example", "first_name": "Zoë"})
    inv = invoices.finalize_invoice(ctx, invoices.create_invoice(ctx, {
        "currency": "EUR", "contact_id": contact.id,
        "lines": [{"name": "Work", "quantity": "1", "unit_price": "100", "tax_rate": "20"}]}).id)
    SavedPaymentMethod.create(contact=contact.id, provider="stripe", customer_ref="cus_fx", method_ref="pm_fx",
                              kind="card", brand="visa", last4="4242", exp_month=1, exp_year=2031,
                              created_at=clock())
    ws.db.close()
    return inv


async def wait_until(pilot, condition, rounds: int = 300):
    for _ in range(rounds):
        await pilot.pause(0.05)
        if condition():
            return True
    return False


def states(screen) -> list[str]:
    return [p.state for p in screen.view.payments] if screen.view is not None else []


async def test_r34_charge_from_the_invoice_page_shown_live_then_refund_from_the_payments_card(
        sqlite_url, clock, fixture_stripe):
    from textual.widgets import Button, Input

    from invoice_tui.screens.invoice import InvoiceScreen

    fx, url = fixture_stripe
    inv = prepare(sqlite_url, clock, url)
    gate = threading.Event()
    fx.routes[("POST", "/v1/payment_intents")] = (200, pi("pi_tui", "succeeded"))
    fx.gates[("POST", "/v1/payment_intents")] = gate
    app = make_app(db_url=sqlite_url, user="alice", now=clock, services=services(stripe_config(url)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(InvoiceScreen(inv.id))
        assert await wait_until(pilot, lambda: isinstance(app.screen, InvoiceScreen) and app.screen.view is not None)
        page = app.screen
        charge = next(a for a in page.view.actions if a.id == "charge")
        assert charge.enabled, charge.reason
        page.run_action_id("charge")
        assert await wait_until(pilot, lambda: app.screen.query("#confirm"))
        assert "VISA" in str(app.screen.message).upper() and "4242" in app.screen.message
        app.screen.query_one("#confirm", Button).press()
        # Stripe has not answered yet: the attempt is already on the page, processing
        assert await wait_until(pilot, lambda: states(page) == ["processing"]), states(page)
        gate.set()
        assert await wait_until(pilot, lambda: states(page) == ["succeeded"]), states(page)
        assert page.view.status == "paid"
        # refund 20 from the Payments card (r), through the refund dialog
        fx.routes[("POST", "/v1/refunds")] = (200, {"id": "re_tui", "object": "refund", "amount": 2000,
                                                     "currency": "eur", "payment_intent": "pi_tui",
                                                     "status": "succeeded"})
        await pilot.press("2")
        await pilot.press("r")
        assert await wait_until(pilot, lambda: app.screen.query("#refund-amount"))
        await pilot.pause()
        button = app.screen.query_one("#refund", Button)
        assert button.region.height and button.region.bottom <= 24  # the whole dialog fits 80x24
        app.screen.query_one("#refund-amount", Input).value = "20"
        app.screen.query_one("#refund", Button).press()
        assert await wait_until(pilot, lambda: page.view.status == "open")
        p = Payment.get(Payment.provider_ref == "pi_tui")
        assert p.amount_refunded_minor == 2000 and p.state == "succeeded"
        # a manual payment is not refunded, an online one is never deleted (R11)
        await pilot.press("d")
        await pilot.pause()
        assert Payment.get_or_none(Payment.id == p.id) is not None


async def test_issue26_saved_methods_listed_on_the_invoice_panel_at_80x24_read_whole(sqlite_url, clock):
    """The billing contact's saved payment methods are listed in the Payments card: brand, last four
    digits and expiry, each line read whole at 80×24 (never a card number: none is stored)."""
    from invoice_tui.screens.invoice import InvoiceScreen

    inv = prepare(sqlite_url, clock, "http://127.0.0.1:9")
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    SavedPaymentMethod.create(contact=inv.billing_contact_id, provider="stripe", customer_ref="cus_fx",
                              method_ref="pm_sepa", kind="sepa_debit", brand="", last4="3000", created_at=clock())
    SavedPaymentMethod.create(contact=inv.billing_contact_id, provider="stripe", customer_ref="cus_fx",
                              method_ref="pm_mc", kind="card", brand="mastercard", last4="4444", exp_month=11,
                              exp_year=2029, created_at=clock())
    ws.db.close()
    app = make_app(db_url=sqlite_url, user="alice", now=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(InvoiceScreen(inv.id))
        assert await wait_until(pilot, lambda: isinstance(app.screen, InvoiceScreen) and app.screen.view is not None)
        assert [m.label for m in app.screen.view.payment_methods] == [
            "Mastercard •••• 4444", "SEPA •••• 3000", "Visa •••• 4242"]  # the newest first: charged first
        await pilot.press("2")
        app.screen.query_one("#card-payments").scroll_visible(top=True, animate=False)
        await pilot.pause(0.3)
        rows = screen_rows(app.export_screenshot())
    panel = [row.split("▏")[-1] for row in rows if "▏" in row]  # the panel: right of the divider
    at = next(i for i, row in enumerate(panel) if "Saved payment methods:" in row)
    assert [" ".join(row.split()) for row in panel[at + 1:at + 6]] == [
        "Mastercard •••• 4444", "expires 11/2029", "SEPA •••• 3000", "Visa •••• 4242", "expires 01/2031"], \
        "\n".join(rows)
    assert not any("…" in row for row in panel), "\n".join(rows)


async def test_issue26_saved_methods_listed_on_the_contacts_page_at_80x24_read_whole(sqlite_url, clock):
    """The contact's own page (i on the contacts list) lists their saved payment methods too."""
    from invoice_tui.screens.contacts import ContactsScreen

    inv = prepare(sqlite_url, clock, "http://127.0.0.1:9")
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    SavedPaymentMethod.create(contact=inv.billing_contact_id, provider="stripe", customer_ref="cus_fx",
                              method_ref="pm_mc", kind="card", brand="mastercard", last4="4444", exp_month=11,
                              exp_year=2029, created_at=clock())
    ws.db.close()
    app = make_app(db_url=sqlite_url, user="alice", now=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(ContactsScreen())
        assert await wait_until(pilot, lambda: isinstance(app.screen, ContactsScreen))
        await pilot.pause(0.5)
        await pilot.press("i")
        assert await wait_until(pilot, lambda: "Saved payment methods" in " ".join(screen_rows(
            app.export_screenshot())))
        await pilot.pause(0.3)
        said = str(app.screen.query_one("#invoice-list-status").render())
        rows = screen_rows(app.export_screenshot())
    assert said.startswith("Saved payment methods: Mastercard •••• 4444, expires 11/2029; Visa •••• 4242, "
                           "expires 01/2031 · "), said
    assert any("Mastercard •••• 4444, expires 11/2029;" in r for r in rows), "\n".join(rows)  # wrapped, never cut
    assert any("4242, expires 01/2031" in r for r in rows), "\n".join(rows)
