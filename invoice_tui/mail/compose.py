"""Composing emails (R30, R31): who sends, to whom, and exactly what is sent.

An :class:`EmailDraft` is what the compose screen and ``invoice-tui invoices send`` edit; a draft
becomes an :class:`email.message.EmailMessage` with :func:`build_message` — the same function
builds the live preview (:func:`preview_text`) and the message that goes to the outbox, so the
preview is exactly what will be sent (Date and Message-ID are set when the message is queued).

Rules decided here:

- From (R30): the workspace ``default_from_address`` when set; a user may pick their own
  address instead only when ``allow_personal_from`` is on. Without a default, the user's own
  address is proposed (any address may be typed) and the address actually used becomes the
  workspace default once the email is queued.
- Reply-To is always the From address.
- To: one address (the billing contact's by default, or another contact, or a new address: a
  contact is created for it once the server accepts the email). CC: up to 9 (R30).
- Names, subjects and addresses with CR, LF or any control character are refused (header
  injection); the body may hold line breaks and tabs only.
- Subject and body come from the workspace templates ``email_subject_template`` and
  ``email_body_template``; ``{placeholders}`` are the invoice's fields (see
  :data:`TEMPLATE_FIELDS`); an unknown ``{name}`` is left as written. When the workspace has no
  ``public_base_url`` there is no link, and the template lines that use ``{link}`` are left out.
- Links to invoices are written ``[INV-1001](https://…/i/token)`` in the text the user edits;
  the plain-text part shows them as ``INV-1001 <https://…>`` and the HTML part as a link
  labelled with the number (R31 "custom email").
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from babel.dates import format_date

from invoice_tui.db.models import Contact, Invoice, User
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, RuleRefused
from invoice_tui.domain.money import format_money, from_minor
from invoice_tui.domain.settings import WorkspaceSettings, load_settings
from invoice_tui.domain.text import check_email
from invoice_tui.i18n import N_, _

MAX_CC = 9
# the names of the fields a check names (translated where the sentence is shown)
_FIELD_NAMES = (N_("Address"), N_("From"), N_("To"), N_("CC"), N_("Cc"), N_("Recipient name"), N_("Subject"))
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_LINK = re.compile(r"\[([^\[\]\n]{1,100})\]\((https?://[^\s()<>]+)\)")

TEMPLATE_FIELDS = ("number", "title", "seller_name", "contact_name", "company_name", "amount_billed",
                   "amount_paid", "balance_due", "currency", "invoice_date", "due_date", "po_number", "link")


# ---- checks ----------------------------------------------------------------------------------
def check_header(value: str | None, what: str, *, max_length: int = 500) -> str:
    """A header value (name, subject): no CR, LF or other control character (header injection)."""
    text = "" if value is None else str(value)
    if _CONTROL.search(text):
        raise BadInput(_("{what} contains a line break or a control character; remove it.").format(what=_(what)),
                       field=what.lower())
    text = text.strip()
    if len(text) > max_length:
        raise BadInput(_("{what} is longer than {limit} characters.").format(what=_(what), limit=max_length),
                       field=what.lower())
    return text


def check_address(value: str | None, what: str = "Address") -> str:
    text = "" if value is None else str(value)
    if _CONTROL.search(text):
        raise BadInput(_("{what} '{address}' contains a line break or a control character.").format(
            what=_(what), address=text.strip()[:60]), field=what.lower())
    if not text.strip():
        raise BadInput(_("{what} is empty; give an email address.").format(what=_(what)), field=what.lower())
    return check_email(text, field=what.lower())


def check_body(value: str | None) -> str:
    text = "" if value is None else str(value).replace("\r\n", "\n")
    if _BODY_CONTROL.search(text) or "\r" in text:
        raise BadInput(_("The message contains control characters; remove them."), field="body")
    if len(text) > 50_000:
        raise BadInput(_("The message is longer than 50,000 characters."), field="body")
    return text


def check_cc(addresses: list[str] | tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for a in addresses:
        if not str(a).strip():
            continue
        addr = check_address(a, "CC")
        if addr not in out:
            out.append(addr)
    if len(out) > MAX_CC:
        raise RuleRefused(_("An email can have at most {limit} CC addresses (R30); remove {n} of them.").format(
            limit=MAX_CC, n=len(out) - MAX_CC), field="cc")
    return out


# ---- From (R30) ------------------------------------------------------------------------------
@dataclass(frozen=True)
class FromChoice:
    default: str  # prefilled address ("" when none is known)
    allowed: tuple[str, ...]  # addresses the user may pick; empty = any address may be typed
    becomes_default: bool  # no workspace default yet: the address used becomes it


def from_choice(ctx: Context, settings: WorkspaceSettings | None = None) -> FromChoice:
    settings = settings or load_settings()
    own = (ctx.user.email or "").strip().lower() if ctx.user else ""
    default = (settings.default_from_address or "").strip().lower()
    if default:
        allowed = [default]
        if settings.allow_personal_from and own and own != default:
            allowed.append(own)
        return FromChoice(default, tuple(allowed), False)
    return FromChoice(own, (), True)


def resolve_from(ctx: Context, requested: str | None, settings: WorkspaceSettings | None = None) -> tuple[str, bool]:
    """The From address for this send and whether it becomes the workspace default (R30)."""
    choice = from_choice(ctx, settings)
    if requested and str(requested).strip():
        addr = check_address(requested, "From")
    else:
        addr = choice.default
    if not addr:
        raise RuleRefused(_("There is no From address: the workspace has no default_from_address and your user has "
                            "no email."), field="from", code="mail.no_from_address")
    if choice.allowed and addr not in choice.allowed:
        if len(choice.allowed) == 1:
            if ctx.user and ctx.user.email and addr == ctx.user.email.lower():
                raise RuleRefused(_("Emails are sent from the workspace address {address} (R30). The workspace does "
                                    "not allow sending from your own address (allow_personal_from).").format(
                    address=choice.allowed[0]), field="from")
            raise RuleRefused(_("Emails are sent from the workspace address {address} (R30).").format(
                address=choice.allowed[0]), field="from")
        raise RuleRefused(_("Send from {first} or {second} (R30).").format(
            first=choice.allowed[0], second=choice.allowed[1]), field="from")
    return addr, choice.becomes_default


def sender_name(ctx: Context, settings: WorkspaceSettings, from_addr: str) -> str:
    if ctx.user and ctx.user.email and from_addr == ctx.user.email.lower() and ctx.user.name:
        name = ctx.user.name
    else:
        name = settings.seller_name
    return _CONTROL.sub(" ", name or "").strip()


# ---- templates -------------------------------------------------------------------------------
def invoice_link(inv: Invoice, settings: WorkspaceSettings | None = None) -> str | None:
    """The buyer's link (``public_base_url/i/<token>``) or None without a base URL or for a draft."""
    from invoice_tui.documents.markdown import buyer_link

    return buyer_link(inv, settings or load_settings())


def template_fields(inv: Invoice, settings: WorkspaceSettings, link: str | None = None) -> dict[str, str]:
    loc = inv.locale or settings.locale or "en_US"
    cur = inv.currency

    def money(minor: int) -> str:
        try:
            return format_money(from_minor(minor, cur), cur, loc)
        except Exception:  # noqa: BLE001 - an odd locale falls back to English
            return format_money(from_minor(minor, cur), cur)

    def day(d: dt.date | None) -> str:
        if not d:
            return ""
        try:
            return format_date(d, format="long", locale=loc)
        except Exception:  # noqa: BLE001
            return d.isoformat()

    contact = Contact.get_or_none(Contact.id == inv.billing_contact_id) if inv.billing_contact_id else None
    contact_name = (contact.first_name or contact.display_name) if contact else (inv.contact_name or "")
    return {
        "number": inv.number or f"draft #{inv.id}", "title": inv.title or "", "seller_name": settings.seller_name,
        "contact_name": contact_name, "company_name": inv.company_name or "",
        "amount_billed": money(inv.billed_minor), "amount_paid": money(inv.paid_minor),
        "balance_due": money(inv.balance_minor), "currency": cur, "invoice_date": day(inv.invoice_date),
        "due_date": day(inv.due_date), "po_number": inv.po_number or "", "link": link or "",
    }


def fill(template: str, fields: dict[str, str], *, drop_empty_link_lines: bool = True) -> str:
    """Replace ``{name}`` by the field's value; lines using an empty ``{link}`` are left out."""
    lines = []
    for line in (template or "").splitlines():
        if drop_empty_link_lines and "{link}" in line and not fields.get("link"):
            continue
        lines.append(_PLACEHOLDER.sub(lambda m: fields.get(m.group(1), m.group(0)), line))
    text = "\n".join(lines)
    return text + ("\n" if (template or "").endswith("\n") else "")


def invoice_details(inv: Invoice, fields: dict[str, str]) -> str:
    """The invoice details every invoice email carries (R31), under the message; a credit note's
    name the invoice it credits and its reason (R42). Worded in the invoice's language with the
    document's own labels (issue 24), as its dates and amounts are."""
    from invoice_tui.documents.markdown import label

    loc = inv.locale or load_settings().locale

    def L(key: str, **kw) -> str:  # noqa: N802 - a label
        return label(key, loc, **kw)

    if inv.doc_type == "credit_note":
        corrected = Invoice.get_or_none(Invoice.id == inv.refers_to) if inv.refers_to else None
        rows = [f"{L('credit_note')} {fields['number']}", f"{L('cn_date')}: {fields['invoice_date']}"]
        if corrected is not None:
            rows.append(f"{L('corrects', n=corrected.number)} ({corrected.invoice_date.isoformat()})")
        rows += [f"{L('reason')}: {inv.reason}", f"{L('total_credited')}: {fields['amount_billed']}"]
        if fields["link"]:
            rows.append(f"{L('view_link')}: {fields['link']}")
        return "\n".join(rows)
    rows = [f"{L('invoice')} {fields['number']}" + (f" — {fields['title']}" if fields["title"] else "")]
    rows.append(f"{L('invoice_date')}: {fields['invoice_date']}")
    if fields["due_date"]:
        rows.append(f"{L('due_date')}: {fields['due_date']}")
    if fields["po_number"]:
        rows.append(f"{L('po_number')}: {fields['po_number']}")
    rows.append(f"{L('amount_billed')}: {fields['amount_billed']}")
    if inv.paid_minor:
        rows.append(f"{L('paid')}: {fields['amount_paid']}")
    rows.append(f"{L('balance')}: {fields['balance_due']}")
    if fields["link"]:
        rows.append(f"{L('view_link')}: {fields['link']}")
    return "\n".join(rows)


def insert_invoice_link(inv: Invoice, settings: WorkspaceSettings | None = None) -> str:
    """R31 "Insert invoice": the text inserted in a custom email — a link labelled with the number."""
    if inv.status == "draft":
        raise RuleRefused(_("A draft has no link (R4); finalize it before inserting it in an email."))
    link = invoice_link(inv, settings)
    if not link:
        raise RuleRefused(_("The workspace has no public_base_url, so invoices have no link yet."),
                          code="workspace.no_public_base_url")
    return f"[{inv.number}]({link})"


# ---- the draft -------------------------------------------------------------------------------
@dataclass
class EmailDraft:
    kind: str  # "invoice" (R30/R31, with PDF, sets last sent date on acceptance) or "custom"
    invoice_id: int | None
    to: str = ""
    to_name: str = ""
    cc: list[str] = field(default_factory=list)
    from_addr: str = ""
    subject: str = ""
    body: str = ""

    @property
    def attachment_name(self) -> str | None:
        if self.kind != "invoice" or self.invoice_id is None:
            return None
        inv = Invoice.get_or_none(Invoice.id == self.invoice_id)
        return attachment_filename(inv) if inv else None


def attachment_filename(inv: Invoice) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", inv.number or f"draft-{inv.id}").strip("-") or "invoice"
    return f"{safe}.pdf"


def check_sendable(inv: Invoice) -> None:
    if inv.status == "draft":
        raise RuleRefused(_("A draft cannot be sent (R4); finalize it first."))
    if inv.status == "voided":
        raise RuleRefused(_("{number} is voided; a voided invoice is not sent by email (R5).").format(number=inv.number))


def invoice_draft(ctx: Context, inv: Invoice, settings: WorkspaceSettings | None = None) -> EmailDraft:
    """The invoice email as the compose screen opens it: To = the billing contact, From per R30,
    subject and body from the workspace templates."""
    settings = settings or load_settings()
    fields = template_fields(inv, settings, invoice_link(inv, settings))
    contact = Contact.get_or_none(Contact.id == inv.billing_contact_id) if inv.billing_contact_id else None
    return EmailDraft(kind="invoice", invoice_id=inv.id, to=contact.email if contact else "",
                      to_name=contact.display_name if contact and contact.display_name != contact.email else "",
                      from_addr=from_choice(ctx, settings).default,
                      subject=fill(_template(inv, settings, "subject"), fields).strip(),
                      body=fill(_template(inv, settings, "body"), fields))


_DEFAULTS = {"subject": WorkspaceSettings().email_subject_template, "body": WorkspaceSettings().email_body_template}


def _template(inv: Invoice, settings: WorkspaceSettings, part: str) -> str:
    """The invoice email's subject or body template, in the invoice's language (issue 25).

    The workspace's own template (``email_subject_template``, ``email_body_template``) is used as
    written once it was changed; the built-in English one is replaced by the built-in text of the
    invoice's language (a French invoice: "Facture … de …", "Bonjour …"). A credit note goes out
    with the invoice templates, its kind named as it is (R42), or with the built-in credit note text."""
    from invoice_tui.documents.markdown import _lang, label

    own = getattr(settings, f"email_{part}_template")
    is_cn = inv.doc_type == "credit_note"
    if own != _DEFAULTS[part] or _lang(inv.locale or settings.locale) == "en":
        return own.replace("Invoice", "Credit note").replace("invoice", "credit note") if is_cn else own
    return label(("cn_email_" if is_cn else "email_") + part, inv.locale or settings.locale)


def custom_draft(ctx: Context, inv: Invoice | None = None, settings: WorkspaceSettings | None = None) -> EmailDraft:
    settings = settings or load_settings()
    contact = None
    if inv is not None and inv.billing_contact_id:
        contact = Contact.get_or_none(Contact.id == inv.billing_contact_id)
    return EmailDraft(kind="custom", invoice_id=inv.id if inv else None, to=contact.email if contact else "",
                      to_name=contact.display_name if contact and contact.display_name != contact.email else "",
                      from_addr=from_choice(ctx, settings).default, subject="", body="")


# ---- the message -----------------------------------------------------------------------------
@dataclass
class Prepared:
    """A checked draft: the message (without Date/Message-ID) and what the outbox needs."""

    message: EmailMessage
    kind: str
    invoice: Invoice | None
    from_addr: str
    to: str
    cc: list[str]
    subject: str
    new_contact_email: str | None
    make_default_from: bool
    linked_invoice_ids: list[int]


def _plain(text: str) -> str:
    return _LINK.sub(lambda m: f"{m.group(1)} <{m.group(2)}>", text)


def _html(text: str) -> str:
    out = []
    pos = 0
    for m in _LINK.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        out.append(f'<a href="{html.escape(m.group(2), quote=True)}">{html.escape(m.group(1))}</a>')
        pos = m.end()
    out.append(html.escape(text[pos:]))
    body = "".join(out).replace("\n", "<br>\n")
    return ('<!DOCTYPE html>\n<html><body style="font-family: sans-serif; line-height: 1.45;">\n'
            f"{body}\n</body></html>\n")


def full_body(draft: EmailDraft, inv: Invoice | None, settings: WorkspaceSettings) -> str:
    body = check_body(draft.body).rstrip()
    if draft.kind == "invoice" and inv is not None:
        fields = template_fields(inv, settings, invoice_link(inv, settings))
        body = f"{body}\n\n-- \n{invoice_details(inv, fields)}" if body else invoice_details(inv, fields)
    return body + "\n"


def prepare(ctx: Context, draft: EmailDraft, *, settings: WorkspaceSettings | None = None,
            pdf: bytes | None = None, with_attachment: bool = True) -> Prepared:
    """Check a draft (R30 rules, header injection) and build its message.

    ``with_attachment=False`` builds the preview without making the PDF; the attachment is then
    named in :func:`preview_text` but not rendered.
    """
    settings = settings or load_settings()
    if draft.kind not in ("invoice", "custom"):
        raise BadInput(_("An email is an invoice email or a custom email."))
    inv = None
    if draft.invoice_id is not None:
        inv = Invoice.get_or_none(Invoice.id == draft.invoice_id)
        if inv is None:
            raise RuleRefused(_("This invoice no longer exists."))
    if draft.kind == "invoice":
        if inv is None:
            raise BadInput(_("An invoice email needs an invoice."))
        check_sendable(inv)
    from_addr, make_default = resolve_from(ctx, draft.from_addr, settings)
    to = check_address(draft.to, "To")
    to_name = check_header(draft.to_name, "Recipient name", max_length=200)
    cc = check_cc(draft.cc)
    cc = [c for c in cc if c != to]
    subject = check_header(draft.subject, "Subject", max_length=300)
    if not subject:
        raise BadInput(_("The email needs a subject."), field="subject")
    body = full_body(draft, inv, settings)
    if not draft.body.strip() and draft.kind == "custom":
        raise BadInput(_("The email needs a message."), field="body")
    known = Contact.get_or_none(Contact.email == to)
    new_contact = None if known else to
    if known and not to_name and known.display_name != known.email:
        to_name = check_header(known.display_name, "Recipient name", max_length=200)

    msg = EmailMessage()
    name = sender_name(ctx, settings, from_addr)
    msg["From"] = Address(display_name=name, addr_spec=from_addr) if name else from_addr
    msg["To"] = Address(display_name=to_name, addr_spec=to) if to_name else to
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Reply-To"] = from_addr
    msg["Subject"] = subject
    msg.set_content(_plain(body), cte="quoted-printable")
    msg.add_alternative(_html(body), subtype="html", cte="quoted-printable")
    if draft.kind == "invoice" and with_attachment:
        data = pdf if pdf is not None else _invoice_pdf_bytes(inv)
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=attachment_filename(inv))
    linked = _linked_invoices(body)
    if draft.kind == "invoice" and inv.id not in linked:
        linked.insert(0, inv.id)
    return Prepared(msg, draft.kind, inv, from_addr, to, cc, subject, new_contact, make_default, linked)


def _linked_invoices(body: str) -> list[int]:
    ids: list[int] = []
    for m in _LINK.finditer(body):
        token = m.group(2).rstrip("/").rsplit("/i/", 1)[-1]
        inv = Invoice.get_or_none((Invoice.link_token == token) & (Invoice.number == m.group(1)))
        if inv is not None and inv.id not in ids:
            ids.append(inv.id)
    return ids


def _invoice_pdf_bytes(inv: Invoice) -> bytes:
    from invoice_tui.domain.einvoice import document_pdf

    return document_pdf(inv)


def stamp(msg: EmailMessage, now: dt.datetime, from_addr: str) -> str:
    """Set Date and Message-ID (at queueing time); returns the Message-ID."""
    domain = from_addr.rsplit("@", 1)[-1]
    msg_id = make_msgid(domain=domain)
    msg["Date"] = format_datetime(now.replace(tzinfo=dt.timezone.utc))
    msg["Message-ID"] = msg_id
    return msg_id


def preview_text(prepared: Prepared) -> str:
    """The headers, the text body and the attachment list, as the recipient will get them."""
    msg = prepared.message
    lines = []
    for header in ("From", "To", "Cc", "Reply-To", "Subject"):
        if msg[header]:
            lines.append(f"{header}: {msg[header]}")
    lines.append("")
    body = msg.get_body(preferencelist=("plain",))
    lines.append(body.get_content().rstrip() if body else "")
    attachments = [part.get_filename() for part in msg.iter_attachments()]
    if prepared.kind == "invoice" and not attachments and prepared.invoice is not None:
        attachments = [attachment_filename(prepared.invoice)]
    if attachments:
        lines.append("")
        lines += [_("Attachment: {name} (PDF)").format(name=name) for name in attachments]
    if prepared.new_contact_email:
        lines += ["", _("(A contact will be created for {address} once the email is accepted.)").format(
            address=prepared.new_contact_email)]
    if prepared.make_default_from:
        lines += ["", _("({address} becomes the workspace's default From address.)").format(
            address=prepared.from_addr)]
    return "\n".join(lines)


def user_by_login(login: str) -> User | None:
    return User.get_or_none(User.login == login)
