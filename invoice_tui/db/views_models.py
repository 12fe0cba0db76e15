"""R21: saved views of the invoice index (filters, columns and sort, by name; private or shared)."""

from __future__ import annotations

import peewee as pw

from invoice_tui.db.models import BaseModel, User


class SavedView(BaseModel):
    """A named view. ``owner`` is None for the team's default views (seeded by migration 0002);
    ``filters`` is a JSON ``FilterSet``, ``columns`` a JSON list of catalogue ids, ``sort`` a
    catalogue id with ``-`` for descending."""

    name = pw.CharField(max_length=60)
    owner = pw.ForeignKeyField(User, null=True, backref="saved_views", on_delete="CASCADE")
    shared = pw.BooleanField(default=False)
    filters = pw.TextField(default='{"groups": []}')
    columns = pw.TextField(default="[]")
    sort = pw.CharField(default="-id", max_length=64)
    position = pw.IntegerField(default=0)
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()

    class Meta:
        indexes = ((("owner", "name"), False),)
