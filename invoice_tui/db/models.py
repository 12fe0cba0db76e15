"""peewee models for SPEC "Objects".

Money is stored as integer minor units (``*_minor``); quantities, percentages and tax rates as
exact decimal text (never REAL). The invoice row carries its totals and the billing contact's,
company's and owner's display names, kept current by the services in the same transaction, so
that the index sorts and filters on indexed columns. Property changes and activities have no
foreign keys: they are append-only, survive the deletion of their invoice, and are hash-chained.
"""

from __future__ import annotations

from decimal import Decimal

import peewee as pw

from invoice_tui.db import database


class DecimalTextField(pw.TextField):
    """An exact decimal stored as canonical text (``"1.5"``, ``"20"``)."""

    def db_value(self, value):
        if value is None:
            return None
        return format(Decimal(value).normalize(), "f")

    def python_value(self, value):
        return None if value is None else Decimal(value)


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Setting(BaseModel):
    """Workspace settings shared by the team (key → JSON-encoded value)."""

    key = pw.CharField(primary_key=True, max_length=64)
    value = pw.TextField()


class Counter(BaseModel):
    """Workspace counters; ``invoice_number`` is locked ``FOR UPDATE`` while finalizing (R3)."""

    name = pw.CharField(primary_key=True, max_length=64)
    value = pw.BigIntegerField()


class ChainHead(BaseModel):
    """Hash of the last row of each append-only chain (property_change, activity)."""

    name = pw.CharField(primary_key=True, max_length=64)
    hash = pw.CharField(max_length=64)
    count = pw.BigIntegerField(default=0)


class User(BaseModel):
    login = pw.CharField(unique=True, max_length=128)
    name = pw.CharField(default="", max_length=200)
    email = pw.CharField(default="", max_length=320)
    permissions = pw.CharField(default="view", max_length=200)  # comma-separated R17 names
    preferences = pw.TextField(default="{}")  # JSON
    created_at = pw.DateTimeField()


class Company(BaseModel):
    name = pw.CharField(max_length=200, index=True)
    domain = pw.CharField(default="", max_length=253)
    address = pw.TextField(default="")
    tax_id = pw.CharField(default="", max_length=64)
    created_at = pw.DateTimeField()
    # legal data (R43, migration 0017); ``address`` holds the street lines
    legal_name = pw.CharField(default="", max_length=200)
    postcode = pw.CharField(default="", max_length=20)
    city = pw.CharField(default="", max_length=100)
    country = pw.CharField(default="", max_length=2)
    siren = pw.CharField(default="", max_length=9)
    siret = pw.CharField(default="", max_length=14)
    vat_id = pw.CharField(default="", max_length=20)
    electronic_address = pw.CharField(default="", max_length=125)  # BT-49
    electronic_scheme = pw.CharField(default="", max_length=4)


def person_name(first_name: str, last_name: str, email: str) -> str:
    """A contact's name as shown everywhere: first and last name, else the email."""
    return f"{first_name} {last_name}".strip() or email


class Contact(BaseModel):
    first_name = pw.CharField(default="", max_length=200)
    last_name = pw.CharField(default="", max_length=200)
    email = pw.CharField(max_length=320, index=True)
    phone = pw.CharField(default="", max_length=64)
    address = pw.TextField(default="")
    company = pw.ForeignKeyField(Company, null=True, backref="contacts", on_delete="SET NULL")
    created_at = pw.DateTimeField()
    postcode = pw.CharField(default="", max_length=20)  # R43, migration 0017
    city = pw.CharField(default="", max_length=100)
    country = pw.CharField(default="", max_length=2)
    is_business = pw.BooleanField(default=False)  # a business buyer, though not a company

    @property
    def display_name(self) -> str:
        return person_name(self.first_name, self.last_name, self.email)


class Invoice(BaseModel):
    title = pw.CharField(default="", max_length=300)
    currency = pw.CharField(max_length=3, index=True)
    exponent = pw.SmallIntegerField(default=2)  # ISO 4217 decimals of the currency
    locale = pw.CharField(default="en_US", max_length=16)
    invoice_date = pw.DateField(index=True)
    due_date = pw.DateField(null=True, index=True)
    owner = pw.ForeignKeyField(User, null=True, backref="invoices", on_delete="SET NULL")
    billing_contact = pw.ForeignKeyField(Contact, null=True, backref="billed_invoices", on_delete="RESTRICT")
    company = pw.ForeignKeyField(Company, null=True, backref="invoices", on_delete="RESTRICT")
    po_number = pw.CharField(default="", max_length=100)
    comments = pw.TextField(default="")
    allow_partial = pw.BooleanField(default=False)
    origin = pw.CharField(default="manual", max_length=16)  # manual, clone, subscription, import
    cloned_from = pw.BigIntegerField(null=True)
    number = pw.CharField(null=True, unique=True, max_length=64)
    number_seq = pw.BigIntegerField(null=True, unique=True)
    status = pw.CharField(default="draft", max_length=16, index=True)
    last_sent_date = pw.DateField(null=True, index=True)
    payment_date = pw.DateField(null=True)
    link_token = pw.CharField(null=True, unique=True, max_length=64)
    version = pw.IntegerField(default=1)
    # Stored totals (minor units), recomputed by the services with the one R18 function.
    subtotal_minor = pw.BigIntegerField(default=0)
    discount_minor = pw.BigIntegerField(default=0)
    fee_minor = pw.BigIntegerField(default=0)
    tax_minor = pw.BigIntegerField(default=0)
    billed_minor = pw.BigIntegerField(default=0, index=True)
    paid_minor = pw.BigIntegerField(default=0)
    balance_minor = pw.BigIntegerField(default=0, index=True)
    # Display names kept current with the associations (for sorting and filtering).
    contact_name = pw.CharField(default="", max_length=401, index=True)
    contact_email = pw.CharField(default="", max_length=320, index=True)
    company_name = pw.CharField(default="", max_length=200, index=True)
    owner_name = pw.CharField(default="", max_length=200, index=True)
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()
    finalized_at = pw.DateTimeField(null=True)
    # Credit notes (R36–R42, migration 0016): a credit note is a row of this table.
    doc_type = pw.CharField(default="invoice", max_length=16)  # invoice (EN 16931 380), credit_note (381)
    refers_to = pw.BigIntegerField(null=True, column_name="refers_to_id")  # BT-25: the invoice a credit note corrects
    reason = pw.TextField(default="")  # a credit note's reason
    credited_minor = pw.BigIntegerField(default=0)  # R39/R40: settled by credit (balance = billed − paid − credited)
    cn_seq = pw.BigIntegerField(null=True, unique=True)  # the credit note series' counter value
    # legal data (R43, migration 0017)
    delivery_date = pw.DateField(null=True)  # BT-72
    delivery_address = pw.TextField(default="")  # or period
    operation_category = pw.CharField(default="", max_length=8)  # goods, services, both
    buyer_reference = pw.CharField(default="", max_length=100)  # BT-10
    exemption_reasons = pw.TextField(default="{}")  # JSON: VAT category → reason (BT-120)
    eur_rate = pw.CharField(default="", max_length=32)  # 1 unit of the currency in EUR

    class Meta:
        indexes = (
            (("status", "due_date"), False),
            (("owner", "status"), False),
        )


class InvoiceContact(BaseModel):
    invoice = pw.ForeignKeyField(Invoice, backref="contact_links", on_delete="CASCADE")
    contact = pw.ForeignKeyField(Contact, backref="invoice_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("invoice", "contact"), True),)


class InvoiceCompany(BaseModel):
    invoice = pw.ForeignKeyField(Invoice, backref="company_links", on_delete="CASCADE")
    company = pw.ForeignKeyField(Company, backref="invoice_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("invoice", "company"), True),)


class LineItem(BaseModel):
    invoice = pw.ForeignKeyField(Invoice, backref="lines", on_delete="CASCADE")
    position = pw.IntegerField()
    name = pw.CharField(max_length=300)
    description = pw.TextField(default="")
    quantity = DecimalTextField()  # may be negative (R35: returns, corrections)
    unit_price_micro = pw.BigIntegerField()  # BT-146 in millionths of the major unit (6 decimals, R35)
    price_base = DecimalTextField(default=Decimal(1))  # BT-149: the price is per this many units
    unit_code = pw.CharField(default="C62", max_length=3)  # BT-130, UN/ECE rec 20
    discount_kind = pw.CharField(null=True, max_length=8)  # None, "percent", "fixed": the first allowance
    discount_value = DecimalTextField(null=True)  # percent, or amount in major units
    charges = pw.TextField(default="[]")  # JSON: further line allowances and charges (BG-27/BG-28)
    tax_rate = DecimalTextField(default=Decimal(0))  # percent
    tax_category = pw.CharField(null=True, max_length=2)  # S, Z, E, AE, K, G, O; NULL: the rate's default

    class Meta:
        indexes = ((("invoice", "position"), False),)


class Adjustment(BaseModel):
    """Invoice-level discounts and fees (EN 16931 allowances/charges) and extra taxes."""

    invoice = pw.ForeignKeyField(Invoice, backref="adjustments", on_delete="CASCADE")
    kind = pw.CharField(max_length=8)  # "discount", "fee", "tax"
    position = pw.IntegerField()
    label = pw.CharField(default="", max_length=200)
    is_percent = pw.BooleanField(default=False)
    value = DecimalTextField()  # percent, or amount in major units
    tax_rate = DecimalTextField(default=Decimal(0))  # discounts and fees only
    tax_category = pw.CharField(null=True, max_length=2)  # discounts and fees; NULL: the rate's default


class Payment(BaseModel):
    amount_minor = pw.BigIntegerField()
    currency = pw.CharField(max_length=3)
    date = pw.DateField()
    method = pw.CharField(default="other", max_length=16)
    reference = pw.CharField(default="", max_length=200)
    note = pw.TextField(default="")
    source = pw.CharField(default="manual", max_length=8)  # manual, online
    state = pw.CharField(default="succeeded", max_length=16, index=True)  # requires_action: 15 (0019)
    contact = pw.ForeignKeyField(Contact, null=True, backref="payments", on_delete="SET NULL")
    # R9: one column, so a payment can be applied to one invoice at most; applying is a
    # compare-and-set (``WHERE invoice_id IS NULL``) that the database arbitrates.
    invoice = pw.ForeignKeyField(Invoice, null=True, backref="payments", on_delete="RESTRICT")
    ever_succeeded = pw.BooleanField(default=False)
    created_by = pw.CharField(default="", max_length=128)
    created_at = pw.DateTimeField()
    applied_at = pw.DateTimeField(null=True)
    # Online payments (issue 26, migration 0019): the provider's payment id, the attempt's
    # idempotency key (recorded before the provider is called), refunds, the provider's reason.
    provider = pw.CharField(null=True, max_length=16)
    provider_ref = pw.CharField(null=True, max_length=255)
    idempotency_key = pw.CharField(null=True, max_length=64, unique=True)
    amount_refunded_minor = pw.BigIntegerField(default=0)
    failure_reason = pw.CharField(default="", max_length=500)
    provider_updated = pw.BigIntegerField(default=0)  # the provider's time of the last event applied
    payment_method_ref = pw.CharField(null=True, max_length=255)

    class Meta:
        indexes = ((("currency", "amount_minor"), False), (("provider", "provider_ref"), True))


class Reminder(BaseModel):
    """R33: planned reminders; sent at most once (state changes by compare-and-set)."""

    invoice = pw.ForeignKeyField(Invoice, backref="reminders", on_delete="CASCADE")
    offset_days = pw.IntegerField()
    due_on = pw.DateField(index=True)
    state = pw.CharField(default="planned", max_length=12)  # planned, sending, sent, deleted, dropped
    sent_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("invoice", "offset_days"), True),)


class PropertyChange(BaseModel):
    """R15: append-only, hash-chained, never cascaded."""

    object_type = pw.CharField(max_length=16)
    object_id = pw.BigIntegerField()
    invoice_number = pw.CharField(null=True, max_length=64)
    property = pw.CharField(max_length=64)
    old_value = pw.TextField(null=True)
    new_value = pw.TextField(null=True)
    user_login = pw.CharField(max_length=128)
    source = pw.CharField(max_length=16)
    created_at = pw.DateTimeField()
    prev_hash = pw.CharField(max_length=64)
    hash = pw.CharField(max_length=64)  # not indexed: nothing looks a row up by it (migration 0027)

    class Meta:
        indexes = ((("object_type", "object_id", "property"), False),)


class Activity(BaseModel):
    """R16: the history card's events, notes and tasks — append-only and hash-chained."""

    invoice_id = pw.BigIntegerField(index=True)
    invoice_number = pw.CharField(null=True, max_length=64)
    kind = pw.CharField(max_length=24)
    text = pw.TextField(default="")
    user_login = pw.CharField(max_length=128)
    created_at = pw.DateTimeField()
    due_date = pw.DateField(null=True)  # tasks
    ref_id = pw.BigIntegerField(null=True)  # e.g. the task a "task_done" row completes
    prev_hash = pw.CharField(max_length=64)
    hash = pw.CharField(max_length=64)  # not indexed: nothing looks a row up by it (migration 0027)


class CreditEntry(BaseModel):
    """R39/R40: one dated movement of customer credit, per customer (company, else contact) and
    currency. ``kind``: ``cn_applied`` (a credit note's part applied to its invoice), ``cn_remainder``
    (+ credit), ``overpayment`` (+ credit), ``applied`` (credit applied to an invoice, −),
    ``refund`` (−). Never updated nor deleted; customer credit is the sum of these records."""

    kind = pw.CharField(max_length=24)
    company_id = pw.BigIntegerField(null=True)
    contact_id = pw.BigIntegerField(null=True)
    currency = pw.CharField(max_length=3)
    amount_minor = pw.BigIntegerField()
    date = pw.DateField()
    invoice_id = pw.BigIntegerField(null=True)
    credit_note_id = pw.BigIntegerField(null=True)
    payment_id = pw.BigIntegerField(null=True)
    method = pw.CharField(default="", max_length=16)
    reference = pw.CharField(default="", max_length=200)
    created_by = pw.CharField(default="", max_length=128)
    created_at = pw.DateTimeField()


ALL_MODELS = [
    Setting, Counter, ChainHead, User, Company, Contact, Invoice, InvoiceContact, InvoiceCompany,
    LineItem, Adjustment, Payment, Reminder, PropertyChange, Activity, CreditEntry,
]
