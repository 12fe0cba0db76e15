"""R52: imported invoices written in bulk — the same rows as :func:`invoices.import_document`
writes one by one, for the thousands of a file.

Each document goes through the steps of ``import_document`` in Python, with the same functions:
its checks (``_import_checks``: type, status, number), its input (``_document_input``: the
pydantic ``InvoiceInput``), its row (``_document_row``), its lines and adjustments
(``_line_values``, ``_adjustment_values``: the amounts checked against the currency), its
number and status (``_mark_imported``), the one R18 totals function (``_store_totals`` over the
lines and adjustments as the database gives them back) and its snapshot (``snapshot`` over
``SnapshotParts`` built from the rows), so a refusal is the one ``import_document`` gives, with
the same sentence. Nothing is read per document: the contacts and companies are read once.

:meth:`Batch.flush` then writes all rows of each table at once (``db.bulk.Writer``:
``executemany`` on SQLite, ``COPY`` on PostgreSQL), with the invoices' ids taken as one-by-one
inserts would take them, and their history rows (one creation row of the whole snapshot and one
``imported`` activity each) chained in order by ``history.BulkChains``. Credit notes settle an
invoice's balance and the customer's credit: the import writes them with ``import_document``
after a flush (see ``imports.service``), as it writes everything a teammate's role on PostgreSQL
imports (:func:`bulk_allowed`).
"""

from __future__ import annotations

import base64
import operator
import secrets
from decimal import Decimal

import peewee as pw

from invoice_tui.db import database, is_postgres
from invoice_tui.db.bulk import Table, Writer, stored_form
from invoice_tui.db.models import Adjustment, Company, Contact, Invoice, InvoiceCompany, InvoiceContact, LineItem
from invoice_tui.domain import history
from invoice_tui.domain import invoices as inv_svc
from invoice_tui.domain.context import Context, DayContext
from invoice_tui.domain.permissions import require
from invoice_tui.domain.tx import validate
from invoice_tui.domain.totals import ADJUSTMENT_KINDS, ADJUSTMENT_LISTS

_LINE_FIELDS = ("position", "name", "description", "quantity", "unit_price_micro", "price_base", "unit_code",
                "discount_kind", "discount_value", "charges", "tax_rate", "tax_category")
_MEMO = 50_000  # distinct line sets remembered (memory stays bounded whatever the file)
_ADJ_FIELDS = ("kind", "position", "label", "is_percent", "value", "tax_rate", "tax_category")
_TOKENS = 1_000  # link tokens drawn at once
_TOTAL_FIELDS = ("paid_minor", "subtotal_minor", "discount_minor", "fee_minor", "tax_minor", "billed_minor",
                 "balance_minor")  # what ``invoices._store_totals`` sets on the row


def _link_tokens() -> list[str]:
    """Link tokens as ``secrets.token_urlsafe(24)`` makes them (24 random bytes → 32 URL-safe base64
    characters, no padding), a thousand from one draw of ``secrets.token_bytes`` (one system call,
    not one each: as the demo generator draws them)."""
    pool = base64.urlsafe_b64encode(secrets.token_bytes(24 * _TOKENS)).decode("ascii")
    return [pool[i:i + 32] for i in range(0, len(pool), 32)]


def _reader(field):
    """A value as the database gives it back (``db_value`` then ``python_value``); a plain text,
    integer or boolean value of the column's own type as it is."""
    db_value, kept = stored_form(field)
    python_value = field.python_value

    def read(value):
        return value if value is None or type(value) is kept else python_value(db_value(value))

    return read


def _exact(values: tuple) -> tuple:
    """A key that tells apart what equal decimals may not (``Decimal("-0") == Decimal("0")``,
    ``Decimal("1.0") == Decimal("1")``): each decimal as its text."""
    return tuple(str(v) if type(v) is Decimal else v for v in values)


class _InvoiceRow:
    """A new invoice's row as the bulk import computes it: the values of ``Invoice``'s fields by
    name, as ``Invoice.__data__`` holds them (every field there, ``None`` where peewee has none),
    read and set as plain attributes — no peewee descriptor per access (a million at 10,000
    invoices). A foreign key is set by its field's name and read as ``<name>_id``, as on the
    model (the import sets them to ids only)."""

    @property
    def __data__(self) -> dict:
        return self.__dict__

    owner_id = property(lambda self: self.__dict__["owner"])
    billing_contact_id = property(lambda self: self.__dict__["billing_contact"])
    company_id = property(lambda self: self.__dict__["company"])


def _invoice_row_maker():
    """A function making an :class:`_InvoiceRow` as ``Invoice(**values)`` makes its model: every
    field's default (``get_default_dict``: a callable default called for each row), then the
    values given."""
    meta = Invoice._meta
    if {f.name for f in meta.sorted_fields if isinstance(f, pw.ForeignKeyField)} != {"owner", "billing_contact",
                                                                                   "company"}:
        raise RuntimeError("bulk import: Invoice has a foreign key _InvoiceRow does not name")
    blank = dict.fromkeys(f.name for f in meta.sorted_fields)
    defaults = meta.get_default_dict

    def make(**values) -> _InvoiceRow:
        row = _InvoiceRow()
        data = row.__dict__
        data.update(blank)
        data.update(defaults())
        data.update(values)
        return row

    return make


class _Doc:
    __slots__ = ("inv", "lines", "adjustments", "contacts", "companies", "snapshot", "text", "stamp")

    def __init__(self, inv, lines, adjustments, contacts, companies, snapshot, text, stamp) -> None:
        self.inv, self.lines, self.adjustments = inv, lines, adjustments
        self.contacts, self.companies, self.snapshot, self.text, self.stamp = (contacts, companies, snapshot, text,
                                                                                stamp)


def bulk_allowed() -> bool:
    """Whether this connection may write imported documents in bulk: not as a teammate's role on
    PostgreSQL, whose rights the database checks on the way the services make an invoice (a draft
    inserted, then numbered: R53 refuses a numbered row inserted by a teammate at once); a
    teammate's import goes one by one, through ``import_document``."""
    db = database.obj
    if not is_postgres(db) or not history._has_lock_function(db):
        return True
    return not db.execute_sql("SELECT invoice_tui_is_teammate()").fetchone()[0]


class Batch:
    """Imported documents computed by :meth:`add` and written by :meth:`flush` (inside the
    caller's transaction)."""

    def __init__(self, ctx: Context) -> None:
        require(ctx, "create_draft")
        ctx = self.ctx = DayContext.of(ctx)  # the clock and today read once per second
        self.settings = inv_svc._settings_ctx(ctx)
        self.docs: list[_Doc] = []
        self.numbers: set[str] = {n for (n,) in Invoice.select(Invoice.number).where(Invoice.number.is_null(False))
                                  .tuples()}
        self.contacts = {i: inv_svc.PartyContact(i, f, l_, e) for i, f, l_, e in
                         Contact.select(Contact.id, Contact.first_name, Contact.last_name, Contact.email).tuples()}
        self.companies = {i: inv_svc.PartyCompany(i, n) for i, n in Company.select(Company.id, Company.name).tuples()}
        user = ctx.user
        self.owner_name = (user.name or user.login) if user else ""
        self._w: Writer | None = None
        self._chains: history.BulkChains | None = None
        self._next_id = 0
        self._indexes_checked = False
        self._inv_cols = [f.column_name for f in Invoice._meta.sorted_fields]
        self._inv_values = operator.itemgetter(*(f.name for f in Invoice._meta.sorted_fields))
        meta = meta_line = LineItem._meta.fields
        self._line_fields = [(f, _reader(meta[f])) for f in _LINE_FIELDS]
        meta = Adjustment._meta.fields
        self._adj_fields = [(f, _reader(meta[f])) for f in _ADJ_FIELDS]
        self._read: dict[tuple, tuple] = {}  # a line's or adjustment's exact values → (its stored row, the key)
        self._line_inputs: dict[tuple, object] = {}  # a line's values → its LineInput, or False (refused)
        self._engines: dict[tuple, tuple] = {}  # (currency, lines, adjustments) → (compute_totals, contents)
        self._computed: dict[tuple, dict] = {}  # (that key, status, type, credit) → the totals stored on the row
        self._amounts: dict[tuple, dict] = {}  # (currency, billed, paid, balance) → the snapshot's amounts
        self._sets: dict = {}  # lines key → (checked lines, {currency: (values, stored rows, keys, database rows)})
        self._line_table = Table(LineItem, ["invoice_id", *(meta_line[f].column_name for f in _LINE_FIELDS)])
        self._tokens: list[str] = []
        self._new_row = _invoice_row_maker()
        self._currencies: dict[str, str] = {}  # a currency as given → its code (checked)

    def _token(self) -> str:
        if not self._tokens:
            self._tokens = _link_tokens()
        return self._tokens.pop()

    def __len__(self) -> int:
        return len(self.docs)

    def add(self, data: dict, *, number: str = "", status: str = "draft", doc_type: str = "invoice",
            refers_to: str = "", reason: str = "", source: str = "", lines_key=None) -> "_InvoiceRow":
        """One document, as :func:`invoices.import_document` takes it; its row (an
        :class:`_InvoiceRow`: an ``Invoice``'s values, without an id until :meth:`flush`), or its
        refusal (``InvoiceTuiError``) — nothing is kept then.
        ``lines_key``: equal for documents of this batch whose ``lines`` are equal (None: not
        known); their lines are then checked and their rows built once."""
        ctx = self.ctx
        if doc_type == "credit_note":  # it settles an invoice: ``import_document``, after :meth:`finish`
            raise ValueError("a credit note is imported one by one")
        status, number, ref_id, reason = inv_svc._import_checks(
            doc_type, status, number, refers_to, reason, taken=self.numbers.__contains__, find=lambda n: None)
        raw = dict(data)
        raw["origin"] = "import"
        known = self._sets.get(lines_key) if lines_key is not None else None
        checked = known[0] if known is not None else self._checked_lines(raw.get("lines"))
        if known is None and lines_key is not None and checked is not None:
            if len(self._sets) >= _MEMO:
                self._sets.clear()
            known = self._sets[lines_key] = (checked, {})
        data, fields, currency = self._document_input(raw if checked is None else {**raw, "lines": checked})
        # ``_check_refs`` is not needed: the import gives only ids it read from the workspace.
        inv = inv_svc._document_row(ctx, data, fields, currency, self.settings, self._new_row)
        # The lines' values, stored rows and database rows: once per distinct lines and currency.
        rows = known[1].get(currency) if known is not None else None
        if rows is None:
            given = "lines" in fields and data.lines is not None
            lines = inv_svc._line_values(currency, data.lines, self.settings.vat_franchise) if given else []
            stored = [self._stored(v, _LINE_FIELDS, self._line_fields, inv_svc.StoredLine) for v in lines]
            convert = self._line_table._converter()
            rows = (lines, [row for row, _ in stored], tuple(k for _, k in stored),
                    [convert((None, *(v[f] for f in _LINE_FIELDS)))[1:] for v in lines])
            if known is not None:
                known[1][currency] = rows
        lines, line_rows, line_keys, line_db = rows
        adjustments = []
        for kind in ADJUSTMENT_KINDS:
            attr = ADJUSTMENT_LISTS[kind]
            if attr in fields and getattr(data, attr) is not None:
                adjustments += inv_svc._adjustment_values(currency, kind, getattr(data, attr),
                                                           self.settings.vat_franchise)
        contacts = list(dict.fromkeys(data.contact_ids or [])) if "contact_ids" in fields else []
        companies = list(dict.fromkeys(data.company_ids or [])) if "company_ids" in fields else []
        if inv.billing_contact_id and inv.billing_contact_id not in contacts:
            contacts.append(inv.billing_contact_id)
        if inv.company_id and inv.company_id not in companies:
            companies.append(inv.company_id)
        inv_svc._mark_imported(ctx, inv, raw, doc_type, status, number, ref_id, reason, self._token)
        contact = self.contacts.get(inv.billing_contact_id)
        company = self.companies.get(inv.company_id)
        stored_adjs = [self._stored(v, _ADJ_FIELDS, self._adj_fields, inv_svc.StoredAdjustment) for v in adjustments]
        parts = inv_svc.SnapshotParts(
            contact=contact, company=company, owner=ctx.user,
            contact_emails=sorted(self.contacts[i].email for i in contacts),
            company_names=sorted(self.companies[i].name for i in companies),
            lines=line_rows, adjustments=[row for row, _ in stored_adjs])
        # The totals engine and the snapshot's contents are pure functions of the lines and
        # adjustments in the invoice's currency (no id yet: nothing paid), computed once for every
        # invoice of the file that holds the same ones; the invoice's totals of those (its status,
        # type and credit decide its balance) once per status, type and credit.
        held = (inv.currency, line_keys, tuple(k for _, k in stored_adjs))
        known = self._engines.get(held)
        if known is None:
            if len(self._engines) >= _MEMO:
                self._engines.clear()
            known = self._engines[held] = (
                inv_svc.totals_engine(inv, parts.lines, parts.adjustments, 0),
                inv_svc.snapshot_contents(inv.currency, parts.lines, parts.adjustments))
        engine, contents = known
        # What ``_store_totals`` stores on the row is a function of those totals, the status, type
        # and credit (no id: nothing paid): stored once per key, then set as it stored them.
        key = (held, inv.status, inv.doc_type, inv.credited_minor)
        stored = self._computed.get(key)
        if stored is None:
            totals = inv_svc.invoice_totals(inv, paid=0, lines=parts.lines, adjustments=parts.adjustments,
                                            engine=engine)
            inv_svc._store_totals(inv, parts, computed=lambda _inv: totals)
            if len(self._computed) >= _MEMO:
                self._computed.clear()
            self._computed[key] = {name: inv.__dict__[name] for name in _TOTAL_FIELDS}
        else:
            inv.__dict__.update(stored)
        inv_svc._imported_status(inv)
        inv.contact_name = contact.display_name if contact else ""
        inv.contact_email = contact.email if contact else ""
        inv.company_name = company.name if company else ""
        inv.owner_name = self.owner_name if inv.owner_id else ""
        inv.version = 1  # created (1), its totals stored without a bump
        inv.updated_at = ctx.now()
        held = (inv.currency, inv.billed_minor, inv.paid_minor, inv.balance_minor)
        amounts = self._amounts.get(held)
        if amounts is None:
            if len(self._amounts) >= _MEMO:
                self._amounts.clear()
            amounts = self._amounts[held] = inv_svc.snapshot_amounts(inv)
        snap = inv_svc.snapshot(inv, parts, contents, amounts)
        if number:
            self.numbers.add(number)
        self.docs.append(_Doc(inv, line_db, adjustments, contacts, companies, snap,
                              inv_svc.imported_text(number, source), ctx.now()))
        return inv

    def _document_input(self, raw: dict) -> tuple:
        """``invoices._document_input(raw)`` (the same checks and refusals), its currency's code
        checked once per text."""
        data = validate(inv_svc.InvoiceInput, raw)
        if not data.currency:
            return inv_svc._document_input(raw)  # refused, with its sentence
        currency = self._currencies.get(data.currency)
        if currency is None:
            currency = self._currencies[data.currency] = inv_svc.check_currency(data.currency)
        return data, set(raw), currency

    def _checked_lines(self, lines) -> list | None:
        """The document's lines, each checked by ``LineInput`` once per distinct line of the file
        (pydantic takes a checked ``LineInput`` as it is); None when a line is refused, so that
        the whole input is checked as it came and refused with the sentence it always gets."""
        if not isinstance(lines, list):
            return None
        out = []
        for line in lines:
            try:
                key = tuple((k, type(v), str(v) if type(v) is Decimal else v) for k, v in line.items())
                found = self._line_inputs.get(key)
            except (AttributeError, TypeError):  # not a dict, or a value that is not hashable (charges)
                out.append(line)
                continue
            if found is None:
                try:
                    found = inv_svc.LineInput.model_validate(line)
                except Exception:  # noqa: BLE001 - refused: the whole input is checked again
                    found = False
                if len(self._line_inputs) >= _MEMO:
                    self._line_inputs.clear()
                self._line_inputs[key] = found
            if found is False:
                return None
            out.append(found)
        return out

    def _stored(self, values: dict, names: tuple[str, ...], readers: list, row_type) -> tuple:
        """A line's or an adjustment's values as the database gives them back, and its exact key
        (each distinct one read once per file)."""
        key = (row_type, *_exact(tuple(values[name] for name in names)))
        found = self._read.get(key)
        if found is None:
            if len(self._read) >= _MEMO:
                self._read.clear()
            found = self._read[key] = (row_type(0, *(read(values[name]) for name, read in readers)), key)
        return found

    def pop(self) -> None:
        """Forget the last document added (refused after all)."""
        doc = self.docs.pop()
        self.numbers.discard(doc.inv.number)

    def flush(self, expected: int = 0) -> None:
        """Hand the documents added so far to the writer: every table's rows at once, and their
        history rows chained. On SQLite the writer's thread writes them while the next ones are
        computed: the caller touches the database again only after :meth:`finish`."""
        docs, self.docs = self.docs, []
        if not docs:
            return
        if self._w is None:
            self._w = Writer()
            self._chains = history.BulkChains()
            if not self._w.pg:  # ids after the largest, as inserts one by one take them
                self._next_id = self._w.max_id(Invoice) + 1
                self._w.start(self._rebuilt(max(len(docs), expected)))
        w = self._w
        if w.pg:
            ids = w.take_ids(Invoice, len(docs))
        else:
            ids = range(self._next_id, self._next_id + len(docs))
            self._next_id += len(docs)
        for doc, new_id in zip(docs, ids):
            doc.inv.id = new_id
        table = Table(Invoice, self._inv_cols)
        values = self._inv_values  # (every field is in a row's values: _invoice_row_maker)
        w.write(table, table.db_rows([values(d.inv.__dict__) for d in docs]))
        w.write(self._line_table, [(d.inv.id, *row) for d in docs for row in d.lines])  # (rows as stored)
        table = Table(Adjustment, ["invoice_id", *_ADJ_FIELDS])
        w.write(table, table.db_rows([(d.inv.id, *(v[f] for f in _ADJ_FIELDS))
                                      for d in docs for v in d.adjustments]))
        table = Table(InvoiceContact, ["invoice_id", "contact_id"])
        w.write(table, [(d.inv.id, c) for d in docs for c in d.contacts])
        table = Table(InvoiceCompany, ["invoice_id", "company_id"])
        w.write(table, [(d.inv.id, c) for d in docs for c in d.companies])
        ctx = self.ctx
        snapshots = history.objects_json([d.snapshot for d in docs])
        self._chains.add(
            w, property_change=[("invoice", d.inv.id, d.inv.number, history.CREATED, None, text, ctx.login,
                                 ctx.source, d.stamp) for d, text in zip(docs, snapshots)],
            activity=[(d.inv.id, d.inv.number, "imported", d.text, ctx.login, d.stamp, None, None) for d in docs])

    def _rebuilt(self, coming: int) -> list[str]:
        """SQLite, the first writer of the import: the tables whose secondary indexes are dropped
        for the load and rebuilt by :meth:`finish` (the same indexes; one sort each instead of a
        B-tree insert per row and index — the invoice table has 25, the history tables one by
        object and one by invoice), those holding fewer rows than the import is expected to add
        (``coming``: at least the first batch; a rebuild reads the rows already there too).
        Later writers (after a document written one by one) keep every index."""
        if self._indexes_checked:
            return []
        self._indexes_checked = True
        w = self._w
        return [model._meta.table_name for model in (Invoice, history.PropertyChange, history.Activity, InvoiceContact,
                                                     InvoiceCompany)
                if w.max_id(model) < coming]

    def finish(self) -> None:
        """Flush, wait until every row is written, and store the chains' heads: the database is
        the caller's again (before a document written one by one, and at the end)."""
        self.flush()
        w, chains, self._w, self._chains = self._w, self._chains, None, None
        if w is not None:
            w.drain()
            w.rebuild_indexes()
            chains.close()

    def abandon(self) -> None:
        """Wait for the writer after a failure (the caller's transaction is rolled back)."""
        w, self._w, self._chains, self.docs = self._w, None, None, []
        if w is not None:
            try:
                w.drain()
            except Exception:  # noqa: BLE001 - the failure being raised is the one to report
                pass


__all__ = ["Batch"]
