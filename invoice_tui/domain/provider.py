"""The payment-provider interface (issue 26; SPEC R5, R7, R11, R13, R34): what the services ask of
a payment provider, in the app's own words. The first implementation is Stripe's
(:mod:`invoice_tui.domain.stripe_provider`); the services (:mod:`invoice_tui.domain.online`) know
only this module.

Provider states are mapped to payment states here, once:

========================================  =================
provider (Stripe PaymentIntent status)    payment state
========================================  =================
processing                                processing
requires_action, requires_confirmation,   requires_action
``authentication_required`` decline
succeeded                                 succeeded
requires_payment_method after a decline,  failed (with the provider's reason)
a decline
canceled                                  canceled
========================================  =================

``disputed`` and ``refunded`` come from events (a dispute opened; refunds adding up to the
amount paid). The app holds its own limits whatever the provider accepts (never refund more than
was paid, never charge more than the balance): they are in the services, not here.

Keys never leave the adapter: no error sentence, log line or history row contains them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from invoice_tui.domain.errors import EnvironmentFailure, RuleRefused
from invoice_tui.i18n import _

PENDING_STATES = ("processing", "requires_action")


@dataclass(frozen=True)
class ProviderPayment:
    """A payment as the provider has it, in the app's states."""

    ref: str | None  # the provider's id (None when a decline left none)
    state: str  # processing, requires_action, succeeded, failed, canceled
    amount_minor: int
    currency: str
    amount_refunded_minor: int = 0
    failure_reason: str = ""
    client_secret: str | None = field(default=None, repr=False)  # for the buyer page only
    created: int = 0


@dataclass(frozen=True)
class ProviderMethod:
    """A saved payment method as the provider describes it (never a card number)."""

    customer_ref: str
    method_ref: str
    kind: str
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None


@dataclass(frozen=True)
class ProviderSetup:
    """A SetupIntent (the buyer saves a card, or gives the card a payment is confirmed with)."""

    ref: str
    state: str  # requires_payment_method, requires_action, succeeded, canceled, …
    customer_ref: str | None = None
    method_ref: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    client_secret: str | None = field(default=None, repr=False)  # for the buyer page only


@dataclass(frozen=True)
class ProviderRefund:
    ref: str
    amount_minor: int
    state: str  # succeeded, pending, failed, canceled


@dataclass(frozen=True)
class ProviderEventData:
    """A verified event: what happened to which payment."""

    id: str
    type: str
    created: int
    payment_ref: str | None
    state: str | None = None  # a payment state, when the event says one
    amount_refunded_minor: int | None = None  # the payment's total refunded, when the event says it
    dispute: str | None = None  # opened, won, lost
    dispute_amount_minor: int = 0
    failure_reason: str = ""
    payment_hint: str | None = None  # the attempt's key the payment was created with (metadata)
    setup: ProviderSetup | None = None  # a SetupIntent that succeeded: the method the buyer saved
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


class ProviderUnavailable(EnvironmentFailure):
    """The provider could not be reached or answered with a server error (exit code 4)."""

    code = "provider.unavailable"


class ProviderRefused(RuleRefused):
    """The provider refused the request (e.g. a cancel after the payment succeeded)."""

    code = "provider.refused"


class BadSignature(RuleRefused):
    """A webhook whose signature does not verify: nothing is read from it."""

    code = "provider.bad_signature"


class NotConfigured(RuleRefused):
    code = "provider.not_configured"


class PaymentProvider(Protocol):
    """What the services ask of a payment provider."""

    name: str

    def describe_method(self, customer_ref: str, method_ref: str) -> ProviderMethod: ...

    def charge_saved(self, *, amount_minor: int, currency: str, customer_ref: str, method_ref: str,
                     method_kind: str, idempotency_key: str, metadata: dict[str, str]) -> ProviderPayment: ...

    def create_payment(self, *, amount_minor: int, currency: str, idempotency_key: str,
                       metadata: dict[str, str]) -> ProviderPayment: ...

    def update_amount(self, ref: str, amount_minor: int) -> ProviderPayment: ...

    def confirm_with(self, ref: str, method_ref: str) -> ProviderPayment: ...

    def create_customer(self, *, email: str, name: str, idempotency_key: str, metadata: dict[str, str]) -> str: ...

    def create_setup(self, *, customer_ref: str | None, usage: str, idempotency_key: str,
                     metadata: dict[str, str]) -> ProviderSetup: ...

    def retrieve_setup(self, ref: str) -> ProviderSetup: ...

    def retrieve(self, ref: str) -> ProviderPayment: ...

    def cancel(self, ref: str) -> ProviderPayment: ...

    def refund(self, ref: str, amount_minor: int, *, idempotency_key: str) -> ProviderRefund: ...

    def read_event(self, payload: bytes, signature_header: str) -> ProviderEventData: ...

    def publishable_hint(self) -> dict[str, str]: ...


def require_provider(ctx) -> PaymentProvider:
    provider = ctx.services.payment_provider() if ctx.services.payment_provider else None
    if provider is None:
        raise NotConfigured(_("Online payments are not set up: no payment provider is "
                              "configured (INVOICE_TUI_STRIPE_API_KEY)."))
    return provider
