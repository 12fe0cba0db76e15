"""The Companies screen: list with search, add, edit, the invoices of a company, open one.

Keys: ``/`` search · ``n`` add · ``e``/enter edit · ``d`` delete · ``i`` invoices · ``escape`` back.
A company that an invoice refers to is not deleted (the service says which invoices).
"""

from __future__ import annotations

from invoice_tui.domain import people, reads
from invoice_tui.domain.reads import Row
from invoice_tui.screens.people import PeopleScreen


class CompaniesScreen(PeopleScreen):
    KIND = "company"
    TITLE_TEXT = "Companies"
    COLUMNS = ("Name", "Domain", "Tax ID", "Contacts", "Invoices")

    def list_rows(self, search: str) -> tuple[list[Row], int]:
        return reads.company_rows(search)

    def form(self, record_id: int | None):
        from invoice_tui.modals.pickers import CompanyFormModal

        return CompanyFormModal(record_id)

    DELETE_NOTE = "Its contacts stay, without a company. A company on an invoice is not deleted."

    def delete_service(self):
        return people.delete_company
