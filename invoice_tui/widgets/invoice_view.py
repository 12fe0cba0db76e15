"""Showing an invoice outside the terminal: its buyer link in a graphical browser, when there is
one (the invoice page itself is read by ``invoice_tui.domain.invoice_page``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def browser_available(env: dict | None = None) -> bool:
    """A browser can show a link without taking over the terminal: ``$BROWSER`` is set, or a
    graphical session that is not an SSH login (never a text browser in this terminal)."""
    env = os.environ if env is None else env
    if env.get("BROWSER"):
        return True
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY") or env.get("SSH_CLIENT"):
        return False
    if sys.platform == "darwin":
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def open_in_browser(url: str) -> bool:
    """Open ``url`` in a graphical browser, detached from the terminal; False when none."""
    if not browser_available():
        return False
    if os.environ.get("BROWSER"):
        cmd = os.environ["BROWSER"].split(":")[0]
        argv = [*cmd.split(), url] if "%s" not in cmd else [part.replace("%s", url) for part in cmd.split()]
    elif sys.platform == "darwin":
        argv = ["open", url]
    else:
        opener = shutil.which("xdg-open")
        if not opener:
            return False
        argv = [opener, url]
    try:
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    except OSError:
        return False
    return True
