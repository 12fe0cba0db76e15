"""Issue 27: a customer's statement of account sent by email through the outbox (R30's checks, the
outbox's retries), with the statement as a PDF attachment (``documents.pdf.statement_pdf``).

The recipient is the contact's email, or for a company its first contact's; another address is
given with ``to``. The email is a custom one (no invoice); the body names the closing balance per
currency.
"""

from __future__ import annotations

from invoice_tui.db.models import Contact
from invoice_tui.domain.context import Context
from invoice_tui.i18n import _
from invoice_tui.domain.errors import BadInput
from invoice_tui.domain.money import format_minor
from invoice_tui.domain.permissions import require
from invoice_tui.mail import outbox
from invoice_tui.mail.compose import EmailDraft, from_choice
from invoice_tui.mail.sending import SendResult, prepare_for_send
from invoice_tui.mail.transport import Transport


def recipient(customer) -> str:
    """The customer's address: the contact's, or a company's first contact's."""
    if customer.contact_id:
        c = Contact.get_or_none(Contact.id == customer.contact_id)
    else:
        c = Contact.select().where(Contact.company == customer.company_id).order_by(Contact.id).first()
    if c is None or not c.email:
        raise BadInput(_("{customer} has no contact to send the statement to; give the address with --to.").format(
            customer=customer.label),
                       field="to", code="statement.no_recipient")
    return c.email


def statement_draft(ctx: Context, statements, to: str, from_addr: str | None = None) -> EmailDraft:
    """The statement's email, worded in the workspace's locale (the statement's PDF is too)."""
    from invoice_tui.documents.markdown import label
    from invoice_tui.domain.settings import load_settings

    loc = load_settings().locale or "en_US"
    as_of = statements[0].as_of.isoformat() if statements else ""
    who = statements[0].customer_label if statements else ""
    if statements:
        from babel.dates import format_date

        try:
            day = format_date(statements[0].as_of, format="long", locale=loc)
        except Exception:  # noqa: BLE001 - an odd locale reads the ISO date
            day = as_of
    else:
        day = as_of
    lines = [label("statement_attached", loc, d=day)]
    for s in statements:
        lines.append(label("balance_in", loc, c=s.currency, a=format_minor(s.closing_minor, s.currency, loc)))
    return EmailDraft(kind="custom", invoice_id=None, to=to, from_addr=from_addr or from_choice(ctx).default,
                      subject=f"{label('statement', loc)} {who} {as_of}".strip(), body="\n".join(lines))


def send_statement(ctx: Context, statements, *, to: str | None = None, customer=None, from_addr: str | None = None,
                   transport: Transport | None = None) -> SendResult:
    """Queue the statement email (stored first), then deliver it now when a transport is given."""
    from invoice_tui.documents.pdf import statement_pdf

    require(ctx, "send")
    to = to or recipient(customer)
    prepared = prepare_for_send(ctx, statement_draft(ctx, statements, to, from_addr))
    as_of = statements[0].as_of.isoformat() if statements else "statement"
    prepared.message.add_attachment(statement_pdf(statements), maintype="application", subtype="pdf",
                                    filename=f"statement-{as_of}.pdf")
    email = outbox.queue(ctx, prepared, delivering=transport is not None)
    if transport is None:
        return SendResult(email, False, _("queued; no mail transport is configured"))
    d = outbox.deliver(ctx, email.id, transport)
    return SendResult(d.email, d.delivered, d.message)
