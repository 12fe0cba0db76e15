"""The generator: plans the invoices, generates them in segments (in worker processes for large
workspaces) and copies them into the workspace through :mod:`invoice_tui.db.bulk`."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import gc
import itertools
import multiprocessing
import os
import queue
import random
import secrets
import shutil
import tempfile
import time
import traceback
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Callable, Iterator

from invoice_tui.db import database, write_tx
from invoice_tui.db.bulk import CHUNK, ScratchFile, Table, Writer, copy_file_table, fast_load
from invoice_tui.db.models import (Activity, Adjustment, ChainHead, Company, Contact, CreditEntry, Invoice, InvoiceCompany,
                                   InvoiceContact, LineItem, Payment, PropertyChange, Reminder, User)
from invoice_tui.demo.keys import _TERMS, TODAY, _draw_keys, _KeysJob
from invoice_tui.demo.reference import (_COMMENTS, _COUNTRIES, _DEMO_USERS, _EUR_RATES, _METHODS, _NOTES, _RATES,
                                        _SELLER, _TASKS, _ascii, _digits)
from invoice_tui.demo.story import (ACTIVITY_EXPRS, CHANGE_COLUMNS, CHANGE_EXPRS, EVENT_COLUMNS, LINK_COLUMNS, SOURCE,
                                    Chain, Links, Story, adjustment_stubs, company_snapshot, contact_snapshot,
                                    draft_snapshot, line_stubs, payment_snapshot, template_snapshot)
from invoice_tui.demo.templates import _make_templates
from invoice_tui.domain import history, invoices
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, PermissionDenied, RuleRefused
from invoice_tui.domain.invoices import number_text
from invoice_tui.domain.money import exponent, from_minor, plain, to_minor
from invoice_tui.domain.credit_records import entry_snapshot
from invoice_tui.domain.settings import coerce_setting, load_settings, render_number, store_setting
from invoice_tui.i18n import _

MAX_INVOICES = 10_000_000
TEMPLATES_PER_CURRENCY = 300
FULL_HISTORY = 50_000  # the most recent invoices also carry notes, tasks and sent reminders
# invoices per segment file, at least … (small enough that the copying process starts early and
# that the last segment, copied after the worker processes are done, is short: at 100k, 8 segments
# of 12,500 against 4 of 25,000, two ABBA sets at load ~2: mean 14.5 s against 16.1 s)
SEGMENT_MIN = 12_500
MAX_SEGMENTS = 8  # … and at most this many segments (each is attached: SQLite allows 10 files)
PARALLEL_FROM = 50_000  # from this many invoices on, worker processes generate the segments
MAX_PROCESSES = 4
# SQLite page cache during the load: small, so that the pages are written out while the worker
# processes generate (a large cache kept every page to the commit, written then, on one core; at
# 100k, 20 MB against 1 GB: 11.4 s against 14.5 s, the commit 0.1 s against 1.9 s; at 1M 151 s
# against 165 s, the index builds at the end 49 s against 62 s).
CACHE_KIB = 20_000


def _ts(value: dt.datetime) -> str:
    """As peewee stores a naive datetime (and as it reads back)."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


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
    # History rows arrive object by object, in id order within each kind (invoice, payment, …).
    "property_change": {("object_type", "object_id", "property")},
}


# The columns a segment file holds per table, in this order (the first is the id).
_SEGMENT_COLUMNS = {
    "invoice": ["id", "title", "currency", "exponent", "locale", "invoice_date", "due_date", "owner_id",
                "billing_contact_id", "company_id", "po_number", "comments", "allow_partial", "origin", "cloned_from",
                "number", "number_seq", "status", "last_sent_date", "payment_date", "link_token", "version",
                "subtotal_minor", "discount_minor", "fee_minor", "tax_minor", "billed_minor", "paid_minor",
                "balance_minor", "contact_name", "contact_email", "company_name", "owner_name", "created_at",
                "updated_at", "finalized_at", "operation_category", "eur_rate", "credited_minor", "exemption_reasons"],
    "payment": ["id", "amount_minor", "currency", "date", "method", "reference", "note", "source", "state",
                "contact_id", "invoice_id", "ever_succeeded", "created_by", "created_at", "applied_at"],
    "reminder": ["id", "invoice_id", "offset_days", "due_on", "state", "sent_at"],
    "credit_entry": ["id", "kind", "company_id", "contact_id", "currency", "amount_minor", "date", "invoice_id",
                     "credit_note_id", "payment_id", "method", "reference", "created_by", "created_at"],
}
# A credit note's columns beyond an invoice's (its rows go to a scratch table of their own).
_CREDIT_NOTE_COLUMNS = ["doc_type", "refers_to_id", "reason", "cn_seq"]
_CANCEL_REASONS = ("Commande annulée par le client", "Erreur de facturation : facture annulée",
                   "Prestation annulée avant exécution")


def _take_credit_note_numbers(count: int) -> int:
    """R36: ``count`` consecutive numbers of the credit notes' series, as one block (as
    ``invoices.take_numbers`` does for invoices); the first."""
    from invoice_tui.db.models import Counter

    if not count:
        return 0
    name = invoices.CREDIT_NOTE_COUNTER
    rows = Counter.update(value=Counter.value + count).where(Counter.name == name).returning(Counter.value).execute()
    taken = [r.value - count for r in rows]
    if not taken:
        Counter.insert(name=name, value=1 + count).execute()
        return 1
    return taken[0]


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


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off during the load, and the objects made before it frozen (left
    out of any collection): the load makes millions of short-lived tuples, dicts and strings
    without cycles, and each automatic collection walked every object alive (the plan, the
    contacts, the templates) — also in the forked worker processes, where that walk touched, and
    so copied, their inherited memory page by page (measured at 100k invoices: about a tenth of
    the workers' time). Turned back on after the load."""
    was_enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def generate(ctx: Context, invoices: int = 200, seed: int = 0,
             progress: Callable[[int, int], None] | None = None, strict: bool = True) -> dict:
    """Fill the empty workspace with ``invoices`` demo invoices; returns summary counts.

    The seller is French (R43): ``strict`` (the default) leaves strict mode on, as a French seller
    gets it (R46), and cancellations are credit notes; ``strict=False`` (``demo --no-strict``)
    turns it off and cancellations are voided invoices.

    Refused (RuleRefused) unless the workspace is empty and ``ctx`` is a super admin.
    """
    if "super_admin" not in ctx.permissions:
        raise PermissionDenied(_("Only a super admin can fill a workspace with demo data; '{login}' is not one. "
                                 "Use a new, empty workspace (e.g. --db sqlite:///demo.db), where you are the first "
                                 "user and so its super admin.").format(login=ctx.login))
    if isinstance(invoices, bool) or not isinstance(invoices, int) or not 0 <= invoices <= MAX_INVOICES:
        raise BadInput(_("The number of demo invoices must be between 0 and {limit}.").format(limit=f"{MAX_INVOICES:,}"),
                       field="invoices")
    from invoice_tui.domain.workspace import workspace_is_empty

    started = time.perf_counter()
    generator = None
    with fast_load(database.obj, CACHE_KIB), _no_cycle_collection():
        try:
            with write_tx():
                if not workspace_is_empty():
                    raise RuleRefused(_("This workspace already has invoices, contacts or payments; demo data only "
                                        "goes into an empty workspace. Use a new database, e.g. "
                                        "invoice-tui --db sqlite:///demo.db demo"))
                history.lock_heads()
                generator = _Generator(ctx, invoices, seed, progress, strict)
                summary = generator.run()
        finally:
            if generator is not None:
                generator.cleanup()
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


class _Generator:
    def __init__(self, ctx: Context, n: int, seed: int, progress, strict: bool = True) -> None:
        self.ctx = ctx
        self.strict = bool(strict)
        self.n = n
        self.rng = random.Random(f"invoice-tui-demo:{seed}")
        self.seed = seed
        self.progress = progress
        self.now = ctx.now().replace(microsecond=0)
        self.today = ctx.today()
        self.w = Writer(keep=_LIVE_INDEXES)
        self.plan: dict[str, Any] = {}
        self.tables: dict[str, Table] = {}
        self.tmpdir: str | None = None
        self.keys_job: _KeysJob | None = None
        self.relays: list[tuple[Any, Any]] = []  # the pipes handing the chains' heads from segment to segment

    # -- small parts through the services (users, settings): they write their own history --
    def _users(self) -> list[User]:
        from invoice_tui.domain import people

        for login, name, perms in _DEMO_USERS:
            if login != self.ctx.login and people.find_user(login) is None:
                people.add_user(self.ctx, login, name=name, email=f"{login}@lumiere-studio.example",
                                permissions=perms, app_only=True)  # no role on the server (R53)
        return list(User.select().order_by(User.id))

    def _settings(self) -> None:
        """The French seller profile (R43), each value through the settings' own checks, unless the
        workspace already names its seller (then its profile is kept); with a French seller, strict
        mode (R46) on, or off under ``--no-strict``. A non-French seller keeps it off: its
        cancellations are voided invoices."""
        current = load_settings()
        if not current.seller_legal_name:
            for key, text in _SELLER.items():
                if not getattr(current, key):
                    self._set(key, coerce_setting(key, text))
        if not load_settings().french_seller:
            self.strict = False
            return
        self._set("strict_mode", self.strict)
        if self.strict:
            for flag in ("allow_edit_finalized", "allow_delete_unpaid"):
                self._set(flag, False)
            if self.n:  # its invoices are issued under strict mode, which then stays on (R46)
                self._set("strict_locked", True)

    def _set(self, key: str, value: Any) -> None:
        if getattr(load_settings(), key) != value:  # a setting is stored (and recorded) when it changes
            old = store_setting(key, value)
            history.record_changes(self.ctx, "workspace", 0, None, {key: old}, {key: value})

    # -- contacts and companies --
    def _people(self) -> None:
        rng, w, now_s = self.rng, self.w, _ts(self.now)
        french = load_settings().french_seller  # French buyers' invoices then follow the French rules
        n_contacts = max(40, min(self.n // 20, 50_000))
        n_companies = max(12, min(n_contacts // 3, 20_000))
        countries = list(_COUNTRIES)
        cum_weights = list(itertools.accumulate(_COUNTRIES[c]["weight"] for c in countries))
        story = self.people_story = Story()  # their creation, as add_company / add_contact write it
        legal_cols = ("legal_name", "postcode", "city", "country", "siren", "siret", "vat_id", "electronic_address",
                      "electronic_scheme")
        company_t = Table(Company, ["id", "name", "domain", "address", "tax_id", *legal_cols, "created_at"])
        contact_t = Table(Contact, ["id", "first_name", "last_name", "email", "phone", "address", "company_id",
                                     "postcode", "city", "country", "created_at"])
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
            street, postcode, city = self._address(country)
            tax_id, legal_ids = self._legal_ids(country)
            if french and country in ("US", "JP"):
                tax_id = ""  # not a VAT number (an EIN, a Japanese T-number): no BT-48 on a French e-invoice
            row = (cid, name, domain, street, tax_id, name, postcode, city, country, *legal_ids, now_s)
            rows.append(row)
            companies.append((cid, name, country))
            story.create("company", cid, None, self.ctx.login, now_s,
                         company_snapshot(dict(zip(("name", "domain", "address", "tax_id", *legal_cols), row[1:-1]))))
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
            street, postcode, city = self._address(country) if rng.random() < 0.8 else ("", "", "")
            row = (pid, first, last, email, phone, street, comp[0] if comp else None, postcode, city,
                   country if street else "", now_s)
            rows.append(row)
            story.create("contact", pid, None, self.ctx.login, now_s, contact_snapshot(
                dict(zip(("first_name", "last_name", "email", "phone", "address", "company_id", "postcode", "city",
                          "country", "is_business"), (*row[1:10], False))),
                comp[1] if comp else None))
            currency = c["currency"]
            # the last item, with a French seller: 2 a French business buyer, 1 a French consumer, 3 a
            # business buyer elsewhere in the EU, 4 one outside it (R43); a business buyer's invoices
            # can all be e-invoices (R45), those abroad charge no French VAT (templates.ABROAD)
            abroad = 0 if not comp else 3 if c.get("eu") else 4
            contacts.append((pid, f"{first} {last}", email, comp[0] if comp else None, comp[1] if comp else "",
                             currency, c["locale"],
                             0 if not french else (2 if comp else 1) if country == "FR" else abroad))
        w.write(contact_t, rows)
        self.contacts = contacts

    def _address(self, country: str) -> tuple[str, str, str]:
        """A structured address (R43): street, postcode, city (the country is the caller's)."""
        c, rng = _COUNTRIES[country], self.rng
        zip_, city = rng.choice(c["cities"])
        rand = rng.random
        street = c["street"].format(n=1 + int(rand() * 180), n2=1 + int(rand() * 30), w=rng.choice(c["words"]))
        return street, zip_, city

    def _legal_ids(self, country: str) -> tuple[str, tuple[str, str, str, str, str]]:
        """A company's tax id and (SIREN, SIRET, VAT id, electronic address, scheme), R43. French and
        German ones are valid: their check digits computed by python-stdnum (Luhn for a SIREN and
        its SIRET, the French VAT key from the SIREN, ISO 7064 for a German VAT number); a French
        company's electronic address is its SIREN under scheme 0225 (BT-49). Elsewhere the tax id
        as a free text."""
        rng = self.rng
        digits = _digits(rng, 13)
        letter = rng.choice("ABCDEFGHJ")
        if country == "FR":
            from stdnum import luhn
            from stdnum.fr import siren as fr_siren

            siren = digits[:8] + luhn.calc_check_digit(digits[:8])
            nic = f"{siren}000{1 + int(digits[8]) % 9}"
            siret = nic + luhn.calc_check_digit(nic)
            vat = "FR" + fr_siren.to_tva(siren)
            return vat, (siren, siret, vat, siren, "0225")
        if country == "DE":
            from stdnum.iso7064 import mod_11_10

            body = str(1 + int(digits[0]) % 9) + digits[1:8]
            vat = f"DE{body}{mod_11_10.calc_check_digit(body)}"
            return vat, ("", "", vat, "", "")
        if country == "ES":  # a company's NIF (CIF): its letter, seven digits, a check digit
            from stdnum.es import cif

            body = "B" + digits[:7]
            vat = f"ES{body}{cif.calc_check_digits(body)[0]}"
            return vat, ("", "", vat, "", "")
        tax = _COUNTRIES[country]["tax"].format(n2=digits[:2], n7=digits[2:9], n8=digits[:8], n9=digits[:9],
                                                n11=digits[:11], n13=digits, L=letter)
        return tax, ("", "", "", "", "")

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

        creators = [u for u in users if {"create", "super_admin"} & set(u.permissions.split(","))]
        editors = {u.id for u in users if {"edit", "super_admin"} & set(u.permissions.split(","))}
        admin_login = ctx.login
        user_info = {u.id: (u.login if u.id in editors else admin_login, u.name or u.login) for u in users}
        owner_login = {u.id: u.login for u in users}
        owner_pool = [u.id for u in creators for _ in range(5 if u.login == ctx.login else 3)]

        french = load_settings().french_seller
        templates = {cur: _make_templates(rng, cur, TEMPLATES_PER_CURRENCY, french) for cur in _RATES}
        # a French seller's business buyers abroad (contact kinds 3 and 4): in the EU they pay in EUR,
        # outside it in their own currency
        abroad = {3: {"EUR": _make_templates(rng, "EUR", TEMPLATES_PER_CURRENCY, french, "eu")},
                  4: {cur: _make_templates(rng, cur, TEMPLATES_PER_CURRENCY, french, "export")
                      for cur in _RATES if cur != "EUR"}} if french else {}
        exponents = {cur: exponent(cur) for cur in _RATES}

        keys, counts, seg_counts = keys_job.result() if keys_job else _draw_keys(self.seed, n, bounds)

        inv_t = Table(Invoice, _SEGMENT_COLUMNS["invoice"])
        line_t = Table(LineItem, ["id", "invoice_id", "position", "name", "description", "quantity",
                                   "unit_price_micro", "discount_kind", "discount_value", "tax_rate", "tax_category"])
        adj_t = Table(Adjustment, ["id", "invoice_id", "kind", "position", "label", "is_percent", "value",
                                    "tax_rate", "tax_category"])
        ic_t = Table(InvoiceContact, ["id", "invoice_id", "contact_id"])
        ico_t = Table(InvoiceCompany, ["id", "invoice_id", "company_id"])
        pay_t = Table(Payment, _SEGMENT_COLUMNS["payment"])
        cn_t = Table(Invoice, _SEGMENT_COLUMNS["invoice"] + _CREDIT_NOTE_COLUMNS)
        entry_t = Table(CreditEntry, _SEGMENT_COLUMNS["credit_entry"])
        rem_t = Table(Reminder, _SEGMENT_COLUMNS["reminder"])
        act_t = Table(Activity, list(ACTIVITY_EXPRS))
        pc_t = Table(PropertyChange, list(CHANGE_EXPRS))
        self.tables = dict(invoice=inv_t, line_item=line_t, adjustment=adj_t, invoice_contact=ic_t,
                           invoice_company=ico_t, payment=pay_t, reminder=rem_t, activity=act_t,
                           property_change=pc_t, credit_entry=entry_t)
        self.cn_table = cn_t

        inv_id0 = w.max_id(Invoice)
        pay_id0, rem_id0 = w.max_id(Payment), w.max_id(Reminder)

        # R3: the finalized invoices' numbers, taken from the workspace counter as one block (the
        # services' numbering); numbers and payment ids run on across segments: each segment's first ones.
        first_seq = invoices.take_numbers(prefix, sum(fin for fin, _, _ in seg_counts))
        # R46: in strict mode a cancellation is a credit note (its number from the credit notes'
        # series, taken as one block; its id after the invoices'; one credit movement each).
        n_cancel = sum(c for _, _, c in seg_counts) if self.strict else 0
        first_cn = _take_credit_note_numbers(n_cancel)
        entry_id0 = w.max_id(CreditEntry)
        seg_first = []
        fin = n_pay = n_cn = 0
        for seg_fin, seg_pay, seg_cancel in seg_counts:
            seg_first.append((first_seq + fin, pay_id0 + n_pay, n_cn))
            fin += seg_fin
            n_pay += seg_pay
            n_cn += seg_cancel if self.strict else 0
        seq = first_seq + fin
        pay_id = pay_id0 + n_pay
        self.n_cancel = n_cancel

        # Line items and adjustments are copies of the template's: the templates go into two
        # temporary tables, each invoice's template number into the segment's ``map`` table, and
        # the database copies the rows itself (INSERT … SELECT), as it does for the contact and
        # company links — millions of rows that never pass through Python.
        tpl_line_t = w.create_temp("demo_tpl_line", "tpl INTEGER, position INTEGER, name TEXT, description TEXT, "
                                   "quantity TEXT, unit_price_micro BIGINT, discount_kind TEXT, discount_value TEXT, "
                                   "tax_rate TEXT, tax_category TEXT, PRIMARY KEY (tpl, position)")
        tpl_adj_t = w.create_temp("demo_tpl_adj", "tpl INTEGER, kind TEXT, position INTEGER, label TEXT, "
                                  "is_percent BOOLEAN, value TEXT, tax_rate TEXT, tax_category TEXT")
        if w.pg:  # PostgreSQL gets the maps through COPY into a temporary table
            self.map_t = w.create_temp("demo_inv_tpl", "invoice_id BIGINT PRIMARY KEY, tpl INTEGER")
        gid = 0
        tpl_lines, tpl_adjs = [], []
        for cur_templates in (*templates.values(), *(t for by_cur in abroad.values() for t in by_cur.values())):
            for tpl in cur_templates:
                gid += 1
                tpl.gid = gid
                tpl_lines += [(gid, *ln) for ln in tpl.lines]
                tpl_adjs += [(gid, *a) for a in tpl.adjustments]
        w.write(tpl_line_t, tpl_lines)
        w.write(tpl_adj_t, tpl_adjs)
        for table in (line_t, adj_t, ic_t, ico_t):
            w.fix_sequence(table.model)

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
            # R45: French business buyers' invoices without R18 extra taxes (each can be an e-invoice)
            plain_lists={cur: (plain, len(plain)) for cur, lst in templates.items()
                         for plain in [[t for t in lst if not t.extra_tax]]},
            abroad_lists={kind: {cur: (lst, len(lst)) for cur, lst in by_cur.items()} for kind, by_cur in abroad.items()},
            strict=self.strict, first_cn=first_cn, entry_id0=entry_id0,
            eur_rates=_EUR_RATES if french else {}, french=french,
            cn_pattern=settings.credit_note_pattern, admin=(ctx.user.id if ctx.user else None, admin_login,
                                                              ctx.user.name if ctx.user else admin_login),
            lang_comments=lang_comments, day0=day0, ds=ds, now_s=now_s,
            recent_from=n - FULL_HISTORY, owner_login=owner_login,
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
        # The history chains run on segment by segment: the people's rows first, linked here; each
        # segment links its own rows where it is generated, from the heads the one before hands on
        # through a pipe (``relays[k]``: into segment k; the last one's out of the last segment);
        # the unapplied payments' rows close the chains.
        heads = {h.name: h.hash for h in ChainHead.select()}
        act_chain = Chain("activity", heads["activity"], w.max_id(Activity))
        pc_chain = Chain("property_change", heads["property_change"], w.max_id(PropertyChange))
        self._write_history(pc_chain.add_rows(*self.people_story.take_changes()))
        self.relays = [multiprocessing.Pipe(duplex=False) for _ in range(len(bounds) + 1)]
        self.relays[0][1].send({"activity": act_chain.head, "property_change": pc_chain.head})
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
                first = inv_id0 + lo + seg_first[k][2] + 1  # its invoices' and credit notes' ids
                self._copy_segment(k, paths[k], first, first + hi - lo + stats[k]["credit_notes"] - 1, rem_base)
                self._copy_history(k, paths[k], stats[k], act_chain, pc_chain)
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

        # A few unapplied payments (R9): some match an open balance exactly, some online; created
        # as add_payment creates them (their history included).
        rand = rng.random
        n_unapplied = min(2000, max(4, n // 500))
        pays = []
        unapplied_story = Story()
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
            unapplied_story.create("payment", pay_id, None, pays[-1][12], pstamp, payment_snapshot(dict(zip(
                ("amount_minor", "currency", "date", "method", "reference", "note", "source", "state", "contact_id",
                 "invoice_id"), pays[-1][1:11]))))
        w.write(pay_t, pays)
        unapplied = len(pays)

        # The unapplied payments' history closes the chain; then the template tables go and the
        # dropped indexes are built.
        self._write_history(pc_chain.add_rows(*unapplied_story.take_changes()))
        w.drop_temps()
        w.finish()
        for name, chain in (("activity", act_chain), ("property_change", pc_chain)):
            ChainHead.update(hash=chain.head, count=ChainHead.count + chain.added).where(
                ChainHead.name == name).execute()
        for model in (Company, Contact, Invoice, LineItem, Adjustment, InvoiceContact, InvoiceCompany, Payment,
                      Reminder, Activity, PropertyChange, CreditEntry):
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
            "voided": 0 if self.strict else counts["voided"],
            "credit_notes": self.n_cancel,
            "numbers": (f"{invoices.number_text(prefix, first_seq)}…{invoices.number_text(prefix, seq - 1)}"
                        if seq > first_seq else ""),
            "users": len(users),
            "contacts": len(contacts),
            "companies": self.n_companies,
            "line_items": line_t.count,
            "adjustments": adj_t.count,
            "payments": pay_t.count,
            "unapplied_payments": unapplied,
            "reminders": rem_t.count,
            "activities": act_t.count,
            "property_changes": pc_t.count,
        }

    def _write_history(self, rows: list[tuple]) -> None:
        """Property changes chained in memory (:meth:`Chain.add_rows`) into the workspace."""
        self.w.write(self.tables["property_change"], [(*row, SOURCE) for row in rows])

    def _copy_history(self, k: int, path: str, stats: dict, act_chain: Chain, pc_chain: Chain) -> None:
        """Copy segment ``k``'s history rows, with their links, into ``activity`` and
        ``property_change`` (``stats``: the segment's counts and heads), right after its invoices
        (while the worker processes make the next segments)."""
        for table, exprs, source, chain, count in (
                (self.tables["activity"], ACTIVITY_EXPRS, "event", act_chain, stats["events"]),
                (self.tables["property_change"], CHANGE_EXPRS, "change", pc_chain, stats["changes"])):
            copy_file_table(self.w, table, path, f"demo_segment{k}",
                            f"{{file}}{source} e JOIN {{file}}{source}_link l ON l.rowid = e.rowid", order="e.rowid",
                            exprs=chain.exprs(exprs, count, stats["heads"][chain.name]))

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
        seq, pay_id, cancel = p["seg_first"][k]
        strict, plain_lists, cn_pattern = p["strict"], p["plain_lists"], p["cn_pattern"]
        abroad_lists = p["abroad_lists"]
        admin_id, admin_login, admin_name = p["admin"]
        eur_rates, first_cn, entry_id0 = p["eur_rates"], p["first_cn"], p["entry_id0"]
        french = p["french"]  # a French seller's invoices state their operation category (R43)
        cnotes, entries = [], []
        # ids in creation order: a credit note's (a cancellation, R46) right after its invoice's, so
        # the index's newest first is not a page of credit notes; the segment's first id after the
        # invoices and credit notes of the segments before it
        iid = first_iid = p["inv_id0"] + lo + cancel
        ordinal, cn_taken = lo, 0  # the invoice's place among the demo's invoices; a credit note just taken
        rng = random.Random(f"invoice-tui-demo:{self.seed}:segment:{k}")
        rand, getbits = rng.random, rng.getrandbits
        prefix, offsets, terms_choices = p["prefix"], p["offsets"], p["terms_choices"]
        user_info, owner_pool = p["user_info"], p["owner_pool"]
        n_owners = len(owner_pool)
        tpl_lists, exponents, lang_comments = p["tpl_lists"], p["exponents"], p["lang_comments"]
        ds, day0, now_s, recent_from = p["ds"], p["day0"], p["now_s"], p["recent_from"]
        owner_login = p["owner_login"]
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

        out = ScratchFile(path)
        for name, cols in (("invoice", _SEGMENT_COLUMNS["invoice"]), ("map", ["invoice_id", "tpl"]),
                           ("cnote", _SEGMENT_COLUMNS["invoice"] + _CREDIT_NOTE_COLUMNS),
                           ("credit_entry", _SEGMENT_COLUMNS["credit_entry"]),
                           ("payment", _SEGMENT_COLUMNS["payment"]), ("reminder", _SEGMENT_COLUMNS["reminder"])):
            out.create(name, cols)
        for table, cols in (("event", EVENT_COLUMNS), ("change", CHANGE_COLUMNS)):
            out.create(table, cols, key=False)
            out.create(f"{table}_link", LINK_COLUMNS, key=False)
        receiving, sending = self.relays[k][0], self.relays[k + 1][1]
        links = Links(out, lambda block: receiving.recv() if block or receiving.poll() else None, sending.send)
        story = Story()
        change, create = story.change, story.create
        tpl_parts: dict[int, dict] = {}  # template → its part of a new draft's snapshot
        n_pays = n_rems = n_events = n_changes = 0
        numbers_by_id: dict[int, str | None] = {}
        keys = p["keys"]
        for start in range(lo, hi, CHUNK):
            invs, maps, pays, rems = [], [], [], []
            event = story.events.append
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
                iid += 1 + cn_taken
                ordinal += 1
                cn_taken = 0
                contact = contacts[int(rand() * n_contacts)]
                if cat == 0 and rand() < 0.1:
                    contact = None
                if contact is not None:
                    cur = contact[5] if rand() < 0.93 or contact[7] else currencies[int(rand() * 4)]
                    locale = contact[6]
                else:
                    cur, locale = default_cur, default_locale
                kind = contact[7] if contact is not None else 0
                tl, tn = (abroad_lists[kind] if kind in (3, 4) else plain_lists if kind == 2 else tpl_lists)[cur]
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
                    if cloned_from not in numbers_by_id:  # a credit note's id: its invoice's is the one before
                        cloned_from -= 1
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
                recent = ordinal > recent_from  # notes, tasks and sent reminders only on recent invoices
                # Created (or cloned) as a draft: its whole snapshot, as create_invoice writes it.
                if tpl.gid not in tpl_parts:
                    tpl_parts[tpl.gid] = template_snapshot(cur, billed, line_stubs(tpl.lines),
                                                           adjustment_stubs(tpl.adjustments))
                eur_rate = eur_rates.get(cur, "")
                operation = tpl.operation if french else ""  # R43: a French seller's invoices state it
                state = draft_snapshot(
                    dict(title=tpl.title, currency=cur, locale=locale, invoice_date=inv_date_s, due_date=due_s,
                         po_number=po, comments=comments, allow_partial=bool(allow_partial), origin=origin,
                         number=None, status="draft", last_sent_date=None, payment_date=None, link_token=None,
                         operation_category=operation, eur_rate=eur_rate,
                         exemption_reasons=tpl.reasons),
                    owner=owner_login[owner], contact=contact, template=tpl_parts[tpl.gid])
                create("invoice", iid, None, actor, created, state)
                if origin == "clone":
                    src = numbers_by_id.get(cloned_from)
                    event((iid, None, "cloned", f"Cloned from {src or f'draft #{cloned_from}'}", actor, created, None))
                    event((cloned_from, src, "cloned_to", f"Cloned to draft #{iid}", actor, created, None))
                else:
                    event((iid, None, "created", "Draft created" if origin == "manual" else f"Created ({origin})",
                           actor, created, None))
                version = 1
                number = number_seq = link = finalized = last_sent = payment_date = None
                paid = credited = 0
                status = "draft"
                updated = created
                if cat:
                    number_seq = seq
                    number = number_text(prefix, seq)
                    seq += 1
                    link = next_token()
                    finalized = stamp(o, minute + 3)
                    updated = finalized
                    status = "open"
                    version = 2
                    change("invoice", iid, number, actor, finalized, state,
                           {"number": number, "status": "open", "link": "created"})
                    state.update(number=number, status="open", link="created")
                    event((iid, number, "finalized", f"Finalized as {number}", actor, finalized, None))
                    if contact is not None and rand() < 0.85:
                        last_sent = inv_date_s
                        sent_at = stamp(o, minute + 5)
                        change("invoice", iid, number, actor, sent_at, state, {"last_sent_date": last_sent})
                        state["last_sent_date"] = last_sent
                        event((iid, number, "email_sent", f"Invoice email sent to {contact[2]}", actor, sent_at, None))
                    payer = contact[0] if contact else None
                    if cat == 3 or cat == 4:
                        if cat == 3:
                            parts = (max(1, min(billed - 1, billed * (15 + int(rand() * 66)) // 100)),)
                            amount_text = plain(from_minor(parts[0], cur))
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
                                paid_event = (iid, number, "payment_succeeded", f"Online payment #{pay_id} succeeded",
                                              actor, pstamp, None)
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
                                if len(parts) > 1:
                                    amount_text = plain(from_minor(amount, cur))
                                paid_event = (iid, number, "payment_recorded",
                                              f"Payment #{pay_id} of {amount_text} {cur} recorded ({method})", actor,
                                              pstamp, None)
                            pay = pays[-1]
                            create("payment", pay_id, number, pay[12], pstamp, payment_snapshot(dict(
                                zip(("amount_minor", "currency", "date", "method", "reference", "note", "source",
                                     "state", "contact_id", "invoice_id"), pay[1:11]))))
                            after = {"status": "paid", "payment_date": pday_s} if paid + amount == billed else {}
                            after["amount_paid"] = plain(from_minor(paid + amount, cur))
                            after["balance_due"] = plain(from_minor(billed - paid - amount, cur))
                            change("invoice", iid, number, actor, pstamp, state, after)
                            state.update(after)
                            event(paid_event)
                            paid += amount
                            version += 1
                            updated = pstamp
                        if cat == 4:
                            status = "paid"
                            payment_date = pday_s
                    elif cat == 5 and strict:
                        # R46: cancelled by a full credit note two days later (R36-R39), as
                        # credit.create_credit_note and issue_credit_note write it
                        cancel += 1
                        cn_id, cn_seq, cn_taken = iid + 1, first_cn + cancel - 1, 1
                        cday = o + 2
                        cday_s = ds[cday]
                        cn_number = (number_text(invoices.CREDIT_NOTE_PREFIX, cn_seq)
                                     if cn_pattern == invoices.CREDIT_NOTE_PREFIX + "{seq}"
                                     else render_number(cn_pattern, cn_seq, int(cday_s[:4])))
                        reason = _CANCEL_REASONS[int(rand() * len(_CANCEL_REASONS))]
                        cstamp, istamp = stamp(cday, 240), stamp(cday, 241)
                        money = f"{tpl.billed_text} {cur}"
                        cn_state = draft_snapshot(
                            dict(title="", currency=cur, locale=locale, invoice_date=cday_s, due_date=None,
                                 po_number=po, comments="", allow_partial=False, origin="manual", number=None,
                                 status="draft", last_sent_date=None, payment_date=None, link_token=None,
                                 operation_category=operation, eur_rate=eur_rate,
                                 exemption_reasons=tpl.reasons),  # the invoice's (invoices.legal_fields)
                            owner=admin_login, contact=contact, template=tpl_parts[tpl.gid])
                        cn_state.update(document_type="credit_note", reason=reason, refers_to=iid,
                                        balance_due=plain(from_minor(0, cur)))  # a credit note owes nothing
                        create("invoice", cn_id, None, admin_login, cstamp, cn_state)
                        event((cn_id, None, "created", f"Draft credit note for {number} created: {reason}",
                               admin_login, cstamp, None))
                        event((iid, number, "credit_note_created",
                               f"Draft credit note #{cn_id} of {money} created: {reason}", admin_login, cstamp, None))
                        change("invoice", cn_id, cn_number, admin_login, istamp, cn_state,
                               {"number": cn_number, "status": "issued", "link": "created"})
                        entry_id = entry_id0 + cancel
                        company_id = contact[3]
                        entries.append((entry_id, "cn_applied", company_id, None if company_id else contact[0], cur,
                                        billed, cday_s, iid, cn_id, None, "", "", admin_login, istamp))
                        create("credit_entry", entry_id, cn_number, admin_login, istamp, entry_snapshot(
                            SimpleNamespace(kind="cn_applied", company_id=company_id,
                                            contact_id=None if company_id else contact[0], currency=cur,
                                            amount_minor=billed, date=cday_s, invoice_id=iid, credit_note_id=cn_id,
                                            payment_id=None, method="", reference="")))
                        after = {"status": "paid", "payment_date": cday_s, "balance_due": plain(from_minor(0, cur)),
                                 "amount_credited": tpl.billed_text}
                        change("invoice", iid, number, admin_login, istamp, state, after)
                        state.update(after)
                        event((cn_id, cn_number, "issued", f"Issued as {cn_number}, crediting {number}", admin_login,
                               istamp, None))
                        event((iid, number, "credit_note_issued",
                               f"{cn_number} of {money} issued; {money} credited on this invoice", admin_login,
                               istamp, None))
                        status, payment_date, credited, updated = "paid", cday_s, billed, istamp
                        version += 1
                        cnotes.append((cn_id, "", cur, exponents[cur], locale, cday_s, None, admin_id, contact[0],
                                       company_id, po, "", False, "manual", None, cn_number, None, "issued", None,
                                       None, secrets.token_urlsafe(24), 2, tpl.subtotal, tpl.discount, tpl.fee, tpl.tax, billed, 0,
                                       0, contact[1], contact[2], contact[4], admin_name, cstamp, istamp, istamp,
                                       operation, eur_rate, 0, tpl.reasons, "credit_note", iid,
                                       reason, cn_seq))
                        maps.append((cn_id, tpl.gid))
                    elif cat == 5:
                        status = "voided"
                        vstamp = stamp(min(TODAY, o + 1 + int(rand() * 3)), 200)
                        change("invoice", iid, number, actor, vstamp, state,
                               {"status": "voided", "balance_due": plain(from_minor(0, cur))})  # R18: owes nothing
                        event((iid, number, "voided", f"{number} voided", actor, vstamp, None))
                        updated = vstamp
                        version += 1
                    if status == "open":
                        for off in offsets:
                            ro = o + terms + off
                            if ro >= TODAY:
                                rem_id += 1
                                rems.append((rem_id, iid, off, dstr(ro), "planned", None))
                            elif recent and contact is not None:
                                rem_id += 1
                                sent = stamp(ro, 30) if ro >= 0 else now_s
                                rems.append((rem_id, iid, off, dstr(ro), "sent", sent))
                                event((iid, number, "reminder_sent", f"Reminder ({off:+d} days) sent to {contact[2]}",
                                       actor, sent, None))
                        if recent and rand() < 0.02:
                            event((iid, number, "task", _TASKS[int(rand() * n_tasks)], actor, stamp(o, minute + 25),
                                   dstr(o + terms + 10)))
                    if recent and rand() < 0.03:
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
                             tpl.tax, billed, paid, 0 if status == "voided" else billed - paid - credited, cname, cemail,
                             company_name, owner_name, created, updated, finalized, operation, eur_rate,
                             credited, tpl.reasons))
                maps.append((iid, tpl.gid))
            (events, event_contents), (changes, change_contents) = story.take_events(), story.take_changes()
            event = story.events.append
            out.insert("invoice", invs)
            out.insert("cnote", cnotes)
            out.insert("credit_entry", entries)
            cnotes, entries = [], []
            out.insert("map", maps)
            out.insert("payment", pays)
            out.insert("reminder", rems)
            out.insert("event", events)
            out.insert("change", changes)
            links.add("event", event_contents)
            links.add("change", change_contents)
            n_pays += len(pays)
            n_rems += len(rems)
            n_events += len(events)
            n_changes += len(changes)
            if len(numbers_by_id) > 4 * CHUNK:  # clones look back at most 300 invoices
                numbers_by_id = {j: v for j, v in numbers_by_id.items() if j > iid - 400}
        heads = links.finish()
        out.commit()
        out.close()
        return {"payments": n_pays, "reminders": n_rems, "events": n_events, "changes": n_changes,
                "credit_notes": cancel - p["seg_first"][k][2], "heads": heads}

    def _copy_segment(self, k: int, path: str, first: int, last: int, rem_base: int) -> None:
        """Copy segment ``k`` (its invoices and credit notes: ids ``first``…``last``) into the
        workspace, and derive their line items, adjustments and invoice↔contact/company links there."""
        w, tb = self.w, self.tables
        alias = f"demo_segment{k}"
        for table, source, shift in ((tb["invoice"], "invoice", 0), (self.cn_table, "cnote", 0),
                                     (tb["payment"], "payment", 0), (tb["reminder"], "reminder", rem_base),
                                     (tb["credit_entry"], "credit_entry", 0)):
            exprs = {c: c for c in table.known}
            exprs["id"] = f"id + {int(shift)}"
            copy_file_table(w, table, path, alias, "{file}" + source, order="id", exprs=exprs)
        if w.pg:  # PostgreSQL gets the template map through COPY into a temporary table
            copy_file_table(w, self.map_t, path, alias, "{file}map", order="invoice_id")
            maps = "demo_inv_tpl"
        else:
            maps = f"{alias}.map"
        line_exprs = {"invoice_id": "m.invoice_id", **{c: f"l.{c}" for c in (
            "position", "name", "description", "quantity", "unit_price_micro", "discount_kind", "discount_value",
            "tax_rate", "tax_category")}}
        adj_exprs = {"invoice_id": "m.invoice_id", **{c: f"a.{c}" for c in (
            "kind", "position", "label", "is_percent", "value", "tax_rate", "tax_category")}}
        mine = f"({{col}} BETWEEN {int(first)} AND {int(last)})"
        w.insert_select(tb["line_item"], line_exprs, f"FROM {maps} m JOIN demo_tpl_line l ON l.tpl = m.tpl "
                        f"WHERE {mine.format(col='m.invoice_id')} ORDER BY m.invoice_id, l.position")
        w.insert_select(tb["adjustment"], adj_exprs, f"FROM {maps} m JOIN demo_tpl_adj a ON a.tpl = m.tpl "
                        f"WHERE {mine.format(col='m.invoice_id')} ORDER BY m.invoice_id, a.kind, a.position")
        w.insert_select(tb["invoice_contact"], {"invoice_id": "id", "contact_id": "billing_contact_id"},
                        f"FROM invoice WHERE {mine.format(col='id')} AND billing_contact_id IS NOT NULL "
                        "ORDER BY id")
        w.insert_select(tb["invoice_company"], {"invoice_id": "id", "company_id": "company_id"},
                        f"FROM invoice WHERE {mine.format(col='id')} AND company_id IS NOT NULL ORDER BY id")

    def cleanup(self) -> None:
        """After the transaction: detach the generated files and delete them (and stop the keys'
        process if the load failed before it was needed)."""
        if self.keys_job is not None:
            self.keys_job.stop()
        self.w.detach_all()
        for receiving, sending in self.relays:
            receiving.close()
            sending.close()
        self.relays = []
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
