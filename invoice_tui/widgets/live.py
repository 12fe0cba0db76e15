"""Live screens: a screen that mixes in ``Live`` follows the app's change feed (one per app, see
``InvoiceApp.changes``) while it is mounted, and receives each change as a Textual message.

    class ContactsScreen(Live, Screen):
        def changed_elsewhere(self, change) -> None:  # on the UI thread
            if change.concerns("contact", "company"):
                self.reload()                       # the reading itself runs in a worker

``change.concerns(kind, …)`` and ``change.concerns_invoice(id)`` say whether it is worth a
reload; a change of unknown kind (a raw write by another program) concerns everything. A screen
hidden under another (not a modal) collects the changes and catches up once when shown again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.screen import ModalScreen, Screen

if TYPE_CHECKING:
    from invoice_tui.domain.workspace import Change


class Live:
    """Mixin for a Screen (or the App): subscribed from mount to unmount. It comes before the
    Screen class in the bases."""

    class Changed(Message):
        """The workspace changed (another user, process or screen of this app)."""

        def __init__(self, change: Change) -> None:
            super().__init__()
            self.change = change

    _live_subscription: Any = None

    def _on_mount(self) -> None:
        feed = getattr(self.app, "changes", None)  # type: ignore[attr-defined]
        if feed is not None and self._live_subscription is None:
            # called on the feed's thread; post_message hands the change over to the UI thread
            self._live_subscription = feed.subscribe(lambda change: self.post_message(Live.Changed(change)))  # type: ignore[attr-defined]

    def _on_unmount(self) -> None:
        if self._live_subscription is not None:
            self._live_subscription.close()
            self._live_subscription = None

    _live_pending: Change | None = None

    def on_live_changed(self, event: Changed) -> None:  # (a mixin has no @on: Textual's naming)
        if self._live_shown():
            self.changed_elsewhere(event.change)
        else:  # under another screen: catch up when shown again (one reload, not one per change)
            pending = self._live_pending
            self._live_pending = event.change if pending is None else pending.merged(event.change)

    def _on_screen_resume(self) -> None:
        pending, self._live_pending = self._live_pending, None
        if pending is not None:
            self.changed_elsewhere(pending)

    def _live_shown(self) -> bool:
        """The app, the top screen, or a screen seen behind the modals above it."""
        if not isinstance(self, Screen):
            return True
        for screen in reversed(self.app.screen_stack):
            if screen is self:
                return True
            if not isinstance(screen, ModalScreen):
                return False
        return False

    def changed_elsewhere(self, change: Change) -> None:
        """Reload what ``change`` concerns (override; on the UI thread)."""
