"""The CLI's base, below its command groups: the parser class, the output (text or JSON, errors on
stderr), the workspace and acting user a command runs in, and the pinned "today"."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from typing import TYPE_CHECKING, Any, Callable
from zoneinfo import ZoneInfo

from invoice_tui import i18n
from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import N_, _

# argparse's own words ("usage:", "options:", "show this help message and exit", its error
# sentences) come from our catalog: argparse looks ``_`` and ``ngettext`` up in its module at each
# call, so they follow the language in use (issue 25). The msgids are argparse's, marked here.
argparse._ = i18n.gettext
argparse.ngettext = i18n.ngettext
ARGPARSE_WORDS = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("show program's version number and exit"), N_("argument %(argument_name)s: %(message)s"),
    N_("unrecognized arguments: %s"), N_("not allowed with argument %s"), N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"), N_("one of the arguments %s is required"),
    N_("expected one argument"), N_("expected at most one argument"), N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"), N_("unexpected option string: %s"),
    N_("invalid %(type)s value: %(value)r"), N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"), N_("can't open '%(filename)s': %(error)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
)

if TYPE_CHECKING:  # the context's module loads the models: not before a command needs them
    from invoice_tui.domain.context import Context


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports bad usage as exit code 2 with one sentence (no traceback), and reads a
    word starting with ``-`` that no option could spell as a value (``settings set reminder_offsets
    -3,0,7``, ``--amount -5``, ``--line "-Refund;1;20"``, ``--discount -5%``): our options are
    letters and hyphens only. A value that does look like an option is written ``--title=-Urgent``."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # Errors are printed after "invoice-tui: "; name the subcommand only, not the program twice.
        where = self.prog.partition(" ")[2]
        text = _("{where}: {message} (see {prog} --help)") if where else _("{message} (see {prog} --help)")
        raise BadInput(text.format(where=where, message=message, prog=self.prog))

    def _parse_optional(self, arg_string):  # type: ignore[override]
        if (isinstance(arg_string, str) and arg_string.startswith("-") and arg_string != "-"
                and not _OPTION_LIKE.match(arg_string)):
            return None
        return super()._parse_optional(arg_string)


_OPTION_LIKE = re.compile(r"--?[A-Za-z][A-Za-z0-9-]*(=.*)?\Z", re.S)


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=_("print JSON instead of text"))


def _today(text: str | None) -> dt.date | None:
    if text is None:
        return None
    from invoice_tui.domain.bounds import DATE_MAX, DATE_MIN

    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            day = dt.date.fromisoformat(text.strip())
            if DATE_MIN <= day <= DATE_MAX:  # R56
                return day
    except ValueError:
        pass
    raise BadInput(_("--today takes a date written YYYY-MM-DD, such as 2026-03-31, from {min} to {max}, not "
                     "'{text}'.").format(min=DATE_MIN, max=DATE_MAX, text=text), field="today")


def pin_today(ctx: Context, today: dt.date) -> None:
    """Make ``ctx``'s clock stand still at noon of ``today`` in the workspace's time zone (so
    ``ctx.today()`` is ``today`` in every zone), as naive UTC like the real clock."""
    from invoice_tui.domain.context import fixed_clock

    local_noon = dt.datetime.combine(today, dt.time(12), tzinfo=ZoneInfo(ctx.timezone or "UTC"))
    ctx.now = fixed_clock(local_noon.astimezone(dt.timezone.utc).replace(tzinfo=None))


def _safe(text: str) -> str:
    from invoice_tui.domain.text import safe

    return safe(str(text))


def json_text(data: Any, **kwargs) -> str:
    """JSON for a terminal: ``json`` escapes C0 controls itself; DEL, the C1 controls (``\\x9b`` is
    CSI on some terminals) and the bidi controls are escaped too (``text.json_escape``), so stored
    text never drives the terminal and reads back whole."""
    from invoice_tui.domain.text import json_escape

    return json_escape(json.dumps(data, ensure_ascii=False, default=str, **kwargs))


class Output:
    """Prints results as text or JSON (``--json``), errors on stderr."""

    def __init__(self, as_json: bool, out=None, err=None) -> None:
        self.as_json = as_json
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def result(self, data: Any, text: str | Callable[[], str] | None = None) -> None:
        if self.as_json:
            print(json_text(data, indent=2), file=self.out)
        elif text is not None:
            # Stored text and echoed input are untrusted: control characters and terminal escape
            # sequences are shown as \x1b…, never sent raw to the terminal (issue 8).
            print(_safe(text() if callable(text) else text), file=self.out)

    def note(self, message: str) -> None:
        print(_safe(message), file=self.err)


READER_LOCALE: list[str] = []  # issue 24: this run's reader's locale, set when the workspace opens


def open_context(args: argparse.Namespace, source: str = "cli"):
    """Open the workspace named by --db / INVOICE_TUI_DB / the config, and the acting user, with
    this run's configuration, mail transport and receipt sender wired in (``invoice_tui.wiring``);
    ``INVOICE_TUI_TODAY=YYYY-MM-DD`` pins the clock to that day."""
    import os
    from pathlib import Path

    from invoice_tui.config import load_config
    from invoice_tui.domain.workspace import acting_login, open_workspace
    from invoice_tui.wiring import services

    if getattr(args, "config", None) and not Path(args.config).is_file():  # what the user typed: exit 2
        raise BadInput(_("The configuration file {path} does not exist; check --config (or leave it out to use the "
                         "default one).").format(path=args.config), field="config", code="config.missing")
    cfg = load_config(Path(args.config) if getattr(args, "config", None) else None)
    url = args.db or cfg.db
    ws = open_workspace(url, notice=lambda m: print(m, file=sys.stderr))
    login = acting_login(ws, args.user or cfg.user)  # team mode: the database role (issue 8)
    ctx = ws.context(login, source=source, services=services(cfg))
    from invoice_tui.domain.localize import display_locale

    READER_LOCALE[:] = [display_locale(ctx)]  # issue 24: the human output's locale for this run
    i18n.use_language(READER_LOCALE[0])  # issue 25: and its language, the user's preference included
    pinned = os.environ.get("INVOICE_TUI_TODAY")
    if pinned:  # reproducible output (scripts, tests): "today" is this date, as with demo --today
        try:
            pin_today(ctx, _today(pinned))
        except BadInput:
            raise BadInput(_("INVOICE_TUI_TODAY takes a date written YYYY-MM-DD, not '{text}'.").format(
                text=pinned)) from None
    return ws, ctx, cfg
