"""The CLI's ``list --json`` / ``--ndjson``, streamed (issue 16).

Each list is one SQL statement read from an iterating cursor in batches (a server-side cursor on
PostgreSQL) inside one read snapshot; rows are plain tuples turned into the JSON objects the CLI
has always printed (same keys, same values: ``domain.invoices.invoice_record``,
``domain.payments.payment_record``), and each batch is written before the next is read. No ORM
object per row, no list of every row: memory holds one batch whatever the number of rows.

Invoice amounts are the stored totals (minor units, written by the services with the one R18
function); the tax breakdown, which is not stored, comes from ``compute_totals`` over the batch's
line items and adjustments, read in one query each per batch.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict, namedtuple
from decimal import Decimal
from typing import IO, Any, Callable, Iterable, Iterator, Sequence

import peewee as pw

from invoice_tui.db import database
from invoice_tui.db.models import Adjustment, Contact, Invoice, LineItem, Payment, User
from invoice_tui.domain.invoices import STORED_LINE_FIELDS as _STORED_LINE
from invoice_tui.domain.invoices import breakdown_records, line_spec
from invoice_tui.domain.money import exponent
from invoice_tui.domain.text import json_escape
from invoice_tui.domain.totals import AdjustmentSpec, compute_totals
from invoice_tui.exports.columns import iso_text, money_text
from invoice_tui.exports.service import minor_text, read_cursor, read_snapshot

BATCH = 2000
_StoredLine = namedtuple("_StoredLine", _STORED_LINE)


# ---- writing ------------------------------------------------------------------------------------
def write_json(stream: IO[str], records: Iterable[dict], *, ndjson: bool = False, batch: int = 500) -> int:
    """Write ``records`` as one JSON array (one object a line inside it) or as NDJSON (one object
    a line), ``batch`` objects per write. Text as ``cli.json_text``: UTF-8 kept, anything not
    JSON-native as ``str``, DEL and C1 controls escaped so stored text never drives a terminal.
    Returns the number of objects written."""
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    sep = "\n" if ndjson else ",\n"
    pending: list[str] = []
    count = 0

    def flush() -> None:
        if not pending:
            return
        text = sep.join(pending)
        stream.write(text + "\n" if ndjson else ("[\n" if count == len(pending) else ",\n") + text)
        pending.clear()

    for record in records:
        pending.append(json_escape(encode(record)))  # JSON escaped C0 already; the rest, R55
        count += 1
        if len(pending) >= batch:
            flush()
    flush()
    if not ndjson:
        stream.write("\n]\n" if count else "[]\n")
    return count


# ---- plain values from either backend -------------------------------------------------------------
def _day(v) -> str | None:
    """A date cell as ISO text (SQLite stores the text, PostgreSQL returns a date)."""
    return v if v is None or isinstance(v, str) else v.isoformat()


def _moment(v) -> str | None:
    """A naive timestamp as ``datetime.isoformat()`` gives it."""
    if v is None or not isinstance(v, str):
        return None if v is None else v.isoformat()
    text = v.replace(" ", "T", 1)
    return text[:-7] if text.endswith(".000000") else text


def batches(sql: str, params: Sequence, size: int = BATCH) -> Iterator[list[tuple]]:
    """The statement's rows, ``size`` at a time, from one cursor (closed at the end)."""
    cursor = read_cursor(sql, list(params), size)
    try:
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        cursor.close()


# ---- invoices -----------------------------------------------------------------------------------
def _invoice_columns() -> tuple:
    money = [money_text(f) for f in (Invoice.subtotal_minor, Invoice.discount_minor, Invoice.fee_minor,
                                     Invoice.tax_minor, Invoice.billed_minor, Invoice.paid_minor,
                                     Invoice.balance_minor)]
    days = [iso_text(f, False) for f in (Invoice.invoice_date, Invoice.due_date, Invoice.last_sent_date,
                                         Invoice.payment_date)]
    return (Invoice.id, Invoice.number, Invoice.title, Invoice.status, Invoice.currency, Invoice.locale, *money,
            *days, Invoice.contact_name, Invoice.contact_email, Invoice.company_name, Invoice.owner,
            Invoice.po_number, Invoice.origin, Invoice.allow_partial, Invoice.comments, Invoice.created_at,
            Invoice.version, Invoice.doc_type, money_text(Invoice.credited_minor))


class _PerBatch:
    """A statement over one batch of invoice ids (``WHERE invoice_id IN (…)``), its SQL built once
    per batch length: peewee builds a node per id, which cost more than the query itself."""

    def __init__(self, make: Callable[[list[int]], pw.ModelSelect]) -> None:
        self.make = make
        self.sql: dict[tuple[type, int], tuple[str, list]] = {}

    def rows(self, ids: list[int]) -> list[tuple]:
        db = database.obj
        key = (type(db), len(ids))  # the SQL differs between backends (placeholders, quoting)
        built = self.sql.get(key)
        if built is None:
            sql, params = self.make(list(ids)).sql()
            assert list(params[:len(ids)]) == ids  # the ids come first, then the other values
            built = self.sql[key] = sql, list(params[len(ids):])
        return db.execute_sql(built[0], ids + built[1]).fetchall()


_LINES = _PerBatch(lambda ids: LineItem.select(
    LineItem.invoice, *(getattr(LineItem, f) for f in _STORED_LINE[2:])).where(LineItem.invoice.in_(ids))
    .order_by(LineItem.invoice, LineItem.position))
_ADJUSTMENTS = _PerBatch(lambda ids: Adjustment.select(
    Adjustment.invoice, Adjustment.kind, Adjustment.value, Adjustment.is_percent, Adjustment.tax_rate,
    Adjustment.tax_category)
    .where(Adjustment.invoice.in_(ids) & (Adjustment.kind != "tax"))  # extra taxes are not in the breakdown
    .order_by(Adjustment.invoice, Adjustment.position))
ZERO = Decimal(0)


class _Breakdowns:
    """Tax breakdowns by what they depend on — the currency, the line items and the discounts
    and fees, as stored — so invoices with the same lines (recurring invoices, a price list's
    usual orders) are computed once. At most ``size`` are kept: memory stays flat."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.known: dict[tuple, list[dict]] = {}

    def __call__(self, currency: str, lines: tuple, adjustments: tuple) -> list[dict]:
        key = (currency, lines, adjustments)
        found = self.known.get(key)
        if found is None:
            if len(self.known) >= self.size:
                self.known.clear()
            specs = [line_spec(_StoredLine("", "", *row), currency) for row in lines]
            adjusted = [AdjustmentSpec(kind, Decimal(value), bool(pct), Decimal(rate) if rate else ZERO,
                                       tax_category=category or "")
                        for kind, value, pct, rate, category in adjustments]  # compute_totals orders them (R18)
            found = self.known[key] = breakdown_records(compute_totals(currency, specs, adjusted))
        return found


def _tax_breakdowns(rows: list[tuple], breakdown: _Breakdowns) -> dict[int, list[dict]]:
    """Invoice id → its tax breakdown (R18 ``compute_totals``), for one batch of invoice rows:
    one query for their line items, one for their discounts and fees."""
    ids = [r[0] for r in rows]
    lines: dict[int, list[tuple]] = defaultdict(list)
    adjustments: dict[int, list[tuple]] = defaultdict(list)
    for row in _LINES.rows(ids):
        lines[row[0]].append(row[1:])
    for row in _ADJUSTMENTS.rows(ids):
        adjustments[row[0]].append(row[1:])
    empty: list[dict] = []
    return {r[0]: breakdown(r[4], tuple(lines[r[0]]), tuple(adjustments[r[0]]))
            if r[0] in lines or r[0] in adjustments else empty for r in rows}


def invoice_records(query: pw.ModelSelect, today: dt.date, size: int = BATCH) -> Iterator[dict]:
    """``invoice_record`` of every invoice of ``query`` (its filters, search, sort and limit), in
    its order, read in batches of ``size`` — call inside :func:`read_snapshot`. Amounts and dates
    come as text from the statement itself (the export's SQL conversions)."""
    owners = dict(User.select(User.id, User.login).tuples())
    breakdown = _Breakdowns()
    today_iso = today.isoformat()
    sql, params = query.select(*_invoice_columns()).sql()
    for rows in batches(sql, params, size):
        breakdowns = _tax_breakdowns(rows, breakdown)
        for (inv_id, number, title, status, cur, locale, sub, disc, fee, tax, billed, paid, balance, inv_date,
             due, sent, paid_on, c_name, c_email, co_name, owner, po, origin, partial, comments, created,
             version, doc_type, credited) in rows:
            overdue = status == "open" and due is not None and due < today_iso
            yield {
                "id": inv_id, "number": number, "title": title, "status": status, "overdue": overdue,
                "days_overdue": (today - dt.date.fromisoformat(due)).days if overdue else 0,
                "currency": cur, "locale": locale, "subtotal": sub, "discount_total": disc, "fee_total": fee,
                "tax_total": tax, "amount_billed": billed, "amount_paid": paid, "balance_due": balance,
                "tax_breakdown": breakdowns[inv_id], "invoice_date": inv_date, "due_date": due,
                "last_sent_date": sent, "payment_date": paid_on, "contact_name": c_name or None,
                "contact_email": c_email or None, "company_name": co_name or None,
                "owner": owners.get(owner) if owner else None, "po_number": po, "origin": origin,
                "allow_partial": bool(partial), "comments": comments, "created_at": _moment(created),
                "version": version, "type": doc_type, "amount_credited": credited,
            }


# ---- payments -----------------------------------------------------------------------------------
def payment_records(query: pw.ModelSelect, size: int = BATCH) -> Iterator[dict]:
    """``payment_record`` of every payment of ``query`` (``domain.payments.payments_query``), with
    the invoice number and contact email joined in the same statement."""
    number = Invoice.select(Invoice.number).where(Invoice.id == Payment.invoice)
    sql, params = query.select(Payment.id, Payment.amount_minor, Payment.currency, Payment.date, Payment.method,
                               Payment.reference, Payment.note, Payment.source, Payment.state, Contact.email,
                               Payment.invoice, number).sql()
    exponents: dict[str, int] = {}
    for rows in batches(sql, params, size):
        for pid, amount, cur, day, method, ref, note, source, state, email, inv_id, inv_number in rows:
            exp = exponents.get(cur)
            if exp is None:
                exp = exponents[cur] = exponent(cur)
            yield {"id": pid, "amount": minor_text(amount, exp), "currency": cur, "date": _day(day),
                   "method": method, "reference": ref, "note": note, "source": source, "state": state,
                   "contact_email": email, "invoice_id": inv_id, "invoice_number": inv_number}


def records(query: pw.ModelSelect, fields: Sequence[pw.Node], make: Callable[[tuple], dict],
            size: int = BATCH) -> Iterator[dict]:
    """Any list: ``make(row)`` for each row of ``query.select(*fields)``, read in batches."""
    sql, params = query.select(*fields).sql()
    for rows in batches(sql, params, size):
        yield from map(make, rows)


__all__ = ["write_json", "invoice_records", "payment_records", "records", "batches", "read_snapshot", "BATCH"]

