"""Database work off the UI thread for the invoice screens and modals.

``call_service`` runs a service (or a read function) in a thread worker inside
``database.connection_context()``; the result comes back through Textual's
``Worker.StateChanged`` message, handled in one place (``on_worker_state_changed``): success
calls ``done(result)``, a domain refusal (``InvoiceTuiError``) calls ``failed(error)`` or becomes
a notification with its sentence, anything else becomes a visible error notification — never a
traceback on the terminal and never a silent failure.

Functions given to ``call_service`` return plain data (dataclasses, lists, strings): nothing lazy
from peewee crosses back to the UI thread.
"""

from __future__ import annotations

from typing import Any, Callable

from textual.worker import Worker, WorkerState

from invoice_tui.db import database
from invoice_tui.domain.errors import InvoiceTuiError


# The services' sentences sometimes end with the CLI's way to fix things; in the TUI say the TUI's way.
_TUI_HINTS = {
    "; set one with --contact EMAIL.": "; pick one in the editor (e, then ctrl+b) or in the Contacts card (3, then n).",
}


def for_tui(message: str) -> str:
    for cli, tui in _TUI_HINTS.items():
        message = message.replace(cli, tui)
    return message


class ServiceCalls:
    """Mixin for a Screen/ModalScreen: ``self.call_service(fn, *args, done=…, failed=…)``."""

    def _service_callbacks(self) -> dict:
        cbs = getattr(self, "_svc_callbacks", None)
        if cbs is None:
            cbs = self._svc_callbacks = {}
        return cbs

    def call_service(self, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None] | None = None,
                     failed: Callable[[InvoiceTuiError], None] | None = None, group: str = "write",
                     exclusive: bool = False, **kwargs: Any) -> Worker:
        def job() -> Any:
            with database.connection_context():
                return fn(*args, **kwargs)

        worker = self.run_worker(job, thread=True, group=group, exclusive=exclusive,  # type: ignore[attr-defined]
                                 name=getattr(fn, "__name__", "service"), exit_on_error=False)
        self._service_callbacks()[worker] = (done, failed)
        return worker

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        callbacks = self._service_callbacks()
        if event.worker not in callbacks:
            return
        state = event.state
        if state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        done, failed = callbacks.pop(event.worker)
        if state == WorkerState.SUCCESS:
            if done is not None:
                done(event.worker.result)
        elif state == WorkerState.ERROR:
            error = event.worker.error
            if isinstance(error, InvoiceTuiError):
                error.message = for_tui(error.message)
                if failed is not None:
                    failed(error)
                else:
                    self.notify(error.message, title="Not done", severity="error", timeout=8)  # type: ignore[attr-defined]
            else:
                self.notify(f"{type(error).__name__}: {error}", title="Something went wrong",  # type: ignore[attr-defined]
                            severity="error", timeout=12)
