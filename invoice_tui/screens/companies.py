"""The Companies screen: list with search, add, edit, the invoices of a company, open one.

Keys: ``/`` search · ``n`` add · ``e``/enter edit · ``d`` delete · ``i`` invoices · ``escape`` back.
A company that an invoice refers to is not deleted (the service says which invoices).
"""

from __future__ import annotations

from invoice_tui.domain import people, reads
from invoice_tui.domain.reads import Row
from invoice_tui.i18n import N_, _, ngettext
from invoice_tui.screens.people import PeopleScreen


class CompaniesScreen(PeopleScreen):
    KIND = "company"
    TITLE_TEXT = N_("Companies")
    COLUMNS = (N_("Name"), N_("Domain"), N_("Tax ID"), N_("Contacts"), N_("Invoices"))

    def search_placeholder(self) -> str:
        return _("Search companies… (/)")

    def count_text(self, shown: int, total: int) -> str:
        if self.search_text:
            return ngettext("{shown} of {total} company", "{shown} of {total} companies", total).format(
                shown=shown, total=total)
        return ngettext("{total} company", "{total} companies", total).format(total=total)

    def none_yet(self) -> str:
        return _("No company yet — press n to add one.")

    def added_text(self) -> str:
        return _("Company added.")

    def saved_text(self) -> str:
        return _("Company saved.")

    def delete_title(self) -> str:
        return _("Delete company")

    def list_rows(self, search: str) -> tuple[list[Row], int]:
        return reads.company_rows(search)

    def form(self, record_id: int | None):
        from invoice_tui.modals.pickers import CompanyFormModal

        return CompanyFormModal(record_id)

    DELETE_NOTE = N_("Its contacts stay, without a company. A company on an invoice is not deleted.")

    def delete_service(self):
        return people.delete_company
