"""Live screens: a screen that mixes in ``Live`` follows the app's change feed (one per app, see
``InvoiceApp.changes``) while it is mounted, and receives each change as a Textual message.

    class ContactsScreen(Live, Screen):
        def changed_elsewhere(self, change) -> None:  # on the UI thread
            if change.concerns("contact", "company"):
                self.reload()                       # the reading itself runs in a worker

``change.concerns(kind, …)`` and ``change.concerns_invoice(id)`` say whether it is worth a
reload; a change of unknown kind (a raw write by another program) concerns everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

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

    def on_live_changed(self, event: Changed) -> None:  # (a mixin has no @on: Textual's naming)
        self.changed_elsewhere(event.change)

    def changed_elsewhere(self, change: Change) -> None:
        """Reload what ``change`` concerns (override; on the UI thread)."""
