"""Explicit wiring (issue 15): the CLI and ``make_app`` pass the configuration, the mail transport,
R10's receipt sender and the clock into the context; no module sets another module's global, and
the domain never imports the mail package (the mail package imports the domain)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from invoice_tui.app import make_app
from invoice_tui.config import Config
from invoice_tui.domain.context import Services, fixed_clock
from invoice_tui.mail.transport import MaildirTransport


def test_domain_payments_never_imports_the_mail_package():
    code = ("import sys, invoice_tui.domain.payments, invoice_tui.domain.invoices\n"
            "bad = sorted(m for m in sys.modules if m.startswith('invoice_tui.mail'))\n"
            "assert not bad, bad")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr


def test_make_app_passes_config_transport_receipt_sender_and_clock(sqlite_url, tmp_path):
    config = Config(db=sqlite_url, mail_url=f"maildir:{tmp_path / 'Maildir'}")
    moment = dt.datetime(2026, 3, 1, 23, 30)  # naive UTC: already 2 March in Tokyo
    app = make_app(config=config, user="alice", now=fixed_clock(moment))
    services = app.ctx.services
    assert services.config is config and services.receipt_sender is not None
    transport = services.mail_transport()
    assert isinstance(transport, MaildirTransport) and transport.path == str(tmp_path / "Maildir")
    assert app.ctx.now() == moment and app.ctx.today() == dt.date(2026, 3, 1)
    app.ctx.timezone = "Asia/Tokyo"
    assert app.ctx.today() == dt.date(2026, 3, 2)  # today in the workspace's time zone
    app.workspace.db.close()


def test_make_app_with_a_context_wires_a_copy_and_takes_explicit_services(sqlite_url):
    from invoice_tui.domain.workspace import open_workspace

    ws = open_workspace(sqlite_url, notice=lambda m: None)
    ctx = ws.context("alice", source="test")
    assert ctx.services == Services()  # the domain alone: no mail wired in
    sent = []
    mine = Services(receipt_sender=lambda c, p: sent.append(p))
    app = make_app(workspace=ws, context=ctx, config=Config(db=sqlite_url), services=mine)
    assert app.ctx.services is mine and app.ctx.login == "alice"
    assert ctx.services == Services()  # the caller's context is left as it was
    no_mail = make_app(workspace=ws, context=ctx, config=Config(db=sqlite_url))
    assert no_mail.ctx.services.mail_transport is None  # no mail_url: emails wait in the outbox
    ws.db.close()


def test_cli_context_carries_the_commands_configuration(sqlite_url, tmp_path, monkeypatch):
    import argparse

    from invoice_tui.cli import open_context

    cfg_file = tmp_path / "config.toml"
    cfg_file.write_text(f'mail_url = "maildir:{tmp_path / "M"}"\n')
    args = argparse.Namespace(db=sqlite_url, user="alice", config=str(cfg_file))
    ws, ctx, cfg = open_context(args)
    assert ctx.services.config == cfg and cfg.mail_url.startswith("maildir:")
    assert ctx.services.mail_transport().path == str(tmp_path / "M")
    ws.db.close()
