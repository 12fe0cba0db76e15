"""The demo's history: what the services write as each object lives (R15 property changes, R16
activities), built in bulk through :mod:`invoice_tui.domain.history` — its diff
(:func:`history.changes`), its creation rows (:func:`history.creation_value`), its canonical
content (:func:`history.payloads`) and its chain (:func:`history.chain`) — from the services' own snapshots (``invoices.snapshot``,
``invoices._payment_snapshot``, ``people._contact_snapshot``, ``people._company_snapshot``).

Rows are collected where they are generated (in the worker processes, with their canonical
content), and chained in order by :class:`Chain` as each segment is copied: a chain is one sequence.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Iterable, Mapping

from invoice_tui.domain import history, invoices, people

SOURCE = "demo"  # the history's source for rows the demo wrote (the services write cli, tui, web…)

# Columns of the scratch tables: an activity (ref_id is always empty) and a property change.
EVENT_COLUMNS = ["invoice_id", "number", "kind", "text", "login", "created", "due", "payload"]
CHANGE_COLUMNS = ["object_type", "object_id", "number", "property", "old", "new", "login", "created", "payload"]
_EVENT_FIELDS = ("invoice_id", "invoice_number", "kind", "text", "user_login", "created_at", "due_date")
_CHANGE_FIELDS = ("object_type", "object_id", "invoice_number", "property", "old_value", "new_value", "user_login",
                  "created_at")
assert set(_EVENT_FIELDS) | {"ref_id"} == set(history.ACTIVITY_FIELDS)
assert set(_CHANGE_FIELDS) | {"source"} == set(history.PROPERTY_CHANGE_FIELDS)

# How the rows land in the workspace (by target column, over the scratch tables ``e``; ``{base}``
# is the id before the file's first row; the links are ``Chain.exprs``').
ACTIVITY_EXPRS = {"id": "e.rowid + {base}", "invoice_id": "e.invoice_id", "invoice_number": "e.number",
                  "kind": "e.kind", "text": "e.text", "user_login": "e.login", "created_at": "e.created",
                  "due_date": "e.due", "ref_id": "NULL", "prev_hash": "", "hash": ""}
CHANGE_EXPRS = {"id": "e.rowid + {base}", "object_type": "e.object_type", "object_id": "e.object_id",
                "invoice_number": "e.number", "property": "e.property", "old_value": "e.old", "new_value": "e.new",
                "user_login": "e.login", "created_at": "e.created", "prev_hash": "", "hash": "",
                "source": f"'{SOURCE}'"}  # rows in memory: (id, the CHANGE_COLUMNS but payload, links, source)


class Story:
    """History rows in the order they happen: ``events`` (invoice id, number, kind, text, login,
    stored time, due date) appended by the caller, and property changes by :meth:`change` and
    :meth:`create` — one row per write, as ``history.record_changes`` and
    ``history.record_creation`` write them. Their canonical contents (and the JSON of rows holding
    several properties) are encoded a chunk at a time, by :meth:`take_events` and
    :meth:`take_changes`: a few C calls per row."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.changes: list[list] = []  # [object type, id, number, property, old, new, login, stored time]
        self._objects: list[int] = []  # the positions in ``changes`` of rows whose old/new are still mappings

    def change(self, object_type: str, object_id: int, number: str | None, login: str, created: str,
               before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        """The row the services write when an object goes from ``before`` to ``after`` (only the
        properties of ``after`` are compared), by ``login`` at ``created`` (stored form)."""
        steps = history.changes(before, after)
        if steps:
            prop, old, new = history.write_row(steps)
            if prop == history.CHANGED:
                self._objects.append(len(self.changes))
            self.changes.append([object_type, object_id, number, prop, old, new, login, created])

    def create(self, object_type: str, object_id: int, number: str | None, login: str, created: str,
               snapshot: Mapping[str, Any]) -> None:
        """The row the services write when an object is created (``history.record_creation``):
        one, holding its whole ``snapshot``."""
        self._objects.append(len(self.changes))
        self.changes.append([object_type, object_id, number, history.CREATED, None, dict(snapshot), login, created])

    def take_events(self) -> list[tuple]:
        """The events so far, each with its canonical content appended (then forgotten here)."""
        events, self.events = self.events, []
        contents = history.payloads(_EVENT_FIELDS, events, {"ref_id": None}, times=("created_at",))
        return [(*e, c) for e, c in zip(events, contents)]

    def take_changes(self) -> list[list]:
        """The property changes so far, each with its canonical content appended (then forgotten here)."""
        changes, objects, self.changes, self._objects = self.changes, self._objects, [], []
        mappings = [(i, col) for i in objects for col in (4, 5) if changes[i][col] is not None]
        for (i, col), text in zip(mappings, history.objects_json([changes[i][col] for i, col in mappings])):
            changes[i][col] = text
        contents = history.payloads(_CHANGE_FIELDS, changes, {"source": SOURCE}, times=("created_at",))
        for c, content in zip(changes, contents):
            c.append(content)
        return changes


# ---- the services' snapshots, of rows the demo holds as plain values ------------------------------
def line_stubs(lines: Iterable[tuple]) -> list[SimpleNamespace]:
    """A template's lines (position, name, description, qty text, unit price micro, discount kind,
    discount text, rate text, VAT category) as the snapshot reads line items (the R35 fields at
    their defaults)."""
    return [SimpleNamespace(position=pos, name=name, description=desc, quantity=Decimal(qty),
                            unit_price_micro=unit, discount_kind=kind,
                            discount_value=None if value is None else Decimal(value),
                            tax_rate=Decimal(rate), price_base=Decimal(1), unit_code="C62", charges="[]",
                            tax_category=category)
            for pos, name, desc, qty, unit, kind, value, rate, category in lines]


def adjustment_stubs(adjustments: Iterable[tuple]) -> list[SimpleNamespace]:
    """A template's adjustments (kind, position, label, is percent, value text, rate text, VAT category)."""
    return [SimpleNamespace(kind=kind, position=pos, label=label, is_percent=pct, value=Decimal(value),
                            tax_rate=Decimal(rate), tax_category=category)
            for kind, pos, label, pct, value, rate, category in adjustments]


def template_snapshot(currency: str, billed_minor: int, lines: list, adjustments: list) -> dict[str, Any]:
    """The part of ``invoices.snapshot`` a template gives every new draft made from it: its
    lines and adjustments (stubs) and its amounts (billed, nothing paid yet)."""
    totals = SimpleNamespace(currency=currency, billed_minor=billed_minor, paid_minor=0, balance_minor=billed_minor)
    return {**invoices.snapshot_contents(currency, lines, adjustments), **invoices.snapshot_amounts(totals)}


def draft_snapshot(values: dict[str, Any], *, owner: str | None, contact: tuple | None,
                   template: Mapping[str, Any]) -> dict[str, Any]:
    """``invoices.snapshot`` of a new draft given as plain values (``values``: the invoice's
    columns), its owner's login, its billing contact (id, name, email, company id, company name)
    and its template's part (:func:`template_snapshot`)."""
    inv = SimpleNamespace(**values)
    if contact is not None:
        _id, name, email, company_id, company_name = contact[:5]
        person = SimpleNamespace(display_name=name, email=email)
        company = SimpleNamespace(name=company_name) if company_id else None
        emails, names = [email], [company_name] if company_id else []
    else:
        person = company = None
        emails, names = [], []
    parts = invoices.SnapshotParts(contact=person, company=company,
                                   owner=SimpleNamespace(login=owner) if owner else None,
                                   contact_emails=emails, company_names=names, lines=[], adjustments=[])
    return {**invoices.snapshot_head(inv, parts), **template}


def payment_snapshot(values: Mapping[str, Any]) -> dict[str, Any]:
    """``_payment_snapshot`` (what payments write) of a payment given as plain values."""
    return invoices._payment_snapshot(SimpleNamespace(**values))


def company_snapshot(values: Mapping[str, Any]) -> dict[str, Any]:
    return people._company_snapshot(SimpleNamespace(**values))


def contact_snapshot(values: Mapping[str, Any], company_name: str | None) -> dict[str, Any]:
    return people._contact_snapshot(SimpleNamespace(**values, company=SimpleNamespace(name=company_name)))


# ---- chaining -----------------------------------------------------------------------------------
class Chain:
    """One history chain continued in order (R16), from ``head`` after row ``last_id``.

    Rows copied from a scratch file (their canonical content in ``payload``) are chained as the
    database reads them, in id order: :meth:`functions` are two SQL functions for the reading
    connection — ``prev()``, the hash the next row follows, and ``hash(payload)``, that row's
    own (:func:`history.link_utf8`, over the content's UTF-8 bytes), which moves the head on —
    and :meth:`exprs` puts them in the copy's ``prev_hash`` and ``hash`` columns (in that order:
    each row's ``prev()`` is read before its ``hash()``). No link is written anywhere else, and no row is read twice.
    Rows in memory (their content last) are given back by :meth:`add_rows` with their id first
    and their links last instead of the content. ``bases``: each source's id before its first row."""

    def __init__(self, name: str, head: str, last_id: int) -> None:
        self.name, self.head, self.last_id = name, head, last_id
        self.first_id = last_id
        self.bases: list[int] = []

    @property
    def added(self) -> int:
        return self.last_id - self.first_id

    def functions(self) -> list[tuple[str, int, Any]]:
        """(name, number of arguments, function) of the SQL functions chaining a copy."""
        link = history.link_utf8

        def prev() -> str:
            return self.head

        def own(payload: bytes) -> str:
            self.head = link(self.head, payload)
            self.last_id += 1
            return self.head

        return [(f"demo_{self.name}_prev", 0, prev), (f"demo_{self.name}_hash", 1, own)]

    def exprs(self, exprs: Mapping[str, str], payload: str = "e.payload") -> dict[str, str]:
        """A copy's column expressions with the links from :meth:`functions` (and the file's
        base id, ``{base}``, where the expressions name it); starts a new source."""
        self.bases.append(self.last_id)
        out = {c: x.format(base=int(self.last_id)) for c, x in exprs.items()}
        # The content is read as its UTF-8 bytes (a BLOB), hashed as it is (history.link_utf8).
        out["prev_hash"], out["hash"] = f"demo_{self.name}_prev()", f"demo_{self.name}_hash(CAST({payload} AS BLOB))"
        return out

    def add_rows(self, rows: list[tuple]) -> list[tuple]:
        self.bases.append(self.last_id)
        chained = [(i, *row[:-1], before, own) for i, (row, (before, own))
                   in enumerate(zip(rows, history.chain(self.head, [r[-1] for r in rows])), self.last_id + 1)]
        if chained:
            self.last_id, self.head = chained[-1][0], chained[-1][-1]
        return chained
