"""The Textual app: stylesheets, screens, command palette, keymap — built by ``make_app``."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Callable

from textual.app import App
from textual.binding import Binding

from invoice_tui.config import Config, load_config
from invoice_tui.domain.context import Context
from invoice_tui.domain.workspace import Workspace, open_workspace, resolve_login


def styles_dir() -> Path:
    """The app's .tcss files: packaged as ``invoice_tui.styles`` in the wheel, ``styles/`` in a checkout."""
    try:
        packaged = Path(str(resources.files("invoice_tui.styles")))
        if (packaged / "app.tcss").is_file():
            return packaged
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "styles"


def stylesheets() -> list[Path]:
    folder = styles_dir()
    app = folder / "app.tcss"
    return [app] + sorted(p for p in folder.glob("*.tcss") if p != app)


class InvoiceApp(App[None]):
    """invoice-tui: the invoice index first; every action calls the domain services."""

    TITLE = "invoice-tui"
    CSS_PATH = stylesheets()
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
    ]

    def __init__(self, workspace: Workspace, context: Context, config: Config | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.ctx = context
        self.config_ = config or Config()
        if self.config_.theme:
            self.theme = self.config_.theme if self.config_.theme in self.available_themes else "textual-dark"
        if self.config_.keymap:
            self.set_keymap(self.config_.keymap)

    def on_mount(self) -> None:
        from invoice_tui.screens.index import IndexScreen

        self.push_screen(IndexScreen())

    def action_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()


def make_app(db_url: str | None = None, user: str | None = None, config: Config | None = None, *,
             workspace: Workspace | None = None, context: Context | None = None,
             now: Callable[[], dt.datetime] | None = None) -> InvoiceApp:
    """The app factory used by the CLI and by every Pilot/snapshot test."""
    config = config or load_config()
    if workspace is None:
        workspace = open_workspace(db_url or config.db)
    if context is None:
        login = resolve_login(user or config.user)
        context = workspace.context(login, source="tui", **({"now": now} if now else {}))
    return InvoiceApp(workspace, context, config)
