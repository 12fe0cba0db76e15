"""``invoice-tui ssh-session LOGIN`` — the forced command of a teammate's SSH key (R53).

The service account connects to PostgreSQL with its own role, which may only ``SET ROLE`` to
teammates' roles; every connection of the session starts as LOGIN (``-c role=LOGIN`` in the
connection's options, so the server sets the role before the first statement — and again on any
reconnection). The database then holds LOGIN to LOGIN's rights, exactly as if LOGIN had connected.

Without ``SSH_ORIGINAL_COMMAND`` the TUI opens as LOGIN. A command the teammate gave to ``ssh``
runs only if, once parsed, it is in ``ALLOWED`` and names no path or other identity: ``--db``,
``--config``, ``--user``, ``--out`` (and any option that names a file) are refused, as is
``INVOICE_TUI_USER``. Output goes to stdout only; ``invoices pdf`` writes the PDF's bytes there.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

from invoice_tui.cli._common import command
from invoice_tui.domain.errors import BadInput, EnvironmentFailure, PermissionDenied
from invoice_tui.i18n import _

# (command, action) pairs a teammate may run over SSH: reading, and the PDF to stdout.
ALLOWED = {
    ("invoices", "list"), ("invoices", "show"), ("invoices", "pdf"), ("payments", "list"),
    ("contacts", "list"), ("companies", "list"), ("history", None), ("users", "list"), ("settings", "show"),
    ("export-log", None), ("audit", "verify"),
}
# Parsed options that name a file or another identity: never from a teammate.
FORBIDDEN = ("db", "user", "config", "out", "to", "path", "keyfile", "authorized_keys")


def allowed_list() -> str:
    return ", ".join(" ".join(w for w in pair if w) for pair in sorted(ALLOWED, key=lambda p: (p[0], p[1] or "")))


def plan(words: list[str]) -> argparse.Namespace:
    """Parse a teammate's command and check it against the allow-list; raise with a sentence."""
    from invoice_tui.cli import _parser

    if words and os.path.basename(words[0]) == "invoice-tui":
        words = words[1:]
    if words and words[0] not in {name for name, _action in ALLOWED} and not words[0].startswith("-"):
        _refuse(words[0])  # not a command of ours at all (a shell, another program): say what is
    ns = _parser().parse_args(words)  # bad usage: BadInput (exit 2)
    named = [f"--{dest.replace('_', '-')}" for dest in FORBIDDEN if getattr(ns, dest, None) not in (None, False)]
    if named:
        raise PermissionDenied(_("Over SSH, {options} is refused: you act as yourself on the service's workspace, "
                                 "and output goes to your terminal only.").format(options=", ".join(named)))
    pair = (ns.command, getattr(ns, "action", None))
    if pair not in ALLOWED:
        _refuse(" ".join(w for w in pair if w) or _("(no command)"))
    return ns


def _refuse(asked: str) -> None:
    from invoice_tui.domain.text import safe

    raise PermissionDenied(_("'{command}' is not available over SSH; run ssh without a command for the app, or one "
                             "of: {allowed}.").format(command=safe(asked), allowed=allowed_list()))


def session_url(url: str, login: str) -> str:
    """The service's URL, every connection of which starts as ``login`` (SET ROLE at startup)."""
    p = urlparse(url)
    query = [(k, v) for k, v in parse_qsl(p.query) if k != "options"]
    query.append(("options", f"-c role={login}"))
    return urlunparse(p._replace(query=urlencode(query)))


def _ssh_session(args, out) -> int:
    from pathlib import Path

    from invoice_tui.config import load_config
    from invoice_tui.team_ssh import check_login

    login = check_login(args.login)
    if os.environ.get("INVOICE_TUI_USER"):
        raise PermissionDenied(_("Over SSH, INVOICE_TUI_USER is refused: the key decides who you are."))
    if args.user:
        raise PermissionDenied(_("ssh-session takes no --user: the key's LOGIN decides who acts."))
    cfg = load_config(Path(args.config) if args.config else None)
    if cfg.user:
        raise PermissionDenied(_("The service's configuration names a user; remove it: over SSH the key decides "
                                 "who acts."))
    service_url = args.db or cfg.db
    if urlparse(service_url).scheme not in ("postgresql", "postgres"):
        raise BadInput(_("ssh-session serves a PostgreSQL workspace (team mode); set the service's db to "
                         "postgresql://SERVICE_ROLE@host/dbname."), field="db")
    try:
        words = shlex.split(os.environ.get("SSH_ORIGINAL_COMMAND", ""))
    except ValueError as exc:
        raise BadInput(_("The command could not be read: {error}.").format(error=exc)) from None
    url = session_url(service_url, login)
    from invoice_tui.team_ssh import SESSION_ENV

    os.environ[SESSION_ENV] = login  # this process's exports and PDF saves refuse (no file on the server)
    if not words:
        from invoice_tui.cli import run_tui

        try:
            return run_tui(argparse.Namespace(db=url, user=None, config=args.config))
        except EnvironmentFailure as exc:
            raise _role_refused(exc, service_url, login) from None
    ns = plan(words)
    ns.db, ns.user, ns.config = url, None, args.config
    from invoice_tui.cli import Output

    try:
        if (ns.command, getattr(ns, "action", None)) == ("invoices", "pdf"):
            return _pdf_to_stdout(ns)
        return int(ns.handler(ns, Output(getattr(ns, "json", False))) or 0)
    except EnvironmentFailure as exc:
        raise _role_refused(exc, service_url, login) from None


def _role_refused(exc: EnvironmentFailure, service_url: str, login: str) -> Exception:
    """The server refused SET ROLE: say which GRANT the owner must run."""
    if "to set role" not in exc.message:
        return exc
    service = urlparse(service_url).username or "<service role>"
    return PermissionDenied(_("The SSH service's role may not act as {login}; the workspace's owner must run in "
                              "psql: {grant}").format(login=login, grant=f'GRANT "{login}" TO "{service}"'))


def _pdf_to_stdout(ns) -> int:
    from invoice_tui.cli._common import session
    from invoice_tui.domain.einvoice import document_pdf
    from invoice_tui.domain.invoices import get_invoice
    from invoice_tui.domain.permissions import require

    with session(ns) as (_ws, ctx):
        require(ctx, "view")
        data = document_pdf(get_invoice(ns.invoice))
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0


def register(subparsers) -> None:
    p = command(subparsers, "ssh-session", _("the forced command of a teammate's SSH key (see team add-key)"),
                _ssh_session)
    p.add_argument("login", metavar=_("LOGIN"))
