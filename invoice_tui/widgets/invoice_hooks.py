"""Actions of the invoice screen whose machinery is built by other parts of invoice-tui
(sending, PDF, reminders, charging). Each is imported lazily; while its module is missing the
action is shown disabled with "Not available yet" — never a fake success.

Contracts (what the invoice screen calls when the module exists):

- send_email:     ``invoice_tui.modals.compose.ComposeScreen(invoice_id)`` pushed on the app;
- download_pdf:   ``invoice_tui.documents.pdf.invoice_pdf(inv, path)`` (markdown-pdf), through
                  this package's ``modals.download_pdf.DownloadPdfModal`` asking for the path;
- edit_reminders: ``invoice_tui.modals.reminders.RemindersModal(invoice_id)``;
- charge:         the domain's ``UNAVAILABLE`` table already explains it.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

HOOKS: dict[str, tuple[tuple[str, str], ...]] = {
    "send_email": (("invoice_tui.modals.compose", "ComposeScreen"),),
    "download_pdf": (("invoice_tui.documents.pdf", "invoice_pdf"),),
    "edit_reminders": (("invoice_tui.modals.reminders", "RemindersModal"),),
}


def _find(action_id: str) -> tuple[str, Any] | None:
    for module_name, attr in HOOKS.get(action_id, ()):
        try:
            if importlib.util.find_spec(module_name) is None:
                continue
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        target = getattr(module, attr, None)
        if target is not None:
            return attr, target
    return None


def available(action_id: str) -> bool:
    if action_id not in HOOKS:
        return True
    return _find(action_id) is not None


def compose_screen(invoice_id: int, **kwargs: Any):
    """The sending composer for ``invoice_id`` (None when not built yet)."""
    found = _find("send_email")
    if found is None:
        return None
    _, cls = found
    try:
        return cls(invoice_id, **kwargs)
    except TypeError:
        return cls(invoice_id)


def run(screen, action_id: str, invoice_id: int) -> bool:
    """Start ``action_id`` for ``invoice_id`` from ``screen``; False when it is not available."""
    found = _find(action_id)
    if found is None:
        return False
    name, target = found
    if name == "invoice_pdf":
        from invoice_tui.modals.download_pdf import DownloadPdfModal

        view = getattr(screen, "view", None)
        number = getattr(view, "number", None) or f"invoice-{invoice_id}"

        def done(path: Any) -> None:
            if path:
                screen.notify(f"PDF written to {path}", title="Download PDF")

        screen.app.push_screen(DownloadPdfModal(invoice_id, number), done)
        return True
    screen.app.push_screen(target(invoice_id), lambda _result=None: screen.reload())
    return True
