"""The one way screens, modals and widgets run database work off the UI thread.

``call_service(fn, *args, done=…, failed=…)`` runs a service (or a read function) in a thread
worker; :func:`in_session` wraps it in one connection (``domain.connection``) — the one place the UI
opens a connection, so UI modules never import ``invoice_tui.db`` for it (a reader that must be
interruptible, the invoice table's, passes its own ``session``). A function that streams its
results posts messages as it goes and returns None. The result comes back
through Textual's ``Worker.StateChanged`` message: success calls ``done(result)``, a domain error
(``InvoiceTuiError``) calls ``failed(error)`` when the caller shows it itself (beside a form's
field, with ``widgets.error_text.show_error``). Every other failure — a domain error nobody
handles, an unexpected exception, from this idiom or from any other worker of the node — is
handed to the App, whose one ``on_worker_state_changed`` handler shows it as a notification:
never a traceback on the terminal and never a silent failure.

Functions given to ``call_service`` return plain data (dataclasses, lists, strings): nothing lazy
from peewee crosses back to the UI thread.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import partial
from typing import Any, Callable, TypeVar

from textual.worker import Worker, WorkerState

from invoice_tui.domain.connection import connection
from invoice_tui.domain.errors import InvoiceTuiError

T = TypeVar("T")


def in_session(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` inside one database connection (opened and closed around it)."""
    return _in(connection, fn, args, kwargs)


def _in(session: Callable[[], AbstractContextManager[Any]], fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
    with session():
        return fn(*args, **kwargs)


class ServiceCalls:
    """Mixin for a Screen, ModalScreen or Widget: ``self.call_service(fn, *args, done=…, failed=…)``."""

    def _service_callbacks(self) -> dict:
        cbs = getattr(self, "_svc_callbacks", None)
        if cbs is None:
            cbs = self._svc_callbacks = {}
        return cbs

    def call_service(self, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None] | None = None,
                     failed: Callable[[InvoiceTuiError], None] | None = None, group: str = "write",
                     exclusive: bool = False, session: Callable[[], AbstractContextManager[Any]] | None = None,
                     **kwargs: Any) -> Worker:
        job = partial(_in, session or connection, fn, args, kwargs)
        worker = self.run_worker(job,  # type: ignore[attr-defined]
                                 thread=True, group=group, exclusive=exclusive,
                                 name=getattr(fn, "__name__", "service"), exit_on_error=False)
        self._service_callbacks()[worker] = (done, failed)
        return worker

    async def compose_again(self) -> None:
        """``recompose()`` — the node's widgets removed and composed again (a change of language) —
        with the results of its workers that finish meanwhile handled after, when the new widgets
        are mounted: a load's ``done`` that queries its widgets never finds the node half emptied."""
        self._held_results: list[Worker.StateChanged] | None = []
        try:
            await self.recompose()  # type: ignore[attr-defined]
        finally:
            held, self._held_results = self._held_results or [], None
        for event in held:
            self.on_worker_state_changed(event)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        state = event.state
        if state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        held = getattr(self, "_held_results", None)
        if held is not None:  # composing again: handled once the new widgets are mounted
            held.append(event)
            return
        done, failed = self._service_callbacks().pop(event.worker, (None, None))
        if state == WorkerState.SUCCESS:
            if done is not None:
                done(event.worker.result)
        elif state == WorkerState.ERROR:
            error = event.worker.error
            if failed is not None and isinstance(error, InvoiceTuiError):
                failed(error)
            else:  # the App's one handler makes it visible
                self.app.post_message(Worker.StateChanged(event.worker, state))  # type: ignore[attr-defined]
