"""The Stripe implementation of :class:`~invoice_tui.domain.provider.PaymentProvider`, with the
official ``stripe`` SDK (a ``StripeClient`` per provider: no module global holds a key).

Configuration (README "Online payments"): ``INVOICE_TUI_STRIPE_API_KEY``,
``INVOICE_TUI_STRIPE_WEBHOOK_SECRET`` and, for tests and self-hosted setups,
``INVOICE_TUI_STRIPE_API_BASE`` (e.g. a localstripe on loopback). The key never appears in an
error sentence: Stripe's own messages are not passed on for authentication errors.
"""

from __future__ import annotations

import json
from typing import Any

from invoice_tui.domain.provider import (BadSignature, NotConfigured, ProviderEventData, ProviderMethod,
                                         ProviderPayment, ProviderRefund, ProviderRefused, ProviderSetup,
                                         ProviderUnavailable)
from invoice_tui.i18n import _

TIMEOUT_S = 20
NETWORK_RETRIES = 1  # safe: every creating request carries an idempotency key


def map_status(status: str | None, last_error: dict | None = None) -> tuple[str, str]:
    """A PaymentIntent's status (and its last error) as a payment state and reason."""
    err = last_error or {}
    code = _get(err, "code")
    reason = _reason(_get(err, "message"), _get(err, "decline_code") or code)
    if status == "succeeded":
        return "succeeded", ""
    if status in ("processing", "requires_capture"):
        return "processing", ""
    if status in ("requires_action", "requires_confirmation"):
        return "requires_action", ""
    if status == "canceled":
        return "canceled", reason
    if status == "requires_payment_method":
        if code in ("authentication_required", "payment_intent_authentication_failure"):
            return "requires_action", reason
        if err:
            return "failed", reason or "declined"
        return "requires_action", ""  # waiting for the buyer to give a payment method
    return "processing", ""  # an unknown status is not final: the events will say


def _reason(message: Any, code: Any) -> str:
    msg = str(message or "").strip()
    code = str(code or "").strip()
    text = f"{msg} ({code})" if msg and code else msg or code
    return text[:500]


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _get(obj: Any, key: str, default: Any = None) -> Any:
    try:
        value = obj[key] if key in obj else default
    except (TypeError, KeyError):
        value = getattr(obj, key, default)
    return default if value is None else value


class StripeProvider:
    name = "stripe"

    def __init__(self, api_key: str, *, webhook_secret: str | None = None, api_base: str | None = None) -> None:
        import stripe

        self._stripe = stripe
        self._webhook_secret = webhook_secret
        kwargs: dict[str, Any] = {"max_network_retries": NETWORK_RETRIES,
                                  "http_client": stripe.new_default_http_client(timeout=TIMEOUT_S)}
        if api_base:
            kwargs["base_addresses"] = {"api": api_base.rstrip("/")}
        self._client = stripe.StripeClient(api_key, **kwargs)

    def __repr__(self) -> str:  # never the key
        return "StripeProvider()"

    # ---- errors ------------------------------------------------------------------------------
    def _call(self, fn, *args, **kwargs):
        stripe = self._stripe
        try:
            return fn(*args, **kwargs)
        except stripe.AuthenticationError:
            raise ProviderUnavailable("Stripe refused the API key (INVOICE_TUI_STRIPE_API_KEY); check the "
                                      "configuration.", code="provider.bad_key") from None
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise ProviderUnavailable(f"Stripe could not be reached ({type(exc).__name__}); nothing was "
                                      "charged by this attempt that the app knows of. Try again in a moment.") from None
        except stripe.APIError as exc:
            raise ProviderUnavailable(f"Stripe answered with an error (HTTP {exc.http_status}); try again in a "
                                      "moment.") from None
        except stripe.PermissionError:
            raise ProviderUnavailable("The Stripe key lacks a permission this action needs.",
                                      code="provider.bad_key") from None

    # ---- payments ----------------------------------------------------------------------------
    def _payment(self, pi: Any) -> ProviderPayment:
        charge = _get(pi, "latest_charge")
        refunded = _int(_get(charge, "amount_refunded", 0)) if charge is not None and not isinstance(charge, str) else 0
        state, reason = map_status(_get(pi, "status"), _get(pi, "last_payment_error"))
        return ProviderPayment(ref=_get(pi, "id"), state=state, amount_minor=_int(_get(pi, "amount")),
                               currency=str(_get(pi, "currency", "")).upper(), amount_refunded_minor=refunded,
                               failure_reason=reason, client_secret=_get(pi, "client_secret"),
                               created=_int(_get(pi, "created", 0)))

    def describe_method(self, customer_ref: str, method_ref: str) -> ProviderMethod:
        stripe = self._stripe
        try:
            pm = self._call(self._client.v1.payment_methods.retrieve, method_ref)
        except stripe.InvalidRequestError:
            raise ProviderRefused(_("Stripe has no payment method {method_ref}.").format(method_ref=method_ref), code="provider.no_method",
                                  field="payment_method") from None
        owner = _get(pm, "customer")
        if owner is None:
            try:
                pm = self._call(self._client.v1.payment_methods.attach, method_ref, params={"customer": customer_ref})
            except stripe.StripeError as exc:
                raise ProviderRefused(_("Stripe refused to attach {method_ref} to {customer_ref}: {value}.").format(method_ref=method_ref, customer_ref=customer_ref, value=_reason(exc.user_message, exc.code) or _("refused")),
                                      code="provider.no_method", field="payment_method") from None
        elif owner != customer_ref:
            raise ProviderRefused(_("The payment method {method_ref} belongs to another Stripe "
                                    "customer than {customer_ref}.").format(method_ref=method_ref, customer_ref=customer_ref), code="provider.no_method", field="payment_method")
        kind = str(_get(pm, "type", "card"))
        details = _get(pm, kind, {}) or {}
        return ProviderMethod(customer_ref=customer_ref, method_ref=method_ref, kind=kind,
                              brand=str(_get(details, "brand", "") or ("SEPA" if kind == "sepa_debit" else ""))[:32],
                              last4=str(_get(details, "last4", ""))[:4],
                              exp_month=_get(details, "exp_month"), exp_year=_get(details, "exp_year"))

    def charge_saved(self, *, amount_minor: int, currency: str, customer_ref: str, method_ref: str,
                     idempotency_key: str, metadata: dict[str, str], method_kind: str = "card") -> ProviderPayment:
        stripe = self._stripe
        params: dict[str, Any] = {"amount": amount_minor, "currency": currency.lower(), "customer": customer_ref,
                                  "payment_method": method_ref, "confirm": True, "off_session": True,
                                  "metadata": metadata, "payment_method_types": [method_kind]}
        try:
            pi = self._call(self._client.v1.payment_intents.create, params=params,
                            options={"idempotency_key": idempotency_key})
        except stripe.CardError as exc:
            err = exc.error
            pi = _get(err, "payment_intent") if err is not None else None
            code = exc.code or ""
            reason = _reason(exc.user_message or str(_get(err, "message", "") if err else ""),
                             _get(err, "decline_code") if err is not None else code) or "declined"
            state = "requires_action" if code == "authentication_required" else "failed"
            if pi is not None:
                paid = self._payment(pi)
                return ProviderPayment(ref=paid.ref, state=state, amount_minor=amount_minor, currency=currency,
                                       failure_reason=reason, created=paid.created)
            return ProviderPayment(ref=None, state=state, amount_minor=amount_minor, currency=currency,
                                   failure_reason=reason)
        except stripe.InvalidRequestError as exc:
            raise ProviderRefused(_("Stripe refused the charge: {value}.").format(value=_reason(exc.user_message, exc.code) or _("refused")),
                                  code="provider.refused") from None
        return self._payment(pi)

    def create_payment(self, *, amount_minor: int, currency: str, idempotency_key: str,
                       metadata: dict[str, str]) -> ProviderPayment:
        stripe = self._stripe
        try:
            pi = self._call(self._client.v1.payment_intents.create,
                            params={"amount": amount_minor, "currency": currency.lower(), "metadata": metadata,
                                    "payment_method_types": ["card"]},
                            options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as exc:
            raise ProviderRefused(_("Stripe refused the payment: {reason}.").format(reason=_reason(exc.user_message, exc.code))) from None
        return self._payment(pi)

    def update_amount(self, ref: str, amount_minor: int) -> ProviderPayment:
        stripe = self._stripe
        try:
            pi = self._call(self._client.v1.payment_intents.update, ref, params={"amount": amount_minor})
        except stripe.InvalidRequestError as exc:
            raise ProviderRefused(_("Stripe refused to change the payment: {reason}.").format(reason=_reason(exc.user_message, exc.code))) \
                from None
        return self._payment(pi)

    def confirm_with(self, ref: str, method_ref: str) -> ProviderPayment:
        """Confirm the buyer page's pending PaymentIntent with the card the buyer gave (on session):
        the method is set on the intent, then the intent is confirmed. A card that needs 3-D Secure
        comes back ``requires_action``; the page's Stripe.js completes it (``confirmCardPayment``)."""
        stripe = self._stripe
        try:
            self._call(self._client.v1.payment_intents.update, ref, params={"payment_method": method_ref})
            pi = self._call(self._client.v1.payment_intents.confirm, ref)
        except stripe.CardError as exc:
            err = exc.error
            pi = _get(err, "payment_intent") if err is not None else None
            reason = _reason(exc.user_message, _get(err, "decline_code") if err is not None else exc.code) or "declined"
            if pi is None:
                return ProviderPayment(ref=ref, state="failed", amount_minor=0, currency="", failure_reason=reason)
            paid = self._payment(pi)
            state = "requires_action" if exc.code == "authentication_required" else "failed"
            return ProviderPayment(ref=paid.ref, state=state, amount_minor=paid.amount_minor, currency=paid.currency,
                                   failure_reason=reason, client_secret=paid.client_secret, created=paid.created)
        except stripe.InvalidRequestError as exc:
            raise ProviderRefused(_("Stripe refused the payment: {value}.").format(value=_reason(exc.user_message, exc.code) or _("refused"))) \
                from None
        return self._payment(pi)

    def create_customer(self, *, email: str, name: str, idempotency_key: str, metadata: dict[str, str]) -> str:
        stripe = self._stripe
        try:
            cus = self._call(self._client.v1.customers.create,
                             params={"email": email, "name": name, "metadata": metadata},
                             options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as exc:
            raise ProviderRefused(_("Stripe refused the customer: {reason}.").format(reason=_reason(exc.user_message, exc.code))) from None
        return str(_get(cus, "id"))

    def create_setup(self, *, customer_ref: str | None, usage: str, idempotency_key: str,
                     metadata: dict[str, str]) -> ProviderSetup:
        stripe = self._stripe
        params: dict[str, Any] = {"usage": usage, "payment_method_types": ["card"], "metadata": metadata}
        if customer_ref:
            params["customer"] = customer_ref
        try:
            seti = self._call(self._client.v1.setup_intents.create, params=params,
                              options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as exc:
            raise ProviderRefused(_("Stripe refused to set up a card: {reason}.").format(reason=_reason(exc.user_message, exc.code))) \
                from None
        return setup_from(seti)

    def retrieve_setup(self, ref: str) -> ProviderSetup:
        stripe = self._stripe
        try:
            seti = self._call(self._client.v1.setup_intents.retrieve, ref)
        except stripe.InvalidRequestError:
            raise ProviderRefused(_("Stripe has no card set-up {ref}.").format(ref=ref), code="provider.no_setup") from None
        return setup_from(seti)

    def retrieve(self, ref: str) -> ProviderPayment:
        stripe = self._stripe
        try:
            pi = self._call(self._client.v1.payment_intents.retrieve, ref, params={"expand": ["latest_charge"]})
        except stripe.InvalidRequestError as exc:
            raise ProviderRefused(_("Stripe has no payment {ref}: {reason}.").format(ref=ref, reason=_reason(exc.user_message, exc.code))) from None
        return self._payment(pi)

    def cancel(self, ref: str) -> ProviderPayment:
        """Cancel a pending payment. Stripe refuses once it has succeeded (or, for most methods,
        while it is processing): :class:`ProviderRefused`, the caller reads the payment again."""
        stripe = self._stripe
        try:
            pi = self._call(self._client.v1.payment_intents.cancel, ref)
        except stripe.InvalidRequestError as exc:
            raise ProviderRefused(_("Stripe refused to cancel the payment: {value}.").format(value=_reason(exc.user_message, exc.code) or _("refused"))) from None
        return self._payment(pi)

    def refund(self, ref: str, amount_minor: int, *, idempotency_key: str) -> ProviderRefund:
        stripe = self._stripe
        try:
            r = self._call(self._client.v1.refunds.create, params={"payment_intent": ref, "amount": amount_minor},
                           options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as exc:
            raise ProviderRefused(_("Stripe refused the refund: {value}.").format(value=_reason(exc.user_message, exc.code) or _("refused"))) \
                from None
        status = str(_get(r, "status", "succeeded"))
        return ProviderRefund(ref=_get(r, "id"), amount_minor=_int(_get(r, "amount")),
                              state=status if status in ("succeeded", "pending", "failed", "canceled") else "pending")

    def publishable_hint(self) -> dict[str, str]:
        return {"provider": self.name}

    # ---- events ------------------------------------------------------------------------------
    def read_event(self, payload: bytes, signature_header: str) -> ProviderEventData:
        """Verify the signature (``stripe.Webhook.construct_event``: the signature is checked on the
        raw bytes before the body is parsed), then read what the event says."""
        stripe = self._stripe
        if not self._webhook_secret:
            raise NotConfigured(_("No webhook secret is configured (INVOICE_TUI_STRIPE_WEBHOOK_SECRET)."))
        try:
            stripe.Webhook.construct_event(payload, signature_header or "", self._webhook_secret)
        except stripe.SignatureVerificationError:
            raise BadSignature("The webhook's signature does not verify.") from None
        except (ValueError, UnicodeDecodeError):
            raise BadSignature("The webhook's body is not a Stripe event.") from None
        data = json.loads(payload)  # verified: the same bytes construct_event parsed
        return event_from_dict(data)


def setup_from(seti: Any) -> ProviderSetup:
    """A SetupIntent (an SDK object or an event's dict) in the app's words."""
    method = _get(seti, "payment_method")
    if method is not None and not isinstance(method, str):
        method = _get(method, "id")
    customer = _get(seti, "customer")
    if customer is not None and not isinstance(customer, str):
        customer = _get(customer, "id")
    meta = _get(seti, "metadata", {}) or {}
    if hasattr(meta, "to_dict"):  # the SDK's StripeObject (not a dict in stripe 8+)
        meta = meta.to_dict()
    try:
        metadata = {str(k): str(v) for k, v in dict(meta).items()}
    except (TypeError, ValueError):
        metadata = {}
    return ProviderSetup(ref=str(_get(seti, "id", "")), state=str(_get(seti, "status", "")), customer_ref=customer,
                         method_ref=method, metadata=metadata, client_secret=_get(seti, "client_secret"))


def event_from_dict(data: dict) -> ProviderEventData:
    """A Stripe event (already verified) in the app's words."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise BadSignature("The webhook's body is not a Stripe event.")
    etype = data["type"]
    inner = data.get("data") if isinstance(data.get("data"), dict) else {}
    obj = inner.get("object") if isinstance(inner.get("object"), dict) else {}
    base = {"id": data["id"], "type": etype, "created": _int(data.get("created")), "raw": data}
    if etype.startswith("payment_intent."):
        state, reason = map_status(obj.get("status"), obj.get("last_payment_error"))
        if etype == "payment_intent.payment_failed" and state not in ("requires_action",):
            state = "failed"
        if etype == "payment_intent.canceled":
            state = "canceled"
        hint = (obj.get("metadata") or {}).get("attempt") if isinstance(obj.get("metadata"), dict) else None
        return ProviderEventData(payment_ref=obj.get("id"), state=state, failure_reason=reason,
                                 payment_hint=str(hint) if hint is not None else None, **base)
    if etype == "setup_intent.succeeded":
        return ProviderEventData(payment_ref=None, setup=setup_from(obj), **base)
    if etype == "charge.refunded" or etype == "charge.updated":
        return ProviderEventData(payment_ref=obj.get("payment_intent"),
                                 amount_refunded_minor=_int(obj.get("amount_refunded")), **base)
    if etype in ("charge.dispute.created", "charge.dispute.closed", "charge.dispute.funds_withdrawn"):
        status = obj.get("status")
        dispute = ("opened" if etype != "charge.dispute.closed" else
                   "lost" if status == "lost" else "won" if status in ("won", "warning_closed") else None)
        return ProviderEventData(payment_ref=obj.get("payment_intent"), dispute=dispute,
                                 dispute_amount_minor=_int(obj.get("amount")), **base)
    return ProviderEventData(payment_ref=None, **base)
