"""The Contacts screen: list with search, add, edit, delete (refused for a billing contact, with
the reason), see the invoices of a contact, open one (the list itself: ``screens.people``).

``PeopleCommands`` puts "Contacts: Open contacts", "Companies: Open companies" and "Invoices: New
invoice" in the ctrl+p palette of any screen that lists it in ``COMMANDS``.
"""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Provider

from invoice_tui.i18n import N_, _
from invoice_tui.screens.people import PeopleScreen


class ContactsScreen(PeopleScreen):
    """Contacts: list with search, add, edit, delete (refused for a billing contact), invoices."""


class PeopleCommands(Provider):
    """ctrl+p: open the Contacts and Companies screens, start a new invoice."""

    def _commands(self):
        from invoice_tui.screens.companies import CompaniesScreen
        from invoice_tui.screens.editor import EditorScreen
        from invoice_tui.screens.index import IndexScreen

        app = self.app
        commands = [
            (N_("Contacts: Open contacts"), lambda: app.push_screen(ContactsScreen()),
             N_("Search, add and edit contacts")),
            (N_("Companies: Open companies"), lambda: app.push_screen(CompaniesScreen()),
             N_("Search, add and edit companies")),
        ]
        if not isinstance(self.screen, IndexScreen):  # the index offers its own "New invoice"
            commands.append((N_("Invoices: New invoice"), lambda: app.push_screen(EditorScreen(None)),
                             N_("Create a draft invoice")))
        return [(_(text), callback, _(help_text)) for text, callback, help_text in commands]

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, text=text, help=help_text)


