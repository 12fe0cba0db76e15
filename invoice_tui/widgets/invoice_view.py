"""What the invoice screen shows, read in one go in a worker thread (plain data, nothing lazy).

``load_invoice_view`` calls only the services' read functions (``get_invoice``,
``available_actions``, ``invoice_record``, ``invoice_payments``, ``activities``, …) and the
document Markdown; it never imports textual, so it may run in any thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from invoice_tui.db.models import Company, Contact, InvoiceCompany, InvoiceContact, User
from invoice_tui.domain import invoices as invoice_service
from invoice_tui.domain.catalogue import choice_label
from invoice_tui.domain.context import Context
from invoice_tui.domain.invoices import ActionState
from invoice_tui.domain.money import format_money, from_minor
from invoice_tui.domain.settings import load_settings
from invoice_tui.widgets.error_text import error_text

# Actions whose machinery is built by other parts of invoice-tui; until their module exists the
# action is shown disabled with this reason (never a fake success).
NOT_AVAILABLE_YET = "Not available yet in this version of invoice-tui."


@dataclass(frozen=True)
class PaymentRow:
    id: int
    amount: str
    date: str
    method: str
    source: str
    state: str
    reference: str
    note: str
    contact: str


@dataclass(frozen=True)
class ContactRow:
    id: int
    name: str
    email: str
    billing: bool


@dataclass(frozen=True)
class CompanyRow:
    id: int
    name: str
    main: bool


@dataclass(frozen=True)
class ActivityRow:
    id: int
    when: str
    user: str
    kind: str
    text: str
    due: str
    done: bool


@dataclass
class InvoiceView:
    id: int
    label: str  # the number, or "Draft #12"
    number: str | None
    status: str
    overdue: bool
    days_overdue: int
    currency: str
    locale: str
    version: int
    allow_partial: bool
    balance: Decimal
    balance_text: str
    billed_text: str
    paid_text: str
    link_token: str | None
    public_base_url: str
    owner_id: int | None
    contact_id: int | None
    company_id: int | None
    markdown: str
    about: list[tuple[str, str]]
    record: dict
    actions: list[ActionState]
    payments: list[PaymentRow] = field(default_factory=list)
    contacts: list[ContactRow] = field(default_factory=list)
    companies: list[CompanyRow] = field(default_factory=list)
    activities: list[ActivityRow] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return choice_label("status", self.status)

    @property
    def link(self) -> str | None:
        if not self.link_token or not self.public_base_url or self.status == "draft":
            return None
        return self.public_base_url.rstrip("/") + "/i/" + self.link_token


def _money(minor: int, currency: str, locale: str) -> str:
    try:
        return format_money(from_minor(minor, currency), currency, locale)
    except Exception:  # noqa: BLE001 - a locale babel does not know
        return f"{from_minor(minor, currency)} {currency}"


def hook_reason(action_id: str) -> str:
    """Why an action built elsewhere cannot run yet ('' when its module is present)."""
    from invoice_tui.widgets import invoice_hooks

    return "" if invoice_hooks.available(action_id) else NOT_AVAILABLE_YET


def load_activities(invoice_id: int, search: str = "") -> list[ActivityRow]:
    done = invoice_service.done_task_ids(invoice_id)
    rows = []
    for a in invoice_service.activities(invoice_id, search):
        rows.append(ActivityRow(a.id, a.created_at.strftime("%Y-%m-%d %H:%M") if a.created_at else "",
                                a.user_login, a.kind, a.text, a.due_date.isoformat() if a.due_date else "",
                                a.id in done))
    return rows


def _fallback_markdown(inv, view_about: list[tuple[str, str]]) -> str:
    lines = [f"# {inv.number or f'Draft #{inv.id}'}", ""]
    lines += [f"- **{k}**: {v}" for k, v in view_about]
    return "\n".join(lines)


def load_invoice_view(ctx: Context, invoice_id: int, search: str = "") -> InvoiceView:
    inv = invoice_service.get_invoice(invoice_id)
    settings = load_settings()
    today = ctx.today()
    record = invoice_service.invoice_record(inv, today)
    cur, loc = inv.currency, inv.locale or "en_US"
    owner = User.get_or_none(User.id == inv.owner_id) if inv.owner_id else None
    overdue = invoice_service.is_overdue(inv, today)
    days = invoice_service.days_overdue(inv, today)
    billed, paid, balance = (_money(inv.billed_minor, cur, loc), _money(inv.paid_minor, cur, loc),
                             _money(inv.balance_minor, cur, loc))
    status = choice_label("status", inv.status) + (f" · overdue {days} d" if overdue else "")
    about = [
        ("Status", status),
        ("Number", inv.number or "— (given at finalization)"),
        ("Owner", (owner.name or owner.login) if owner else "—"),
        ("Billing contact", f"{inv.contact_name} <{inv.contact_email}>" if inv.contact_email else "—"),
        ("Company", inv.company_name or "—"),
        ("Invoice date", inv.invoice_date.isoformat() if inv.invoice_date else "—"),
        ("Due date", inv.due_date.isoformat() if inv.due_date else "—"),
        ("Amount billed", billed),
        ("Amount paid", paid),
        ("Balance due", balance),
        ("Partial payments", "allowed" if inv.allow_partial else "not allowed"),
        ("Last sent", inv.last_sent_date.isoformat() if inv.last_sent_date else "never"),
        ("Payment date", inv.payment_date.isoformat() if inv.payment_date else "—"),
        ("PO number", inv.po_number or "—"),
    ]
    try:
        from invoice_tui.documents.markdown import invoice_markdown
    except ImportError:
        markdown = _fallback_markdown(inv, about)
    else:
        markdown = invoice_markdown(inv, settings=settings, today=today)

    actions = []
    for state in invoice_service.available_actions(ctx, inv):
        if not state.enabled:
            state = ActionState(state.id, state.label, False,
                                error_text(state.error) if state.error else state.reason, state.error)
        else:
            reason = hook_reason(state.id)
            if reason:
                state = ActionState(state.id, state.label, False, reason)
        actions.append(state)

    payments = []
    for p in invoice_service.invoice_payments(inv):
        contact = Contact.get_or_none(Contact.id == p.contact_id) if p.contact_id else None
        payments.append(PaymentRow(p.id, _money(p.amount_minor, p.currency, loc), p.date.isoformat(),
                                   (p.method or "").replace("_", " "), p.source, p.state,
                                   p.reference, p.note, contact.email if contact else ""))
    contacts = []
    linked = (Contact.select().join(InvoiceContact).where(InvoiceContact.invoice == inv)
              .order_by(Contact.last_name, Contact.first_name, Contact.id))
    for c in linked:
        contacts.append(ContactRow(c.id, c.display_name, c.email, c.id == inv.billing_contact_id))
    companies = []
    for c in (Company.select().join(InvoiceCompany).where(InvoiceCompany.invoice == inv)
              .order_by(Company.name, Company.id)):
        companies.append(CompanyRow(c.id, c.name, c.id == inv.company_id))

    return InvoiceView(
        id=inv.id, label=inv.number or f"Draft #{inv.id}", number=inv.number, status=inv.status,
        overdue=overdue, days_overdue=days, currency=cur, locale=loc, version=inv.version,
        allow_partial=inv.allow_partial, balance=from_minor(inv.balance_minor, cur), balance_text=balance,
        billed_text=billed, paid_text=paid, link_token=inv.link_token, public_base_url=settings.public_base_url,
        owner_id=inv.owner_id, contact_id=inv.billing_contact_id, company_id=inv.company_id,
        markdown=markdown, about=about, record=record, actions=actions, payments=payments,
        contacts=contacts, companies=companies, activities=load_activities(inv.id, search),
    )


def browser_available(env: dict | None = None) -> bool:
    """A browser can show a link without taking over the terminal: ``$BROWSER`` is set, or a
    graphical session that is not an SSH login (never a text browser in this terminal)."""
    import os
    import sys

    env = os.environ if env is None else env
    if env.get("BROWSER"):
        return True
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY") or env.get("SSH_CLIENT"):
        return False
    if sys.platform == "darwin":
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def open_in_browser(url: str) -> bool:
    """Open ``url`` in a graphical browser, detached from the terminal; False when none."""
    import os
    import shutil
    import subprocess
    import sys

    if not browser_available():
        return False
    if os.environ.get("BROWSER"):
        cmd = os.environ["BROWSER"].split(":")[0]
        argv = [*cmd.split(), url] if "%s" not in cmd else [part.replace("%s", url) for part in cmd.split()]
    elif sys.platform == "darwin":
        argv = ["open", url]
    else:
        opener = shutil.which("xdg-open")
        if not opener:
            return False
        argv = [opener, url]
    try:
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    except OSError:
        return False
    return True


def today_iso(ctx: Context) -> str:
    return ctx.today().isoformat()


def default_due(invoice_date: dt.date, terms: int) -> dt.date:
    return invoice_date + dt.timedelta(days=terms)
