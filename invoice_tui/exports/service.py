"""R22: export the current view, or all invoices, to CSV or XLSX — streaming.

One service function, :func:`run_export`, serves the TUI's export dialog, the CLI and the tests:

1. the view's filters and sort (plus any extra filters and the quick search) select the invoices
   through ``domain.invoices.query_invoices``, the same query the index shows;
2. one SQL statement yields every exported cell already converted (``columns``), read from an
   iterating cursor in batches — a server-side cursor on PostgreSQL — inside one read-only
   snapshot (a deferred transaction on SQLite, REPEATABLE READ on PostgreSQL), so the row count,
   the rows and the associations agree;
3. per batch, one query per requested association (contacts, companies, payments, line items),
   capped per invoice in SQL (``ROW_NUMBER() … <= limit``);
4. the writer appends each batch to a temporary file beside the destination and renames it onto
   the final name at the end; a cancel or a failure removes it;
5. the export is recorded in the export log.

Memory holds one batch, whatever the number of rows.

Decisions (SPEC is silent): the export needs the ``view`` permission (it reads); an unknown login
may export like it may view, and the export log still records it (the log is the workspace's
audit trail, not that user's data); a file name derived from the export name never replaces an
existing file ("name (2).csv" instead), an explicit ``--out FILE`` does; association lists keep
the first N records per invoice in a stable order (billing contact / main company first, then by
name; payments by date; line items by position).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

import peewee as pw
from pydantic import BaseModel, Field, field_validator

from invoice_tui.db import database, is_postgres
from invoice_tui.db.export_models import ExportLog
from invoice_tui.db.models import Company, Contact, Invoice, InvoiceCompany, InvoiceContact, LineItem, Payment
from invoice_tui.domain import catalogue
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, EnvironmentFailure, InvoiceTuiError, NotFound
from invoice_tui.domain.filters import FilterSet, compile_filters
from invoice_tui.domain.money import exponent as currency_exponent
from invoice_tui.domain.permissions import require
from invoice_tui.domain.tx import mutation
from invoice_tui.exports import labels
from invoice_tui.exports.columns import MONEY, column, neutralise, select_expression
from invoice_tui.exports.writers import XLSX_MAX_ROWS, CsvSink, XlsxSink
from invoice_tui.i18n import _

FORMATS = ("csv", "xlsx")
DEFAULT_ASSOCIATION_LIMIT = 1000
DEFAULT_BATCH = 2000
FOLDER_PREFERENCE = "export_folder"
SEPARATOR = "; "


class ExportCancelled(InvoiceTuiError):
    exit_code = 1

    def __init__(self) -> None:
        super().__init__("The export was cancelled; no file was written.")


class ExportOptions(BaseModel):
    """What to export and where. ``columns`` are the view's columns (catalogue ids, in order);
    ``properties="all"`` exports every catalogue property instead. ``association_limit`` None
    means all associated records."""

    format: Literal["csv", "xlsx"] = "csv"
    name: str = ""
    lang: Literal["en", "fr", "de", "es"] = "en"
    values: Literal["labels", "internal"] = "labels"
    properties: Literal["view", "all"] = "view"
    view_name: str | None = None
    columns: list[str] | None = None
    filters: FilterSet | None = None
    extra_filters: FilterSet | None = None
    sort: str | None = None
    search: str = ""
    associations: list[Literal["contacts", "companies", "payments", "line_items"]] = Field(default_factory=list)
    association_limit: int | None = DEFAULT_ASSOCIATION_LIMIT
    folder: str | None = None
    path: str | None = None  # an explicit file (or folder) — the CLI's --out
    sheet_row_limit: int = XLSX_MAX_ROWS
    batch_size: int = DEFAULT_BATCH

    @field_validator("association_limit")
    @classmethod
    def _limit(cls, v: int | None) -> int | None:
        if v is not None and v < 1:
            raise ValueError("the association limit is a number of at least 1, or all")
        return v

    @field_validator("sheet_row_limit")
    @classmethod
    def _sheet(cls, v: int) -> int:
        if not 2 <= v <= XLSX_MAX_ROWS:
            raise ValueError(f"rows per sheet is between 2 and {XLSX_MAX_ROWS:,}")
        return v

    @field_validator("batch_size")
    @classmethod
    def _batch(cls, v: int) -> int:
        if not 1 <= v <= 10_000:
            raise ValueError("the batch size is between 1 and 10,000")
        return v

    @field_validator("associations")
    @classmethod
    def _assoc(cls, v: list[str]) -> list[str]:
        return [a for a in labels.ASSOCIATIONS if a in v]  # catalogue order, no duplicates

    def property_ids(self) -> list[str]:
        if self.properties == "all":
            return [p.id for p in catalogue.PROPERTIES]
        cols = self.columns or list(catalogue.DEFAULT_COLUMNS)
        for c in cols:
            catalogue.get(c)  # BadInput for an unknown id
        return list(dict.fromkeys(cols))


@dataclass
class ExportResult:
    path: Path
    rows: int
    format: str
    sheets: int = 1
    truncated_cells: int = 0
    seconds: float = 0.0
    log_id: int | None = None
    columns: list[str] = field(default_factory=list)


Progress = Callable[[int, int], None]


# ---- file names -------------------------------------------------------------------------------
_BAD_NAME = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


def file_stem(name: str) -> str:
    """A safe file name (no extension) from an export name."""
    text = _BAD_NAME.sub("-", name or "").strip().lstrip(".").strip()
    text = re.sub(r"\s+", " ", text)[:120].rstrip(" .")
    return text or "invoices"


def default_name(view_name: str | None, today: dt.date) -> str:
    return f"{view_name or 'invoices'} {today.isoformat()}"


def resolve_destination(name: str, fmt: str, *, folder: str | None = None, path: str | None = None) -> Path:
    """The final file: ``path`` when it names a file (replaced if it exists); otherwise
    ``folder`` (default: the current directory) / export name + extension, never replacing an
    existing file (" (2)", " (3)"… instead)."""
    ext = f".{fmt}"
    if path:
        p = Path(path).expanduser()
        if p.is_dir() or path.endswith(("/", os.sep)):
            folder = str(p)
        else:
            if not p.suffix:
                p = p.with_name(p.name + ext)
            parent = p.parent if str(p.parent) else Path(".")
            if not parent.is_dir():
                raise BadInput(_("The folder {folder} does not exist; create it or choose "
                                 "another destination.").format(folder=parent.resolve()), field="out")
            return p.resolve()
    base = Path(folder).expanduser() if folder else Path.cwd()
    if not base.is_dir():
        raise BadInput(_("The folder {base} does not exist; create it or choose another destination.").format(base=base),
                       field="folder")
    stem = file_stem(name)
    if stem.lower().endswith(ext):
        stem = stem[: -len(ext)] or "invoices"
    candidate = base / f"{stem}{ext}"
    n = 2
    while candidate.exists():
        candidate = base / f"{stem} ({n}){ext}"
        n += 1
    return candidate.resolve()


def default_folder(ctx: Context) -> str:
    """The user's last export folder when it still exists, else the current directory."""
    from invoice_tui.domain import people

    remembered = people.preference(ctx, FOLDER_PREFERENCE)
    if remembered and Path(remembered).is_dir():
        return str(remembered)
    return str(Path.cwd())


def remember_folder(ctx: Context, folder: str | Path) -> None:
    from invoice_tui.domain import people

    people.set_preference(ctx, FOLDER_PREFERENCE, str(Path(folder).resolve()))


CHOICES_PREFERENCE = "export_choices"
CHOICE_KEYS = ("format", "lang", "values", "properties", "association_limit", "associations")


def last_choices(ctx: Context) -> dict:
    """The export dialog's choices as the user last exported (issue 24: remembered per user)."""
    from invoice_tui.domain import people

    found = people.preference(ctx, CHOICES_PREFERENCE) or {}
    return {k: v for k, v in found.items() if k in CHOICE_KEYS} if isinstance(found, dict) else {}


def remember_choices(ctx: Context, choices: dict) -> None:
    from invoice_tui.domain import people

    people.set_preference(ctx, CHOICES_PREFERENCE, {k: v for k, v in choices.items() if k in CHOICE_KEYS})


# ---- views --------------------------------------------------------------------------------------
def view_spec(ctx: Context, name: str):
    """A saved view by name (domain.views, imported lazily); NotFound (exit 3) when none."""
    try:
        from invoice_tui.domain import views
    except ImportError:
        raise NotFound(_("No view named '{name}'; saved views are not available in this installation.").format(name=name)) from None
    if name.strip().casefold() == views.ALL_INVOICES.casefold():
        return views.all_invoices_view()
    try:
        return views.get_view(ctx, name)
    except NotFound:
        raise NotFound(_("No view named '{name}'; see the views in the TUI's tabs or export all "
                         "invoices without --view.").format(name=name)) from None


# ---- associations -------------------------------------------------------------------------------
def _in_list(n: int) -> str:
    return ", ".join([database.obj.param] * n)


def _capped(inner: str, limit: int | None) -> tuple[str, list]:
    outer = f"SELECT * FROM ({inner}) t"
    if limit is None:
        return outer + " ORDER BY t.invoice_id, t.rn", []
    return outer + f" WHERE t.rn <= {database.obj.param} ORDER BY t.invoice_id, t.rn", [limit]


def _grouped(sql: str, params: list, fmt: Callable[[tuple], str]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for row in database.obj.execute_sql(sql, params):
        out.setdefault(row[0], []).append(fmt(row))
    return out


def _contacts(ids: list[int], limit: int | None, lang: str | None) -> dict[int, list[str]]:
    ic, c, i = InvoiceContact._meta.table_name, Contact._meta.table_name, Invoice._meta.table_name
    inner = (f'SELECT ic.invoice_id AS invoice_id, c.first_name, c.last_name, c.email, ROW_NUMBER() OVER '
             f'(PARTITION BY ic.invoice_id ORDER BY CASE WHEN c.id = i.billing_contact_id THEN 0 ELSE 1 END, '
             f'c.first_name, c.last_name, c.email, c.id) AS rn '
             f'FROM "{ic}" ic JOIN "{c}" c ON c.id = ic.contact_id JOIN "{i}" i ON i.id = ic.invoice_id '
             f'WHERE ic.invoice_id IN ({_in_list(len(ids))})')
    sql, extra = _capped(inner, limit)

    def fmt(row) -> str:
        name = f"{row[1] or ''} {row[2] or ''}".strip()
        return f"{name} <{row[3]}>" if name else row[3]

    return _grouped(sql, ids + extra, fmt)


def _companies(ids: list[int], limit: int | None, lang: str | None) -> dict[int, list[str]]:
    ic, c, i = InvoiceCompany._meta.table_name, Company._meta.table_name, Invoice._meta.table_name
    inner = (f'SELECT ic.invoice_id AS invoice_id, c.name, ROW_NUMBER() OVER (PARTITION BY ic.invoice_id '
             f'ORDER BY CASE WHEN c.id = i.company_id THEN 0 ELSE 1 END, c.name, c.id) AS rn '
             f'FROM "{ic}" ic JOIN "{c}" c ON c.id = ic.company_id JOIN "{i}" i ON i.id = ic.invoice_id '
             f'WHERE ic.invoice_id IN ({_in_list(len(ids))})')
    sql, extra = _capped(inner, limit)
    return _grouped(sql, ids + extra, lambda row: row[1])


def minor_text(minor: int, exp: int) -> str:
    """Exact dot-decimal text of minor units, in integer arithmetic."""
    if exp == 0:
        return str(minor)
    whole, rest = divmod(abs(minor), 10 ** exp)
    return f"{'-' if minor < 0 else ''}{whole}.{rest:0{exp}d}"


def _payments(ids: list[int], limit: int | None, lang: str | None) -> dict[int, list[str]]:
    p = Payment._meta.table_name
    inner = (f'SELECT p.invoice_id AS invoice_id, p.date, p.amount_minor, p.currency, p.method, p.reference, '
             f'p.state, ROW_NUMBER() OVER (PARTITION BY p.invoice_id ORDER BY p.date, p.id) AS rn '
             f'FROM "{p}" p WHERE p.invoice_id IN ({_in_list(len(ids))})')
    sql, extra = _capped(inner, limit)

    def fmt(row) -> str:
        _id, date, minor, cur, method, ref, state, _rn = row
        date_text = date.isoformat() if hasattr(date, "isoformat") else str(date)[:10]
        parts = [f"{date_text} {minor_text(minor, currency_exponent(cur))} {cur}",
                 labels.word(labels.PAYMENT_METHOD_LABELS, method, lang)]
        if ref:
            parts.append(ref)
        if state != "succeeded":
            parts.append(labels.word(labels.PAYMENT_STATE_LABELS, state, lang))
        return ", ".join(parts)

    return _grouped(sql, ids + extra, fmt)


def _line_items(ids: list[int], limit: int | None, lang: str | None) -> dict[int, list[str]]:
    li = LineItem._meta.table_name
    inner = (f'SELECT l.invoice_id AS invoice_id, l.name, ROW_NUMBER() OVER (PARTITION BY l.invoice_id '
             f'ORDER BY l.position, l.id) AS rn FROM "{li}" l WHERE l.invoice_id IN ({_in_list(len(ids))})')
    sql, extra = _capped(inner, limit)
    return _grouped(sql, ids + extra, lambda row: row[1])


ASSOCIATION_READERS = {"contacts": _contacts, "companies": _companies, "payments": _payments,
                       "line_items": _line_items}


def _association_cells(ids: list[int], assocs: list[str], limit: int | None, lang: str | None) -> list[tuple]:
    found = [ASSOCIATION_READERS[a](ids, limit, lang) for a in assocs]
    return [tuple(neutralise(SEPARATOR.join(f.get(i, ()))) or None for f in found) for i in ids]


# ---- the export ---------------------------------------------------------------------------------
def read_cursor(sql: str, params: list, batch: int):
    db = database.obj
    if is_postgres(db):
        cur = db.cursor(named_cursor=True)  # DECLARE … CURSOR: rows stay on the server until fetched
        cur.itersize = batch
        cur.execute(sql, params)
        return cur
    return db.execute_sql(sql, params)


def read_snapshot():
    """One read snapshot for the count, the rows and the associations."""
    db = database.obj
    if is_postgres(db):
        return db.atomic("REPEATABLE READ")
    return db.atomic()


def _is_cancelled(cancel) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event) or hasattr(cancel, "is_set"):
        return cancel.is_set()
    return bool(cancel())


def run_export(ctx: Context, options: ExportOptions | dict, *, progress: Progress | None = None,
               cancel: threading.Event | Callable[[], bool] | None = None) -> ExportResult:
    """Export the invoices selected by ``options`` (R22); see the module docstring."""
    from invoice_tui.domain.invoices import query_invoices, sql_context

    require(ctx, "view")
    from invoice_tui.team_ssh import refuse_files

    refuse_files("an export")
    if not isinstance(options, ExportOptions):
        from invoice_tui.domain.tx import validate

        options = validate(ExportOptions, options)
    started = time.perf_counter()
    prop_ids = options.property_ids()
    cols = [column(pid) for pid in prop_ids]
    lang = options.lang
    value_lang = lang if options.values == "labels" else None
    name = options.name.strip() or default_name(options.view_name, ctx.today())
    final = resolve_destination(name, options.format, folder=options.folder, path=options.path)
    headers = [labels.header(c.id, lang) for c in cols] + [labels.header(a, lang) for a in options.associations]
    kinds = [c.kind for c in cols] + ["text"] * len(options.associations)

    sink = None
    try:
        with read_snapshot():
            sctx = sql_context(ctx)
            base = query_invoices(ctx, options.filters, options.sort, options.search)
            extra = compile_filters(options.extra_filters, sctx)
            if extra is not None:
                base = base.where(extra)
            total = base.order_by().count()
            exprs = [select_expression(c, options.format, sctx, value_lang) for c in cols]
            visible = len(exprs)
            helpers: list[pw.Node] = []
            id_index = currency_index = exponent_index = None
            if options.associations:
                id_index = visible + len(helpers)
                helpers.append(Invoice.id)
            if options.format == "xlsx" and any(c.kind == MONEY for c in cols):
                currency_index, exponent_index = visible + len(helpers), visible + len(helpers) + 1
                helpers += [Invoice.currency, Invoice.exponent]
            sql, params = base.select(*exprs, *helpers).sql()
            try:
                if options.format == "csv":
                    sink = CsvSink(final, headers, kinds)
                else:
                    sheet = options.name.strip() or options.view_name or labels.SHEET_LABELS[lang]
                    sink = XlsxSink(final, headers, kinds, sheet_name=sheet,
                                    sheet_row_limit=options.sheet_row_limit,
                                    currency_index=currency_index, exponent_index=exponent_index)
            except OSError as exc:
                raise EnvironmentFailure(_("Cannot write in {parent}: {reason}.").format(parent=final.parent, reason=exc.strerror or exc)) from exc
            if progress:
                progress(0, total)
            cursor = read_cursor(sql, list(params), options.batch_size)
            try:
                done = 0
                while True:
                    if _is_cancelled(cancel):
                        raise ExportCancelled()
                    batch = cursor.fetchmany(options.batch_size)
                    if not batch:
                        break
                    extras = None
                    if options.associations:
                        ids = [r[id_index] for r in batch]
                        extras = _association_cells(ids, options.associations, options.association_limit,
                                                    value_lang)
                    sink.write(batch, extras, visible)
                    done += len(batch)
                    if progress:
                        progress(done, max(total, done))
            finally:
                cursor.close()
        if _is_cancelled(cancel):
            raise ExportCancelled()
        try:
            path = sink.finish()
        except OSError as exc:
            raise EnvironmentFailure(_("Cannot write {path}: {reason}.").format(path=final, reason=exc.strerror or exc)) from exc
    except BaseException:
        if sink is not None:
            sink.abort()
        raise
    sheets = len(sink.sheets) if isinstance(sink, XlsxSink) else 1
    log = record_export(ctx, options, name=name, path=path, rows=sink.rows, sheets=sheets, properties=prop_ids)
    return ExportResult(path=path, rows=sink.rows, format=options.format, sheets=sheets,
                        truncated_cells=sink.truncated_cells, seconds=time.perf_counter() - started,
                        log_id=log.id, columns=headers)


# ---- the export log -----------------------------------------------------------------------------
@mutation
def record_export(ctx: Context, options: ExportOptions, *, name: str, path: Path, rows: int, sheets: int,
                  properties: list[str]) -> ExportLog:
    filters = {
        "view": options.filters.to_dict() if options.filters else None,
        "extra": options.extra_filters.to_dict() if options.extra_filters else None,
        "search": options.search or None,
    }
    return ExportLog.create(
        user_login=ctx.login, created_at=ctx.now(), name=name[:255], format=options.format, path=str(path),
        rows=rows, sheets=sheets, view_name=options.view_name, filters=json.dumps(filters, ensure_ascii=False),
        sort=options.sort or "-id", properties=json.dumps(properties), associations=json.dumps(options.associations),
        association_limit=options.association_limit if options.associations else None, language=options.lang,
        values=options.values)


def export_log(ctx: Context, limit: int = 50) -> list[ExportLog]:
    """The most recent exports, newest first."""
    require(ctx, "view")
    return list(ExportLog.select().order_by(ExportLog.created_at.desc(), ExportLog.id.desc()).limit(limit))


def log_record(entry: ExportLog) -> dict:
    return {"id": entry.id, "user": entry.user_login, "created_at": entry.created_at.isoformat()
            if hasattr(entry.created_at, "isoformat") else str(entry.created_at), "name": entry.name,
            "format": entry.format, "path": entry.path, "rows": entry.rows, "sheets": entry.sheets,
            "view": entry.view_name, "filters": json.loads(entry.filters or "{}"), "sort": entry.sort,
            "properties": json.loads(entry.properties or "[]"),
            "associations": json.loads(entry.associations or "[]"), "association_limit": entry.association_limit,
            "language": entry.language, "values": entry.values}


__all__ = ["ExportOptions", "ExportResult", "ExportCancelled", "run_export", "export_log", "log_record",
           "resolve_destination", "default_folder", "remember_folder", "last_choices", "remember_choices", "view_spec", "file_stem", "minor_text",
           "FORMATS", "DEFAULT_ASSOCIATION_LIMIT"]
