"""A command-palette provider for one command that opens one screen ("Audit: Verify the history",
"Settings: Open settings"): its name and help, found by the palette's fuzzy matcher."""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen


class OpenScreenCommand(Provider):
    NAME = ""
    HELP = ""

    def make_screen(self) -> Screen:  # pragma: no cover - each command names its screen
        raise NotImplementedError

    async def discover(self) -> Hits:
        yield DiscoveryHit(self.NAME, self._open, help=self.HELP)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        score = matcher.match(self.NAME)
        if score > 0:
            yield Hit(score, matcher.highlight(self.NAME), self._open, text=self.NAME, help=self.HELP)

    def _open(self) -> None:
        self.app.push_screen(self.make_screen())
