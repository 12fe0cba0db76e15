"""R21 saved views, and the invoice index's paged reads (no textual here).

Views
-----
A view saves filters (an R20 ``FilterSet``), columns (catalogue ids, chosen and ordered) and a sort
(a catalogue id, ``-`` for descending), by name, private or shared. Decisions (SPEC is silent):

- every workspace user may save private views; sharing a view with the team needs the ``edit``
  permission (or super admin);
- a private view is seen and changed by its owner only; a shared view is seen by everyone and
  changed (saved, renamed, unshared, deleted) by its owner or a super admin; the team's default
  views (no owner: "Overdue", "Drafts", "Mine", seeded by migration 0002) by super admins;
- a name is unique among the views a user sees (case-insensitive), 1–60 characters;
- "All invoices" is not stored: no filter, the default columns, newest first.

Pages
-----
``page(...)`` reads one page of the index by keyset (``(sort key, id)`` after or before a key,
``ORDER BY key, id LIMIT n``); ``anchor_key(...)`` finds the key of row *n* with an OFFSET over
the (sort key, id) columns only (an index-only scan), from whichever end is nearer; ``count_and_totals``
(one ``GROUP BY currency``: per-currency totals, the count their sum) gives the status line and
the table's row count. NULL sort keys are handled in each backend's own order
(SQLite: lowest; PostgreSQL: highest), so every query stays an index range scan.

All of them run SQL compiled once per query by ``prepare`` (``domain.index_sql``): the index
holds the prepared query while it shows it and reads each page with plain SQL (issue 7).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import peewee as pw

from invoice_tui.db.models import Invoice, User
from invoice_tui.db.views_models import SavedView
from invoice_tui.domain import catalogue, index_sql
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, NotFound, PermissionDenied
from invoice_tui.domain.filters import FilterSet, check_limits, compile_filters
from invoice_tui.domain.index_query import DEFAULT_SORT, CurrencyTotal, IndexQuery, Key, sql_context
from invoice_tui.domain.permissions import has, require
from invoice_tui.domain.text import clean
from invoice_tui.domain.tx import mutation
from invoice_tui.i18n import N_, _

ALL_INVOICES = "All invoices"
MAX_COLUMNS = 40


@dataclass(kw_only=True)
class ViewSpec:
    """What a view shows; ``id`` is None for "All invoices" and for unsaved views. A plain value
    built by the services (not input to validate): the index's tabs read them before the first
    paint, without pydantic (issue 16)."""

    id: int | None = None
    name: str = ALL_INVOICES
    filters: FilterSet = field(default_factory=FilterSet)
    columns: list[str] = field(default_factory=lambda: list(catalogue.DEFAULT_COLUMNS))
    sort: str = DEFAULT_SORT
    shared: bool = False
    owner: str | None = None  # login; None for the team's default views
    editable: bool = True  # may the acting user save over / rename / delete it

    def __post_init__(self) -> None:
        self.columns = list(self.columns)  # never shared with the caller's list

    def same_content(self, other: "ViewSpec") -> bool:
        return self.filters == other.filters and self.columns == other.columns and self.sort == other.sort

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def all_invoices_view() -> ViewSpec:
    return ViewSpec()


# The names of the built-in view and of the team's views seeded by migration 0002, stored in English:
# shown in the reader's language while nobody has renamed them.
BUILT_IN_NAMES = {ALL_INVOICES: N_("All invoices"), "Overdue": N_("Overdue"), "Drafts": N_("Drafts"),
                  "Mine": N_("Mine")}


def shown_name(view: ViewSpec) -> str:
    """A view's name as the reader sees it: a name the user gave is data (shown as it is); the
    built-in "All invoices" and the seeded team views' names are the reader's language's."""
    if view.id is None or (view.owner is None and view.name in BUILT_IN_NAMES):
        return _(BUILT_IN_NAMES.get(view.name, view.name))
    return view.name


# ---- validation ------------------------------------------------------------------------------
def check_name(name: str) -> str:
    try:
        text = clean(name or "", what="View name", max_length=60)
    except ValueError as exc:
        raise BadInput(str(exc) + ".", field="name") from None
    if not text:
        raise BadInput(_("A view needs a name."), field="name")
    if text.casefold() in (ALL_INVOICES.casefold(), _(ALL_INVOICES).casefold()):
        raise BadInput(_("'{name}' is the built-in view; choose another name.").format(name=_(ALL_INVOICES)),
                       field="name")
    return text


def check_columns(columns: Sequence[str]) -> list[str]:
    cols = [c.strip() for c in columns if c and c.strip()]
    if not cols:
        raise BadInput(_("A view shows at least one column."), field="columns")
    if len(cols) > MAX_COLUMNS:
        raise BadInput(_("A view shows at most {n} columns.").format(n=MAX_COLUMNS), field="columns")
    seen: set[str] = set()
    for c in cols:
        catalogue.get(c)
        if c in seen:
            raise BadInput(_("The column '{column}' appears twice.").format(column=catalogue.get(c).label()),
                           field="columns")
        seen.add(c)
    return cols


def check_sort(sort: str | None) -> str:
    key = (sort or DEFAULT_SORT).strip()
    prop = catalogue.get(key.lstrip("-"))
    if not prop.sortable:
        raise BadInput(_("{column} cannot be sorted.").format(column=prop.label()), field="sort")
    return key


def check_filters(ctx: Context, filters: FilterSet | dict | None) -> FilterSet:
    if filters is None:
        return FilterSet()
    if isinstance(filters, dict):
        filters = FilterSet.validate(filters)  # pydantic, loaded by the first write that needs it
    check_limits(filters)
    compile_filters(filters, sql_context(ctx))  # operators and values are checked here
    return filters


# ---- reading views ---------------------------------------------------------------------------
def _visible(ctx: Context) -> pw.Expression:
    cond = SavedView.shared == True  # noqa: E712 - SQL
    if ctx.user is not None:
        cond = cond | (SavedView.owner == ctx.user.id)
    return cond


def _may_change(ctx: Context, view: SavedView) -> bool:
    if ctx.user is None:
        return False
    if has(ctx, "super_admin"):
        return True
    return view.owner_id == ctx.user.id


def to_spec(ctx: Context, view: SavedView) -> ViewSpec:
    try:
        filters = FilterSet.from_stored(view.filters)
    except ValueError:
        filters = FilterSet()
    try:
        columns = [c for c in json.loads(view.columns or "[]") if c in catalogue.BY_ID]
    except ValueError:
        columns = []
    sort = view.sort if (view.sort or "").lstrip("-") in catalogue.BY_ID else DEFAULT_SORT
    owner = User.get_or_none(User.id == view.owner_id) if view.owner_id else None
    return ViewSpec(id=view.id, name=view.name, filters=filters, columns=columns or list(catalogue.DEFAULT_COLUMNS),
                    sort=sort, shared=view.shared, owner=owner.login if owner else None,
                    editable=_may_change(ctx, view))


def list_views(ctx: Context) -> list[ViewSpec]:
    """The views ``ctx`` sees, in tab order: shared ones first, then private ones."""
    require(ctx, "view")
    rows = (SavedView.select().where(_visible(ctx))
            .order_by(SavedView.shared.desc(), SavedView.position, SavedView.id))
    return [to_spec(ctx, v) for v in rows]


def _get(ctx: Context, view_id: int) -> SavedView:
    view = SavedView.select().where((SavedView.id == view_id) & _visible(ctx)).first()
    if view is None:
        raise NotFound(_("No view with id {id}.").format(id=view_id))
    return view


def get_view(ctx: Context, ref: int | str) -> ViewSpec:
    """A view by id or by name (case-insensitive)."""
    require(ctx, "view")
    text = str(ref).strip()
    if text.isdigit():
        return to_spec(ctx, _get(ctx, int(text)))
    for v in SavedView.select().where(_visible(ctx)):
        if v.name.casefold() == text.casefold():
            return to_spec(ctx, v)
    raise NotFound(_("No view named '{name}'.").format(name=text))


def _check_unique(ctx: Context, name: str, except_id: int | None = None) -> None:
    for v in SavedView.select().where(_visible(ctx)):
        if v.id != except_id and v.name.casefold() == name.casefold():
            raise BadInput(_("A view named '{name}' already exists; choose another name.").format(name=v.name),
                           field="name")


def _require_change(ctx: Context, view: SavedView) -> None:
    if ctx.user is None:
        require(ctx, "edit")  # raises the "may only view" sentence
    if not _may_change(ctx, view):
        if view.owner_id is None:
            sentence = _("The view '{name}' is shared by the team; only a super admin can change it. "
                         "Save your changes as a new view instead.")
        else:
            sentence = _("The view '{name}' is shared by the team; only its owner or a super admin can change it. "
                         "Save your changes as a new view instead.")
        raise PermissionDenied(sentence.format(name=view.name))


def _require_share(ctx: Context) -> None:
    if not has(ctx, "edit"):
        raise PermissionDenied(_("{login} lacks the 'edit' permission needed to share a view with the team; "
                                 "keep it private or ask a super admin.").format(login=ctx.login))


# ---- writing views ---------------------------------------------------------------------------
@mutation
def create_view(ctx: Context, name: str, *, filters: FilterSet | dict | None = None,
                columns: Sequence[str] | None = None, sort: str | None = None, shared: bool = False) -> ViewSpec:
    """Save a new view (R21)."""
    if ctx.user is None:
        raise PermissionDenied(_("'{login}' is not a user of this workspace and cannot save views.").format(
            login=ctx.login))
    name = check_name(name)
    fs = check_filters(ctx, filters)
    cols = check_columns(columns or catalogue.DEFAULT_COLUMNS)
    sort = check_sort(sort)
    if shared:
        _require_share(ctx)
    _check_unique(ctx, name)
    last = SavedView.select(pw.fn.MAX(SavedView.position)).scalar() or 0
    now = ctx.now()
    view = SavedView.create(name=name, owner=ctx.user.id, shared=bool(shared), filters=fs.to_json(),
                            columns=json.dumps(cols), sort=sort, position=last + 1, created_at=now, updated_at=now)
    return to_spec(ctx, view)


@mutation
def update_view(ctx: Context, view_id: int, *, name: str | None = None, filters: FilterSet | dict | None = None,
                columns: Sequence[str] | None = None, sort: str | None = None,
                shared: bool | None = None) -> ViewSpec:
    """Save over a view: only the arguments given change."""
    view = _get(ctx, view_id)
    _require_change(ctx, view)
    if name is not None:
        name = check_name(name)
        _check_unique(ctx, name, except_id=view.id)
        view.name = name
    if filters is not None:
        view.filters = check_filters(ctx, filters).to_json()
    if columns is not None:
        view.columns = json.dumps(check_columns(columns))
    if sort is not None:
        view.sort = check_sort(sort)
    if shared is not None and bool(shared) != view.shared:
        if shared:
            _require_share(ctx)
        elif view.owner_id is None:
            raise BadInput(_("'{name}' is one of the team's default views; it stays shared.").format(name=view.name),
                           field="shared")
        view.shared = bool(shared)
    view.updated_at = ctx.now()
    view.save()
    return to_spec(ctx, view)


def rename_view(ctx: Context, view_id: int, name: str) -> ViewSpec:
    return update_view(ctx, view_id, name=name)


def share_view(ctx: Context, view_id: int, shared: bool) -> ViewSpec:
    return update_view(ctx, view_id, shared=shared)


@mutation
def delete_view(ctx: Context, view_id: int) -> str:
    view = _get(ctx, view_id)
    _require_change(ctx, view)
    name = view.name
    view.delete_instance()
    return name


# ---- the index's reads -----------------------------------------------------------------------
# IndexQuery, Key and CurrencyTotal are ``domain.index_query``'s (imported above, as the CLI and
# the screens have always named them here).
def prepare(ctx: Context, q: IndexQuery, fields: Sequence[pw.Node] | None = None) -> index_sql.PreparedIndex:
    """``q`` compiled once for its page, count and totals reads (``domain.index_sql``): what the
    index holds for as long as it shows ``q``. Checks the view permission now, not per page."""
    return index_sql.prepare(ctx, q, fields)


_ROW_TYPES: dict[tuple, type] = {}


def _row_type(fields: Sequence[pw.Node]) -> type:
    from collections import namedtuple

    names = tuple(["id", *[getattr(f, "name", f"c{i}") for i, f in enumerate(fields) if f is not Invoice.id],
                   "sort_key"])
    cls = _ROW_TYPES.get(names)
    if cls is None:
        cls = _ROW_TYPES[names] = namedtuple("IndexRow", names)
    return cls


def page(ctx: Context, q: IndexQuery, *, after: Key | None = None, before: Key | None = None,
         start_at: Key | None = None, limit: int = 100,
         fields: Sequence[pw.Field] | None = None) -> list[tuple[Key, Any]]:
    """Up to ``limit`` rows in the index order: the first ones; those after ``after``; those
    starting at ``start_at`` (inclusive); or the ``limit`` rows just before ``before`` (returned in
    index order). Each row comes with its key, as a named tuple of ``fields`` (default: every
    invoice column) with the values as the driver gives them. The index itself holds a
    ``prepare``d query and reads plain tuples (issue 7)."""
    prepared = prepare(ctx, q, fields)
    cls = _row_type(prepared.fields)
    return [(prepared.key(r), cls._make(r))
            for r in prepared.page(after=after, before=before, start_at=start_at, limit=limit)]


def anchor_key(ctx: Context, q: IndexQuery, index: int, total: int) -> Key | None:
    """The key of row ``index`` (0-based) of ``total``, by OFFSET over the key columns from the
    nearer end (an index-only scan where the sort column is indexed)."""
    return prepare(ctx, q).anchor_key(index, total)


def count(ctx: Context, q: IndexQuery) -> int:
    return prepare(ctx, q).count()


def currency_totals(ctx: Context, q: IndexQuery) -> list[CurrencyTotal]:
    """Billed and balance totals per currency for the rows of ``q``. ``count`` counts every
    matching row; the sums leave voided invoices out (a voided invoice bills and owes nothing,
    whatever amounts it keeps for the record). One ``GROUP BY currency, status``."""
    return prepare(ctx, q).currency_totals()


def count_and_totals(ctx: Context, q: IndexQuery) -> tuple[int, list[CurrencyTotal]]:
    """The number of rows of ``q`` and its per-currency totals from one ``GROUP BY currency``
    query (the count is the sum of the per-currency counts): what the index's status line shows."""
    return prepare(ctx, q).count_and_totals()


def find_numbers(ctx: Context, text: str, limit: int = 10) -> list[tuple[int, str, str]]:
    """(id, number, contact) of invoices whose number starts with ``text`` (the palette's
    "Go to invoice")."""
    require(ctx, "view")
    t = (text or "").strip()
    if not t:
        return []
    query = (Invoice.select(Invoice.id, Invoice.number, Invoice.contact_name)
             .where(Invoice.number.startswith(t) | Invoice.number.startswith(t.upper()))
             .order_by(Invoice.number).limit(limit))
    return [(i.id, i.number, i.contact_name) for i in query]


def row_of(ctx: Context, q: IndexQuery, invoice_id: int) -> int | None:
    """The 0-based position of an invoice in the index (None when it does not match)."""
    return prepare(ctx, q).row_of(invoice_id)


def indexed_props() -> set[str]:
    return {p.id for p in catalogue.PROPERTIES if p.indexed}


def views_snapshot(views: Iterable[ViewSpec]) -> list[dict]:
    """Plain data for the CLI or tests."""
    return [v.to_dict() for v in views]
