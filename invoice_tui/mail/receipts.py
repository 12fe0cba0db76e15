"""R10 receipts: an email to the payment's contact confirming a payment.

``record_payment(send_receipt=True)`` calls :func:`queue_receipt_after_commit` inside its own
transaction (the receipt sender wired into ``ctx.services``): the receipt is queued there, so it
exists exactly when the payment does, and delivered by a thread once that transaction has
committed, through the mail transport wired into ``ctx.services``. ``invoice-tui payments receipt PAYMENT`` and the Payments screen send one later.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage

from babel.dates import format_date

from invoice_tui.db.mail_models import OutboxEmail
from invoice_tui.db.models import Contact, Invoice, Payment, User
from invoice_tui.domain.context import Context
from invoice_tui.i18n import _
from invoice_tui.domain.errors import RuleRefused
from invoice_tui.domain.money import format_money, from_minor
from invoice_tui.domain.permissions import require
from invoice_tui.domain.settings import load_settings
from invoice_tui.domain.tx import mutation
from invoice_tui.mail import outbox
from invoice_tui.mail.compose import Prepared, _html, check_address, check_header, resolve_from, sender_name

METHOD_LABELS = {"cash": "cash", "check": "check", "bank_transfer": "bank transfer", "card": "card", "other": "other"}


def receipt_prepared(ctx: Context, payment: Payment) -> Prepared:
    settings = load_settings()
    if payment.state != "succeeded":
        raise RuleRefused(_("Payment #{id} is {state}; receipts are sent for succeeded payments.").format(
            id=payment.id, state=payment.state))
    inv = Invoice.get_or_none(Invoice.id == payment.invoice_id) if payment.invoice_id else None
    contact = Contact.get_or_none(Contact.id == payment.contact_id) if payment.contact_id else None
    if contact is None and inv is not None and inv.billing_contact_id:
        contact = Contact.get_or_none(Contact.id == inv.billing_contact_id)
    if contact is None:
        raise RuleRefused(_("Payment #{id} has no contact to send a receipt to.").format(id=payment.id))
    from_addr, make_default = resolve_from(ctx, None, settings)
    to = check_address(contact.email, "To")
    loc = (inv.locale if inv else None) or settings.locale or "en_US"
    amount = format_money(from_minor(payment.amount_minor, payment.currency), payment.currency, loc)
    when = format_date(payment.date, format="long", locale=loc)
    seller = settings.seller_name or from_addr
    from invoice_tui.documents.markdown import label

    def L(key: str, **kw) -> str:  # noqa: N802 - the receipt speaks the invoice's language (issue 25)
        return label(key, loc, **kw)

    subject = check_header(L("receipt_subject_inv", a=amount, n=inv.number) if inv else L("receipt_subject", a=amount),
                           "Subject")
    method = L(f"m_{payment.method}") if payment.method in METHOD_LABELS else payment.method
    lines = [L("hello", n=contact.first_name or contact.display_name), "",
             L("receipt_thanks", a=amount, d=when), "",
             L("receipt_for", n=payment.id),
             f"{L('amount')}: {amount}",
             f"{L('cn_date')}: {when}",
             f"{L('method')}: {method}"]
    if payment.reference:
        lines.append(f"{L('reference')}: {payment.reference}")
    if inv is not None:
        lines.append(f"{L('invoice')}: {inv.number}")
        lines.append(f"{L('balance_after')}: "
                     f"{format_money(from_minor(inv.balance_minor, inv.currency), inv.currency, loc)}")
    lines += ["", L("kind_regards"), seller]
    body = "\n".join(lines) + "\n"
    msg = EmailMessage()
    name = sender_name(ctx, settings, from_addr)
    msg["From"] = Address(display_name=name, addr_spec=from_addr) if name else from_addr
    to_name = contact.display_name if contact.display_name != contact.email else ""
    msg["To"] = Address(display_name=check_header(to_name, "Recipient name"), addr_spec=to) if to_name else to
    cc = _charger_copy(payment, to)
    if cc:
        msg["Cc"] = cc[0]
    msg["Reply-To"] = from_addr
    msg["Subject"] = subject
    msg.set_content(body, cte="quoted-printable")
    msg.add_alternative(_html(body), subtype="html", cte="quoted-printable")
    return Prepared(msg, "receipt", inv, from_addr, to, cc, subject, None, make_default, [inv.id] if inv else [])


def _charger_copy(payment: Payment, to: str) -> list[str]:
    """Issue 26: the receipt of an online payment goes to the buyer and to the user who charged."""
    if payment.source != "online" or not payment.provider or not payment.created_by:
        return []
    user = User.get_or_none(User.login == payment.created_by)
    if user is None or not user.email or user.email.lower() == to.lower():
        return []
    return [check_address(user.email, "Cc")]


def queue_receipt(ctx: Context, payment: Payment, *, delivering: bool = False) -> OutboxEmail:
    """Queue a receipt inside the caller's transaction (``delivering``: see ``outbox.queue_prepared``)."""
    require(ctx, "send")
    return outbox.queue_prepared(ctx, receipt_prepared(ctx, payment), payment_id=payment.id, kind="receipt",
                                 delivering=delivering)


def queue_receipt_after_commit(ctx: Context, payment: Payment) -> None:
    """R10 hook for ``record_payment``: queue now, deliver once the payment is committed."""
    transport = ctx.services.mail_transport
    email = queue_receipt(ctx, payment, delivering=transport is not None)
    if transport is None:
        return  # stays queued until a transport is configured (outbox retry)
    outbox.deliver_after_commit(ctx, email.id, transport)


@mutation
def _queue(ctx: Context, payment_id, delivering: bool) -> OutboxEmail:
    from invoice_tui.domain.payments import get_payment

    return queue_receipt(ctx, get_payment(payment_id), delivering=delivering)


def send_receipt(ctx: Context, payment_id, transport) -> outbox.Delivery:
    """Queue a receipt for a payment and deliver it now (the Payments screen, the CLI)."""
    email = _queue(ctx, payment_id, transport is not None)
    if transport is None:
        return outbox.Delivery(email, False, _("queued; no mail transport is configured"))
    return outbox.deliver(ctx, email.id, transport)
