"""R49: recurring schedules — invoices that issue themselves.

A schedule is made from a template invoice (a draft or an issued one): every N days, weeks,
months or years from its start, on a day of the month (31: the month's last day, so a schedule
on the 31st bills on 28 or 29 February), ending after N invoices or after a date; it can be
paused and resumed (periods missed while paused are skipped, not caught up). Each period makes
one invoice with origin ``subscription`` (R6: not editable once finalized), dated on the period,
due after the template's payment terms, left as a draft, finalized, or finalized and planned for
sending (``send``: the sending job emails it through the outbox, R50).

Exactly once (R49): a run claims a period by a compare-and-set on the schedule's ``next_index``
(``UPDATE … WHERE next_index = k AND state = 'active'``) in the transaction that creates the
period's invoice; the unique ``schedule_run (schedule_id, period_index)`` is the database's
backstop. A concurrent run loses the compare-and-set (SQLite: the write lock; PostgreSQL: the row
lock, then the changed row fails the condition) and creates nothing. Catching up after downtime
creates each missed period in date order, oldest first, across schedules, so numbers follow
the invoice dates (R57).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from invoice_tui.db import database, retry_busy, write_tx
from invoice_tui.db.automation_models import Schedule, ScheduleRun
from invoice_tui.db.models import Invoice
from invoice_tui.domain import history
from invoice_tui.domain.bounds import check_date
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, InvoiceTuiError, NotFound, RuleRefused
from invoice_tui.domain.permissions import require
from invoice_tui.domain.sends import plan_send, send_snapshot  # noqa: F401 - used by run-due
from invoice_tui.domain.tx import mutation
from invoice_tui.i18n import _

UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}
MODES = ("draft", "finalize", "send")
STATES = ("active", "paused", "ended")
MAX_EVERY = 1000
MAX_COUNT = 10000
_EVERY = re.compile(r"\s*(\d{1,4})\s*([dwmy])\s*", re.I)


# ---- periods ---------------------------------------------------------------------------------
def parse_every(text: str) -> tuple[int, str]:
    """``1m`` → (1, 'm'): every N days (d), weeks (w), months (m) or years (y)."""
    m = _EVERY.fullmatch(text or "")
    if not m or not 1 <= int(m.group(1)) <= MAX_EVERY:
        raise BadInput(_("--every takes N followed by d, w, m or y (N from 1 to {MAX_EVERY}), "
                         "e.g. 1m or 2w; not '{text}'.").format(MAX_EVERY=MAX_EVERY, text=text), field="every")
    return int(m.group(1)), m.group(2).lower()


def parse_day(text: str | int | None) -> int | None:
    """A day of the month 1–31, or ``last`` (31: the month's last day)."""
    if text is None or text == "":
        return None
    t = str(text).strip().lower()
    if t == "last":
        return 31
    if not t.isdigit() or not 1 <= int(t) <= 31:
        raise BadInput(_("--day takes a day of the month from 1 to 31, or last; not '{text}'.").format(text=text), field="day")
    return int(t)


def _clamped(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def period_date(start: dt.date, unit: str, every: int, day: int | None, index: int) -> dt.date:
    """The date of period ``index`` (0: ``start``). Months and years land on ``day`` (default: the
    start's day), clamped to the month's last day: the 31st is 30 April, 28 or 29 February."""
    if unit == "d":
        return start + dt.timedelta(days=every * index)
    if unit == "w":
        return start + dt.timedelta(weeks=every * index)
    want = day or start.day
    months = (start.year * 12 + start.month - 1) + every * index * (12 if unit == "y" else 1)
    return _clamped(months // 12, months % 12 + 1, want)


def first_period(start: dt.date, unit: str, day: int | None) -> dt.date:
    """The first period on or after ``start``: with a day of the month, that day of the start's
    month (clamped), else of the next month."""
    if unit not in ("m", "y") or day is None:
        return start
    first = _clamped(start.year, start.month, day)
    if first < start:
        month = start.month % 12 + 1
        first = _clamped(start.year + (start.month == 12), month, day)
    return first


def _date(s: Schedule, index: int) -> dt.date:
    return period_date(_as_date(s.start), s.unit, s.every, s.day, index)


def _as_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _past_end(s: Schedule, index: int) -> bool:
    """Is period ``index`` beyond the schedule's end (N invoices, or after the end date)?"""
    if s.count is not None and index >= s.count:
        return True
    return s.end_on is not None and _date(s, index) > _as_date(s.end_on)


def describe(s: Schedule) -> str:
    unit = UNITS[s.unit] + ("s" if s.every != 1 else "")
    text = f"every {s.every} {unit}" if s.every != 1 else f"every {unit}"
    if s.unit in ("m", "y") and s.day:
        text += " on the last day" if s.day == 31 else f" on day {s.day}"
    if s.count is not None:
        text += f", {s.count} invoices"
    if s.end_on is not None:
        text += f", until {_as_date(s.end_on).isoformat()}"
    return text


# ---- records and history ---------------------------------------------------------------------
def schedule_snapshot(s: Any) -> dict[str, Any]:
    """What the history says a schedule is (R54 replays it)."""
    return {"template_id": s.template_id, "every": s.every, "unit": s.unit, "day": s.day, "start": s.start,
            "end_on": s.end_on, "count": s.count, "mode": s.mode, "state": s.state, "next_index": s.next_index,
            "next_run": s.next_run, "issued": s.issued, "last_result": s.last_result, "created_by": s.created_by}


def run_snapshot(r: Any) -> dict[str, Any]:
    return {"schedule_id": r.schedule_id, "period": r.period, "period_index": r.period_index,
            "invoice_id": r.invoice_id}


def _iso(d: Any) -> str | None:
    return _as_date(d).isoformat() if d else None


def schedule_record(s: Schedule) -> dict[str, Any]:
    template = Invoice.get_or_none(Invoice.id == s.template_id)
    return {"id": s.id, "template_id": s.template_id,
            "template": (template.number or f"draft #{template.id}") if template else None,
            "customer": (template.company_name or template.contact_name) if template else "",
            "every": f"{s.every}{s.unit}", "day": "last" if s.day == 31 else s.day, "rule": describe(s),
            "start": _iso(s.start), "end_on": _iso(s.end_on), "count": s.count, "mode": s.mode, "state": s.state,
            "issued": s.issued, "next_run": _iso(s.next_run) if s.state == "active" else None,
            "paused_next_run": _iso(s.next_run) if s.state == "paused" else None, "last_result": s.last_result}


def get_schedule(ref: int | str, *, quiet: bool = False) -> Schedule:
    text = str(ref).strip().lstrip("#")
    s = Schedule.get_or_none(Schedule.id == int(text)) if text.isdigit() and len(text) < 16 else None
    if s is None:
        raise NotFound(_("No schedule #{text}; invoice-tui recurring list shows them.").format(text=text), field="schedule")
    return s


def list_schedules(state: str | None = None) -> list[Schedule]:
    q = Schedule.select()
    if state:
        q = q.where(Schedule.state == state)
    return list(q.order_by(Schedule.state != "active", Schedule.next_run, Schedule.id))


def schedule_of_invoice(invoice_id: int) -> tuple[Schedule, ScheduleRun] | None:
    """The schedule that made an invoice, with its period (the invoice page shows it)."""
    run = ScheduleRun.get_or_none(ScheduleRun.invoice_id == invoice_id)
    if run is None:
        return None
    s = Schedule.get_or_none(Schedule.id == run.schedule_id)
    return (s, run) if s is not None else None


def schedules_from(invoice_id: int) -> list[Schedule]:
    """The schedules using an invoice as their template."""
    return list(Schedule.select().where(Schedule.template_id == invoice_id).order_by(Schedule.id))


def runs_of(schedule_id: int) -> list[ScheduleRun]:
    return list(ScheduleRun.select().where(ScheduleRun.schedule_id == schedule_id).order_by(ScheduleRun.period_index))


def _record_change(ctx: Context, s: Schedule, before: dict[str, Any]) -> None:
    history.record_changes(ctx, "schedule", s.id, None, before, schedule_snapshot(s))


# ---- create, pause, resume, delete -----------------------------------------------------------
@dataclass
class ScheduleInput:
    template: str | int
    every: str
    start: dt.date
    day: str | int | None = None
    end_on: dt.date | None = None
    count: int | None = None
    mode: str = "draft"


@mutation
def create_schedule(ctx: Context, data: ScheduleInput) -> Schedule:
    """R49: a schedule from a template invoice (a draft or an issued one, not a credit note)."""
    require(ctx, "schedules")
    from invoice_tui.domain.invoices import get_invoice, is_credit_note

    template = get_invoice(data.template)
    if is_credit_note(template):
        raise RuleRefused(_("{number} is a credit note; a schedule repeats an invoice.").format(number=template.number)
                          if template.number else _("This draft is a credit note; a schedule repeats an invoice."),
                          field="from")
    if template.status == "voided":
        raise RuleRefused(_("{number} is voided; repeat an invoice that stands.").format(number=template.number), field="from")
    every, unit = parse_every(data.every)
    day = parse_day(data.day)
    if day is not None and unit not in ("m", "y"):
        raise BadInput(_("--day is for schedules every N months or years."), field="day")
    start = check_date(data.start, "the start date", field="start")
    end_on = check_date(data.end_on, "the end date", field="end") if data.end_on else None
    if data.mode not in MODES:
        raise BadInput(_("--mode is draft, finalize or send; not '{mode}'.").format(mode=data.mode), field="mode")
    if data.count is not None and not 1 <= int(data.count) <= MAX_COUNT:
        raise BadInput(_("--count is a number of invoices from 1 to {MAX_COUNT}.").format(MAX_COUNT=MAX_COUNT), field="count")
    if data.count is not None and end_on is not None:
        raise BadInput(_("A schedule ends after N invoices (--count) or on a date (--end), not both."), field="end")
    if unit == "y" and day is None and start.month == 2 and start.day == 29:
        day = 29  # 28 February in common years, 29 in leap years
    first = first_period(start, unit, day)
    if end_on is not None and end_on < first:
        raise BadInput(_("The end date {end_on} is before the first period, {first}.").format(end_on=end_on, first=first), field="end")
    if data.mode != "draft" and template.billing_contact_id is None:
        raise RuleRefused(_("{value} has no billing contact; a schedule that finalizes needs "
                            "one (R2). Add it to the template, or use --mode draft.").format(
            value=template.number or _("Draft #{id}").format(id=template.id)), field="mode")
    s = Schedule.create(template_id=template.id, every=every, unit=unit, day=day, start=first, end_on=end_on,
                        count=int(data.count) if data.count is not None else None, mode=data.mode, state="active",
                        next_index=0, next_run=first, issued=0, last_result="", created_by=ctx.login,
                        created_at=ctx.now())
    history.record_creation(ctx, "schedule", s.id, None, schedule_snapshot(s))
    history.add_activity(ctx, template.id, template.number, "schedule",
                         f"Schedule #{s.id} made from this invoice: {describe(s)}, {s.mode}, first on {first}")
    return s


@mutation
def pause_schedule(ctx: Context, ref: int | str) -> Schedule:
    require(ctx, "schedules")
    s = get_schedule(ref)
    if s.state != "active":
        raise RuleRefused(_("Schedule #{id} is {state}; only an active schedule is paused.").format(id=s.id, state=s.state))
    before = schedule_snapshot(s)
    s.state = "paused"
    s.save()
    _record_change(ctx, s, before)
    return s


@mutation
def resume_schedule(ctx: Context, ref: int | str) -> Schedule:
    """Resume a paused schedule: its next period is the first one on or after today (periods that
    fell while it was paused are not made)."""
    require(ctx, "schedules")
    s = get_schedule(ref)
    if s.state != "paused":
        raise RuleRefused(_("Schedule #{id} is {state}; only a paused schedule is resumed.").format(id=s.id, state=s.state))
    before = schedule_snapshot(s)
    today = ctx.today()
    index = s.next_index
    while _date(s, index) < today and not _past_end(s, index):
        index += 1
    s.next_index = index
    if _past_end(s, index):
        s.state, s.next_run = "ended", None
    else:
        s.state, s.next_run = "active", _date(s, index)
    s.save()
    _record_change(ctx, s, before)
    return s


@mutation
def delete_schedule(ctx: Context, ref: int | str) -> int:
    """Delete a schedule; the invoices it made stay (their page still names the schedule's number)."""
    require(ctx, "schedules")
    s = get_schedule(ref)
    history.record_changes(ctx, "schedule", s.id, None, schedule_snapshot(s), {k: None for k in schedule_snapshot(s)})
    s.delete_instance()
    return s.id


# ---- running ---------------------------------------------------------------------------------
@dataclass
class PeriodResult:
    schedule_id: int
    period: dt.date
    index: int
    invoice_id: int | None = None
    number: str | None = None
    status: str = ""
    note: str = ""
    send_planned: bool = False

    def record(self) -> dict[str, Any]:
        return {"schedule_id": self.schedule_id, "period": self.period.isoformat(), "index": self.index,
                "invoice_id": self.invoice_id, "number": self.number, "status": self.status, "note": self.note,
                "send_planned": self.send_planned}


def due_periods(ctx: Context, limit: int = 10000) -> list[PeriodResult]:
    """Every period due today or earlier that a run would make, in date order (``--dry-run``)."""
    today = ctx.today()
    out: list[PeriodResult] = []
    for s in Schedule.select().where((Schedule.state == "active") & (Schedule.next_run <= today)):
        index = s.next_index
        while len(out) < limit and not _past_end(s, index) and _date(s, index) <= today:
            out.append(PeriodResult(s.id, _date(s, index), index, status=s.mode))
            index += 1
    return sorted(out, key=lambda p: (p.period, p.schedule_id, p.index))


def _make_invoice(ctx: Context, s: Schedule, template: Invoice, period: dt.date, index: int) -> Invoice:
    """The period's invoice: the template's contents, origin subscription, dated on the period."""
    from invoice_tui.domain.invoices import _history, _save, _settings_ctx, _store_totals, copy_contents

    settings = _settings_ctx(ctx)
    t_date, t_due = _as_date(template.invoice_date), template.due_date and _as_date(template.due_date)
    terms = (t_due - t_date).days if t_due and t_date and t_due >= t_date else settings.payment_terms_days
    now = ctx.now()
    inv = Invoice.create(
        title=template.title, currency=template.currency, exponent=template.exponent, locale=template.locale,
        invoice_date=period, due_date=period + dt.timedelta(days=terms), owner=template.owner_id,
        billing_contact=template.billing_contact_id, company=template.company_id, po_number=template.po_number,
        comments=template.comments, allow_partial=template.allow_partial, origin="subscription",
        cloned_from=template.id, status="draft", version=1, created_at=now, updated_at=now,
        delivery_address=template.delivery_address, operation_category=template.operation_category,
        buyer_reference=template.buyer_reference, exemption_reasons=template.exemption_reasons,
        eur_rate=template.eur_rate)
    copy_contents(template, inv)
    _store_totals(inv)
    _save(inv, ctx, bump=False)
    _history(ctx, inv, None, "created", f"Created by schedule #{s.id} for the period of {period.isoformat()}")
    run = ScheduleRun.create(schedule_id=s.id, period=period, period_index=index, invoice_id=inv.id, created_at=now)
    history.record_creation(ctx, "schedule_run", run.id, inv.number, run_snapshot(run))
    return inv


@retry_busy
def _run_period(ctx: Context, schedule_id: int, index: int) -> PeriodResult | None:
    """Claim period ``index`` of a schedule and make its invoice, in one transaction; None when
    another run took it first (or the schedule changed)."""
    with write_tx():
        s = Schedule.get_or_none(Schedule.id == schedule_id)
        if s is None or s.state != "active" or s.next_index != index or _past_end(s, index):
            return None
        before = schedule_snapshot(s)
        period = _date(s, index)
        claimed = (Schedule.update(next_index=index + 1)
                   .where((Schedule.id == s.id) & (Schedule.next_index == index) & (Schedule.state == "active"))
                   .execute())
        if claimed != 1:
            return None
        result = PeriodResult(s.id, period, index)
        template = Invoice.get_or_none(Invoice.id == s.template_id)
        if template is None:
            raise _TemplateGone
        inv = _make_invoice(ctx, s, template, period, index)
        result.invoice_id, result.status = inv.id, "draft"
        if s.mode in ("finalize", "send"):
            from invoice_tui.domain.invoices import finalize_invoice

            try:
                with database.obj.atomic():  # a savepoint: a refused finalize leaves the draft
                    inv = finalize_invoice(ctx, inv.id)
                result.number, result.status = inv.number, inv.status
            except InvoiceTuiError as exc:
                result.note = f"left as a draft: {exc.message}"
        if s.mode == "send" and result.number:
            plan_send(ctx, inv, period)
            result.send_planned = True
        s.next_index = index + 1
        s.issued += 1
        if _past_end(s, s.next_index):
            s.state, s.next_run = "ended", None
        else:
            s.next_run = _date(s, s.next_index)
        made = result.number or f"draft #{inv.id}"
        s.last_result = (f"{ctx.today().isoformat()}: {made} for {period.isoformat()}"
                         + (f" ({result.note})" if result.note else ""))[:500]
        Schedule.update(issued=s.issued, state=s.state, next_run=s.next_run, last_result=s.last_result).where(
            Schedule.id == s.id).execute()
        _record_change(ctx, s, before)
        return result


class _TemplateGone(Exception):
    """The template was deleted: the claim is rolled back and the schedule says so."""


@mutation
def _template_gone(ctx: Context, schedule_id: int) -> None:
    s = Schedule.get_or_none(Schedule.id == schedule_id)
    if s is None or s.state != "active":
        return
    before = schedule_snapshot(s)
    s.state = "paused"
    s.last_result = f"{ctx.today().isoformat()}: paused, its template invoice #{s.template_id} was deleted"
    s.save()
    _record_change(ctx, s, before)


def run_schedules(ctx: Context, *, dry_run: bool = False, limit: int = 10000) -> list[PeriodResult]:
    """Make every due period's invoice, oldest period first across schedules (R49, R57)."""
    require(ctx, "schedules")
    if dry_run:
        return due_periods(ctx, limit)
    today = ctx.today()
    done: list[PeriodResult] = []
    tried: set[tuple[int, int]] = set()
    skip: set[int] = set()
    for _step in range(limit):
        q = Schedule.select().where((Schedule.state == "active") & (Schedule.next_run <= today))
        if skip:
            q = q.where(Schedule.id.not_in(skip))
        s = q.order_by(Schedule.next_run, Schedule.id).first()
        if s is None:
            break
        if (s.id, s.next_index) in tried:  # read twice unchanged yet not claimable: leave it
            skip.add(s.id)
            continue
        tried.add((s.id, s.next_index))
        try:
            result = _run_period(ctx, s.id, s.next_index)
        except _TemplateGone:
            _template_gone(ctx, s.id)
            continue
        if result is not None:
            done.append(result)
    return done


def input_from_texts(ctx: Context, template: int | str, every: str, day: str, start: str, end: str,
                     mode: str) -> ScheduleInput:
    """A schedule as a form types it: ``end`` is a number of invoices or a date (empty: no end);
    dates as the CLI takes them (YYYY-MM-DD, today, today+7)."""
    from invoice_tui.domain.filters import parse_date_value

    def date(text: str, what: str) -> dt.date:
        try:
            return parse_date_value(text.strip(), ctx.today())
        except BadInput:
            raise BadInput((_("The start '{text}' is not a date; write YYYY-MM-DD, today or today+7.") if what == "start"
                            else _("The end '{text}' is not a date; write YYYY-MM-DD, today or today+7.")).format(text=text),
                           field=what) from None

    end = (end or "").strip()
    count = int(end) if end.isdigit() and len(end) <= 5 else None
    return ScheduleInput(template=template, every=every, day=day or None,
                         start=date(start or "today", "start"),
                         end_on=date(end, "end") if end and count is None else None, count=count, mode=mode)


def make_from_texts(ctx: Context, template: int | str, every: str, day: str, start: str, end: str,
                    mode: str) -> Schedule:
    """The TUI's form: parse, then :func:`create_schedule`."""
    return create_schedule(ctx, input_from_texts(ctx, template, every, day, start, end, mode))


def schedule_rows(ctx: Context) -> list[dict[str, Any]]:
    """The Schedules screen's rows (R49): every schedule, active ones first by next run."""
    require(ctx, "view")
    return [schedule_record(s) for s in list_schedules()]


def toggle_pause(ctx: Context, ref: int | str) -> Schedule:
    s = get_schedule(ref)
    return resume_schedule(ctx, s.id) if s.state == "paused" else pause_schedule(ctx, s.id)
