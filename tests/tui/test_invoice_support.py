"""Shared helpers for the invoice screen / editor / contacts Pilot tests (no tests here).

Data is built through the services on a real SQLite workspace; the app is ``make_app`` with a
fixed clock; every test asserts on the database afterwards.
"""

from __future__ import annotations

from tests.workerkit import workers_done
import datetime as dt

from invoice_tui.app import make_app
from invoice_tui.db.models import Activity, Invoice, Payment
from invoice_tui.domain import invoices, payments, people
from invoice_tui.domain.workspace import open_workspace, set_setting


def workspace(url, clock, login: str = "alice"):
    ws = open_workspace(url, notice=lambda m: None)
    return ws, ws.context(login, source="test", now=clock)


def contact(ctx, email="bob@example.com", first="Bob", last="Buyer"):
    return people.add_contact(ctx, {"email": email, "first_name": first, "last_name": last})


def draft(ctx, contact_id=None, *, partial=True, lines=None, currency="EUR", **extra):
    data = {"currency": currency, "allow_partial": partial,
            "lines": lines or [{"name": "Consulting", "quantity": "3", "unit_price": "400", "tax_rate": "20"},
                               {"name": "Travel", "quantity": "1", "unit_price": "150.50"}]}
    if contact_id:
        data["contact_id"] = contact_id
    data.update(extra)
    return invoices.create_invoice(ctx, data)


def open_invoice(ctx, contact_id, **kw):
    inv = draft(ctx, contact_id, **kw)
    return invoices.finalize_invoice(ctx, inv.id)


def app_for(url, clock, user="alice"):
    return make_app(db_url=url, user=user, now=clock)


async def settle(pilot, app, rounds: int = 4) -> None:
    """Let messages run and every worker finish (their results may start more work)."""
    from textual.worker import WorkerState

    for _ in range(rounds):
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            return
        await workers_done(app)
    await pilot.pause()


async def show_invoice(pilot, app, invoice_id):
    from invoice_tui.screens.invoice import InvoiceScreen

    await settle(pilot, app)
    app.push_screen(InvoiceScreen(invoice_id))
    await settle(pilot, app)
    return app.screen


async def open_payment_form(pilot, app, invoice_id):
    """The invoice's page, then its record-payment modal (p); returns (page, modal)."""
    screen = await show_invoice(pilot, app, invoice_id)
    await pilot.press("p")
    await settle(pilot, app)
    return screen, app.screen


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


def inv(invoice_id) -> Invoice:
    return Invoice.get_by_id(invoice_id)


def kinds(invoice_id) -> list[str]:
    return [a.kind for a in Activity.select().where(Activity.invoice_id == invoice_id).order_by(Activity.id)]


def invoice_payments(invoice_id) -> list[Payment]:
    return list(Payment.select().where(Payment.invoice == invoice_id).order_by(Payment.id))


def notifications(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


__all__ = ["workspace", "contact", "draft", "open_invoice", "app_for", "settle", "show_invoice", "open_payment_form",
           "type_text", "inv", "kinds", "invoice_payments", "notifications", "set_setting", "payments", "invoices", "people", "dt"]
