"""The first schema of invoice-tui (a frozen copy of the models as they were; later
changes come as new numbered scripts)."""
from peewee import *



def up(migrator, db):
    class Activity(Model):
        invoice_id = BigIntegerField(index=True)
        invoice_number = CharField(null=True, max_length=64)
        kind = CharField(max_length=24)
        text = TextField(default='')
        user_login = CharField(max_length=128)
        created_at = DateTimeField()
        due_date = DateField(null=True)
        ref_id = BigIntegerField(null=True)
        prev_hash = CharField(max_length=64)
        hash = CharField(unique=True, max_length=64)
        class Meta:
            database = db
            table_name = 'activity'
    db.create_tables([Activity])

    class User(Model):
        login = CharField(unique=True, max_length=128)
        name = CharField(max_length=200, default='')
        email = CharField(max_length=320, default='')
        permissions = CharField(max_length=200, default='view')
        preferences = TextField(default='{}')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class Company(Model):
        name = CharField(index=True, max_length=200)
        domain = CharField(max_length=253, default='')
        address = TextField(default='')
        tax_id = CharField(max_length=64, default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'company'
    db.create_tables([Company])

    class Contact(Model):
        first_name = CharField(max_length=200, default='')
        last_name = CharField(max_length=200, default='')
        email = CharField(index=True, max_length=320)
        phone = CharField(max_length=64, default='')
        address = TextField(default='')
        company = ForeignKeyField(Company, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'contact'
    db.create_tables([Contact])

    class Invoice(Model):
        title = CharField(max_length=300, default='')
        currency = CharField(index=True, max_length=3)
        exponent = SmallIntegerField(default=2)
        locale = CharField(max_length=16, default='en_US')
        invoice_date = DateField(index=True)
        due_date = DateField(index=True, null=True)
        owner = ForeignKeyField(User, null=True, on_delete='SET NULL')
        billing_contact = ForeignKeyField(Contact, null=True, on_delete='RESTRICT')
        company = ForeignKeyField(Company, null=True, on_delete='RESTRICT')
        po_number = CharField(max_length=100, default='')
        comments = TextField(default='')
        allow_partial = BooleanField(default=False)
        origin = CharField(max_length=16, default='manual')
        cloned_from = BigIntegerField(null=True)
        number = CharField(unique=True, null=True, max_length=64)
        number_seq = BigIntegerField(unique=True, null=True)
        status = CharField(index=True, max_length=16, default='draft')
        last_sent_date = DateField(index=True, null=True)
        payment_date = DateField(null=True)
        link_token = CharField(unique=True, null=True, max_length=64)
        version = IntegerField(default=1)
        subtotal_minor = BigIntegerField(default=0)
        discount_minor = BigIntegerField(default=0)
        fee_minor = BigIntegerField(default=0)
        tax_minor = BigIntegerField(default=0)
        billed_minor = BigIntegerField(index=True, default=0)
        paid_minor = BigIntegerField(default=0)
        balance_minor = BigIntegerField(index=True, default=0)
        contact_name = CharField(index=True, max_length=401, default='')
        contact_email = CharField(index=True, max_length=320, default='')
        company_name = CharField(index=True, max_length=200, default='')
        owner_name = CharField(index=True, max_length=200, default='')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        finalized_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'invoice'
            indexes = ((('status', 'due_date'), False), (('owner', 'status'), False))
    db.create_tables([Invoice])

    class Adjustment(Model):
        invoice = ForeignKeyField(Invoice, on_delete='CASCADE')
        kind = CharField(max_length=8)
        position = IntegerField()
        label = CharField(max_length=200, default='')
        is_percent = BooleanField(default=False)
        value = TextField()
        tax_rate = TextField(default="0")
        class Meta:
            database = db
            table_name = 'adjustment'
    db.create_tables([Adjustment])

    class ChainHead(Model):
        name = CharField(primary_key=True, max_length=64)
        hash = CharField(max_length=64)
        count = BigIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'chain_head'
    db.create_tables([ChainHead])

    class Counter(Model):
        name = CharField(primary_key=True, max_length=64)
        value = BigIntegerField()
        class Meta:
            database = db
            table_name = 'counter'
    db.create_tables([Counter])

    class InvoiceCompany(Model):
        invoice = ForeignKeyField(Invoice, on_delete='CASCADE')
        company = ForeignKeyField(Company, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'invoice_company'
            indexes = ((('invoice', 'company'), True),)
    db.create_tables([InvoiceCompany])

    class InvoiceContact(Model):
        invoice = ForeignKeyField(Invoice, on_delete='CASCADE')
        contact = ForeignKeyField(Contact, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'invoice_contact'
            indexes = ((('invoice', 'contact'), True),)
    db.create_tables([InvoiceContact])

    class LineItem(Model):
        invoice = ForeignKeyField(Invoice, on_delete='CASCADE')
        position = IntegerField()
        name = CharField(max_length=300)
        description = TextField(default='')
        quantity = TextField()
        unit_price_minor = BigIntegerField()
        discount_kind = CharField(null=True, max_length=8)
        discount_value = TextField(null=True)
        tax_rate = TextField(default="0")
        class Meta:
            database = db
            table_name = 'line_item'
            indexes = ((('invoice', 'position'), False),)
    db.create_tables([LineItem])

    class Payment(Model):
        amount_minor = BigIntegerField()
        currency = CharField(max_length=3)
        date = DateField()
        method = CharField(max_length=16, default='other')
        reference = CharField(max_length=200, default='')
        note = TextField(default='')
        source = CharField(max_length=8, default='manual')
        state = CharField(index=True, max_length=12, default='succeeded')
        contact = ForeignKeyField(Contact, null=True, on_delete='SET NULL')
        invoice = ForeignKeyField(Invoice, null=True, on_delete='RESTRICT')
        ever_succeeded = BooleanField(default=False)
        created_by = CharField(max_length=128, default='')
        created_at = DateTimeField()
        applied_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'payment'
            indexes = ((('currency', 'amount_minor'), False),)
    db.create_tables([Payment])

    class PropertyChange(Model):
        object_type = CharField(max_length=16)
        object_id = BigIntegerField()
        invoice_number = CharField(null=True, max_length=64)
        property = CharField(max_length=64)
        old_value = TextField(null=True)
        new_value = TextField(null=True)
        user_login = CharField(max_length=128)
        source = CharField(max_length=16)
        created_at = DateTimeField()
        prev_hash = CharField(max_length=64)
        hash = CharField(unique=True, max_length=64)
        class Meta:
            database = db
            table_name = 'property_change'
            indexes = ((('object_type', 'object_id', 'property'), False),)
    db.create_tables([PropertyChange])

    class Reminder(Model):
        invoice = ForeignKeyField(Invoice, on_delete='CASCADE')
        offset_days = IntegerField()
        due_on = DateField(index=True)
        state = CharField(max_length=12, default='planned')
        sent_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'reminder'
            indexes = ((('invoice', 'offset_days'), True),)
    db.create_tables([Reminder])

    class Setting(Model):
        key = CharField(primary_key=True, max_length=64)
        value = TextField()
        class Meta:
            database = db
            table_name = 'setting'
    db.create_tables([Setting])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('setting'))
    migrator.migrate(migrator.drop_table('reminder'))
    migrator.migrate(migrator.drop_table('property_change'))
    migrator.migrate(migrator.drop_table('payment'))
    migrator.migrate(migrator.drop_table('line_item'))
    migrator.migrate(migrator.drop_table('invoice_contact'))
    migrator.migrate(migrator.drop_table('invoice_company'))
    migrator.migrate(migrator.drop_table('counter'))
    migrator.migrate(migrator.drop_table('chain_head'))
    migrator.migrate(migrator.drop_table('adjustment'))
    migrator.migrate(migrator.drop_table('invoice'))
    migrator.migrate(migrator.drop_table('contact'))
    migrator.migrate(migrator.drop_table('company'))
    migrator.migrate(migrator.drop_table('user'))
    migrator.migrate(migrator.drop_table('activity'))
