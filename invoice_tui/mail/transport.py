"""Mail transports, from the local configuration's ``mail_url`` (or ``INVOICE_TUI_MAIL_URL``):

- ``smtp://[user@]host[:port][?starttls=1]`` — plain SMTP (port 25 by default; 587 with STARTTLS),
- ``smtps://[user@]host[:port]`` — SMTP over TLS (port 465 by default),
- ``sendmail:`` or ``sendmail:/usr/sbin/sendmail`` — the local sendmail binary (``-i -f FROM -- RCPT…``),
- ``maildir:/path`` — deliver into a Maildir folder (to try invoice-tui out without a server).

The password comes from ``INVOICE_TUI_MAIL_PASSWORD`` or ``mail_password`` in the configuration
file. It is never logged, printed or stored: ``describe()`` and every error message use the URL
without it.

Each ``send`` raises :class:`TransportError` with ``kind``:
``temporary`` (nothing was delivered: server unreachable, 4xx — retry later),
``permanent`` (the server refused this message: 5xx — the email ends ``rejected``, never
retried, R58), ``setup`` (the login or the configuration is wrong — a person fixes it, then retries),
``ambiguous`` (the connection broke after the message was handed over — it may have been
delivered; never retried automatically).
"""

from __future__ import annotations

import mailbox
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlparse

from invoice_tui.domain.errors import BadInput, EnvironmentFailure
from invoice_tui.i18n import N_, _

DEFAULT_TIMEOUT = 10.0


class TransportError(Exception):
    """A delivery that failed. ``message`` is the English sentence the outbox stores (its
    ``last_error``, a value in the database); ``text`` says it in the reader's language (issue 25).
    With ``params``, ``message`` is a template marked ``N_()`` whose ``{names}`` they fill; a
    ``reason`` among them is translated too when the catalog knows it ("timed out")."""

    def __init__(self, message: str, kind: str = "temporary", **params) -> None:
        english = message.format(**params) if params else message
        super().__init__(english)
        self.message = english
        shown = {k: (_(v) if k == "reason" and isinstance(v, str) else v) for k, v in params.items()}
        self.text = _(message).format(**shown) if params else _(message)
        # temporary (4xx, connection lost before the message was handed over: retried with backoff),
        # permanent (5xx: the server refused THIS email; it ends ``rejected``, R58), setup (the
        # login or the configuration is wrong: not retried until a person has fixed it and retries),
        # ambiguous (the connection broke after the message was handed over)
        self.kind = kind


@dataclass
class Transport:
    url: str  # without password
    timeout: float = DEFAULT_TIMEOUT

    def describe(self) -> str:
        return self.url

    def send(self, from_addr: str, recipients: list[str], raw: bytes) -> str:  # pragma: no cover
        raise NotImplementedError


@dataclass
class SmtpTransport(Transport):
    host: str = "localhost"
    port: int = 25
    tls: bool = False  # smtps
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def send(self, from_addr: str, recipients: list[str], raw: bytes) -> str:
        where = f"{self.host}:{self.port}"
        try:
            if self.tls:
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(N_("cannot reach the mail server {where}: {reason}"), "temporary", where=where,
                                     reason=_reason(exc)) from None
        handed_over = False
        refused: dict = {}
        try:
            try:
                client.ehlo_or_helo_if_needed()
                if self.starttls:
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if self.username:
                    if self.password is None:
                        raise TransportError(N_("the mail server needs a password; set INVOICE_TUI_MAIL_PASSWORD "
                                                "or mail_password in the configuration file"), "setup")
                    client.login(self.username, self.password)
                code, resp = client.mail(from_addr)
                if code != 250:
                    raise TransportError(N_("the server refused the sender {sender}: {reply}"), _kind(code),
                                         sender=from_addr, reply=f"{code} {_text(resp)}")
                refused = {}
                for rcpt in recipients:
                    code, resp = client.rcpt(rcpt)
                    if code not in (250, 251):
                        refused[rcpt] = (code, resp)
                if len(refused) == len(recipients):
                    worst = max(c for c, _ in refused.values())
                    raise TransportError(N_("the server refused every recipient: {refusals}"), _kind(worst),
                                         refusals=_refused_text(refused))
                # From here the server may have the message: a broken connection is ambiguous.
                handed_over = True
                code, resp = client.data(raw)
                if code != 250:
                    raise TransportError(N_("the server refused the message: {reply}"), _kind(code),
                                         reply=f"{code} {_text(resp)}")
                reply = f"{code} {_text(resp)}".strip()
            except TransportError:
                raise
            except smtplib.SMTPDataError as exc:
                raise TransportError(N_("the server refused the message: {reply}"), _kind(exc.smtp_code),
                                     reply=f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
            except smtplib.SMTPAuthenticationError as exc:
                raise TransportError(N_("the mail server refused the login of {user}: {reply}"), "setup",
                                     user=self.username, reply=f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
            except smtplib.SMTPNotSupportedError as exc:
                raise TransportError(N_("the mail server does not support this: {reason}"), "setup",
                                     reason=str(exc)) from None
            except (smtplib.SMTPServerDisconnected, OSError, smtplib.SMTPException) as exc:
                kind = "ambiguous" if handed_over else "temporary"
                raise TransportError(N_("the connection to {where} failed: {reason}"), kind, where=where,
                                     reason=_reason(exc)) from None
        finally:
            try:
                client.quit()
            except Exception:  # noqa: BLE001 - closing is best effort
                client.close()
        answer = f"{where}: {reply}"
        if refused:
            answer += "; refused: " + ", ".join(refused)
        return answer


@dataclass
class SendmailTransport(Transport):
    binary: str = ""

    def send(self, from_addr: str, recipients: list[str], raw: bytes) -> str:
        binary = self.binary or shutil.which("sendmail") or "/usr/sbin/sendmail"
        if not os.path.exists(binary):
            raise TransportError(N_("no sendmail binary at {binary}; install one or use an smtp:// mail_url"),
                                 "temporary", binary=binary)
        try:
            proc = subprocess.run([binary, "-i", "-f", from_addr, "--", *recipients], input=raw,
                                  capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            raise TransportError(N_("{binary} did not finish within 60 s"), "ambiguous", binary=binary) from None
        except OSError as exc:
            raise TransportError(N_("cannot run {binary}: {reason}"), "temporary", binary=binary,
                                 reason=_reason(exc)) from None
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip()[:300]
            # sysexits: 75 = EX_TEMPFAIL
            kind = "temporary" if proc.returncode == 75 else "permanent"
            raise TransportError(N_("{binary} exited with {code}: {error}"), kind, binary=binary, code=proc.returncode,
                                 error=err)
        return f"accepted by {binary}"


@dataclass
class MaildirTransport(Transport):
    path: str = ""

    def send(self, from_addr: str, recipients: list[str], raw: bytes) -> str:
        try:
            box = mailbox.Maildir(self.path, create=True)
            key = box.add(raw)
        except OSError as exc:
            raise TransportError(N_("cannot write to the Maildir {path}: {reason}"), "temporary", path=self.path,
                                 reason=_reason(exc)) from None
        return f"stored in {self.path} as {key}"


def transport_from_url(url: str | None, password: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> Transport:
    """Build the transport of ``url`` (see the module docstring)."""
    if not url:
        raise EnvironmentFailure(_(
            "No mail transport is configured; set mail_url in the configuration file or INVOICE_TUI_MAIL_URL, "
            "e.g. smtp://me@smtp.example.com:587?starttls=1, sendmail: or maildir:/path/to/Maildir."))
    if any(ord(ch) < 32 for ch in url):
        raise BadInput(_("mail_url contains control characters."))
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme in ("smtp", "smtps"):
        if not parsed.hostname:
            raise BadInput(_("mail_url {url} has no host; use smtp://[user@]host:port.").format(url=redact_url(url)))
        try:
            port = parsed.port or (465 if scheme == "smtps" else 25)
        except ValueError:
            raise BadInput(_("mail_url {url} has an invalid port.").format(url=redact_url(url))) from None
        query = parse_qs(parsed.query)
        starttls = (query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes", "on"))
        user = unquote(parsed.username) if parsed.username else None
        pw = password if password else (unquote(parsed.password) if parsed.password else None)
        return SmtpTransport(url=redact_url(url), timeout=timeout, host=parsed.hostname, port=port,
                             tls=scheme == "smtps", starttls=starttls, username=user, password=pw)
    if scheme == "sendmail":
        path = url[len("sendmail:"):].lstrip()
        if path.startswith("//"):
            path = path[2:]
        return SendmailTransport(url=url, timeout=timeout, binary=path)
    if scheme == "maildir":
        path = url[len("maildir:"):]
        if path.startswith("//"):
            path = path[2:]
        if not path:
            raise BadInput(_("mail_url maildir: needs a folder, e.g. maildir:/home/me/Maildir."))
        return MaildirTransport(url=url, timeout=timeout, path=os.path.expanduser(path))
    raise BadInput(_("Unsupported mail_url '{url}'; use smtp://, smtps://, sendmail: or maildir:.").format(
        url=redact_url(url)))


def transport_from_config(config) -> Transport:
    return transport_from_url(config.mail_url, config.mail_password)


def transport_for(ctx) -> Transport:
    """The mail transport wired into ``ctx.services`` (by the CLI or ``make_app``); when none is
    configured, the sentence saying how to configure one (``EnvironmentFailure``)."""
    factory = ctx.services.mail_transport
    return factory() if factory is not None else transport_from_url(None)


def redact_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return N_("timed out")
    if isinstance(exc, ConnectionRefusedError):
        return N_("connection refused")
    text = str(exc).strip()
    return text or exc.__class__.__name__


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _kind(code: int) -> str:
    return "temporary" if 400 <= int(code or 0) < 500 else "permanent"


def _refused_text(recipients: dict) -> str:
    parts = [f"{addr} ({code} {_text(msg)})" for addr, (code, msg) in recipients.items()]
    return ", ".join(parts)
