"""The Textual app: stylesheets, screens, command palette, keymap — built by ``make_app``."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import replace
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Callable

from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.worker import Worker, WorkerState

from invoice_tui.config import Config, load_config
from invoice_tui.domain.context import Context, Services
from invoice_tui.domain.workspace import Workspace, acting_login, open_workspace
from invoice_tui.i18n import N_, _
from invoice_tui.widgets import language as tui_language
from invoice_tui.widgets.error_text import show_error
from invoice_tui.widgets.invoice_worker import in_session
from invoice_tui.widgets.live import Live


def styles_dir() -> Path:
    """The app's .tcss files: packaged as ``invoice_tui.styles`` in the wheel, ``styles/`` in a checkout."""
    try:
        # styles/ has no __init__.py: in the wheel it is a namespace package, whose files() is a
        # MultiplexedPath (its str() is a repr, not a path) — so ask for the file itself.
        app = resources.files("invoice_tui.styles").joinpath("app.tcss")
        if app.is_file():
            return Path(str(app)).parent
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "styles"


def stylesheets() -> list[Path]:
    folder = styles_dir()
    app = folder / "app.tcss"
    return [app] + sorted(p for p in folder.glob("*.tcss") if p != app)


class IndexCommands(Provider):
    """The index's commands in the ctrl+p palette ("Invoices: …") and "Go to invoice INV-…"."""

    def _index(self):
        from invoice_tui.screens.index import IndexScreen

        screen = self.screen
        return screen if isinstance(screen, IndexScreen) else None

    async def discover(self) -> Hits:
        index = self._index()
        if index is None:
            return
        for name, callback, help_text in index.palette_commands(discover=True):  # short: the rest by typing
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        index = self._index()
        if index is not None:
            for name, callback, help_text in index.palette_commands():
                score = matcher.match(name)
                if score > 0:
                    yield Hit(score, matcher.highlight(name), callback, text=name, help=help_text)
        text = re.sub(r"^(go\s*to\s*)?(invoice\s*)?", "", query.strip(), flags=re.I).strip()
        # the same words in the reader's language ("aller à la facture 1001", "facture 1001")
        words = {w.casefold() for w in _("Go to invoice {number}").replace("{number}", "").split()}
        tokens = text.split()
        while tokens and tokens[0].casefold() in words:
            tokens.pop(0)
        text = " ".join(tokens)
        if text and any(ch.isdigit() for ch in text):
            app = self.app
            for invoice_id, number, contact in await asyncio.to_thread(in_session, _find_numbers, app.ctx, text):
                label = _("Go to invoice {number}").format(number=number)
                yield Hit(1.0, label, partial(app.open_invoice, invoice_id), text=label, help=contact or "")


def _find_numbers(ctx: Context, text: str) -> list[tuple[int, str, str]]:
    from invoice_tui.domain.settings import load_settings
    from invoice_tui.domain.views import find_numbers

    if text.isdigit():
        text = load_settings().number_prefix + text
    return find_numbers(ctx, text)


def sending_commands() -> type[Provider]:
    """The palette's Outbox and Payments commands; their screens load when the palette first opens
    (Textual calls a non-Provider entry of ``COMMANDS`` to get the provider), not at start-up."""
    from invoice_tui.screens.outbox import SendingCommands

    return SendingCommands


def people_commands() -> type[Provider]:
    """The palette's Contacts and Companies commands, loaded the same way."""
    from invoice_tui.screens.contacts import PeopleCommands

    return PeopleCommands


def audit_commands() -> type[Provider]:
    """The palette's audit command, loaded the same way."""
    from invoice_tui.screens.audit import AuditCommands

    return AuditCommands


def settings_commands() -> type[Provider]:
    """The palette's Settings command, loaded the same way."""
    from invoice_tui.screens.settings import SettingsCommands

    return SettingsCommands


def import_commands() -> type[Provider]:
    """The palette's Import command (R52), loaded the same way."""
    from invoice_tui.modals.import_dialog import ImportCommands

    return ImportCommands


def reports_commands() -> type[Provider]:
    """The palette's Reports command (issue 27), loaded the same way."""
    from invoice_tui.screens.reports import ReportsCommands

    return ReportsCommands


def schedules_commands() -> type[Provider]:
    """The palette's Schedules command (R49), loaded the same way."""
    from invoice_tui.screens.schedules import SchedulesCommands

    return SchedulesCommands


class InvoiceApp(Live, App[None]):
    """invoice-tui: the invoice index first; every action calls the domain services."""

    TITLE = "invoice-tui"
    CSS_PATH = stylesheets()
    COMMANDS = App.COMMANDS | {IndexCommands, sending_commands, people_commands, audit_commands, settings_commands,
                                   import_commands, reports_commands, schedules_commands}
    BINDINGS = [
        Binding("ctrl+q", "quit", N_("Quit"), show=False, priority=True, id="app.quit"),
        Binding("question_mark", "help", N_("Help"), id="app.help"),
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
        self.changes = workspace.change_feed()  # every screen follows it (widgets/live.py)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a worker failure nobody handled becomes visible (the App's own workers,
        and those handed over by ``ServiceCalls``): a domain error as its sentence with the TUI's
        remedy, anything else as one error notification — never a traceback, the app keeps running."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            show_error(self, event.worker.error)

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = True) -> None:
        """Every notification (screens and widgets notify through the app) passes the one sanitizer
        (R55) and is plain text: a name or an echoed value is never read as markup."""
        from invoice_tui.domain.text import safe

        super().notify(safe(message), title=safe(title, line=True), severity=severity, timeout=timeout, markup=False)

    def on_mount(self) -> None:
        from invoice_tui.screens.index import IndexScreen

        self.screen_change_signal.subscribe(self, lambda _screen: tui_language.translate_bindings(self))
        tui_language.translate_bindings(self)
        self.changes.start()
        self.push_screen(IndexScreen())

    def get_key_display(self, binding: Binding) -> str:
        """Key names in the reader's language (issue 25)."""
        return tui_language.key_display(super().get_key_display(binding))

    def get_system_commands(self, screen):
        """Textual's palette commands (theme, keys, quit, …) in the reader's language."""
        for command in super().get_system_commands(screen):
            yield command._replace(title=_(command.title), help=_(command.help))

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(placeholder=_(tui_language.PALETTE_PLACEHOLDER), id="--command-palette"))

    def on_unmount(self) -> None:
        self.changes.stop()

    def changed_elsewhere(self, change) -> None:
        """A setting changed by a super admin applies here without a restart (the screens that
        show one reload it themselves); a new workspace locale that changes the reader's language
        is spoken at once (issue 25)."""
        if change.concerns("settings"):
            self.run_worker(self._follow_settings, group="app-settings", exclusive=True, exit_on_error=False)

    async def _follow_settings(self) -> None:
        locale = await asyncio.to_thread(in_session, _refreshed_locale, self.ctx)
        await tui_language.apply_language(self, locale)

    def open_invoice(self, invoice_id: int, *, finalize: bool = False) -> None:
        """Show one invoice's page (from the palette, the index, or a new draft's editor once saved);
        ``finalize``: and run Finalize there (R2/R43: it walks through a missing seller profile)."""
        from invoice_tui.screens.invoice import InvoiceScreen

        self.push_screen(InvoiceScreen(invoice_id, finalize=finalize))

    def show_index_filtered(self, filters) -> None:
        """Issue 27: back to the invoice index, filtered to ``filters`` (a report's drill-down)."""
        from invoice_tui.screens.index import IndexScreen

        index = next((s for s in reversed(self.screen_stack) if isinstance(s, IndexScreen)), None)
        if index is None:
            return
        while self.screen is not index:
            self.pop_screen()
        index.set_filters(filters)

    def action_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()


def _refreshed_locale(ctx: Context) -> str:
    """The workspace's settings read again, and the locale the reader now reads in (in a worker)."""
    from invoice_tui.domain.localize import display_locale

    Workspace.refresh_context(ctx)
    return display_locale(ctx)


def make_app(db_url: str | None = None, user: str | None = None, config: Config | None = None, *,
             workspace: Workspace | None = None, context: Context | None = None,
             now: Callable[[], dt.datetime] | None = None, services: Services | None = None) -> InvoiceApp:
    """The app factory used by the CLI and by every Pilot/snapshot test.

    Everything the app's service calls need is passed in here and travels on its ``Context``: the
    configuration, the mail transport and R10's receipt sender (``services``; by default built
    from ``config`` by ``invoice_tui.wiring``) and the clock (``now``; the context's own when a
    context is given)."""
    from invoice_tui.wiring import services as wire

    config = config or load_config()
    services = services or wire(config)
    if workspace is None:
        workspace = open_workspace(db_url or config.db)
    if context is None:
        login = acting_login(workspace, user or config.user)  # team mode: the database role (issue 8)
        context = workspace.context(login, source="tui", services=services, **({"now": now} if now else {}))
    else:
        context = replace(context, services=services, **({"now": now} if now else {}))
    from invoice_tui.domain.localize import display_locale
    from invoice_tui.i18n import use_language

    use_language(display_locale(context))  # issue 25: the reader's language, before any screen composes
    return InvoiceApp(workspace, context, config)
