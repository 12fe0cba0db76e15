"""What the invoice index shows, as values: the query (R20 filters, quick search, sort), the
keyset key of a row, the per-currency totals of the status line, and the filtered invoices the
query stands for (``base_query``).

It stands below both readers of the index: ``index_sql`` compiles these queries into plain SQL,
``views`` saves them by name (R21) and reads pages for the CLI and the tests. Neither imports
the other's way back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from invoice_tui.domain import catalogue
from invoice_tui.domain.context import Context
from invoice_tui.domain.filters import FilterSet
from invoice_tui.domain.invoice_query import context_sql as sql_context  # noqa: F401 - the index's name for it
from invoice_tui.domain.invoice_query import query_invoices  # the one definition of the filtering

DEFAULT_SORT = "-id"
Key = tuple[Any, int]  # (sort value, invoice id)


@dataclass(frozen=True)
class IndexQuery:
    """Everything that decides which rows the index shows, in which order."""

    filters: FilterSet = field(default_factory=FilterSet)
    sort: str = DEFAULT_SORT
    search: str = ""

    @property
    def desc(self) -> bool:
        return self.sort.startswith("-")

    @property
    def prop(self) -> catalogue.Property:
        return catalogue.get(self.sort.lstrip("-"))


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    count: int
    billed_minor: int
    balance_minor: int


def base_query(ctx: Context, q: IndexQuery, *fields) -> pw.ModelSelect:
    """The filtered, searched invoices (unordered), selecting ``fields`` (default: whole rows)."""
    query = query_invoices(ctx, q.filters, q.sort, q.search).order_by()
    if fields:
        query = query.select(*fields)
    return query
