"""The TUI's start-up: Python's cyclic garbage collector waits for the first paint (issue 16).

Importing Textual and the app, mounting the first screen and drawing its first rows allocate some
half a million objects that live as long as the process, and free almost none: the collector's
automatic passes over them (some 150 of them, the full ones walking every object) cost about as
much CPU as a tenth of the whole start. ``invoice-tui`` (``cli.run_tui``) pauses it before
importing the app; the index resumes it once its first rows are on screen (or its load failed,
or a second has passed), after ``gc.freeze()`` has moved everything alive then out of the
collector's sight, so that later full passes, during scrolling, do not walk it again either. An
app built otherwise (the tests, ``make_app``) never pauses it."""

from __future__ import annotations

import gc

_paused = False


def pause_gc() -> None:
    """Pause automatic collection until ``resume_gc`` (only if it is running now)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_gc() -> None:
    """Resume what ``pause_gc`` paused (nothing otherwise), the start-up's objects frozen first."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
