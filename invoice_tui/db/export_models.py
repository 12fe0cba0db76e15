"""R22: the workspace's export log — who exported what, when, how many rows, to which file."""

from __future__ import annotations

import peewee as pw

from invoice_tui.db.models import BaseModel


class ExportLog(BaseModel):
    """One finished export. ``filters`` is JSON (the view's R20 filter set, the extra filters and
    the quick search); ``properties`` and ``associations`` are JSON lists; ``association_limit``
    is None for "all"; ``values`` is ``labels`` or ``internal``."""

    user_login = pw.CharField(max_length=128)
    created_at = pw.DateTimeField(index=True)
    name = pw.CharField(max_length=255)
    format = pw.CharField(max_length=8)
    path = pw.TextField()
    rows = pw.BigIntegerField()
    sheets = pw.IntegerField(default=1)
    view_name = pw.CharField(null=True, max_length=200)
    filters = pw.TextField(default="{}")
    sort = pw.CharField(default="-id", max_length=64)
    properties = pw.TextField(default="[]")
    associations = pw.TextField(default="[]")
    association_limit = pw.IntegerField(null=True)
    language = pw.CharField(default="en", max_length=8)
    values = pw.CharField(default="labels", max_length=16)
