"""Waiting for a Pilot app's workers in tests."""

from __future__ import annotations

from textual.worker import WorkerCancelled


async def workers_done(app, attempts: int = 20) -> None:
    """Wait until the app's workers have finished.

    A worker of an exclusive group is cancelled when a newer one of its group starts (a change seen
    by the change feed reloads the settings, say): that is the app working as designed, so wait for
    the newer ones instead of failing. Anything else a worker raises still fails the test."""
    for _ in range(attempts):
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            continue
    await app.workers.wait_for_complete()
