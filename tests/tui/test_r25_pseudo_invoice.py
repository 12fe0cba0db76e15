"""Issue 25, point 4, for the invoice page and everything it opens: each screen, modal and dialog
rendered at 80×24 under the pseudo-locale (``tests/i18nkit.py``); a visible word outside ⟦…⟧ that is
not data is a string nobody marked for translation.

The page's document (the invoice as the buyer reads it) and an email's text speak the invoice's
language, not the reader's: their regions are blanked before the words are read (they are the
document, not the application's words).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_invoice_support import (contact, draft, invoices, open_invoice, payments, set_setting,  # noqa: E402
                                  settle, show_invoice, workspace)
from tests.i18nkit import _WORD as WORD  # noqa: E402
from tests.i18nkit import assert_all_marked, unmarked_words, use_pseudo_locale, workspace_data  # noqa: E402

from invoice_tui.app import make_app  # noqa: E402


def build(sqlite_url, clock) -> dict:
    """A draft, an open invoice partly paid (with a note, a task and an online payment), a paid one,
    a voided one, and an issued credit note."""
    from invoice_tui.domain import credit

    ws, ctx = workspace(sqlite_url, clock)
    c = contact(ctx)
    ids = {"draft": draft(ctx, c.id, title="Spring mission", po_number="PO-12").id}
    part = open_invoice(ctx, c.id, po_number="PO-12")
    payments.record_payment(ctx, part.id, {"amount": "500", "method": "bank_transfer", "reference": "WIRE-1"})
    online = payments.add_payment(ctx, {"amount": "10", "currency": "EUR", "source": "online",
                                        "state": "succeeded", "contact_id": c.id, "method": "card"})
    payments.apply_payment(ctx, online.id, part.id)
    invoices.add_note(ctx, part.id, "Customer will pay the rest next month")
    invoices.add_task(ctx, part.id, "Call Bob", None)
    ids["open"], ids["online_payment"] = part.id, online.id
    paid = open_invoice(ctx, c.id)
    payments.record_payment(ctx, paid.id, {"amount": "1590.50", "method": "card"})
    ids["paid"] = paid.id
    voided = open_invoice(ctx, c.id)
    invoices.void_invoice(ctx, voided.id)
    ids["voided"] = voided.id
    corrected = open_invoice(ctx, c.id)
    cn = credit.create_credit_note_and_issue(ctx, corrected.id, reason="Goods returned", amount="50", rate="20")
    ids["credit_note"] = cn.id
    ids["unapplied"] = payments.add_payment(ctx, {"amount": "25", "currency": "EUR", "method": "cash",
                                                  "contact_id": c.id}).id
    return ids


def screen_text_without(app, *selectors: str) -> str:
    """The screen's text with the regions of ``selectors`` (a document, an email) blanked. Under a
    modal, only the modal's own widgets are read (the page under it is a case of its own, and its
    words show there cut by the modal's edges)."""
    lines = ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]
    width = max((len(line) for line in lines), default=0)
    lines = [line.ljust(width) for line in lines]
    top = app.screen
    keep = [child.region for child in top.children] if top.is_modal else None
    blank = set()
    for selector in selectors:
        for widget in top.query(selector):
            r = widget.region
            blank |= {(x, y) for y in range(r.y, min(r.bottom, len(lines))) for x in range(r.x, r.right)}
    out = []
    for y, line in enumerate(lines):
        chars = list(line)
        for x in range(len(chars)):
            if (x, y) in blank or (keep is not None and not any(k.contains(x, y) for k in keep)):
                chars[x] = " "
        out.append("".join(chars))
    return "\n".join(out)


BORDERS = set(" ▏▎▊│█▌▐")


def _text_start(line: str, x: int) -> int:
    """Where the text that holds column ``x`` of ``line`` begins: its words back to two spaces or a
    border (a wrapped cell's next lines begin there)."""
    while x > 0 and not (line[x - 1] in BORDERS - {" "} or (line[x - 1] == " " and (x < 2 or line[x - 2] in BORDERS))):
        x -= 1
    return x


def without_marked(text: str) -> str:
    """``text`` with every ⟦…⟧ blanked, nested ones and those wrapped over several lines included
    (a marked text wrapped in a table cell or an option goes on below, from where its text began)."""
    from tests.i18nkit import CLOSE, OPEN

    source = text.split("\n")
    lines = [list(line) for line in source]
    open_at: list[tuple[int, int]] = []  # (column, depth) of a marked text still open from the lines above
    for original, chars in zip(source, lines):
        carried = []
        for x0, depth in open_at:
            x = x0
            while x > 0 and original[x - 1] not in BORDERS:  # a wrapped line may begin left of x0
                x -= 1
            while x < len(chars) and depth:
                if chars[x] == OPEN:
                    depth += 1
                elif chars[x] == CLOSE:
                    depth -= 1
                chars[x] = " "
                x += 1
            if depth:
                carried.append((x0, depth))
        depth, start = 0, 0
        for x, ch in enumerate(chars):
            if ch == OPEN:
                if depth == 0:
                    start = _text_start(original, x)
                depth += 1
            if depth:
                chars[x] = " "
            if ch == CLOSE and depth:
                depth -= 1
        if depth:
            carried.append((start, depth))
        open_at = carried
    return "\n".join("".join(chars) for chars in lines)


def bare_words(text: str, data) -> list[str]:
    """The words outside the markers that are not data; a word cut at a column's edge that begins
    a data word ("bob@exampl") is data too."""
    words = unmarked_words(without_marked(text), data)
    allowed = {w.casefold() for item in data for w in WORD.findall(str(item))}
    return [w for w in words if not any(a.startswith(w.casefold()) and len(w) >= 3 for a in allowed)]


DOCUMENTS = ("#invoice-document", "#compose-preview-scroll", "#compose-subject", "#compose-message")


async def _page(pilot, app, ids, kind):
    return await show_invoice(pilot, app, ids[kind])


def page(kind):
    async def opener(pilot, app, ids):
        await _page(pilot, app, ids, kind)
    return opener


def action(kind, action_id):
    async def opener(pilot, app, ids):
        screen = await _page(pilot, app, ids, kind)
        screen.run_action_id(action_id)
        await settle(pilot, app)
    return opener


def screen_call(kind, name, *args):
    async def opener(pilot, app, ids):
        screen = await _page(pilot, app, ids, kind)
        getattr(screen, name)(*args)
        await settle(pilot, app)
    return opener


def keys(kind, *pressed):
    async def opener(pilot, app, ids):
        await _page(pilot, app, ids, kind)
        await pilot.press(*pressed)
        await settle(pilot, app)
    return opener


async def _payment_detail(pilot, app, ids):
    from invoice_tui.modals.payment_detail import PaymentDetailModal

    screen = await _page(pilot, app, ids, "open")
    app.push_screen(PaymentDetailModal(next(p for p in screen.view.payments if p.source == "manual")))
    await settle(pilot, app)


async def _online_payment_detail(pilot, app, ids):
    from invoice_tui.modals.payment_detail import PaymentDetailModal

    screen = await _page(pilot, app, ids, "open")
    app.push_screen(PaymentDetailModal(next(p for p in screen.view.payments if p.source == "online")))
    await settle(pilot, app)


async def _refund(pilot, app, ids):
    from invoice_tui.modals.refund import RefundModal

    await _page(pilot, app, ids, "open")
    app.push_screen(RefundModal(ids["online_payment"], "€10.00"))
    await settle(pilot, app)


async def _delete_payment_dialog(pilot, app, ids):
    screen = await _page(pilot, app, ids, "open")
    screen._confirm_delete_payment(next(p for p in screen.view.payments if p.source == "manual"))
    await settle(pilot, app)


async def _payments_screen(pilot, app, ids):
    from invoice_tui.screens.payments import PaymentsScreen

    await settle(pilot, app)
    app.push_screen(PaymentsScreen())
    await settle(pilot, app)


async def _outbox_screen(pilot, app, ids):
    from invoice_tui.screens.outbox import OutboxScreen

    await settle(pilot, app)
    app.push_screen(OutboxScreen())
    await settle(pilot, app)


async def _insert_invoice(pilot, app, ids):
    await action("open", "send_email")(pilot, app, ids)
    await pilot.press("ctrl+o")
    await settle(pilot, app)
    app.screen.action_insert_invoice()
    await settle(pilot, app)


async def _apply_tab(pilot, app, ids, presses=1):
    await keys("open", "p")(pilot, app, ids)
    for _ in range(presses):
        await pilot.press("ctrl+t")
    await settle(pilot, app)


async def _apply_credit_tab(pilot, app, ids):
    await _apply_tab(pilot, app, ids, presses=2)


async def _reminder_delete(pilot, app, ids):
    await action("open", "edit_reminders")(pilot, app, ids)
    await pilot.press("d")
    await settle(pilot, app)


async def _credit_lines(pilot, app, ids):
    from textual.widgets import Select

    await action("open", "credit_note")(pilot, app, ids)
    app.screen.query_one("#cn-mode", Select).value = "lines"
    await settle(pilot, app)


async def _credit_amount(pilot, app, ids):
    from textual.widgets import Select

    await action("open", "credit_note")(pilot, app, ids)
    app.screen.query_one("#cn-mode", Select).value = "amount"
    await settle(pilot, app)


async def _task(pilot, app, ids):
    await screen_call("open", "action_add_task")(pilot, app, ids)


CASES = {
    "invoice page, draft": page("draft"),
    "invoice page, open": page("open"),
    "invoice page, paid": page("paid"),
    "invoice page, voided": page("voided"),
    "credit note page": page("credit_note"),
    "invoice page, payments card": keys("open", "2"),
    "invoice page, history card": keys("open", "5"),
    "record payment": keys("open", "p"),
    "record payment, apply existing": _apply_tab,
    "record payment, apply credit": _apply_credit_tab,
    "actions menu, open": keys("open", "a"),
    "actions menu, draft": keys("draft", "a"),
    "actions menu, credit note": keys("credit_note", "a"),
    "note": screen_call("open", "action_add_note"),
    "task": _task,
    "property history": action("open", "property_history"),
    "all properties": screen_call("open", "action_all_properties"),
    "refund": _refund,
    "reminders": action("open", "edit_reminders"),
    "reminders, delete dialog": _reminder_delete,
    "reminders, none": action("paid", "edit_reminders"),
    "payment detail, manual": _payment_detail,
    "payment detail, online": _online_payment_detail,
    "delete payment dialog": _delete_payment_dialog,
    "download PDF": action("open", "download_pdf"),
    "compose email": action("open", "send_email"),
    "compose custom email": keys("open", "s", "ctrl+o"),
    "insert invoice": _insert_invoice,
    "credit note modal": action("open", "credit_note"),
    "credit note modal, lines": _credit_lines,
    "credit note modal, amount": _credit_amount,
    "finalize dialog": action("draft", "finalize"),
    "delete draft dialog": action("draft", "delete"),
    "void dialog": action("open", "void"),
    "delete invoice dialog": action("open", "delete"),
    "cancel and replace dialog": action("open", "cancel_replace"),
    "copy link": action("open", "copy_link"),
    "payments screen": _payments_screen,
    "outbox screen": _outbox_screen,
    "outbox screen, empty": _outbox_screen,
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_r25_every_word_of_the_invoice_page_is_translated(sqlite_url, clock, smtp_server, case):
    from invoice_tui.config import Config

    ids = build(sqlite_url, clock)
    if case == "outbox screen":  # an email the server refused (the empty outbox has none)
        from invoice_tui.db.models import Invoice
        from invoice_tui.mail.compose import invoice_draft
        from invoice_tui.mail.sending import send_draft
        from invoice_tui.mail.transport import transport_from_url

        _ws, ctx = workspace(sqlite_url, clock)
        set_setting(ctx, "default_from_address", "billing@dupre.example")
        smtp_server.rcpt_replies["bob@example.com"] = "550 5.1.1 User unknown in local recipient table"
        send_draft(ctx, invoice_draft(ctx, Invoice.get_by_id(ids["open"])), transport_from_url(smtp_server.url))
    app = make_app(db_url=sqlite_url, user="alice", now=clock, config=Config(db=sqlite_url, mail_url=smtp_server.url))
    use_pseudo_locale()
    async with app.run_test(size=(80, 24)) as pilot:
        await CASES[case](pilot, app, ids)
        text = screen_text_without(app, *DOCUMENTS)
        bare = bare_words(text, [*workspace_data(), *_email_data(), *_more_data(app)])
    assert_all_marked(case, text, bare)


def _email_data() -> list[str]:
    """An email's own words (its subject, addresses, the server's reply): data."""
    from invoice_tui.db.mail_models import OutboxEmail as Email

    data: list[str] = []
    for e in Email.select():
        data += [e.subject or "", e.to_addrs or "", e.from_addr or "", e.server_reply or "", e.last_error or ""]
    return data


def _more_data(app) -> list[str]:
    """What else the test workspace holds as data: payment references, notes and tasks as typed,
    the invoice's record values (its locale, dates in the workspace's locale: month names), the
    folder a PDF is written to."""
    from invoice_tui.db.models import Activity, Payment

    data = [p.reference or "" for p in Payment.select()] + [p.note or "" for p in Payment.select()]
    data += [a.text for a in Activity.select().where(Activity.kind.in_(["note", "task"]))]
    from invoice_tui.modals.download_pdf import default_pdf_path

    data += [default_pdf_path("INV-1001"), str(Path.home()), "en_US", "January February March April May June July August "
             "September October November December"]
    return data
