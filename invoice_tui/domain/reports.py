"""Reports (issue 27): aging, revenue per month, top customers, DSO, statements of account and the
sales journal — each computed in SQL over the whole workspace (aggregates, never every invoice
loaded into Python), on SQLite and PostgreSQL alike.

What each figure counts (every record as the dated record it is):

- **Documents**: an invoice counts once finalized (``open`` or ``paid``) on its invoice date; an
  issued credit note (``doc_type = 'credit_note'``, R36) counts negative on its date. Drafts and
  voided invoices (R13: a voided invoice bills and owes nothing) count nowhere.
- **Balance of an invoice as of a date D** = billed − Σ its payments dated ≤ D (succeeded or
  disputed, less their refunded part, as R18's paid amount) + Σ its overpayment records dated ≤ D
  (R8: the excess became credit) − Σ its ``cn_applied`` and ``applied`` credit records dated ≤ D
  (R39/R40). As of today this is the stored ``balance_minor`` of the open invoices, and the aging
  of today reads that (one indexed scan). An online payment's refund has no date of its own: it
  counts on the payment's date (the payment counts net of it).
- **Aging** buckets an open balance by days past its due date as of D: current (not yet due, or
  no due date), 1–30, 31–60, 61–90, over 90.
- **Revenue** per month and currency: billed (invoices − credit notes, VAT included), of which
  tax (``tax_minor``: VAT and any extra taxes) and net (billed − tax); collected = payments
  received in the month (net of their refunds) − customer-credit refunds paid out in the month.
- **DSO** over [from, to] = receivables at ``to`` (the aging total) ÷ billed over the period ×
  the period's days.
- **Statement of account** of a customer (R40: a company, else a billing contact without one):
  invoices (+), credit notes (−), payments (−), refunds of credit (+) in date order with a running
  balance; credit applied is listed but moves nothing (its credit note or overpayment already
  counted). Closing balance = the open balances − the customer's available credit.
- **Sales journal**: one row per issued document and VAT group (BG-23), from the one totals
  function (R18), so its VAT equals the documents' breakdowns.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterator

import peewee as pw

from invoice_tui.db import database, is_postgres
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput
from invoice_tui.domain.filters import Filter, FilterGroup, FilterSet
from invoice_tui.domain.money import from_minor, plain
from invoice_tui.domain.permissions import require
from invoice_tui.i18n import N_, _


class Labels(dict):
    """A table of labels marked with ``N_()``, read in the reader's language: ``LABELS[key]``,
    ``.get``, ``.values`` and ``.items`` give the translation (issue 25)."""

    def __getitem__(self, key):
        return _(dict.__getitem__(self, key))

    def get(self, key, default=None):
        return self[key] if key in self else default

    def values(self):
        return [self[k] for k in self]

    def items(self):
        return [(k, self[k]) for k in self]

BUCKETS: tuple[str, ...] = ("current", "1_30", "31_60", "61_90", "over_90")
BUCKET_LABELS = Labels({"current": N_("Current"), "1_30": N_("1–30"), "31_60": N_("31–60"), "61_90": N_("61–90"),
                        "over_90": N_("> 90")})
BUCKET_DAYS = {"current": (None, 0), "1_30": (1, 30), "31_60": (31, 60), "61_90": (61, 90), "over_90": (91, None)}

# finalized invoices (open, paid) and issued credit notes: "issued" is a credit note's status alone
# (R36), so one IN reads the reports' index (migration 0024) by status and date
ISSUED_DOCS = "i.status IN ('open', 'paid', 'issued')"
SIGNED_BILLED = "(CASE WHEN i.doc_type = 'credit_note' THEN -i.billed_minor ELSE i.billed_minor END)"
SIGNED_TAX = "(CASE WHEN i.doc_type = 'credit_note' THEN -i.tax_minor ELSE i.tax_minor END)"
PAID_STATES = "('succeeded', 'disputed', 'refunded')"


# ---- SQL helpers ---------------------------------------------------------------------------------
def _rows(sql: str, params: list[Any]) -> list[tuple]:
    db = database.obj
    if is_postgres():
        sql = sql.replace("?", "%s")
        params = [p for p in params]
    else:
        params = [p.isoformat() if isinstance(p, dt.date) else p for p in params]
    return list(db.execute_sql(sql, params).fetchall())


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _month(col: str) -> str:
    return f"to_char({col}, 'YYYY-MM')" if is_postgres() else f"substr({col}, 1, 7)"


def _money(minor: int, currency: str) -> str:
    return plain(from_minor(int(minor), currency))


def check_period(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and start > end:
        raise BadInput(_("The period starts {start}, after its end {end}; give --from before --to.").format(
            start=start.isoformat(), end=end.isoformat()), field="from", code="report.bad_period")


# ---- the balance of each invoice as of a date -----------------------------------------------------
def _balances_as_of(as_of: dt.date, customer_sql: str = "", customer_params: list | None = None) -> tuple[str, list]:
    """A sub-query of (id, currency, due_date, balance) for the invoices finalized by ``as_of``, with
    their balance as of that date (the payments and credit records dated up to it)."""
    # A paid invoice whose payment date is on or before the day owed nothing that day: every record
    # that settled it is dated by then (a paid invoice takes no payment nor credit; a refund reopens
    # it). So only the open ones and those paid after the day are read (migration 0024's indexes
    # give each its payments and credit records dated up to the day).
    sql = f"""
        SELECT i.id AS id, i.currency AS currency, i.due_date AS due_date,
               i.billed_minor
               - (SELECT COALESCE(SUM(p.amount_minor - p.amount_refunded_minor), 0) FROM payment p
                  WHERE p.invoice_id = i.id AND p.date <= ? AND p.state IN {PAID_STATES})
               - (SELECT COALESCE(SUM(CASE WHEN e.kind = 'overpayment' THEN -e.amount_minor ELSE e.amount_minor END), 0)
                  FROM credit_entry e WHERE e.invoice_id = i.id AND e.date <= ?
                  AND e.kind IN ('cn_applied', 'applied', 'overpayment')) AS balance
        FROM invoice i
        WHERE i.doc_type = 'invoice' AND i.invoice_date <= ?
          AND (i.status = 'open' OR (i.status = 'paid' AND (i.payment_date IS NULL OR i.payment_date > ?))) {customer_sql}"""
    return sql, [as_of, as_of, as_of, as_of, *(customer_params or [])]


def _bucket_case(as_of: dt.date) -> tuple[str, list]:
    """A CASE naming the aging bucket of ``due_date`` as of ``as_of`` (plain date comparisons)."""
    d30, d60, d90 = (as_of - dt.timedelta(days=n) for n in (30, 60, 90))
    sql = ("CASE WHEN due_date IS NULL OR due_date >= ? THEN 'current' WHEN due_date >= ? THEN '1_30' "
           "WHEN due_date >= ? THEN '31_60' WHEN due_date >= ? THEN '61_90' ELSE 'over_90' END")
    return sql, [as_of, d30, d60, d90]


def _customer_sql(customer, alias: str = "i") -> tuple[str, list]:
    if customer is None:
        return "", []
    if customer.company_id:
        return f" AND {alias}.company_id = ?", [customer.company_id]
    return f" AND {alias}.company_id IS NULL AND {alias}.billing_contact_id = ?", [customer.contact_id]


# ---- aging ---------------------------------------------------------------------------------------
@dataclass
class AgingRow:
    currency: str
    buckets: dict[str, int] = field(default_factory=lambda: {b: 0 for b in BUCKETS})
    counts: dict[str, int] = field(default_factory=lambda: {b: 0 for b in BUCKETS})

    @property
    def total(self) -> int:
        return sum(self.buckets.values())

    def record(self) -> dict[str, str]:
        rec = {"currency": self.currency}
        rec.update({b: _money(self.buckets[b], self.currency) for b in BUCKETS})
        rec["total"] = _money(self.total, self.currency)
        return rec


def aging(ctx: Context, as_of: dt.date | None = None, customer=None) -> list[AgingRow]:
    """Open balances per currency and aging bucket as of ``as_of`` (default today)."""
    require(ctx, "view")
    today = ctx.today()
    as_of = as_of or today
    case, case_params = _bucket_case(as_of)
    cust, cust_params = _customer_sql(customer)
    if as_of >= today:  # today: the stored balances of the open invoices
        sql = (f"SELECT i.currency, {case.replace('due_date', 'i.due_date')} AS b, COUNT(*), SUM(i.balance_minor) "
               f"FROM invoice i WHERE i.doc_type = 'invoice' AND i.status = 'open' AND i.balance_minor <> 0{cust} "
               "GROUP BY i.currency, b")
        params = [*case_params, *cust_params]
    else:
        inner, inner_params = _balances_as_of(as_of, cust, cust_params)
        sql = (f"SELECT currency, {case} AS b, COUNT(*), SUM(balance) FROM ({inner}) x WHERE balance <> 0 "
               "GROUP BY currency, b")
        params = [*case_params, *inner_params]
    out: dict[str, AgingRow] = {}
    for currency, bucket, n, total in _rows(sql, params):
        row = out.setdefault(currency, AgingRow(currency))
        row.buckets[bucket] += int(total or 0)
        row.counts[bucket] += int(n)
    return [out[c] for c in sorted(out)]


@dataclass(frozen=True)
class OpenItem:
    invoice_id: int
    number: str
    customer: str
    due_date: dt.date | None
    days_overdue: int
    balance_minor: int
    currency: str


def aging_items(ctx: Context, as_of: dt.date, currency: str, bucket: str | None = None, customer=None,
                limit: int = 200) -> list[OpenItem]:
    """The invoices behind an aging figure as of a past date, each with its balance as of that date
    (the report lists them itself: the index shows today's balances)."""
    require(ctx, "view")
    case, case_params = _bucket_case(as_of)
    cust, cust_params = _customer_sql(customer)
    inner, inner_params = _balances_as_of(as_of, cust, cust_params)
    sql = (f"SELECT x.id, i.number, CASE WHEN i.company_name <> '' THEN i.company_name ELSE i.contact_name END, "
           f"x.due_date, x.balance FROM ({inner}) x JOIN invoice i ON i.id = x.id "
           f"WHERE x.balance <> 0 AND x.currency = ?")
    params = [*inner_params, currency]
    if bucket:
        sql += f" AND ({case.replace('due_date', 'x.due_date')}) = ?"
        params += [*case_params, bucket]
    sql += " ORDER BY x.due_date, x.id LIMIT ?"
    params.append(int(limit))
    out = []
    for ident, number, who, due, balance in _rows(sql, params):
        due = _date(due)
        days = (as_of - due).days if due and due < as_of else 0
        out.append(OpenItem(int(ident), number or "", who or "", due, days, int(balance), currency))
    return out


def aging_filters(as_of: dt.date, currency: str, bucket: str | None = None) -> FilterSet:
    """The index's filters for the open invoices behind an aging figure of today (their balances
    are the figure: R20 filters, ORed groups for "current" — no due date, or due from today)."""
    base = [Filter(property="type", operator="any_of", values=["invoice"]),
            Filter(property="status", operator="any_of", values=["open"]),
            Filter(property="currency", operator="any_of", values=[currency])]
    if bucket is None:
        return FilterSet(groups=[FilterGroup(filters=base)])
    lo, hi = BUCKET_DAYS[bucket]
    if bucket == "current":
        return FilterSet(groups=[
            FilterGroup(filters=[*base, Filter(property="due_date", operator="unknown")]),
            FilterGroup(filters=[*base, Filter(property="due_date", operator="after",
                                               values=[(as_of - dt.timedelta(days=1)).isoformat()])])])
    if hi is None:
        due = Filter(property="due_date", operator="before", values=[(as_of - dt.timedelta(days=lo - 1)).isoformat()])
    else:
        due = Filter(property="due_date", operator="between",
                     values=[(as_of - dt.timedelta(days=hi)).isoformat(), (as_of - dt.timedelta(days=lo)).isoformat()])
    return FilterSet(groups=[FilterGroup(filters=[*base, due])])


# ---- revenue -------------------------------------------------------------------------------------
@dataclass
class RevenueRow:
    month: str  # YYYY-MM
    currency: str
    billed_minor: int = 0  # invoices − credit notes, tax included
    tax_minor: int = 0
    collected_minor: int = 0  # payments − refunds
    invoices: int = 0
    credit_notes: int = 0

    @property
    def net_minor(self) -> int:
        return self.billed_minor - self.tax_minor

    def record(self) -> dict[str, Any]:
        c = self.currency
        return {"month": self.month, "currency": c, "billed": _money(self.billed_minor, c),
                "net": _money(self.net_minor, c), "tax": _money(self.tax_minor, c),
                "collected": _money(self.collected_minor, c), "invoices": self.invoices,
                "credit_notes": self.credit_notes}


def default_period(ctx: Context) -> tuple[dt.date, dt.date]:
    """The last twelve months, this one included."""
    today = ctx.today()
    start = dt.date(today.year - 1, today.month, 1) + dt.timedelta(days=32)
    return start.replace(day=1), today


def period(ctx: Context, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """[start, end] with the default period's bound for a missing one, checked."""
    d_start, d_end = default_period(ctx)
    start, end = start or d_start, end or d_end
    check_period(start, end)
    return start, end


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    y, m = (int(x) for x in month.split("-"))
    return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])


def revenue(ctx: Context, start: dt.date | None = None, end: dt.date | None = None) -> list[RevenueRow]:
    """Billed, tax and collected per month and currency over [start, end] (default: 12 months)."""
    require(ctx, "view")
    start, end = period(ctx, start, end)
    out: dict[tuple[str, str], RevenueRow] = {}

    def row(month: str, currency: str) -> RevenueRow:
        return out.setdefault((month, currency), RevenueRow(month, currency))

    m = _month("i.invoice_date")
    for month, cur, billed, tax, n_inv, n_cn in _rows(
            f"SELECT {m} AS m, i.currency, SUM({SIGNED_BILLED}), SUM({SIGNED_TAX}), "
            "SUM(CASE WHEN i.doc_type = 'invoice' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN i.doc_type = 'credit_note' THEN 1 ELSE 0 END) "
            f"FROM invoice i WHERE {ISSUED_DOCS} AND i.invoice_date >= ? AND i.invoice_date <= ? "
            "GROUP BY m, i.currency", [start, end]):
        r = row(month, cur)
        r.billed_minor, r.tax_minor, r.invoices, r.credit_notes = int(billed or 0), int(tax or 0), int(n_inv), int(n_cn)
    for month, cur, amount in _rows(
            f"SELECT {_month('date')} AS m, currency, SUM(amount_minor - amount_refunded_minor) FROM payment "
            f"WHERE state IN {PAID_STATES} AND date >= ? AND date <= ? GROUP BY m, currency", [start, end]):
        row(month, cur).collected_minor += int(amount or 0)
    for month, cur, amount in _rows(
            f"SELECT {_month('date')} AS m, currency, SUM(amount_minor) FROM credit_entry "
            "WHERE kind = 'refund' AND date >= ? AND date <= ? GROUP BY m, currency", [start, end]):
        row(month, cur).collected_minor -= int(amount or 0)
    return [out[k] for k in sorted(out)]


def revenue_filters(month: str, currency: str, start: dt.date | None = None,
                    end: dt.date | None = None) -> FilterSet:
    """The index's filters for the documents behind a month's billed figure (the index counts an
    issued credit note negative, so its billed total is the figure)."""
    first, last = month_bounds(month)
    first, last = max(first, start or first), min(last, end or last)
    return FilterSet(groups=[FilterGroup(filters=[
        Filter(property="type", operator="any_of", values=["invoice", "credit_note"]),
        Filter(property="status", operator="any_of", values=["open", "paid", "issued"]),
        Filter(property="currency", operator="any_of", values=[currency]),
        Filter(property="invoice_date", operator="between", values=[first.isoformat(), last.isoformat()])])])


# ---- top customers -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CustomerFigure:
    company_id: int | None
    contact_id: int | None
    name: str
    email: str
    currency: str
    billed_minor: int
    balance_minor: int

    def record(self) -> dict[str, Any]:
        c = self.currency
        return {"customer": self.name, "company_id": self.company_id, "contact_id": self.contact_id,
                "currency": c, "billed": _money(self.billed_minor, c), "balance": _money(self.balance_minor, c)}


def top_customers(ctx: Context, by: str = "billed", limit: int = 10, start: dt.date | None = None,
                  end: dt.date | None = None) -> list[CustomerFigure]:
    """The ``limit`` customers of each currency (R40: a company, else a billing contact) with the
    most billed (invoices − credit notes, over [start, end] when given) or the largest open balance."""
    require(ctx, "view")
    if by not in ("billed", "balance"):
        raise BadInput(_("Top customers are ranked by billed or by balance."), field="by")
    if not 1 <= int(limit) <= 1000:
        raise BadInput(_("--limit takes 1 to 1000, not {limit}.").format(limit=limit), field="limit")
    check_period(start, end)
    where, params = [ISSUED_DOCS], []
    if start:
        where.append("i.invoice_date >= ?")
        params.append(start)
    if end:
        where.append("i.invoice_date <= ?")
        params.append(end)
    balance = "SUM(CASE WHEN i.doc_type = 'invoice' AND i.status = 'open' THEN i.balance_minor ELSE 0 END)"
    # one pass over the documents, one aggregated row per customer and currency; ranked here
    # (amounts compare within a currency only)
    sql = (f"SELECT i.currency, i.company_id, CASE WHEN i.company_id IS NULL THEN i.billing_contact_id END AS contact, "
           f"SUM({SIGNED_BILLED}), {balance} FROM invoice i WHERE {' AND '.join(where)} "
           "GROUP BY i.currency, i.company_id, contact")
    groups: dict[str, list[tuple]] = {}
    for cur, company_id, contact_id, billed, bal in _rows(sql, params):
        groups.setdefault(cur, []).append((company_id, contact_id, int(billed or 0), int(bal or 0)))
    rank = 2 if by == "billed" else 3
    chosen = {cur: sorted(rows, key=lambda r: (-r[rank], r[0] or 0, r[1] or 0))[:int(limit)]
              for cur, rows in groups.items()}
    names = _customer_names({r[0] for rows in chosen.values() for r in rows if r[0]},
                            {r[1] for rows in chosen.values() for r in rows if r[1] and not r[0]})
    out = []
    for cur in sorted(chosen):
        for company_id, contact_id, billed, bal in chosen[cur]:
            name, email = names.get((company_id, None if company_id else contact_id), ("", ""))
            out.append(CustomerFigure(company_id, contact_id, name, email, cur, billed, bal))
    return out


def _customer_names(company_ids: set, contact_ids: set) -> dict[tuple, tuple[str, str]]:
    """(company id, contact id) → (name, email) of the few customers a report shows."""
    from invoice_tui.db.models import Company, Contact

    out: dict[tuple, tuple[str, str]] = {}
    if company_ids:
        for ident, name in Company.select(Company.id, Company.name).where(Company.id.in_(list(company_ids))).tuples():
            out[(ident, None)] = (name, "")
    if contact_ids:
        for c in Contact.select().where(Contact.id.in_(list(contact_ids))):
            out[(None, c.id)] = (c.display_name, c.email)
    return out


def currencies(start: dt.date | None = None, end: dt.date | None = None) -> list[str]:
    """The currencies of the issued documents (of a period)."""
    where, params = [ISSUED_DOCS], []
    if start:
        where.append("i.invoice_date >= ?")
        params.append(start)
    if end:
        where.append("i.invoice_date <= ?")
        params.append(end)
    return [c for (c,) in _rows(f"SELECT DISTINCT i.currency FROM invoice i WHERE {' AND '.join(where)} "
                                "ORDER BY i.currency", params)]


def customer_filters(fig: CustomerFigure, by: str = "billed", start: dt.date | None = None,
                     end: dt.date | None = None) -> FilterSet:
    """The index's filters for the documents behind a customer's figure."""
    if fig.company_id:
        who = [Filter(property="company_name", operator="any_of", values=[fig.name])]
    else:
        who = [Filter(property="contact_email", operator="any_of", values=[fig.email]),
               Filter(property="company_name", operator="unknown")]
    if by == "balance":
        kind = [Filter(property="type", operator="any_of", values=["invoice"]),
                Filter(property="status", operator="any_of", values=["open"])]
    else:
        kind = [Filter(property="type", operator="any_of", values=["invoice", "credit_note"]),
                Filter(property="status", operator="any_of", values=["open", "paid", "issued"])]
    dates = []
    if start or end:  # the figures of a period's documents
        dates = [Filter(property="invoice_date", operator="between",
                        values=[(start or dt.date(1900, 1, 1)).isoformat(), (end or dt.date(9999, 12, 31)).isoformat()])]
    return FilterSet(groups=[FilterGroup(filters=[
        *kind, Filter(property="currency", operator="any_of", values=[fig.currency]), *who, *dates])])


# ---- DSO -----------------------------------------------------------------------------------------
DSO_FORMULA = "DSO = receivables at the period's end ÷ billed over the period × days in the period"


@dataclass(frozen=True)
class DsoRow:
    currency: str
    start: dt.date
    end: dt.date
    receivables_minor: int
    billed_minor: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def dso(self) -> Decimal | None:
        if self.billed_minor <= 0:
            return None
        return (Decimal(self.receivables_minor) / Decimal(self.billed_minor) * self.days).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP)

    def record(self) -> dict[str, Any]:
        c = self.currency
        return {"currency": c, "from": self.start.isoformat(), "to": self.end.isoformat(), "days": self.days,
                "receivables": _money(self.receivables_minor, c), "billed": _money(self.billed_minor, c),
                "dso": None if self.dso is None else plain(self.dso)}


def dso(ctx: Context, start: dt.date | None = None, end: dt.date | None = None) -> list[DsoRow]:
    """Days sales outstanding per currency over [start, end] (default: the last 12 months)."""
    require(ctx, "view")
    start, end = period(ctx, start, end)
    receivables = {r.currency: r.total for r in aging(ctx, end)}
    billed = {cur: int(total or 0) for cur, total in _rows(
        f"SELECT i.currency, SUM({SIGNED_BILLED}) FROM invoice i WHERE {ISSUED_DOCS} AND i.invoice_date >= ? "
        "AND i.invoice_date <= ? GROUP BY i.currency", [start, end])}
    return [DsoRow(c, start, end, receivables.get(c, 0), billed.get(c, 0)) for c in sorted(set(receivables) | set(billed))]


# ---- statement of account ------------------------------------------------------------------------
@dataclass(frozen=True)
class Movement:
    day: dt.date
    kind: str  # invoice, credit_note, payment, refund, credit_applied
    reference: str
    amount_minor: int  # signed: what it does to the balance (0 for credit applied)
    shown_minor: int  # the record's own amount
    balance_minor: int  # running balance after it


MOVEMENT_LABELS = Labels({"invoice": N_("Invoice"), "credit_note": N_("Credit note"), "payment": N_("Payment"),
                          "refund": N_("Refund"), "credit_applied": N_("Credit applied")})


@dataclass
class Statement:
    customer_label: str
    currency: str
    start: dt.date
    as_of: dt.date
    opening_minor: int
    movements: list[Movement]
    aging: AgingRow

    @property
    def closing_minor(self) -> int:
        return self.movements[-1].balance_minor if self.movements else self.opening_minor

    def record(self) -> dict[str, Any]:
        c = self.currency
        return {"customer": self.customer_label, "currency": c, "from": self.start.isoformat(),
                "as_of": self.as_of.isoformat(), "opening_balance": _money(self.opening_minor, c),
                "movements": [{"date": m.day.isoformat(), "kind": m.kind, "reference": m.reference,
                               "amount": _money(m.shown_minor, c), "effect": _money(m.amount_minor, c),
                               "balance": _money(m.balance_minor, c)} for m in self.movements],
                "closing_balance": _money(self.closing_minor, c), "aging": self.aging.record()}


def _movements(customer, as_of: dt.date) -> list[tuple]:
    """(date, order, kind, reference, currency, effect, shown) of a customer up to ``as_of``."""
    cust, cust_params = _customer_sql(customer)
    if customer.company_id:
        ce, ce_params = " AND e.company_id = ? AND e.contact_id IS NULL", [customer.company_id]
    else:
        ce, ce_params = " AND e.company_id IS NULL AND e.contact_id = ?", [customer.contact_id]
    docs = _rows(
        f"SELECT i.invoice_date, i.id, i.doc_type, i.number, i.currency, {SIGNED_BILLED}, i.billed_minor "
        f"FROM invoice i WHERE {ISSUED_DOCS} AND i.invoice_date <= ?{cust}", [as_of, *cust_params])
    pays = _rows(
        "SELECT p.date, p.id, 'payment', i.number, p.currency, -(p.amount_minor - p.amount_refunded_minor), "
        "p.amount_minor - p.amount_refunded_minor FROM payment p JOIN invoice i ON i.id = p.invoice_id "
        f"WHERE p.state IN {PAID_STATES} AND p.date <= ?{cust}", [as_of, *cust_params])
    credit = _rows(
        "SELECT e.date, e.id, e.kind, COALESCE(i.number, e.reference), e.currency, "
        "CASE WHEN e.kind = 'refund' THEN e.amount_minor ELSE 0 END, e.amount_minor FROM credit_entry e "
        f"LEFT JOIN invoice i ON i.id = e.invoice_id WHERE e.kind IN ('refund', 'applied') AND e.date <= ?{ce}",
        [as_of, *ce_params])
    order = {"invoice": 0, "credit_note": 1, "payment": 2, "applied": 3, "refund": 4}
    out = []
    for day, ident, kind, ref, cur, effect, shown in [*docs, *pays, *credit]:
        kind = "credit_applied" if kind == "applied" else kind
        out.append((_date(day), order.get(kind, 3), int(ident), kind, ref or "", cur, int(effect), int(shown)))
    out.sort(key=lambda r: r[:3])
    return out


def customer_name(customer) -> str:
    """A company's name, or a contact's name and email ("Ada Lovelace <ada@example.com>")."""
    from invoice_tui.db.models import Contact

    if customer.company_id:
        return customer.label
    c = Contact.get_or_none(Contact.id == customer.contact_id)
    if c is None:
        return customer.label
    return f"{c.display_name} <{c.email}>" if c.display_name != c.email else c.email


def statement(ctx: Context, customer, as_of: dt.date | None = None, start: dt.date | None = None) -> list[Statement]:
    """The customer's statement of account per currency: the opening balance at ``start`` (default:
    the first day of the as-of date's year), every movement from it to ``as_of`` with a running
    balance, the closing balance and its aging."""
    require(ctx, "view")
    as_of = as_of or ctx.today()
    start = start or dt.date(as_of.year, 1, 1)
    if start > as_of:
        raise BadInput(_("The statement starts {start}, after its date {as_of}.").format(
            start=start.isoformat(), as_of=as_of.isoformat()), field="from", code="report.bad_period")
    rows = _movements(customer, as_of)
    ages = {r.currency: r for r in aging(ctx, as_of, customer=customer)}
    label = customer_name(customer)
    out = []
    for cur in sorted({r[5] for r in rows} | set(ages)):
        opening = sum(r[6] for r in rows if r[5] == cur and r[0] < start)
        running, moves = opening, []
        for day, _o, _i, kind, ref, c, effect, shown in rows:
            if c != cur or day < start:
                continue
            running += effect
            moves.append(Movement(day, kind, ref, effect, shown, running))
        out.append(Statement(label, cur, start, as_of, opening, moves, ages.get(cur, AgingRow(cur))))
    return out


def statement_markdown(statements: list[Statement], *, seller: str = "", locale: str = "en_US") -> str:
    """The statement as the PDF's markdown (documents/pdf.py renders it), worded in ``locale``'s
    language with the documents' own labels (a document a customer reads, as an invoice is)."""
    from invoice_tui.documents.markdown import label
    from invoice_tui.domain.money import format_minor

    def L(key: str, **kw) -> str:  # noqa: N802 - a label
        return label(key, locale, **kw)

    movement = {"invoice": L("invoice"), "credit_note": L("credit_note"), "payment": L("mv_payment"),
                "refund": L("mv_refund"), "credit_applied": L("mv_credit_applied")}
    parts = []
    for st in statements:
        cur = st.currency

        def m(minor: int) -> str:
            return format_minor(minor, cur, locale)

        parts.append(f"# {L('statement')}\n\n**{_md(st.customer_label)}** — "
                     + L("period", c=cur, s=st.start.isoformat(), e=st.as_of.isoformat())
                     + (f"\n\n{L('from_seller', s=_md(seller))}" if seller else ""))
        lines = [f"| {L('cn_date')} | {L('document')} | {L('reference')} | {L('amount')} | {L('statement_balance')} |",
                 "|---|---|---|---:|---:|",
                 f"| {st.start.isoformat()} | {L('opening_balance')} | | | {m(st.opening_minor)} |"]
        for mv in st.movements:
            amount = m(mv.amount_minor) if mv.kind != "credit_applied" else f"({m(mv.shown_minor)})"
            lines.append(f"| {mv.day.isoformat()} | {movement[mv.kind]} | {_md(mv.reference)} | {amount} | "
                         f"{m(mv.balance_minor)} |")
        lines.append(f"| {st.as_of.isoformat()} | {L('closing_balance')} | | | {m(st.closing_minor)} |")
        parts.append("\n".join(lines))
        parts.append(L("credit_brackets"))
        parts.append("| " + " | ".join(_bucket_word(b, L) for b in BUCKETS) + f" | {L('sum')} |\n"
                     + "|" + "---:|" * (len(BUCKETS) + 1) + "\n| "
                     + " | ".join(m(st.aging.buckets[b]) for b in BUCKETS) + f" | {m(st.aging.total)} |")
    return "\n\n".join(parts) if parts else f"# {L('statement')}\n\n{L('no_movements')}"


def _bucket_word(bucket: str, L) -> str:  # noqa: N803 - the label function
    """An aging bucket's heading on a customer's document (its language, not the reader's)."""
    low, high = BUCKET_DAYS[bucket]
    if low is None:
        return L("b_current")
    return L("days_over", a=low - 1) if high is None else L("days_range", a=low, b=high)


def _md(text: str) -> str:
    from invoice_tui.domain.text import safe

    return safe(text or "", line=True).replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


# ---- sales journal -------------------------------------------------------------------------------
JOURNAL_HEADERS = ("Number", "Date", "Type", "Customer", "VAT id", "Category", "Rate", "Basis", "Tax", "Total",
                   "Currency")


@dataclass(frozen=True)
class JournalRow:
    number: str
    day: dt.date
    doc_type: str
    customer: str
    vat_id: str
    category: str
    rate: Decimal
    basis: Decimal  # signed: a credit note's is negative
    tax: Decimal
    total: Decimal  # the document's amount (on each of its rows)
    currency: str


def journal(ctx: Context, start: dt.date, end: dt.date, batch: int = 500) -> Iterator[JournalRow]:
    """One row per issued document and VAT group (BG-23) dated in [start, end], in date and number
    order; the breakdown comes from the one totals function (R18), read a batch of documents at a
    time with their lines and adjustments."""
    from invoice_tui.db.models import Adjustment, Company, Invoice, LineItem
    from invoice_tui.domain.invoices import invoice_totals

    require(ctx, "view")
    check_period(start, end)
    last = None
    issued = (((Invoice.doc_type == "invoice") & Invoice.status.in_(["open", "paid"]))
              | ((Invoice.doc_type == "credit_note") & (Invoice.status == "issued")))
    while True:
        q = (Invoice.select(Invoice, Company.vat_id.alias("buyer_vat"))
             .join(Company, pw.JOIN.LEFT_OUTER, on=(Company.id == Invoice.company))
             .where(issued & (Invoice.invoice_date >= start) & (Invoice.invoice_date <= end)))
        if last is not None:
            q = q.where((Invoice.invoice_date > last[0]) | ((Invoice.invoice_date == last[0]) & (Invoice.id > last[1])))
        docs = list(q.order_by(Invoice.invoice_date, Invoice.id).limit(batch).objects())
        if not docs:
            return
        ids = [d.id for d in docs]
        lines: dict[int, list] = {}
        for li in LineItem.select().where(LineItem.invoice.in_(ids)).order_by(LineItem.position):
            lines.setdefault(li.invoice_id, []).append(li)
        adjs: dict[int, list] = {}
        for a in Adjustment.select().where(Adjustment.invoice.in_(ids)).order_by(Adjustment.kind, Adjustment.position):
            adjs.setdefault(a.invoice_id, []).append(a)
        for inv in docs:
            t = invoice_totals(inv, lines=lines.get(inv.id, []), adjustments=adjs.get(inv.id, []))
            sign = -1 if inv.doc_type == "credit_note" else 1
            who = inv.company_name or inv.contact_name or inv.contact_email
            vat_id = getattr(inv, "buyer_vat", None) or ""
            total = from_minor(inv.billed_minor, inv.currency) * sign + 0  # never -0.00
            for g in t.tax_breakdown or ():
                yield JournalRow(inv.number or "", inv.invoice_date, inv.doc_type, who, vat_id, g.category, g.rate,
                                 g.basis * sign + 0, g.tax * sign + 0, total, inv.currency)
            if not t.tax_breakdown:
                yield JournalRow(inv.number or "", inv.invoice_date, inv.doc_type, who, vat_id, "", Decimal(0),
                                 Decimal(0), Decimal(0), total, inv.currency)
        last = (docs[-1].invoice_date, docs[-1].id)


def journal_record(r: JournalRow) -> dict[str, Any]:
    return {"number": r.number, "date": r.day.isoformat(), "type": r.doc_type, "customer": r.customer,
            "vat_id": r.vat_id, "category": r.category, "rate": plain(r.rate.normalize()) if r.rate else "0",
            "basis": plain(r.basis), "tax": plain(r.tax), "total": plain(r.total), "currency": r.currency}


# ---- what the Reports screen shows ----------------------------------------------------------------
@dataclass
class Overview:
    as_of: dt.date
    today: dt.date
    start: dt.date
    end: dt.date
    aging: list[AgingRow]
    revenue: list[RevenueRow]
    top_billed: list[CustomerFigure]
    top_balance: list[CustomerFigure]
    dso: list[DsoRow]

    @property
    def currencies(self) -> list[str]:
        found = {r.currency for r in self.aging} | {r.currency for r in self.revenue} | {r.currency for r in self.dso}
        return sorted(found)


def overview(ctx: Context, as_of: dt.date | None = None, start: dt.date | None = None,
             end: dt.date | None = None, limit: int = 10) -> Overview:
    """Every report of the Reports screen in one call (one worker, one read transaction)."""
    today = ctx.today()
    as_of = as_of or today
    start, end = period(ctx, start, end)
    return Overview(as_of, today, start, end, aging(ctx, as_of), revenue(ctx, start, end),
                    top_customers(ctx, "billed", limit, start, end), top_customers(ctx, "balance", limit),
                    dso(ctx, start, end))


def billed_filters(currency: str, start: dt.date, end: dt.date) -> FilterSet:
    """The index's filters for the documents billed in a period (DSO's denominator)."""
    return FilterSet(groups=[FilterGroup(filters=[
        Filter(property="type", operator="any_of", values=["invoice", "credit_note"]),
        Filter(property="status", operator="any_of", values=["open", "paid", "issued"]),
        Filter(property="currency", operator="any_of", values=[currency]),
        Filter(property="invoice_date", operator="between", values=[start.isoformat(), end.isoformat()])])])


def parse_as_of(text: str, ctx: Context) -> dt.date:
    """A date the user typed on the Reports screen (YYYY-MM-DD, today, today-30), or a sentence."""
    from invoice_tui.domain.filters import parse_date_value

    try:
        return parse_date_value((text or "").strip() or "today", ctx.today())
    except BadInput:
        raise BadInput(_("'{text}' is not a date; write YYYY-MM-DD, today or today-30.").format(text=text), field="as_of",
                       code="report.bad_date") from None
