"""The send services used by the compose screen and ``invoice-tui invoices send``: check a
draft, queue it in the outbox, and try to deliver it at once (waiting briefly)."""

from __future__ import annotations

from dataclasses import dataclass

from invoice_tui.db.mail_models import OutboxEmail
from invoice_tui.domain.context import Context
from invoice_tui.i18n import _
from invoice_tui.domain.errors import RuleRefused
from invoice_tui.domain.permissions import has, require
from invoice_tui.domain.settings import load_settings
from invoice_tui.mail import outbox
from invoice_tui.mail.compose import EmailDraft, Prepared, prepare
from invoice_tui.mail.transport import Transport


@dataclass
class SendResult:
    email: OutboxEmail
    delivered: bool
    message: str


def prepare_for_send(ctx: Context, draft: EmailDraft) -> Prepared:
    """Every check of R30/R31 (and R17), then the message with its PDF (for invoice emails)."""
    require(ctx, "send")
    settings = load_settings()
    prepared = prepare(ctx, draft, settings=settings, with_attachment=False)  # checks first, cheaply
    if prepared.new_contact_email and not has(ctx, "create"):
        raise RuleRefused(_("{address} is not a contact yet and {login} lacks the 'create' permission needed to add "
                            "it; pick an existing contact.").format(address=prepared.new_contact_email, login=ctx.login),
                          field="to")
    if draft.kind == "invoice":
        prepared = prepare(ctx, draft, settings=settings, with_attachment=True)
    return prepared


def send_draft(ctx: Context, draft: EmailDraft, transport: Transport | None) -> SendResult:
    """Queue the email (stored first), then deliver it now when a transport is given.

    Without a transport (none configured) the email waits in the outbox.
    """
    prepared = prepare_for_send(ctx, draft)
    email = outbox.queue(ctx, prepared, delivering=transport is not None)
    if transport is None:
        return SendResult(email, False, _("queued; no mail transport is configured"))
    d = outbox.deliver(ctx, email.id, transport)
    return SendResult(d.email, d.delivered, d.message)
