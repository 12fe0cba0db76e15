"""Recurring schedules, scheduled sends and dunning records (issue 28, migration 0020; R49–R51).

No foreign keys: a schedule outlives its template's deletion (it then says so), and the records
are a log of what the jobs did.
"""

from __future__ import annotations

import peewee as pw

from invoice_tui.db.models import BaseModel


class Schedule(BaseModel):
    """R49: a recurring schedule made from a template invoice."""

    template_id = pw.BigIntegerField()
    every = pw.IntegerField()
    unit = pw.CharField(max_length=1)  # d, w, m, y
    day = pw.IntegerField(null=True)  # day of the month (m, y); 31 is the month's last day
    start = pw.DateField()  # the first period's date
    end_on = pw.DateField(null=True)
    count = pw.IntegerField(null=True)
    mode = pw.CharField(default="draft", max_length=8)  # draft, finalize, send
    state = pw.CharField(default="active", max_length=8)  # active, paused, ended
    next_index = pw.IntegerField(default=0)
    next_run = pw.DateField(null=True)
    issued = pw.IntegerField(default=0)
    last_result = pw.CharField(default="", max_length=500)
    created_by = pw.CharField(default="", max_length=128)
    created_at = pw.DateTimeField()


class ScheduleRun(BaseModel):
    """The invoice a schedule made for one period (unique per schedule and period)."""

    schedule_id = pw.BigIntegerField()
    period = pw.DateField()
    period_index = pw.IntegerField()
    invoice_id = pw.BigIntegerField(null=True)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "schedule_run"


class ScheduledSend(BaseModel):
    """R50: an invoice to email on a date, queued in the outbox once."""

    invoice_id = pw.BigIntegerField(unique=True)
    send_on = pw.DateField()
    state = pw.CharField(default="planned", max_length=10)  # planned, queued, canceled
    email_id = pw.BigIntegerField(null=True)
    created_by = pw.CharField(default="", max_length=128)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "scheduled_send"


class Dunning(BaseModel):
    """R51: a dunning level sent, late-payment interest for a period, or the fixed indemnity."""

    invoice_id = pw.BigIntegerField()
    kind = pw.CharField(max_length=10)  # level, interest, indemnity
    level = pw.IntegerField()  # the level's days overdue (0 for the indemnity)
    period_from = pw.DateField(null=True)
    period_to = pw.DateField(null=True)
    amount_minor = pw.BigIntegerField(default=0)
    fee_invoice_id = pw.BigIntegerField(null=True)
    email_id = pw.BigIntegerField(null=True)
    note = pw.CharField(default="", max_length=500)
    created_by = pw.CharField(default="", max_length=128)
    created_at = pw.DateTimeField()


AUTOMATION_MODELS = [Schedule, ScheduleRun, ScheduledSend, Dunning]
