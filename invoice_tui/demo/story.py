"""The demo's history: what the services write as each object lives (R15 property changes, R16
activities), built in bulk through :mod:`invoice_tui.domain.history` — its diff
(:func:`history.changes`), its creation rows (:func:`history.creation_value`), its canonical
content (:func:`history.payloads`) and its chain (:func:`history.chain`) — from the services' own snapshots (``invoices.snapshot``,
``invoices._payment_snapshot``, ``people._contact_snapshot``, ``people._company_snapshot``).

Rows are collected where they are generated, and chained there too (in the worker processes:
:class:`Links`, each segment from the heads the segment before it hands on); the copy into the
workspace then only reads the links (:class:`Chain`): a chain is one sequence.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Mapping

from invoice_tui.domain import history, invoices, people

SOURCE = "demo"  # the history's source for rows the demo wrote (the services write cli, tui, web…)

# Columns of the scratch tables: an activity (ref_id is always empty) and a property change; each
# with a table of its rows' links (``event_link``, ``change_link``: prev, hash), row for row.
EVENT_COLUMNS = ["invoice_id", "number", "kind", "text", "login", "created", "due"]
CHANGE_COLUMNS = ["object_type", "object_id", "number", "property", "old", "new", "login", "created"]
LINK_COLUMNS = ["prev", "hash"]
CHAIN_OF = {"event": "activity", "change": "property_change"}  # scratch table → its chain
_EVENT_FIELDS = ("invoice_id", "invoice_number", "kind", "text", "user_login", "created_at", "due_date")
_CHANGE_FIELDS = ("object_type", "object_id", "invoice_number", "property", "old_value", "new_value", "user_login",
                  "created_at")
assert set(_EVENT_FIELDS) | {"ref_id"} == set(history.ACTIVITY_FIELDS)
assert set(_CHANGE_FIELDS) | {"source"} == set(history.PROPERTY_CHANGE_FIELDS)

# How the rows land in the workspace (by target column, over the scratch tables ``e`` and their
# links ``l``; ``{base}`` is the id before the file's first row).
ACTIVITY_EXPRS = {"id": "e.rowid + {base}", "invoice_id": "e.invoice_id", "invoice_number": "e.number",
                  "kind": "e.kind", "text": "e.text", "user_login": "e.login", "created_at": "e.created",
                  "due_date": "e.due", "ref_id": "NULL", "prev_hash": "l.prev", "hash": "l.hash"}
CHANGE_EXPRS = {"id": "e.rowid + {base}", "object_type": "e.object_type", "object_id": "e.object_id",
                "invoice_number": "e.number", "property": "e.property", "old_value": "e.old", "new_value": "e.new",
                "user_login": "e.login", "created_at": "e.created", "prev_hash": "l.prev", "hash": "l.hash",
                "source": f"'{SOURCE}'"}  # rows in memory: (id, the CHANGE_COLUMNS, links, source)


class Story:
    """History rows in the order they happen: ``events`` (invoice id, number, kind, text, login,
    stored time, due date) appended by the caller, and property changes by :meth:`change` and
    :meth:`create` — one row per write, as ``history.record_changes`` and
    ``history.record_creation`` write them. Their canonical contents (and the JSON of rows holding
    several properties) are encoded a chunk at a time, by :meth:`take_events` and
    :meth:`take_changes`: a few C calls per row. Both give the rows and, apart, their contents."""

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

    def take_events(self) -> tuple[list[tuple], list[str]]:
        """The events so far and their canonical contents (then forgotten here)."""
        events, self.events = self.events, []
        return events, history.payloads(_EVENT_FIELDS, events, {"ref_id": None}, times=("created_at",))

    def take_changes(self) -> tuple[list[list], list[str]]:
        """The property changes so far and their canonical contents (then forgotten here)."""
        changes, objects, self.changes, self._objects = self.changes, self._objects, [], []
        mappings = [(i, col) for i in objects for col in (4, 5) if changes[i][col] is not None]
        for (i, col), text in zip(mappings, history.objects_json([changes[i][col] for i, col in mappings])):
            changes[i][col] = text
        return changes, history.payloads(_CHANGE_FIELDS, changes, {"source": SOURCE}, times=("created_at",))


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
class Links:
    """A segment's links, computed where its rows are generated (R16): each chain goes on from
    the heads the segment before hands on (``receive(block)``: those heads, or None while they
    have not arrived and ``block`` is false), and this segment hands its own on (``send``).
    Contents whose links cannot be computed yet are kept until the heads arrive (polled as each
    chunk is added), so a worker process waits for them at most once, at its segment's end.
    Each scratch table's links go, row for row, to its ``…_link`` table of ``out``."""

    def __init__(self, out, receive: Callable[[bool], dict[str, str] | None],
                 send: Callable[[dict[str, str]], None]) -> None:
        self.out, self._receive, self._send = out, receive, send
        self.heads: dict[str, str] | None = None
        self._waiting: list[tuple[str, list[str]]] = []

    def add(self, table: str, contents: list[str]) -> None:
        """Chain the contents of rows just written to ``table`` (``event`` or ``change``)."""
        self._waiting.append((table, contents))
        if self.heads is None:
            self.heads = self._receive(False)
        if self.heads is not None:
            self._flush()

    def _flush(self) -> None:
        heads = self.heads
        for table, contents in self._waiting:
            name = CHAIN_OF[table]
            links = list(history.chain(heads[name], contents))
            if links:
                heads[name] = links[-1][1]
                self.out.insert(f"{table}_link", links)
        self._waiting = []

    def finish(self) -> dict[str, str]:
        """Chain what is left (waiting for the heads if need be) and hand the heads on."""
        if self.heads is None:
            self.heads = self._receive(True)
        self._flush()
        self._send(dict(self.heads))
        return dict(self.heads)


class Chain:
    """One history chain continued in order (R16), from ``head`` after row ``last_id``, as the
    workspace receives its rows: a segment's rows come linked (:class:`Links`; :meth:`exprs`
    copies them and moves the head to where that segment left it), rows in memory are linked
    here (:meth:`add_rows`)."""

    def __init__(self, name: str, head: str, last_id: int) -> None:
        self.name, self.head, self.last_id = name, head, last_id
        self.first_id = last_id

    @property
    def added(self) -> int:
        return self.last_id - self.first_id

    def exprs(self, exprs: Mapping[str, str], count: int, head: str) -> dict[str, str]:
        """A copy's column expressions for a segment's ``count`` rows, whose last links to
        ``head`` (the file's base id, ``{base}``, where the expressions name it)."""
        out = {c: x.format(base=int(self.last_id)) for c, x in exprs.items()}
        self.last_id += count
        self.head = head
        return out

    def add_rows(self, rows: list, contents: list[str]) -> list[tuple]:
        """``rows`` with their ``contents``: each given back with its id first and its links last."""
        chained = [(i, *row, before, own) for i, (row, (before, own))
                   in enumerate(zip(rows, history.chain(self.head, contents)), self.last_id + 1)]
        if chained:
            self.last_id, self.head = chained[-1][0], chained[-1][-1]
        return chained
