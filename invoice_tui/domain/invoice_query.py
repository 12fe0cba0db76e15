"""Which invoices a filter set, a quick search and a sort select (R20) — the one definition, used
by the index, the lists, the export and the services (``domain.invoices`` re-exports it).

It lives apart from ``domain.invoices`` (the lifecycle services, their input models and R18's
totals) because the index needs it for its first page: the TUI paints its first rows without
importing the services (issue 16).
"""

from __future__ import annotations

import operator
from functools import reduce

import peewee as pw

from invoice_tui.db import text_contains
from invoice_tui.db.models import Invoice
from invoice_tui.domain import catalogue
from invoice_tui.domain.catalogue import SqlContext
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput
from invoice_tui.domain.permissions import require
from invoice_tui.domain.settings import WorkspaceSettings, load_settings
from invoice_tui.i18n import _


def settings_ctx(ctx: Context) -> WorkspaceSettings:
    """The workspace settings, the context's time zone set from them ("today" follows it)."""
    s = load_settings()
    ctx.timezone = s.timezone
    return s


def context_sql(ctx: Context) -> SqlContext:
    """What a filter's SQL may depend on: "today" in the context's time zone as it stands (no
    settings read) and the acting user."""
    return SqlContext(today=ctx.today(), user_id=ctx.user.id if ctx.user else None, login=ctx.login)


def sql_context(ctx: Context) -> SqlContext:
    """``context_sql`` with the time zone read from the workspace settings first."""
    settings_ctx(ctx)
    return context_sql(ctx)


def query_invoices(ctx: Context, filters=None, sort: str | None = None, search: str = "") -> pw.ModelSelect:
    """Invoices matching an R20 filter set and a quick search, sorted by a catalogue property."""
    from invoice_tui.domain.filters import compile_filters

    require(ctx, "view")
    sctx = sql_context(ctx)
    q = Invoice.select()
    where = compile_filters(filters, sctx)
    if where is not None:
        q = q.where(where)
    if search:
        s = search.strip()
        q = q.where(reduce(operator.or_, [text_contains(col, s) for col in (
            Invoice.number, Invoice.contact_name, Invoice.contact_email, Invoice.company_name, Invoice.po_number)]))
    desc = False
    key = sort or "-id"
    if key.startswith("-"):
        desc, key = True, key[1:]
    prop = catalogue.get(key)
    if not prop.sortable:
        raise BadInput(_("{label} cannot be sorted.").format(label=prop.label()), field="sort")
    col = prop.sql(sctx)
    order = [col.desc() if desc else col.asc()]
    if prop.id != "id":  # the id breaks ties, so keyset pagination is exact
        order.append(Invoice.id.desc() if desc else Invoice.id.asc())
    return q.order_by(*order)


__all__ = ["query_invoices", "sql_context", "context_sql", "settings_ctx"]
