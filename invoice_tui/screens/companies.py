"""The Companies screen: list with search, add, edit, the invoices of a company, open one.

Keys: ``/`` search · ``n`` add · ``e``/enter edit · ``d`` delete · ``i`` invoices · ``escape`` back.
A company that an invoice refers to is not deleted (the service says which invoices).
"""

from __future__ import annotations

import peewee as pw

from invoice_tui.db.models import Company, Contact, Invoice
from invoice_tui.domain import people
from invoice_tui.screens.contacts import PeopleScreen, PersonRow


def list_company_rows(search: str) -> tuple[list[PersonRow], int]:
    counts = dict(Invoice.select(Invoice.company, pw.fn.COUNT(Invoice.id)).where(Invoice.company.is_null(False))
                  .group_by(Invoice.company).tuples())
    contacts = dict(Contact.select(Contact.company, pw.fn.COUNT(Contact.id)).where(Contact.company.is_null(False))
                    .group_by(Contact.company).tuples())
    rows = [PersonRow(c.id, (c.name, c.domain, c.tax_id, str(contacts.get(c.id, 0)), str(counts.get(c.id, 0))))
            for c in people.list_companies(search, 500)]
    return rows, Company.select().count()


class CompaniesScreen(PeopleScreen):
    KIND = "company"
    TITLE_TEXT = "Companies"
    COLUMNS = ("Name", "Domain", "Tax ID", "Contacts", "Invoices")

    def list_rows(self, search: str):
        return list_company_rows(search)

    def form(self, record_id: int | None):
        from invoice_tui.modals.pickers import CompanyFormModal

        return CompanyFormModal(record_id)

    DELETE_NOTE = "Its contacts stay, without a company. A company on an invoice is not deleted."

    def delete_service(self):
        return people.delete_company
