"""Pilot tests of the sending screens: compose → preview → send (R30–R32), a custom email with
an inserted invoice, and edit reminders (R33) — on a real SQLite workspace and a real SMTP server."""

from __future__ import annotations

from tests.workerkit import workers_done
from textual.widgets import Input, Static, TextArea

from invoice_tui.app import make_app
from invoice_tui.config import Config
from invoice_tui.db.models import Invoice, Reminder
from invoice_tui.domain.workspace import open_workspace

from .conftest import make_invoice, setup_workspace


async def settle(pilot, app) -> None:
    for _ in range(3):
        await pilot.pause()
        await workers_done(app)
    await pilot.pause()


def workspace(sqlite_url, clock):
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    ctx = ws.context("alice", source="test", now=clock)
    setup_workspace(ctx)
    return ws, ctx


def preview_text(app) -> str:
    return str(app.screen.query_one("#compose-preview", Static).render())


async def test_r30_compose_preview_send(sqlite_url, clock, smtp_server):
    from invoice_tui.modals.compose import ComposeScreen

    ws, ctx = workspace(sqlite_url, clock)
    inv = make_invoice(ctx)
    app = make_app(workspace=ws, context=ctx, config=Config(db=sqlite_url, mail_url=smtp_server.url))
    async with app.run_test(size=(140, 48)) as pilot:
        await settle(pilot, app)
        app.push_screen(ComposeScreen(inv.id))
        await settle(pilot, app)
        screen = app.screen
        assert screen.query_one("#compose-to", Input).value == "zoe@muller.example"  # billing contact
        text = preview_text(app)
        assert "To: Zoë Müller <zoe@muller.example>" in text
        assert f"Subject: Invoice {inv.number} from Atelier Dupré" in text
        assert "Reply-To: billing@dupre.example" in text and f"Attachment: {inv.number}.pdf" in text
        # CC: nine accepted, the tenth refused with a message
        cc_input = screen.query_one("#compose-cc-input", Input)
        cc_input.focus()
        for i in range(10):
            cc_input.value = f"cc{i}@muller.example"
            await pilot.press("enter")
            await pilot.pause()
        assert len(screen.cc) == 9
        assert "at most 9 CC" in str(screen.query_one("#compose-cc-error", Static).render())
        # edit the subject: the preview follows
        subject = screen.query_one("#compose-subject", Input)
        subject.value = "Votre facture"
        await settle(pilot, app)
        assert "Subject: Votre facture" in preview_text(app) and "cc8@muller.example" in preview_text(app)
        assert Invoice.get_by_id(inv.id).last_sent_date is None
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert not isinstance(app.screen, ComposeScreen)
    assert len(smtp_server.received) == 1
    got = smtp_server.received[0]
    assert got.message["Subject"] == "Votre facture" and len(got.rcpt_tos) == 10
    assert Invoice.get_by_id(inv.id).last_sent_date == ctx.today()  # R32: accepted


async def test_r31_custom_email_with_inserted_invoice(sqlite_url, clock, smtp_server):
    from invoice_tui.modals.compose import ComposeScreen, InsertInvoiceModal

    ws, ctx = workspace(sqlite_url, clock)
    inv = make_invoice(ctx)
    other = make_invoice(ctx, amount="80")
    app = make_app(workspace=ws, context=ctx, config=Config(db=sqlite_url, mail_url=smtp_server.url))
    async with app.run_test(size=(140, 48)) as pilot:
        await settle(pilot, app)
        app.push_screen(ComposeScreen(inv.id))
        await settle(pilot, app)
        await pilot.press("ctrl+o")  # custom email
        await settle(pilot, app)
        screen = app.screen
        assert screen.mode == "custom"
        screen.query_one("#compose-subject", Input).value = "A note"
        area = screen.query_one("#compose-message", TextArea)
        area.text = "Hello, see "
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press("ctrl+g")
        await settle(pilot, app)
        assert isinstance(app.screen, InsertInvoiceModal)
        await pilot.press(*other.number)
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.screen is screen
        assert f"[{other.number}](https://invoices.example.com/i/{other.link_token})" in area.text
        text = preview_text(app)
        assert f"{other.number} <https://invoices.example.com/i/{other.link_token}>" in text
        assert "Attachment" not in text
        await pilot.press("ctrl+s")
        await settle(pilot, app)
    msg = smtp_server.received[0].message
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert f'<a href="https://invoices.example.com/i/{other.link_token}">{other.number}</a>' in html
    assert not list(msg.iter_attachments())
    assert Invoice.get_by_id(inv.id).last_sent_date is None  # R32: a custom email never changes it
    assert Invoice.get_by_id(other.id).last_sent_date is None


async def test_r33_edit_reminders_deletes_an_upcoming_one(sqlite_url, clock):
    from invoice_tui.modals.reminders import RemindersModal

    ws, ctx = workspace(sqlite_url, clock)
    inv = make_invoice(ctx)
    app = make_app(workspace=ws, context=ctx, config=Config(db=sqlite_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.push_screen(RemindersModal(inv.id))
        await settle(pilot, app)
        modal = app.screen
        table = modal.query_one("#reminders-table")
        assert table.row_count == 3
        table.focus()
        await pilot.press("down")  # the due-date reminder (offset 0)
        await pilot.press("d")
        await settle(pilot, app)
        await pilot.click("#confirm")  # the confirm dialog (Cancel has the focus by default)
        await settle(pilot, app)
        assert app.screen.query_one("#reminders-table").row_count == 2
        await pilot.press("escape")
        await settle(pilot, app)
    states = {r.offset_days: r.state for r in Reminder.select().where(Reminder.invoice == inv.id)}
    assert states == {-3: "planned", 0: "deleted", 7: "planned"}


async def test_r10_payments_screen_sends_a_receipt_and_outbox_shows_it(sqlite_url, clock, smtp_server):
    from invoice_tui.domain import payments
    from invoice_tui.screens.outbox import OutboxScreen
    from invoice_tui.screens.payments import PaymentsScreen

    ws, ctx = workspace(sqlite_url, clock)
    inv = make_invoice(ctx)
    payments.record_payment(ctx, inv.id, {"amount": "1440"})
    app = make_app(workspace=ws, context=ctx, config=Config(db=sqlite_url, mail_url=smtp_server.url))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        app.push_screen(PaymentsScreen())
        await settle(pilot, app)
        assert app.screen.query_one("#payments-table").row_count == 1
        await pilot.press("s")
        await settle(pilot, app)
        assert len(smtp_server.received) == 1
        assert smtp_server.received[0].message["Subject"].startswith("Receipt for your payment")
        app.push_screen(OutboxScreen())
        await settle(pilot, app)
        table = app.screen.query_one("#outbox-table")
        assert table.row_count == 1 and "sent" in str(app.screen.query_one("#outbox-status", Static).render())


async def test_r58_outbox_shows_a_rejected_email_with_the_servers_sentence_at_80x24(sqlite_url, clock, smtp_server):
    from invoice_tui.mail.compose import invoice_draft
    from invoice_tui.mail.sending import send_draft
    from invoice_tui.mail.transport import transport_from_url
    from invoice_tui.screens.outbox import OutboxScreen

    ws, ctx = workspace(sqlite_url, clock)
    inv = make_invoice(ctx)
    smtp_server.rcpt_replies["zoe@muller.example"] = "550 5.1.1 User unknown in local recipient table"
    assert not send_draft(ctx, invoice_draft(ctx, inv), transport_from_url(smtp_server.url)).delivered
    app = make_app(workspace=ws, context=ctx, config=Config(db=sqlite_url, mail_url=smtp_server.url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.push_screen(OutboxScreen())
        await settle(pilot, app)
        assert "1 rejected" in str(app.screen.query_one("#outbox-status", Static).render())
        detail = str(app.screen.query_one("#outbox-detail", Static).render())
        assert "User unknown in local recipient table" in detail and "not retried" in detail
        await pilot.press("r")  # a person's retry is refused with the reason; nothing is sent
        await settle(pilot, app)
        assert any("never retried" in n.message for n in app._notifications)
        assert smtp_server.received == []
