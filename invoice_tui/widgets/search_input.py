"""A search field that Escape clears before anything else (issue 24: "Escape clears a search
before it leaves a screen"): with text in it, Escape empties it (its ``Changed`` message runs the
empty search); when it is already empty, Escape goes on to the screen's own binding (back, close)
through Textual's ``SkipAction``."""

from __future__ import annotations

from textual.actions import SkipAction
from textual.binding import Binding

from invoice_tui.i18n import N_
from textual.widgets import Input


class SearchInput(Input):
    BINDINGS = [Binding("escape", "clear_search", N_("Clear search"), show=False, id="search.clear")]

    def action_clear_search(self) -> None:
        if not self.value:
            raise SkipAction()  # nothing to clear: the screen's Escape (back, cancel) runs
        self.value = ""
