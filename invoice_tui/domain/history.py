"""R15/R16: property changes and activities — append-only, hash-chained, written inside the
transaction of the change they record.

Each row stores ``prev_hash`` (the hash of the previous row of its chain) and ``hash`` =
SHA-256 over ``prev_hash`` and the row's canonical content, so rewriting, deleting, inserting or
reordering rows behind the app's back breaks the chain (``verify_chain``).

An object's creation is ONE property-change row (R15): property ``created``, no old value, and as
new value its whole snapshot — every tracked property, unset ones as ``null`` — in canonical JSON
(:func:`creation_value`). Every later change is one row per property (old → new). So the creation
row is the baseline a replay of the object's history starts from: :func:`expand` gives it back as
one (property, None, value) step per property, and applying the steps of every row in id order
(each step's old value must equal the replayed one) rebuilds the object's current properties.
Workspaces written before the creation row existed hold one row per property instead (old
``None``); the same replay, started from an empty object, reads both. History is never rewritten.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from invoice_tui.db import database, is_postgres
from invoice_tui.db.models import Activity, ChainHead, PropertyChange
from invoice_tui.domain.context import Context
from invoice_tui.i18n import _, ngettext

GENESIS = "0" * 64
CHAINS = ("property_change", "activity")

PROPERTY_CHANGE_FIELDS = ("object_type", "object_id", "invoice_number", "property", "old_value",
                          "new_value", "user_login", "source", "created_at")
ACTIVITY_FIELDS = ("invoice_id", "invoice_number", "kind", "text", "user_login", "created_at",
                   "due_date", "ref_id")


# The canonical content of a row: ``json.dumps(content, sort_keys=True, separators=(",", ":"),
# ensure_ascii=False)`` with dates and datetimes in ISO form — spelled out per type, so that a
# bulk writer encodes millions of rows at the cost of a few C calls each. Strings go through the
# very function json.dumps uses for them; other types through json.dumps itself.
_js = json.encoder.encode_basestring
_ENCODE: dict[type, Any] = {
    str: _js, int: int.__repr__, type(None): lambda v: "null",
    bool: lambda v: "true" if v else "false",
    dt.datetime: lambda v: _js(v.isoformat()), dt.date: lambda v: _js(v.isoformat()),
}


def _encode(value: Any) -> str:
    enc = _ENCODE.get(type(value))
    if enc is not None:
        return enc(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return _js(value.isoformat())
    return json.dumps(value, ensure_ascii=False)


def _display_encode(value: Any) -> str:
    """A property value as history writes it (:func:`display`), encoded."""
    shown = display(value)
    return "null" if shown is None else _js(shown)


# The same, per type: what display() gives, encoded (a bool as the string "true", a number as its
# text); other types, subclasses included, through display() itself.
_DISPLAY_ENCODE: dict[type, Any] = {
    str: _js, type(None): lambda v: "null", bool: lambda v: '"true"' if v else '"false"',
    int: lambda v: _js(str(v)), dt.datetime: lambda v: _js(v.isoformat()), dt.date: lambda v: _js(v.isoformat()),
}


def canonical_time(stored: str) -> str:
    """A timestamp as stored (``YYYY-MM-DD HH:MM:SS``, how peewee writes a naive datetime) in the
    form the chain hashes it (``datetime.isoformat``), for writers that hold it as text."""
    return stored[:10] + "T" + stored[11:]


@functools.lru_cache(maxsize=64)
def _layout(fields: tuple[str, ...], shared: tuple[str, ...]) -> tuple[tuple[tuple, ...], tuple[int, ...], tuple]:
    """Where each key goes in the canonical (sorted) form: before each of ``fields``' values, the
    text to write — pieces of fixed text and (as ints) the positions of shared values — and the
    pieces after the last."""
    heads, slots, pending = [], [], ["{"]
    for n, key in enumerate(sorted(fields + shared)):
        pending.append(("," if n else "") + _js(key) + ":")
        if key in shared:
            pending.append(shared.index(key))
        else:
            heads.append(tuple(pending))
            slots.append(fields.index(key))
            pending = []
    pending.append("}")
    return tuple(heads), tuple(slots), tuple(pending)


@functools.lru_cache(maxsize=64)
def _encoder(fields: tuple[str, ...], shared: tuple[str, ...], skip: int = 0, times: tuple[str, ...] = (),
             displayed: bool = False) -> Callable[[Iterable[tuple], list[str]], list[str]]:
    """A function (rows, encoded shared values) → canonical contents, compiled once per layout
    (as ``dataclasses`` compiles its methods): one expression per row, no loop over the fields;
    each row's values start after its first ``skip`` ones; the values of ``times`` are stored
    times (text), encoded in their canonical form (:func:`canonical_time`, spelled inline);
    ``displayed``: each value as history writes it (:func:`display`), then encoded."""
    heads, slots, tail = _layout(fields, shared)

    def piece(p) -> str:  # a piece of an f-string: a shared value, or fixed text (braces doubled)
        return f"{{v[{p}]}}" if isinstance(p, int) else repr(p.replace("{", "{{").replace("}", "}}"))[1:-1]

    parts: list[str] = []
    for head, i in zip(heads, slots):
        parts += [piece(p) for p in head]
        if fields[i] in times:  # canonical_time(): stored[:10] + "T" + stored[11:], a string
            parts.append(f"{{js(r[{i + skip}][:10] + T + r[{i + skip}][11:])}}")
        else:
            parts.append(f"{{(get(type(r[{i + skip}])) or enc)(r[{i + skip}])}}")
    parts += [piece(p) for p in tail]
    return eval(f"lambda rows, v: [f'{''.join(parts)}' for r in rows]",  # noqa: S307 - our own text
                {"get": (_DISPLAY_ENCODE if displayed else _ENCODE).get,
                 "enc": _display_encode if displayed else _encode, "js": _js, "T": "T"})


def payloads(fields: tuple[str, ...], rows: Iterable[Sequence], shared: Mapping[str, Any] | None = None, *,
             skip: int = 0, times: tuple[str, ...] = ()) -> list[str]:
    """The canonical content of many rows (what :func:`row_hash` hashes after the previous hash):
    each row a sequence of values in ``fields`` order (after its first ``skip`` values, which are
    not content: a stored row's id and links; values after the fields are not read); ``shared``
    gives the values every row has in common (e.g. the object, user and time of one change),
    encoded once; ``times`` names fields whose values are times as stored (``YYYY-MM-DD
    HH:MM:SS`` text), hashed in their canonical form (:func:`canonical_time`)."""
    names = tuple(shared or ())
    return _encoder(tuple(fields), names, skip, tuple(times))(rows, [_encode(shared[k]) for k in names] if names
                                                              else [])


def link(prev_hash: str, content: str) -> str:
    """A row's hash: SHA-256 over the previous row's hash and the row's canonical content."""
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def link_utf8(prev_hash: str, content: bytes) -> str:
    """:func:`link` of a content given as its UTF-8 bytes, as a bulk copy reads it from SQLite
    (``CAST(payload AS BLOB)``: no decoding into a string and encoding back, per row)."""
    return hashlib.sha256(prev_hash.encode("ascii") + content).hexdigest()


def chain(prev_hash: str, contents: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Chain rows given their canonical contents: (prev_hash, hash) of each, in order (the last
    hash is the chain's new head)."""
    sha = hashlib.sha256
    for payload in contents:
        h = sha((prev_hash + payload).encode("utf-8")).hexdigest()  # link(), inline: millions of rows
        yield prev_hash, h
        prev_hash = h


def row_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    fields = tuple(content)
    payload = payloads(fields, [tuple(content[f] for f in fields)])[0]
    return next(chain(prev_hash, [payload]))[1]


def _lock_heads(names: Iterable[str]) -> tuple[dict[str, ChainHead], bool]:
    """Read (on PostgreSQL: lock) the heads of ``names`` in one statement, always in the same
    order — property_change before activity — so two writers never wait for each other in a
    circle. Also says whether the database advances the heads itself: on PostgreSQL a teammate's
    role may not write them, and a trigger checks each of its rows and moves the head (R53); the
    owner's and a superuser's writes move the heads here, as on SQLite."""
    wanted = sorted(set(names), key=CHAINS.index)
    by_database = False
    if is_postgres() and _has_lock_function(database.obj):
        # Through a SECURITY DEFINER function: teammates may lock the heads, not update them.
        rows = database.obj.execute_sql(
            "SELECT name, hash, count, invoice_tui_is_teammate() FROM invoice_tui_lock_chains(%s)",
            (list(wanted),)).fetchall()
        heads = {name: ChainHead(name=name, hash=hash_, count=count) for name, hash_, count, _ in rows}
        by_database = bool(rows and rows[0][3])
    else:
        query = ChainHead.select().where(ChainHead.name.in_(wanted)).order_by(ChainHead.name.desc())
        if is_postgres():  # a workspace older than migration 0005 (only while it is being migrated)
            query = query.for_update()
        heads = {head.name: head for head in query}
    for name in wanted:
        if name not in heads:
            heads[name] = ChainHead.create(name=name, hash=GENESIS, count=0)
    return heads, by_database


def _has_lock_function(db) -> bool:
    """Whether migration 0005's chain lock exists (remembered once it does)."""
    if getattr(db, "_invoice_tui_chain_lock", False):
        return True
    found = db.execute_sql("SELECT to_regprocedure('invoice_tui_lock_chains(text[])') IS NOT NULL").fetchone()[0]
    if found:
        db._invoice_tui_chain_lock = True
    return bool(found)


def lock_heads() -> dict[str, ChainHead]:
    """Lock both chain heads, always in the same order (no deadlock between writers)."""
    return _lock_heads(CHAINS)[0]


_CHAIN_MODELS = {"property_change": (PropertyChange, PROPERTY_CHANGE_FIELDS), "activity": (Activity, ACTIVITY_FIELDS)}


def append(**chains: list[dict[str, Any]]) -> None:
    """Append rows to chains (``property_change=[…]``, ``activity=[…]``): each row gets the hash
    of the row before it and its own (and its id, when a chain gets one row); the heads move on.
    One read of the heads for all."""
    chains = {name: rows for name, rows in chains.items() if rows}
    if not chains:
        return
    heads, by_database = _lock_heads(chains)
    for name in sorted(chains, key=CHAINS.index):
        rows = chains[name]
        model, fields = _CHAIN_MODELS[name]
        prev = heads[name].hash
        contents = payloads(fields, [tuple(row.get(f) for f in fields) for row in rows])
        for row, (before, own) in zip(rows, chain(prev, contents)):
            row["prev_hash"], row["hash"] = before, own
        prev = rows[-1]["hash"]
        if len(rows) == 1:  # one row (most writes): its id given back in it
            rows[0]["id"] = model.insert(rows[0]).execute()
        else:
            model.insert_many(rows).execute()
        if not by_database:
            ChainHead.update(hash=prev, count=ChainHead.count + len(rows)).where(ChainHead.name == name).execute()


class BulkChains:
    """Chains continued by bulk writes (:func:`append` for many rows, R52's import): the heads
    read (on PostgreSQL: locked) once, each batch of rows chained in memory and handed to a
    ``db.bulk.Writer`` (which may write them from its thread, in order), and the heads stored by
    :meth:`close` — unless the database moves them itself (a teammate's rows, R53)."""

    def __init__(self, names: Iterable[str] = CHAINS) -> None:
        heads, self.by_database = _lock_heads(names)
        self.heads = {name: head.hash for name, head in heads.items()}
        self.added = dict.fromkeys(self.heads, 0)

    def add(self, writer, **chains: list[tuple]) -> None:
        from invoice_tui.db.bulk import Table

        for name in sorted(chains, key=CHAINS.index):
            rows = chains[name]
            if not rows:
                continue
            model, fields = _CHAIN_MODELS[name]
            table = Table(model, [*fields, "prev_hash", "hash"])
            links = list(chain(self.heads[name], payloads(fields, rows)))
            writer.write(table, table.db_rows([(*row, before, own) for row, (before, own) in zip(rows, links)]))
            self.heads[name] = links[-1][1]
            self.added[name] += len(rows)

    def close(self) -> None:
        """Store the heads (after the writer wrote the rows)."""
        for name, count in self.added.items():
            if count and not self.by_database:
                ChainHead.update(hash=self.heads[name], count=ChainHead.count + count).where(
                    ChainHead.name == name).execute()
        self.added = dict.fromkeys(self.heads, 0)


def display(value: Any) -> str | None:
    """How a property value is written in history (None stays None)."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """(property, old, new) as history writes them, for each property of ``after`` whose value
    differs from ``before``'s, in ``after``'s order."""
    out = []
    for prop in after:
        old, new = display(before.get(prop)), display(after[prop])
        if old != new:
            out.append((prop, old, new))
    return out


# ---- one row per write: creations and changes of several properties --------------------------
CREATED = "created"  # the property of a creation row (no snapshot has a property of that name)
CHANGED = "changed"  # the property of a row recording one write that changed several properties

Step = tuple[str, "str | None", "str | None"]  # (property, old, new)


def object_json(values: Mapping[str, Any]) -> str:
    """Properties as a row holds several (a creation's snapshot, a write's old or new values):
    each as history writes it (:func:`display`, unset ones ``null``), in canonical JSON — what
    ``json.dumps(…, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` writes."""
    return objects_json([values])[0]


def objects_json(many: Sequence[Mapping[str, Any]]) -> list[str]:
    """:func:`object_json` of many mappings, those with the same properties encoded together
    (by :func:`payloads`' compiled encoder, each value as :func:`display` writes it)."""
    out: list[str] = [""] * len(many)
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, values in enumerate(many):
        groups.setdefault(tuple(values), []).append(i)
    for keys, where in groups.items():
        texts = _encoder(keys, (), displayed=True)([tuple(many[i].values()) for i in where], [])
        for i, text in zip(where, texts):
            out[i] = text
    return out


def creation_value(snapshot: Mapping[str, Any]) -> str:
    """An object's whole snapshot as its creation row holds it (unset properties included)."""
    return object_json(snapshot)


def write_row(steps: Sequence[Step]) -> tuple[str, Any, Any]:
    """The (property, old, new) of the one row recording a write's ``steps`` (:func:`changes`):
    the step itself when one property changed, else a ``changed`` row whose old and new values
    are the properties' old and new values (as mappings, for :func:`object_json`)."""
    if len(steps) == 1:
        return steps[0]
    return CHANGED, {p: old for p, old, _ in steps}, {p: new for p, _, new in steps}


_scan_once = json.JSONDecoder().scan_once  # json.loads without its wrappers (the replay reads ~1M of these)
_STR_OR_NONE = frozenset((str, type(None)))
_NOTHING = object()


def _json_object(text: str | None) -> dict[str, str | None] | None:
    if text is None:
        return None
    value = _NOTHING
    if type(text) is str:
        try:
            value, end = _scan_once(text, 0)
        except (StopIteration, ValueError):
            end = -1
        if end != len(text):  # not one JSON value filling the text: json.loads decides
            value = _NOTHING
    if value is _NOTHING:
        try:
            value = json.loads(text)
        except ValueError:
            return None
    if isinstance(value, dict) and _STR_OR_NONE.issuperset(map(type, value.values())):
        return value
    return None


def expand(prop: str, old: str | None, new: str | None) -> list[Step]:
    """A stored row as replay steps (property, old, new), in the order of its properties' names:
    a creation row gives one step per property of its snapshot, from ``None`` to its value
    (``None`` included: the baseline names every property); a ``changed`` row one step per
    property it changed; any other row is its own one step. A ``created`` or ``changed`` row
    that does not hold what the app writes there (written behind its back) stays one step, as
    stored: the audit's chain says whether it was tampered with, and readers never fail on it."""
    if prop == CREATED and old is None:
        snap = _json_object(new)
        if snap is not None:
            return [(p, None, v) for p, v in snap.items()]
    elif prop == CHANGED:
        olds, news = _json_object(old), _json_object(new)
        if olds is not None and news is not None and olds.keys() == news.keys():
            return [(p, olds[p], news[p]) for p in news]
    return [(prop, old, new)]


def fold_rows(state: dict[str, str | None], rows: Iterable[tuple[str, str | None, str | None]]) -> None:
    """Apply stored (property, old, new) rows to ``state`` as :func:`expand` reads them, without
    checking the old values (the audit's replay compares the result with the row instead): a
    creation row sets every property of its snapshot, a ``changed`` row each property it changed,
    any other row its one property. The same reading as :func:`expand`, in bulk."""
    for prop, old, new in rows:
        if prop == CREATED and old is None or prop == CHANGED:
            if prop == CREATED:
                snap = _json_object(new)
                if snap is not None:
                    state.update(snap)
                    continue
            else:
                olds, news = _json_object(old), _json_object(new)
                if olds is not None and news is not None and olds.keys() == news.keys():
                    state.update(news)
                    continue
        state[prop] = new


def replay_step(state: dict[str, str | None], prop: str, old: str | None, new: str | None) -> list[str]:
    """Replay one stored row onto ``state`` (an object's properties as its history tells them, from
    ``{}`` before its first row: a creation row then sets every property, its baseline); returns
    the properties whose recorded old value is not the replayed one (a write the history missed)."""
    missed = []
    for p, before, after in expand(prop, old, new):
        if state.get(p) != before:
            missed.append(p)
        state[p] = after
    return missed


@dataclass(frozen=True)
class Entry:
    """One property's change as history shows it (R15): a stored row, or one property of a
    creation row (``created``) or of a ``changed`` row (``id`` is then that row's)."""

    id: int
    object_type: str
    object_id: int
    invoice_number: str | None
    property: str
    old_value: str | None
    new_value: str | None
    user_login: str
    source: str
    created_at: dt.datetime
    created: bool = False


def entries(object_type: str, object_id: int, prop: str | None = None) -> list[Entry]:
    """R15: an object's property changes, oldest first, each row holding several shown property
    by property (a creation's unset properties omitted: they never were a change); only
    ``prop``'s if given."""
    q = PropertyChange.select().where((PropertyChange.object_type == object_type)
                                      & (PropertyChange.object_id == object_id))
    if prop:
        q = q.where(PropertyChange.property.in_([prop, CREATED, CHANGED]))
    out = []
    for row in q.order_by(PropertyChange.id):
        steps = expand(row.property, row.old_value, row.new_value)
        created = row.property == CREATED and steps[:1] != [(row.property, row.old_value, row.new_value)]
        for p, old, new in steps:
            if (prop is None or p == prop) and (old is not None or new is not None):
                out.append(Entry(row.id, row.object_type, row.object_id, row.invoice_number, p, old, new,
                                 row.user_login, row.source, row.created_at, created))
    return out


def _row(ctx: Context, object_type: str, object_id: int, invoice_number: str | None, prop: str,
         old: str | None, new: str | None) -> dict[str, Any]:
    return dict(object_type=object_type, object_id=object_id, invoice_number=invoice_number, property=prop,
                old_value=old, new_value=new, user_login=ctx.login, source=ctx.source, created_at=ctx.now())


def creation_row(ctx: Context, object_type: str, object_id: int, invoice_number: str | None,
                 snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The one row recording an object's creation with its whole ``snapshot`` (not yet written)."""
    return _row(ctx, object_type, object_id, invoice_number, CREATED, None, creation_value(snapshot))


def record_creation(ctx: Context, object_type: str, object_id: int, invoice_number: str | None,
                    snapshot: Mapping[str, Any]) -> None:
    """Write an object's creation row (its snapshot: the baseline of its history)."""
    append(property_change=[creation_row(ctx, object_type, object_id, invoice_number, snapshot)])


def change_rows(ctx: Context, object_type: str, object_id: int, invoice_number: str | None,
                before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The row recording a write from ``before`` to ``after`` (only ``after``'s properties are
    compared): none if nothing differs, one otherwise (:func:`write_row`); not yet written."""
    return _write_rows(ctx, object_type, object_id, invoice_number, changes(before, after))


def _write_rows(ctx: Context, object_type: str, object_id: int, invoice_number: str | None,
                steps: Sequence[Step]) -> list[dict[str, Any]]:
    if not steps:
        return []
    prop, old, new = write_row(steps)
    if prop == CHANGED:
        old, new = object_json(old), object_json(new)
    return [_row(ctx, object_type, object_id, invoice_number, prop, old, new)]


def activity_row(ctx: Context, invoice_id: int, invoice_number: str | None, kind: str, text: str = "",
                 *, due_date: dt.date | None = None, ref_id: int | None = None) -> dict[str, Any]:
    return dict(invoice_id=invoice_id, invoice_number=invoice_number, kind=kind, text=text,
                user_login=ctx.login, created_at=ctx.now(), due_date=due_date, ref_id=ref_id)


def record_changes(ctx: Context, object_type: str, object_id: int, invoice_number: str | None,
                   before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Record a write (one row, :func:`change_rows`); returns the properties it changed."""
    steps = changes(before, after)
    append(property_change=_write_rows(ctx, object_type, object_id, invoice_number, steps))
    return [p for p, _, _ in steps]


def add_activity(ctx: Context, invoice_id: int, invoice_number: str | None, kind: str, text: str = "",
                 *, due_date: dt.date | None = None, ref_id: int | None = None) -> Activity:
    row = activity_row(ctx, invoice_id, invoice_number, kind, text, due_date=due_date, ref_id=ref_id)
    append(activity=[row])
    return Activity.get_by_id(row["id"])


def chain_rows(name: str) -> Iterable:
    model = PropertyChange if name == "property_change" else Activity
    return model.select().order_by(model.id).iterator()


def verify_chain(name: str) -> tuple[bool, int | None, str]:
    """Walk one chain; return (ok, id of the first broken row, explanation)."""
    model, fields = ((PropertyChange, PROPERTY_CHANGE_FIELDS) if name == "property_change"
                     else (Activity, ACTIVITY_FIELDS))
    prev = GENESIS
    count = 0
    for row in chain_rows(name):
        content = {f: getattr(row, f) for f in fields}
        if row.prev_hash != prev:
            return False, row.id, _("{name} row {id} does not follow the row before it").format(name=name, id=row.id)
        if row_hash(prev, content) != row.hash:
            return False, row.id, _("{name} row {id} was changed after it was written").format(name=name, id=row.id)
        prev = row.hash
        count += 1
    head = ChainHead.get_or_none(ChainHead.name == name)
    if head is not None and (head.hash != prev or head.count != count):
        return False, None, _("the last rows of {name} were removed").format(name=name)
    return True, None, ngettext("{count} {name} row intact", "{count} {name} rows intact", count).format(count=count,
                                                                                                      name=name)
