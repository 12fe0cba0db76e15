"""Sending (R10, R30–R33): composing emails, transports, the outbox, reminders and receipts.

No textual here. Importing this package registers the receipt sender of R10 with
``invoice_tui.domain.payments`` (``record_payment(send_receipt=True)`` then queues a receipt in
the outbox, delivered right after the payment's transaction commits). The heavy PDF library is
imported only when an attachment is made.
"""

from __future__ import annotations

import sys

from invoice_tui.config import Config, load_config

_CONFIG: Config | None = None


def configure(config: Config | None) -> None:
    """The local configuration (mail transport URL and password) used for background deliveries
    (receipts queued by ``record_payment``). The CLI and the TUI call it with their config."""
    global _CONFIG
    _CONFIG = config


def current_config() -> Config:
    global _CONFIG
    if _CONFIG is None:
        _CONFIG = load_config()
    return _CONFIG


def _receipt_sender(ctx, payment) -> None:
    from invoice_tui.mail.receipts import queue_receipt_after_commit

    queue_receipt_after_commit(ctx, payment)


def register_receipt_sender() -> None:
    from invoice_tui.domain import payments

    payments.RECEIPT_SENDER = _receipt_sender


# Registered now if the payment services are loaded, else by them when they first need it: the
# TUI configures this package at start-up without loading the services before its first paint.
if "invoice_tui.domain.payments" in sys.modules:
    register_receipt_sender()
