"""One database connection around a unit of work, for the faces that must not touch ``db``.

The TUI runs each service call in a worker thread inside ``connection()`` (opened, then closed),
so nothing of peewee crosses into the UI and no UI module imports ``invoice_tui.db``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from invoice_tui.db import database


def connection() -> AbstractContextManager[Any]:
    """A context manager: one connection for the statements inside it (reused when already open)."""
    return database.connection_context()
