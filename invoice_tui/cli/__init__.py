"""The headless CLI: ``invoice-tui [--db URL] [--user LOGIN] <command> [--json]``.

No command opens the TUI. Every command calls the same services as the TUI. Command groups live
in the modules of this package: each defines ``register(subparsers)`` and sets ``handler`` on its
parsers; they are discovered here, so adding a group touches no other file.

Exit codes: 0 ok · 1 refused by a rule or permission · 2 bad input · 3 not found · 4 the
environment failed. On a non-zero exit nothing was written and the message says why and what to do.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import pkgutil
import sys
from typing import Sequence

import peewee

from invoice_tui import __version__, i18n
# the CLI's base, imported from here by the command groups and the tests too
from invoice_tui.cli._base import ArgumentParser, Output, add_common, json_text, open_context  # noqa: F401
from invoice_tui.domain.errors import EnvironmentFailure, InvoiceTuiError
from invoice_tui.i18n import _


def build_parser(*, commands: bool = True) -> ArgumentParser:
    """The whole CLI; ``commands=False``: the global options only (``invoice-tui [--db URL]
    [--user LOGIN]`` opens the TUI without importing every command's module first)."""
    parser = ArgumentParser(prog="invoice-tui", description=_("Invoice management for the terminal."),
                            add_help=commands)
    parser.add_argument("--version", action="version", version=f"invoice-tui {__version__}",
                        help=_("show program's version number and exit"))
    parser.add_argument("--db", metavar="URL", help=_("workspace database URL (sqlite:///path or postgresql://…)"))
    parser.add_argument("--user", metavar="LOGIN", help=_("act as this workspace user"))
    parser.add_argument("--config", metavar=_("PATH"), help=_("configuration file (default: platformdirs config dir)"))
    add_common(parser)
    if not commands:
        return parser
    sub = parser.add_subparsers(dest="command", metavar=_("<command>"), parser_class=ArgumentParser)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def _parser(commands: bool = True) -> ArgumentParser:
    """The parser in the language in use, built once per process and language: building it takes
    ~50 ms (every command group imports its services), which dominated in-process runs of many
    commands."""
    return _built_parser(commands, i18n.language())


@functools.lru_cache(maxsize=4)
def _built_parser(commands: bool, language: str) -> ArgumentParser:
    return build_parser(commands=commands)


def early_language(argv: Sequence[str], env=None) -> str:
    """The language of ``--help`` and of bad usage, before a workspace is open: the configuration's
    ``locale`` (``--config PATH`` or the default file), then ``LC_ALL``, ``LANG`` (issue 25). Once
    the workspace is open, the user's preference and the workspace's locale count too
    (``open_context``)."""
    import os
    from pathlib import Path

    from invoice_tui.config import load_config
    from invoice_tui.domain.localize import resolve_locale

    env = os.environ if env is None else env
    path = None
    for i, arg in enumerate(argv):
        if not isinstance(arg, str):
            continue
        if arg == "--config" and i + 1 < len(argv):
            path = str(argv[i + 1])
        elif arg.startswith("--config="):
            path = arg.partition("=")[2]
    try:
        configured = load_config(Path(path) if path else None, env).locale
    except (InvoiceTuiError, OSError):
        configured = None  # the command reports a bad configuration itself
    return i18n.use_language(resolve_locale(None, configured, env, None))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    wants_json = "--json" in argv
    out = Output(wants_json)
    try:
        early_language(argv)
        args, rest = _parser(False).parse_known_args(argv)
        if not rest:  # no command: the TUI, whose first paint needs none of the commands' modules
            return run_tui(args)
        parser = _parser()
        args = parser.parse_args(argv)
        out = Output(args.json or wants_json)
        if not args.command:
            return run_tui(args)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.parse_args([args.command, "--help"])
            return 2
        return int(handler(args, out) or 0)
    except InvoiceTuiError as exc:
        from invoice_tui.cli._common import error_text

        out.note(error_text(exc))
        return exc.exit_code
    except peewee.OperationalError as exc:
        from invoice_tui.db import first_line

        out.note(_("invoice-tui: the database failed: {error}. Check that it is reachable and has room "
                   "(a full disk), and try again.").format(error=first_line(exc)))
        return EnvironmentFailure.exit_code
    except peewee.DatabaseError as exc:
        refusal = database_refusal(exc)
        if refusal is None:
            raise
        out.note(f"invoice-tui: {refusal}")
        return 1
    except KeyboardInterrupt:
        out.note(_("invoice-tui: interrupted; nothing more was written."))
        return 130
    except BrokenPipeError:  # the reader went away (``… --json | head``): not a failure of ours
        try:
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 0


def database_refusal(exc: Exception) -> str | None:
    """The sentence of a write the database refused in team mode (R53: a right or a rule held by
    PostgreSQL, SQLSTATE 42501 or 23514), or None for any other failure. Nothing was written."""
    original = next((e for e in (exc.__cause__, exc.__context__, *exc.args) if hasattr(e, "pgcode")), None)
    if getattr(original, "pgcode", None) not in ("42501", "23514"):
        return None
    first = str(original).strip().splitlines()[0] if str(original).strip() else _("refused")
    return _("the database refused this: {reason}. Nothing was written.").format(
        reason=first.removeprefix("ERROR:").strip())


def run_tui(args: argparse.Namespace) -> int:
    from invoice_tui.startup import pause_gc

    pause_gc()  # until the index's first rows are on screen (invoice_tui/startup.py)
    from invoice_tui.app import make_app

    ws, ctx, cfg = open_context(args, source="tui")
    app = make_app(workspace=ws, context=ctx, config=cfg)
    app.run()
    return app.return_code or 0
