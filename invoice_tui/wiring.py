"""Start-up wiring: what the CLI's ``open_context`` and ``make_app`` pass into every service call.

``services(config)`` builds the :class:`~invoice_tui.domain.context.Services` of one run: the
configuration, the mail transport it names and R10's receipt sender. Nothing here is stored in a
module global; the domain never imports the mail package (the mail package imports the domain).
The clock travels on the ``Context`` itself (``now``, and ``today()`` in the workspace's zone).
"""

from __future__ import annotations

from functools import partial

from invoice_tui.config import Config
from invoice_tui.domain.context import Context, Services


def _transport(config: Config):
    from invoice_tui.mail.transport import transport_from_url

    return transport_from_url(config.mail_url, config.mail_password)


def _send_receipt(ctx: Context, payment) -> None:
    from invoice_tui.mail.receipts import queue_receipt_after_commit  # the mail package loads on first use

    queue_receipt_after_commit(ctx, payment)


def provider_from_config(config: Config):
    """The payment provider the configuration names (Stripe with ``stripe_api_key``), else None."""
    if not config.stripe_api_key:
        return None
    from invoice_tui.domain.stripe_provider import StripeProvider  # the SDK loads on first use

    return StripeProvider(config.stripe_api_key, webhook_secret=config.stripe_webhook_secret,
                          api_base=config.stripe_api_base)


def _settle_refused_edit(ctx: Context, error) -> None:
    from invoice_tui.domain.online import settle_refused_edit

    settle_refused_edit(ctx, error)


def services(config: Config | None) -> Services:
    config = config or Config()
    return Services(config=config, mail_transport=partial(_transport, config) if config.mail_url else None,
                    receipt_sender=_send_receipt,
                    payment_provider=partial(provider_from_config, config) if config.stripe_api_key else None,
                    payment_settler=_settle_refused_edit)
