"""A command-palette provider for one command that opens one screen ("Audit: Verify the history",
"Settings: Open settings"): its name and help, found by the palette's fuzzy matcher. ``NAME`` and
``HELP`` are written in English (``N_()``) and shown in the reader's language."""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from invoice_tui.i18n import _


class OpenScreenCommand(Provider):
    NAME = ""
    HELP = ""

    def make_screen(self) -> Screen:  # pragma: no cover - each command names its screen
        raise NotImplementedError

    async def discover(self) -> Hits:
        yield DiscoveryHit(_(self.NAME), self._open, help=_(self.HELP))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        name = _(self.NAME)
        score = matcher.match(name)
        if score > 0:
            yield Hit(score, matcher.highlight(name), self._open, text=name, help=_(self.HELP))

    def _open(self) -> None:
        self.app.push_screen(self.make_screen())
