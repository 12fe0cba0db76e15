"""Demo data: a realistic, deterministic workspace of any size (issue 2; ≤ 90 s at 1M, issue 7).

``generate(ctx, invoices=N, seed=S)`` fills an *empty* workspace (no invoice, contact or payment)
with users, contacts (names with accents), companies, and N invoices in EUR, USD, GBP and JPY in
every state — drafts, open, partially paid, paid, overdue, voided — with line items (varied tax
rates, some line discounts), invoice-level discounts, fees and extra taxes on some, payments
(manual, some online), a few unapplied payments, reminders and history. The invoking user must
be super admin (the workspace's first user); it fills in the seller profile settings that are
still empty and adds five colleagues with various permissions.

How it stays fast and exact
- Everything is written in one transaction (nothing is left behind on failure) with bulk
  inserts. Ids are assigned here, so children are written without reading anything back.
- The invoices are generated in up to ``MAX_SEGMENTS`` consecutive *segments*, each with its own
  random generator and written to its own temporary SQLite file (invoices, template numbers,
  payments, reminders, activity events). From ``PARALLEL_FROM`` invoices on, worker processes
  (one per core, forked) generate the segments while this process copies each finished one into
  the workspace in order: SQLite attaches the file and copies it with ``INSERT … SELECT`` (C code
  — Python's lock would otherwise serialise generating and writing), PostgreSQL reads it and
  ``COPY``s. Categories, dates and payment splits are drawn first by the main generator, so each
  segment's first number and payment id are known before it is generated; the result does not
  depend on how many processes run (a test compares).
- SQLite, for this connection and only during the load (restored afterwards): ``synchronous``
  OFF, foreign-key checks off (the ids are consistent by construction; a test runs
  ``foreign_key_check``), a 1 GB page cache, memory-mapped reads, in-memory temp store, and —
  when no other connection has the file open — a rollback journal on disk instead of WAL (new
  pages written once, not twice; crash-safe: a killed load is rolled back on the next open).
- Indexes on random keys (names, amounts, tokens, hashes, …) are dropped for the load and rebuilt
  after it in the same transaction (one sort each instead of millions of random B-tree inserts);
  indexes whose keys arrive in order stay live (``_LIVE_INDEXES``). The index builds run in a
  writer thread (without Python's lock) while this thread hash-chains the activities.
- Amounts come from the one R18 function: a few hundred invoice templates (lines and
  adjustments) per currency are computed with :func:`compute_totals` once, and every invoice
  reuses one template's lines and totals — so the stored totals always equal a recomputation.
  The template lines live in temporary tables and the database copies them to each invoice
  (``INSERT … SELECT``), as it derives the invoice↔contact/company links from the invoice rows.
- Numbers ``<prefix><next>``… are given consecutively to the finalized invoices in date order
  and the workspace counter is set past them (R3). Link tokens are 24 bytes from
  ``secrets.token_bytes`` in URL-safe base64 — exactly what ``secrets.token_urlsafe(24)`` in
  ``finalize_invoice`` makes — drawn a chunk at a time.
- Activities (R16) use the texts the services write and are hash-chained exactly as
  ``history.py`` does (same fields, same canonical JSON), with the chain head updated, so
  ``verify_chain`` holds. The segments only collect the events; they are chained after them,
  in order, while the writer thread rebuilds the other tables' indexes (C code, without
  Python's lock: the two cores both work). The most recent ``FULL_HISTORY`` invoices get their
  whole story: created/cloned, finalized, "invoice email sent", payments, reminders sent,
  voided, some notes and tasks, and their sent reminder rows. Every older invoice has one
  history row — "finalized" ("created"/"cloned" for a draft), plus "voided" for a voided one —
  and carries its last sent date, payments and upcoming reminders, but no sent reminder rows:
  the full story of every invoice would be 2.7M history rows at 1M invoices instead of 1.1M.
  Property changes (R15) are written for a sample: the most recent ``PROPERTY_SAMPLE`` invoices
  (what the index shows first) and their payments, rebuilt stage by stage (created → finalized
  → sent → paid/voided) from the invoice's snapshot, plus the users and settings created
  through the services. Older invoices have activities but no property rows.

Determinism: for a given seed, clock (``ctx.now()``/``ctx.today()``) and N every row is the same,
except ``invoice.link_token`` (random, as in production). All timestamps derive from the clock.
Chain rows are ordered per invoice (created → … → paid); across invoices the id order follows
generation, not wall-clock time. Paid and voided invoices carry no reminder rows (the services
would have left ``dropped`` ones).
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import functools
import hashlib
import io
import itertools
import json
import multiprocessing
import os
import queue
import random
import secrets
import shutil
import sqlite3
import tempfile
import threading
import time
import traceback
import unicodedata
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence

import peewee as pw

from invoice_tui.db import database, is_postgres, is_sqlite, write_tx
from invoice_tui.db.models import (Activity, Adjustment, ChainHead, Company, Contact, Counter, Invoice,
                                   InvoiceCompany, InvoiceContact, LineItem, Payment, PropertyChange,
                                   Reminder, User)
from invoice_tui.domain import history, invoices
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, PermissionDenied, RuleRefused
from invoice_tui.domain.money import exponent, from_minor, plain, to_minor
from invoice_tui.domain.settings import NUMBER_COUNTER, load_settings, next_number, store_setting
from invoice_tui.domain.totals import ADJUSTMENT_KINDS, AdjustmentSpec, LineSpec, compute_totals

MAX_INVOICES = 10_000_000
TEMPLATES_PER_CURRENCY = 300
PROPERTY_SAMPLE = 1000
FULL_HISTORY = 50_000
CHUNK = 20_000
SEGMENT_MIN = 25_000  # invoices per segment file, at least …
MAX_SEGMENTS = 8  # … and at most this many segments (each is attached: SQLite allows 10 files)
PARALLEL_FROM = 50_000  # from this many invoices on, worker processes generate the segments
MAX_PROCESSES = 4
CACHE_KIB = 1_000_000  # SQLite page cache during the load: 1 GB (measured at 1M: index builds 4 s faster than 256 MB)
TODAY = 800  # invoice days are offsets from today - TODAY days (two years and a bit of history)

CATEGORIES = ("draft", "open", "overdue", "partial", "paid", "voided")
_TERMS = (30, 30, 30, 30, 14, 45, 60)  # payment terms in days (drawn uniformly: mostly 30)
_CAT_WEIGHTS = (6, 17, 9, 7, 57, 4)

# ---- reference data --------------------------------------------------------------------------
# country → (locale, currency, first names, last names, cities, street pattern, phone prefix, tax id)
_COUNTRIES: dict[str, dict[str, Any]] = {
    "FR": dict(locale="fr_FR", currency="EUR", weight=24,
               first=["Zoé", "Élodie", "Hélène", "Jérôme", "François", "Amélie", "Théo", "Anaïs", "Benoît",
                      "Cécile", "Gaëlle", "Léa", "Noël", "Raphaël", "Inès", "Maëlys", "Loïc", "Chloé"],
               last=["Lefèvre", "Dupré", "Bérenger", "Moreau", "Lemaître", "Girard", "Côté", "Faure",
                     "Rivière", "Mercier", "Bonnard", "Chevalier", "Garçon", "Lévêque", "Thérond"],
               cities=[("75011", "Paris"), ("69006", "Lyon"), ("13001", "Marseille"), ("33000", "Bordeaux"),
                       ("59000", "Lille"), ("44000", "Nantes"), ("31000", "Toulouse")],
               street="{n} rue des {w}", words=["Lilas", "Érables", "Tanneurs", "Prés", "Écoles"],
               addr="{street}\n{zip} {city}\nFrance", phone="+33 {a} {b} {c} {d} {e}",
               legal=["SARL", "SAS", "SA"], acts=["Conseil", "Études", "Menuiserie", "Boulangerie", "Éditions",
                                                  "Architecture", "Informatique"],
               tax="FR{n11}", tld="fr", tax_rates=[Decimal("20"), Decimal("10"), Decimal("5.5")]),
    "DE": dict(locale="de_DE", currency="EUR", weight=20,
               first=["Jürgen", "Jörg", "Günther", "Björn", "Sören", "Käthe", "Lena", "Maximilian", "Anja",
                      "Jonas", "Mareike", "Uwe", "Dörte", "Lukas"],
               last=["Müller", "Schäfer", "Böhm", "Krüger", "Weiß", "Groß", "Köhler", "Schröder", "Hoffmann",
                     "Fischer", "Wagner", "Becker", "Schulz", "Jäger"],
               cities=[("10115", "Berlin"), ("80331", "München"), ("20095", "Hamburg"), ("50667", "Köln"),
                       ("60311", "Frankfurt am Main"), ("04109", "Leipzig")],
               street="{w}straße {n}", words=["Haupt", "Linden", "Garten", "Schiller", "Goethe", "Bahnhof"],
               addr="{street}\n{zip} {city}\nDeutschland", phone="+49 {a}{b} {c}{d}{e}",
               legal=["GmbH", "AG", "KG"], acts=["Maschinenbau", "Beratung", "Logistik", "Bäckerei", "Software",
                                                 "Druckerei"],
               tax="DE{n9}", tld="de", tax_rates=[Decimal("19"), Decimal("7")]),
    "ES": dict(locale="es_ES", currency="EUR", weight=10,
               first=["José", "María", "Sofía", "Andrés", "Lucía", "Íñigo", "Begoña", "Ramón", "Martín",
                      "Inés", "Álvaro", "Nuria"],
               last=["García", "Peña", "Núñez", "Fernández", "López", "Martínez", "Sánchez", "Gómez",
                     "Ibáñez", "Muñoz", "Jiménez", "Ortíz"],
               cities=[("28013", "Madrid"), ("08002", "Barcelona"), ("46001", "Valencia"), ("41001", "Sevilla"),
                       ("48001", "Bilbao")],
               street="Calle de {w}, {n}", words=["Alcalá", "Serrano", "Goya", "la Paz", "Colón"],
               addr="{street}\n{zip} {city}\nEspaña", phone="+34 {a}{b} {c} {d}{e}",
               legal=["S.L.", "S.A."], acts=["Consultoría", "Diseño", "Construcciones", "Panadería", "Tecnología"],
               tax="ES{L}{n8}", tld="es", tax_rates=[Decimal("21"), Decimal("10")]),
    "US": dict(locale="en_US", currency="USD", weight=24,
               first=["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
                      "Elizabeth", "Chloë", "Renée", "José", "André"],
               last=["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
                     "Taylor", "O'Neil", "Thompson", "Martinez"],
               cities=[("NY 10001", "New York"), ("CA 94103", "San Francisco"), ("IL 60601", "Chicago"),
                       ("TX 78701", "Austin"), ("WA 98101", "Seattle"), ("MA 02108", "Boston")],
               street="{n} {w} Street", words=["Main", "Oak", "Pine", "Maple", "Cedar", "Elm"],
               addr="{street}\n{city}, {zip}\nUSA", phone="+1 ({a}{b}) {c}{d}-{e}",
               legal=["Inc.", "LLC", "Corp."], acts=["Consulting", "Widgets", "Software", "Design", "Logistics",
                                                     "Labs"],
               tax="EIN {n2}-{n7}", tld="com",
               tax_rates=[Decimal("0"), Decimal("8.875"), Decimal("7.25"), Decimal("6")]),
    "GB": dict(locale="en_GB", currency="GBP", weight=13,
               first=["Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Siobhán", "Niamh", "Rhys",
                      "Ffion", "Seán"],
               last=["Smith", "Jones", "Taylor", "Brown", "Evans", "Walker", "Wright", "Robinson", "Hughes",
                     "Ó Briain", "Llewellyn"],
               cities=[("EC1A 1BB", "London"), ("M1 1AE", "Manchester"), ("B1 1BB", "Birmingham"),
                       ("EH1 1YZ", "Edinburgh"), ("BS1 4DJ", "Bristol")],
               street="{n} {w} Road", words=["High", "Station", "Church", "Victoria", "Mill"],
               addr="{street}\n{city} {zip}\nUnited Kingdom", phone="+44 {a}{b} {c}{d} {e}",
               legal=["Ltd", "PLC", "LLP"], acts=["Consulting", "Joinery", "Publishing", "Engineering", "Bakery"],
               tax="GB{n9}", tld="co.uk", tax_rates=[Decimal("20"), Decimal("5")]),
    "JP": dict(locale="ja_JP", currency="JPY", weight=9,
               first=["Haruto", "Yui", "Sōta", "Yūki", "Kenji", "Aoi", "Ren", "Sakura", "Kōhei", "Hina"],
               last=["Satō", "Suzuki", "Takahashi", "Tanaka", "Itō", "Watanabe", "Yamamoto", "Nakamura",
                     "Kobayashi", "Katō"],
               cities=[("100-0001", "Tokyo"), ("530-0001", "Osaka"), ("450-0002", "Nagoya"), ("060-0001", "Sapporo"),
                       ("810-0001", "Fukuoka")],
               street="{n}-{n2} {w}", words=["Marunouchi", "Umeda", "Sakae", "Tenjin", "Shibuya"],
               addr="{street}\n{city} {zip}\nJapan", phone="+81 {a}{b}-{c}{d}-{e}",
               legal=["K.K.", "G.K."], acts=["Trading", "Robotics", "Design", "Foods", "Systems"],
               tax="T{n13}", tld="co.jp", tax_rates=[Decimal("10"), Decimal("8")]),
}
_RATES = {"EUR": Decimal(1), "USD": Decimal("1.1"), "GBP": Decimal("0.85"), "JPY": Decimal(160)}
_CURRENCY_TAX = {"EUR": [Decimal("20"), Decimal("19"), Decimal("21"), Decimal("10"), Decimal("7"),
                         Decimal("5.5"), Decimal("0")],
                 "USD": [Decimal("0"), Decimal("8.875"), Decimal("7.25"), Decimal("6")],
                 "GBP": [Decimal("20"), Decimal("5"), Decimal("0")],
                 "JPY": [Decimal("10"), Decimal("8")]}
# (name, description, price in EUR (low, high), quantities)
_ITEMS = [
    ("Consulting", "Senior consultant, on site", (90, 180), ["7.5", "15", "22.5", "3", "1.5"]),
    ("Development", "Backend and frontend work", (60, 140), ["8", "16", "40", "12.5", "80"]),
    ("Design workshop", "Half-day workshop with the team", (450, 1200), ["1", "2"]),
    ("Hosting", "Managed hosting, monthly", (25, 400), ["1", "3", "12"]),
    ("Support plan", "Business hours, response within 4 h", (150, 900), ["1", "3", "6", "12"]),
    ("Software licence", "Per seat, yearly", (40, 300), ["5", "10", "25", "50"]),
    ("Training", "Per participant", (200, 650), ["1", "4", "8", "12"]),
    ("Audit", "Security and performance audit", (1500, 6000), ["1"]),
    ("Translation", "Per 1,000 words — Français ↔ Deutsch", (60, 120), ["3.2", "12.75", "40"]),
    ("Photography", "Product shots, retouched", (35, 90), ["20", "45", "120"]),
    ("Printing", "Brochures A4, 16 pages", (0.85, 2.4), ["500", "1000", "2500"]),
    ("Travel expenses", "Train and hotel", (120, 900), ["1"]),
    ("Domain renewal", "Yearly", (12, 45), ["1", "2", "5"]),
    ("Hardware", "Refurbished laptop", (480, 1400), ["1", "2", "5"]),
    ("Maintenance", "Quarterly visit", (250, 700), ["1", "4"]),
    ("Data migration", "Import of legacy records", (900, 4000), ["1"]),
    ("Café & croissants", "Catering for the kick-off", (4.5, 12), ["12", "25", "40"]),
]
_TITLES = ["Website redesign — phase 2", "Q1 retainer", "Annual support renewal", "Kick-off workshop",
           "Migration project", "Monthly services", "Training programme", "Hardware order", "", "", "", ""]
_COMMENTS = {
    "fr": ["Merci pour votre confiance !", "Paiement à réception de facture.", "TVA acquittée sur les débits."],
    "de": ["Vielen Dank für Ihren Auftrag!", "Zahlbar ohne Abzug.", "Leistungszeitraum: laufender Monat."],
    "es": ["¡Gracias por su confianza!", "Pago mediante transferencia bancaria."],
    "en": ["Thank you for your business!", "Please quote the invoice number with your payment.",
           "Net 30 — late payments may incur a fee."],
    "ja": ["Thank you for your continued business.", "Please pay by bank transfer."],
}
_NOTES = ["Customer asked for a copy with the PO number.", "Called the customer — payment promised this week.",
          "Discount agreed with the account manager.", "Sent the signed delivery note separately.",
          "Customer's accounts payable: ask for Mélanie."]
_TASKS = ["Follow up on payment", "Send the delivery note", "Check the VAT number", "Call about the PO number"]
_DEMO_USERS = [  # login, name, permissions
    ("marie.curie", "Marie Curie", "view,create,edit,delete"),
    ("jorg.muller", "Jörg Müller", "view,create,edit"),
    ("sofia.nunez", "Sofía Núñez", "view,create"),
    ("kenji.sato", "Kenji Satō", "view,create,edit"),
    ("auditor", "Ana Auditor", "view"),
]
_SELLER = {
    "seller_name": "Lumière & Co. Studio SAS",
    "seller_address": "8 boulevard de la Croix-Rousse\n69004 Lyon\nFrance",
    "seller_tax_id": "FR40123456789",
    "payment_instructions": "Bank transfer to IBAN FR76 3000 6000 0112 3456 7890 189 (BIC AGRIFRPP), "
                            "quoting the invoice number.",
}
_METHODS = ("bank_transfer", "bank_transfer", "bank_transfer", "check", "card", "cash", "other")


# ---- helpers ---------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randrange(10 ** n)).zfill(n)


def _dec_text(value: Decimal | None) -> str | None:
    """As ``DecimalTextField`` stores it."""
    return None if value is None else format(Decimal(value).normalize(), "f")


def _ts(value: dt.datetime) -> str:
    """As peewee stores a naive datetime (and as it reads back)."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _iso_ts(value: str) -> str:
    """The canonical (``datetime.isoformat``) form of a stored timestamp, for the hash chain."""
    return value[:10] + "T" + value[11:]


encode_basestring = json.encoder.encode_basestring  # what json.dumps(..., ensure_ascii=False) uses for str


class _Table:
    """One table's bulk load: the columns given here, plus any column another module added to
    the model later (filled with the field's default)."""

    def __init__(self, model, columns: Sequence[str]) -> None:
        self.model = model
        self.name = model._meta.table_name
        known = list(columns)
        extra_cols, extra_vals = [], []
        by_column = {f.column_name: f for f in model._meta.sorted_fields}
        for col, field in by_column.items():
            if col in known:
                continue
            default = field.default() if callable(field.default) else field.default
            if default is None and not field.null:
                raise RuntimeError(f"demo: {self.name}.{col} has no default; the generator must fill it")
            extra_cols.append(col)
            extra_vals.append(field.db_value(default))
        unknown = [c for c in known if c not in by_column]
        if unknown:
            raise RuntimeError(f"demo: {self.name} has no column {unknown}")
        self.known = known  # the columns the generator fills (the others get their default)
        self.columns = known + extra_cols
        self.extra = tuple(extra_vals)
        self.count = 0

    @classmethod
    def raw(cls, name: str, columns: list[str]) -> "_Table":
        table = cls.__new__(cls)
        table.model, table.name, table.columns, table.extra, table.count = None, name, columns, (), 0
        table.known = columns
        return table


# Indexes kept up to date during the load (by their columns; elsewhere those led by invoice_id):
# keys that arrive in increasing order (ids, invoice dates, numbers) append at the right edge of
# the B-tree, and keys that arrive in order within a few groups (statuses, currencies, owners;
# due dates are invoice dates plus a few weeks) are inserted at a few hot spots — measured at 1M,
# as cheap as a rebuild, and done while the worker processes generate, instead of after them. The
# others (names, amounts, tokens, hashes: inserts all over the tree, 1.6× a rebuild) are dropped for
# the load and rebuilt after it.
_LIVE_INDEXES = {
    "invoice": {("invoice_date",), ("number_seq",), ("id",), ("number",), ("due_date",), ("last_sent_date",),
                ("status",), ("status", "due_date"), ("currency",), ("owner_id",), ("owner_id", "status"),
                ("owner_name",)},
    "payment": {("state",)},
    "reminder": {("due_on",)},
}


class _Writer:
    """Bulk rows into the bound database: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

    Between :meth:`start` and :meth:`finish` the rows go through a queue to one writer thread
    that owns the connection (the main thread only generates, and touches no database), so the
    database's C code runs while Python builds the next chunk. The secondary indexes of the
    bulk tables are dropped at :meth:`start` and rebuilt at :meth:`finish`, inside the same
    transaction: one sort per index is much cheaper than a million random B-tree inserts.
    """

    def __init__(self) -> None:
        self.db = database.obj
        self.pg = is_postgres(self.db)
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._indexes: list[tuple[str, str]] = []  # (table, CREATE INDEX statement)
        self._temps: list[str] = []
        self._conn = None
        self.attached: list[str] = []

    # -- indexes --
    def _drop_indexes(self, tables: Iterable[str]) -> None:
        for table in tables:
            if self.pg:
                rows = self.db.execute_sql(
                    "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                    "WHERE t.relname = %s AND t.relnamespace = to_regnamespace(current_schema())::oid "
                    "AND NOT x.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                    (table,)).fetchall()
            else:
                rows = self.db.execute_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                    (table,)).fetchall()
            keep = _LIVE_INDEXES.get(table, set())
            for name, sql in rows:
                columns = sql[sql.index("(", sql.upper().index(" ON ")) + 1:sql.rindex(")")]
                columns = tuple(c.strip(' "') for c in columns.split(","))
                if columns in keep or columns[0] == "invoice_id":
                    continue  # keys arrive in order (see _LIVE_INDEXES)
                self._indexes.append((table, sql))
                self.db.execute_sql(f'DROP INDEX "{name}"')

    def rebuild_indexes(self, tables: Iterable[str] | None = None) -> None:
        """Rebuild the dropped indexes (of ``tables`` only, if given)."""
        wanted = None if tables is None else set(tables)
        todo = [ix for ix in self._indexes if wanted is None or ix[0] in wanted]
        self._indexes = [ix for ix in self._indexes if ix not in todo]
        if not todo:
            return
        if not self.pg:  # let SQLite's sorter use a helper thread for the index builds
            threads = self._sql("PRAGMA threads").fetchone()[0]
            self._sql("PRAGMA threads = 2")
        for _, sql in todo:
            self._sql(sql)
        if not self.pg:
            self._sql(f"PRAGMA threads = {int(threads)}")

    def _sql(self, sql: str):
        """One statement on the load's connection (also from the writer thread, which owns it
        between :meth:`start` and :meth:`drain`)."""
        conn = self._conn or self.db.connection()
        if self.pg:
            cursor = conn.cursor()
            cursor.execute(sql)
            return cursor
        return conn.execute(sql)

    # -- the writer thread --
    def drop_indexes(self, tables: Iterable[str]) -> None:
        """Drop the secondary indexes of ``tables`` whose keys do not arrive in order; they are
        rebuilt by :meth:`rebuild_indexes` (at the latest by :meth:`finish`)."""
        self._drop_indexes(tables)

    def attach(self, path: str, alias: str) -> None:
        """SQLite: attach a generated file to the load's connection (detached by :meth:`detach_all`
        once the transaction is over: SQLite refuses to detach a file a transaction has read)."""
        conn = self._conn or self.db.connection()
        conn.execute(f"ATTACH DATABASE ? AS {alias}", (path,))
        conn.execute(f"PRAGMA {alias}.mmap_size = {1 << 34}")  # read in place, not a read() per page
        self.attached.append(alias)

    def detach_all(self) -> None:
        while self.attached:
            alias = self.attached.pop()
            try:
                self.db.execute_sql(f"DETACH DATABASE {alias}")
            except pw.DatabaseError:  # pragma: no cover - still in a transaction (an outer one)
                pass

    def start(self, tables: Iterable[str] = ()) -> None:
        self._drop_indexes(tables)
        self._conn = self.db.connection()
        self._queue = queue.Queue(maxsize=2)
        self._thread = threading.Thread(target=self._run, name="demo-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:
                try:
                    if callable(item):
                        item()
                    elif len(item) == 3:
                        self._execute_now(*item)
                    else:
                        self._write_now(*item)
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                    self._error = exc

    def thread_owned(self) -> bool:
        """Whether the caller is the writer thread."""
        return self._thread is not None and threading.current_thread() is self._thread

    def drain(self) -> None:
        """Wait until every queued row is written (the thread ends)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = self._queue = None
        if self._error is not None:
            raise self._error

    def call(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` in the writer thread, after the rows queued so far (e.g. an index build,
        which runs in C without Python's lock while the main thread goes on computing)."""
        if self._queue is None:
            fn()
        else:
            if self._error is not None:
                self.finish()
            self._queue.put(fn)

    def unbounded(self) -> None:
        """From now on :meth:`write` never waits for the writer thread (the rows queue up in memory)."""
        if self._queue is not None:
            self._queue.maxsize = 0

    def finish(self) -> None:
        self.drain()
        self.rebuild_indexes()

    def create_temp(self, name: str, columns: str) -> _Table:
        """A temporary table for this transaction (dropped at the end of :func:`generate`)."""
        suffix = " ON COMMIT DROP" if self.pg else ""
        self.db.execute_sql(f"CREATE TEMP TABLE {name} ({columns}){suffix}")
        self._temps.append(name)
        plain_columns = columns.split(", PRIMARY KEY")[0]
        return _Table.raw(name, [c.split()[0] for c in plain_columns.split(",")])

    def drop_temps(self) -> None:
        while self._temps:
            name = self._temps.pop()
            self._sql(f"DROP TABLE IF EXISTS {name}")

    def insert_select(self, table: _Table, exprs: dict[str, str], source: str, now: bool = False) -> None:
        """``INSERT INTO table (...) SELECT ... source``: rows built by the database itself (one
        statement, which runs without Python's lock in the writer thread); ids come from the
        table's own sequence (call :meth:`fix_sequence` first), in the ``ORDER BY`` of ``source``,
        unless ``exprs`` gives them. ``now``: at once, also when called from the writer thread."""
        cols = [c for c in table.columns if c in exprs] + [c for c in table.columns if c not in exprs and c != "id"]
        extra = dict(zip(table.columns[len(table.columns) - len(table.extra):], table.extra))
        select = [exprs[c] for c in cols if c in exprs] + [self.db.param for c in cols if c not in exprs]
        params = tuple(extra[c] for c in cols if c not in exprs)
        col_sql = ", ".join(f'"{c}"' for c in cols)
        sql = f'INSERT INTO "{table.name}" ({col_sql}) SELECT {", ".join(select)} {source}'
        if self._queue is None or now:
            self._execute_now(table, sql, params)
        else:
            if self._error is not None:
                self.finish()
            self._queue.put((table, sql, params))

    def _execute_now(self, table: _Table, sql: str, params: tuple) -> None:
        conn = self._conn or self.db.connection()
        if self.pg:
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                table.count += cursor.rowcount
        else:
            table.count += conn.execute(sql, params).rowcount

    def write(self, table: _Table, rows: list[tuple]) -> None:
        if not rows:
            return
        table.count += len(rows)
        if self._queue is None:
            self._write_now(table, rows)
            return
        if self._error is not None:
            self.finish()
        self._queue.put((table, rows))

    def _write_now(self, table: _Table, rows: list[tuple]) -> None:
        if table.extra:
            rows = [r + table.extra for r in rows]
        cols = ", ".join(f'"{c}"' for c in table.columns)
        conn = self._conn or self.db.connection()
        if self.pg:
            buf = io.StringIO()
            write = buf.write
            for r in rows:
                write("\t".join(map(_copy_value, r)))
                write("\n")
            buf.seek(0)
            with conn.cursor() as cursor:
                cursor.copy_expert(f'COPY "{table.name}" ({cols}) FROM STDIN', buf)
        else:
            marks = ", ".join("?" * len(table.columns))
            conn.executemany(f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', rows)

    def max_id(self, model) -> int:
        return model.select(pw.fn.COALESCE(pw.fn.MAX(model.id), 0)).scalar() or 0

    def fix_sequence(self, model) -> None:
        """PostgreSQL: the id sequence continues after the ids given here (SQLite needs nothing)."""
        if self.pg and model is not None:
            name = model._meta.table_name
            self.db.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{name}\"), false)")


def _copy_value(v) -> str:
    if v is None:
        return "\\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    if isinstance(v, str):
        if "\\" in v or "\t" in v or "\n" in v or "\r" in v:
            return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return v
    return str(v)


# ---- segment files ---------------------------------------------------------------------------
# The columns a segment file holds per table, in this order (the first is the id).
_SEGMENT_COLUMNS = {
    "invoice": ["id", "title", "currency", "exponent", "locale", "invoice_date", "due_date", "owner_id",
                "billing_contact_id", "company_id", "po_number", "comments", "allow_partial", "origin", "cloned_from",
                "number", "number_seq", "status", "last_sent_date", "payment_date", "link_token", "version",
                "subtotal_minor", "discount_minor", "fee_minor", "tax_minor", "billed_minor", "paid_minor",
                "balance_minor", "contact_name", "contact_email", "company_name", "owner_name", "created_at",
                "updated_at", "finalized_at"],
    "payment": ["id", "amount_minor", "currency", "date", "method", "reference", "note", "source", "state",
                "contact_id", "invoice_id", "ever_succeeded", "created_by", "created_at", "applied_at"],
    "reminder": ["id", "invoice_id", "offset_days", "due_on", "state", "sent_at"],
    "activity": ["id", "invoice_id", "invoice_number", "kind", "text", "user_login", "created_at", "due_date",
                 "ref_id", "prev_hash", "hash"],
}


def _new_file(path: str) -> sqlite3.Connection:
    """A new SQLite file for generated rows, in one open transaction: no journal, no fsync (it is
    thrown away after the load; a failed load never reads it)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    return conn


def _draw_keys(seed: int, n: int, bounds: list[tuple[int, int]]) -> tuple[list[int], dict[str, int],
                                                                          list[tuple[int, int]]]:
    """The invoices' categories, ages, terms and payment splits, as sortable ints — (invoice day,
    minute, category, split, terms) — sorted, so that ids follow dates (older first); the count
    per category; and per segment of ``bounds``, its number of finalized invoices and payments."""
    rng = random.Random(f"invoice-tui-demo:{seed}:keys")
    terms_choices = _TERMS
    cats = rng.choices(range(len(CATEGORIES)), weights=_CAT_WEIGHTS, k=n)
    for i, forced in enumerate((1, 2, 3, 4, 0, 5)):  # every state present from 6 invoices on
        if i < n:
            cats[i] = forced
    counts = dict.fromkeys(CATEGORIES, 0)
    for c, k in collections.Counter(cats).items():
        counts[CATEGORIES[c]] = k
    rand, expo = rng.random, rng.expovariate
    n_terms = len(terms_choices)
    keys = []
    add = keys.append
    for cat in cats:
        t = int(rand() * n_terms)
        terms = terms_choices[t]
        split = 0
        if cat == 0:
            age = min(int(expo(1 / 10)), 60)
        elif cat == 1:
            age = int(rand() * terms)
        elif cat == 2:
            age = terms + 1 + min(int(expo(1 / 45)), 600)
        elif cat == 3:
            age = int(rand() * terms) if rand() < 0.5 else terms + 1 + min(int(expo(1 / 30)), 300)
        elif cat == 4:
            age = int(rand() * 731)
            split = 1 if rand() < 0.045 else 0  # paid in two parts (allows partial payments)
        else:
            age = 3 + int(rand() * 728)
        add(((((TODAY - age) * 1024 + int(rand() * 600)) * 8 + cat) * 2 + split) * 8 + t)
    del cats
    keys.sort()
    seg_counts = []
    for lo, hi in bounds:
        fin = pays = 0
        for key in keys[lo:hi]:
            cat = (key >> 4) & 7
            if cat:
                fin += 1
                if cat == 3:
                    pays += 1
                elif cat == 4:
                    pays += 1 + ((key >> 3) & 1)
        seg_counts.append((fin, pays))
    return keys, counts, seg_counts


class _KeysJob:
    """:func:`_draw_keys` in a forked process; :meth:`result` waits for it."""

    def __init__(self, seed: int, n: int, bounds: list[tuple[int, int]]) -> None:
        mp = multiprocessing.get_context("fork")
        self._recv, send = mp.Pipe(duplex=False)
        self._proc = mp.Process(target=self._run, args=(seed, n, bounds, send), name="invoice-tui-demo-keys",
                                daemon=True)
        self._proc.start()
        send.close()

    @staticmethod
    def _run(seed, n, bounds, send) -> None:
        try:
            send.send((None, _draw_keys(seed, n, bounds)))
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
            send.send((traceback.format_exc(), None))
        finally:
            send.close()

    def stop(self) -> None:
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join()
        self._recv.close()

    def result(self):
        try:
            error, value = self._recv.recv()
        except EOFError:
            error, value = f"the process ended with code {self._proc.exitcode}", None
        finally:
            self._recv.close()
            self._proc.join()
        if error is not None:
            raise RuntimeError(f"demo: drawing the invoices failed:\n{error}")
        return value


def _with_payloads(events: list[tuple]) -> list[tuple]:
    """Activity events (invoice id, number, kind, text, login, created, due) with their canonical
    content for the R16 chain appended: ``history.row_hash``'s payload over ACTIVITY_FIELDS —
    ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` spelled out (kinds
    are fixed ASCII words; every string is encoded) — so chaining is one hash per row."""
    js = encode_basestring
    out = []
    add = out.append
    number, number_js = None, "null"
    login_js: dict[str, str] = {}
    for ev in events:
        invoice_id, num, kind, text, login, created, due = ev
        if num != number:
            number, number_js = num, "null" if num is None else js(num)
        lj = login_js.get(login)
        if lj is None:
            lj = login_js[login] = js(login)
        add((*ev, f'{{"created_at":"{created[:10]}T{created[11:]}","due_date":'
                  f'{"null" if due is None else js(due)},"invoice_id":{invoice_id},'
                  f'"invoice_number":{number_js},"kind":"{kind}","ref_id":null,"text":{js(text)},'
                  f'"user_login":{lj}}}'))
    return out


def _segment_worker(generator: "_Generator", segments: list[int], paths: list[str], results) -> None:
    """A worker process: generate ``segments`` in order, reporting each (or the error) on ``results``."""
    for k in segments:
        try:
            results.put((k, generator._segment(k, paths[k]), None))
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
            results.put((k, None, traceback.format_exc()))
            return


def _collect(results, procs: list, stats: dict[int, dict]) -> None:
    """Wait (a little) for a segment from the worker processes; raise if one failed or died."""
    try:
        k, summary, error = results.get(timeout=0.5)
    except queue.Empty:
        for proc in procs:
            if proc.exitcode not in (None, 0):
                raise RuntimeError(f"demo: a generator process ended with code {proc.exitcode}") from None
        return
    if error is not None:
        raise RuntimeError(f"demo: generating segment {k} failed:\n{error}")
    stats[k] = summary


# ---- templates (the one R18 function, computed once per template) ---------------------------
class _Template:
    __slots__ = ("lines", "adjustments", "subtotal", "discount", "fee", "tax", "billed", "billed_text", "title",
                 "gid")

    def __init__(self, lines, adjustments, totals, currency, title) -> None:
        self.lines = lines  # tuples: (position, name, description, qty text, unit minor, kind, value, rate)
        self.adjustments = adjustments  # tuples: (kind, position, label, is_percent, value text, rate text)
        self.subtotal = to_minor(totals.subtotal, currency)
        self.discount = to_minor(totals.discount_total, currency)
        self.fee = to_minor(totals.fee_total, currency)
        self.tax = to_minor(totals.tax_total, currency)
        self.billed = to_minor(totals.billed, currency)
        self.billed_text = plain(from_minor(self.billed, currency))
        self.title = title
        self.gid = 0  # its number in the temporary template tables


def _nice_price(rng: random.Random, low: float, high: float, currency: str) -> Decimal:
    eur = Decimal(str(round(rng.uniform(low, high), 2)))
    value = eur * _RATES[currency]
    exp = exponent(currency)
    if value >= 100:
        step = Decimal(5) if currency != "JPY" else Decimal(100)
        return (value / step).quantize(Decimal(1)) * step
    return value.quantize(Decimal(1).scaleb(-exp))


def _make_templates(rng: random.Random, currency: str, count: int) -> list[_Template]:
    out = []
    rates = _CURRENCY_TAX[currency]
    for _ in range(count):
        n = rng.choices((1, 2, 3, 4, 5), weights=(34, 30, 18, 12, 6))[0]
        main_rate = rng.choice(rates)
        specs: list[LineSpec] = []
        for item in rng.sample(_ITEMS, n):
            name, desc, (low, high), qtys = item
            qty = Decimal(rng.choice(qtys))
            price = _nice_price(rng, low, high, currency)
            rate = main_rate if rng.random() < 0.75 else rng.choice(rates)
            disc, pct = None, False
            r = rng.random()
            if r < 0.10:
                disc, pct = Decimal(rng.choice(("5", "10", "15", "12.5"))), True
            elif r < 0.15:
                gross = qty * price
                disc = (gross * Decimal("0.08")).quantize(Decimal(1).scaleb(-exponent(currency)))
                if disc <= 0:
                    disc = None
            specs.append(LineSpec(name=name, quantity=qty, unit_price=price, tax_rate=rate,
                                  discount_percent=pct, discount=disc, description=desc if rng.random() < 0.7 else ""))
        adjs: list[AdjustmentSpec] = []
        r = rng.random()
        if r < 0.10:
            adjs.append(AdjustmentSpec("discount", Decimal(rng.choice(("5", "10", "3"))), True, main_rate,
                                       rng.choice(("Loyalty discount", "Early payment", "Volume discount"))))
        elif r < 0.14:
            amount = _nice_price(rng, 20, 80, currency)
            adjs.append(AdjustmentSpec("discount", amount, False, main_rate, "Goodwill gesture"))
        if rng.random() < 0.08:
            adjs.append(AdjustmentSpec("fee", _nice_price(rng, 8, 45, currency), False, main_rate,
                                       rng.choice(("Shipping", "Handling", "Rush delivery"))))
        if rng.random() < 0.02:
            adjs.append(AdjustmentSpec("fee", Decimal("2"), True, main_rate, "Card processing"))
        if currency == "EUR" and rng.random() < 0.03:
            adjs.append(AdjustmentSpec("tax", Decimal("1.5"), False, Decimal(0), "Eco-contribution"))
        elif currency == "USD" and rng.random() < 0.03:
            adjs.append(AdjustmentSpec("tax", Decimal("0.5"), True, Decimal(0), "City surcharge"))
        totals = compute_totals(currency, specs, adjs)
        if totals.billed <= 0:  # pragma: no cover - the discounts above never exceed the lines
            continue
        lines = tuple((pos, s.name, s.description, _dec_text(s.quantity), to_minor(s.unit_price, currency),
                       None if s.discount is None else ("percent" if s.discount_percent else "fixed"),
                       _dec_text(s.discount), _dec_text(s.tax_rate)) for pos, s in enumerate(specs))
        positions = dict.fromkeys(ADJUSTMENT_KINDS, 0)
        adjustments = []
        for a in adjs:
            adjustments.append((a.kind, positions[a.kind], a.label, a.is_percent, _dec_text(a.value),
                                _dec_text(a.tax_rate if a.kind != "tax" else Decimal(0))))
            positions[a.kind] += 1
        title = rng.choice(_TITLES)
        out.append(_Template(lines, tuple(adjustments), totals, currency, title))
    return out


# ---- the generator ---------------------------------------------------------------------------
def generate(ctx: Context, invoices: int = 200, seed: int = 0,
             progress: Callable[[int, int], None] | None = None) -> dict:
    """Fill the empty workspace with ``invoices`` demo invoices; returns summary counts.

    Refused (RuleRefused) unless the workspace is empty and ``ctx`` is a super admin.
    """
    if "super_admin" not in ctx.permissions:
        raise PermissionDenied(f"Only a super admin can fill a workspace with demo data; '{ctx.login}' is not one. "
                               "Use a new, empty workspace (e.g. --db sqlite:///demo.db), where you are the first "
                               "user and so its super admin.")
    if isinstance(invoices, bool) or not isinstance(invoices, int) or not 0 <= invoices <= MAX_INVOICES:
        raise BadInput(f"The number of demo invoices must be between 0 and {MAX_INVOICES:,}.", field="invoices")
    from invoice_tui.domain.workspace import workspace_is_empty

    started = time.perf_counter()
    generator = None
    db = database.obj
    sqlite = is_sqlite(db)
    saved: dict[str, Any] = {}
    journal = None
    if sqlite and not db.in_transaction():
        # The bulk load's settings, for this connection only, restored afterwards: no fsync, no
        # per-row foreign-key lookups (the generator builds consistent ids; a test runs
        # foreign_key_check), a large page cache, memory-mapped reads and in-memory sorting for the
        # index builds.
        for pragma in ("synchronous", "foreign_keys", "cache_size", "temp_store", "mmap_size"):
            saved[pragma] = db.execute_sql(f"PRAGMA {pragma}").fetchone()[0]
        db.execute_sql("PRAGMA mmap_size = 17179869184")  # index builds scan the tables: no read() per page
        db.execute_sql("PRAGMA synchronous = OFF")
        db.execute_sql("PRAGMA foreign_keys = OFF")
        db.execute_sql(f"PRAGMA cache_size = {-CACHE_KIB}")
        db.execute_sql("PRAGMA temp_store = MEMORY")
        # WAL would write every page twice (log, then checkpoint); a rollback journal writes the
        # new pages once (pages appended to the file are not journaled). The journal stays on
        # disk: with a journal in memory, a process killed while committing left a corrupt file
        # ("database disk image is malformed", issue 8 crash test); on disk, the next open rolls
        # the interrupted load back. Only possible while no other connection has the file open;
        # otherwise the load simply stays in WAL.
        if db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal":
            try:
                if db.execute_sql("PRAGMA journal_mode = TRUNCATE").fetchone()[0] == "truncate":
                    journal = "wal"
            except pw.OperationalError:
                pass
    try:
        with write_tx():
            if not workspace_is_empty():
                raise RuleRefused("This workspace already has invoices, contacts or payments; demo data only goes "
                                  "into an empty workspace. Use a new database, e.g. "
                                  "invoice-tui --db sqlite:///demo.db demo")
            history.lock_heads()
            generator = _Generator(ctx, invoices, seed, progress)
            summary = generator.run()
    finally:
        if generator is not None:
            generator.cleanup()
        for pragma, value in saved.items():
            db.execute_sql(f"PRAGMA {pragma} = {int(value)}")
        if journal:
            db.execute_sql(f"PRAGMA journal_mode = {journal}")
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


class _Generator:
    def __init__(self, ctx: Context, n: int, seed: int, progress) -> None:
        self.ctx = ctx
        self.n = n
        self.rng = random.Random(f"invoice-tui-demo:{seed}")
        self.seed = seed
        self.progress = progress
        self.now = ctx.now().replace(microsecond=0)
        self.today = ctx.today()
        self.w = _Writer()
        self.plan: dict[str, Any] = {}
        self.tables: dict[str, _Table] = {}
        self.tmpdir: str | None = None
        self.keys_job: _KeysJob | None = None

    # -- small parts through the services (users, settings): they write their own history --
    def _users(self) -> list[User]:
        from invoice_tui.domain import people

        for login, name, perms in _DEMO_USERS:
            if login != self.ctx.login and people.find_user(login) is None:
                people.add_user(self.ctx, login, name=name, email=f"{login}@lumiere-studio.example",
                                permissions=perms)
        return list(User.select().order_by(User.id))

    def _settings(self) -> None:
        current = load_settings()
        for key, value in _SELLER.items():
            if not getattr(current, key):
                old = store_setting(key, value)
                history.record_changes(self.ctx, "workspace", 0, None, {key: old}, {key: value})

    # -- contacts and companies --
    def _people(self) -> None:
        rng, w, now_s = self.rng, self.w, _ts(self.now)
        n_contacts = max(40, min(self.n // 20, 50_000))
        n_companies = max(12, min(n_contacts // 3, 20_000))
        countries = list(_COUNTRIES)
        cum_weights = list(itertools.accumulate(_COUNTRIES[c]["weight"] for c in countries))
        company_t = _Table(Company, ["id", "name", "domain", "address", "tax_id", "created_at"])
        contact_t = _Table(Contact, ["id", "first_name", "last_name", "email", "phone", "address", "company_id",
                                     "created_at"])
        cid = w.max_id(Company)
        taken: set[str] = {c.name for c in Company.select(Company.name)}
        companies = []  # (id, name, country)
        rows = []
        for _ in range(n_companies):
            country = rng.choices(countries, cum_weights=cum_weights)[0]
            c = _COUNTRIES[country]
            base = f"{rng.choice(c['last'])} {rng.choice(c['acts'])}"
            legal = rng.choice(c["legal"])
            name = f"{base} {legal}"
            if name in taken:  # company names stay unique (the CLI finds companies by name)
                name = f"{rng.choice(c['last'])} & {base} {legal}"
            if name in taken:
                name = f"{base} {rng.choice(c['cities'])[1]} {legal}"
            k = 1
            while name in taken:  # a finite list of names: number the rest
                k += 1
                name = f"{base} {legal} {k}"
            taken.add(name)
            cid += 1
            domain = f"{_ascii(base)[:30]}{cid}.{c['tld']}" if rng.random() < 0.9 else ""
            rows.append((cid, name, domain, self._address(country), self._tax_id(country), now_s))
            companies.append((cid, name, country))
        w.write(company_t, rows)
        self.companies = companies
        self.n_companies = len(companies)

        by_country: dict[str, list] = {}
        for comp in companies:
            by_country.setdefault(comp[2], []).append(comp)
        pid = w.max_id(Contact)
        emails: set[str] = set()
        contacts = []  # (id, display name, email, company id, company name, currency, locale)
        rows = []
        for _ in range(n_contacts):
            country = rng.choices(countries, cum_weights=cum_weights)[0]
            c = _COUNTRIES[country]
            first, last = rng.choice(c["first"]), rng.choice(c["last"])
            comp = rng.choice(by_country[country]) if by_country.get(country) and rng.random() < 0.75 else None
            domain = (comp and f"{_ascii(comp[1])[:24]}.{c['tld']}") or rng.choice(
                ["example.com", "mail.example.org", f"example.{c['tld']}"])
            local = f"{_ascii(first)}.{_ascii(last)}"
            email = f"{local}@{domain}"
            k = 1
            while email in emails:
                k += 1
                email = f"{local}{k}@{domain}"
            emails.add(email)
            pid += 1
            digits = _digits(rng, 11)
            phone = c["phone"].format(a=digits[0] if digits[0] != "0" else "1", b=digits[1:3], c=digits[3:6],
                                      d=digits[6], e=digits[7:11])
            rows.append((pid, first, last, email, phone, self._address(country) if rng.random() < 0.8 else "",
                         comp[0] if comp else None, now_s))
            currency = c["currency"]
            contacts.append((pid, f"{first} {last}", email, comp[0] if comp else None, comp[1] if comp else "",
                             currency, c["locale"]))
        w.write(contact_t, rows)
        self.contacts = contacts

    def _address(self, country: str) -> str:
        c, rng = _COUNTRIES[country], self.rng
        zip_, city = rng.choice(c["cities"])
        rand = rng.random
        street = c["street"].format(n=1 + int(rand() * 180), n2=1 + int(rand() * 30), w=rng.choice(c["words"]))
        return c["addr"].format(street=street, zip=zip_, city=city)

    def _tax_id(self, country: str) -> str:
        rng = self.rng
        digits = _digits(rng, 13)
        return _COUNTRIES[country]["tax"].format(n2=digits[:2], n7=digits[2:9], n8=digits[:8], n9=digits[:9],
                                                 n11=digits[:11], n13=digits,
                                                 L=rng.choice("ABCDEFGHJ"))

    # -- the invoices --
    def run(self) -> dict:
        ctx, rng, w = self.ctx, self.rng, self.w
        settings = load_settings()
        self._settings()
        users = self._users()
        n = self.n
        # Segments: consecutive ranges of invoices, each generated into its own SQLite file with
        # its own random generator (so the result does not depend on how many processes run).
        n_seg = min(MAX_SEGMENTS, -(-n // SEGMENT_MIN)) if n else 0
        size = -(-n // n_seg) if n_seg else 0
        bounds = [(lo, min(n, lo + size)) for lo in range(0, n, size)] if n_seg else []
        # The invoices' keys are drawn by a process of their own while this one makes the contacts.
        keys_job = self.keys_job = (_KeysJob(self.seed, n, bounds) if n >= PARALLEL_FROM and self._processes() > 1
                                    else None)
        self._people()
        offsets = sorted({int(p) for p in settings.reminder_offsets.split(",") if p.strip()})
        prefix = settings.number_prefix
        first_seq = next_number()

        creators = [u for u in users if {"create", "super_admin"} & set(u.permissions.split(","))]
        editors = {u.id for u in users if {"edit", "super_admin"} & set(u.permissions.split(","))}
        admin_login = ctx.login
        user_info = {u.id: (u.login if u.id in editors else admin_login, u.name or u.login) for u in users}
        owner_pool = [u.id for u in creators for _ in range(5 if u.login == ctx.login else 3)]

        templates = {cur: _make_templates(rng, cur, TEMPLATES_PER_CURRENCY) for cur in _RATES}
        exponents = {cur: exponent(cur) for cur in _RATES}

        keys, counts, seg_counts = keys_job.result() if keys_job else _draw_keys(self.seed, n, bounds)

        inv_t = _Table(Invoice, _SEGMENT_COLUMNS["invoice"])
        line_t = _Table(LineItem, ["id", "invoice_id", "position", "name", "description", "quantity",
                                   "unit_price_minor", "discount_kind", "discount_value", "tax_rate"])
        adj_t = _Table(Adjustment, ["id", "invoice_id", "kind", "position", "label", "is_percent", "value",
                                    "tax_rate"])
        ic_t = _Table(InvoiceContact, ["id", "invoice_id", "contact_id"])
        ico_t = _Table(InvoiceCompany, ["id", "invoice_id", "company_id"])
        pay_t = _Table(Payment, _SEGMENT_COLUMNS["payment"])
        rem_t = _Table(Reminder, _SEGMENT_COLUMNS["reminder"])
        act_t = _Table(Activity, _SEGMENT_COLUMNS["activity"])
        self.tables = dict(invoice=inv_t, line_item=line_t, adjustment=adj_t, invoice_contact=ic_t,
                           invoice_company=ico_t, payment=pay_t, reminder=rem_t, activity=act_t)

        inv_id0 = w.max_id(Invoice)
        pay_id0, rem_id0, act_id = w.max_id(Payment), w.max_id(Reminder), w.max_id(Activity)

        # Numbers and payment ids run on across segments: each segment's first ones.
        seg_first = []
        fin = n_pay = 0
        for seg_fin, seg_pay in seg_counts:
            seg_first.append((first_seq + fin, pay_id0 + n_pay))
            fin += seg_fin
            n_pay += seg_pay
        seq = first_seq + fin
        pay_id = pay_id0 + n_pay

        # Line items and adjustments are copies of the template's: the templates go into two
        # temporary tables, each invoice's template number into the segment's ``map`` table, and
        # the database copies the rows itself (INSERT … SELECT), as it does for the contact and
        # company links — millions of rows that never pass through Python.
        tpl_line_t = w.create_temp("demo_tpl_line", "tpl INTEGER, position INTEGER, name TEXT, description TEXT, "
                                   "quantity TEXT, unit_price_minor BIGINT, discount_kind TEXT, discount_value TEXT, "
                                   "tax_rate TEXT, PRIMARY KEY (tpl, position)")
        tpl_adj_t = w.create_temp("demo_tpl_adj", "tpl INTEGER, kind TEXT, position INTEGER, label TEXT, "
                                  "is_percent BOOLEAN, value TEXT, tax_rate TEXT")
        if w.pg:  # PostgreSQL gets the maps through COPY into a temporary table
            self.map_t = w.create_temp("demo_inv_tpl", "invoice_id BIGINT PRIMARY KEY, tpl INTEGER")
        gid = 0
        tpl_lines, tpl_adjs = [], []
        for cur_templates in templates.values():
            for tpl in cur_templates:
                gid += 1
                tpl.gid = gid
                tpl_lines += [(gid, *ln) for ln in tpl.lines]
                tpl_adjs += [(gid, *a) for a in tpl.adjustments]
        w.write(tpl_line_t, tpl_lines)
        w.write(tpl_adj_t, tpl_adjs)
        for table in (line_t, adj_t, ic_t, ico_t):
            w.fix_sequence(table.model)
        head = ChainHead.get(ChainHead.name == "activity")
        prev_hash = head.hash

        contacts, n_contacts = self.contacts, len(self.contacts)
        today, now = self.today, self.now
        now_s = _ts(now)
        day0 = today - dt.timedelta(days=TODAY)
        # Days are offsets from day0 (TODAY = today); their ISO strings and the day's times are
        # precomputed, so the loop builds timestamps by concatenation (stored form "YYYY-MM-DD HH:MM:SS").
        ds = [(day0 + dt.timedelta(days=k)).isoformat() for k in range(TODAY + 400)]
        lang_comments = {c["locale"]: _COMMENTS.get(c["locale"].split("_")[0], _COMMENTS["en"])
                         for c in _COUNTRIES.values()}
        lang_comments.setdefault(settings.locale, _COMMENTS.get(settings.locale.split("_")[0], _COMMENTS["en"]))
        self.plan = dict(
            keys=keys, bounds=bounds, seg_first=seg_first, inv_id0=inv_id0, prefix=prefix, offsets=offsets,
            terms_choices=_TERMS, user_info=user_info, owner_pool=owner_pool,
            tpl_lists={cur: (lst, len(lst)) for cur, lst in templates.items()}, exponents=exponents,
            lang_comments=lang_comments, day0=day0, ds=ds, now_s=now_s,
            full_from=inv_id0 + n - FULL_HISTORY,  # invoices after this id get their full history
            default=(settings.default_currency if settings.default_currency in templates else "EUR",
                     settings.locale))

        # Bulk load: indexes on random keys dropped (rebuilt after the rows are in); the segments
        # are generated by worker processes (or here, for small workspaces) and copied in order.
        w.drop_indexes(t.name for t in self.tables.values())
        self.tmpdir = self._make_tmpdir()
        paths = [os.path.join(self.tmpdir, f"segment{k}.db") for k in range(len(bounds))]
        stats: dict[int, dict] = {}
        procs, results = [], None
        n_proc = min(len(bounds), self._processes()) if n >= PARALLEL_FROM else 1
        try:
            if n_proc > 1:
                mp = multiprocessing.get_context("fork")
                results = mp.Queue()
                for j in range(n_proc):
                    proc = mp.Process(target=_segment_worker, name=f"invoice-tui-demo-{j}", daemon=True,
                                      args=(self, list(range(j, len(bounds), n_proc)), paths, results))
                    proc.start()
                    procs.append(proc)
            rem_base = rem_id0
            for k, (lo, hi) in enumerate(bounds):
                if results is None:
                    stats[k] = self._segment(k, paths[k])
                while k not in stats:
                    _collect(results, procs, stats)
                if stats[k]["payments"] != (seg_first[k + 1][1] if k + 1 < len(bounds) else pay_id) - seg_first[k][1]:
                    raise RuntimeError("demo: a segment's payments do not match the plan")  # pragma: no cover
                self._copy_segment(k, paths[k], inv_id0 + lo + 1, inv_id0 + hi, rem_base)
                rem_base += stats[k]["reminders"]
                if self.progress:
                    self.progress(hi, n)
            for proc in procs:
                proc.join()
        finally:
            for proc in procs:
                if proc.is_alive():  # pragma: no cover - only when the load failed
                    proc.terminate()
                    proc.join()
        iid = inv_id0 + n

        # The writer thread drops the template tables and builds the indexes of every table but
        # the history; meanwhile (those builds run in C, without Python's lock) this thread
        # hash-chains the segments' events into one more file (id, prev_hash, hash), copied with
        # the events after the builds.
        w.start()
        w.call(w.drop_temps)
        w.call(lambda: w.rebuild_indexes([t.name for t in self.tables.values() if t is not act_t]))
        w.unbounded()
        chain_path = os.path.join(self.tmpdir, "activity.db")
        prev_hash, act_id, bases = self._chain_activities(paths, chain_path, prev_hash, act_id)
        act_count = act_id - (bases[0] if bases else act_id)
        w.call(lambda: self._copy_activities(paths, chain_path, bases))
        w.drain()
        w.finish()
        # A few unapplied payments (R9): some match an open balance exactly, some online.
        rand = rng.random
        n_unapplied = min(2000, max(4, n // 500))
        pays = []
        open_rows = list(Invoice.select(Invoice.id, Invoice.currency, Invoice.balance_minor, Invoice.billing_contact)
                         .where((Invoice.status == "open") & (Invoice.id > inv_id0))
                         .order_by(Invoice.id.desc()).limit(n_unapplied).tuples())
        for k in range(n_unapplied):
            pay_id += 1
            contact = contacts[int(rand() * n_contacts)]
            if k % 2 == 0 and k // 2 < len(open_rows):
                _, cur, amount, cid = open_rows[k // 2]
            else:
                cur, cid = contact[5], contact[0]
                amount = to_minor(Decimal(50 + int(rand() * 4950)) * _RATES[cur], cur)
            online = k % 5 == 4
            pday = ds[TODAY - int(rand() * 21)]
            pstamp = now_s
            pays.append((pay_id, amount, cur, pday, "card" if online else "bank_transfer",
                         f"ch_{rng.getrandbits(64):016x}" if online else f"TRF-{100000 + int(rand() * 900000)}",
                         "" if online else "Received without an invoice number", "online" if online else "manual",
                         "succeeded", cid, None, True, "online" if online else admin_login, pstamp, None))
        w.write(pay_t, pays)
        unapplied = len(pays)

        ChainHead.update(hash=prev_hash, count=ChainHead.count + act_count).where(
            ChainHead.name == "activity").execute()
        Counter.insert(name=NUMBER_COUNTER, value=seq).on_conflict(
            conflict_target=[Counter.name], update={Counter.value: seq}).execute()
        sample = self._property_sample(inv_id0, iid)
        for model in (Company, Contact, Invoice, LineItem, Adjustment, InvoiceContact, InvoiceCompany, Payment,
                      Reminder, Activity, PropertyChange):
            w.fix_sequence(model)
        if self.progress:
            self.progress(n, n)
        return {
            "invoices": n,
            "drafts": counts["draft"],
            "open": counts["open"] + counts["overdue"] + counts["partial"],
            "overdue": Invoice.select().where((Invoice.status == "open") & (Invoice.due_date < today)
                                              & (Invoice.id > inv_id0)).count(),
            "partially_paid": counts["partial"],
            "paid": counts["paid"],
            "voided": counts["voided"],
            "numbers": f"{prefix}{first_seq}…{prefix}{seq - 1}" if seq > first_seq else "",
            "users": len(users),
            "contacts": len(contacts),
            "companies": self.n_companies,
            "line_items": line_t.count,
            "adjustments": adj_t.count,
            "payments": pay_t.count,
            "unapplied_payments": unapplied,
            "reminders": rem_t.count,
            "activities": act_t.count,
            "property_changes": sample,
        }

    def _chain_activities(self, paths: list[str], out_path: str, prev_hash: str,
                          act_id: int) -> tuple[str, int, list[int]]:
        """Hash-chain the segments' activity events, in order (each carries its canonical
        payload, see :func:`_with_payloads`), into a new file's ``chain`` table (id, prev_hash,
        hash); returns the chain's new head hash, the last id, and each segment's id offset."""
        sha = hashlib.sha256
        out = _new_file(out_path)
        out.execute("CREATE TABLE chain (id INTEGER PRIMARY KEY, prev_hash, hash)")
        insert = "INSERT INTO chain VALUES (?, ?, ?)"
        bases = []
        for path in paths:
            bases.append(act_id)
            src = sqlite3.connect(path)
            cursor = src.execute("SELECT payload FROM event ORDER BY rowid")
            while True:
                batch = cursor.fetchmany(4 * CHUNK)
                if not batch:
                    break
                rows: list[tuple] = []
                add = rows.append
                for (payload,) in batch:
                    act_id += 1
                    h = sha((prev_hash + payload).encode()).hexdigest()
                    add((act_id, prev_hash, h))
                    prev_hash = h
                out.executemany(insert, rows)
            src.close()
        out.execute("COMMIT")
        out.close()
        return prev_hash, act_id, bases

    def _copy_activities(self, paths: list[str], chain_path: str, bases: list[int]) -> None:
        """Copy the segments' events with their chain hashes into ``activity`` (in the writer
        thread, after the index builds)."""
        w, table = self.w, self.tables["activity"]
        exprs = {"id": "e.rowid + {base}", "invoice_id": "e.invoice_id", "invoice_number": "e.number",
                 "kind": "e.kind", "text": "e.text", "user_login": "e.login", "created_at": "e.created",
                 "due_date": "e.due", "ref_id": "NULL", "prev_hash": "c.prev_hash", "hash": "c.hash"}
        source = "FROM {events} e JOIN {chain} c ON c.id = e.rowid + {base} ORDER BY e.rowid"
        if not w.pg:
            w.attach(chain_path, "demo_chain")
            for k, base in enumerate(bases):
                w.insert_select(table, {c: e.format(base=int(base)) for c, e in exprs.items()},
                                source.format(events=f"demo_segment{k}.event", chain="demo_chain.chain",
                                              base=int(base)), now=True)
            return
        for path, base in zip(paths, bases):
            src = sqlite3.connect(path)
            try:
                src.execute("ATTACH DATABASE ? AS demo_chain", (chain_path,))
                cursor = src.execute(f"SELECT {', '.join(exprs[c] for c in table.known)} ".format(base=int(base))
                                     + source.format(events="event", chain="demo_chain.chain", base=int(base)))
                while rows := cursor.fetchmany(CHUNK):
                    w._write_now(table, rows)
                    table.count += len(rows)
            finally:
                src.close()

    # -- segments --
    @staticmethod
    def _processes() -> int:
        """How many worker processes generate segments: one per core (the database work in this
        process is mostly C code), none where ``fork`` is not available."""
        if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
            return 1
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - macOS
            cores = os.cpu_count() or 1
        return max(1, min(cores, MAX_PROCESSES))

    def _make_tmpdir(self) -> str:
        """A directory for the generated files (about 1 GB per million invoices): beside the
        workspace file, which is on a disk with room for it (``/tmp`` may be a small RAM disk);
        the system's temporary directory for PostgreSQL or where that fails."""
        name = getattr(self.w.db, "database", "") if not self.w.pg else ""
        if name and name != ":memory:" and not str(name).startswith("file:"):
            try:
                return tempfile.mkdtemp(prefix=".invoice-tui-demo-", dir=os.path.dirname(os.path.abspath(name)))
            except OSError:
                pass
        return tempfile.mkdtemp(prefix="invoice-tui-demo-")

    def _segment(self, k: int, path: str) -> dict[str, int]:
        """Generate segment ``k`` (its invoices, their template numbers, payments, reminders and
        activity events, in id order) into a new SQLite file at ``path``. Touches no workspace
        database, so it also runs in a worker process."""
        p = self.plan
        lo, hi = p["bounds"][k]
        seq, pay_id = p["seg_first"][k]
        iid = first_iid = p["inv_id0"] + lo
        rng = random.Random(f"invoice-tui-demo:{self.seed}:segment:{k}")
        rand, getbits = rng.random, rng.getrandbits
        prefix, offsets, terms_choices = p["prefix"], p["offsets"], p["terms_choices"]
        user_info, owner_pool = p["user_info"], p["owner_pool"]
        n_owners = len(owner_pool)
        tpl_lists, exponents, lang_comments = p["tpl_lists"], p["exponents"], p["lang_comments"]
        ds, day0, now_s, full_from = p["ds"], p["day0"], p["now_s"], p["full_from"]
        default_cur, default_locale = p["default"]
        contacts = self.contacts
        n_contacts = len(contacts)
        currencies = list(_RATES)
        methods, n_methods = _METHODS, len(_METHODS)
        n_notes, n_tasks = len(_NOTES), len(_TASKS)
        rem_id = 0  # numbered from 1 in each segment; the copy shifts them
        n_ds = len(ds)

        def dstr(o: int) -> str:
            return ds[o] if 0 <= o < n_ds else (day0 + dt.timedelta(days=o)).isoformat()

        hm = [" %02d:%02d:00" % divmod(480 + m, 60) for m in range(960)]

        def stamp(o: int, m: int) -> str:
            s = ds[o] + hm[m]
            return s if s <= now_s else now_s

        conn = _new_file(path)
        inserts = {}
        for name, cols in (("invoice", _SEGMENT_COLUMNS["invoice"]), ("map", ["invoice_id", "tpl"]),
                           ("payment", _SEGMENT_COLUMNS["payment"]), ("reminder", _SEGMENT_COLUMNS["reminder"]),
                           ("event", ["invoice_id", "number", "kind", "text", "login", "created", "due",
                                      "payload"])):
            key_col = "" if name == "event" else f"{cols[0]} INTEGER PRIMARY KEY, "
            conn.execute(f"CREATE TABLE {name} ({key_col}{', '.join(cols[0 if name == 'event' else 1:])})")
            inserts[name] = f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})"
        n_pays = n_rems = n_events = 0
        numbers_by_id: dict[int, str | None] = {}
        keys = p["keys"]
        for start in range(lo, hi, CHUNK):
            invs, maps, pays, rems, events = [], [], [], [], []
            event = events.append
            # Link tokens as secrets.token_urlsafe(24) makes them (24 random bytes → 32 URL-safe
            # base64 characters), encoded a chunk at a time: 24 bytes are exactly 32 characters.
            pool = base64.urlsafe_b64encode(secrets.token_bytes(24 * CHUNK)).decode("ascii")
            tokens = [pool[j:j + 32] for j in range(0, len(pool), 32)]
            tokens.reverse()
            next_token = tokens.pop
            for key in keys[start:min(hi, start + CHUNK)]:
                t = key & 7
                split = (key >> 3) & 1
                cat = (key >> 4) & 7
                minute = (key >> 7) & 1023
                o = key >> 17  # the invoice date, as an offset from day0
                age = TODAY - o
                terms = terms_choices[t]
                iid += 1
                contact = contacts[int(rand() * n_contacts)]
                if cat == 0 and rand() < 0.1:
                    contact = None
                if contact is not None:
                    cur = contact[5] if rand() < 0.93 else currencies[int(rand() * 4)]
                    locale = contact[6]
                else:
                    cur, locale = default_cur, default_locale
                tl, tn = tpl_lists[cur]
                tpl = tl[int(rand() * tn)]
                owner = owner_pool[int(rand() * n_owners)]
                actor, owner_name = user_info[owner]
                inv_date_s = ds[o]
                due_s = ds[o + terms]
                created = stamp(o, minute)
                origin = "manual"
                cloned_from = None
                r = rand()
                if r < 0.06 and iid - first_iid > 1:
                    origin = "clone"
                    cloned_from = iid - 1 - int(rand() * min(300, iid - first_iid - 1))
                elif r < 0.09:
                    origin = "subscription"
                elif r < 0.10:
                    origin = "import"
                allow_partial = cat == 3 or split or rand() < 0.27
                po = f"PO-{10000 + int(rand() * 90000)}" if rand() < 0.3 else ""
                if rand() < 0.25:
                    lc = lang_comments[locale]
                    comments = lc[int(rand() * len(lc))]
                else:
                    comments = ""
                billed = tpl.billed
                full = iid > full_from  # full history; older finalized invoices: "finalized" (and "voided")
                if cat and not full:
                    pass  # an older finalized invoice's history starts at "finalized"
                elif origin == "clone":
                    src = numbers_by_id.get(cloned_from)
                    event((iid, None, "cloned", f"Cloned from {src or f'draft #{cloned_from}'}", actor, created, None))
                else:
                    event((iid, None, "created", "Draft created" if origin == "manual" else f"Created ({origin})",
                           actor, created, None))
                version = 1
                number = number_seq = link = finalized = last_sent = payment_date = None
                paid = 0
                status = "draft"
                updated = created
                if cat:
                    number_seq = seq
                    number = f"{prefix}{seq}"
                    seq += 1
                    link = next_token()
                    finalized = stamp(o, minute + 3)
                    updated = finalized
                    status = "open"
                    version = 2
                    event((iid, number, "finalized", f"Finalized as {number}", actor, finalized, None))
                    if contact is not None and rand() < 0.85:
                        last_sent = inv_date_s
                        if full:
                            event((iid, number, "email_sent", f"Invoice email sent to {contact[2]}", actor,
                                   stamp(o, minute + 5), None))
                    payer = contact[0] if contact else None
                    if cat == 3 or cat == 4:
                        if cat == 3:
                            parts = (max(1, min(billed - 1, billed * (15 + int(rand() * 66)) // 100)),)
                            amount_text = plain(from_minor(parts[0], cur)) if full else ""
                        elif split:
                            first = max(1, min(billed - 1, billed * (20 + int(rand() * 51)) // 100))
                            parts = (first, billed - first)
                        else:
                            parts = (billed,)
                            amount_text = tpl.billed_text
                        span = min(age if cat == 4 else max(0, age - 1), terms + 20) + 1
                        po_day = o
                        for j, amount in enumerate(parts):
                            po_day = min(TODAY, po_day + int(rand() * span))
                            pday_s = ds[po_day]
                            pstamp = stamp(po_day, 120 + 7 * j)
                            pay_id += 1
                            if rand() < 0.22:
                                pays.append((pay_id, amount, cur, pday_s, "card", f"ch_{getbits(64):016x}", "",
                                             "online", "succeeded", payer, iid, True, "online", pstamp, pstamp))
                                if full:
                                    event((iid, number, "payment_succeeded", f"Online payment #{pay_id} succeeded",
                                           actor, pstamp, None))
                            else:
                                method = methods[int(rand() * n_methods)]
                                if method == "bank_transfer":
                                    ref = f"TRF-{100000 + int(rand() * 900000)}"
                                elif method == "check":
                                    ref = f"CHQ {1000000 + int(rand() * 9000000)}"
                                else:
                                    ref = ""
                                pays.append((pay_id, amount, cur, pday_s, method, ref, "", "manual", "succeeded",
                                             payer, iid, True, actor, pstamp, pstamp))
                                if full:
                                    if len(parts) > 1:
                                        amount_text = plain(from_minor(amount, cur))
                                    event((iid, number, "payment_recorded",
                                           f"Payment #{pay_id} of {amount_text} {cur} recorded ({method})", actor,
                                           pstamp, None))
                            paid += amount
                            version += 1
                            updated = pstamp
                        if cat == 4:
                            status = "paid"
                            payment_date = pday_s
                    elif cat == 5:
                        status = "voided"
                        vstamp = stamp(min(TODAY, o + 1 + int(rand() * 3)), 200)
                        event((iid, number, "voided", f"{number} voided", actor, vstamp, None))
                        updated = vstamp
                        version += 1
                    if status == "open":
                        for off in offsets:
                            ro = o + terms + off
                            if ro >= TODAY:
                                rem_id += 1
                                rems.append((rem_id, iid, off, dstr(ro), "planned", None))
                            elif full and contact is not None:
                                rem_id += 1
                                sent = stamp(ro, 30) if ro >= 0 else now_s
                                rems.append((rem_id, iid, off, dstr(ro), "sent", sent))
                                event((iid, number, "reminder_sent", f"Reminder ({off:+d} days) sent to {contact[2]}",
                                       actor, sent, None))
                        if full and rand() < 0.02:
                            event((iid, number, "task", _TASKS[int(rand() * n_tasks)], actor, stamp(o, minute + 25),
                                   dstr(o + terms + 10)))
                    if full and rand() < 0.03:
                        event((iid, number, "note", _NOTES[int(rand() * n_notes)], actor, stamp(o, minute + 20),
                               None))
                numbers_by_id[iid] = number
                if contact is not None:
                    contact_id, cname, cemail, company_id, company_name = contact[:5]
                else:
                    cname = cemail = company_name = ""
                    contact_id = company_id = None
                invs.append((iid, tpl.title, cur, exponents[cur], locale, inv_date_s, due_s, owner, contact_id,
                             company_id, po, comments, allow_partial, origin, cloned_from, number, number_seq,
                             status, last_sent, payment_date, link, version, tpl.subtotal, tpl.discount, tpl.fee,
                             tpl.tax, billed, paid, billed - paid, cname, cemail, company_name, owner_name, created,
                             updated, finalized))
                maps.append((iid, tpl.gid))
            conn.executemany(inserts["invoice"], invs)
            conn.executemany(inserts["map"], maps)
            conn.executemany(inserts["payment"], pays)
            conn.executemany(inserts["reminder"], rems)
            conn.executemany(inserts["event"], _with_payloads(events))
            n_pays += len(pays)
            n_rems += len(rems)
            n_events += len(events)
            if len(numbers_by_id) > 4 * CHUNK:  # clones look back at most 300 invoices
                numbers_by_id = {j: v for j, v in numbers_by_id.items() if j > iid - 400}
        conn.execute("COMMIT")
        conn.close()
        return {"payments": n_pays, "reminders": n_rems, "events": n_events}

    def _copy_segment(self, k: int, path: str, first: int, last: int, rem_base: int) -> None:
        """Copy segment ``k`` (invoices ``first``…``last``) into the workspace, and derive its
        line items, adjustments and invoice↔contact/company links there."""
        w, tb = self.w, self.tables
        if w.pg:
            self._copy_file_table(path, None, tb["invoice"], "invoice")
            self._copy_file_table(path, None, self.map_t, "map")
            self._copy_file_table(path, None, tb["payment"], "payment")
            self._copy_file_table(path, None, tb["reminder"], "reminder", id_shift=rem_base)
            maps = "demo_inv_tpl"
        else:
            alias = f"demo_segment{k}"
            w.attach(path, alias)
            self._copy_file_table(path, alias, tb["invoice"], "invoice")
            self._copy_file_table(path, alias, tb["payment"], "payment")
            self._copy_file_table(path, alias, tb["reminder"], "reminder", id_shift=rem_base)
            maps = f"{alias}.map"
        line_exprs = {"invoice_id": "m.invoice_id", **{c: f"l.{c}" for c in (
            "position", "name", "description", "quantity", "unit_price_minor", "discount_kind", "discount_value",
            "tax_rate")}}
        adj_exprs = {"invoice_id": "m.invoice_id", **{c: f"a.{c}" for c in (
            "kind", "position", "label", "is_percent", "value", "tax_rate")}}
        w.insert_select(tb["line_item"], line_exprs, f"FROM {maps} m JOIN demo_tpl_line l ON l.tpl = m.tpl "
                        f"WHERE m.invoice_id BETWEEN {first} AND {last} ORDER BY m.invoice_id, l.position")
        w.insert_select(tb["adjustment"], adj_exprs, f"FROM {maps} m JOIN demo_tpl_adj a ON a.tpl = m.tpl "
                        f"WHERE m.invoice_id BETWEEN {first} AND {last} ORDER BY m.invoice_id, a.kind, a.position")
        w.insert_select(tb["invoice_contact"], {"invoice_id": "id", "contact_id": "billing_contact_id"},
                        f"FROM invoice WHERE id BETWEEN {first} AND {last} AND billing_contact_id IS NOT NULL "
                        "ORDER BY id")
        w.insert_select(tb["invoice_company"], {"invoice_id": "id", "company_id": "company_id"},
                        f"FROM invoice WHERE id BETWEEN {first} AND {last} AND company_id IS NOT NULL ORDER BY id")

    def _copy_file_table(self, path: str, alias: str | None, table: _Table, source: str, id_shift: int = 0) -> None:
        """Copy a generated file's table (same columns as ``table.known``, in id order) into the
        workspace: SQLite attaches the file and copies in one statement (C code, without Python's
        lock); PostgreSQL reads the rows and COPYs them."""
        w = self.w
        cols = table.known
        if not w.pg:
            if alias not in w.attached:
                w.attach(path, alias)
            exprs = {c: c for c in cols}
            if id_shift:
                exprs["id"] = f"id + {int(id_shift)}"
            w.insert_select(table, exprs, f"FROM {alias}.{source} ORDER BY {cols[0]}", now=True)
            return
        src = sqlite3.connect(path)
        try:
            select = ", ".join([f"{cols[0]} + {int(id_shift)}", *cols[1:]])
            cursor = src.execute(f"SELECT {select} FROM {source} ORDER BY {cols[0]}")
            while rows := cursor.fetchmany(CHUNK):
                if w.thread_owned():
                    w._write_now(table, rows)
                    table.count += len(rows)
                else:
                    w.write(table, rows)
        finally:
            src.close()

    def cleanup(self) -> None:
        """After the transaction: detach the generated files and delete them (and stop the keys'
        process if the load failed before it was needed)."""
        if self.keys_job is not None:
            self.keys_job.stop()
        self.w.detach_all()
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    # -- property changes for a sample of invoices (R15) --
    def _property_sample(self, first_id: int, last_id: int) -> int:
        from invoice_tui.domain.invoices import _payment_snapshot

        if last_id <= first_id:
            return 0
        lo = max(first_id + 1, last_id - PROPERTY_SAMPLE + 1)
        invs = list(Invoice.select().where(Invoice.id.between(lo, last_id)).order_by(Invoice.id))
        snaps = sample_snapshots(invs)
        pays: dict[int, list[Payment]] = {}
        for p in Payment.select().where(Payment.invoice.between(lo, last_id)).order_by(Payment.id):
            pays.setdefault(p.invoice_id, []).append(p)
        owners = {u.id: u.login for u in User.select()}
        editors = {u.login for u in User.select() if {"edit", "super_admin"} & set(u.permissions.split(","))}
        rows: list[dict] = []
        pc_id = self.w.max_id(PropertyChange)

        def changes(obj_type, obj_id, number, before, after, login, when):
            for prop in after:
                old, new = history.display(before.get(prop)), history.display(after.get(prop))
                if old != new:
                    rows.append(dict(object_type=obj_type, object_id=obj_id, invoice_number=number, property=prop,
                                     old_value=old, new_value=new, user_login=login, source="demo", created_at=when))

        for inv in invs:
            final = snaps[inv.id]
            login = owners.get(inv.owner_id, self.ctx.login)
            login = login if login in editors else self.ctx.login
            cur = inv.currency
            billed = final["amount_billed"]
            zero = plain(from_minor(0, cur))
            created = dict(final, number=None, status="draft", link=None, payment_date=None, last_sent_date=None,
                           amount_paid=zero, balance_due=billed)
            changes("invoice", inv.id, None, {}, created, login, inv.created_at)
            if inv.status == "draft":
                continue
            finalized = dict(created, number=inv.number, status="open", link="created")
            changes("invoice", inv.id, inv.number, created, finalized, login, inv.finalized_at)
            state = finalized
            if inv.last_sent_date:
                sent = dict(state, last_sent_date=inv.last_sent_date)
                changes("invoice", inv.id, inv.number, state, sent, login, inv.finalized_at)
                state = sent
            paid = 0
            for p in pays.get(inv.id, []):
                changes("payment", p.id, inv.number, {}, _payment_snapshot(p), p.created_by or login, p.created_at)
                paid += p.amount_minor
                after = dict(state, amount_paid=plain(from_minor(paid, cur)),
                             balance_due=plain(from_minor(inv.billed_minor - paid, cur)))
                if paid == inv.billed_minor:
                    after.update(status="paid", payment_date=inv.payment_date)
                changes("invoice", inv.id, inv.number, state, after, login, p.created_at)
                state = after
            if inv.status == "voided":
                changes("invoice", inv.id, inv.number, state, dict(state, status="voided"), login, inv.updated_at)
        if not rows:
            return 0
        head = ChainHead.get(ChainHead.name == "property_change")
        prev = head.hash
        out = []
        for row in rows:
            content = {f: row.get(f) for f in history.PROPERTY_CHANGE_FIELDS}
            pc_id += 1
            h = history.row_hash(prev, content)
            out.append((pc_id, row["object_type"], row["object_id"], row["invoice_number"], row["property"],
                        row["old_value"], row["new_value"], row["user_login"], row["source"],
                        _ts(row["created_at"]), prev, h))
            prev = h
        table = _Table(PropertyChange, ["id", "object_type", "object_id", "invoice_number", "property", "old_value",
                                        "new_value", "user_login", "source", "created_at", "prev_hash", "hash"])
        self.w.write(table, out)
        ChainHead.update(hash=prev, count=ChainHead.count + len(out)).where(
            ChainHead.name == "property_change").execute()
        return len(out)


def sample_snapshots(invs: list[Invoice]) -> dict[int, dict[str, Any]]:
    """``invoices.snapshot()`` of many invoices with a handful of queries (not ~10 per invoice).

    Same keys and values as ``snapshot()`` — a test compares them on every sampled invoice."""
    if not invs:
        return {}
    ids = [inv.id for inv in invs]
    lo, hi = min(ids), max(ids)
    lines: dict[int, list[LineItem]] = {}
    for li in LineItem.select().where(LineItem.invoice.between(lo, hi)).order_by(LineItem.invoice, LineItem.position):
        lines.setdefault(li.invoice_id, []).append(li)
    adjs: dict[tuple[int, str], list[Adjustment]] = {}
    for a in Adjustment.select().where(Adjustment.invoice.between(lo, hi)).order_by(Adjustment.invoice,
                                                                                    Adjustment.position):
        adjs.setdefault((a.invoice_id, a.kind), []).append(a)
    extra_contacts: dict[int, list[str]] = {}
    for iid, email in (InvoiceContact.select(InvoiceContact.invoice, Contact.email).join(Contact)
                       .where(InvoiceContact.invoice.between(lo, hi)).tuples()):
        extra_contacts.setdefault(iid, []).append(email)
    extra_companies: dict[int, list[str]] = {}
    for iid, name in (InvoiceCompany.select(InvoiceCompany.invoice, Company.name).join(Company)
                      .where(InvoiceCompany.invoice.between(lo, hi)).tuples()):
        extra_companies.setdefault(iid, []).append(name)
    contact_ids = {inv.billing_contact_id for inv in invs if inv.billing_contact_id}
    contacts = {c.id: c for c in Contact.select().where(Contact.id.in_(list(contact_ids)))} if contact_ids else {}
    company_ids = {inv.company_id for inv in invs if inv.company_id}
    companies = {c.id: c for c in Company.select().where(Company.id.in_(list(company_ids)))} if company_ids else {}
    users = {u.id: u for u in User.select()}

    out = {}
    for inv in invs:
        parts = invoices.SnapshotParts(
            contact=contacts.get(inv.billing_contact_id), company=companies.get(inv.company_id),
            owner=users.get(inv.owner_id), contact_emails=sorted(extra_contacts.get(inv.id, [])),
            company_names=sorted(extra_companies.get(inv.id, [])), lines=lines.get(inv.id, []),
            adjustments=[a for kind in ADJUSTMENT_KINDS for a in adjs.get((inv.id, kind), [])])
        out[inv.id] = invoices.snapshot(inv, parts)
    return out


__all__ = ["generate", "CATEGORIES", "PROPERTY_SAMPLE", "sample_snapshots"]
