"""The generator: plans the invoices, generates them in segments (in worker processes for large
workspaces) and copies them into the workspace through :mod:`invoice_tui.db.bulk`."""

from __future__ import annotations

import base64
import datetime as dt
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
from typing import Any, Callable

from invoice_tui.db import database, write_tx
from invoice_tui.db.bulk import CHUNK, ScratchFile, Table, Writer, copy_file_table, fast_load
from invoice_tui.db.models import (Activity, Adjustment, ChainHead, Company, Contact, Invoice, InvoiceCompany,
                                   InvoiceContact, LineItem, Payment, PropertyChange, Reminder, User)
from invoice_tui.demo.keys import _TERMS, TODAY, _draw_keys, _KeysJob
from invoice_tui.demo.reference import (_COMMENTS, _COUNTRIES, _DEMO_USERS, _METHODS, _NOTES, _RATES, _SELLER,
                                        _TASKS, _ascii, _digits)
from invoice_tui.demo.story import (ACTIVITY_EXPRS, CHANGE_COLUMNS, CHANGE_EXPRS, EVENT_COLUMNS, SOURCE, Chain, Story,
                                    adjustment_stubs, company_snapshot, contact_snapshot, draft_snapshot, line_stubs,
                                    payment_snapshot, template_snapshot)
from invoice_tui.demo.templates import _make_templates
from invoice_tui.domain import history, invoices
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, PermissionDenied, RuleRefused
from invoice_tui.domain.invoices import number_text
from invoice_tui.domain.money import exponent, from_minor, plain, to_minor
from invoice_tui.domain.settings import load_settings, store_setting

MAX_INVOICES = 10_000_000
TEMPLATES_PER_CURRENCY = 300
FULL_HISTORY = 50_000  # the most recent invoices also carry notes, tasks and sent reminders
SEGMENT_MIN = 25_000  # invoices per segment file, at least …
MAX_SEGMENTS = 8  # … and at most this many segments (each is attached: SQLite allows 10 files)
PARALLEL_FROM = 50_000  # from this many invoices on, worker processes generate the segments
MAX_PROCESSES = 4
CACHE_KIB = 1_000_000  # SQLite page cache during the load: 1 GB (measured at 1M: index builds 4 s faster than 256 MB)


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
                "updated_at", "finalized_at"],
    "payment": ["id", "amount_minor", "currency", "date", "method", "reference", "note", "source", "state",
                "contact_id", "invoice_id", "ever_succeeded", "created_by", "created_at", "applied_at"],
    "reminder": ["id", "invoice_id", "offset_days", "due_on", "state", "sent_at"],
}


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
    with fast_load(database.obj, CACHE_KIB):
        try:
            with write_tx():
                if not workspace_is_empty():
                    raise RuleRefused("This workspace already has invoices, contacts or payments; demo data only "
                                      "goes into an empty workspace. Use a new database, e.g. "
                                      "invoice-tui --db sqlite:///demo.db demo")
                history.lock_heads()
                generator = _Generator(ctx, invoices, seed, progress)
                summary = generator.run()
        finally:
            if generator is not None:
                generator.cleanup()
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
        self.w = Writer(keep=_LIVE_INDEXES)
        self.plan: dict[str, Any] = {}
        self.tables: dict[str, Table] = {}
        self.tmpdir: str | None = None
        self.keys_job: _KeysJob | None = None

    # -- small parts through the services (users, settings): they write their own history --
    def _users(self) -> list[User]:
        from invoice_tui.domain import people

        for login, name, perms in _DEMO_USERS:
            if login != self.ctx.login and people.find_user(login) is None:
                people.add_user(self.ctx, login, name=name, email=f"{login}@lumiere-studio.example",
                                permissions=perms, app_only=True)  # no role on the server (R53)
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
        story = self.people_story = Story()  # their creation, as add_company / add_contact write it
        company_t = Table(Company, ["id", "name", "domain", "address", "tax_id", "created_at"])
        contact_t = Table(Contact, ["id", "first_name", "last_name", "email", "phone", "address", "company_id",
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
            row = (cid, name, domain, self._address(country), self._tax_id(country), now_s)
            rows.append(row)
            companies.append((cid, name, country))
            story.create("company", cid, None, self.ctx.login, now_s,
                         company_snapshot(dict(zip(("name", "domain", "address", "tax_id"), row[1:5]))))
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
            row = (pid, first, last, email, phone, self._address(country) if rng.random() < 0.8 else "",
                   comp[0] if comp else None, now_s)
            rows.append(row)
            story.create("contact", pid, None, self.ctx.login, now_s, contact_snapshot(
                dict(zip(("first_name", "last_name", "email", "phone", "address", "company_id"), row[1:7])),
                comp[1] if comp else None))
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

        creators = [u for u in users if {"create", "super_admin"} & set(u.permissions.split(","))]
        editors = {u.id for u in users if {"edit", "super_admin"} & set(u.permissions.split(","))}
        admin_login = ctx.login
        user_info = {u.id: (u.login if u.id in editors else admin_login, u.name or u.login) for u in users}
        owner_login = {u.id: u.login for u in users}
        owner_pool = [u.id for u in creators for _ in range(5 if u.login == ctx.login else 3)]

        templates = {cur: _make_templates(rng, cur, TEMPLATES_PER_CURRENCY) for cur in _RATES}
        exponents = {cur: exponent(cur) for cur in _RATES}

        keys, counts, seg_counts = keys_job.result() if keys_job else _draw_keys(self.seed, n, bounds)

        inv_t = Table(Invoice, _SEGMENT_COLUMNS["invoice"])
        line_t = Table(LineItem, ["id", "invoice_id", "position", "name", "description", "quantity",
                                   "unit_price_micro", "discount_kind", "discount_value", "tax_rate"])
        adj_t = Table(Adjustment, ["id", "invoice_id", "kind", "position", "label", "is_percent", "value",
                                    "tax_rate"])
        ic_t = Table(InvoiceContact, ["id", "invoice_id", "contact_id"])
        ico_t = Table(InvoiceCompany, ["id", "invoice_id", "company_id"])
        pay_t = Table(Payment, _SEGMENT_COLUMNS["payment"])
        rem_t = Table(Reminder, _SEGMENT_COLUMNS["reminder"])
        act_t = Table(Activity, list(ACTIVITY_EXPRS))
        pc_t = Table(PropertyChange, list(CHANGE_EXPRS))
        self.tables = dict(invoice=inv_t, line_item=line_t, adjustment=adj_t, invoice_contact=ic_t,
                           invoice_company=ico_t, payment=pay_t, reminder=rem_t, activity=act_t,
                           property_change=pc_t)

        inv_id0 = w.max_id(Invoice)
        pay_id0, rem_id0 = w.max_id(Payment), w.max_id(Reminder)

        # R3: the finalized invoices' numbers, taken from the workspace counter as one block (the
        # services' numbering); numbers and payment ids run on across segments: each segment's first ones.
        first_seq = invoices.take_numbers(prefix, sum(fin for fin, _ in seg_counts))
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
                                   "quantity TEXT, unit_price_micro BIGINT, discount_kind TEXT, discount_value TEXT, "
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
            recent_from=inv_id0 + n - FULL_HISTORY, owner_login=owner_login,
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
            # The history chains run on segment by segment, as each is copied (while the worker
            # processes make the next ones): the people's rows first, the unapplied payments' last.
            heads = {h.name: h.hash for h in ChainHead.select()}
            act_chain = Chain("activity", heads["activity"], w.max_id(Activity))
            pc_chain = Chain("property_change", heads["property_change"], w.max_id(PropertyChange))
            self._write_history(pc_chain.add_rows(self.people_story.take_changes()))
            for k, (lo, hi) in enumerate(bounds):
                if results is None:
                    stats[k] = self._segment(k, paths[k])
                while k not in stats:
                    _collect(results, procs, stats)
                if stats[k]["payments"] != (seg_first[k + 1][1] if k + 1 < len(bounds) else pay_id) - seg_first[k][1]:
                    raise RuntimeError("demo: a segment's payments do not match the plan")  # pragma: no cover
                self._copy_segment(k, paths[k], inv_id0 + lo + 1, inv_id0 + hi, rem_base)
                self._copy_history(k, paths[k], act_chain, pc_chain)
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
        self._write_history(pc_chain.add_rows(unapplied_story.take_changes()))
        w.drop_temps()
        w.finish()
        for name, chain in (("activity", act_chain), ("property_change", pc_chain)):
            ChainHead.update(hash=chain.head, count=ChainHead.count + chain.added).where(
                ChainHead.name == name).execute()
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

    def _copy_history(self, k: int, path: str, act_chain: Chain, pc_chain: Chain) -> None:
        """Copy segment ``k``'s history rows into ``activity`` and ``property_change``, chained
        as they are read (:class:`Chain`), right after its invoices (while the worker processes
        make the next segments)."""
        for table, exprs, source, chain in ((self.tables["activity"], ACTIVITY_EXPRS, "event", act_chain),
                                            (self.tables["property_change"], CHANGE_EXPRS, "change", pc_chain)):
            copy_file_table(self.w, table, path, f"demo_segment{k}", f"{{file}}{source} e", order="e.rowid",
                            exprs=chain.exprs(exprs), functions=chain.functions())

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
                           ("payment", _SEGMENT_COLUMNS["payment"]), ("reminder", _SEGMENT_COLUMNS["reminder"])):
            out.create(name, cols)
        out.create("event", EVENT_COLUMNS, key=False)
        out.create("change", CHANGE_COLUMNS, key=False)
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
                recent = iid > recent_from  # notes, tasks and sent reminders only on recent invoices
                # Created (or cloned) as a draft: its whole snapshot, as create_invoice writes it.
                if tpl.gid not in tpl_parts:
                    tpl_parts[tpl.gid] = template_snapshot(cur, billed, line_stubs(tpl.lines),
                                                           adjustment_stubs(tpl.adjustments))
                state = draft_snapshot(
                    dict(title=tpl.title, currency=cur, locale=locale, invoice_date=inv_date_s, due_date=due_s,
                         po_number=po, comments=comments, allow_partial=bool(allow_partial), origin=origin,
                         number=None, status="draft", last_sent_date=None, payment_date=None, link_token=None),
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
                paid = 0
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
                             tpl.tax, billed, paid, 0 if status == "voided" else billed - paid, cname, cemail, company_name, owner_name, created,
                             updated, finalized))
                maps.append((iid, tpl.gid))
            events, changes = story.take_events(), story.take_changes()
            event = story.events.append
            out.insert("invoice", invs)
            out.insert("map", maps)
            out.insert("payment", pays)
            out.insert("reminder", rems)
            out.insert("event", events)
            out.insert("change", changes)
            n_pays += len(pays)
            n_rems += len(rems)
            n_events += len(events)
            n_changes += len(changes)
            if len(numbers_by_id) > 4 * CHUNK:  # clones look back at most 300 invoices
                numbers_by_id = {j: v for j, v in numbers_by_id.items() if j > iid - 400}
        out.commit()
        out.close()
        return {"payments": n_pays, "reminders": n_rems, "events": n_events, "changes": n_changes}

    def _copy_segment(self, k: int, path: str, first: int, last: int, rem_base: int) -> None:
        """Copy segment ``k`` (invoices ``first``…``last``) into the workspace, and derive its
        line items, adjustments and invoice↔contact/company links there."""
        w, tb = self.w, self.tables
        alias = f"demo_segment{k}"
        for table, source, shift in ((tb["invoice"], "invoice", 0), (tb["payment"], "payment", 0),
                                     (tb["reminder"], "reminder", rem_base)):
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

    def cleanup(self) -> None:
        """After the transaction: detach the generated files and delete them (and stop the keys'
        process if the load failed before it was needed)."""
        if self.keys_job is not None:
            self.keys_job.stop()
        self.w.detach_all()
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
