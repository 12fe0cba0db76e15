"""R55 on the real binary in a real terminal (tmux): a workspace whose names hold an OSC 52
clipboard write, CSI cursor moves and a screen clear, C1 controls and bidi overrides. With tmux's
clipboard enabled (``set-clipboard on``: an OSC 52 from the app would become a paste buffer), the
index and the invoice page leave the clipboard unchanged, the screen as the app drew it (the
escapes shown as text) and the cursor where the app put it — where it is for harmless names."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from invoice_tui.domain.workspace import open_workspace
from tests.hostilekit import hostile_invoice

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
BINARY = Path(sys.executable).with_name("invoice-tui")


def _workspace(path: Path, hostile: bool, clock) -> str:
    url = f"sqlite:///{path}"
    ws = open_workspace(url, notice=lambda m: None)
    ctx = ws.context("alice", source="test", now=clock)
    hostile_invoice(ctx, poisoned=hostile)
    ws.db.close()
    return url


class Tmux:
    """A private tmux server (its own socket and configuration) running one command."""

    def __init__(self, tmp: Path) -> None:
        self.socket = f"invoice-tui-test-{uuid.uuid4().hex[:8]}"
        self.conf = tmp / "tmux.conf"
        # the server's environment, without the size pytest's terminal may have left (Textual
        # would take COLUMNS/LINES over the pane's size)
        self.env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
        self.conf.write_text("set -g set-clipboard on\nset -g allow-passthrough off\nset -g status off\n")

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, "-f", str(self.conf), *args], check=True,
                              capture_output=True, text=True, timeout=30, env=self.env).stdout

    def start(self, command: list[str], env: dict[str, str]) -> None:
        extra = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
        self("new-session", "-d", "-s", "app", "-x", "160", "-y", "50", *extra, " ".join(command))

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "app")

    def wait_for(self, *texts: str, attempts: int = 300) -> str:
        """The screen once it shows every one of ``texts`` and has stopped changing (three equal
        captures in a row). Bounded: 300 × 0.1 s at most; nothing here is a timed assertion."""
        last, same = None, 0
        for _ in range(attempts):
            screen = self.screen()
            if all(t in screen for t in texts):
                same = same + 1 if screen == last else 0
                if same >= 2:
                    return screen
            last = screen
            time.sleep(0.1)
        raise AssertionError(f"{texts!r} never appeared and settled:\n{self.screen()}")

    def cursor(self) -> str:
        return self("display-message", "-p", "-t", "app", "#{cursor_x},#{cursor_y},#{cursor_flag}")

    def buffers(self) -> str:
        return self("list-buffers")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


def _run(tmp: Path, hostile: bool, clock) -> tuple[list[str], list[str], str]:
    url = _workspace(tmp / f"ws-{hostile}.db", hostile, clock)
    tmux = Tmux(tmp)
    env = {"INVOICE_TUI_CONFIG": str(tmp / "no-config.toml"), "INVOICE_TUI_USER": "alice",
           "INVOICE_TUI_TODAY": "2026-03-16", "TERM": "xterm-256color", "HOME": str(tmp)}
    try:
        tmux.start([str(BINARY), "--db", url], env)
        screens = [tmux.wait_for("INV-1001", "1 invoice ·", "Mine")]  # the index: its row, totals and views
        cursors = [tmux.cursor()]
        tmux("send-keys", "-t", "app", "Enter")
        screens.append(tmux.wait_for("About this invoice", "Payments (1)", "Companies (1)", "Bill to"))
        cursors.append(tmux.cursor())
        buffers = tmux.buffers()
        tmux("send-keys", "-t", "app", "C-q")
    finally:
        tmux.kill()
    return screens, cursors, buffers


def test_r55_real_terminal_keeps_clipboard_screen_and_cursor(tmp_path, clock):
    clean_screens, clean_cursors, _ = _run(tmp_path, False, clock)
    screens, cursors, buffers = _run(tmp_path, True, clock)
    assert buffers == ""  # no OSC 52 reached tmux: the clipboard is unchanged
    assert cursors == clean_cursors  # the cursor is where the app put it
    for screen, clean in zip(screens, clean_screens):
        # the frame the app drew stands: a clear screen or a cursor move would scramble its lines
        lines, clean_lines = screen.splitlines(), clean.splitlines()
        assert len(lines) == len(clean_lines)
        for anchor in ("All invoices  Overdue", "invoice-tui — INV-1001", "› INV-1001", "About this invoice", "Payments (1)", "1 invoice ·"):
            assert [anchor in line for line in lines] == [anchor in line for line in clean_lines], anchor
        assert lines[-1] == clean_lines[-1]  # the footer
    assert "\\x1b" in screens[0] and "\\x1b" in screens[1]  # the escapes are shown, as text
