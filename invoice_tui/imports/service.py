"""R52: the import — one service function, :func:`run_import`, for the CLI, the TUI and the tests.

1. The file's columns are mapped onto the object's fields (``exports.objects.FIELDS``): by hand
   (``mapping``: field → header), from a saved profile, or matched by header in any of the
   export's four languages (:func:`auto_map`).
2. Rows are read one at a time (``reader``) and each object — a contact, a company, a payment,
   or an invoice with its consecutive line rows — is written through the service that writes
   that table (``people.add_contact``, ``people.add_company``, ``invoices.import_document``,
   ``payments.add_payment`` + ``apply_payment``), with its history rows, inside one transaction.
   Each object runs in a savepoint: a refused object is rolled back and reported (row, column,
   sentence) and the import goes on reading, so one run names every bad row.
3. All or nothing: when any row is bad, or for a dry run, the whole transaction is rolled back —
   the dry run is the import itself, with every rule of the services checked, and nothing kept.

Contacts are matched by email, companies by VAT id or name (case-insensitive): a row that
matches is counted as matched and never duplicated.
"""

from __future__ import annotations

import contextlib
import gc
import json
import operator
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator

import peewee as pw

from invoice_tui.db import write_tx
from invoice_tui.db.import_models import ImportMapping
from invoice_tui.db.models import Company, Contact, Invoice
from invoice_tui.domain import history
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, InvoiceTuiError, NotFound
from invoice_tui.domain.permissions import require
from invoice_tui.domain.text import clean
from invoice_tui.domain.tx import mutation
from invoice_tui.exports.objects import BOOL, CHOICE, DATE, DEC, FIELDS, JSON, MONEY, OBJECTS, Field, dec_text, fields
from invoice_tui.imports import reader, values
from invoice_tui.i18n import N_, _, language

MAX_REPORTED = 10_000  # errors kept in a report (the count goes on)
BATCH = 5_000  # invoices computed before their rows are written (R52's bulk import)


# ---- mapping --------------------------------------------------------------------------------------
def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().casefold()
    return " ".join("".join(ch if ch.isalnum() or ch in "%#" else " " for ch in t).split())


def auto_map(obj: str, headers: list[str]) -> dict[str, str]:
    """field id → header, for every header that is a field's label in any export language (or its
    id); the first column wins when two carry the same label."""
    by_label: dict[str, Field] = {}
    for f in fields(obj):
        for lab in (*f.labels(), f.id, f.id.replace("_", " ")):
            by_label.setdefault(_norm(lab), f)
    out: dict[str, str] = {}
    for h in headers:
        f = by_label.get(_norm(h))
        if f is not None and f.id not in out:
            out[f.id] = h
    return out


def resolve_mapping(obj: str, headers: list[str], mapping: dict[str, str] | None) -> dict[str, int]:
    """field id → column index; BadInput for a header the file does not have or an unknown field."""
    known = {f.id for f in fields(obj)}
    mapping = dict(mapping if mapping is not None else auto_map(obj, headers))
    index = {h: i for i, h in reversed(list(enumerate(headers)))}
    out: dict[str, int] = {}
    for fid, header in mapping.items():
        if not header:
            continue
        if fid not in known:
            raise BadInput(_("'{field}' is not a field of {object}; use one of {known}.").format(
                field=fid, object=obj, known=", ".join(sorted(known))), field="mapping")
        if header not in index:
            raise BadInput(_("The file has no column '{header}' (mapped to {field}); its columns are: {columns}.")
                           .format(header=header, field=fid, columns=", ".join(headers)), field="mapping")
        out[fid] = index[header]
    missing = [f for f in fields(obj) if f.required and f.id not in out]
    if missing:
        raise BadInput(_("No column is mapped to {label} ({field}), which every row of {object} needs; "
                         "map it by hand or name the column as the export does.").format(
            label=missing[0].label(language()), field=missing[0].id, object=obj), field="mapping")
    return out


# ---- saved mappings ---------------------------------------------------------------------------------
def _profile_snapshot(m: ImportMapping) -> dict:
    return {"name": m.name, "object": m.object, "columns": m.columns, "locale": m.locale}


@mutation
def save_mapping(ctx: Context, name: str, obj: str, mapping: dict[str, str], locale: str = "") -> ImportMapping:
    """Save (or replace) the named mapping profile of ``obj``, with its history row."""
    require(ctx, "create_draft")
    name = clean(name or "", what="Mapping name", max_length=100).strip()
    if not name:
        raise BadInput(_("A mapping profile needs a name."), field="name")
    fields(obj)
    try:
        locale = values.check_locale(locale)
    except values.CellError as exc:
        raise BadInput(str(exc) + ".", field="locale") from None
    known = {f.id for f in FIELDS[obj]}
    bad = [k for k in mapping if k not in known]
    if bad:
        raise BadInput(_("'{field}' is not a field of {object}.").format(field=bad[0], object=obj), field="mapping")
    cols = json.dumps({k: v for k, v in mapping.items() if v}, ensure_ascii=False, sort_keys=True)
    now = ctx.now()
    found = ImportMapping.get_or_none((ImportMapping.object == obj) & (ImportMapping.name == name))
    if found is None:
        m = ImportMapping.create(name=name, object=obj, columns=cols, locale=locale, created_by=ctx.login,
                                 created_at=now, updated_at=now)
        history.record_creation(ctx, "import_mapping", m.id, None, _profile_snapshot(m))
        return m
    before = _profile_snapshot(found)
    found.columns, found.locale, found.updated_at = cols, locale, now
    found.save()
    history.record_changes(ctx, "import_mapping", found.id, None, before, _profile_snapshot(found))
    return found


def get_mapping(obj: str, name: str) -> ImportMapping:
    m = ImportMapping.get_or_none((ImportMapping.object == obj) & (ImportMapping.name == name))
    if m is None:
        names = [n for (n,) in ImportMapping.select(ImportMapping.name).where(ImportMapping.object == obj).tuples()]
        raise NotFound((_("No saved mapping '{name}' for {object}; saved: {names}.") if names else
                        _("No saved mapping '{name}' for {object}.")).format(name=name, object=obj,
                                                                              names=", ".join(names)),
                       field="mapping")
    return m


def list_mappings(obj: str | None = None) -> list[ImportMapping]:
    q = ImportMapping.select().order_by(ImportMapping.object, ImportMapping.name)
    return list(q.where(ImportMapping.object == obj) if obj else q)


# ---- the report -------------------------------------------------------------------------------------
@dataclass
class RowError:
    row: int
    column: str
    message: str  # in the reader's language (the dry-run report's table)
    english: str = ""  # the --json report's sentence (issue 25: JSON values stay English)

    def record(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.english or self.message}


@dataclass
class ImportReport:
    object: str
    path: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    matched: int = 0
    lines: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    written: bool = False
    english_notes: dict[str, str] = field(default_factory=dict)  # a note as shown → as --json gives it

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add(self, row: int, column: str, message: str, english: str = "") -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(RowError(row, column, message, english))

    def note(self, template: str, **params) -> None:
        """A note in the reader's language (``template`` marked with ``N_()``), English in --json."""
        shown = _(template).format(**params)
        self.notes.append(shown)
        self.english_notes[shown] = template.format(**params)

    def record(self) -> dict:
        return {"object": self.object, "file": self.path, "dry_run": self.dry_run, "written": self.written,
                "rows": self.rows, "created": self.created, "matched": self.matched, "lines": self.lines,
                "errors": [e.record() for e in self.errors], "error_count": self.error_count,
                "notes": [self.english_notes.get(n, n) for n in self.notes], "mapping": self.mapping, "seconds": round(self.seconds, 3)}


class _Rollback(Exception):
    pass


class ImportCancelled(InvoiceTuiError):
    exit_code = 1

    def __init__(self) -> None:
        super().__init__(_("The import was cancelled; nothing was written."))


# ---- reading cells -----------------------------------------------------------------------------------
_MEMO = 10_000  # distinct cells remembered per field and run (cleared when full: memory stays bounded)
_LINES_MEMO = 200_000  # distinct line sets remembered per run (the same)


class _Row:
    """One row's cells by field id, read with the file's locale; problems go to the report."""

    __slots__ = ("n", "cells", "cols", "headers", "locale", "report", "by_id", "memo", "plans", "bad")

    def __init__(self, n: int, cells: list[str], cols: dict[str, int], headers: list[str], locale: str,
                 report: ImportReport, by_id: dict[str, Field], memo: dict | None = None,
                 plans: dict | None = None) -> None:
        self.n, self.cells, self.cols, self.headers, self.locale = n, cells, cols, headers, locale
        self.report, self.by_id = report, by_id
        self.memo = {} if memo is None else memo  # field → text → (value, refusal): one run's, one locale
        self.plans = {} if plans is None else plans  # fields → ((field, column, its memo), …): one run's columns
        self.bad = False

    def raw(self, fid: str) -> str:
        i = self.cols.get(fid)
        return self.cells[i] if i is not None and i < len(self.cells) else ""

    def has(self, fid: str) -> bool:
        return fid in self.cols

    def header(self, fid: str) -> str:
        i = self.cols.get(fid)
        return self.headers[i] if i is not None else self.by_id[fid].en

    def fail(self, fid: str | None, message: str, english: str = "") -> None:
        self.bad = True
        self.report.add(self.n, self.header(fid) if fid else "", message, english)

    def refuse(self, fid: str | None, template: str, **params) -> None:
        """``fail`` with a sentence marked ``N_()``: shown in the reader's language, English in --json."""
        self.fail(fid, _(template).format(**params), template.format(**params))

    def _memo(self, fid: str) -> dict:
        found = self.memo.get(fid)
        if found is None:
            found = self.memo[fid] = {}
        return found

    def get(self, fid: str):
        i = self.cols.get(fid)
        text = self.cells[i] if i is not None and i < len(self.cells) else ""
        memo = self._memo(fid)
        found = memo.get(text)  # a cell's value: a function of its field, text and the file's locale
        if found is None:
            found = self._load(fid, text, memo)
        if found[1] is not None:
            self.fail(fid, *found[1])
        return found[0]

    def get_many(self, fids: tuple[str, ...]) -> dict:
        """:meth:`get` of each of ``fids`` the file has, by field id (in the order of ``fids``)."""
        read = self.plans.get(fids)
        if read is None:  # the fields the file has, their columns and memos: once per run
            read = self.plans[fids] = self._reader(fids)
        return read(self)

    def _reader(self, fids: tuple[str, ...]):
        """A function reading ``fids`` of a row as :meth:`get` reads each (its refusals reported
        in the order of ``fids``), compiled for this run's columns: no loop over the fields."""
        cols, env = self.cols, {}
        body = ["def read(row):", "    cells = row.cells", "    width = len(cells)", "    load = row._load"]
        plan = [(fid, cols[fid]) for fid in fids if fid in cols]
        for k, (fid, i) in enumerate(plan):
            env[f"m{k}"] = self._memo(fid)
            body += [f"    t = cells[{i}] if {i} < width else ''", f"    v{k} = m{k}.get(t)",
                     f"    if v{k} is None:", f"        v{k} = load({fid!r}, t, m{k})"]
        for k, (fid, _i) in enumerate(plan):
            body.append(f"    if v{k}[1] is not None: row.fail({fid!r}, *v{k}[1])")
        body.append("    return {" + ", ".join(f"{fid!r}: v{k}[0]" for k, (fid, _i) in enumerate(plan)) + "}")
        exec("\n".join(body), env)  # noqa: S102 - our own text
        return env["read"]

    def _load(self, fid: str, text: str, memo: dict) -> tuple:
        f = self.by_id[fid]
        found = _read(fid, f, text, self.locale)
        if f.kind != JSON:  # (a list of dicts: a new one each time)
            if len(memo) >= _MEMO:
                memo.clear()  # (in place: a plan holds it)
            memo[text] = found
        return found


def _read(fid: str, f: Field, text: str, locale: str) -> tuple:
    """A cell's value, or its refusal: ``(value, None)`` or ``(None, sentence)``."""
    if not text.strip():
        if not f.required:
            return None, None
        return None, (_("{column} is empty; every row needs it.").format(column=f.label(language())),
                      "{column} is empty; every row needs it.".format(column=f.en))
    try:
        if f.kind in (MONEY, DEC):
            return values.decimal(text, locale), None
        if f.kind == DATE:
            return values.date(text, locale), None
        if f.kind == BOOL:
            return values.choice(text, "bool") == "true", None
        if f.kind == CHOICE:
            return values.choice(text, f.choices, (f.en, f.label(language()))), None
        if f.kind == JSON:
            try:
                return json.loads(text), None
            except ValueError:
                raise values.CellError(N_("'{text}' is not the JSON list the export writes"), text=text[:40]) from None
        return (values.text(text).strip() if fid not in ("comments", "line_description", "address")
                else values.text(text)), None
    except values.CellError as exc:
        return None, tuple(t[:1].upper() + t[1:] + "." for t in (str(exc), exc.english))


def _column_of(field_path: str | None) -> str | None:
    """The file field a service's error field names (``lines.0.quantity`` → ``quantity``)."""
    if not field_path:
        return None
    last = field_path.split(".")[-1]
    return {"name": "line_name", "description": "line_description", "discount": "line_discount",
            "charges": "line_charges", "contact_id": "contact_email", "company_id": "company",
            "unit_price": "unit_price", "value": None}.get(last, last)


def _service_error(row: _Row, exc: InvoiceTuiError) -> None:
    fid = _column_of(exc.field)
    row.fail(fid if fid in row.cols else None, exc.message)


# ---- objects -----------------------------------------------------------------------------------------
def _load_people(caches: dict) -> None:
    """Read the contacts and companies the invoices name, once (as :func:`_company_id` and
    :func:`_contact_id` would at their first use)."""
    _companies(caches["companies"])
    _contacts(caches["contacts"])


def _companies(cache: dict) -> None:
    if not cache:  # every company's folded name, read once (SQLite's LOWER() folds ASCII only)
        cache[None] = None
        for cid, cname in Company.select(Company.id, Company.name).order_by(Company.id.desc()).tuples():
            cache[cname.casefold()] = cid


def _contacts(cache: dict) -> None:
    if not cache:
        cache[None] = None
        for cid, cemail in Contact.select(Contact.id, Contact.email).order_by(Contact.id.desc()).tuples():
            cache[cemail.strip().casefold()] = cid


def _company_id(name: str | None, row: _Row, fid: str, cache: dict) -> int | None:
    if not name:
        return None
    _companies(cache)
    found = cache.get(name.casefold())
    if found is None:
        row.refuse(fid, N_("No company named '{name}'; import the companies first."), name=name)
    return found


def _contact_id(email: str | None, row: _Row, fid: str, cache: dict) -> int | None:
    if not email:
        return None
    _contacts(cache)
    found = cache.get(email.strip().casefold())
    if found is None:
        row.refuse(fid, N_("No contact with the email {email}; import the contacts first."), email=email)
    return found


def _import_company(ctx: Context, row: _Row, report: ImportReport, caches: dict) -> None:
    from invoice_tui.domain import people

    data = {f.id: row.get(f.id) for f in FIELDS["companies"] if row.has(f.id)}
    data = {k: v for k, v in data.items() if v is not None}
    if row.bad:
        return
    name, vat = data.get("name", ""), (data.get("vat_id") or "").replace(" ", "").upper()
    cache = caches["companies"]
    if not cache:
        cache[None] = None
        for cid, cname in Company.select(Company.id, Company.name).order_by(Company.id.desc()).tuples():
            cache[cname.casefold()] = cid
    found = (vat and Company.select(Company.id).where(Company.vat_id == vat).first()) or cache.get(name.casefold())
    if found:
        report.matched += 1
        return
    c = people.add_company(ctx, data)
    cache[name.casefold()] = c.id
    report.created += 1


def caches_contacts(caches: dict) -> dict:
    known = caches["contacts"]
    if not known:
        known[None] = None
        for cid, cemail in Contact.select(Contact.id, Contact.email).tuples():
            known[cemail.strip().casefold()] = cid
    return known


def _import_contact(ctx: Context, row: _Row, report: ImportReport, caches: dict) -> None:
    from invoice_tui.domain import people

    data = {f.id: row.get(f.id) for f in FIELDS["contacts"] if row.has(f.id)}
    data = {k: v for k, v in data.items() if v is not None}
    company = data.pop("company", None)
    if company:
        data["company_id"] = _company_id(company, row, "company", caches["companies"])
    if row.bad:
        return
    key = data["email"].strip().casefold()
    known = caches_contacts(caches)
    if key in known:
        report.matched += 1
        return
    c = people.add_contact(ctx, data)
    known[key] = c.id
    report.created += 1


def _import_payment(ctx: Context, row: _Row, report: ImportReport, caches: dict) -> None:
    from invoice_tui.domain import payments

    get = {f.id: row.get(f.id) for f in FIELDS["payments"] if row.has(f.id)}
    number = get.get("invoice_number")
    inv = None
    if number:
        inv = Invoice.select(Invoice.id, Invoice.currency).where(Invoice.number == number).first()
        if inv is None:
            row.refuse("invoice_number", N_("No invoice numbered {number}; import the invoices first."), number=number)
    contact = _contact_id(get.get("contact_email"), row, "contact_email", caches["contacts"])
    if row.bad:
        return
    amount = get["amount"]
    data = {"amount": dec_text(amount), "currency": (get.get("currency") or "").upper(), "date": get.get("date"),
            "method": get.get("method") or "other", "reference": get.get("reference") or "",
            "note": get.get("note") or "", "source": (get.get("source") or "manual").lower(),
            "state": get.get("state") or "succeeded", "contact_id": contact}
    p = payments.add_payment(ctx, data)
    report.created += 1
    if inv is not None:
        if data["state"] in ("succeeded", "processing"):
            payments.apply_payment(ctx, p.id, inv.id, in_advance=True)
        else:
            report.note(N_("Row {row}: a {state} payment is imported unapplied."), row=row.n, state=data["state"])


_HEAD_FIELDS = tuple(f.id for f in FIELDS["invoices"] if not f.id.startswith("line_") and f.id not in (
    "quantity", "unit_price", "base_quantity", "unit_code", "tax_rate", "tax_category"))  # an invoice's, not a line's


_LINE_CELLS = ("line_name", "quantity", "unit_price", "base_quantity", "unit_code", "tax_rate", "tax_category",
               "line_description", "line_discount", "line_discount_percent", "line_charges")  # a line's cells
_LINE_VALUES = _LINE_CELLS[1:]


def _lines_and_head(rows: list[_Row], caches: dict) -> tuple[dict, dict, tuple | None] | None:
    """An invoice's input (as ``import_document`` takes it) from its rows, the first row's head
    cells by field, and a key of its lines (equal keys: equal lines in this run; None: no key)."""
    first = rows[0]
    get = first.get_many(_HEAD_FIELDS)
    head: dict = {}
    for k in ("currency", "locale", "invoice_date", "due_date", "title", "po_number", "comments", "allow_partial",
              "buyer_reference", "delivery_date", "operation_category"):
        if get.get(k) is not None:
            head[k] = get[k]
    if "currency" in head:
        head["currency"] = head["currency"].upper()
    head["contact_id"] = _contact_id(get.get("contact_email"), first, "contact_email", caches["contacts"])
    if head["contact_id"] is None:
        head.pop("contact_id")
    others = [e.strip() for e in (get.get("contacts") or "").split(";") if e.strip()]
    ids = [_contact_id(e, first, "contacts", caches["contacts"]) for e in others]
    if ids:
        head["contact_ids"] = [i for i in ids if i] + ([head["contact_id"]] if head.get("contact_id") else [])
    company = _company_id(get.get("company"), first, "company", caches["companies"])
    if company:
        head["company_id"] = company
    for key in ("discounts", "fees", "taxes"):
        items = get.get(key)
        if items:
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                first.refuse(key, N_("This cell is a JSON list of objects, as the export writes it."))
                continue
            head[key] = items
    key = _lines_key(rows, caches)
    known = caches["lines"].get(key) if key is not None else None
    if known is not None:  # the same line cells as an invoice read before, whose lines were all right
        lines = list(known)
    else:
        lines = _lines(rows)
        if key is not None and not any(r.bad for r in rows):
            if len(caches["lines"]) >= _LINES_MEMO:
                caches["lines"].clear()
            caches["lines"][key] = tuple(lines)
    if any(r.bad for r in rows):
        return None
    head["lines"] = lines
    return head, get, key


def _lines_key(rows: list[_Row], caches: dict) -> tuple | None:
    """The texts of the rows' line cells (what their lines are a function of, in one run: one
    locale); None when a row is short or holds allowances and charges (JSON: read each time)."""
    spec = caches.get("line_cells")
    if spec is None:
        cols = rows[0].cols
        at = [cols[f] for f in _LINE_CELLS if f in cols]
        charges = cols.get("line_charges")
        spec = caches["line_cells"] = (operator.itemgetter(*at, *at[:1]) if at else None,
                                       max(at, default=0) + 1, charges)
    get, width, charges = spec
    if get is None:
        return None
    out = []
    for r in rows:
        cells = r.cells
        if len(cells) < width or (charges is not None and cells[charges].strip()):
            return None
        out.append(get(cells))
    return tuple(out)


def _lines(rows: list[_Row]) -> list[dict]:
    """The invoice's lines read from its rows (refusals to the report)."""
    lines = []
    for r in rows:
        name = r.get("line_name") if r.has("line_name") else None
        cells = r.get_many(_LINE_VALUES)
        if not name and not any(v not in (None, "") for v in cells.values()):
            continue  # the row of an invoice without lines
        if not name:
            r.refuse("line_name", N_("A line needs a name."))
            continue
        line = {"name": name}
        if cells.get("unit_price") is None:
            r.refuse("unit_price", N_("A line needs a unit price."))
            continue
        line["unit_price"] = cells["unit_price"]
        for src, dst in (("quantity", "quantity"), ("base_quantity", "base_quantity"), ("unit_code", "unit_code"),
                         ("tax_rate", "tax_rate"), ("tax_category", "tax_category"),
                         ("line_description", "description")):
            if cells.get(src) is not None:
                line[dst] = cells[src]
        if cells.get("line_discount") is not None:
            line["discount"] = cells["line_discount"]
            line["discount_percent"] = bool(cells.get("line_discount_percent"))
        charges = cells.get("line_charges")
        if charges:
            if not isinstance(charges, list):
                r.refuse("line_charges", N_("This cell is a JSON list of objects, as the export writes it."))
                continue
            line["charges"] = charges
        lines.append(line)
    return lines


def _import_invoice(ctx: Context, rows: list[_Row], report: ImportReport, caches: dict, source: str) -> None:
    from invoice_tui.domain import invoices

    built = _lines_and_head(rows, caches)
    if built is None:
        return
    head, get, _ = built
    first = rows[0]
    inv = invoices.import_document(ctx, head, **_document_args(get, rows, source))
    if _billed_differs(first, get, inv):
        raise _ObjectRefused
    if inv.doc_type == "credit_note" and inv.status == "issued":
        from invoice_tui.domain import credit
        from invoice_tui.domain.money import to_minor

        credited = get.get("credited")
        credit.settle_imported_credit_note(ctx, inv.id, None if credited is None else to_minor(credited, inv.currency))
    report.created += 1
    report.lines += len(head["lines"])


def _billed_differs(first: _Row, get: dict, inv: Invoice) -> bool:
    """Whether the file's amount billed differs from the invoice's (reported on its first row)."""
    billed = get.get("amount_billed")
    if billed is None:
        return False
    from invoice_tui.domain.money import from_minor

    computed = from_minor(inv.billed_minor, inv.currency)
    if Decimal(billed) == computed:
        return False
    first.refuse("amount_billed", N_("The file bills {billed} {currency}; its lines, discounts, fees and taxes "
                                     "make {computed} {currency}."),
                 billed=dec_text(billed), currency=inv.currency, computed=computed)
    return True


def _document_args(get: dict, rows: list[_Row], source: str) -> dict:
    return dict(number=get.get("number") or "",
                status=get.get("status") or ("open" if get.get("number") else "draft"),
                doc_type=get.get("type") or "invoice", refers_to=get.get("refers_to") or "",
                reason=get.get("reason") or "", source=f"{source}, row {rows[0].n}")


def _add_invoice(batch, rows: list[_Row], report: ImportReport, caches: dict, source: str) -> bool:
    """An invoice of the file into the bulk ``batch`` (``domain.import_bulk``): the same checks,
    rows and refusals as :func:`_import_invoice`. False: a credit note, which settles an invoice
    and a customer's credit, and is written by :func:`_import_invoice` instead."""
    built = _lines_and_head(rows, caches)
    if built is None:
        return True
    head, get, key = built
    if (get.get("type") or "invoice") == "credit_note":
        return False
    try:
        inv = batch.add(head, **_document_args(get, rows, source), lines_key=key)
    except InvoiceTuiError as exc:
        _service_error(rows[0], exc)
        return True
    if _billed_differs(rows[0], get, inv):
        batch.pop()
        return True
    report.created += 1
    report.lines += len(head["lines"])
    return True


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cycle collector run less often during a bulk import (its threshold restored
    after): the import makes millions of short-lived objects, freed as soon as they are unused,
    and each collection walks every young object (at 10k invoices, 0.33 s of collections → 0.1 s)."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 50_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


class _ObjectRefused(Exception):
    pass


def _invoice_groups(rows: Iterator[_Row]) -> Iterator[list[_Row]]:
    """Consecutive rows of one invoice: the same number, the line numbering going on (an invoice
    without a number — a draft — is one row unless the following rows continue it)."""
    group: list[_Row] = []
    key = None
    at = None
    for r in rows:
        if at is None:  # the columns of the key (every row of a run has the same)
            at = tuple(r.cols.get(f) for f in ("number", "invoice_date", "contact_email"))
            a, b, c = at
        cells = r.cells
        width = len(cells)
        number = cells[a].strip() if a is not None and a < width else ""
        k = (number, cells[b].strip() if b is not None and b < width else "",
             cells[c].strip().lower() if c is not None and c < width else "")
        if group and number and k == key:
            group.append(r)
            continue
        if group and not number and k == key and r.raw("line_name").strip() and _same_head(group[0], r):
            group.append(r)
            continue
        if group:
            yield group
        group, key = [r], k
    if group:
        yield group


_HEAD = ("number", "type", "status", "currency", "invoice_date", "due_date", "contact_email", "company", "title",
         "po_number", "comments", "discounts", "fees", "taxes")


def _same_head(a: _Row, b: _Row) -> bool:
    return all(a.raw(f) == b.raw(f) for f in _HEAD)


# ---- the import ---------------------------------------------------------------------------------------
Progress = Callable[[int, float], None]


def run_import(ctx: Context, obj: str, path: str | Path, *, mapping: dict[str, str] | None = None,
               profile: str | None = None, overrides: dict[str, str] | None = None, locale: str | None = None,
               dry_run: bool = False, bulk: bool = True,
               progress: Progress | None = None, cancel: threading.Event | None = None) -> ImportReport:
    """Import ``obj`` rows from ``path`` (R52); see the module docstring. The columns: ``mapping``
    (field → header, complete), else the saved ``profile``'s, else matched by header; ``overrides``
    (field → header, '' to leave a field out) change some of them. ``progress(rows, fraction)``.
    ``bulk``: invoices are computed one by one and written in bulk (``domain.import_bulk``, the
    same rows); False writes each through ``invoices.import_document`` (the same result, slower)."""
    require(ctx, "create_draft")
    from invoice_tui.team_ssh import refuse_files

    refuse_files("an import")
    fields(obj)
    started = time.perf_counter()
    if profile:
        saved = get_mapping(obj, profile)
        mapping = json.loads(saved.columns) if mapping is None else mapping
        locale = saved.locale if locale is None else locale
    try:
        locale = values.check_locale(locale or "")
    except values.CellError as exc:
        raise BadInput(str(exc) + ".", field="locale") from None
    src, headers, it = reader.header_and_rows(path)
    if overrides:
        mapping = {**(mapping if mapping is not None else auto_map(obj, headers)), **overrides}
    cols = resolve_mapping(obj, headers, mapping)
    report = ImportReport(object=obj, path=str(src.path), dry_run=dry_run,
                          mapping={fid: headers[i] for fid, i in cols.items()})
    by_id = {f.id: f for f in FIELDS[obj]}
    caches: dict = {"contacts": {}, "companies": {}, "lines": {}}
    memo: dict = {}
    plans: dict = {}
    name = src.path.name

    def rows() -> Iterator[_Row]:
        for n, cells in it:
            report.rows += 1
            if cancel is not None and cancel.is_set():
                raise ImportCancelled()
            if progress and report.rows % 200 == 0:
                progress(report.rows, src.fraction(n))
            yield _Row(n, cells, cols, headers, locale, report, by_id, memo, plans)

    def one(fn, row: _Row, *args) -> None:
        from invoice_tui.db import database

        try:
            with database.obj.atomic():  # a savepoint: a refused object leaves nothing behind
                fn(*args)
                if (row if not isinstance(row, list) else row[0]).bad or \
                        (isinstance(row, list) and any(r.bad for r in row)):
                    raise _ObjectRefused
        except _ObjectRefused:
            pass
        except InvoiceTuiError as exc:
            _service_error(row[0] if isinstance(row, list) else row, exc)

    try:
        with write_tx(), contextlib.ExitStack() as stack:
            if obj == "invoices":
                batch = None
                from invoice_tui.domain.import_bulk import Batch, bulk_allowed

                if bulk and bulk_allowed():
                    batch = Batch(ctx)
                    _load_people(caches)  # read before the batch's writer owns the connection
                    stack.enter_context(_fewer_collections())
                try:
                    for group in _invoice_groups(rows()):
                        if batch is not None and _add_invoice(batch, group, report, caches, name):
                            if len(batch) >= BATCH:  # (the documents the file holds, as far as read: a guess)
                                batch.flush(expected=int(len(batch) / max(src.fraction(group[-1].n), 0.001)))
                            continue
                        if batch is not None:
                            batch.finish()  # a credit note's invoice is in the workspace before it
                        created = report.created
                        one(_import_invoice, group, ctx, group, report, caches, name)
                        if batch is not None and report.created > created:
                            batch.numbers.add(group[0].raw("number").strip())
                    if batch is not None:
                        batch.finish()
                except BaseException:
                    if batch is not None:
                        batch.abandon()
                    raise
            else:
                writer = {"contacts": _import_contact, "companies": _import_company,
                          "payments": _import_payment}[obj]
                for row in rows():
                    one(writer, row, ctx, row, report, caches)
            if dry_run or not report.ok:
                raise _Rollback
            report.written = True
    except _Rollback:
        pass
    if progress:
        progress(report.rows, 1.0)
    if obj == "invoices" and report.ok:
        report.note(N_("Imported invoices keep their numbers outside the workspace series; paid ones are "
                       "open until their payments are imported."))
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["run_import", "ImportReport", "RowError", "auto_map", "resolve_mapping", "save_mapping", "get_mapping",
           "list_mappings", "ImportCancelled", "OBJECTS"]
