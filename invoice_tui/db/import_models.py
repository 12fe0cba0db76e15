"""R52: saved column mappings of the import, by name and object (migration 0021)."""

from __future__ import annotations

import peewee as pw

from invoice_tui.db.models import BaseModel


class ImportMapping(BaseModel):
    """A named mapping profile: ``columns`` is JSON {field id: the file's header}; ``locale`` the
    file's number and date locale ('' for ISO dates and dot decimals)."""

    name = pw.CharField(max_length=100)
    object = pw.CharField(max_length=16)  # contacts, companies, invoices, payments
    columns = pw.TextField(default="{}")
    locale = pw.CharField(default="", max_length=16)
    created_by = pw.CharField(default="", max_length=128)
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()

    class Meta:
        table_name = "import_mapping"
        indexes = ((("object", "name"), True),)
