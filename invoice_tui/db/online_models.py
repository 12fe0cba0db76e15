"""Saved payment methods and provider events (issue 26, migration 0019).

No foreign key from ``provider_event`` to payments: it is a log of what the provider told us.
"""

from __future__ import annotations

import peewee as pw

from invoice_tui.db.models import BaseModel, Contact


class SavedPaymentMethod(BaseModel):
    """A payment method the customer saved with the provider: its ids and what identifies it to a
    person (brand, last four digits, expiry). Card numbers are never stored."""

    contact = pw.ForeignKeyField(Contact, backref="payment_methods", on_delete="CASCADE", column_name="contact_id")
    provider = pw.CharField(max_length=16)
    customer_ref = pw.CharField(max_length=255)
    method_ref = pw.CharField(max_length=255)
    kind = pw.CharField(max_length=32, default="card")
    brand = pw.CharField(max_length=32, default="")
    last4 = pw.CharField(max_length=4, default="")
    exp_month = pw.IntegerField(null=True)
    exp_year = pw.IntegerField(null=True)
    created_by = pw.CharField(max_length=128, default="")
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "payment_method"
        indexes = ((("provider", "method_ref"), True),)


class ProviderEvent(BaseModel):
    """One provider event applied (webhooks are idempotent per event id)."""

    provider = pw.CharField(max_length=16)
    event_id = pw.CharField(max_length=255)
    type = pw.CharField(max_length=64)
    created = pw.BigIntegerField()
    payment_id = pw.BigIntegerField(null=True, index=True)
    outcome = pw.CharField(max_length=500, default="")
    received_at = pw.DateTimeField()

    class Meta:
        table_name = "provider_event"
        indexes = ((("provider", "event_id"), True),)
