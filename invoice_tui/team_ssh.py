"""Teammates over SSH, the gitolite way (R53): one Unix service account runs the app; each
teammate's public key sits in its ``authorized_keys`` as

    restrict,pty,command="/path/to/invoice-tui [--config FILE] ssh-session LOGIN" ssh-ed25519 AAAA… invoice-tui:LOGIN

so a key opens nothing but the app, as LOGIN. ``restrict`` turns off port, agent and X11
forwarding and ``~/.ssh/rc``; ``pty`` gives the TUI its terminal back. This module manages those
lines; ``invoice_tui.cli.ssh_session`` is the forced command.
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from invoice_tui.domain.errors import BadInput, NotFound, RuleRefused
from invoice_tui.i18n import _

KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
             "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")
_KEY = re.compile(r"(?:^|\s)(" + "|".join(re.escape(t) for t in KEY_TYPES) + r")\s+([A-Za-z0-9+/]+={0,3})(?=\s|$)")
_OURS = re.compile(r'command="[^"]*\bssh-session ([A-Za-z0-9._@+-]{1,128})"')
LOGIN = re.compile(r"[A-Za-z0-9._@+-]{1,128}")
SESSION_ENV = "INVOICE_TUI_SSH_SESSION"  # set by ssh-session for its own process: no file on the server


def refuse_files(what: str) -> None:
    """Over SSH a teammate writes no file on the server (R53): exports and PDF downloads refuse.
    ``what`` ("an export") is English marked with ``N_()`` by the caller, translated here."""
    if os.environ.get(SESSION_ENV):
        from invoice_tui.domain.errors import PermissionDenied

        raise PermissionDenied(_("Over SSH, {what} would write a file on the server, which a teammate's session "
                                 "never does; use: ssh "
                                 "… invoices pdf INVOICE > file.pdf, or invoices list --json.").format(what=_(what)))


@dataclass(frozen=True)
class Entry:
    login: str
    key_type: str
    blob: str
    line: str

    @property
    def fingerprint(self) -> str:
        import hashlib

        digest = hashlib.sha256(base64.b64decode(self.blob)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def default_path() -> Path:
    return Path(os.environ.get("INVOICE_TUI_AUTHORIZED_KEYS") or Path.home() / ".ssh" / "authorized_keys")


def check_login(login: str) -> str:
    if not LOGIN.fullmatch(login or ""):
        raise BadInput(_("'{login}' is not a valid login; use letters, digits and . _ @ + -.").format(login=login),
                             field="login")
    return login


def parse_key(text: str, source: str) -> tuple[str, str]:
    """The (type, base64 blob) of one OpenSSH public key; options or other text are refused."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if len(lines) != 1:
        raise BadInput(_("{source} must hold exactly one public key line (e.g. id_ed25519.pub).").format(source=source),
                             field="keyfile")
    parts = lines[0].split()
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise BadInput(_("{source} is not an OpenSSH public key: a line starts with a key type such as ssh-ed25519 "
                         "(options before the type are refused).").format(source=source), field="keyfile")
    try:
        raw = base64.b64decode(parts[1], validate=True)
    except ValueError:
        raise BadInput(_("{source}: the key is not valid base64.").format(source=source), field="keyfile") from None
    if not raw[4:4 + len(parts[0])] == parts[0].encode():
        raise BadInput(_("{source}: the key's content does not match its type {name}.").format(source=source,
                             name=parts[0]), field="keyfile")
    return parts[0], parts[1]


def read_entries(path: Path) -> tuple[list[str], list[Entry]]:
    """Every line of the file, and the entries among them that invoice-tui manages."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return [], []
    entries = []
    for line in lines:
        ours, key = _OURS.search(line), _KEY.search(line)
        if ours and key:
            entries.append(Entry(ours.group(1), key.group(1), key.group(2), line))
    return lines, entries


def command_line(login: str, service_args: list[str]) -> str:
    """The forced command: this installation's ``invoice-tui`` by absolute path (sshd runs it with
    a minimal PATH), the service's own --config/--db, then ``ssh-session LOGIN``."""
    beside = Path(sys.executable).with_name("invoice-tui")  # this installation's (a virtualenv's) script
    exe = str(beside) if beside.exists() else shutil.which("invoice-tui")
    words = [exe, *service_args, "ssh-session", login] if exe else \
        [sys.executable, "-m", "invoice_tui", *service_args, "ssh-session", login]
    text = " ".join(shlex.quote(w) for w in words)
    if '"' in text or "\\" in text:
        raise BadInput(_("The path of invoice-tui or the service's options contain a quote or a backslash; they "
                         "cannot go into authorized_keys."), field="command")
    return text


def add_key(path: Path, login: str, key_text: str, source: str, service_args: list[str]) -> Entry:
    check_login(login)
    key_type, blob = parse_key(key_text, source)
    lines, entries = read_entries(path)
    for line in lines:
        found = _KEY.search(line)
        if found and found.group(2) == blob:
            owner = _OURS.search(line)
            if owner:
                sentence = _("This key is already in {path} for {who}; a key opens one account only. Remove it "
                             "first with: invoice-tui team remove-key {login}")
            else:
                sentence = _("This key is already in {path} (not an invoice-tui entry); a key opens one account "
                             "only. Remove it first with: invoice-tui team remove-key {login}")
            raise RuleRefused(sentence.format(path=path, who=owner.group(1) if owner else "",
                                              login=owner.group(1) if owner else login))
    line = f'restrict,pty,command="{command_line(login, service_args)}" {key_type} {blob} invoice-tui:{login}'
    _write(path, [*lines, line])
    return Entry(login, key_type, blob, line)


def remove_key(path: Path, login: str) -> list[Entry]:
    check_login(login)
    lines, entries = read_entries(path)
    gone = [e for e in entries if e.login == login]
    if not gone:
        raise NotFound(_("No key of {login} in {path}; see them with: invoice-tui team keys").format(login=login,
                             path=path))
    drop = {e.line for e in gone}
    _write(path, [ln for ln in lines if ln not in drop])
    return gone


def _write(path: Path, lines: list[str]) -> None:
    """Replace the file in one rename (sshd never reads half a file), owner-only permissions."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".authorized_keys.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("".join(ln + "\n" for ln in lines))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
