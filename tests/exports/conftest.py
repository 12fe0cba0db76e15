"""A small, deterministic set of invoices for the export tests (R22), on SQLite and PostgreSQL.

- INV-1001 EUR, open, partially paid (100.05 of 150.05), billing contact Ada + a second contact
  whose name starts with "=" (formula injection), companies Acme (main) and "+Plus Corp",
  three line items, title "=SUM(A1:A2)".
- INV-1002 KWD (3 decimals), open and overdue (due 2026-02-01; today is 2026-03-16), billed 1.234.
- a JPY draft (0 decimals), billed 1000, comments starting with a tab.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from invoice_tui.domain import invoices, payments, people


@dataclass
class Data:
    eur: object
    kwd: object
    jpy: object
    ada: object
    eve: object


@pytest.fixture
def data(ws, admin) -> Data:
    return build_data(admin)


def build_data(admin) -> Data:
    ada = people.add_contact(admin, {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"})
    eve = people.add_contact(admin, {"email": "eve@example.com", "first_name": "=HYPERLINK(\"x\")", "last_name": ""})
    acme = people.add_company(admin, {"name": "Acme"})
    plus = people.add_company(admin, {"name": "+Plus Corp"})
    eur = invoices.create_invoice(admin, {
        "currency": "EUR", "title": "=SUM(A1:A2)", "contact_id": ada.id, "company_id": acme.id,
        # dated as INV-1002, which is finalized after it: numbers follow the invoice dates (R57)
        "invoice_date": "2026-01-02", "due_date": "2026-04-15",
        "contact_ids": [eve.id], "company_ids": [plus.id], "allow_partial": True,
        "lines": [{"name": "Design", "quantity": "1", "unit_price": "100.05"},
                  {"name": "-Minus line", "quantity": "1", "unit_price": "30"},
                  {"name": "Support", "quantity": "2", "unit_price": "10"}]})
    eur = invoices.finalize_invoice(admin, eur.id)
    payments.record_payment(admin, eur.number, {"amount": "100.05", "method": "bank_transfer", "reference": "TRF-1"})
    kwd = invoices.create_invoice(admin, {
        "currency": "KWD", "contact_id": ada.id, "invoice_date": "2026-01-02", "due_date": "2026-02-01",
        "lines": [{"name": "Audit", "quantity": "1", "unit_price": "1.234"}]})
    kwd = invoices.finalize_invoice(admin, kwd.id)
    jpy = invoices.create_invoice(admin, {
        "currency": "JPY", "contact_id": eve.id, "comments": "\tnote",
        "lines": [{"name": "Sushi", "quantity": "1", "unit_price": "1000"}]})
    return Data(invoices.get_invoice(eur.id), invoices.get_invoice(kwd.id), invoices.get_invoice(jpy.id), ada, eve)


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def read_xlsx(path: Path) -> list[list[list]]:
    """Every sheet's rows of values."""
    book = openpyxl.load_workbook(path)
    return [[list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets]


def by_header(rows: list[list], key: str) -> dict[str, dict[str, object]]:
    """{value of column ``key``: {header: value}}."""
    head = rows[0]
    out = {}
    for r in rows[1:]:
        v = r[head.index(key)]
        out["" if v is None else str(v)] = dict(zip(head, r))
    return out
