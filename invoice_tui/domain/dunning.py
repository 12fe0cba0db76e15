"""R51: dunning levels and late fees.

Levels come from the workspace setting ``dunning_levels`` (days overdue, default 7, 15 and 30),
each with its own tone (friendly, firm, final) and its own subject and body per language
(``domain.dunning_texts``, edited as workspace settings; sent by ``mail/automation.py``). A level is
sent once per invoice: its ``dunning`` row (unique per invoice, kind and level) is the claim,
written in the transaction that queues its email (the R33 reminders due by then are dropped: one
message, not two). When a run finds several levels due (cron
did not run), the highest is sent and the lower ones are recorded as skipped: a customer gets one
message, not a burst.

Late fees follow the workspace policy, computed when a level is sent:
- ``late_fee_rate``: late-payment interest at a yearly rate (French B2B: the ECB rate + 10 points,
  a number the user sets, never fetched) on the balance due, for the days since the due date, or
  since the period of the previous interest (periods follow each other, never overlap):
  ``balance × rate / 100 × days / 365``, rounded half up to the currency's minor unit;
- ``late_fee_fixed``: a fixed recovery indemnity (France: EUR 40, C. com. L441-10), once per
  invoice.
They are issued as a separate late-fee invoice referring to the overdue one (BT-25), VAT
category O (outside the scope of VAT), never as an edit of the issued invoice (R46); each fee has
its ``dunning`` row, so it is never applied twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from invoice_tui.db import database, is_postgres
from invoice_tui.db.automation_models import Dunning
from invoice_tui.db.models import Invoice, Reminder
from invoice_tui.domain import history
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.money import exponent, from_minor
from invoice_tui.domain.settings import WorkspaceSettings

TONES = ("friendly", "firm", "final")
DAYS_A_YEAR = 365
OUTSIDE_VAT = "Outside the scope of VAT: late-payment interest and recovery indemnity"


def _words(key: str, inv: Invoice, **kw) -> str:
    """The late-fee invoice is a document the buyer reads: worded in the overdue invoice's language."""
    from invoice_tui.documents.markdown import label

    return label(key, inv.locale, **kw)


def levels(settings: WorkspaceSettings) -> list[int]:
    text = (settings.dunning_levels or "").strip()
    return [int(p) for p in text.split(",")] if text else []


def position(settings: WorkspaceSettings, level: int) -> int:
    """The level's place among the workspace's levels, 1 to 3 (a fourth level and later count as
    the third): its tone and its email templates (``domain.dunning_texts``)."""
    days = levels(settings)
    index = days.index(level) if level in days else len(days) - 1
    return min(max(index, 0), len(TONES) - 1) + 1


def tone(settings: WorkspaceSettings, level: int) -> str:
    return TONES[position(settings, level) - 1]


def late_interest_minor(balance_minor: int, rate_percent: Decimal, days: int) -> int:
    """R51: interest on ``balance_minor`` at ``rate_percent`` a year for ``days`` days, in minor
    units, rounded half up: ``balance × rate / 100 × days / 365``."""
    if balance_minor <= 0 or days <= 0 or rate_percent <= 0:
        return 0
    exact = Decimal(balance_minor) * rate_percent * Decimal(days) / (Decimal(100) * DAYS_A_YEAR)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fixed_fee_minor(settings: WorkspaceSettings, currency: str) -> int:
    """The fixed indemnity in the invoice's currency's minor units."""
    text = (settings.late_fee_fixed or "").strip()
    if not text:
        return 0
    return int((Decimal(text).scaleb(exponent(currency))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _as_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def dunning_snapshot(d: Any) -> dict[str, Any]:
    """What the history says a dunning record is (R54 replays it)."""
    return {"invoice_id": d.invoice_id, "kind": d.kind, "level": d.level, "period_from": d.period_from,
            "period_to": d.period_to, "amount_minor": d.amount_minor, "fee_invoice_id": d.fee_invoice_id,
            "email_id": d.email_id, "note": d.note, "created_by": d.created_by}


def dunning_record(d: Dunning) -> dict[str, Any]:
    inv = Invoice.get_or_none(Invoice.id == d.invoice_id)
    fee = Invoice.get_or_none(Invoice.id == d.fee_invoice_id) if d.fee_invoice_id else None
    cur = inv.currency if inv else "EUR"
    return {"id": d.id, "invoice_id": d.invoice_id, "invoice_number": inv.number if inv else None, "kind": d.kind,
            "level": d.level, "period_from": d.period_from and _as_date(d.period_from).isoformat(),
            "period_to": d.period_to and _as_date(d.period_to).isoformat(),
            "amount": str(from_minor(d.amount_minor, cur)) if d.kind != "level" else None, "currency": cur,
            "fee_invoice": (fee.number or f"draft #{fee.id}") if fee else None, "email_id": d.email_id,
            "note": d.note}


def records_of(invoice_id: int) -> list[Dunning]:
    return list(Dunning.select().where(Dunning.invoice_id == invoice_id).order_by(Dunning.id))


def fee_invoice_ids() -> "Any":
    return Dunning.select(Dunning.fee_invoice_id).where(Dunning.fee_invoice_id.is_null(False))


@dataclass
class Due:
    """A dunning level due for an invoice, and the lower levels it supersedes."""

    invoice: Invoice
    level: int
    days_overdue: int
    superseded: list[int] = field(default_factory=list)
    interest_minor: int = 0
    interest_from: dt.date | None = None
    rate: str = ""
    indemnity_minor: int = 0


def due_levels(ctx: Context, settings: WorkspaceSettings) -> list[Due]:
    """Each open overdue invoice with a balance whose highest reached level was never sent (late-fee
    invoices themselves are not dunned)."""
    days = levels(settings)
    if not days:
        return []
    today = ctx.today()
    latest = today - dt.timedelta(days=days[0])
    q = (Invoice.select().where((Invoice.status == "open") & (Invoice.balance_minor > 0)
                                & (Invoice.doc_type == "invoice") & (Invoice.due_date <= latest)
                                & Invoice.id.not_in(fee_invoice_ids()))
         .order_by(Invoice.due_date, Invoice.id))
    out: list[Due] = []
    for inv in q:
        overdue = (today - _as_date(inv.due_date)).days
        reached = [d for d in days if d <= overdue]
        done = {lv for (lv,) in Dunning.select(Dunning.level).where(
            (Dunning.invoice_id == inv.id) & (Dunning.kind == "level")).tuples()}
        if not reached or reached[-1] in done:
            continue
        due = Due(inv, reached[-1], overdue, [d for d in reached[:-1] if d not in done])
        _fees(due, settings, today)
        out.append(due)
    return out


def _fees(due: Due, settings: WorkspaceSettings, today: dt.date) -> None:
    inv = due.invoice
    rate = (settings.late_fee_rate or "").strip()
    if rate:
        last = (Dunning.select(Dunning.period_to).where((Dunning.invoice_id == inv.id) & (Dunning.kind == "interest"))
                .order_by(Dunning.period_to.desc()).limit(1).scalar())
        start = _as_date(last) if last else _as_date(inv.due_date)
        due.interest_from, due.rate = start, rate
        due.interest_minor = late_interest_minor(inv.balance_minor, Decimal(rate), (today - start).days)
    if not Dunning.select().where((Dunning.invoice_id == inv.id) & (Dunning.kind == "indemnity")).exists():
        due.indemnity_minor = fixed_fee_minor(settings, inv.currency)


def _insert(ctx: Context, inv: Invoice, kind: str, level: int, **values) -> Dunning | None:
    """Insert a dunning row unless one exists for (invoice, kind, level); None when it does (another
    run's). Inside the caller's write transaction: SQLite holds the write lock; PostgreSQL's unique
    index makes a concurrent insert wait for the first to commit, then insert nothing."""
    where = (Dunning.invoice_id == inv.id) & (Dunning.kind == kind) & (Dunning.level == level)
    if Dunning.select().where(where).exists():
        return None
    row_id = (Dunning.insert(invoice_id=inv.id, kind=kind, level=level, created_by=ctx.login, created_at=ctx.now(),
                             **values).on_conflict_ignore().execute())
    if is_postgres() and row_id is None:
        return None
    d = Dunning.get(where)
    history.record_creation(ctx, "dunning", d.id, inv.number, dunning_snapshot(d))
    return d


def set_email(ctx: Context, d: Dunning, email_id: int) -> None:
    before = dunning_snapshot(d)
    d.email_id = email_id
    Dunning.update(email_id=email_id).where(Dunning.id == d.id).execute()
    history.record_changes(ctx, "dunning", d.id, None, before, dunning_snapshot(d))


@dataclass
class Claimed:
    record: Dunning
    fee_invoice: Invoice | None = None
    fee_note: str = ""


def claim_level(ctx: Context, due: Due) -> Claimed | None:
    """Inside the caller's write transaction: record the level (None if another run did), the
    superseded lower levels, and issue the late fees as a separate invoice."""
    inv = Invoice.get_by_id(due.invoice.id)
    today = ctx.today()
    d = _insert(ctx, inv, "level", due.level)
    if d is None:
        return None
    for lower in due.superseded:
        _insert(ctx, inv, "level", lower, note=f"superseded by the {due.level}-day level")
    # the R33 reminders already due say less than this level: dropped, one message is sent
    Reminder.update(state="dropped").where((Reminder.invoice == inv.id) & (Reminder.state == "planned")
                                           & (Reminder.due_on <= today)).execute()
    lines: list[dict[str, Any]] = []
    rows: list[Dunning] = []
    cur = inv.currency
    if due.interest_minor > 0:
        r = _insert(ctx, inv, "interest", due.level, period_from=due.interest_from, period_to=today,
                    amount_minor=due.interest_minor)
        if r is not None:
            rows.append(r)
            days = (today - due.interest_from).days
            lines.append({"name": _words("fee_interest", inv, n=inv.number)[:300],  # the invoice's language
                          "description": _words("fee_interest_desc", inv, days=days,
                                                start=due.interest_from.isoformat(), end=today.isoformat(),
                                                rate=due.rate, base=f"{from_minor(inv.balance_minor, cur)} {cur}"),
                          "quantity": "1", "unit_price": str(from_minor(due.interest_minor, cur)),
                          "tax_rate": "0", "tax_category": "O"})
    if due.indemnity_minor > 0:
        r = _insert(ctx, inv, "indemnity", 0, amount_minor=due.indemnity_minor)
        if r is not None:
            rows.append(r)
            lines.append({"name": _words("fee_indemnity", inv, n=inv.number)[:300], "quantity": "1",
                          "unit_price": str(from_minor(due.indemnity_minor, cur)), "tax_rate": "0",
                          "tax_category": "O"})
    claimed = Claimed(d)
    if lines:
        claimed.fee_invoice, claimed.fee_note = _fee_invoice(ctx, inv, lines)
        for r in rows:
            before = dunning_snapshot(r)
            r.fee_invoice_id = claimed.fee_invoice.id
            r.note = claimed.fee_note[:500]
            r.save()
            history.record_changes(ctx, "dunning", r.id, inv.number, before, dunning_snapshot(r))
    return claimed


def _fee_invoice(ctx: Context, inv: Invoice, lines: list[dict[str, Any]]) -> tuple[Invoice, str]:
    """The late-fee invoice: a new invoice referring to the overdue one, VAT category O, finalized
    when it can be (else left as a draft, with the reason)."""
    from invoice_tui.domain.invoices import _history, create_invoice, finalize_invoice, snapshot

    data: dict[str, Any] = {"currency": inv.currency, "title": _words("fee_title", inv, n=inv.number)[:300],
                            "locale": inv.locale, "contact_id": inv.billing_contact_id, "lines": lines,
                            "exemption_reasons": {"O": _words("outside_vat", inv)}, "invoice_date": ctx.today(),
                            "buyer_reference": inv.buyer_reference,
                            "operation_category": inv.operation_category or "services"}
    if inv.company_id:
        data["company_id"] = inv.company_id
    fee = create_invoice(ctx, data)
    before = snapshot(fee)
    fee.refers_to = inv.id  # BT-25: the invoice these fees are for
    fee.save()
    _history(ctx, fee, before, "late_fee", f"Late-payment fees on {inv.number}")
    history.add_activity(ctx, inv.id, inv.number, "late_fee",
                         f"Late-payment fees of {from_minor(fee.billed_minor, fee.currency)} {fee.currency} invoiced "
                         f"separately (draft #{fee.id})")
    try:
        with database.obj.atomic():  # a savepoint: a refused finalize leaves the draft
            fee = finalize_invoice(ctx, fee.id)
        return fee, f"issued as {fee.number}"
    except InvoiceTuiError as exc:
        return fee, f"left as draft #{fee.id}: {exc.message}"
