"""R54: the replay — what the history says each object is, against what its row holds now.

The hash chains (:mod:`invoice_tui.domain.audit`) prove the history was not rewritten; they say
nothing of the rows it describes. The replay folds each object's property changes, in id order,
into the properties the history says it has (as :mod:`invoice_tui.domain.history` writes them),
and compares them with the same properties computed from its current row by the services' own
snapshot functions. A difference is a write that skipped its history row: a direct ``UPDATE``,
a restored old row, a row deleted or inserted behind the app's back.

What is replayed: invoices and credit notes (with their lines, adjustments, contacts and
companies, which their snapshot holds), payments, credit movements (credit notes' applied parts
and remainders, overpayments, credit applied, refunds), contacts, companies, users and their rights, and workspace settings.
Rows written by the database for a direct write (source ``direct``, PostgreSQL) are findings of
their own, attributed to their role; they are not folded in, so the write they record is also
reported as a difference.

It streams: objects are read in windows of consecutive ids, with the history rows of that window
only, so memory does not grow with the workspace.
"""

from __future__ import annotations

import functools
import json
from collections import namedtuple
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping

import peewee as pw

from invoice_tui.db import database
from invoice_tui.db.models import Company, Contact, CreditEntry, Invoice, Payment, PropertyChange, Setting, User
from invoice_tui.domain import history
from invoice_tui.i18n import _

DIRECT = "direct"


@dataclass(frozen=True)
class Finding:
    """One object property whose row is not what its history says (or a direct write)."""

    object_type: str
    object_id: int
    property: str
    recorded: str | None  # what the history says (None: nothing, or cleared)
    current: str | None  # what the row holds now (None: no row)
    problem: str  # differs | deleted without history | inserted without history | direct write
    invoice_id: int | None = None  # the invoice to open, when there is one
    by: str | None = None  # the role of a direct write

    def record(self) -> dict:
        return asdict(self)

    def sentence(self) -> str:
        """The finding for a reader, in their language (the object type and property are data)."""
        if self.object_type == "workspace":
            what = _("setting")
        else:
            what = _("{type} {id}").format(type=self.object_type, id=self.object_id)
        if self.problem == "direct write":
            return _("{what}: {property} written directly by {by} ({recorded} → {current})").format(
                what=what, property=self.property, by=self.by, recorded=_show(self.recorded),
                current=_show(self.current))
        if self.problem == "deleted without history":
            return _("{what}: deleted without a history row (the history says it exists)").format(what=what)
        if self.problem == "inserted without history":
            return _("{what}: present, but the history never recorded its creation").format(what=what)
        if self.problem == "breaks R18":
            return _("{what}: {property} is {current}, its amounts say {recorded} (R18: billed − paid − credited; "
                     "nothing for a voided invoice or a credit note)").format(
                what=what, property=self.property, current=_show(self.current), recorded=_show(self.recorded))
        return _("{what}: {property} is {current}, the history says {recorded}").format(
            what=what, property=self.property, current=_show(self.current), recorded=_show(self.recorded))


def _show(value: str | None) -> str:
    if value is None:
        return _("nothing")
    from invoice_tui.domain.text import safe

    text = safe(value)
    return repr(text if len(text) <= 60 else text[:57] + "…")


@dataclass(frozen=True)
class Kind:
    """One kind of object the history describes: its table, and its snapshots for a window.

    A window's rows are plain named tuples of the table's fields (a foreign key as its id:
    ``billing_contact_id``, not ``billing_contact``), with the fields' own conversions where the driver's value is not
    already the Python one (dates, booleans, decimals): no model object per row."""

    object_type: str
    model: Any
    snapshots: Callable[[list], dict[int, Mapping[str, Any]]]  # rows of a window → id → snapshot
    invoice_of: Callable[[Any], int | None] = lambda row: None


# Fields whose value, as the driver gives it, is already what the model would hold.
_AS_READ = (pw.AutoField, pw.BigAutoField, pw.IntegerField, pw.BigIntegerField, pw.SmallIntegerField, pw.CharField,
            pw.TextField, pw.ForeignKeyField)


def _attribute(field: pw.Field) -> str:
    """The name a model object gives a field's stored value (a foreign key's id: ``owner_id``)."""
    return field.object_id_name if isinstance(field, pw.ForeignKeyField) else field.name


@functools.lru_cache(maxsize=None)
def _row_reader(model: Any) -> tuple[type, tuple[tuple[int, Callable], ...]]:
    """The named tuple of ``model``'s columns and the (position, conversion) of those that need one."""
    fields = model._meta.sorted_fields
    row = namedtuple(f"{model.__name__}Row", [_attribute(f) for f in fields])  # type: ignore[misc]
    # ``type(f) in``, not ``isinstance``: a subclass (DecimalTextField) converts.
    return row, tuple((i, f.python_value) for i, f in enumerate(fields) if type(f) not in _AS_READ)


def _window_rows(model: Any, lo: int, hi: int) -> list:
    """The rows of ``model`` with ids in [lo, hi), in id order, as plain named tuples (one fetch)."""
    row, converts = _row_reader(model)
    query = model.select(*model._meta.sorted_fields).where((model.id >= lo) & (model.id < hi)).order_by(model.id)
    rows = database.obj.execute_sql(*query.sql()).fetchall()
    if converts:
        rows = [list(r) for r in rows]
        for r in rows:
            for i, conv in converts:
                if r[i] is not None:
                    r[i] = conv(r[i])
    make = row._make
    return [make(r) for r in rows]


def _invoice_snapshots(rows: list) -> dict[int, Mapping[str, Any]]:
    from invoice_tui.domain.invoices import load_snapshot_parts, snapshot

    parts = load_snapshot_parts(rows)
    return {inv.id: snapshot(inv, parts[inv.id]) for inv in rows}


def _payment_snapshots(rows: list[Payment]) -> dict[int, Mapping[str, Any]]:
    from invoice_tui.domain.payments import _payment_snapshot

    return {p.id: _payment_snapshot(p) for p in rows}


def _company_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(Company.select(Company.id, Company.name).where(Company.id.in_(wanted)).tuples())


def _contact_snapshots(rows: list[Contact]) -> dict[int, Mapping[str, Any]]:
    from invoice_tui.domain.people import _contact_snapshot

    names = _company_names(c.company_id for c in rows)
    return {c.id: _contact_snapshot(c, names) for c in rows}


def _company_snapshots(rows: list[Company]) -> dict[int, Mapping[str, Any]]:
    from invoice_tui.domain.people import _company_snapshot

    return {c.id: _company_snapshot(c) for c in rows}


def _user_snapshots(rows: list[User]) -> dict[int, Mapping[str, Any]]:
    from invoice_tui.domain.people import _user_snapshot

    return {u.id: _user_snapshot(u) for u in rows}


def _credit_snapshots(rows: list[CreditEntry]) -> dict[int, Mapping[str, Any]]:
    from invoice_tui.domain.credit_records import entry_snapshot

    return {e.id: entry_snapshot(e) for e in rows}


def _automation_snapshots(snapshot_of: str) -> Callable[[list], dict[int, Mapping[str, Any]]]:
    """Schedules, their runs, scheduled sends and dunning records (R49–R51)."""
    def snapshots(rows: list) -> dict[int, Mapping[str, Any]]:
        from invoice_tui.domain import dunning, recurring, sends

        fn = getattr(dunning if snapshot_of == "dunning_snapshot" else sends if snapshot_of == "send_snapshot"
                     else recurring, snapshot_of)
        return {r.id: fn(r) for r in rows}

    return snapshots


def _automation_kinds() -> tuple[Kind, ...]:
    from invoice_tui.db.automation_models import Dunning, Schedule, ScheduledSend, ScheduleRun

    return (Kind("schedule", Schedule, _automation_snapshots("schedule_snapshot")),
            Kind("schedule_run", ScheduleRun, _automation_snapshots("run_snapshot"), lambda r: r.invoice_id),
            Kind("scheduled_send", ScheduledSend, _automation_snapshots("send_snapshot"), lambda r: r.invoice_id),
            Kind("dunning", Dunning, _automation_snapshots("dunning_snapshot"), lambda r: r.invoice_id))


KINDS = (
    Kind("invoice", Invoice, _invoice_snapshots, lambda inv: inv.id),  # credit notes included (R42)
    Kind("payment", Payment, _payment_snapshots, lambda p: p.invoice_id),
    Kind("credit_entry", CreditEntry, _credit_snapshots, lambda e: e.invoice_id),  # credit applied, refunds
    Kind("contact", Contact, _contact_snapshots),
    Kind("company", Company, _company_snapshots),
    Kind("user", User, _user_snapshots),
)


def fold(rows: Iterable[tuple[str, str | None, str | None]]) -> dict[str, str | None]:
    """An object's properties as its history tells them: (property, old, new) rows in id order,
    each row holding several properties (a creation's snapshot, the baseline; a ``changed``
    write) taken property by property (:func:`history.expand`)."""
    state: dict[str, str | None] = {}
    history.fold_rows(state, rows)
    return state


def _compare(kind: Kind, object_id: int, row: Any, snap: Mapping[str, Any] | None,
             told: dict[str, str | None] | None) -> Iterator[Finding]:
    invoice_id = kind.invoice_of(row) if row is not None else None
    if snap is None:  # no row
        if told and any(v is not None for v in told.values()):
            yield Finding(kind.object_type, object_id, "*", None, None, "deleted without history",
                          invoice_id=object_id if kind.object_type == "invoice" else None)
        return
    if told is None:
        yield Finding(kind.object_type, object_id, "*", None, None, "inserted without history", invoice_id)
        return
    for prop, value in snap.items():
        current = history.display(value)
        recorded = told.get(prop)
        if recorded != current:
            yield Finding(kind.object_type, object_id, prop, recorded, current, "differs", invoice_id)


def _windows(model: Any, object_type: str, size: int) -> Iterator[tuple[int, int]]:
    """[lo, hi) id windows covering every id of the table and of the history that names it."""
    top_row = model.select(model.id).order_by(model.id.desc()).limit(1).scalar() or 0
    top_told = (PropertyChange.select(PropertyChange.object_id)
                .where(PropertyChange.object_type == object_type)
                .order_by(PropertyChange.object_id.desc()).limit(1).scalar()) or 0
    top = max(top_row, top_told)
    lo = 1
    while lo <= top:
        yield lo, lo + size
        lo += size


def replay_kind(kind: Kind, window: int = 1000) -> Iterator[Finding]:
    model = kind.model
    for lo, hi in _windows(model, kind.object_type, window):
        rows = _window_rows(model, lo, hi)
        by_id = {r.id: r for r in rows}
        snaps = kind.snapshots(rows) if rows else {}
        told: dict[int, list[tuple[str, str | None, str | None]]] = {}
        query = (PropertyChange.select(PropertyChange.object_id, PropertyChange.property, PropertyChange.old_value,
                                       PropertyChange.new_value)
                 .where((PropertyChange.object_type == kind.object_type) & (PropertyChange.object_id >= lo)
                        & (PropertyChange.object_id < hi) & (PropertyChange.source != DIRECT))
                 .order_by(PropertyChange.object_id, PropertyChange.id))
        for oid, prop, old, new in database.obj.execute_sql(*query.sql()):  # plain tuples: ~35 rows an invoice
            told.setdefault(oid, []).append((prop, old, new))
        for oid in sorted(set(by_id) | set(told)):
            yield from _compare(kind, oid, by_id.get(oid), snaps.get(oid),
                                fold(told[oid]) if oid in told else None)


def replay_settings() -> Iterator[Finding]:
    """Workspace settings (object ``workspace`` 0, one property per key; the number counter moves
    with every finalization and is not replayed)."""
    told = fold(PropertyChange.select(PropertyChange.property, PropertyChange.old_value, PropertyChange.new_value)
                .where((PropertyChange.object_type == "workspace") & (PropertyChange.source != DIRECT))
                .order_by(PropertyChange.id).tuples())
    told.pop("next_number", None)
    stored = {key: history.display(json.loads(value)) for key, value in Setting.select(Setting.key, Setting.value)
              .tuples()}
    for key in sorted(set(told) | set(stored)):
        if key not in stored:
            continue  # never stored: the default, whatever the history said it replaced
        if told.get(key) != stored[key]:
            yield Finding("workspace", 0, key, told.get(key), stored[key], "differs")


def direct_writes(batch: int = 5000) -> Iterator[Finding]:
    """History rows the database wrote for writes from outside invoice-tui (PostgreSQL)."""
    last = 0
    while True:
        rows = list(PropertyChange.select().where((PropertyChange.source == DIRECT) & (PropertyChange.id > last))
                    .order_by(PropertyChange.id).limit(batch))
        if not rows:
            return
        for r in rows:
            last = r.id
            yield Finding(r.object_type, r.object_id, r.property, r.old_value, r.new_value, "direct write",
                          invoice_id=r.object_id if r.object_type == "invoice" else None, by=r.user_login)


def balances(batch: int = 5000) -> Iterator[Finding]:
    """R18, R39: what a document's stored balance must be, whatever its history says. An invoice owes
    its amount billed less what was paid and credited on it, and nothing once voided; a credit note
    owes nothing. A bulk writer (the demo, an import) whose history agrees with a wrong row is caught
    here, where the replay alone would see nothing."""
    from invoice_tui.domain.money import from_minor, plain

    owes = pw.Case(None, ((Invoice.doc_type == "credit_note", 0), (Invoice.status == "voided", 0)),
                   Invoice.billed_minor - Invoice.paid_minor - pw.fn.COALESCE(Invoice.credited_minor, 0))
    last = 0
    while True:
        rows = list(Invoice.select(Invoice.id, Invoice.currency, Invoice.balance_minor, owes.alias("owes"))
                    .where((Invoice.id > last) & (Invoice.balance_minor != owes))
                    .order_by(Invoice.id).limit(batch).namedtuples())
        if not rows:
            return
        for r in rows:
            last = r.id
            yield Finding("invoice", r.id, "balance_due", plain(from_minor(r.owes, r.currency)),
                          plain(from_minor(r.balance_minor, r.currency)), "breaks R18", invoice_id=r.id)


def all_kinds() -> tuple[Kind, ...]:
    """Every kind the replay walks, in its order (the automation's tables load their models here)."""
    return KINDS + _automation_kinds()


def replay(window: int = 1000, progress: Callable[[str], None] | None = None) -> Iterator[Finding]:
    """Every finding of the replay, kind after kind (``progress`` is told each kind's name)."""
    for kind in all_kinds():
        if progress:
            progress(kind.object_type)
        yield from replay_kind(kind, window)
    if progress:
        progress("workspace")
    yield from replay_settings()
    yield from direct_writes()
    yield from balances()
