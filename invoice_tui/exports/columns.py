"""The export's column catalogue, on top of the property catalogue (R22).

Each exported property becomes one SQL expression that already yields the cell's final value, so
the writers do no per-cell conversion in Python (the cost that would dominate a million-row
export):

========  =====================================  ==========================================
kind      CSV (text)                             XLSX (typed cell)
========  =====================================  ==========================================
text      neutralised against formula injection  the same, written as a string cell
number    integer                                numeric cell
money     exact dot-decimal string built from    minor units; the writer divides by
          the integer minor units in SQL         10**exponent (one int/int true division,
          (string arithmetic on SQLite, NUMERIC  correctly rounded) and applies the
          on PostgreSQL) — never a float         currency's number format
date      ISO 8601 (``2026-03-16``)              Excel serial day number + a date format
datetime  ISO 8601 (``2026-03-16T09:30:00``)     Excel serial + a date-time format
choice    translated label (SQL ``CASE``) or     the same, as a string cell
          the internal value
========  =====================================  ==========================================

Formula injection: a text that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is
prefixed with an apostrophe (OWASP's advice), in both formats, so a spreadsheet shows it as text
and never evaluates it — also after an XLSX file is re-saved as CSV.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import peewee as pw

from invoice_tui.db import is_postgres
from invoice_tui.db.models import Invoice
from invoice_tui.domain import catalogue
from invoice_tui.domain.catalogue import BOOLEAN_CHOICES, CHOICE_LABELS, Property, SqlContext

TEXT, NUMBER, MONEY, DATE, DATETIME, CHOICE = "text", "number", "money", "date", "datetime", "choice"

INJECTION_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_EPOCH_JULIAN = 2415018.5  # julianday('1899-12-30'): day 0 of Excel's 1900 date system


@dataclass(frozen=True)
class ExportColumn:
    """One exported property: its catalogue entry and the kind of cell it becomes."""

    prop: Property
    kind: str

    @property
    def id(self) -> str:
        return self.prop.id


def column(prop_id: str) -> ExportColumn:
    prop = catalogue.get(prop_id)
    if prop.type == "money":
        kind = MONEY
    elif prop.type == "number":
        kind = NUMBER
    elif prop.type == "date":
        kind = DATETIME if isinstance(prop.sql(_PROBE), pw.DateTimeField) else DATE
    elif prop.type == "choice" and prop.id in CHOICE_LABELS:
        kind = CHOICE
    else:  # text, and choices whose values are data (currency codes, owner names)
        kind = TEXT
    return ExportColumn(prop, kind)


_PROBE = SqlContext(today=__import__("datetime").date(2000, 1, 1))


def all_property_ids() -> list[str]:
    return [p.id for p in catalogue.PROPERTIES]


# ---- SQL building blocks -----------------------------------------------------------------------
def neutralised(node: pw.Node) -> pw.Node:
    """``'`` + text when the text starts with a formula character; NULL stays NULL."""
    if not is_postgres():  # literal constants: SQLite evaluates bound parameters per row
        return _template("CASE WHEN {x} GLOB '[-=+@\t\r]*' THEN '''' || {x} ELSE {x} END", x=node)
    first = pw.fn.substr(node, 1, 1)
    return pw.Case(None, [(first.in_(list(INJECTION_STARTS)), pw.Value("'").concat(node))], node)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def neutralise(text: str | None) -> str | None:
    """The same rule in Python, for cells built outside SQL (association lists)."""
    if text and text[0] in INJECTION_STARTS:
        return "'" + text
    return text


def money_text(minor: pw.Node) -> pw.Node:
    """Exact dot-decimal text of a minor-units column in the row's currency exponent."""
    e = Invoice.exponent
    if is_postgres():
        scaled = pw.Cast(minor, "numeric") / pw.fn.power(pw.Cast(10, "numeric"), e)
        return pw.Cast(pw.fn.round(scaled, e), "text")
    # SQLite: integer arithmetic and string concatenation, one branch per exponent, written with
    # literal constants (bound parameters would be evaluated per row and cost a third more).
    branches = ["CASE {e}"]
    for exp in (2, 0, 3, 4, 1):  # the most common exponent first
        p = 10 ** exp
        branches.append(
            " WHEN 0 THEN CAST({x} AS TEXT)" if exp == 0 else
            f" WHEN {exp} THEN CASE WHEN {{x}} >= 0 THEN ({{x}} / {p}) || '.' || substr({{x}} % {p} + {p}, 2)"
            f" ELSE '-' || (-{{x}} / {p}) || '.' || substr(-{{x}} % {p} + {p}, 2) END")
    branches.append(" END")
    return _template("".join(branches), x=minor, e=e)


def _template(text: str, **nodes: pw.Node) -> pw.Node:
    """SQL text with ``{name}`` holes filled by peewee nodes (so columns keep their aliases)."""
    parts = re.split(r"\{(\w+)\}", text)
    items = [nodes[part] if i % 2 else pw.SQL(part) for i, part in enumerate(parts) if part or i % 2]
    return pw.NodeList(items, glue="", parens=True)


def iso_text(node: pw.Node, with_time: bool) -> pw.Node:
    if is_postgres():
        return pw.fn.to_char(node, 'YYYY-MM-DD"T"HH24:MI:SS' if with_time else "YYYY-MM-DD")
    if with_time:  # stored as 'YYYY-MM-DD HH:MM:SS'
        return _template("replace({x}, ' ', 'T')", x=node)
    return node  # stored as 'YYYY-MM-DD'


def excel_serial(node: pw.Node, with_time: bool) -> pw.Node:
    """Days since 1899-12-30 (what an Excel date cell holds)."""
    if is_postgres():
        if with_time:
            return pw.fn.date_part("epoch", node - pw.Cast(pw.Value("1899-12-30"), "timestamp")) / 86400
        return node - pw.Cast(pw.Value("1899-12-30"), "date")
    return pw.fn.julianday(node) - EXCEL_EPOCH_JULIAN


def choice_text(col: ExportColumn, node: pw.Node, lang: str | None) -> pw.Node:
    """Translated labels (``lang``) or internal values (``lang=None``) of a choice property."""
    table = CHOICE_LABELS[col.id]

    def label(value: str) -> str:
        return value if lang is None else (table[value].get(lang) or table[value]["en"])

    if not is_postgres():  # literal constants, as in neutralised()
        if col.prop.choices == BOOLEAN_CHOICES:
            return _template(f"CASE WHEN {{x}} THEN {_literal(label('true'))} ELSE {_literal(label('false'))} END",
                             x=node)
        whens = "".join(f" WHEN {_literal(v)} THEN {_literal(label(v))}" for v in table)
        return _template(f"CASE {{x}}{whens} ELSE {{x}} END", x=node)
    if col.prop.choices == BOOLEAN_CHOICES:
        return pw.Case(None, [(node, label("true"))], label("false"))
    return pw.Case(node, [(value, label(value)) for value in table], node)


def select_expression(col: ExportColumn, fmt: str, sctx: SqlContext, lang: str | None) -> pw.Node:
    """The SQL expression whose value is the cell of ``col`` (see the module's table)."""
    node = col.prop.sql(sctx)
    if col.kind == TEXT:
        return neutralised(node)
    if col.kind == NUMBER:
        return node
    if col.kind == MONEY:
        return money_text(node) if fmt == "csv" else node
    if col.kind in (DATE, DATETIME):
        with_time = col.kind == DATETIME
        return iso_text(node, with_time) if fmt == "csv" else excel_serial(node, with_time)
    return choice_text(col, node, lang)


__all__ = ["ExportColumn", "column", "all_property_ids", "neutralise", "neutralised", "select_expression",
           "TEXT", "NUMBER", "MONEY", "DATE", "DATETIME", "CHOICE", "INJECTION_STARTS"]
